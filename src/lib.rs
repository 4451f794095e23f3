//! verbatim answers questions about a set of source documents in the
//! sources' own words: cited passages, never generated claims.
//!
//! # Layout
//! Data flows one way:
//! `corpus files → ingest → segment → index → search → (http | cli)`.
//!
//! - [`model`]: documents, passages, sentences, citations and their offsets.
//! - [`ingest`]: reading corpus files and front matter (IO).
//! - [`segment`]: passages and sentences with exact offsets (pure).
//! - [`analysis`]: tokenization and typographic folding (pure).
//! - [`index`]: schema, atomic generational builds, staleness (IO).
//! - [`search`]: the query language and highlights.
//! - [`answer`]: questions answered with cited sentences, and abstention.
//! - [`quote`], [`draft`]: quote checking and finding quotations in drafts.
//! - [`live`]: durable writes while serving.
//! - [`engine`]: the facade the CLI and HTTP both call.
//! - [`wire`]: the JSON types of the API and `--json`.
//! - [`http`]: the axum router; [`web`]: the embedded page.
//! - [`cli`], [`config`], [`error`]: flags, settings, errors.
//! - [`fuzz`]: fuzz harnesses (any bytes in, invariants checked), shared by
//!   the cargo-fuzz targets in `fuzz/` and the tests.

pub mod analysis;
pub mod answer;
pub mod bench;
pub mod cli;
pub mod config;
pub mod draft;
pub mod engine;
pub mod error;
pub mod fuzz;
pub mod http;
pub mod index;
pub mod ingest;
pub mod live;
pub mod model;
pub mod quote;
pub mod search;
pub mod segment;
pub mod web;
pub mod wire;

pub use error::{Error, ErrorCode, Result};
