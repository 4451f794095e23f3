//! `POST /v1/ask`.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use super::state::AppState;
use crate::answer::AskRequest;
use crate::error::ErrorCode;
use crate::search::Filters;
use crate::wire::AskResponse;

/// Body of `POST /v1/ask`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AskBody {
    /// A plain question.
    #[schema(min_length = 1)]
    pub question: String,
    /// Answers wanted, 1 to 10. Default 3.
    #[schema(minimum = 1, maximum = 10)]
    #[serde(default, deserialize_with = "super::extract::whole_number")]
    pub limit: Option<usize>,
    /// Only this document.
    pub doc: Option<String>,
    /// Only this kind of document.
    pub kind: Option<String>,
}

/// Answers a question with sentences cut from the sources, or says plainly that they do not answer it.
#[utoipa::path(post, path = "/v1/ask", tag = "answers", request_body = AskBody,
    responses((status = 200, body = AskResponse), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn ask(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AskBody>,
) -> Result<Json<AskResponse>, ApiError> {
    let max = state.limits.max_query_chars;
    if body.question.chars().count() > max {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            format!("the question is longer than {max} characters"),
        ));
    }
    let engine = state.engine()?;
    let resp = state
        .blocking_until(move |cancel| {
            let req = AskRequest {
                question: body.question,
                limit: body.limit.unwrap_or(3),
                filters: Filters {
                    doc: body.doc,
                    kind: body.kind,
                },
            };
            let r = engine.ask_until(&req, cancel)?;
            Ok::<_, crate::error::Error>(AskResponse::new(&req.question, &r))
        })
        .await?;
    Ok(Json(resp))
}
