//! Live updates: adding, replacing and removing documents while serving.
//!
//! A write is acknowledged only once it is durable:
//! 1. the file is written to a hidden temporary name in the corpus and
//!    fsynced (hidden files are never read as documents);
//! 2. the index change is committed together with the manifest's record of
//!    the file (the manifest is the commit's payload; a Tantivy commit is
//!    atomic);
//! 3. the file is renamed into place (within its own directory) and that
//!    directory fsynced;
//! 4. a new engine snapshot is returned for the caller to swap in.
//!
//! Once the commit is done the write is in the index, whatever happens
//! next: a later step that fails (the rename, the unlink) still yields the
//! next engine, inside the [`WriteError`], so the server swaps it in and
//! what it serves matches its index. A removal whose file is already gone
//! has nothing left to unlink, and succeeds.
//!
//! A crash before step 3 leaves no visible file, so the next start's sync
//! removes the committed document again: the previous state. A crash after
//! step 3 leaves the file, which the sync keeps. Removal runs the other way
//! round (commit, then unlink), with the same guarantee. Writes are
//! serialized by the index directory's lock.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cancel::Cancel;
use crate::engine::{Engine, WriteTarget};
use crate::error::{Error, Result};
use crate::failpoint::{self, FailPoint};
use crate::index;
use crate::ingest::frontmatter::FrontMatter;
use crate::ingest::{self, FileRecord};
use crate::model::Document;

/// A write that failed, with the next engine when the failure came after
/// the index commit (the index then holds the change, and the caller must
/// serve it).
pub struct WriteError {
    /// Why it failed.
    pub error: Error,
    /// The engine with the committed change, when the commit had happened
    /// (boxed: an engine is large, and errors travel by value).
    pub committed: Option<Box<Engine>>,
}

impl From<Error> for WriteError {
    fn from(error: Error) -> Self {
        WriteError {
            error,
            committed: None,
        }
    }
}

impl std::fmt::Debug for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteError")
            .field("error", &self.error)
            .field("committed", &self.committed.is_some())
            .finish()
    }
}

/// What [`Live::store`] did: the ids the commit replaced, and how the
/// steps after the commit went.
struct Stored {
    /// The ids the file held before.
    replaced: Vec<String>,
    /// The steps after the commit (a failure leaves the change in the index
    /// all the same).
    after_commit: Result<()>,
}

/// A committed write's outcome: `next` and `out` when every step after the
/// commit succeeded, else the failure, still carrying `next` to be served.
fn settled<T>(
    after_commit: Result<()>,
    next: Engine,
    out: T,
) -> std::result::Result<(Engine, T), WriteError> {
    match after_commit {
        Ok(()) => Ok((next, out)),
        Err(error) => Err(WriteError {
            error,
            committed: Some(Box::new(next)),
        }),
    }
}

/// Whether a write may replace existing documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fails with a conflict when an id exists.
    Create,
    /// Replaces documents with the same ids.
    Replace,
}

/// What a write names, and so what it may replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Documents by id (HTTP): only those documents, in a file the index
    /// knows or a new one.
    Documents,
    /// A whole corpus file (`verbatim add`): the file and whatever it held.
    File,
}

/// Metadata and text of a document sent as JSON.
#[derive(Debug, Clone, Default)]
pub struct NewDocument {
    /// Its front matter; `id` is required (a URL-safe slug).
    pub front: FrontMatter,
    /// The text, exactly as it will be stored and cited.
    pub text: String,
}

impl NewDocument {
    /// The id (empty when missing, which [`NewDocument::to_file`] rejects).
    pub fn id(&self) -> &str {
        self.front.id.as_deref().unwrap_or("")
    }

