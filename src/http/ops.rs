//! Health, readiness, metrics and the OpenAPI route.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::state::{status_json, AppState};

/// `{"status": "ok"}` and the like.
#[derive(Serialize, ToSchema)]
pub(crate) struct Status {
    /// `ok`, or `starting` before the index is open.
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = Status)))]
pub(crate) async fn healthz() -> Response {
    status_json(StatusCode::OK, serde_json::json!({"status": "ok"}))
}

/// Readiness: 200 once the index is open, 503 before.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "The index is open", body = Status),
              (status = 503, description = "Still opening the index", body = super::error::ErrorBody)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    match state.engine() {
        Ok(_) => status_json(StatusCode::OK, serde_json::json!({"status": "ok"})),
        Err(e) => e.into_response(),
    }
}

/// Prometheus metrics: requests and latency per route, corpus and index size.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain")))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    // The index directory walk and /proc read are file IO: on the blocking
    // pool, not a runtime thread. No CPU permit: a scrape must answer when
    // the server is busiest.
    let st = state.clone();
    let _ = tokio::task::spawn_blocking(move || record_gauges(&st)).await;
    let body = state.metrics.render();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Sets the gauges `/metrics` reports from the current engine and process.
fn record_gauges(state: &AppState) {
    record_cache(
        "verbatim_stem_cache_words",
        "verbatim_stem_cache_lookups_total",
        crate::analysis::stem_cache_stats(),
    );
    if let Ok(engine) = state.engine() {
        metrics::gauge!("verbatim_documents").set(engine.document_count() as f64);
        metrics::gauge!("verbatim_passages").set(engine.passage_count() as f64);
        metrics::gauge!("verbatim_index_size_bytes").set(engine.index_size_bytes() as f64);
        let (mapped, heap) = engine.text_bytes();
        metrics::gauge!("verbatim_text_bytes", "where" => "mapped").set(mapped as f64);
        metrics::gauge!("verbatim_text_bytes", "where" => "heap").set(heap as f64);
        if let Some((file, anonymous)) = process_memory() {
            metrics::gauge!("verbatim_resident_bytes", "kind" => "file").set(file as f64);
            metrics::gauge!("verbatim_resident_bytes", "kind" => "anonymous").set(anonymous as f64);
        }
        if let Some(queries) = engine.query_vector_cache() {
            record_cache(
                "verbatim_query_vector_cache_texts",
                "verbatim_query_vector_cache_lookups_total",
                queries,
            );
        }
        if let Some((stored, pending)) = engine.vector_counts() {
            metrics::gauge!("verbatim_vectors_stored").set(stored as f64);
            metrics::gauge!("verbatim_vectors_pending").set(pending as f64);
        }
    }
}

/// A cache's size as the gauge `held`, and its hits and misses as the
/// counter `lookups` labelled by `result`.
fn record_cache(held: &'static str, lookups: &'static str, stats: crate::model::CacheStats) {
    metrics::gauge!(held).set(stats.held as f64);
    metrics::counter!(lookups, "result" => "hit").absolute(stats.hits);
    metrics::counter!(lookups, "result" => "miss").absolute(stats.misses);
}

/// This process's resident memory from `/proc/self/status`, in bytes:
/// (file-backed: the mapped index and document store, which the kernel
/// may drop and read again; anonymous: the heap). `None` off Linux.
fn process_memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()
            .map(|k| k * 1024)
    };
    Some((kib("RssFile:")?, kib("RssAnon:")?))
}

/// Adds `/openapi.json` itself to the document (it is served outside the
/// generated router because it serves the document).
pub(crate) fn document_openapi_route(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::{ContentBuilder, ResponseBuilder};
    let op = OperationBuilder::new()
        .summary(Some("This OpenAPI 3.1 document"))
        .tag("operations")
        .response(
            "200",
            ResponseBuilder::new()
                .description("The OpenAPI document")
                .content("application/json", ContentBuilder::new().build())
                .build(),
        )
        .build();
    api.paths
        .paths
        .insert("/openapi.json".into(), PathItem::new(HttpMethod::Get, op));
}
