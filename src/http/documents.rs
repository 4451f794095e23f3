//! `/v1/documents` and `/v1/passages`.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiPath;
use super::state::AppState;
use crate::error::ErrorCode;
use crate::wire::{DocumentSummary, PassageOutline, PassageView};

/// Every document's metadata.
#[derive(Serialize, Deserialize, ToSchema)]
pub(crate) struct DocumentList {
    /// In corpus order.
    pub documents: Vec<DocumentSummary>,
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

/// Lists the documents.
#[utoipa::path(get, path = "/v1/documents", tag = "documents",
    responses((status = 200, body = DocumentList), (status = 503, body = ErrorBody)))]
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<DocumentList>, ApiError> {
    let engine = state.engine()?;
    Ok(Json(DocumentList {
        documents: engine
            .documents()
            .map(|d| DocumentSummary::from(d.as_ref()))
            .collect(),
    }))
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
    let doc = engine
        .document(&doc_id)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no document `{doc_id}`")))?;
    Ok(Json(DocumentText {
        summary: doc.into(),
        text: doc.text.to_string(),
        outline: PassageOutline::of(doc),
    }))
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
    Ok(Json(PassageView::new(doc, p)))
}
