//! Reading the corpus directory into [`Document`]s, with a record per file
//! (size, modification time, content hash, document ids) from which the
//! index finds what changed. Ingest knows nothing of the index.
//!
//! Formats, by file ending: Markdown (`.md`, `.markdown`), plain text
//! (`.txt`), HTML (`.html`, `.htm`), PDF (`.pdf`, its text layer, with page
//! numbers), JSON Lines (`.jsonl`, one document per line) and scanned
//! images (`.png`, `.jpg`, `.jpeg`, `.tif`, `.tiff`, read by OCR, with page
//! numbers). A file that cannot be read (bad UTF-8, malformed front
//! matter, a duplicate id, a bad JSON line) is reported as a [`Problem`]
//! naming the file and line, and skipped; the rest of the corpus still loads.

mod child;
mod doc;
pub(crate) mod frontmatter;
pub(crate) mod html;
mod ocr;
mod paged;
pub(crate) mod pdf;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::docstore::{self, Store};
use crate::error::{Error, Result};
use crate::model::{DocMeta, Document};
use crate::segment::{first_heading_or_line, Markup};
pub(crate) use doc::{document_from_text, is_valid_id, is_valid_url, slug};
pub use ocr::read_scans_in;
pub(crate) use paged::TextCache;

/// How a file ending is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Text with optional front matter, in this markup.
    Text(Markup),
    /// An HTML page.
    Html,
    /// One JSON document per line.
    JsonLines,
    /// A PDF's text layer, page by page.
    Pdf,
    /// A scanned image (PNG, JPEG, TIFF), read by OCR page by page.
    Image,
}

/// File endings read as documents.
const FORMATS: &[(&str, Format)] = &[
    ("md", Format::Text(Markup::Markdown)),
    ("markdown", Format::Text(Markup::Markdown)),
    ("txt", Format::Text(Markup::Plain)),
    ("html", Format::Html),
    ("htm", Format::Html),
    ("jsonl", Format::JsonLines),
    ("pdf", Format::Pdf),
    ("png", Format::Image),
    ("jpg", Format::Image),
    ("jpeg", Format::Image),
    ("tif", Format::Image),
    ("tiff", Format::Image),
];

/// The format of a path, by its ending.
pub(crate) fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?;
    FORMATS
        .iter()
        .find(|(x, _)| x.eq_ignore_ascii_case(ext))
        .map(|f| f.1)
}

/// What is known of one corpus file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch (a hash is reused while size and time match).
    pub mtime_ns: u128,
    /// SHA-256 of the content.
    pub sha256: String,
    /// When the content was read for that hash, nanoseconds since the
    /// epoch (0: unknown). Size and time vouch for the hash only when the
    /// file was last modified well before this ([`FileRecord::stat_vouches`]).
    #[serde(default)]
    pub hashed_at_ns: u128,
    /// Ids of the documents the file holds (none when it was skipped).
    pub doc_ids: Vec<String>,
    /// The languages OCR read its scanned pages in (Tesseract's `-l`,
    /// `eng+jpn`); `None` when OCR read none of it, or the record predates
    /// this field. A different setting now makes the file stale
    /// ([`FileRecord::ocr_stale`]), so a change of languages reads its
    /// scans again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<String>,
}

/// How long before the hash was taken a modification must be for size and
/// time to vouch for the hash: more than the coarsest timestamp resolution
/// in use (2 s on FAT; 1 s on ext3 and HFS+). An edit of the same size in
/// the same tick as the read would otherwise keep the old hash: git's
/// "racily clean" problem.
const RACY_WINDOW_NS: u128 = 3_000_000_000;

impl FileRecord {
    /// Whether a file whose size and modification time are these still
    /// holds the hashed content, judged without reading it.
    pub fn stat_vouches(&self, size: u64, mtime_ns: u128) -> bool {
        self.size == size
            && self.mtime_ns == mtime_ns
            && mtime_ns.saturating_add(RACY_WINDOW_NS) < self.hashed_at_ns
            && !self.ocr_stale()
    }

    /// Whether OCR read this file's scans in other languages than it would
    /// now. Asks Tesseract only for a file OCR read; when Tesseract cannot
    /// run now, the text read before stands.
    pub(crate) fn ocr_stale(&self) -> bool {
        self.ocr
            .as_ref()
            .is_some_and(|then| ocr::languages_now().is_some_and(|now| *then != now))
    }
}

/// The languages OCR read `docs` (one file's documents, just parsed) in,
/// for its [`FileRecord`]; `None` when OCR read no page of them.
pub(crate) fn read_by_ocr(docs: &[Document]) -> Option<String> {
    docs.iter()
        .any(|d| d.meta.ocr_pages.iter().any(Option::is_some))
        .then(ocr::languages_now)
        .flatten()
}

