//! The HTTP API: `app(state)` builds the router; `run` serves it until the
//! shutdown future resolves, letting in-flight requests finish.

pub mod ask;
pub mod documents;
pub mod error;
pub mod extract;
pub mod ops;
pub mod quotes;
pub mod search;
pub mod serve;
pub mod web;
pub mod writes;

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Limits;
use crate::engine::Engine;
use crate::error::ErrorCode;
pub use error::ApiError;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The engine once the index is open; `None` while starting (readyz 503).
    engine: Arc<RwLock<Option<Arc<Engine>>>>,
    /// Request limits.
    pub limits: Limits,
    /// Origins allowed by CORS; empty leaves CORS off.
    pub cors_origins: Vec<String>,
    /// Write token; `None` turns the write routes off (403).
    pub token: Option<crate::config::Secret>,
    /// Where writes go; `None` when serving without a corpus folder.
    pub live: Option<crate::live::Live>,
    /// Serializes read-current, write, swap: two writes never build on the same snapshot.
    write_lock: Arc<std::sync::Mutex<()>>,
    /// Renders the Prometheus metrics.
    metrics: metrics_exporter_prometheus::PrometheusHandle,
}

impl AppState {
    /// State with no engine yet: the server answers, but is not ready.
    pub fn starting(limits: Limits) -> Self {
        AppState {
            engine: Arc::new(RwLock::new(None)),
            limits,
            cors_origins: Vec::new(),
            token: None,
            live: None,
            write_lock: Arc::new(std::sync::Mutex::new(())),
            metrics: ops::metrics_handle(),
        }
    }

    /// State with an open engine.
    pub fn ready(engine: Engine, limits: Limits) -> Self {
        let s = AppState::starting(limits);
        s.set_engine(engine);
        s
    }

    /// Makes the engine available (the server becomes ready).
    pub fn set_engine(&self, engine: Engine) {
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(engine));
    }

    /// Runs a write against the current engine and swaps in its result,
    /// serialized with every other write of this process.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&crate::live::Live, &Engine) -> crate::Result<(Engine, T)>,
    ) -> Result<T, ApiError> {
        let live = self.live.as_ref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::WritesDisabled,
                "this server has no corpus to write to",
            )
        })?;
        let _guard = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.engine()?;
        let (next, out) = f(live, &current)?;
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(next));
        Ok(out)
    }

    /// The engine, or 503 `not_ready`.
    pub fn engine(&self) -> Result<Arc<Engine>, ApiError> {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotReady,
                    "the index is still being opened; retry shortly",
                )
            })
    }
}

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
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(web::index))
        .routes(routes!(web::passage_page))
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
        .split_for_parts()
}

/// The OpenAPI document, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = routes();
    ops::document_openapi_route(&mut api);
    api
}

/// Builds the application router.
pub fn app(state: AppState) -> Router {
    let (router, mut api) = routes();
    ops::document_openapi_route(&mut api);
    let api = Arc::new(api);
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
            ApiError::new(ErrorCode::MethodNotAllowed, "this route does not accept that method")
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
                    if e.is::<tower::timeout::error::Elapsed>() {
                        ApiError::new(ErrorCode::Timeout, "the request took longer than the configured timeout")
                    } else if e.is::<tower::load_shed::error::Overloaded>() {
                        ApiError::new(ErrorCode::Overloaded, "too many requests in flight; retry shortly")
                    } else {
                        ApiError::new(ErrorCode::Internal, ErrorCode::Internal.description())
                    }
                }))
                .load_shed()
                .concurrency_limit(limits.max_concurrency)
                .timeout(limits.request_timeout),
        )
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("handler panicked");
            ApiError::new(ErrorCode::Internal, ErrorCode::Internal.description()).into_response()
        }))
        .layer(middleware::from_fn(record_metrics))
        .layer(cors)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .extensions()
                .get::<RequestId>()
                .and_then(|r| r.header_value().to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// CORS is off (no headers at all) unless origins are configured.
fn cors_layer(origins: &[String]) -> tower::util::Either<CorsLayer, tower::layer::util::Identity> {
    if origins.is_empty() {
        return tower::util::Either::Right(tower::layer::util::Identity::new());
    }
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    tower::util::Either::Left(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(list))
            .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
            .allow_headers([header::CONTENT_TYPE]),
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

/// JSON content type with charset, for hand-built responses.
pub const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

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

/// A 200 response with a status code, for readiness checks.
pub fn status_json(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}
