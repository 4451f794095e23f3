//! The HTTP API: `app(state)` builds the router; `run` serves it until the
//! shutdown future resolves, letting in-flight requests finish.

pub(crate) mod ask;
pub(crate) mod documents;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod ops;
pub(crate) mod quotes;
pub(crate) mod search;
pub(crate) mod serve;
mod state;
pub(crate) mod web;
pub(crate) mod writes;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorCode;
pub(crate) use error::ApiError;
pub use state::AppState;

/// The OpenAPI document's root.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "verbatim",
        description = "Answers from your sources in their own words, with citations."
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

/// Declares the `bearer` security scheme the write routes require.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("VERBATIM_TOKEN"))
                    .build(),
            ),
        );
    }
}

/// The routes and the OpenAPI document generated from the same handlers.
pub(crate) fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(web::index))
        .routes(routes!(web::passage_page))
        .routes(routes!(web::document_page))
        .routes(routes!(web::app_js))
        .routes(routes!(web::app_css))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(search::search))
        .routes(routes!(search::batch))
        .routes(routes!(search::export))
        .routes(routes!(documents::list, writes::create))
        .routes(routes!(documents::get, writes::replace, writes::delete))
        .routes(routes!(documents::passage))
        .routes(routes!(ask::ask))
        .routes(routes!(quotes::check))
        .routes(routes!(quotes::check_draft))
        .routes(routes!(quotes::verify))
        .split_for_parts()
}

/// The OpenAPI document `/openapi.json` serves (and `verbatim mcp` takes
/// its tool schemas from).
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = routes();
    ops::document_openapi_route(&mut api);
    api
}

/// Builds the application router.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes();
    let api = Arc::new(openapi());
    let router = router.route(
        "/openapi.json",
        axum::routing::get(move || {
            let api = api.clone();
            async move { axum::Json(api.as_ref().clone()) }
        }),
    );
    with_layers(router, state)
}

/// Wraps routes in the service's middleware: JSON errors for unknown routes
/// and methods, body limit, load shedding, timeout, panic catching, metrics,
/// CORS (only when origins are configured) and request ids. Public so tests
/// can put a misbehaving route under the very same layers.
pub fn with_layers(router: Router<AppState>, state: AppState) -> Router {
    let limits = state.limits.clone();
    let cors = cors_layer(&state.cors_origins);
    router
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                ErrorCode::MethodNotAllowed,
                "this route does not accept that method",
            )
        })
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            limits.max_body_bytes,
            declared_body_limit,
        ))
        .layer(middleware::from_fn(json_errors))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|e: tower::BoxError| async move {
                    if e.is::<tower::load_shed::error::Overloaded>() {
                        ApiError::new(
                            ErrorCode::Overloaded,
                            "too many requests in flight; retry shortly",
                        )
                    } else {
                        ApiError::new(ErrorCode::Internal, ErrorCode::Internal.description())
                    }
                }))
                .load_shed()
                .concurrency_limit(limits.max_concurrency)
                .layer(middleware::from_fn_with_state(
                    limits.request_timeout,
                    timeout,
                )),
        )
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("handler panicked");
            ApiError::new(ErrorCode::Internal, ErrorCode::Internal.description()).into_response()
        }))
        .layer(middleware::from_fn(record_metrics))
        .layer(cors)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // One line per request at info: the span carries id, method
                // and route; the event, status and latency.
                .on_response(
                    DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(LatencyUnit::Micros),
                )
                .on_failure(log_failure),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The request timeout: 408 `timeout` for a request slower than `limit`.
/// Writes keep their own deadline instead (`run_write` in `writes.rs`):
/// cut off here, a write could still commit after its client heard 408.
async fn timeout(
    axum::extract::State(limit): axum::extract::State<std::time::Duration>,
    req: Request,
    next: Next,
) -> Response {
    if writes::is_write(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            ErrorCode::Timeout,
            "the request took longer than the configured timeout",
        )
        .into_response(),
    }
}

/// The span of one request: its id, method, matched route (the template,
/// so logs group by route) and path.
fn request_span(req: &Request) -> tracing::Span {
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|r| r.header_value().to_str().ok())
        .unwrap_or("-");
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("-", |m| m.as_str());
    tracing::info_span!("request", request_id = %id, method = %req.method(), route, path = %req.uri().path())
}

/// Server errors are logged as errors, except a 503: the index still
/// opening (`/readyz` during start-up) or load shedding are expected, and
/// the response line already records them.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass as C;
    match class {
        C::StatusCode(s) if s == axum::http::StatusCode::SERVICE_UNAVAILABLE => {}
        class => tracing::error!(%class, latency_us = latency.as_micros() as u64, "request failed"),
    }
}

/// CORS is off (no headers at all) unless origins are configured.
fn cors_layer(origins: &[String]) -> tower::util::Either<CorsLayer, tower::layer::util::Identity> {
    if origins.is_empty() {
        return tower::util::Either::Right(tower::layer::util::Identity::new());
    }
    // `Config::resolve` checked every origin (so none is dropped here), and
    // that `*` stands alone.
    let allow = if origins == ["*"] {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        )
    };
    tower::util::Either::Left(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
            .allow_headers([header::CONTENT_TYPE])
            .expose_headers([axum::http::HeaderName::from_static(search::TOTAL_HEADER)]),
    )
}