/// Nanoseconds since the epoch, now.
pub(crate) fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// A file that could not be read, and why.
#[derive(Debug)]
pub struct Problem {
    /// The error, naming the file and, where known, the line.
    pub error: Error,
}

/// A corpus read from disk.
#[derive(Debug)]
pub struct Corpus {
    /// Documents sorted by corpus-relative path.
    pub documents: Vec<Document>,
    /// A record per corpus-relative path.
    pub files: BTreeMap<String, FileRecord>,
    /// Files skipped, with the reason.
    pub problems: Vec<Problem>,
    /// Files every document of which was read without a problem, by
    /// path: what the document store may keep ([`Corpus::keep`]).
    whole: BTreeSet<String>,
    /// Documents read back from the document store rather than parsed.
    from_store: usize,
}

/// Parses one file's text into a document. `origin` names it in errors.
pub fn parse_document(origin: &Path, raw: &str) -> Result<Document> {
    let raw = raw.strip_prefix('\u{FEFF}').unwrap_or(raw);
    let markup = match format_of(origin) {
        Some(Format::Text(m)) => m,
        _ => Markup::Plain,
    };
    let split = frontmatter::split(raw).map_err(|e| Error::Corpus {
        file: origin.to_path_buf(),
        line: e.line,
        message: e.message,
    })?;
    let text = raw[split.body_start..].to_string();
    let fm = split.meta;
    let stem = origin
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("document");
    let id = match fm.id {
        Some(id) if is_valid_id(&id) => id,
        Some(id) => {
            return Err(Error::Corpus {
                file: origin.to_path_buf(),
                line: Some(raw[..split.body_start].lines().position(|l| l.trim_start().starts_with("id")).map_or(1, |i| i + 1)),
                message: format!(
                    "id `{id}` is not a URL-safe slug (ASCII letters, digits, `-`, `_`, `.`; at most 128)"
                ),
            })
        }
        None => slug(stem),
    };
    if let Some(url) = fm.url.as_deref().filter(|u| !is_valid_url(u)) {
        return Err(Error::Corpus {
            file: origin.to_path_buf(),
            line: Some(
                raw[..split.body_start]
                    .lines()
                    .position(|l| l.trim_start().starts_with("url"))
                    .map_or(1, |i| i + 1),
            ),
            message: format!("url `{url}` is not an http:// or https:// link"),
        });
    }
    let title = fm
        .title
        .or_else(|| first_heading_or_line(&text, markup))
        .unwrap_or_else(|| stem.to_string());
    let meta = DocMeta {
        id,
        title,
        kind: fm.kind.unwrap_or_else(|| "document".into()),
        source: fm.source,
        url: fm.url,
        published: fm.published,
        author: fm.author,
        language: fm.language,
        questions: fm.questions,
        ocr_pages: Vec::new(),
        ocr_unclear: Vec::new(),
    };
    Ok(document_from_text(
        meta,
        origin.display().to_string(),
        text,
        markup,
    ))
}

