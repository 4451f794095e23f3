//! The document store: every corpus file's parsed and segmented documents,
//! kept beside the index generations in one file (`index/docs.store`) and
//! memory-mapped when read back. Two things follow:
//! - start-up reads a file's documents from here instead of parsing and
//!   segmenting it again, when the file's content hash matches;
//! - the documents' text is a range of the mapping ([`Text`]), paged in by
//!   the kernel on demand and shared with its page cache, not a copy on
//!   the heap.
//!
//! It is a cache keyed by content: a file whose path or hash differs, or a
//! store written by another build of verbatim, is a miss and is parsed as
//! before. A store that cannot be read is ignored with a warning, and one
//! that cannot be written costs only the next start its parse. It is
//! written whole to a hidden name, synced and renamed, and never written in
//! place: the mapping of a running process stays valid (and unchanged) when
//! a newer store replaces the file.
//!
//! Layout: [`MAGIC`], then three length-prefixed parts (little-endian u64
//! lengths): the format tag ([`FORMAT`]), the file table, the document
//! records ([`codec`]); then the text region, every document's text back
//! to back, to the end of the file.

mod codec;

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::ops::Range;
use std::path::Path;

use std::sync::Arc;

use memmap2::{Mmap, UncheckedAdvice};
use tantivy::directory::OwnedBytes;

use crate::error::Result;
use crate::model::{Document, Text};

use codec::{Decoder, Encoder};

/// The store's file name in the index directory.
pub(crate) const FILE: &str = "docs.store";

/// First bytes of a store file.
const MAGIC: &[u8; 8] = b"VBDOCS\x00\x01";

/// Who wrote a store: a store of another version is a miss, so a change to
/// parsing or segmentation never serves documents segmented the old way.
/// Bump `segmentation` with any change to `ingest` or `segment` output.
const FORMAT: &str = concat!(
    "verbatim ",
    env!("CARGO_PKG_VERSION"),
    "; segmentation 3; ocr pages; ocr unclear words"
);

/// Where one file's documents are.
struct Entry {
    /// SHA-256 of the file content they were parsed from.
    sha256: String,
    /// Their records, in the records part.
    records: Range<usize>,
}

/// An opened store: the mapping and the file table. Documents read from it
/// keep the mapping alive themselves, so the store may be dropped once
/// start-up has taken what it needs.
pub(crate) struct Store {
    /// The mapping, to release its pages ([`Store::release`]).
    map: Arc<Mmap>,
    /// The whole file, mapped (the same mapping, shared with documents).
    bytes: OwnedBytes,
    /// Corpus-relative path → where its documents are.
    files: HashMap<String, Entry>,
    /// The records part, in `bytes`.
    records: Range<usize>,
    /// The text region, in `bytes`.
    text: Range<usize>,
}

/// The mapping as the bytes documents slice, shared with the store.
struct Shared(Arc<Mmap>);

impl std::ops::Deref for Shared {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

// SAFETY: the bytes are the mapping's, which stays at one address for as
// long as the `Arc` lives, however `Shared` itself moves.
unsafe impl stable_deref_trait::StableDeref for Shared {}

/// Splits a little-endian u64 length and that many bytes off `bytes`.
fn part(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
    (len <= rest.len()).then(|| rest.split_at(len))
}

impl Store {
    /// The store of `index_dir`; `None` when there is none, or it is of
    /// another format or damaged (logged: the corpus is parsed instead).
    pub(crate) fn open(index_dir: &Path) -> Option<Store> {
        let path = index_dir.join(FILE);
        let file = fs::File::open(&path).ok()?;
        // SAFETY: verbatim never writes a store file in place, only
        // replaces it by a rename, so the mapped bytes never change under
        // us (ARCHITECTURE.md, invariants); another program truncating the
        // file is outside what any mapped index, Tantivy's included, can
        // survive.
        let map = unsafe { Mmap::map(&file) }.ok().map(Arc::new);
        let store = map.and_then(Store::parse);
        if store.is_none() {
            tracing::warn!(
                file = %index_dir.join(FILE).display(),
                "the document store is unreadable or of another version; parsing the corpus instead"
            );
        }
        store
    }

    /// Reads the header and the file table of a mapped store.
    fn parse(map: Arc<Mmap>) -> Option<Store> {
        let bytes = OwnedBytes::new(Shared(map.clone()));
        let all = bytes.as_slice();
        let rest = all.strip_prefix(MAGIC.as_slice())?;
        let (tag, rest) = part(rest)?;
        if tag != FORMAT.as_bytes() {
            return None;
        }
        let (table, rest) = part(rest)?;
        let (records, text) = part(rest)?;
        let offset = |s: &[u8]| s.as_ptr() as usize - all.as_ptr() as usize;
        let records = offset(records)..offset(records) + records.len();
        let text = offset(text)..all.len();
        let mut r = Decoder::new(table);
        let n = r.usize()?;
        let mut files = HashMap::with_capacity(n.min(table.len()));
        for _ in 0..n {
            let key = r.str()?.to_string();
            let sha256 = r.str()?.to_string();
            let (start, len) = (r.usize()?, r.usize()?);
            let end = start.checked_add(len)?;
            if end > records.len() {
                return None;
            }
            files.insert(
                key,
                Entry {
                    sha256,
                    records: start..end,
                },
            );
        }
        r.is_empty().then_some(Store {
            map,
            bytes,
            files,
            records,
            text,
        })
    }

