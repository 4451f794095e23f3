//! The one facade the CLI and the HTTP API both call, so they can never
//! disagree. It opens the index (building or updating it first when the
//! corpus changed), holds one [`Snapshot`], and hands it to search, answers
//! and quote checks. It owns no ranking or alignment logic.

use std::path::Path;
use std::sync::Arc;

use crate::answer::{self, AskRequest, AskResult};
use crate::cancel::Cancel;
use crate::citations::{self, StoredCitation, Verified};
use crate::config::{ReaderMode, VectorMode, AUTO_VECTOR_PASSAGES};
use crate::docstore;
use crate::embed;
use crate::error::{Error, Result};
use crate::index::{self, IndexState};
use crate::ingest;
use crate::model::{Document, Passage};
use crate::quote::{self, DraftCheck, QuoteCheck};
use crate::search::{self, Filters, SearchMode, SearchPage, SearchRequest};
use crate::snapshot::{Scored, Snapshot};
use crate::vectors::Semantic;

/// Missing texts embedded before `open` returns; more are embedded in the
/// background while the engine answers lexically (at the 20-80 texts a
/// second measured on SciFact and SQuAD, under a minute or two, so small
/// corpora are hybrid from the first request).
const SYNC_FILL_TEXTS: usize = 3_000;

/// What a live write goes through: the open index it commits to and,
/// when vectors are on, the vectors its documents must have first. A write
/// needs nothing else, so it never reads the rest of the corpus.
#[derive(Clone, Copy)]
pub(crate) struct WriteTarget<'a> {
    /// The generation the write commits to (and the manifest it carries).
    pub(crate) index: &'a index::OpenIndex,
    /// The vectors, `None` when vectors are off.
    pub(crate) semantic: Option<&'a Semantic>,
}

impl WriteTarget<'_> {
    /// Embeds (and persists) the vectors of documents about to be written,
    /// so a live write is acknowledged only once they exist. Nothing when
    /// vectors are off. Stops with [`crate::error::Error::Cancelled`]
    /// between model calls once `cancel` is up.
    pub(crate) fn embed(&self, docs: &[Document], cancel: &Cancel) -> Result<()> {
        if let Some(s) = self.semantic {
            s.fill_until(docs.iter(), cancel)?;
        }
        Ok(())
    }
}

/// An index opened for writing alone, without reading the corpus (for
/// `verbatim add` and `remove`): its cost is the write's, whatever the
/// corpus holds.
pub(crate) struct Writer {
    /// The live generation.
    index: index::OpenIndex,
    /// The vectors, when on for an index of this size.
    semantic: Option<Semantic>,
}

impl Writer {
    /// Opens the index for writing, or `None` when it must be built or
    /// brought up to date from the corpus first (no index, another
    /// analysis or schema version, or passages the manifest does not
    /// account for): then open an [`Engine`], which does that.
    pub(crate) fn open(index_dir: &Path, vectors: VectorMode) -> Result<Option<Writer>> {
        let Ok(index) = index::open(index_dir) else {
            return Ok(None);
        };
        let Ok(manifest) = index.manifest() else {
            return Ok(None);
        };
        if !manifest.updatable() || !index.agrees_with(&manifest) {
            return Ok(None);
        }
        let passages = manifest.passages;
        drop(manifest);
        let semantic = if vectors_on(passages, vectors) {
            Some(Semantic::open(&embed::default_dir(), index_dir)?)
        } else {
            None
        };
        Ok(Some(Writer { index, semantic }))
    }

    /// What a write through this writer goes through.
    pub(crate) fn target(&self) -> WriteTarget<'_> {
        WriteTarget {
            index: &self.index,
            semantic: self.semantic.as_ref(),
        }
    }
}

/// A consistent snapshot of the corpus and its index, and the operations
/// on it. Writes build a new `Engine` and swap it in; requests in flight
/// keep theirs.
pub struct Engine {
    /// Documents and searcher of one moment.
    snapshot: Snapshot,
    /// Whether `ask` runs the answer reader (set once at open; kept by
    /// every engine a write makes from this one).
    reader: ReaderMode,
}