/// Lists document files under `dir`, sorted, skipping hidden entries.
fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() && format_of(&path).is_some() {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A document of a JSON Lines file.
#[derive(Debug, Deserialize)]
struct JsonDoc {
    #[serde(alias = "_id")]
    id: String,
    #[serde(default)]
    title: Option<String>,
    text: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

/// Parses a file's bytes into its documents, or the reason it cannot be read.
/// JSON Lines problems on single lines are returned beside the good documents.
pub(crate) fn parse_file(rel: &Path, bytes: &[u8]) -> (Vec<Document>, Vec<Error>) {
    parse_file_cached(rel, bytes, None)
}

/// [`parse_file`], a PDF's pages read from or kept in `cache`; the content
/// hash is computed here, for a PDF only (for a caller that has none).
pub(crate) fn parse_file_in(
    rel: &Path,
    bytes: &[u8],
    cache: &TextCache,
) -> (Vec<Document>, Vec<Error>) {
    if !matches!(format_of(rel), Some(Format::Pdf | Format::Image)) {
        return parse_file(rel, bytes);
    }
    let sha256 = hex::encode(Sha256::digest(bytes));
    parse_file_cached(rel, bytes, Some((cache, sha256.as_str())))
}

/// [`parse_file`], reading a PDF's pages from `cached` (the cache and the
/// file's SHA-256) when they were extracted before.
pub(crate) fn parse_file_cached(
    rel: &Path,
    bytes: &[u8],
    cached: Option<(&TextCache, &str)>,
) -> (Vec<Document>, Vec<Error>) {
    let paged = match format_of(rel) {
        Some(Format::Pdf) => Some(pdf::document(rel, bytes, cached)),
        Some(Format::Image) => Some(ocr::document(rel, bytes, cached)),
        _ => None,
    };
    if let Some(read) = paged {
        return match read {
            Ok(d) => (vec![d], Vec::new()),
            Err(e) => (Vec::new(), vec![e]),
        };
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.valid_up_to();
            let line = 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count();
            let err = Error::Corpus {
                file: rel.to_path_buf(),
                line: Some(line),
                message: format!(
                    "invalid UTF-8 at byte {valid}; the file is skipped (save it as UTF-8)"
                ),
            };
            return (Vec::new(), vec![err]);
        }
    };
    if text.len() > crate::model::MAX_TEXT_BYTES {
        // A JSON Lines file's lines are documents of their own; any other
        // file is one document, whose offsets must fit a `u32`.
        if format_of(rel) != Some(Format::JsonLines) {
            let err = Error::Corpus {
                file: rel.to_path_buf(),
                line: None,
                message: "the file is 4 GiB or more; the file is skipped (split it)".into(),
            };
            return (Vec::new(), vec![err]);
        }
    }
    match format_of(rel) {
        Some(Format::Html) => {
            let (title, body) = html::extract(text);
            let stem = rel
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("document");
            let meta = DocMeta {
                id: slug(stem),
                title: title
                    .or_else(|| first_heading_or_line(&body, Markup::Markdown))
                    .unwrap_or_else(|| stem.to_string()),
                kind: "document".into(),
                ..Default::default()
            };
            (
                vec![document_from_text(
                    meta,
                    rel.display().to_string(),
                    body,
                    Markup::Markdown,
                )],
                Vec::new(),
            )
        }
        Some(Format::JsonLines) => {
            // Lines are independent documents: parsed and segmented side by
            // side (a corpus is often one large file), kept in file order.
            let parsed: Vec<std::result::Result<Document, Error>> = text
                .lines()
                .enumerate()
                .filter(|(_, line)| !line.trim().is_empty())
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|(i, line)| json_line(rel, i, line))
                .collect();
            let mut docs = Vec::new();
            let mut errors = Vec::new();
            for r in parsed {
                match r {
                    Ok(d) => docs.push(d),
                    Err(e) => errors.push(e),
                }
            }
            (docs, errors)
        }
        _ => match parse_document(rel, text) {
            Ok(d) => (vec![d], Vec::new()),
            Err(e) => (Vec::new(), vec![e]),
        },
    }
}

/// One line of a JSON Lines file (its 0-based number `i`) as a document.
fn json_line(rel: &Path, i: usize, line: &str) -> std::result::Result<Document, Error> {
    let err = |message: String| Error::Corpus {
        file: rel.to_path_buf(),
        line: Some(i + 1),
        message,
    };
    let j = serde_json::from_str::<JsonDoc>(line)
        .map_err(|e| err(format!("not a JSON document with `id` and `text`: {e}")))?;
    if !is_valid_id(&j.id) {
        return Err(err(format!("id `{}` is not a URL-safe slug", j.id)));
    }
    if j.text.len() > crate::model::MAX_TEXT_BYTES {
        return Err(err("its text is 4 GiB or more (split it)".into()));
    }
    if let Some(url) = j.url.as_deref().filter(|u| !is_valid_url(u)) {
        return Err(err(format!(
            "url `{url}` is not an http:// or https:// link"
        )));
    }
    let meta = DocMeta {
        title: j
            .title
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| j.id.clone()),
        id: j.id,
        kind: j.kind.unwrap_or_else(|| "document".into()),
        source: j.source,
        url: j.url,
        published: j.published,
        author: j.author,
        language: j.language,
        questions: Vec::new(),
        ocr_pages: Vec::new(),
        ocr_unclear: Vec::new(),
    };
    Ok(document_from_text(
        meta,
        format!("{}:{}", rel.display(), i + 1),
        j.text,
        Markup::Markdown,
    ))
}

/// A file's modification time, nanoseconds since the epoch (0: unknown).
pub(crate) fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// One corpus file, read and parsed.
struct Loaded {
    /// Its path relative to the corpus root, as the manifest keys it.
    key: String,
    /// Its manifest record; `doc_ids` is filled once duplicates are known.
    record: FileRecord,
    /// Its documents, in file order.
    docs: Vec<Document>,
    /// What could not be parsed.
    errors: Vec<Error>,
}

