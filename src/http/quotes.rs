//! `/v1/quotes/check`, `/v1/quotes/check-draft` and `/v1/citations/verify`.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::state::AppState;
use crate::wire::{
    CitationToVerify, DraftResponse, QuoteCheckResponse, VerifiedView, VerifyResponse,
};

/// Body of `POST /v1/quotes/check`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckRequest {
    /// The quote, with or without its quotation marks; `…`, `[...]`, `[words]` and `[sic]` are understood.
    #[schema(min_length = 1)]
    pub quote: String,
}

/// Checks one quote: verbatim, altered (with a word diff) or not found.
#[utoipa::path(post, path = "/v1/quotes/check", tag = "quotes", request_body = CheckRequest,
    responses((status = 200, body = QuoteCheckResponse), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn check(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CheckRequest>,
) -> Result<Json<QuoteCheckResponse>, ApiError> {
    let engine = state.engine()?;
    let resp = state
        .blocking(move || {
            let c = engine.check_quote(&req.quote)?;
            Ok::<_, crate::error::Error>(QuoteCheckResponse::new(&req.quote, &c))
        })
        .await?;
    Ok(Json(resp))
}

/// Body of `POST /v1/citations/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyRequest {
    /// The citations to re-check (at most 1,000), as verbatim returned
    /// them, with the cited text when it was kept.
    pub citations: Vec<CitationToVerify>,
}