impl Engine {
    /// Reads the corpus, rebuilds the index if it is stale, and opens it,
    /// with vectors as `auto` sets them.
    pub fn open(corpus_dir: &Path, index_dir: &Path) -> Result<(Engine, IndexState)> {
        let (engine, state, _) = Engine::open_reporting(corpus_dir, index_dir, VectorMode::Auto)?;
        Ok((engine, state))
    }

    /// Opens the index as another process (a running server, the holder
    /// of the writer claim) last committed it, and never writes it: no
    /// build, no update in place, no document store. The corpus is read
    /// only to get the documents' text, so it must be what that commit
    /// indexed; when a file changed since, this is [`Error::IndexBusy`]
    /// (the owner, not a reader, brings the index up to date). The caches
    /// keyed by content (vectors, PDF text) may still be added to: they
    /// are shared by design (appends are locked, entries renamed in).
    pub fn open_read_only(
        corpus_dir: &Path,
        index_dir: &Path,
        vectors: VectorMode,
    ) -> Result<(Engine, Vec<ingest::Problem>)> {
        let busy = |why: &str| {
            Error::IndexBusy(format!(
                "process {} (a running `verbatim serve`) writes {}, and {why}; ask it over HTTP, or stop it and run this again",
                index::writer_pid(index_dir),
                index_dir.display()
            ))
        };
        let index = index::open(index_dir).map_err(|_| busy("its index is not open yet"))?;
        let manifest = index
            .manifest()
            .map_err(|_| busy("its index has no readable manifest"))?;
        if !manifest.updatable() || !index.agrees_with(&manifest) {
            return Err(busy("its index is being rebuilt"));
        }
        let mut corpus = read_corpus(corpus_dir, index_dir, Some(&manifest.files))?;
        if index::fingerprint(&corpus.files) != manifest.fingerprint {
            return Err(busy(
                "the corpus folder changed since it last committed (a file was added, edited or removed by hand)",
            ));
        }
        drop(manifest);
        let problems = std::mem::take(&mut corpus.problems);
        let docs: Vec<Arc<Document>> = corpus.documents.into_iter().map(Arc::new).collect();
        let semantic = semantic_for(&docs, index_dir, vectors, false)?;
        Ok((Engine::from_parts(docs, index, semantic)?, problems))
    }

    /// [`Engine::open`] with a vectors setting, also returning the corpus
    /// files that were skipped.
    pub fn open_reporting(
        corpus_dir: &Path,
        index_dir: &Path,
        vectors: VectorMode,
    ) -> Result<(Engine, IndexState, Vec<ingest::Problem>)> {
        // One open of the live generation serves both the corpus read
        // (its file records let unchanged files skip re-reading) and the
        // sync, so the file log is parsed once per start.
        let opened = index::open(index_dir).ok();
        let mut corpus = {
            let held = opened.as_ref().and_then(|g| g.manifest().ok());
            read_corpus(corpus_dir, index_dir, held.as_ref().map(|m| &m.files))?
        };
        let (mut state, synced) = index::sync(&corpus, index_dir, false, opened, &mut |_| Ok(()))?;
        let index = match synced.map_or_else(|| index::open(index_dir), Ok) {
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
        if corpus.keep(index_dir) {
            corpus.read_back(index_dir);
        }
        let problems = std::mem::take(&mut corpus.problems);
        let docs: Vec<Arc<Document>> = corpus.documents.into_iter().map(Arc::new).collect();
        let semantic = semantic_for(&docs, index_dir, vectors, false)?;
        Ok((Engine::from_parts(docs, index, semantic)?, state, problems))
    }

    /// Indexes in-memory documents into `index_dir` and opens them (for
    /// importers and benchmarks that do not read a corpus folder). Vectors,
    /// unless `off`, are all embedded before it returns.
    pub fn build(docs: Vec<Document>, index_dir: &Path, vectors: VectorMode) -> Result<Engine> {
        let _lock = index::lock(index_dir)?;
        index::build(
            index_dir,
            &docs,
            &Default::default(),
            "in-memory",
            &mut |_| Ok(()),
        )?;
        let docs: Vec<Arc<Document>> = docs.into_iter().map(Arc::new).collect();
        let semantic = semantic_for(&docs, index_dir, vectors, true)?;
        Engine::from_parts(docs, index::open(index_dir)?, semantic)
    }

    /// Assembles an engine from documents and the index built from them.
    fn from_parts(
        docs: Vec<Arc<Document>>,
        index: index::OpenIndex,
        semantic: Option<Arc<Semantic>>,
    ) -> Result<Engine> {
        Ok(Engine {
            snapshot: Snapshot::new(docs, Arc::new(index), semantic)?,
            reader: ReaderMode::Off,
        })
    }

    /// What a live write to this engine's index goes through; the caller
    /// then builds the next engine with [`Engine::with_changes`].
    pub(crate) fn write_target(&self) -> WriteTarget<'_> {
        WriteTarget {
            index: self.snapshot.open_index(),
            semantic: self.snapshot.semantic(),
        }
    }