/// Reads, hashes and parses one corpus file. A file that cannot be read is
/// a problem of its own (`Ok(Err(..))`); one that cannot be stat'ed fails
/// the load, as a vanished corpus would.
fn load_file(
    dir: &Path,
    path: &Path,
    previous: Option<&BTreeMap<String, FileRecord>>,
    pdf_texts: Option<&TextCache>,
    store: Option<&Store>,
) -> Result<std::result::Result<Loaded, Problem>> {
    let rel = path.strip_prefix(dir).unwrap_or(path).to_path_buf();
    let key = rel.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let (size, mtime) = (meta.len(), mtime_ns(&meta));
    let record = |sha256: String, hashed_at_ns: u128, ocr: Option<String>| FileRecord {
        size,
        mtime_ns: mtime,
        sha256,
        hashed_at_ns,
        doc_ids: Vec::new(),
        ocr,
    };
    let held = previous.and_then(|p| p.get(&key));
    // Unchanged since it was hashed, and kept: not even read.
    if let (Some(store), Some(r)) = (store, held) {
        if r.stat_vouches(size, mtime) {
            if let Some(docs) = store.documents(&key, &r.sha256) {
                return Ok(Ok(Loaded {
                    record: record(r.sha256.clone(), r.hashed_at_ns, r.ocr.clone()),
                    key,
                    docs,
                    errors: Vec::new(),
                }));
            }
        }
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return Ok(Err(Problem {
                error: Error::io(&rel, e),
            }))
        }
    };
    let (sha256, hashed_at_ns) = match held {
        Some(r) if r.stat_vouches(size, mtime) && size == bytes.len() as u64 => {
            (r.sha256.clone(), r.hashed_at_ns)
        }
        _ => (hex::encode(Sha256::digest(&bytes)), now_ns()),
    };
    // Read and hashed, but parsed before: the content decides, not the
    // stat; unless OCR read it in other languages than it would now.
    let stale = held.is_some_and(FileRecord::ocr_stale);
    let reused = store
        .filter(|_| !stale)
        .and_then(|s| s.documents(&key, &sha256));
    let (docs, errors, ocr) = match reused {
        Some(docs) => (docs, Vec::new(), held.and_then(|r| r.ocr.clone())),
        None => {
            let (docs, errors) =
                parse_file_cached(&rel, &bytes, pdf_texts.map(|c| (c, sha256.as_str())));
            let ocr = read_by_ocr(&docs);
            (docs, errors, ocr)
        }
    };
    Ok(Ok(Loaded {
        key,
        record: record(sha256, hashed_at_ns, ocr),
        docs,
        errors,
    }))
}

