//! Documents made of pages (a PDF's text layer, a scan's OCR): the pages
//! joined into one text, each passage numbered with the page it starts on,
//! and the cache of page texts kept by content hash, so a file is read once.

use std::path::{Path, PathBuf};

use crate::model::{DocMeta, Document};
use crate::segment::Markup;

/// Separates pages in the document text.
pub(crate) const PAGE_BREAK: &str = "\n\n\u{c}\n\n";

/// Extracted page texts kept by the file's content hash, so an unchanged
/// PDF or scan is never read twice: a start-up, a sync or a rebuild reads its
/// pages back instead of running the extractor again. One JSON file per
/// PDF (`{sha256}.json`, `{"extractor": …, "pages": […]}`), written to a
/// hidden name and renamed, so a crash leaves no half file. A file that
/// does not parse, or was written by another extractor version, is a miss.
/// Only successful extractions are kept: a timeout may not recur.
#[derive(Debug, Clone)]
pub(crate) struct TextCache {
    /// The directory holding the entries (the caller's choice).
    dir: PathBuf,
}

/// A paged file's text as read: each page's text, and for the pages OCR
/// read, its mean word confidence.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Pages {
    /// Each page's text, as the extractor or OCR gave it.
    pub(crate) text: Vec<String>,
    /// Per page, OCR's mean word confidence (0-100) when OCR read it;
    /// shorter than `text` (or empty) when the last pages were not OCR'd.
    pub(crate) ocr: Vec<Option<u8>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    /// The extractor's name and version when written.
    extractor: String,
    /// Each page's text, as the extractor gave it.
    pages: Vec<String>,
    /// [`Pages::ocr`] (absent in entries written before OCR).
    #[serde(default)]
    ocr: Vec<Option<u8>>,
}

impl TextCache {
    /// A cache in `dir` (created on the first write).
    pub(crate) fn new(dir: PathBuf) -> Self {
        TextCache { dir }
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        // A hash is hex; anything else never names a file.
        (!sha256.is_empty() && sha256.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.dir.join(format!("{sha256}.json")))
    }

    /// The pages `extractor` gave for content `sha256`, if kept.
    pub(crate) fn get(&self, sha256: &str, extractor: &str) -> Option<Pages> {
        let bytes = std::fs::read(self.path(sha256)?).ok()?;
        let e: Entry = serde_json::from_slice(&bytes).ok()?;
        (e.extractor == extractor).then_some(Pages {
            text: e.pages,
            ocr: e.ocr,
        })
    }

    /// Keeps the `pages` `extractor` gave for content `sha256`. Best
    /// effort: a cache that cannot be written costs the next start an
    /// extraction, nothing else.
    pub(crate) fn put(&self, sha256: &str, extractor: &str, pages: &Pages) {
        let Some(path) = self.path(sha256) else {
            return;
        };
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            // Unique per write: two threads may keep the same content.
            static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = self
                .dir
                .join(format!(".{sha256}.json.{n}.tmp-{}", std::process::id()));
            let entry = Entry {
                extractor: extractor.into(),
                pages: pages.text.clone(),
                ocr: pages.ocr.clone(),
            };
            std::fs::write(&tmp, serde_json::to_vec(&entry)?)?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!(error = %e, dir = %self.dir.display(), "could not keep a PDF's extracted text");
        }
    }

    /// Removes every entry whose hash is not in `keep` (PDFs gone or
    /// changed), and any temporary file a crash left.
    pub(crate) fn retain(&self, keep: &std::collections::HashSet<&str>) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            // A temporary file is another process's write under way,
            // unless that process is gone.
            let stale_tmp =
                crate::durable::temporary_writer(&name).is_some_and(crate::durable::writer_gone);
            let dropped = !name.starts_with('.')
                && name
                    .strip_suffix(".json")
                    .is_none_or(|hash| !keep.contains(hash));
            if stale_tmp || dropped {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// The pages kept in `cached` (the cache and the file's content hash)
/// under `extractor`, or else `read()`'s, kept in the cache when `read`
/// says they may be (a partial read is not kept, so the next start tries
/// again).
pub(super) fn cached_or_read<E>(
    cached: Option<(&TextCache, &str)>,
    extractor: &str,
    read: impl FnOnce() -> std::result::Result<(Pages, bool), E>,
) -> std::result::Result<Pages, E> {
    if let Some(pages) = cached.and_then(|(cache, hash)| cache.get(hash, extractor)) {
        return Ok(pages);
    }
    let (pages, keep) = read()?;
    if let (true, Some((cache, hash))) = (keep, cached) {
        cache.put(hash, extractor, &pages);
    }
    Ok(pages)
}

/// The pages' trimmed text, joined by [`PAGE_BREAK`]. Each page is dropped
/// once copied, so the text is held about once, not twice.
fn join_pages(pages: Vec<String>) -> String {
    let len = pages
        .iter()
        .map(|p| p.trim().len() + PAGE_BREAK.len())
        .sum();
    let mut text = String::with_capacity(len);
    for (i, page) in pages.into_iter().enumerate() {
        if i > 0 {
            text.push_str(PAGE_BREAK);
        }
        text.push_str(page.trim());
    }
    text
}

/// A document of `pages` joined by [`PAGE_BREAK`], each passage numbered
/// with the page it starts on; `kind` is its kind. Pages with no text at
/// all are refused with `empty`, the reason for that kind of file.
pub(super) fn paged_document(
    rel: &Path,
    pages: Pages,
    kind: &str,
    empty: &str,
) -> std::result::Result<Document, String> {
    let mut ocr = pages.ocr;
    let text = join_pages(pages.text);
    if text.trim().is_empty() {
        return Err(empty.into());
    }
    if text.len() > crate::model::MAX_TEXT_BYTES {
        return Err("its text is 4 GiB or more; split it".into());
    }
    let stem = rel
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("document");
    let meta = DocMeta {
        id: super::doc::slug(stem),
        title: crate::segment::first_heading_or_line(&text, Markup::Plain)
            .unwrap_or_else(|| stem.to_string()),
        kind: kind.into(),
        ocr_pages: {
            if ocr.iter().all(Option::is_none) {
                ocr.clear();
            }
            ocr
        },
        ..Default::default()
    };
    let mut doc =
        super::doc::document_from_text(meta, rel.display().to_string(), text, Markup::Plain);
    // Page n starts after the (n - 1)th page break.
    let breaks: Vec<usize> = doc.text.match_indices('\u{c}').map(|(i, _)| i).collect();
    doc.segments = doc
        .segments
        .with_pages(|start| 1 + breaks.partition_point(|&b| b < start));
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pages join as they always did (trimmed, one page break between),
    /// while each page is dropped as soon as it is copied.
    #[test]
    fn pages_join_trimmed_with_one_break_between() {
        let pages = vec!["  One.\n".to_string(), String::new(), "\tTwo ".into()];
        let want = pages
            .iter()
            .map(|p| p.trim())
            .collect::<Vec<_>>()
            .join(PAGE_BREAK);
        let got = join_pages(pages);
        assert_eq!(got, want);
        assert_eq!(
            got.capacity(),
            got.len() + PAGE_BREAK.len(),
            "one allocation"
        );
        assert_eq!(join_pages(Vec::new()), "");
    }
}