    /// A new engine after a committed write: `replace` documents added or
    /// replaced, `remove` ids dropped. Costs what the write changed, not
    /// the corpus.
    pub(crate) fn with_changes(&self, replace: Vec<Document>, remove: &[String]) -> Result<Engine> {
        Ok(Engine {
            snapshot: self.snapshot.with_changes(replace, remove)?,
            reader: self.reader,
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

    /// Parses and compiles a search.
    pub(crate) fn prepare_search(&self, req: &SearchRequest) -> Result<search::Prepared> {
        search::prepare(&self.snapshot, req)
    }

    /// Parses and compiles a search when both that and running it are
    /// cheap enough for the caller's thread; `None` when the whole search
    /// belongs on the blocking pool ([`search::prepare_quick`]).
    pub(crate) fn prepare_quick(&self, req: &SearchRequest) -> Result<Option<search::Prepared>> {
        search::prepare_quick(&self.snapshot, req)
    }

    /// Runs a prepared search.
    pub(crate) fn run_search(
        &self,
        req: &SearchRequest,
        prepared: search::Prepared,
    ) -> Result<SearchPage<'_>> {
        search::run_prepared(&self.snapshot, req, prepared)
    }

    /// Hands every hit of a query to `each` in the pages' order, without
    /// highlights, in batches (for export), until `each` answers false;
    /// memory follows a batch, not the hit count.
    pub(crate) fn export<'a>(
        &'a self,
        query: &str,
        filters: &Filters,
        mode: Option<SearchMode>,
        each: &mut dyn FnMut(Vec<Scored<'a>>) -> bool,
    ) -> Result<()> {
        search::export(
            &self.snapshot,
            query,
            filters,
            mode,
            search::EXPORT_BATCH,
            each,
        )
    }

    /// Answers a question with cited sentences (or says it cannot).
    pub fn ask(&self, req: &AskRequest) -> Result<AskResult<'_>> {
        self.ask_until(req, &Cancel::never())
    }

    /// [`Engine::ask`], stopping with [`crate::error::Error::Cancelled`]
    /// between its phases once `cancel` is raised.
    pub(crate) fn ask_until(&self, req: &AskRequest, cancel: &Cancel) -> Result<AskResult<'_>> {
        answer::ask(&self.snapshot, req, self.reader, cancel)
    }