/// Reads and parses every document under `dir`. `previous` records (from
/// the index manifest) let unchanged files skip re-hashing; `pdf_texts`
/// keeps PDFs' extracted pages by content, so an unchanged PDF is not
/// extracted again (entries of PDFs no longer in the corpus are removed);
/// `store` holds files parsed before, by content, so an unchanged file is
/// neither parsed nor, when its stat vouches for its hash, read.
pub(crate) fn load_corpus_with(
    dir: &Path,
    previous: Option<&BTreeMap<String, FileRecord>>,
    pdf_texts: Option<&TextCache>,
    store: Option<&Store>,
) -> Result<Corpus> {
    let files = list_files(dir)?;
    // Reading, hashing, parsing and segmenting are per file: done side by
    // side on every core, then gathered in corpus order, so ids, duplicates
    // and problems come out as a sequential read would give them.
    let read: Vec<std::result::Result<Loaded, Problem>> = files
        .par_iter()
        .map(|path| load_file(dir, path, previous, pdf_texts, store))
        .collect::<Result<_>>()?;
    // Sized once: grown by doubling, the list of a large corpus held up to
    // twice its documents' size at the start-up peak.
    let total = read
        .iter()
        .map(|l| l.as_ref().map_or(0, |l| l.docs.len()))
        .sum();
    let mut documents = Vec::with_capacity(total);
    let mut records = BTreeMap::new();
    let mut problems = Vec::new();
    let mut whole = BTreeSet::new();
    // Id → where its document is in `documents` (its origin is read from
    // there when a duplicate turns up): one copy of the id, hashed fast,
    // sized once.
    let mut seen: rustc_hash::FxHashMap<String, usize> =
        rustc_hash::FxHashMap::with_capacity_and_hasher(total, Default::default());
    for loaded in read {
        let Loaded {
            key,
            mut record,
            docs,
            errors,
        } = match loaded {
            Ok(l) => l,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let mut is_whole = errors.is_empty();
        problems.extend(errors.into_iter().map(|error| Problem { error }));
        for d in docs {
            if let Some(&first) = seen.get(&d.meta.id) {
                let first: &Document = &documents[first];
                problems.push(Problem {
                    error: Error::DuplicateId {
                        id: d.meta.id.clone(),
                        first: first.origin.clone().into(),
                        second: d.origin.clone().into(),
                    },
                });
                is_whole = false;
                continue;
            }
            seen.insert(d.meta.id.clone(), documents.len());
            record.doc_ids.push(d.meta.id.clone());
            documents.push(d);
        }
        if is_whole {
            whole.insert(key.clone());
        }
        records.insert(key, record);
    }
    if let Some(cache) = pdf_texts {
        let pdfs = records
            .iter()
            .filter(|(k, _)| matches!(format_of(Path::new(k)), Some(Format::Pdf | Format::Image)))
            .map(|(_, r)| r.sha256.as_str())
            .collect();
        cache.retain(&pdfs);
    }
    let from_store = documents.iter().filter(|d| d.text.is_mapped()).count();
    Ok(Corpus {
        documents,
        files: records,
        problems,
        whole,
        from_store,
    })
}

impl Corpus {
    /// Writes the document store of `index_dir` anew from this corpus when
    /// it kept too little of it: no store yet, or a tenth or more of the
    /// documents parsed afresh (live writes and edits since). Best effort:
    /// a store that cannot be written is logged and costs the next start
    /// its parse. Returns whether it was written.
    pub(crate) fn keep(&self, index_dir: &Path) -> bool {
        let fresh = self.documents.len() - self.from_store;
        if fresh == 0 || fresh * 10 < self.documents.len() {
            return false;
        }
        let by_id: HashMap<&str, &Document> = self
            .documents
            .iter()
            .map(|d| (d.meta.id.as_str(), d))
            .collect();
        let kept: Vec<docstore::Kept<'_>> = self
            .files
            .iter()
            .filter(|(key, _)| self.whole.contains(*key))
            .map(|(key, r)| docstore::Kept {
                key,
                sha256: &r.sha256,
                docs: r
                    .doc_ids
                    .iter()
                    .filter_map(|id| by_id.get(id.as_str()).copied())
                    .collect(),
            })
            .collect();
        let t = std::time::Instant::now();
        match docstore::write(index_dir, &kept) {
            Ok(()) => {
                tracing::info!(
                    files = kept.len(),
                    documents = self.documents.len(),
                    seconds = t.elapsed().as_secs_f64(),
                    "wrote the document store"
                );
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not write the document store; the next start parses the corpus");
                false
            }
        }
    }

    /// Swaps the documents of every kept file for their copies in the
    /// store of `index_dir` just written by [`Corpus::keep`], so what is
    /// served reads its text from the mapping, not the heap. A file the
    /// store does not give back keeps its parsed documents.
    pub(crate) fn read_back(&mut self, index_dir: &Path) {
        let Some(store) = Store::open(index_dir) else {
            return;
        };
        let at: HashMap<String, usize> = self
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.meta.id.clone(), i))
            .collect();
        let mut swapped = 0;
        for (key, r) in &self.files {
            if !self.whole.contains(key) {
                continue;
            }
            for d in store.documents(key, &r.sha256).into_iter().flatten() {
                if let Some(&i) = at.get(&d.meta.id) {
                    self.documents[i] = d;
                    swapped += 1;
                }
            }
        }
        store.release();
        self.from_store = swapped;
    }
}

/// Whether every corpus file still has the size and modification time
/// recorded in `files`, and no file was added or removed: a stat-only check
/// that needs no reading, so an unchanged corpus is confirmed at once.
pub(crate) fn unchanged(dir: &Path, files: &BTreeMap<String, FileRecord>) -> Result<bool> {
    let paths = list_files(dir)?;
    if paths.len() != files.len() {
        return Ok(false);
    }
    for path in paths {
        let key = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        match files.get(&key) {
            Some(r) if r.stat_vouches(meta.len(), mtime_ns(&meta)) => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Reads and parses every document under `dir`.
pub fn load_corpus(dir: &Path) -> Result<Corpus> {
    load_corpus_with(dir, None, None, None)
}

/// Reads the corpus and fails on the first problem (for callers that want
/// strictness, such as `verbatim index --strict`).
pub fn load_corpus_strict(dir: &Path) -> Result<Corpus> {
    let mut c = load_corpus(dir)?;
    match c.problems.is_empty() {
        true => Ok(c),
        false => Err(c.problems.remove(0).error),
    }
}
