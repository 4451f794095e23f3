//! `POST /v1/documents`, `PUT` and `DELETE /v1/documents/{doc_id}`: live
//! updates, behind a bearer token compared in constant time.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use std::sync::Arc;

use tokio::time::Instant;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use super::state::{AppState, WriteGate};
use crate::cancel::Cancel;
use crate::engine::Engine;
use crate::error::ErrorCode;
use crate::ingest::frontmatter::FrontMatter;
use crate::ingest::slug;
use crate::live::{safe_file_name, Mode, NewDocument};
use crate::segment::{first_heading_or_line, Markup};
use crate::wire::DocumentSummary;

/// A document sent as JSON: the fields of front matter plus the text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentBody {
    /// URL-safe slug. POST: default, a slug of the title or first line. PUT:
    /// must match the path when given.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    pub id: Option<String>,
    /// Title (default: the first heading or line).
    pub title: Option<String>,
    /// The text, exactly as it will be stored and cited.
    #[schema(min_length = 1)]
    pub text: String,
    /// `article`, `source-note`, ...
    pub kind: Option<String>,
    /// Publisher.
    pub source: Option<String>,
    /// Original address.
    pub url: Option<String>,
    /// Publication date.
    pub published: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// BCP 47 language tag.
    pub language: Option<String>,
}

impl DocumentBody {
    fn into_new(self, id: String) -> NewDocument {
        let front = FrontMatter {
            id: Some(id),
            title: self.title,
            kind: self.kind,
            source: self.source,
            url: self.url,
            published: self.published,
            author: self.author,
            language: self.language,
            questions: Vec::new(),
        };
        NewDocument {
            front,
            text: self.text,
        }
    }
}

/// Longest id derived from a title: ids may have 128 characters, and a
/// permalink should stay readable.
const DERIVED_ID_CHARS: usize = 64;

/// The id of a document posted without one: a slug of its title, or else
/// of its first heading or line, cut at a word boundary to at most
/// [`DERIVED_ID_CHARS`]; when fewer than half its letters and digits are
/// ASCII (a Japanese title, say, whose slug would keep only a stray "AI"),
/// `document-` and the first 10 hex digits of the text's SHA-256, so two
/// such documents never collide on one id.
fn derived_id(body: &DocumentBody) -> String {
    let title = body
        .title
        .clone()
        .or_else(|| first_heading_or_line(&body.text, Markup::Markdown))
        .unwrap_or_default();
    let ascii = title.chars().filter(char::is_ascii_alphanumeric).count();
    let all = title.chars().filter(|c| c.is_alphanumeric()).count();
    if ascii == 0 || ascii * 2 < all {
        use sha2::Digest;
        let hash = hex::encode(sha2::Sha256::digest(body.text.as_bytes()));
        return format!("document-{}", &hash[..10]);
    }
    let mut id = slug(&title);
    if id.len() > DERIVED_ID_CHARS {
        let cut = id[..=DERIVED_ID_CHARS]
            .rfind('-')
            .filter(|&i| i > 0)
            .unwrap_or(DERIVED_ID_CHARS);
        id.truncate(cut);
    }
    id
}

/// The documents a write stored.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WriteResponse {
    /// Each stored document's metadata.
    pub documents: Vec<DocumentSummary>,
}

/// Whether a request is a write: `POST /v1/documents`, `PUT` or `DELETE
/// /v1/documents/{doc_id}`. Writes keep their own deadline ([`run_write`]).
pub(super) fn is_write(method: &Method, path: &str) -> bool {
    let documents = path
        .strip_prefix("/v1/documents")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    documents && matches!(*method, Method::POST | Method::PUT | Method::DELETE)
}

/// Checks the bearer token: 403 when writes are off, 401 when it is missing or wrong.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &state.token else {
        return Err(ApiError::new(
            ErrorCode::WritesDisabled,
            "writes are off: set VERBATIM_TOKEN (or `token` in verbatim.toml) to turn them on",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if given.is_empty() || !token.matches(given) {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "a valid `Authorization: Bearer <token>` header is required",
        ));
    }
    Ok(())
}

fn respond(state: &AppState, ids: &[String], status: StatusCode) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    let documents = ids
        .iter()
        .filter_map(|id| engine.document(id))
        .map(DocumentSummary::from)
        .collect();
    Ok((status, Json(WriteResponse { documents })).into_response())
}