    /// [`Engine::ask`] with the reader model on or off (benchmarks measure
    /// what it buys in one run).
    pub(crate) fn ask_with(&self, req: &AskRequest, reader: ReaderMode) -> Result<AskResult<'_>> {
        answer::ask(&self.snapshot, req, reader, &Cancel::never())
    }

    /// This engine with the answer reader on or off. On loads the reader
    /// now (with vectors on), so a missing or altered model file is an
    /// error at open, naming the file, never at the first question.
    pub fn with_reader(mut self, reader: ReaderMode) -> Result<Engine> {
        if reader == ReaderMode::On {
            if let Some(v) = self.snapshot.vectors() {
                v.reader()?;
            }
        }
        self.reader = reader;
        Ok(self)
    }

    /// Checks one quote against the corpus.
    pub fn check_quote(&self, quote: &str) -> Result<QuoteCheck<'_>> {
        quote::check(&self.snapshot, quote)
    }

    /// Re-checks stored citations against the sources as they are now.
    pub fn verify_citations(&self, cited: &[StoredCitation]) -> Result<Vec<Verified<'_>>> {
        self.verify_citations_until(cited, &Cancel::never())
    }

    /// [`Engine::verify_citations`], stopping with
    /// [`crate::error::Error::Cancelled`] between citations once `cancel`
    /// is raised.
    pub fn verify_citations_until(
        &self,
        cited: &[StoredCitation],
        cancel: &Cancel,
    ) -> Result<Vec<Verified<'_>>> {
        citations::verify(&self.snapshot, cited, cancel)
    }

    /// Finds and checks every quotation in a draft.
    pub fn check_draft(&self, draft: &str, include_short: bool) -> Result<DraftCheck<'_>> {
        self.check_draft_until(draft, include_short, &Cancel::never())
    }

    /// [`Engine::check_draft`], stopping with [`crate::error::Error::Cancelled`]
    /// between quotations once `cancel` is raised.
    pub fn check_draft_until(
        &self,
        draft: &str,
        include_short: bool,
        cancel: &Cancel,
    ) -> Result<DraftCheck<'_>> {
        quote::check_draft(&self.snapshot, draft, include_short, cancel)
    }

    /// All documents, in corpus order.
    pub fn documents(&self) -> impl Iterator<Item = &Arc<Document>> + '_ {
        self.snapshot.documents()
    }

    /// The documents from place `from` in corpus order on, with their
    /// places (for paging: a page starts where the last one ended).
    pub(crate) fn documents_from(
        &self,
        from: usize,
    ) -> impl Iterator<Item = (usize, &Arc<Document>)> + '_ {
        self.snapshot.documents_from(from)
    }

    /// The place in corpus order of the document with `id`.
    pub(crate) fn document_place(&self, id: &str) -> Option<usize> {
        self.snapshot.slot_of(id)
    }

    /// The document at place `place` in corpus order, if one is there.
    pub(crate) fn document_at(&self, place: usize) -> Option<&Arc<Document>> {
        self.snapshot.document_at(place)
    }

    /// Number of documents.
    pub fn document_count(&self) -> usize {
        self.snapshot.document_count()
    }

    /// Total passages in the corpus.
    pub fn passage_count(&self) -> usize {
        self.snapshot.passage_count()
    }

    /// Bytes of document text (mapped from the document store, on the
    /// heap): a served corpus that was read back from the store has none
    /// on the heap but what live writes added since.
    pub fn text_bytes(&self) -> (usize, usize) {
        self.snapshot.text_bytes()
    }

    /// Vectors held and texts still waiting for one, when vectors are on.
    pub fn vector_counts(&self) -> Option<(usize, usize)> {
        self.snapshot.vectors().map(|v| (v.len(), v.pending()))
    }

    /// The recent query vectors held, and the look-ups they answered and
    /// missed since start, when vectors are on (the model's vectors are
    /// shared by the process, so these count every engine's queries).
    pub fn query_vector_cache(&self) -> Option<crate::model::CacheStats> {
        self.snapshot.vectors().map(|v| v.query_cache())
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
    pub fn passage(&self, passage_id: &str) -> Option<(&Document, Passage)> {
        self.snapshot.passage(passage_id)
    }
}

