//! The one facade the CLI and the HTTP API both call, so they can never
//! disagree. Owns the corpus snapshot and the process-wide index reader.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::index::{self, OpenIndex};
use crate::ingest;
use crate::model::{parse_passage_id, Document, Passage, Span};
use crate::search::{self, query, Filters};

/// Largest page a search may ask for.
pub const MAX_LIMIT: usize = 100;

/// Most quotations checked in one draft.
pub const MAX_DRAFT_QUOTES: usize = 200;

/// What a search asks for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The query string in verbatim's syntax.
    pub query: String,
    /// Page size (1..=[`MAX_LIMIT`], or 0 for the total only).
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Extra filters.
    pub filters: Filters,
}

/// One hit, resolved against the corpus.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    /// Its document.
    pub doc: &'a Document,
    /// Its passage.
    pub passage: &'a Passage,
    /// BM25 score.
    pub score: f32,
    /// Matched terms, as absolute char spans into the document.
    pub highlights: Vec<Span>,
}

/// A page of search results.
#[derive(Debug, Clone)]
pub struct SearchPage<'a> {
    /// Exact number of matching passages.
    pub total: usize,
    /// This page's hits, best first.
    pub hits: Vec<Hit<'a>>,
}

/// What opening found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexState {
    /// The index matched the corpus and was opened as is.
    Fresh,
    /// The index was (re)built; the reason says why.
    Rebuilt(String),
    /// Changed files were applied to the index in place.
    Updated(String),
}

/// A consistent snapshot: the documents and the index searcher taken
/// together, so every hit resolves against the documents it was found in.
/// Writes build a new `Engine` and swap it in; requests in flight keep theirs.
pub struct Engine {
    /// Documents in corpus order; every hit resolves against these.
    docs: Vec<Arc<Document>>,
    /// Document id to position in `docs`.
    by_id: HashMap<String, usize>,
    /// The open index (shared by every snapshot of this process).
    index: Arc<OpenIndex>,
    /// The searcher of this snapshot; cloned per request, never reloaded.
    searcher: tantivy::Searcher,
    /// Number of passages, counted once.
    passages: usize,
}