/// Re-checks stored citations against the sources as they are now: each is
/// `exact`, `moved` (with its new places), `changed` (with the current text,
/// a word diff and notes) or `gone`.
#[utoipa::path(post, path = "/v1/citations/verify", tag = "quotes", request_body = VerifyRequest, params(ReportParams),
    responses((status = 200, description = "Each citation's status: JSON, or CSV when asked for",
                content((VerifyResponse = "application/json"), (String = "text/csv"))),
              (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn verify(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ReportParams>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(p.format, &headers);
    let engine = state.engine()?;
    let cited: Vec<crate::citations::StoredCitation> =
        req.citations.into_iter().map(Into::into).collect();
    let (cited, resp) = state
        .blocking_until(move |cancel| {
            let verified = engine.verify_citations_until(&cited, cancel)?;
            let resp = VerifyResponse {
                results: verified.iter().map(VerifiedView::from).collect(),
            };
            Ok::<_, crate::error::Error>((cited, resp))
        })
        .await?;
    if !csv {
        return Ok(Json(resp).into_response());
    }
    let base = super::web::base_url(state.public_url.as_deref(), &headers);
    Ok(csv_file(
        "verbatim-citations.csv",
        verify_csv(&cited, &resp, &base),
    ))
}

/// A CSV body served as a download named `name`.
fn csv_file(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Whether the answer is CSV: `format` when given, else `Accept: text/csv`.
fn wants_csv(format: Option<ReportFormat>, headers: &HeaderMap) -> bool {
    match format {
        Some(f) => f == ReportFormat::Csv,
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
    }
}

/// The re-check as CSV rows, one per citation in request order, for a
/// newsroom spreadsheet: the citation as stored, its status, where it is
/// now (with a permalink starting with `base`) and what changed.
pub(crate) fn verify_csv(
    cited: &[crate::citations::StoredCitation],
    resp: &VerifyResponse,
    base: &str,
) -> String {
    let mut w = csv::Writer::from_writer(super::web::CSV_BOM.as_bytes().to_vec());
    let _ = w.write_record([
        "doc_id",
        "start",
        "end",
        "cited_text",
        "status",
        "now_doc_id",
        "now_start",
        "now_end",
        "now_label",
        "now_permalink",
        "now_text",
        "notes",
        "other_places",
    ]);
    for (c, v) in cited.iter().zip(&resp.results) {
        let now = v.citations.first();
        let text = |s: &str| super::web::csv_text(s).into_owned();
        let status = serde_json::to_value(v.status)
            .ok()
            .and_then(|s| s.as_str().map(str::to_string))
            .unwrap_or_default();
        let notes: Vec<&str> = v.notes.iter().map(|n| n.text.as_str()).collect();
        let _ = w.write_record([
            text(&c.doc_id),
            c.start.to_string(),
            c.end.to_string(),
            text(c.text.as_deref().unwrap_or_default()),
            status,
            text(now.map_or("", |n| n.doc_id.as_str())),
            now.map(|n| n.start.to_string()).unwrap_or_default(),
            now.map(|n| n.end.to_string()).unwrap_or_default(),
            text(now.map_or("", |n| n.label.as_str())),
            now.map(|n| super::web::permalink(base, n))
                .unwrap_or_default(),
            text(v.text.as_deref().unwrap_or_default()),
            text(&notes.join("; ")),
            v.citations.len().saturating_sub(1).to_string(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Body of `POST /v1/quotes/check-draft`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftRequest {
    /// The draft text.
    pub text: String,
    /// Also check quotations of one or two words (scare quotes). Default false.
    #[serde(default)]
    pub include_short: bool,
}

/// Query-string parameters of `POST /v1/quotes/check-draft` and `POST /v1/citations/verify`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportParams {
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    pub format: Option<ReportFormat>,
}

/// How a draft check or a citation re-check is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ReportFormat {
    /// The JSON answer.
    Json,
    /// One CSV row per quotation (or citation), for a spreadsheet.
    Csv,
}

/// Finds every quotation in a draft and checks each one.
#[utoipa::path(post, path = "/v1/quotes/check-draft", tag = "quotes", request_body = DraftRequest, params(ReportParams),
    responses((status = 200, description = "Each quotation's check: JSON, or CSV when asked for",
                content((DraftResponse = "application/json"), (String = "text/csv"))),
              (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn check_draft(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ReportParams>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<DraftRequest>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(p.format, &headers);
    let engine = state.engine()?;
    let resp = state
        .blocking_until(move |cancel| {
            engine
                .check_draft_until(&req.text, req.include_short, cancel)
                .map(|d| DraftResponse::from(&d))
        })
        .await?;
    if !csv {
        return Ok(Json(resp).into_response());
    }
    let base = super::web::base_url(state.public_url.as_deref(), &headers);
    Ok(csv_file("verbatim-quotes.csv", draft_csv(&resp, &base)))
}

/// The draft check as CSV rows for a newsroom spreadsheet (links start
/// with `base`, see [`super::web::permalink`]). A `not_found` row names the
/// nearest passage in columns of its own, never as the match.
pub(crate) fn draft_csv(resp: &DraftResponse, base: &str) -> String {
    let mut w = csv::Writer::from_writer(super::web::CSV_BOM.as_bytes().to_vec());
    let _ = w.write_record([
        "start",
        "end",
        "quote",
        "verdict",
        "similarity",
        "source_text",
        "label",
        "passage_id",
        "source_start",
        "source_end",
        "permalink",
        "source_url",
        "differences",
        "notes",
        "nearest_label",
        "nearest_permalink",
        "nearest_text",
    ]);
    for q in &resp.quotes {
        let c = &q.check;
        let m = c.matched.as_ref();
        let near = c.candidates.first();
        let text = |s: String| super::web::csv_text(&s).into_owned();
        let _ = w.write_record([
            q.start.to_string(),
            q.end.to_string(),
            text(c.quote.clone()),
            c.verdict.as_str().to_string(),
            m.map(|m| m.similarity.to_string()).unwrap_or_default(),
            text(m.map(|m| m.text.clone()).unwrap_or_default()),
            text(m.map(|m| m.citation.label.clone()).unwrap_or_default()),
            m.map(|m| m.citation.passage_id.clone()).unwrap_or_default(),
            m.map(|m| m.citation.start.to_string()).unwrap_or_default(),
            m.map(|m| m.citation.end.to_string()).unwrap_or_default(),
            m.map(|m| super::web::permalink(base, &m.citation))
                .unwrap_or_default(),
            text(
                m.map(|m| &m.citation)
                    .or(near.map(|h| &h.citation))
                    .and_then(|c| c.url.clone())
                    .unwrap_or_default(),
            ),
            text(c.summary()),
            text(
                m.map(|m| {
                    m.notes
                        .iter()
                        .map(|n| n.text.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default(),
            ),
            text(near.map(|h| h.citation.label.clone()).unwrap_or_default()),
            near.map(|h| super::web::permalink(base, &h.citation))
                .unwrap_or_default(),
            text(near.map(|h| h.text.clone()).unwrap_or_default()),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
