//! Serves the embedded page: `/`, `/p/{passage_id}`, `/d/{doc_id}` and `/assets/*`.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::web;

/// The page's address of a cited span, `{base}/p/{passage_id}?start=&end=`:
/// what a spreadsheet row or a pasted citation links to. `base` is the
/// scheme and host the request came to (empty for a relative link).
pub(crate) fn permalink(base: &str, c: &crate::model::Citation) -> String {
    let id =
        percent_encoding::utf8_percent_encode(&c.passage_id, percent_encoding::NON_ALPHANUMERIC);
    format!("{base}/p/{id}?start={}&end={}", c.start, c.end)
}

/// The base of absolute links: the configured `public_url`; else
/// `http://host` from the request's `Host` header when it is a plain host
/// and port; else empty (links stay relative).
pub(crate) fn base_url(public_url: Option<&str>, headers: &axum::http::HeaderMap) -> String {
    if let Some(u) = public_url {
        return u.to_string();
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| crate::config::is_host(h))
        .map(|h| format!("http://{h}"))
        .unwrap_or_default()
}

/// A CSV cell of text that comes from the corpus or the request. A
/// spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab
/// or carriage return before one) as a formula, and scraped pages can hold
/// such text; those cells get a leading `'`, which spreadsheets read as
/// "text". Only CSV cells: JSON, JSON Lines and the API keep the exact
/// text, and each row's offsets name it.
pub(crate) fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// Starts a CSV file: the UTF-8 byte-order mark, without which spreadsheet
/// programs read curly quotes and ¶ as Latin-1 garbage.
pub(crate) const CSV_BOM: &str = "\u{feff}";

fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, web::CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        web::INDEX_HTML,
    )
        .into_response()
}

/// The page: ask, search, check quotes, documents. State lives in the URL
/// (`/?ask=`, `/?q=`, `/?check=`).
#[utoipa::path(get, path = "/", tag = "page",
    responses((status = 200, description = "The web page", content_type = "text/html", body = String)))]
pub(crate) async fn index() -> Response {
    page()
}

/// The page, opened on one passage with the cited span (`?start=&end=`, document chars) highlighted.
#[utoipa::path(get, path = "/p/{passage_id}", tag = "page",
    params(("passage_id" = String, Path, description = "Passage id"), ("start" = Option<String>, Query, description = "Cited span start (document chars); the page ignores it unless it is a number"), ("end" = Option<String>, Query, description = "Cited span end, likewise")),
    responses((status = 200, description = "The web page", content_type = "text/html", body = String)))]
pub(crate) async fn passage_page() -> Response {
    page()
}

/// The page, opened on one whole document: every paragraph numbered as a
/// reader counts, an anchor per passage (`#p{n}`, the passage id's
/// number), the cited span (`?start=&end=`, document chars) highlighted.
#[utoipa::path(get, path = "/d/{doc_id}", tag = "page",
    params(("doc_id" = String, Path, description = "Document id"), ("start" = Option<String>, Query, description = "Cited span start (document chars); the page ignores it unless it is a number"), ("end" = Option<String>, Query, description = "Cited span end, likewise")),
    responses((status = 200, description = "The web page", content_type = "text/html", body = String)))]
pub(crate) async fn document_page() -> Response {
    page()
}

/// The page's script.
#[utoipa::path(get, path = "/assets/app.js", tag = "page",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript", body = String)))]
pub(crate) async fn app_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        web::APP_JS,
    )
        .into_response()
}

/// The page's styles.
#[utoipa::path(get, path = "/assets/app.css", tag = "page",
    responses((status = 200, description = "CSS", content_type = "text/css", body = String)))]
pub(crate) async fn app_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        web::APP_CSS,
    )
        .into_response()
}