/// Brings the index in line with the corpus: nothing when fresh, an
/// in-place update when only some files changed, a full build otherwise.
pub fn ensure_index(
    corpus: &ingest::Corpus,
    index_dir: &Path,
    force: bool,
    progress: index::Progress,
) -> Result<IndexState> {
    // Checked under the lock: another process may have just built it.
    let _lock = index::lock(index_dir)?;
    index::remove_abandoned_builds(index_dir);
    let manifest = index::current_manifest(index_dir);
    let passages: usize = corpus.documents.iter().map(|d| d.passages.len()).sum();
    let mut full = |why: &str| -> Result<IndexState> {
        index::build(
            index_dir,
            &corpus.documents,
            &corpus.files,
            &corpus.fingerprint,
            &mut *progress,
        )?;
        Ok(IndexState::Rebuilt(why.to_string()))
    };
    let m = match manifest {
        _ if force => return full("rebuild requested"),
        None => return full("no index yet"),
        Some(m) if !m.is_current_version() || m.files.is_empty() => {
            return full("the analysis or the schema changed")
        }
        Some(m) => m,
    };
    if index::open(index_dir).is_err() {
        return full("the index was unreadable");
    }
    if m.fingerprint == corpus.fingerprint {
        return Ok(IndexState::Fresh);
    }
    // Only the files whose content changed, appeared or disappeared.
    let changed: Vec<&String> = corpus
        .files
        .iter()
        .filter(|(p, r)| m.files.get(*p).is_none_or(|o| o.sha256 != r.sha256))
        .map(|(p, _)| p)
        .collect();
    let removed: Vec<&String> = m
        .files
        .keys()
        .filter(|p| !corpus.files.contains_key(*p))
        .collect();
    let mut remove_ids: Vec<String> = Vec::new();
    for p in changed.iter().chain(removed.iter()) {
        if let Some(old) = m.files.get(*p) {
            remove_ids.extend(old.doc_ids.iter().cloned());
        }
    }
    let add_ids: HashSet<&str> = changed
        .iter()
        .flat_map(|p| corpus.files[*p].doc_ids.iter().map(String::as_str))
        .collect();
    let add: Vec<&Document> = corpus
        .documents
        .iter()
        .filter(|d| add_ids.contains(d.meta.id.as_str()))
        .collect();
    let manifest = index::Manifest::new(
        &corpus.fingerprint,
        corpus.documents.len(),
        passages,
        corpus.files.clone(),
    );
    match index::update(index_dir, &remove_ids, &add, &manifest) {
        Ok(()) => Ok(IndexState::Updated(format!(
            "{} changed or new and {} removed file(s) applied in place",
            changed.len(),
            removed.len()
        ))),
        Err(e) => {
            tracing::warn!(error = %e, "in-place update failed; rebuilding");
            full("an in-place update failed")
        }
    }
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
        let mut state = ensure_index(&corpus, index_dir, false, &mut |_| Ok(()))?;
        let index = match index::open(index_dir) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, "index unreadable; rebuilding");
                let _lock = index::lock(index_dir)?;
                index::build(
                    index_dir,
                    &corpus.documents,
                    &corpus.files,
                    &corpus.fingerprint,
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
    pub fn from_parts(docs: Vec<Document>, index: OpenIndex) -> Engine {
        Engine::snapshot(docs.into_iter().map(Arc::new).collect(), Arc::new(index))
    }

    /// A snapshot of `docs` with a fresh searcher of `index`.
    pub fn snapshot(docs: Vec<Arc<Document>>, index: Arc<OpenIndex>) -> Engine {
        let by_id = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.meta.id.clone(), i))
            .collect();
        let passages = docs.iter().map(|d| d.passages.len()).sum();
        let searcher = index.reader.searcher();
        Engine {
            docs,
            by_id,
            index,
            searcher,
            passages,
        }
    }

    /// A new snapshot after a committed write: `replace` documents added or
    /// replaced, `remove` ids dropped. Reloads the reader first.
    pub fn with_changes(&self, replace: Vec<Document>, remove: &[String]) -> Result<Engine> {
        self.index.reader.reload()?;
        let drop: HashSet<&str> = remove
            .iter()
            .map(String::as_str)
            .chain(replace.iter().map(|d| d.meta.id.as_str()))
            .collect();
        let mut docs: Vec<Arc<Document>> = self
            .docs
            .iter()
            .filter(|d| !drop.contains(d.meta.id.as_str()))
            .cloned()
            .collect();
        docs.extend(replace.into_iter().map(Arc::new));
        Ok(Engine::snapshot(docs, self.index.clone()))
    }

    /// This snapshot's searcher.
    pub fn searcher(&self) -> &tantivy::Searcher {
        &self.searcher
    }

    /// The open index (for modules that query it directly, like quote checks).
    pub fn open_index(&self) -> &OpenIndex {
        &self.index
    }

    /// Answers a question with cited sentences (or says it cannot).
    pub fn ask(&self, req: &crate::answer::AskRequest) -> Result<crate::answer::AskResult<'_>> {
        crate::answer::ask(self, req)
    }

    /// Checks one quote against the corpus.
    pub fn check_quote(&self, quote: &str) -> Result<crate::quote::QuoteCheck<'_>> {
        crate::quote::check(self, quote)
    }

    /// Finds and checks every quotation in a draft.
    pub fn check_draft(
        &self,
        draft: &str,
        include_short: bool,
    ) -> Result<crate::wire::DraftResponse> {
        let ranges = crate::draft::find_quotes(draft, include_short);
        if ranges.len() > MAX_DRAFT_QUOTES {
            return Err(Error::InvalidParameter(format!(
                "the draft has {} quotations; at most {MAX_DRAFT_QUOTES} are checked per request",
                ranges.len()
            )));
        }
        let map = crate::model::CharMap::new(draft);
        let mut quotes = Vec::with_capacity(ranges.len());
        for r in ranges {
            let q = &draft[r.clone()];
            let check = match self.check_quote(q) {
                Ok(c) => crate::wire::QuoteCheckResponse::new(q, &c),
                // Over-long quotations in a draft are reported, not fatal.
                Err(Error::QuoteTooLong(_)) => crate::wire::QuoteCheckResponse {
                    quote: q.to_string(),
                    verdict: "not_checked".into(),
                    matched: None,
                    candidates: Vec::new(),
                },
                Err(e) => return Err(e),
            };
            let span = map.span(&r);
            quotes.push(crate::wire::DraftQuote {
                start: span.start,
                end: span.end,
                check,
            });
        }
        Ok(crate::wire::DraftResponse { quotes })
    }

    /// All documents, in corpus order.
    pub fn documents(&self) -> &[Arc<Document>] {
        &self.docs
    }

    /// Total passages in the corpus.
    pub fn passage_count(&self) -> usize {
        self.passages
    }

    /// Bytes on disk of the open index generation.
    pub fn index_size_bytes(&self) -> u64 {
        index::dir_size(&self.index.dir)
    }

    /// A document by id.
    pub fn document(&self, id: &str) -> Option<&Document> {
        self.by_id.get(id).map(|&i| self.docs[i].as_ref())
    }

    /// A passage by id (`{doc}:p{n}`).
    pub fn passage(&self, passage_id: &str) -> Option<(&Document, &Passage)> {
        let (doc_id, n) = parse_passage_id(passage_id)?;
        let doc = self.document(doc_id)?;
        Some((doc, doc.passage(n)?))
    }

    /// Every hit of a query, best first, without highlights (for export).
    pub fn search_all(
        &self,
        query: &str,
        filters: &Filters,
    ) -> Result<Vec<(f32, &Document, &Passage)>> {
        let compiled = search::compile(&query::parse(query), filters, &self.index.fields)?;
        let searcher = &self.searcher;
        let total = searcher.search(compiled.query.as_ref(), &tantivy::collector::Count)?;
        let (_, raw) = search::run(
            searcher,
            &self.index.fields,
            compiled.query.as_ref(),
            total,
            0,
        )?;
        raw.into_iter()
            .map(|r| {
                let (d, p) = self.resolve(&r.passage_id)?;
                Ok((r.score, d, p))
            })
            .collect()
    }

    fn resolve(&self, passage_id: &str) -> Result<(&Document, &Passage)> {
        self.passage(passage_id).ok_or_else(|| {
            Error::IndexUnusable(format!("index names unknown passage {passage_id}"))
        })
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchPage<'_>> {
        if req.limit > MAX_LIMIT {
            return Err(Error::InvalidParameter(format!(
                "limit must be at most {MAX_LIMIT}"
            )));
        }
        let parsed = query::parse(&req.query);
        let compiled = search::compile(&parsed, &req.filters, &self.index.fields)?;
        let searcher = &self.searcher;
        let (total, raw) = search::run_ordered(
            searcher,
            &self.index.fields,
            compiled.query.as_ref(),
            req.limit,
            req.offset,
            if compiled.patterns.is_empty() {
                search::Order::Position
            } else {
                search::Order::Relevance
            },
        )?;
        let mut hits = Vec::with_capacity(raw.len());
        for r in raw {
            let (doc, passage) = self.resolve(&r.passage_id)?;
            hits.push(Hit {
                doc,
                passage,
                score: r.score,
                highlights: search::highlight(doc, passage, &compiled.patterns),
            });
        }
        Ok(SearchPage { total, hits })
    }
}
