//! `/v1/search`, `/v1/search/batch` and `/v1/search/export`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderName};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::state::{AppState, CpuPermit};
use crate::engine::Engine;
use crate::error::ErrorCode;
use crate::model::Citation;
use crate::search::{Filters, Prepared, SearchMode, SearchRequest, MAX_LIMIT};
use crate::snapshot::Scored;
use crate::wire::SearchResponse;

/// Default page size.
const DEFAULT_LIMIT: usize = 10;
/// Largest `offset` (a corpus has fewer passages).
const MAX_OFFSET: usize = u32::MAX as usize;
/// Most queries in one batch.
pub(crate) const MAX_BATCH: usize = 100;

/// Query-string parameters of `GET /v1/search`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// The query: words, "exact phrases", +required, -excluded, AND, OR, doc:ID, kind:KIND.
    /// May be empty when `doc` or `kind` is given (every passage they keep).
    #[param(required = true)]
    pub q: Option<String>,
    /// Page size, 0 to 100 (0 returns only the total). Default 10.
    #[param(maximum = 100)]
    pub limit: Option<usize>,
    /// Hits to skip. Default 0.
    #[param(maximum = 4294967295_u64)]
    pub offset: Option<usize>,
    /// Only this document.
    pub doc: Option<String>,
    /// Only this kind of document.
    pub kind: Option<String>,
    /// `lexical` or `hybrid`. Default: hybrid for plain words when vectors
    /// are on, lexical for query syntax.
    pub mode: Option<SearchMode>,
}

/// Checks the query's presence and length.
fn checked_query(state: &AppState, q: Option<String>) -> Result<String, ApiError> {
    let q = q.ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            "the query parameter `q` is required",
        )
    })?;
    check_length(state, &q)?;
    Ok(q)
}

fn check_length(state: &AppState, q: &str) -> Result<(), ApiError> {
    let max = state.limits.max_query_chars;
    if q.chars().count() > max {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            format!("the query is longer than {max} characters"),
        ));
    }
    Ok(())
}

/// The one search path that single and batch search share: runs a prepared
/// search; `started` is when the request began (its `took_ms`).
fn search_one(
    engine: &Engine,
    req: SearchRequest,
    prepared: Prepared,
    started: Instant,
) -> Result<SearchResponse, ApiError> {
    let page = engine.run_search(&req, prepared)?;
    Ok(SearchResponse::new(
        &req.query,
        &page,
        started.elapsed().as_millis() as u64,
        req.limit,
        req.offset,
    ))
}

/// Searches passages.
#[utoipa::path(get, path = "/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn search(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    let q = checked_query(&state, p.q)?;
    let mode = p.mode;
    let engine = state.engine()?;
    let filters = Filters {
        doc: p.doc,
        kind: p.kind,
    };
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    let offset = p.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("offset must be at most {MAX_OFFSET}"),
        ));
    }
    let req = SearchRequest {
        query: q,
        limit,
        offset,
        filters,
        mode,
    };
    // A small search runs here: handing it to the blocking pool would cost
    // more than the search. One that reads many postings, runs the model or
    // resolves facts against the documents is prepared and run on the pool,
    // under its concurrency limit.
    let started = Instant::now();
    let resp = match engine.prepare_quick(&req)? {
        Some(prepared) => search_one(&engine, req, prepared, started)?,
        None => {
            state
                .blocking(move || {
                    let prepared = engine.prepare_search(&req)?;
                    search_one(&engine, req, prepared, started)
                })
                .await?
        }
    };
    Ok(Json(resp))
}

/// Body of `POST /v1/search/batch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchRequest {
    /// Up to 100 queries.
    #[schema(max_items = 100)]
    pub queries: Vec<String>,
    /// Page size for each, 0 to 100. Default 10.
    #[schema(maximum = 100)]
    #[serde(default, deserialize_with = "super::extract::whole_number")]
    pub limit: Option<usize>,
    /// Only this document.
    pub doc: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// `lexical` or `hybrid`, for every query (default as for `/v1/search`).
    pub mode: Option<SearchMode>,
}

/// One result per query, in order.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BatchResponse {
    /// Same shape as `GET /v1/search`.
    pub results: Vec<SearchResponse>,
}

