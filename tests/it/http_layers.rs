//! The middleware's own error paths, exercised with misbehaving routes under
//! the very layers `app` uses: panics, timeouts, overload, CORS.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;
use verbatim::Limits;
use verbatim::{with_layers, AppState};

async fn call(app: Router, uri: &str) -> (StatusCode, serde_json::Value) {
    let resp = app
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

async fn panicking() -> &'static str {
    panic!("secret detail")
}

#[tokio::test]
async fn a_panicking_handler_answers_500_internal_without_details() {
    let app = with_layers(
        Router::new().route("/boom", get(panicking)),
        AppState::starting(Limits::default()),
    );
    let (st, v) = call(app.clone(), "/boom").await;
    assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(v["error"]["code"], "internal");
    assert!(!v.to_string().contains("secret"));
    // The service is still up afterwards.
    let (st, _) = call(app, "/nope").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_slow_request_times_out_with_408() {
    let limits = Limits {
        request_timeout: Duration::from_millis(20),
        ..Limits::default()
    };
    let app = with_layers(
        Router::new().route(
            "/slow",
            get(|| async { tokio::time::sleep(Duration::from_secs(5)).await }),
        ),
        AppState::starting(limits),
    );
    let (st, v) = call(app, "/slow").await;
    assert_eq!(st, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(v["error"]["code"], "timeout");
}

#[tokio::test]
async fn past_the_concurrency_limit_requests_get_503_overloaded() {
    let gate = Arc::new(tokio::sync::Notify::new());
    let entered = Arc::new(tokio::sync::Notify::new());
    let (g, e) = (gate.clone(), entered.clone());
    let limits = Limits {
        max_concurrency: 1,
        ..Limits::default()
    };
    let app = with_layers(
        Router::new().route(
            "/hold",
            get(move || {
                let (g, e) = (g.clone(), e.clone());
                async move {
                    e.notify_one();
                    g.notified().await;
                    axum::Json(serde_json::json!({"status": "ok"}))
                }
            }),
        ),
        AppState::starting(limits),
    );
    let first = tokio::spawn(call(app.clone(), "/hold"));
    entered.notified().await;
    let (st, v) = call(app.clone(), "/hold").await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(v["error"]["code"], "overloaded");
    gate.notify_one();
    let resp = first.await.unwrap();
    assert_eq!(resp.0, StatusCode::OK);
}

#[tokio::test]
async fn cors_is_off_unless_configured() {
    let req = || {
        Request::get("/healthz")
            .header("origin", "https://newsroom.example")
            .body(Body::empty())
            .unwrap()
    };
    let route = || {
        Router::new().route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
    };
    let off = with_layers(route(), AppState::starting(Limits::default()))
        .oneshot(req())
        .await
        .unwrap();
    assert!(!off.headers().contains_key("access-control-allow-origin"));
    let mut state = AppState::starting(Limits::default());
    state.cors_origins = vec!["https://newsroom.example".into()];
    let on = with_layers(route(), state).oneshot(req()).await.unwrap();
    assert_eq!(
        on.headers()["access-control-allow-origin"],
        "https://newsroom.example"
    );
    // `*` (which once panicked at start: issue 35, item 9) allows any origin.
    let mut state = AppState::starting(Limits::default());
    state.cors_origins = vec!["*".into()];
    let any = with_layers(route(), state).oneshot(req()).await.unwrap();
    assert_eq!(any.headers()["access-control-allow-origin"], "*");
}
