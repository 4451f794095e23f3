//! The on-disk index: atomic builds into generations, the manifest with the
//! corpus fingerprint, and opening the current generation.
//!
//! Layout of the index directory:
//! - `CURRENT`: the name of the live generation, replaced atomically;
//! - `gen-<n>/`: a complete Tantivy index; the manifest's header (what it
//!   was built from: fingerprint, counts, versions) is the payload of its
//!   latest Tantivy commit, so the index and its manifest change together
//!   in one atomic step; the manifest's file records are in `files.log`
//!   beside it, append-only, of which the header vouches for a prefix;
//! - `.build-<pid>-<n>/`: a build in progress, renamed to `gen-<n>` when done.
//!
//! A build never touches the live generation, so an interrupted build leaves
//! the previous index intact, and a running server keeps reading its own
//! generation until it reopens. The previous generation is kept on disk so a
//! process that still has it open is never left with missing files.

mod files_log;
mod manifest;
mod schema;

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};

use crate::error::{Error, Result};
use crate::failpoint::{self, FailPoint};
use crate::ingest::{self, FileRecord};
use crate::model::Document;
pub(crate) use files_log::FileChange;
pub use manifest::{fingerprint, Manifest};
pub(crate) use schema::Fields;

/// An opened generation: one reader per process, searchers per request.
pub struct OpenIndex {
    /// The Tantivy index.
    pub index: Index,
    /// The process-wide reader.
    pub reader: IndexReader,
    /// Field handles.
    pub fields: Fields,
    /// What the generation holds as of this process's last look at its
    /// latest commit: kept, so a write reads only the file log's lines
    /// that commits of other processes added, not every record again.
    manifest: Mutex<Manifest>,
    /// Directory of the generation (for size reporting).
    pub dir: PathBuf,
    /// The writer live writes go through: opened on the first write and
    /// kept, so segment merges run in its background threads instead of
    /// inside a write (and read the same `Index` the searchers do).
    writer: std::sync::Mutex<Option<tantivy::IndexWriter>>,
}

/// One commit's change: what [`OpenIndex::apply`] removes, adds and records.
pub(crate) struct Change<'a> {
    /// Ids of the documents to remove.
    pub(crate) remove: &'a [String],
    /// Documents to add (replacing any with the same id).
    pub(crate) add: &'a [&'a Document],
    /// The file records that change, appended to the file log.
    pub(crate) files: Vec<FileChange>,
    /// Documents the index holds after the change.
    pub(crate) documents: usize,
    /// Passages the index holds after the change.
    pub(crate) passages: usize,
}

/// The error for a generation whose manifest cannot be read.
fn no_manifest(dir: &Path) -> Error {
    Error::IndexUnusable(format!("{} has no readable manifest", dir.display()))
}

/// Memory budget of the live-write writer (Tantivy's minimum is 15 MB).
const LIVE_WRITER_BYTES: usize = 50_000_000;