/// Adds a document: JSON, or a file uploaded as `multipart/form-data` (field `file`). 409 when the id exists.
#[utoipa::path(post, path = "/v1/documents", tag = "documents", request_body = DocumentBody,
    security(("bearer" = [])),
    responses((status = 201, body = WriteResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let deadline = deadline_of(&state);
    authorize(&state, &headers)?;
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let ids = if is_multipart {
        let (name, bytes) = by_deadline(deadline, uploaded_file(req, &state)).await??;
        let rel = safe_file_name(&name)?;
        let st = state.clone();
        run_write(&state, deadline, move |gate, cancel| {
            // Parsed (a PDF in its child) and embedded before taking the
            // write lock: other writes wait only for the commit.
            let current: Arc<Engine> = st.engine()?;
            let docs = crate::live::prepare(&current, &rel, &bytes, cancel)?;
            st.write(gate, |live, engine| {
                live.write_parsed(engine, &rel, bytes, docs, Mode::Create)
            })
        })
        .await?
    } else {
        let ApiJson(body) =
            by_deadline(deadline, ApiJson::<DocumentBody>::from_request(req, &state)).await??;
        let id = match &body.id {
            Some(id) => id.clone(),
            None => derived_id(&body),
        };
        put(&state, deadline, body.into_new(id), Mode::Create).await?
    };
    respond(&state, &ids, StatusCode::CREATED)
}

/// The `file` field of a multipart upload: its name and bytes.
async fn uploaded_file(req: Request, state: &AppState) -> Result<(String, Vec<u8>), ApiError> {
    let mut mp = Multipart::from_request(req, state)
        .await
        .map_err(|e| ApiError::new(ErrorCode::InvalidDocument, e.body_text()))?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| ApiError::new(ErrorCode::InvalidDocument, e.body_text()))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload.txt").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::new(ErrorCode::PayloadTooLarge, e.body_text()))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    file.ok_or_else(|| ApiError::new(ErrorCode::InvalidDocument, "the upload has no `file` field"))
}

/// Stores a JSON document: parsed and embedded first, then committed
/// under the write lock.
async fn put(
    state: &AppState,
    deadline: Instant,
    doc: NewDocument,
    mode: Mode,
) -> Result<Vec<String>, ApiError> {
    let st = state.clone();
    run_write(state, deadline, move |gate, cancel| {
        let live = st.live()?;
        let current: Arc<Engine> = st.engine()?;
        let prepared = live.prepare_document(&current, &doc, mode, cancel)?;
        st.write(gate, |live, engine| {
            live.put_prepared(engine, &doc, mode, prepared)
        })
    })
    .await
}

/// When a write's request gives up: its arrival plus the request timeout.
/// Writes are not under the router's timeout (see `timeout` in `mod.rs`),
/// because a write cut off there could still commit afterwards.
fn deadline_of(state: &AppState) -> Instant {
    Instant::now() + state.limits.request_timeout
}

/// `work` (reading a body), or 408 at `deadline`; nothing is applied yet.
async fn by_deadline<T>(
    deadline: Instant,
    work: impl std::future::Future<Output = T>,
) -> Result<T, ApiError> {
    tokio::time::timeout_at(deadline, work)
        .await
        .map_err(|_| super::state::not_applied())
}

/// Runs a write on the blocking pool against `deadline`: until the write
/// reaches its commit the deadline abandons it (408, nothing applied,
/// safe to retry); once it commits, the client waits for its outcome, so
/// a write is never applied behind a 408. An abandoned write's preparation
/// (parse, embedding) sees its cancel flag and stops, freeing its permit.
async fn run_write<T: Send + 'static>(
    state: &AppState,
    deadline: Instant,
    work: impl FnOnce(&WriteGate, &Cancel) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let gate = WriteGate::default();
    let g = gate.clone();
    let task = state.blocking_until(move |cancel| {
        if g.abandoned() {
            return Err(super::state::not_applied());
        }
        work(&g, cancel)
    });
    tokio::pin!(task);
    tokio::select! {
        done = &mut task => done,
        () = tokio::time::sleep_until(deadline) => {
            if gate.abandon() {
                Err(super::state::not_applied())
            } else {
                task.await
            }
        }
    }
}

/// Adds or replaces a document from JSON.
#[utoipa::path(put, path = "/v1/documents/{doc_id}", tag = "documents", request_body = DocumentBody,
    params(("doc_id" = String, Path, description = "Document id")), security(("bearer" = [])),
    responses((status = 200, body = WriteResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(doc_id): ApiPath<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let deadline = deadline_of(&state);
    // The token first: a client without one never gets its body read.
    authorize(&state, &headers)?;
    let ApiJson(body) =
        by_deadline(deadline, ApiJson::<DocumentBody>::from_request(req, &state)).await??;
    if body.id.as_ref().is_some_and(|id| *id != doc_id) {
        return Err(ApiError::new(
            ErrorCode::InvalidDocument,
            "the body's `id` differs from the path",
        ));
    }
    let ids = put(&state, deadline, body.into_new(doc_id), Mode::Replace).await?;
    respond(&state, &ids, StatusCode::OK)
}

/// Removes a document (and its file).
#[utoipa::path(delete, path = "/v1/documents/{doc_id}", tag = "documents",
    params(("doc_id" = String, Path, description = "Document id")), security(("bearer" = [])),
    responses((status = 200, description = "Removed", body = WriteResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(doc_id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let deadline = deadline_of(&state);
    authorize(&state, &headers)?;
    let st = state.clone();
    run_write(&state, deadline, move |gate, _| {
        st.write(gate, |live, engine| Ok((live.remove(engine, &doc_id)?, ())))
    })
    .await?;
    Ok((
        StatusCode::OK,
        Json(WriteResponse {
            documents: Vec::new(),
        }),
    )
        .into_response())
}
