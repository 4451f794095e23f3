//! `/v1/documents` and `/v1/passages`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use super::state::AppState;
use crate::error::ErrorCode;
use crate::wire::{DocumentSummary, PassageOutline, PassageView};

/// One page of the documents' metadata.
#[derive(Serialize, Deserialize, ToSchema)]
pub(crate) struct DocumentList {
    /// In corpus order, at most `limit`.
    pub documents: Vec<DocumentSummary>,
    /// Documents in the corpus, all pages together.
    pub total: usize,
    /// Documents in the corpus by kind, all pages together.
    pub kinds: BTreeMap<String, usize>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Paging of the document list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// Page size, 1 to 1000. Default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// Where the page starts: the `next_cursor` of the page before.
    pub cursor: Option<String>,
}

/// Most documents per page.
const MAX_PAGE: usize = 1000;

/// Where a cursor points: `{place}:{doc_id}`, the next document to list.
/// Places stay put across writes (a replaced document moves to the end,
/// a removed one leaves its place empty), so the place decides; only when
/// it holds another document (the table was packed after many removals)
/// is the id looked up.
fn cursor_place(engine: &crate::engine::Engine, cursor: &str) -> Result<usize, ApiError> {
    let bad = || {
        ApiError::new(
            ErrorCode::InvalidParameter,
            "cursor must be the `next_cursor` of an earlier page",
        )
    };
    let (place, id) = cursor.split_once(':').ok_or_else(bad)?;
    let place: usize = place.parse().map_err(|_| bad())?;
    Ok(match engine.document_at(place) {
        Some(d) if d.meta.id != id => engine.document_place(id).unwrap_or(place),
        _ => place,
    })
}

/// A document's metadata plus its full text.
#[derive(Serialize, Deserialize, ToSchema)]
pub(crate) struct DocumentText {
    /// Metadata.
    #[serde(flatten)]
    pub summary: DocumentSummary,
    /// The text every offset indexes into (char offsets).
    pub text: String,
    /// Every passage's place in `text`, in order: what a document view
    /// numbers its paragraphs by.
    pub outline: Vec<PassageOutline>,
}

/// Lists the documents, a page at a time, with the corpus's totals.
#[utoipa::path(get, path = "/v1/documents", tag = "documents", params(ListParams),
    responses((status = 200, body = DocumentList), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<DocumentList>, ApiError> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    let engine = state.engine()?;
    // The totals walk every document: on the blocking pool, not a runtime
    // thread.
    state
        .blocking(move || {
            let from = match &p.cursor {
                Some(c) => cursor_place(&engine, c)?,
                None => 0,
            };
            let mut page = engine.documents_from(from);
            let documents = page
                .by_ref()
                .take(limit)
                .map(|(_, d)| DocumentSummary::from(d.as_ref()))
                .collect();
            let next_cursor = page
                .next()
                .map(|(place, d)| format!("{place}:{}", d.meta.id));
            let mut kinds = BTreeMap::new();
            for d in engine.documents() {
                *kinds.entry(d.meta.kind.clone()).or_insert(0) += 1;
            }
            Ok::<_, ApiError>(Json(DocumentList {
                documents,
                total: engine.document_count(),
                kinds,
                next_cursor,
            }))
        })
        .await
}

/// One document with its full text.
#[utoipa::path(get, path = "/v1/documents/{doc_id}", tag = "documents",
    params(("doc_id" = String, Path, description = "Document id")),
    responses((status = 200, body = DocumentText), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPath(doc_id): ApiPath<String>,
) -> Result<Json<DocumentText>, ApiError> {
    let engine = state.engine()?;
    // A whole document's text and outline (megabytes, for a big one) are
    // copied on the blocking pool, not a runtime thread.
    state
        .blocking(move || {
            let doc = engine.document(&doc_id).ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, format!("no document `{doc_id}`"))
            })?;
            Ok::<_, ApiError>(Json(DocumentText {
                summary: doc.into(),
                text: doc.text.to_string(),
                outline: PassageOutline::of(doc),
            }))
        })
        .await
}

/// One passage in context: sentences with offsets, previous and next ids.
#[utoipa::path(get, path = "/v1/passages/{passage_id}", tag = "documents",
    params(("passage_id" = String, Path, description = "Passage id, `{doc_id}:p{n}`")),
    responses((status = 200, body = PassageView), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn passage(
    State(state): State<AppState>,
    ApiPath(passage_id): ApiPath<String>,
) -> Result<Json<PassageView>, ApiError> {
    let engine = state.engine()?;
    let (doc, p) = engine
        .passage(&passage_id)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no passage `{passage_id}`")))?;
    Ok(Json(PassageView::new(doc, &p)))
}
