//! The one facade the CLI and the HTTP API both call, so they can never
//! disagree. It opens the index (building or updating it first when the
//! corpus changed), holds one [`Snapshot`], and hands it to search, answers
//! and quote checks. It owns no ranking or alignment logic.

use std::path::Path;
use std::sync::Arc;

use crate::answer::{self, AskRequest, AskResult};
use crate::error::Result;
use crate::index::{self, IndexState};
use crate::ingest;
use crate::model::{Document, Passage};
use crate::quote::{self, DraftCheck, QuoteCheck};
use crate::search::{self, Filters, SearchPage, SearchRequest};
use crate::snapshot::{Scored, Snapshot};

/// A consistent snapshot of the corpus and its index, and the operations
/// on it. Writes build a new `Engine` and swap it in; requests in flight
/// keep theirs.
pub struct Engine {
    /// Documents and searcher of one moment.
    snapshot: Snapshot,
}

impl Engine {
    /// Reads the corpus, rebuilds the index if it is stale, and opens it.
    pub fn open(corpus_dir: &Path, index_dir: &Path) -> Result<(Engine, IndexState)> {
        let (engine, state, _) = Engine::open_reporting(corpus_dir, index_dir)?;
        Ok((engine, state))
    }

    /// [`Engine::open`], also returning the corpus files that were skipped.
    pub fn open_reporting(
        corpus_dir: &Path,
        index_dir: &Path,
    ) -> Result<(Engine, IndexState, Vec<ingest::Problem>)> {
        let previous = index::current_manifest(index_dir).map(|m| m.files);
        let mut corpus = ingest::load_corpus_with(corpus_dir, previous.as_ref())?;
        let mut state = index::ensure_index(&corpus, index_dir, false, &mut |_| Ok(()))?;
        let index = match index::open(index_dir) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, "index unreadable; rebuilding");
                let _lock = index::lock(index_dir)?;
                index::build(
                    index_dir,
                    &corpus.documents,
                    &corpus.files,
                    &index::fingerprint(&corpus.files),
                    &mut |_| Ok(()),
                )?;
                state = IndexState::Rebuilt(format!("the index was unreadable ({e})"));
                index::open(index_dir)?
            }
        };
        let problems = std::mem::take(&mut corpus.problems);
        Ok((Engine::from_parts(corpus.documents, index), state, problems))
    }

    /// Indexes in-memory documents into `index_dir` and opens them (for
    /// importers and benchmarks that do not read a corpus folder).
    pub fn build(docs: Vec<Document>, index_dir: &Path) -> Result<Engine> {
        let _lock = index::lock(index_dir)?;
        index::build(
            index_dir,
            &docs,
            &Default::default(),
            "in-memory",
            &mut |_| Ok(()),
        )?;
        Ok(Engine::from_parts(docs, index::open(index_dir)?))
    }

    /// Assembles an engine from documents and the index built from them.
    fn from_parts(docs: Vec<Document>, index: index::OpenIndex) -> Engine {
        Engine {
            snapshot: Snapshot::new(docs.into_iter().map(Arc::new).collect(), Arc::new(index)),
        }
    }

    /// A new engine after a committed write: `replace` documents added or
    /// replaced, `remove` ids dropped.
    pub(crate) fn with_changes(&self, replace: Vec<Document>, remove: &[String]) -> Result<Engine> {
        Ok(Engine {
            snapshot: self.snapshot.with_changes(replace, remove)?,
        })
    }

    /// The snapshot every operation reads (for benchmarks that score
    /// candidates directly).
    pub(crate) fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchPage<'_>> {
        search::search(&self.snapshot, req)
    }

    /// Every hit of a query, best first, without highlights (for export).
    pub(crate) fn search_all(&self, query: &str, filters: &Filters) -> Result<Vec<Scored<'_>>> {
        search::search_all(&self.snapshot, query, filters)
    }

    /// Answers a question with cited sentences (or says it cannot).
    pub fn ask(&self, req: &AskRequest) -> Result<AskResult<'_>> {
        answer::ask(&self.snapshot, req)
    }

    /// Checks one quote against the corpus.
    pub fn check_quote(&self, quote: &str) -> Result<QuoteCheck<'_>> {
        quote::check(&self.snapshot, quote)
    }

    /// Finds and checks every quotation in a draft.
    pub fn check_draft(&self, draft: &str, include_short: bool) -> Result<DraftCheck<'_>> {
        quote::check_draft(&self.snapshot, draft, include_short)
    }

    /// All documents, in corpus order.
    pub fn documents(&self) -> &[Arc<Document>] {
        self.snapshot.documents()
    }

    /// Total passages in the corpus.
    pub fn passage_count(&self) -> usize {
        self.snapshot.passage_count()
    }

    /// Bytes on disk of the open index generation.
    pub fn index_size_bytes(&self) -> u64 {
        self.snapshot.index_size_bytes()
    }

    /// A document by id.
    pub fn document(&self, id: &str) -> Option<&Document> {
        self.snapshot.document(id)
    }

    /// A passage by id (`{doc}:p{n}`).
    pub fn passage(&self, passage_id: &str) -> Option<(&Document, &Passage)> {
        self.snapshot.passage(passage_id)
    }
}