impl OpenIndex {
    /// The manifest of the latest commit (live writes move it on): the
    /// header read from the index itself, and the file records brought up
    /// to date from the file log's lines added since this process last
    /// looked. Writers hold [`lock`] while they hold the guard.
    pub fn manifest(&self) -> Result<MutexGuard<'_, Manifest>> {
        let mut held = self.manifest.lock().unwrap_or_else(|e| e.into_inner());
        let header = header_of(&self.index).ok_or_else(|| no_manifest(&self.dir))?;
        if header.files_log != held.files_log {
            let from = if header.files_log > held.files_log {
                held.files_log
            } else {
                held.files.clear();
                0
            };
            let bytes = files_log::read(&self.dir, from, header.files_log)?;
            files_log::replay(&bytes, &mut held.files, &files_log::path_in(&self.dir))?;
        }
        held.take_header(header);
        Ok(held)
    }

    /// Whether the generation holds as many passages as `manifest`
    /// records. The manifest travels in the commit, so the two disagree
    /// only when something outside verbatim changed the index (logged).
    pub(crate) fn agrees_with(&self, manifest: &Manifest) -> bool {
        let held = self.reader.searcher().num_docs() as usize;
        if held != manifest.passages {
            tracing::warn!(
                held,
                manifest = manifest.passages,
                "the index holds another number of passages than its manifest records"
            );
        }
        held == manifest.passages
    }

    /// How many passages the documents `ids` hold as of the last commit:
    /// what a write removes, counted in the index itself (so a write needs
    /// no copy of the documents, and the manifest's count cannot drift
    /// from the index's).
    pub(crate) fn passages_of(&self, ids: &[String]) -> Result<usize> {
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let mut n = 0;
        for id in ids {
            let term = tantivy::Term::from_field_text(self.fields.doc_id, id);
            let query =
                tantivy::query::TermQuery::new(term, tantivy::schema::IndexRecordOption::Basic);
            n += searcher.search(&query, &tantivy::collector::Count)?;
        }
        Ok(n)
    }

    /// Applies a live write: removes the documents `change.remove`, adds
    /// `change.add` (replacing any with the same id), appends its file
    /// changes to the file log, and commits with the new header in the
    /// same commit. Returns once committed, `manifest` (the guard of
    /// [`OpenIndex::manifest`]) moved on; merges the commit sets off go on
    /// in the background. A failed write is rolled back, its writer
    /// dropped and `manifest` left as it was, so the next write starts
    /// from the last commit. Callers hold [`lock`].
    pub(crate) fn apply(&self, manifest: &mut Manifest, change: Change<'_>) -> Result<()> {
        let Change {
            remove,
            add,
            files,
            documents,
            passages,
        } = change;
        let mut header = manifest.header();
        header.fingerprint = manifest.fingerprint_after(&files);
        header.documents = documents;
        header.passages = passages;
        let lines = files_log::encode(&files);
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(self.index.writer_with_num_threads(1, LIVE_WRITER_BYTES)?);
        }
        let writer = guard.as_mut().expect("opened above");
        let result = (|| -> Result<()> {
            for id in remove.iter().chain(add.iter().map(|d| &d.meta.id)) {
                writer.delete_term(tantivy::Term::from_field_text(self.fields.doc_id, id));
            }
            for d in add {
                add_document(writer, &self.fields, d)?;
            }
            header.files_log = files_log::append(&self.dir, manifest.files_log, &lines)?;
            failpoint::hit(FailPoint::FilesLogged);
            commit_with(writer, &header)
        })();
        if result.is_err() {
            let _ = writer.rollback();
            *guard = None;
            return result;
        }
        manifest.apply_changes(files);
        manifest.take_header(header);
        Ok(())
    }

    /// Waits for the merges live writes set off, then closes the writer
    /// (for a one-off change, such as the start-up sync, that should leave
    /// the generation merged).
    fn finish_merges(&self) -> Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        match writer {
            Some(w) => Ok(w.wait_merging_threads()?),
            None => Ok(()),
        }
    }
}

const CURRENT: &str = "CURRENT";

/// Writes `bytes` to `path` durably: temp file, fsync, rename, fsync dir.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::durable::replace(path, |out| out.write_all(bytes)).map(drop)
}

/// Takes the index directory's build lock (blocking until other builders
/// finish). Builds are serialized across processes; readers never lock.
/// The lock is released when the returned file is dropped.
pub(crate) fn lock(index_dir: &Path) -> Result<fs::File> {
    fs::create_dir_all(index_dir).map_err(|e| Error::io(index_dir, e))?;
    let path = index_dir.join(".lock");
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    f.lock().map_err(|e| Error::io(&path, e))?;
    Ok(f)
}

/// The right to write an index: held by a server for its whole life, and
/// by a CLI write for the write, so a CLI never changes an index under a
/// server that would not see the change. Released when dropped.
pub struct WriterClaim {
    /// The locked `index/.writer` file (it holds the claimant's pid).
    _file: fs::File,
}

