//! All integration tests, built into one binary.

mod answers;
mod bad_input;
mod browser;
mod cjk;
mod cli;
mod corpus_errors;
mod crash;
mod docstore;
#[cfg(feature = "failpoints")]
mod faults;
mod fuzz;
mod http_api;
mod http_layers;
mod index_build;
mod invariants;
mod layers;
mod live;
mod ocr;
mod pdf;
mod quotes;
mod reader;
mod readme;
mod scale;
mod search;
mod segmentation;
mod semantic;
mod server;
mod slow_clients;
mod support;