/// Embeds every text of `docs` that the vector log of `index_dir` lacks,
/// now (for `verbatim index`); returns how many it embedded, or `None`
/// when vectors are off.
pub(crate) fn embed_corpus(
    docs: &[Document],
    index_dir: &Path,
    mode: VectorMode,
) -> Result<Option<usize>> {
    let Some((semantic, missing)) = corpus_semantic(docs.iter(), index_dir, mode)? else {
        return Ok(None);
    };
    if missing == 0 {
        return Ok(Some(0));
    }
    semantic.fill(docs.iter()).map(Some)
}

/// The vectors of a corpus of `docs` ([`Semantic::open_for`]) with how
/// many of its texts lack one, or `None` when vectors are off for it.
fn corpus_semantic<'d>(
    docs: impl Iterator<Item = &'d Document> + Clone,
    index_dir: &Path,
    mode: VectorMode,
) -> Result<Option<(Semantic, usize)>> {
    let passages = docs.clone().map(|d| d.segments.len()).sum();
    if !vectors_on(passages, mode) {
        return Ok(None);
    }
    Semantic::open_for(&embed::default_dir(), index_dir, docs).map(Some)
}

/// Whether a corpus of `passages` has vectors under `mode`: not when
/// `off`, nor under `auto` above [`AUTO_VECTOR_PASSAGES`].
fn vectors_on(passages: usize, mode: VectorMode) -> bool {
    match mode {
        VectorMode::Off => false,
        VectorMode::Auto if passages > AUTO_VECTOR_PASSAGES => {
            tracing::info!(
                passages,
                limit = AUTO_VECTOR_PASSAGES,
                "vectors are off above the automatic limit; set vectors = \"on\" to build them"
            );
            false
        }
        VectorMode::Auto | VectorMode::On => true,
    }
}

/// The corpus as its files are now, each unchanged file's documents read
/// back from the document store (and its pages of the PDF text cache)
/// rather than parsed again; `previous` is the manifest's record of the
/// files, by which unchanged ones are known.
pub(crate) fn read_corpus(
    corpus_dir: &Path,
    index_dir: &Path,
    previous: Option<&std::collections::BTreeMap<String, ingest::FileRecord>>,
) -> Result<ingest::Corpus> {
    let store = docstore::Store::open(index_dir);
    let corpus = ingest::load_corpus_with(
        corpus_dir,
        previous,
        Some(&index::pdf_texts(index_dir)),
        store.as_ref(),
    )?;
    if let Some(s) = store {
        s.release();
    }
    Ok(corpus)
}

/// The vectors an engine runs with ([`vectors_on`]), with every text of
/// `docs` embedded now when few are missing (or when `wait`), else in a
/// background thread while the engine starts lexical.
fn semantic_for(
    docs: &[Arc<Document>],
    index_dir: &Path,
    mode: VectorMode,
    wait: bool,
) -> Result<Option<Arc<Semantic>>> {
    let Some((semantic, missing)) =
        corpus_semantic(docs.iter().map(|d| d.as_ref()), index_dir, mode)?
    else {
        return Ok(None);
    };
    let semantic = Arc::new(semantic);
    if missing == 0 {
        return Ok(Some(semantic));
    }
    if wait || missing <= SYNC_FILL_TEXTS {
        semantic.fill(docs.iter().map(|d| d.as_ref()))?;
        return Ok(Some(semantic));
    }
    tracing::info!(
        missing,
        "embedding passages and sentences in the background; search is lexical until done"
    );
    let (s, docs) = (semantic.clone(), docs.to_vec());
    let spawned = std::thread::Builder::new()
        .name("vectors".into())
        .spawn(move || match s.fill(docs.iter().map(|d| d.as_ref())) {
            Ok(n) => tracing::info!(embedded = n, "vectors ready: search is hybrid"),
            Err(e) => tracing::error!(error = %e, "embedding stopped; search stays lexical for the texts left"),
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the embedding thread; search stays lexical");
    }
    Ok(Some(semantic))
}