    /// The documents parsed from corpus file `key` when its content had
    /// hash `sha256`; `None` when the store has no such file, or its
    /// records do not decode.
    pub(crate) fn documents(&self, key: &str, sha256: &str) -> Option<Vec<Document>> {
        let entry = self.files.get(key).filter(|e| e.sha256 == sha256)?;
        let records = &self.bytes.as_slice()[self.records.clone()][entry.records.clone()];
        let mut r = Decoder::new(records);
        let n = r.usize()?;
        let mut docs = Vec::with_capacity(n.min(records.len()));
        let region = self.text.len();
        let base = self.records.start + entry.records.start;
        let columns = |at: Range<usize>| self.bytes.slice(base + at.start..base + at.end);
        for _ in 0..n {
            let at = r.text_range().filter(|t| t.end <= region)?;
            let bytes = self
                .bytes
                .slice(self.text.start + at.start..self.text.start + at.end);
            docs.push(r.document(Text::mapped(bytes)?, columns)?);
        }
        r.is_empty().then_some(docs)
    }

    /// Drops the pages reading the documents touched (every text page:
    /// decoding checks each text is UTF-8) from this process's memory, so
    /// only what requests read later is resident. The kernel's page cache
    /// keeps them, so a later read costs a page fault, not a disk read.
    pub(crate) fn release(&self) {
        // SAFETY: the mapping is read-only and never written through, so
        // nothing is lost by dropping its pages: the next access maps them
        // again from the unchanged file. Documents holding slices of it
        // only ever read.
        if let Err(e) = unsafe { self.map.unchecked_advise(UncheckedAdvice::DontNeed) } {
            tracing::debug!(error = %e, "could not release the document store's pages");
        }
    }
}

/// One corpus file to keep: its path, content hash and documents in file
/// order (all of them: a file some of whose documents were skipped is not
/// kept, so its problems are reported again on the next start).
pub(crate) struct Kept<'a> {
    /// Corpus-relative path.
    pub(crate) key: &'a str,
    /// SHA-256 of its content.
    pub(crate) sha256: &'a str,
    /// Its documents.
    pub(crate) docs: Vec<&'a Document>,
}

/// Writes the store of `index_dir` anew from `files`, atomically. The text
/// is streamed from the documents, not copied first.
pub(crate) fn write(index_dir: &Path, files: &[Kept<'_>]) -> Result<()> {
    let mut table = Encoder::default();
    let mut records = Encoder::default();
    let mut text_len = 0usize;
    table.u64(files.len() as u64);
    for f in files {
        let start = records.buf.len();
        records.u64(f.docs.len() as u64);
        for d in &f.docs {
            records.document(d, text_len..text_len + d.text.len());
            text_len += d.text.len();
        }
        table.str(f.key);
        table.str(f.sha256);
        table.u64(start as u64);
        table.u64((records.buf.len() - start) as u64);
    }
    crate::durable::replace(&index_dir.join(FILE), |out| {
        out.write_all(MAGIC)?;
        for part in [FORMAT.as_bytes(), &table.buf, &records.buf] {
            out.write_all(&(part.len() as u64).to_le_bytes())?;
            out.write_all(part)?;
        }
        for f in files {
            for d in &f.docs {
                out.write_all(d.text.as_bytes())?;
            }
        }
        Ok(())
    })
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::parse_document;

    fn doc(name: &str, raw: &str) -> Document {
        parse_document(Path::new(name), raw).unwrap()
    }

    #[test]
    fn documents_come_back_mapped_and_equal() {
        let dir = tempfile::tempdir().unwrap();
        let a = doc("a.md", "# A\n\nOne “quoted” paragraph. Two sentences.\n");
        let mut b = doc("b.md", "Ünïcode text.\n\n- an item\n");
        // As OCR leaves them: words it was unsure of, by byte range.
        b.meta.ocr_pages = vec![Some(71)];
        b.meta.ocr_unclear = vec![(0, 8), (16, 20)];
        let c = doc("c.md", "Third.\n");
        write(
            dir.path(),
            &[
                Kept {
                    key: "x.md",
                    sha256: "01",
                    docs: vec![&a, &b],
                },
                Kept {
                    key: "sub/c.md",
                    sha256: "02",
                    docs: vec![&c],
                },
            ],
        )
        .unwrap();
        let store = Store::open(dir.path()).unwrap();
        let back = store.documents("x.md", "01").unwrap();
        drop(store);
        assert_eq!(back.len(), 2);
        for (got, want) in back.iter().zip([&a, &b]) {
            assert!(got.text.is_mapped());
            assert_eq!(got.text, want.text);
            assert_eq!(got.segments, want.segments);
            assert_eq!(got.meta, want.meta);
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.documents("sub/c.md", "02").unwrap()[0].text, c.text);
        // Another hash, or a path it does not hold, is a miss.
        assert!(store.documents("x.md", "03").is_none());
        assert!(store.documents("y.md", "01").is_none());
    }

    #[test]
    fn a_damaged_or_foreign_store_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let a = doc("a.md", "Some text here.\n");
        let kept = [Kept {
            key: "a.md",
            sha256: "01",
            docs: vec![&a],
        }];
        write(dir.path(), &kept).unwrap();
        let path = dir.path().join(FILE);
        let good = fs::read(&path).unwrap();
        // Cut anywhere, the store opens as nothing or yields nothing wrong.
        for cut in 0..good.len() {
            fs::write(&path, &good[..cut]).unwrap();
            if let Some(s) = Store::open(dir.path()) {
                if let Some(docs) = s.documents("a.md", "01") {
                    assert_eq!(docs[0].text, a.text);
                }
            }
        }
        let mut foreign = good.clone();
        foreign[8 + 8 + 9] ^= 1; // inside the format tag
        fs::write(&path, &foreign).unwrap();
        assert!(Store::open(dir.path()).is_none());
        // No hidden file is left behind by a write.
        write(dir.path(), &kept).unwrap();
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [FILE]);
    }
}