/// Runs several searches through the same path as `GET /v1/search`.
#[utoipa::path(post, path = "/v1/search/batch", tag = "search", request_body = BatchRequest,
    responses((status = 200, body = BatchResponse), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn batch(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<BatchRequest>,
) -> Result<Json<BatchResponse>, ApiError> {
    if req.queries.len() > MAX_BATCH {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("at most {MAX_BATCH} queries per batch"),
        ));
    }
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIMIT {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("limit must be at most {MAX_LIMIT}"),
        ));
    }
    for q in &req.queries {
        check_length(&state, q)?;
    }
    let engine = state.engine()?;
    let filters = Filters {
        doc: req.doc,
        kind: req.kind,
    };
    let results = state
        .blocking_until(move |cancel| {
            req.queries
                .into_iter()
                .enumerate()
                .map(|(i, q)| {
                    // Up to 100 searches: a request that stopped waiting
                    // stops them.
                    cancel.check()?;
                    let one = SearchRequest {
                        query: q,
                        limit,
                        offset: 0,
                        filters: filters.clone(),
                        mode: req.mode,
                    };
                    let started = Instant::now();
                    engine
                        .prepare_search(&one)
                        .map_err(ApiError::from)
                        .and_then(|prepared| search_one(&engine, one, prepared, started))
                        .map_err(|e| ApiError::new(e.code, format!("query {i}: {}", e.message)))
                })
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?;
    Ok(Json(BatchResponse { results }))
}

/// Query-string parameters of `GET /v1/search/export`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportParams {
    /// The query, as for `/v1/search`.
    #[param(required = true)]
    pub q: Option<String>,
    /// `csv` (default) or `jsonl`.
    pub format: Option<ExportFormat>,
    /// Only this document.
    pub doc: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// `lexical` or `hybrid`, as for `/v1/search` (hybrid reorders the first 100 rows).
    pub mode: Option<SearchMode>,
}

/// How an export is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ExportFormat {
    /// Comma-separated values with a header row and a byte-order mark.
    #[default]
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// One exported hit.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExportRow {
    /// Rank, from 1.
    pub rank: usize,
    /// Passage id.
    pub passage_id: String,
    /// Document id.
    pub doc_id: String,
    /// Document title.
    pub title: String,
    /// Document kind.
    pub kind: String,
    /// Section heading.
    pub section: String,
    /// The ¶ number a reader counts (empty for a caption).
    pub paragraph: Option<usize>,
    /// Char offset in the document.
    pub start: usize,
    /// Char offset one past the passage.
    pub end: usize,
    /// Where the original lives.
    pub url: String,
    /// Hash of the document text.
    pub doc_version: String,
    /// Citation label.
    pub label: String,
    /// The page's link to the passage (`/p/{passage_id}?start=&end=`,
    /// absolute when the request named its host).
    pub permalink: String,
    /// BM25 score (hybrid: the mixed score, 0 to 1, for the first 100 rows).
    pub score: f32,
    /// The passage text.
    pub text: String,
}

impl ExportRow {
    /// The row of the hit at `rank` (from 1); `base` prefixes its permalink.
    fn of(rank: usize, h: &Scored<'_>, base: &str) -> ExportRow {
        let (doc, p) = (h.doc, &h.passage);
        let c: Citation = doc.cite(p, p.span);
        let permalink = super::web::permalink(base, &c);
        ExportRow {
            rank,
            passage_id: c.passage_id,
            doc_id: c.doc_id,
            title: c.title,
            kind: c.kind,
            section: doc.section(p).unwrap_or_default().to_string(),
            paragraph: c.paragraph,
            start: c.start,
            end: c.end,
            url: c.url.unwrap_or_default(),
            doc_version: c.doc_version,
            label: c.label,
            permalink,
            score: h.score,
            text: doc.passage_text(p).to_string(),
        }
    }

    /// The row as CSV cells, in [`EXPORT_HEADERS`] order; text cells go
    /// through [`super::web::csv_text`], so none runs as a formula.
    fn csv_cells(&self) -> [String; 15] {
        let text = |s: &str| super::web::csv_text(s).into_owned();
        [
            self.rank.to_string(),
            text(&self.passage_id),
            text(&self.doc_id),
            text(&self.title),
            text(&self.kind),
            text(&self.section),
            self.paragraph.map(|p| p.to_string()).unwrap_or_default(),
            self.start.to_string(),
            self.end.to_string(),
            text(&self.url),
            self.doc_version.clone(),
            text(&self.label),
            text(&self.permalink),
            self.score.to_string(),
            text(&self.text),
        ]
    }
}

const EXPORT_HEADERS: &[&str] = &[
    "rank",
    "passage_id",
    "doc_id",
    "title",
    "kind",
    "section",
    "paragraph",
    "start",
    "end",
    "url",
    "doc_version",
    "label",
    "permalink",
    "score",
    "text",
];