/// Claims `index_dir` for writing, or fails at once with
/// [`Error::IndexBusy`] naming the process that holds it.
pub fn claim_writer(index_dir: &Path) -> Result<WriterClaim> {
    fs::create_dir_all(index_dir).map_err(|e| Error::io(index_dir, e))?;
    let path = index_dir.join(".writer");
    let mut f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match f.try_lock() {
        Ok(()) => {
            f.set_len(0)
                .and_then(|()| write!(f, "{}", std::process::id()))
                .map_err(|e| Error::io(&path, e))?;
            Ok(WriterClaim { _file: f })
        }
        Err(fs::TryLockError::WouldBlock) => {
            Err(Error::IndexBusy(format!(
                "process {} (a running `verbatim serve`) writes {}; add or remove documents through its HTTP API (/v1/documents), or stop it first",
                writer_pid(index_dir),
                index_dir.display()
            )))
        }
        Err(fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

/// The process that holds `index_dir`'s writer claim, as its claim file
/// names it (`unknown` when it cannot be read).
pub(crate) fn writer_pid(index_dir: &Path) -> String {
    fs::read_to_string(index_dir.join(".writer"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The live generation's directory, if there is one.
pub fn current_generation(index_dir: &Path) -> Option<PathBuf> {
    let name = fs::read_to_string(index_dir.join(CURRENT)).ok()?;
    let name = name.trim();
    let valid = name.starts_with("gen-") && !name.contains(['/', '\\']);
    valid.then(|| index_dir.join(name))
}

/// The manifest header a generation's last commit carries, if readable.
fn header_of(index: &Index) -> Option<Manifest> {
    serde_json::from_str(&index.load_metas().ok()?.payload?).ok()
}

/// The whole manifest of a generation's last commit: its header, and the
/// file records replayed from the prefix of the file log it vouches for.
fn manifest_of(index: &Index, dir: &Path) -> Result<Manifest> {
    let mut m = header_of(index).ok_or_else(|| no_manifest(dir))?;
    let bytes = files_log::read(dir, 0, m.files_log)?;
    files_log::replay(&bytes, &mut m.files, &files_log::path_in(dir))?;
    Ok(m)
}

/// Commits `writer`'s changes with `manifest`'s header as the commit's
/// payload: the two become visible together or not at all.
fn commit_with(writer: &mut tantivy::IndexWriter, manifest: &Manifest) -> Result<()> {
    let json = serde_json::to_string(manifest).expect("manifest serializes");
    let mut prepared = writer.prepare_commit()?;
    failpoint::hit(FailPoint::IndexPrepared);
    prepared.set_payload(&json);
    prepared.commit()?;
    Ok(())
}

/// Opens the live generation.
pub fn open(index_dir: &Path) -> Result<OpenIndex> {
    let dir = current_generation(index_dir)
        .ok_or_else(|| Error::IndexUnusable(format!("no index in {}", index_dir.display())))?;
    let index = Index::open_in_dir(&dir)?;
    let manifest = manifest_of(&index, &dir)?;
    schema::register_analyzers(&index);
    let fields = schema::fields_of(&index.schema())?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok(OpenIndex {
        index,
        reader,
        fields,
        manifest: Mutex::new(manifest),
        dir,
        writer: std::sync::Mutex::new(None),
    })
}

/// Progress callback of a build: called after each document with the count
/// so far; returning an error aborts the build (used for cancellation and to
/// test interrupted builds).
pub(crate) type Progress<'a> = &'a mut dyn FnMut(usize) -> Result<()>;

/// Adds one document's passages to a writer.
pub(crate) fn add_document(
    writer: &tantivy::IndexWriter,
    fields: &Fields,
    d: &Document,
) -> tantivy::Result<()> {
    for p in d.passages() {
        let mut td = TantivyDocument::default();
        td.add_text(fields.doc_id, &d.meta.id);
        td.add_text(fields.kind, &d.meta.kind);
        let text = d.passage_text(&p);
        td.add_text(fields.body, text);
        td.add_text(fields.exact, text);
        td.add_u64(fields.paragraph, p.number as u64);
        writer.add_document(td)?;
    }
    Ok(())
}

/// Builds a new generation from `docs` and makes it live atomically.
/// Callers hold [`lock`] so concurrent builders cannot remove each other's
/// generations.
pub fn build(
    index_dir: &Path,
    docs: &[Document],
    files: &BTreeMap<String, FileRecord>,
    fingerprint: &str,
    progress: Progress,
) -> Result<Manifest> {
    fs::create_dir_all(index_dir).map_err(|e| Error::io(index_dir, e))?;
    remove_abandoned_builds(index_dir);
    let stamp = ingest::now_ns();
    let tmp = index_dir.join(format!(".build-{}-{stamp}", std::process::id()));
    fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let result = build_into(&tmp, docs, files, fingerprint, progress);
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let gen_name = format!("gen-{stamp}");
    let gen_dir = index_dir.join(&gen_name);
    fs::rename(&tmp, &gen_dir).map_err(|e| Error::io(&gen_dir, e))?;
    crate::durable::sync_dir(index_dir)?;
    let previous = current_generation(index_dir);
    write_atomic(&index_dir.join(CURRENT), gen_name.as_bytes())?;
    remove_old_generations(index_dir, &gen_dir, previous.as_deref());
    Ok(manifest)
}

fn build_into(
    dir: &Path,
    docs: &[Document],
    files: &BTreeMap<String, FileRecord>,
    fingerprint: &str,
    progress: Progress,
) -> Result<Manifest> {
    let (schema, fields) = schema::schema();
    let index = Index::create_in_dir(dir, schema)?;
    schema::register_analyzers(&index);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let mut writer: tantivy::IndexWriter =
        index.writer_with_num_threads(threads, 64_000_000 * threads)?;
    // No merges while building: the one below makes a single segment.
    writer.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
    let mut passages = 0;
    for (i, d) in docs.iter().enumerate() {
        add_document(&writer, &fields, d)?;
        passages += d.segments.len();
        progress(i + 1)?;
    }
    let mut manifest = Manifest::new(fingerprint, docs.len(), passages, files.clone());
    let lines = files_log::encode(&files_log::diff(&BTreeMap::new(), files));
    manifest.files_log = files_log::append(dir, 0, &lines)?;
    commit_with(&mut writer, &manifest)?;
    // One segment, not one per indexing thread: a query then counts, ranks
    // and scores one set of postings, and block-WAND raises one top-k
    // threshold instead of one per segment. A merge keeps the commit's
    // payload (the manifest).
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.wait_merging_threads()?;
    Ok(manifest)
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

/// Brings the index in line with the corpus: nothing when fresh, an
/// in-place update when only some files changed, a full build otherwise.
pub fn ensure_index(
    corpus: &ingest::Corpus,
    index_dir: &Path,
    force: bool,
    progress: Progress,
) -> Result<IndexState> {
    Ok(sync(corpus, index_dir, force, None, progress)?.0)
}

/// [`ensure_index`], starting from `opened`: the live generation as the
/// caller opened it to read the corpus against its file records, so the
/// file log is read once per start, not once per step. Hands back the
/// generation it found fresh or updated, its reader at the last commit;
/// `None` after a build (open the new generation).
pub(crate) fn sync(
    corpus: &ingest::Corpus,
    index_dir: &Path,
    force: bool,
    opened: Option<OpenIndex>,
    progress: Progress,
) -> Result<(IndexState, Option<OpenIndex>)> {
    // Checked under the lock: another process may have just built it.
    let _lock = lock(index_dir)?;
    remove_abandoned_builds(index_dir);
    let fingerprint = manifest::fingerprint(&corpus.files);
    let passages: usize = corpus.documents.iter().map(|d| d.segments.len()).sum();
    let mut full = |why: &str| -> Result<(IndexState, Option<OpenIndex>)> {
        build(
            index_dir,
            &corpus.documents,
            &corpus.files,
            &fingerprint,
            &mut *progress,
        )?;
        Ok((IndexState::Rebuilt(why.to_string()), None))
    };
    if force {
        return full("rebuild requested");
    }
    let Some(live) = current_generation(index_dir) else {
        return full("no index yet");
    };
    // `opened` is only good while its generation is still the live one.
    let generation = match opened.filter(|g| g.dir == live) {
        Some(g) => g,
        None => match open(index_dir) {
            Ok(g) => g,
            Err(_) => return full(unreadable_reason(&live)),
        },
    };
    let Ok(mut m) = generation.manifest() else {
        return full("the index was unreadable (no readable manifest)");
    };
    if !m.updatable() {
        return full("the analysis or the schema changed");
    }
    // Commits made since the caller opened it (`manifest` caught up the
    // header and the log; the searcher is brought level here).
    generation.reader.reload()?;
    // The manifest travels in the commit, so the two cannot disagree unless
    // something outside verbatim changed the index: rebuilt then, never
    // served half-known.
    if !generation.agrees_with(&m) {
        return full("the index and its manifest disagreed");
    }
    if m.fingerprint == fingerprint {
        drop(m);
        return Ok((IndexState::Fresh, Some(generation)));
    }
    // Only the files whose content changed, appeared or disappeared.
    let changed: Vec<&String> = corpus
        .files
        .iter()
        .filter(|(p, r)| {
            m.files
                .get(*p)
                .is_none_or(|o| o.sha256 != r.sha256 || o.ocr != r.ocr)
        })
        .map(|(p, _)| p)
        .collect();
    let removed: Vec<&String> = m
        .files
        .keys()
        .filter(|p| !corpus.files.contains_key(*p))
        .collect();
    let summary = format!(
        "{} changed or new and {} removed file(s) applied in place",
        changed.len(),
        removed.len()
    );
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
    let change = Change {
        remove: &remove_ids,
        add: &add,
        files: files_log::diff(&m.files, &corpus.files),
        documents: corpus.documents.len(),
        passages,
    };
    let applied = generation.apply(&mut m, change);
    drop(m);
    let applied = applied
        .and_then(|()| generation.finish_merges())
        .and_then(|()| Ok(generation.reader.reload()?));
    match applied {
        Ok(()) => Ok((IndexState::Updated(summary), Some(generation))),
        Err(e) => {
            tracing::warn!(error = %e, "in-place update failed; rebuilding");
            drop(generation);
            full("an in-place update failed")
        }
    }
}

/// Why the live generation in `dir` could not be opened, for the rebuild
/// it forces.
fn unreadable_reason(dir: &Path) -> &'static str {
    match Index::open_in_dir(dir).ok().as_ref().and_then(header_of) {
        None => "the index was unreadable (no readable manifest)",
        Some(h) if !h.is_current_version() => "the analysis or the schema changed",
        Some(_) => "the index was unreadable",
    }
}

/// Where PDFs' extracted pages are kept by content (`index/pdf-text/`),
/// beside the generations: a rebuild never throws them away.
pub(crate) fn pdf_texts(index_dir: &Path) -> ingest::TextCache {
    ingest::TextCache::new(index_dir.join("pdf-text"))
}

impl OpenIndex {
    /// The PDF text cache of the index this generation belongs to.
    pub(crate) fn pdf_texts(&self) -> ingest::TextCache {
        pdf_texts(self.dir.parent().unwrap_or(&self.dir))
    }
}

/// Removes `.build-*` directories whose process is gone.
pub(crate) fn remove_abandoned_builds(index_dir: &Path) {
    let Ok(entries) = fs::read_dir(index_dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".build-") else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        let alive = pid != std::process::id().to_string() && Path::new("/proc").join(pid).exists();
        if !alive {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Keeps the new and the previous generation; removes older ones.
fn remove_old_generations(index_dir: &Path, keep: &Path, previous: Option<&Path>) {
    let Ok(entries) = fs::read_dir(index_dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let is_gen = e.file_name().to_string_lossy().starts_with("gen-");
        if is_gen && p != keep && Some(p.as_path()) != previous {
            let _ = fs::remove_dir_all(&p);
        }
    }
}

/// Total size in bytes of the files in a directory (not recursive).
pub(crate) fn dir_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|es| {
            es.flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus_with(dir: &Path, files: &[(&str, &str)]) -> ingest::Corpus {
        for (name, text) in files {
            fs::write(dir.join(name), text).unwrap();
        }
        ingest::load_corpus(dir).unwrap()
    }

    /// A corpus folder holding a.md, its index built, and the generation
    /// opened then (what a start holds while it reads the corpus).
    fn opened_early() -> (
        tempfile::TempDir,
        tempfile::TempDir,
        ingest::Corpus,
        OpenIndex,
    ) {
        let (c, idx) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let corpus = corpus_with(c.path(), &[("a.md", "Alpha beta.")]);
        ensure_index(&corpus, idx.path(), false, &mut |_| Ok(())).unwrap();
        let stale = open(idx.path()).unwrap();
        (c, idx, corpus, stale)
    }

    #[test]
    fn a_generation_opened_before_another_build_is_not_reused() {
        let (_c, idx, corpus, stale) = opened_early();
        // Another process rebuilds between this one's open and its lock.
        ensure_index(&corpus, idx.path(), true, &mut |_| Ok(())).unwrap();
        let (state, synced) =
            sync(&corpus, idx.path(), false, Some(stale), &mut |_| Ok(())).unwrap();
        assert_eq!(state, IndexState::Fresh);
        assert_eq!(synced.unwrap().dir, current_generation(idx.path()).unwrap());
    }

    #[test]
    fn a_generation_opened_before_a_commit_catches_up_to_it() {
        let (c, idx, _, stale) = opened_early();
        // Another process applies a change in place to the same generation.
        let after = corpus_with(c.path(), &[("b.md", "Gamma delta.")]);
        let (state, _) = sync(&after, idx.path(), false, None, &mut |_| Ok(())).unwrap();
        assert!(matches!(state, IndexState::Updated(_)), "{state:?}");
        // The stale open sees that commit (manifest and searcher) rather
        // than taking the index for one that disagrees with its manifest.
        let (state, synced) =
            sync(&after, idx.path(), false, Some(stale), &mut |_| Ok(())).unwrap();
        assert_eq!(state, IndexState::Fresh);
        let synced = synced.unwrap();
        assert_eq!(synced.reader.searcher().num_docs(), 2);
        assert_eq!(synced.manifest().unwrap().files.len(), 2);
    }
}