/// Answers 413 at once when `Content-Length` declares a body over the
/// limit, instead of reading it (or waiting for it) first. Bodies without a
/// length are cut off by `DefaultBodyLimit` as they are read.
async fn declared_body_limit(
    axum::extract::State(max): axum::extract::State<usize>,
    req: Request,
    next: Next,
) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body is larger than {max} bytes"),
        )
        .into_response();
    }
    next.run(req).await
}

/// Rewrites any error response that is not JSON (made by a layer or by
/// axum itself) into the standard error shape.
async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        return ApiError::from_status(status).into_response();
    }
    resp
}

/// Counts requests and times them per route.
async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let t = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("verbatim_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("verbatim_http_request_duration_seconds", "route" => route)
        .record(t.elapsed().as_secs_f64());
    resp
}

/// Serves `app(state)` on `listener` until `shutdown` resolves; requests in
/// flight finish before this returns.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits.clone();
    serve::serve(listener, app(state), &limits, shutdown).await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// Counts the blocking work running at once, and at most.
    #[derive(Default)]
    struct Gauge {
        running: AtomicUsize,
        most: AtomicUsize,
        started: AtomicUsize,
    }

    /// Work that outlives its timed-out request keeps its permit until it
    /// ends, so abandoned work never runs beside more than the limit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn timed_out_work_keeps_its_permit_until_it_ends() {
        let limits = crate::config::Limits {
            request_timeout: Duration::from_millis(100),
            max_concurrency: 1,
            ..Default::default()
        };
        let state = AppState::starting(limits);
        let gauge = Arc::new(Gauge::default());
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let done_tx = Arc::new(std::sync::Mutex::new(done_tx));
        let route = {
            let (state, gauge) = (state.clone(), gauge.clone());
            get(move || {
                let (state, gauge, done) = (state.clone(), gauge.clone(), done_tx.clone());
                async move {
                    state
                        .blocking(move || {
                            gauge.started.fetch_add(1, Ordering::SeqCst);
                            let now = gauge.running.fetch_add(1, Ordering::SeqCst) + 1;
                            gauge.most.fetch_max(now, Ordering::SeqCst);
                            // Far past the request's timeout.
                            std::thread::sleep(Duration::from_millis(600));
                            gauge.running.fetch_sub(1, Ordering::SeqCst);
                            let _ = done.lock().unwrap().send(());
                            Ok::<_, ApiError>(())
                        })
                        .await
                }
            })
        };
        let app = with_layers(Router::new().route("/work", route), state);
        let call = |app: Router| async move {
            app.oneshot(Request::get("/work").body(Body::empty()).unwrap())
                .await
                .unwrap()
                .status()
        };
        // The first request times out; its work goes on holding the permit.
        assert_eq!(call(app.clone()).await, StatusCode::REQUEST_TIMEOUT);
        // The second waits for that permit, times out, and never runs.
        assert_eq!(call(app.clone()).await, StatusCode::REQUEST_TIMEOUT);
        tokio::task::spawn_blocking(move || done_rx.recv().unwrap())
            .await
            .unwrap();
        assert_eq!(gauge.most.load(Ordering::SeqCst), 1);
        assert_eq!(
            gauge.started.load(Ordering::SeqCst),
            1,
            "the second request's work never started"
        );
    }

    /// Work that checks its cancel flag stops soon after its request timed
    /// out, and gives its permit back: the next request is served.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn timed_out_work_that_checks_its_flag_stops_and_frees_its_permit() {
        let limits = crate::config::Limits {
            request_timeout: Duration::from_millis(100),
            max_concurrency: 1,
            ..Default::default()
        };
        let state = AppState::starting(limits);
        let steps = Arc::new(AtomicUsize::new(0));
        let route = {
            let (state, steps) = (state.clone(), steps.clone());
            get(move |q: axum::extract::RawQuery| {
                let (state, steps) = (state.clone(), steps.clone());
                let forever = q.0.as_deref() == Some("forever");
                async move {
                    state
                        .blocking_until(move |cancel| {
                            // A loop of short steps, far past the timeout
                            // unless cancelled (a 60 s guard against hangs).
                            for _ in 0..6_000 {
                                if !forever {
                                    return Ok(());
                                }
                                cancel.check()?;
                                steps.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(10));
                            }
                            Ok::<_, crate::error::Error>(())
                        })
                        .await
                }
            })
        };
        let app = with_layers(Router::new().route("/work", route), state);
        let call = |app: Router, uri: &'static str| async move {
            app.oneshot(Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap()
                .status()
        };
        assert_eq!(
            call(app.clone(), "/work?forever").await,
            StatusCode::REQUEST_TIMEOUT
        );
        // With one permit, this is served only once the first work stopped.
        assert_eq!(call(app.clone(), "/work?quick").await, StatusCode::OK);
        let ran = steps.load(Ordering::SeqCst);
        assert!(ran < 6_000, "the work ran to its end: {ran} steps");
    }
}