    /// The Markdown file (TOML front matter, then the text verbatim).
    pub fn to_file(&self) -> Result<Vec<u8>> {
        if !ingest::is_valid_id(self.id()) {
            return Err(Error::InvalidDocument(format!(
                "id `{}` is not a URL-safe slug (ASCII letters, digits, `-`, `_`, `.`; at most 128)",
                self.id()
            )));
        }
        if self.text.trim().is_empty() {
            return Err(Error::InvalidDocument("the text is empty".into()));
        }
        if let Some(url) = self
            .front
            .url
            .as_deref()
            .filter(|u| !ingest::is_valid_url(u))
        {
            return Err(Error::InvalidDocument(format!(
                "url `{url}` is not an http:// or https:// link"
            )));
        }
        let toml =
            toml::to_string(&self.front).map_err(|e| Error::InvalidDocument(e.to_string()))?;
        Ok(format!("+++\n{toml}+++\n{}", self.text).into_bytes())
    }
}

/// Writes into one corpus and its index.
#[derive(Debug, Clone)]
pub struct Live {
    /// The corpus directory documents are stored in.
    pub corpus_dir: PathBuf,
    /// The index directory.
    pub index_dir: PathBuf,
}

/// A corpus-relative file name that is safe: one component, a known
/// format, no leading dot. User input never reaches the file system otherwise.
pub(crate) fn safe_file_name(name: &str) -> Result<String> {
    let base = Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let path = Path::new(base);
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ingest::format_of(path).is_none() {
        return Err(Error::InvalidDocument(format!(
            "`{name}` is not a supported file (.md, .markdown, .txt, .html, .htm, .pdf, .jsonl, .png, .jpg, .jpeg, .tif, .tiff)"
        )));
    }
    Ok(format!("{}.{ext}", ingest::slug(stem)))
}

/// Whether `name` is a write's hidden temporary file (`.{file}.tmp-{pid}`).
fn is_write_temporary(name: &str) -> bool {
    crate::durable::temporary_writer(name).is_some()
}

/// A file's documents, or why it holds none. A PDF's pages are kept in
/// the index's text cache, so the next start does not extract it again.
fn parse(rel: &str, bytes: &[u8], pdf_texts: &ingest::TextCache) -> Result<Vec<Document>> {
    let (docs, errors) = ingest::parse_file_in(Path::new(rel), bytes, pdf_texts);
    if let Some(e) = errors.into_iter().next() {
        return Err(Error::InvalidDocument(e.to_string()));
    }
    if docs.is_empty() {
        return Err(Error::InvalidDocument(format!("`{rel}` holds no document")));
    }
    // One id, one document: a file naming an id twice (two JSON Lines with
    // the same id) would index both copies under one id.
    let mut ids = std::collections::HashSet::new();
    if let Some(d) = docs.iter().find(|d| !ids.insert(d.meta.id.as_str())) {
        return Err(Error::DuplicateId {
            id: d.meta.id.clone(),
            first: rel.into(),
            second: rel.into(),
        });
    }
    Ok(docs)
}

/// A JSON document ready for its write ([`Live::prepare_document`]).
pub(crate) struct PreparedDocument {
    /// Its file, relative to the corpus folder.
    rel: String,
    /// The file's bytes, front matter and text.
    bytes: Vec<u8>,
    /// The documents parsed from them, their vectors stored.
    docs: Vec<Document>,
}

/// Where a JSON document's file goes: `{id}.md`, or, replacing, the text
/// file it already lives in (a document of a PDF or JSON Lines file is
/// changed through that file, never over JSON).
fn file_of(engine: &Engine, doc: &NewDocument, mode: Mode) -> Result<String> {
    match engine.document(doc.id()).map(|d| d.origin.clone()) {
        Some(p)
            if mode == Mode::Replace
                && matches!(
                    ingest::format_of(Path::new(&p)),
                    Some(ingest::Format::Text(_))
                ) =>
        {
            Ok(p)
        }
        Some(p) if mode == Mode::Replace => Err(Error::Conflict(format!(
            "document `{}` comes from `{p}`; change that file instead",
            doc.id()
        ))),
        _ => Ok(format!("{}.md", doc.id())),
    }
}