/// Streams every hit of a query (not one page) as CSV or JSON Lines.
#[utoipa::path(get, path = "/v1/search/export", tag = "search", params(ExportParams),
    responses((status = 200, description = "Every hit, one row each: CSV, or JSON Lines with `format=jsonl`",
                headers(("x-total-count" = usize, description = "Rows the export holds: fewer received means it was cut off")),
                content((ExportRow = "text/csv"), (ExportRow = "application/x-ndjson"))),
              (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn export(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let base = super::web::base_url(state.public_url.as_deref(), &headers);
    let q = checked_query(&state, p.q)?;
    let jsonl = p.format.unwrap_or_default() == ExportFormat::Jsonl;
    let mode = p.mode;
    let engine = state.engine()?;
    let filters = Filters {
        doc: p.doc,
        kind: p.kind,
    };
    // Validated before streaming, so a bad query still gets a JSON error;
    // and counted, so the client can tell a whole export from a cut one.
    // On the blocking pool: the count walks every hit.
    let total = {
        let (engine, query, filters) = (engine.clone(), q.clone(), filters.clone());
        state
            .blocking(move || {
                engine
                    .search(&SearchRequest {
                        query,
                        limit: 0,
                        offset: 0,
                        filters,
                        mode,
                    })
                    .map(|page| page.total)
            })
            .await?
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    // Streaming outlives this handler; its permit goes with it, and is
    // given back whenever the client is slower than the rows.
    let mut sink = Sink {
        tx,
        permit: state.cpu_permit().await?,
    };
    tokio::task::spawn_blocking(move || {
        stream_rows(&engine, &q, filters, mode, jsonl, &base, &mut sink)
    });
    let content_type = if jsonl {
        "application/x-ndjson; charset=utf-8"
    } else {
        "text/csv; charset=utf-8"
    };
    let name = if jsonl {
        "verbatim-export.jsonl"
    } else {
        "verbatim-export.csv"
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            // The rows the export holds: fewer received means it was cut
            // off (a stream that fails midway also ends without HTTP's
            // final chunk, so clients see an incomplete body).
            (HeaderName::from_static(TOTAL_HEADER), total.to_string()),
        ],
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    )
        .into_response())
}

/// The response header with an export's row count.
pub(crate) const TOTAL_HEADER: &str = "x-total-count";

/// Rows per chunk sent to the client.
const CHUNK_ROWS: usize = 256;

fn stream_rows(
    engine: &Arc<Engine>,
    q: &str,
    filters: Filters,
    mode: Option<SearchMode>,
    jsonl: bool,
    base: &str,
    sink: &mut Sink,
) {
    let new_csv = || {
        csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new())
    };
    let mut csv = new_csv();
    let mut buf: Vec<u8> = Vec::new();
    if !jsonl {
        buf.extend_from_slice(super::web::CSV_BOM.as_bytes());
        let _ = csv.write_record(EXPORT_HEADERS);
    }
    let mut rank = 0;
    let mut gone = false;
    let walked = engine.export(q, &filters, mode, &mut |hits| {
        for h in hits {
            rank += 1;
            let row = ExportRow::of(rank, &h, base);
            if jsonl {
                let _ = serde_json::to_writer(&mut buf, &row);
                buf.push(b'\n');
            } else {
                let _ = csv.write_record(row.csv_cells());
            }
            if rank % CHUNK_ROWS == 0
                && !sink.flush(std::mem::replace(&mut csv, new_csv()), &mut buf)
            {
                gone = true;
                return false;
            }
        }
        true
    });
    if let Err(e) = walked {
        sink.send(Err(std::io::Error::other(e.to_string())));
    } else if !gone {
        sink.flush(csv, &mut buf);
    }
}

/// Where an export's rows go.
struct Sink {
    /// The response body's channel.
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    /// The export's CPU permit, given back while the client is behind.
    permit: CpuPermit,
}

impl Sink {
    /// Sends what is buffered; false when the client went away.
    fn flush(&mut self, csv: csv::Writer<Vec<u8>>, buf: &mut Vec<u8>) -> bool {
        if let Ok(mut bytes) = csv.into_inner() {
            buf.append(&mut bytes);
        }
        buf.is_empty() || self.send(Ok(Bytes::from(std::mem::take(buf))))
    }

    /// Sends one chunk, waiting for a slow client without the CPU permit;
    /// false when the client went away.
    fn send(&mut self, chunk: Result<Bytes, std::io::Error>) -> bool {
        use tokio::sync::mpsc::error::TrySendError;
        match self.tx.try_send(chunk) {
            Ok(()) => true,
            Err(TrySendError::Closed(_)) => false,
            Err(TrySendError::Full(chunk)) => {
                let tx = &self.tx;
                self.permit.idle(|| tx.blocking_send(chunk)).is_ok()
            }
        }
    }
}
