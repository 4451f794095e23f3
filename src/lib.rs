//! verbatim answers questions about a set of source documents in the
//! sources' own words: cited passages, never generated claims.
//!
//! # Layers
//! Imports point down, never up and never in a circle (a test,
//! `tests/it/layers.rs`, keeps it so; ARCHITECTURE.md has the map):
//!
//! ```text
//! cli                           the commands
//! mcp                           the read-only API as MCP tools (stdio)
//! http | bench | fuzz           routes, benchmarks, fuzz harnesses
//! live | web                    durable writes while serving; the page
//! engine                        opens, swaps and hands out snapshots; delegates
//! wire                          JSON types, built from domain types
//! quote                         quote verdicts, diffs, draft checks
//! answer                        questions → cited sentences; abstention
//! search | draft                query language → Tantivy; quotations in drafts
//! snapshot                      documents + searcher of one moment; retrieve()
//! index | vectors               schema, manifest, atomic builds; vectors by content
//! ingest                        corpus files → documents
//! embed                         the sentence-embedding model (candle, tokenizers)
//! segment                       passages and sentences with exact offsets
//! analysis                      tokens and folding
//! model | config                domain types; settings
//! error | failpoint             the error enum and the error-code table; test crash points
//! ```
//!
//! Modules are private; this file re-exports what the binary, the fuzz
//! targets, the benchmarks and the integration tests need.

#![warn(unreachable_pub)]

mod analysis;
mod answer;
mod bench;
mod cancel;
mod citations;
pub mod cli;
mod config;
mod docstore;
mod draft;
mod durable;
mod embed;
mod engine;
mod error;
mod failpoint;
pub mod fuzz;
mod http;
mod index;
mod ingest;
mod live;
mod mcp;
mod model;
mod quote;
mod search;
mod segment;
mod snapshot;
mod vectors;
mod web;
pub mod wire;

pub use analysis::{tokenize, Token};
pub use answer::{
    Answer, AskRequest, AskResult, AskStatus, Asks, HighlightKind, QuestionKind, Related,
    MAX_ANSWERS,
};
pub use cancel::Cancel;
pub use citations::{CitationStatus, Place, StoredCitation, Verified, MAX_CITATIONS};
pub use config::{Config, Limits, LogFormat, PdfLimits, ReaderMode, Secret, VectorMode};
pub use engine::Engine;
pub use error::{Error, ErrorCode, Result};
pub use failpoint::FailPoint;
pub use http::{app, run as serve, shutdown_signal, with_layers, AppState};
pub use index::{
    build as build_index, claim_writer, current_generation, ensure_index, fingerprint,
    open as open_index, IndexState, Manifest, OpenIndex, WriterClaim,
};
pub use ingest::frontmatter::FrontMatter;
pub use ingest::pdf::{extract_no_pdfs, extract_pdfs_with, limit_pdfs};
pub use ingest::{
    load_corpus, load_corpus_strict, parse_document, read_scans_in, Corpus, FileRecord, Problem,
};
pub use live::{Live, Mode, NewDocument, WriteError};
pub use model::{
    CacheStats, Citation, DocMeta, Document, Passage, Segmentation, Sentence, Span, Text,
};
pub use quote::{
    DiffOp, DiffPart, DraftCheck, DraftQuote, Note, NoteKind, Piece, QuoteCheck, QuoteMatch,
    Verdict, MAX_DRAFT_QUOTES, MAX_QUOTE_WORDS,
};
pub use search::{Filters, Hit, SearchMode, SearchPage, SearchRequest, MAX_LIMIT};
pub use segment::{segment, Markup};