/// The slow half of storing a file, done before the write lock so other
/// writes do not wait on it: parsing (a PDF in its child process) and
/// embedding (vectors are kept by content, so the write finds them done).
/// Stops with [`Error::Cancelled`] once `cancel` is up (its request gave
/// up): after the parse, and between the model's calls.
pub(crate) fn prepare(
    engine: &Engine,
    rel: &str,
    bytes: &[u8],
    cancel: &Cancel,
) -> Result<Vec<Document>> {
    let target = engine.write_target();
    let docs = parse(rel, bytes, &target.index.pdf_texts())?;
    cancel.check()?;
    target.embed(&docs, cancel)?;
    Ok(docs)
}

/// A write's file, durable under a hidden name beside its final place (so
/// the rename stays within one directory), not yet visible.
struct Staged {
    /// The hidden name it was written to.
    tmp: PathBuf,
    /// Where it goes.
    final_path: PathBuf,
    /// The manifest's record of it (size, time, hash, document ids).
    record: FileRecord,
}

impl Staged {
    /// Writes and fsyncs `bytes` for `rel`, a failpoint after each step.
    fn write(corpus_dir: &Path, rel: &str, bytes: &[u8], docs: &[Document]) -> Result<Staged> {
        use sha2::Digest;
        use std::io::Write;
        let final_path = corpus_dir.join(rel);
        let tmp = crate::durable::temporary_for(&final_path);
        let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
        failpoint::hit(FailPoint::FileWritten);
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
        failpoint::hit(FailPoint::FileSynced);
        let meta = f.metadata().map_err(|e| Error::io(&tmp, e))?;
        let record = FileRecord {
            size: meta.len(),
            mtime_ns: ingest::mtime_ns(&meta),
            sha256: hex::encode(sha2::Sha256::digest(bytes)),
            hashed_at_ns: ingest::now_ns(),
            doc_ids: docs.iter().map(|d| d.meta.id.clone()).collect(),
            ocr: ingest::read_by_ocr(docs),
        };
        Ok(Staged {
            tmp,
            final_path,
            record,
        })
    }

    /// Drops the file (its commit failed: nothing of the write stays).
    fn discard(&self) {
        let _ = std::fs::remove_file(&self.tmp);
    }

    /// Renames the file into place and makes its directory durable, a
    /// failpoint after each step.
    fn place(self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.final_path).map_err(|e| Error::io(&self.final_path, e))?;
        failpoint::hit(FailPoint::Renamed);
        crate::durable::sync_dir(self.final_path.parent().unwrap_or(Path::new(".")))?;
        failpoint::hit(FailPoint::DirSynced);
        Ok(())
    }
}

impl Live {
    /// Removes the hidden temporary files that writes interrupted by a
    /// crash left in the corpus (they were never acknowledged, and the
    /// index never shows them). Only the holder of the index's writer
    /// claim may call this: no other write can be under way. Returns how
    /// many were removed.
    pub fn remove_stale_temporaries(&self) -> usize {
        fn walk(dir: &Path, removed: &mut usize) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let path = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                match e.file_type() {
                    Ok(t) if t.is_dir() && !name.starts_with('.') => walk(&path, removed),
                    Ok(t)
                        if t.is_file()
                            && is_write_temporary(&name)
                            && std::fs::remove_file(&path).is_ok() =>
                    {
                        tracing::info!(file = %path.display(), "removed an interrupted write's temporary file");
                        *removed += 1;
                    }
                    _ => {}
                }
            }
        }
        let mut removed = 0;
        walk(&self.corpus_dir, &mut removed);
        removed
    }

    /// Makes a JSON document ready for its write without any lock: its
    /// file's place (`{id}.md`, or the file it already lives in), its
    /// bytes, parsed and embedded. The costly half of a write, so writes
    /// queue behind one another only for their commits.
    pub(crate) fn prepare_document(
        &self,
        engine: &Engine,
        doc: &NewDocument,
        mode: Mode,
        cancel: &Cancel,
    ) -> Result<PreparedDocument> {
        let bytes = doc.to_file()?;
        let rel = file_of(engine, doc, mode)?;
        let docs = prepare(engine, &rel, &bytes, cancel)?;
        Ok(PreparedDocument { rel, bytes, docs })
    }

    /// Stores a JSON document: [`Live::prepare_document`], then
    /// [`Live::put_prepared`] (for a caller that holds no lock to spare).
    pub fn put_document(
        &self,
        engine: &Engine,
        doc: &NewDocument,
        mode: Mode,
    ) -> std::result::Result<(Engine, Vec<String>), WriteError> {
        let prepared = self.prepare_document(engine, doc, mode, &Cancel::never())?;
        self.put_prepared(engine, doc, mode, prepared)
    }

    /// Stores a prepared JSON document. Prepared against an earlier engine,
    /// it is prepared again when the document's file has changed since.
    pub(crate) fn put_prepared(
        &self,
        engine: &Engine,
        doc: &NewDocument,
        mode: Mode,
        prepared: PreparedDocument,
    ) -> std::result::Result<(Engine, Vec<String>), WriteError> {
        let p = if file_of(engine, doc, mode)? == prepared.rel {
            prepared
        } else {
            self.prepare_document(engine, doc, mode, &Cancel::never())?
        };
        self.write_parsed(engine, &p.rel, p.bytes, p.docs, mode)
    }

    /// A write over HTTP names documents, not files: it may replace only
    /// the documents it writes. Refuses (409) a target file that holds
    /// another document (`corpus/foo.md` holding `bar`, for a write of
    /// `foo`), and a file in the corpus folder the index does not know
    /// (dropped there by hand since the last sync), which a rename would
    /// silently overwrite. Checked under the index lock, against the
    /// manifest the commit builds on.
    fn check_target(&self, manifest: &index::Manifest, rel: &str, docs: &[Document]) -> Result<()> {
        match manifest.files.get(rel) {
            Some(r) => {
                let others: Vec<&str> = r
                    .doc_ids
                    .iter()
                    .filter(|id| !docs.iter().any(|d| &d.meta.id == *id))
                    .map(String::as_str)
                    .collect();
                if !others.is_empty() {
                    return Err(Error::Conflict(format!(
                        "`{rel}` holds {} `{}`, which this write would replace; change that document instead",
                        if others.len() == 1 { "document" } else { "documents" },
                        others.join("`, `")
                    )));
                }
            }
            None if self.corpus_dir.join(rel).exists() => {
                return Err(Error::Conflict(format!(
                    "`{rel}` is in the corpus folder but not in the index (added by hand?); run `verbatim index` first, or write under another id"
                )));
            }
            None => {}
        }
        Ok(())
    }

    /// Stores a file already parsed into `docs` (by [`prepare`], outside
    /// the write lock) and indexes them; returns the next engine and the
    /// ids written.
    pub fn write_parsed(
        &self,
        engine: &Engine,
        rel: &str,
        bytes: Vec<u8>,
        docs: Vec<Document>,
        mode: Mode,
    ) -> std::result::Result<(Engine, Vec<String>), WriteError> {
        let started = std::time::Instant::now();
        let Stored {
            replaced,
            after_commit,
        } = self.store(
            engine.write_target(),
            rel,
            &bytes,
            &docs,
            mode,
            Target::Documents,
        )?;
        let stored = std::time::Instant::now();
        let ids = docs.iter().map(|d| d.meta.id.clone()).collect();
        let next = engine.with_changes(docs, &replaced)?;
        tracing::debug!(
            file = rel,
            snapshot_ms = stored.elapsed().as_secs_f64() * 1e3,
            total_ms = started.elapsed().as_secs_f64() * 1e3,
            "write swapped in"
        );
        settled(after_commit, next, ids)
    }

    /// Stores a file through an index opened for writing alone (`verbatim
    /// add`): parsed, embedded and committed, without reading the rest of
    /// the corpus. Returns the ids written.
    pub(crate) fn add_file(
        &self,
        target: WriteTarget<'_>,
        rel: &str,
        bytes: Vec<u8>,
    ) -> Result<Vec<String>> {
        let docs = parse(rel, &bytes, &target.index.pdf_texts())?;
        self.store(target, rel, &bytes, &docs, Mode::Replace, Target::File)?
            .after_commit?;
        Ok(docs.into_iter().map(|d| d.meta.id).collect())
    }

    /// The durable half of a write: the file, the commit and the rename, a
    /// failpoint at every step. Returns the ids the file held before (which
    /// the commit replaced), and the error of a step after the commit.
    fn store(
        &self,
        target: WriteTarget<'_>,
        rel: &str,
        bytes: &[u8],
        docs: &[Document],
        mode: Mode,
        what: Target,
    ) -> Result<Stored> {
        let _lock = index::lock(&self.index_dir)?;
        let mut manifest = target.index.manifest()?;
        let old_ids = self.admit(target.index, &manifest, rel, docs, mode, what)?;
        // 0. The vectors (persisted by content), so the write is searchable
        //    in hybrid mode the moment it is acknowledged.
        let started = Instant::now();
        target.embed(docs, &Cancel::never())?;
        failpoint::hit(FailPoint::VectorsStored);
        let embedded = Instant::now();
        // 1. The file, durable under a hidden name in its own directory.
        let staged = Staged::write(&self.corpus_dir, rel, bytes, docs)?;
        let filed = Instant::now();
        // 2. The index commit, with the file's record in the file log the
        //    commit vouches for.
        let added: Vec<&Document> = docs.iter().collect();
        let record = index::FileChange {
            path: rel.to_string(),
            record: Some(staged.record.clone()),
        };
        self.commit(
            target,
            &mut manifest,
            &old_ids,
            &added,
            record,
            docs.len() as isize - old_ids.len() as isize,
        )
        .inspect_err(|_| staged.discard())?;
        failpoint::hit(FailPoint::Committed);
        let committed = Instant::now();
        // 3. The file in place, and its directory durable. The change is
        //    committed: a failure from here on is reported with it.
        let placing = staged.place();
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        // Where a write's time goes (RUST_LOG=verbatim::live=debug).
        tracing::debug!(
            file = rel,
            embed_ms = ms(started, embedded),
            file_ms = ms(embedded, filed),
            commit_ms = ms(filed, committed),
            place_ms = ms(committed, Instant::now()),
            "write steps"
        );
        Ok(Stored {
            replaced: old_ids,
            after_commit: placing,
        })
    }

    /// The conflict policy, against the manifest the commit builds on:
    /// whether a write of `docs` to `rel` may go ahead, and the ids `rel`
    /// held before (which it replaces).
    fn admit(
        &self,
        index: &index::OpenIndex,
        manifest: &index::Manifest,
        rel: &str,
        docs: &[Document],
        mode: Mode,
        what: Target,
    ) -> Result<Vec<String>> {
        if what == Target::Documents {
            self.check_target(manifest, rel, docs)?;
        }
        if mode == Mode::Create && manifest.files.contains_key(rel) {
            return Err(Error::Conflict(format!(
                "`{rel}` already exists; use PUT to replace it"
            )));
        }
        // An id the index holds is in some file; in `rel` it is replaced,
        // in any other it conflicts. Asked of the index's term dictionary,
        // so the check costs the same whatever the corpus holds.
        let own = manifest.files.get(rel);
        for d in docs {
            let in_rel = own.is_some_and(|r| r.doc_ids.contains(&d.meta.id));
            if !in_rel && index.passages_of(std::slice::from_ref(&d.meta.id))? > 0 {
                return Err(Error::Conflict(format!(
                    "a document with id `{}` already exists",
                    d.meta.id
                )));
            }
        }
        Ok(manifest
            .files
            .get(rel)
            .map(|r| r.doc_ids.clone())
            .unwrap_or_default())
    }

    /// Removes a document (and the file holding it, which must hold only
    /// it); returns the next engine.
    pub fn remove(&self, engine: &Engine, id: &str) -> std::result::Result<Engine, WriteError> {
        let after_commit = self.remove_committed(engine.write_target(), id)?;
        let next = engine.with_changes(Vec::new(), &[id.to_string()])?;
        settled(after_commit, next, ()).map(|(next, ())| next)
    }

    /// Removes a document through an index opened for writing alone
    /// (`verbatim remove`).
    pub(crate) fn remove_document(&self, target: WriteTarget<'_>, id: &str) -> Result<()> {
        self.remove_committed(target, id)?
    }

    /// The durable half of a removal: the commit, then the unlink, a
    /// failpoint after each. The outer result is the commit's; the inner
    /// one, the steps after it.
    fn remove_committed(&self, target: WriteTarget<'_>, id: &str) -> Result<Result<()>> {
        let _lock = index::lock(&self.index_dir)?;
        let mut manifest = target.index.manifest()?;
        let Some((rel, record)) = manifest
            .files
            .iter()
            .find(|(_, r)| r.doc_ids.iter().any(|d| d == id))
            .map(|(p, r)| (p.clone(), r.clone()))
        else {
            return Err(Error::NotFound(format!("document `{id}`")));
        };
        if record.doc_ids.len() > 1 {
            return Err(Error::Conflict(format!(
                "document `{id}` is one of {} in `{rel}`; change that file instead",
                record.doc_ids.len()
            )));
        }
        let gone = index::FileChange {
            path: rel.clone(),
            record: None,
        };
        self.commit(target, &mut manifest, &[id.to_string()], &[], gone, -1)?;
        failpoint::hit(FailPoint::RemoveCommitted);
        let path = self.corpus_dir.join(&rel);
        let unlinking = (|| {
            match std::fs::remove_file(&path) {
                // Removed by hand already: the state the removal wants.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                r => r.map_err(|e| Error::io(&path, e))?,
            }
            failpoint::hit(FailPoint::Unlinked);
            crate::durable::sync_dir(path.parent().unwrap_or(&self.corpus_dir))
        })();
        Ok(unlinking)
    }

    /// Commits `remove` and `add` with the file's change, `manifest` (the
    /// latest, under its guard) moved on once committed: its records,
    /// fingerprint and counts (the passages removed are counted in the
    /// index).
    fn commit(
        &self,
        target: WriteTarget<'_>,
        manifest: &mut index::Manifest,
        remove: &[String],
        add: &[&Document],
        file: index::FileChange,
        doc_delta: isize,
    ) -> Result<()> {
        let removed_passages = target.index.passages_of(remove)?;
        let added_passages: usize = add.iter().map(|d| d.segments.len()).sum();
        let change = index::Change {
            remove,
            add,
            files: vec![file],
            documents: (manifest.documents as isize + doc_delta).max(0) as usize,
            passages: (manifest.passages + added_passages).saturating_sub(removed_passages),
        };
        target.index.apply(manifest, change)
    }
}

#[cfg(test)]
mod tests {
    use super::is_write_temporary;

    #[test]
    fn only_write_temporaries_are_recognised() {
        assert!(is_write_temporary(".note.md.tmp-4242"));
        assert!(!is_write_temporary("note.md.tmp-4242"));
        assert!(!is_write_temporary(".note.md.tmp-"));
        assert!(!is_write_temporary(".hidden-notes.md"));
        assert!(!is_write_temporary(".x.tmp-12a"));
    }
}
