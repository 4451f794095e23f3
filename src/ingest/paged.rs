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
    /// Per page, the byte ranges in its text of the words OCR was unsure
    /// of ([`super::ocr::UNCLEAR_CONFIDENCE`]); shorter than `text` (or
    /// empty) as `ocr` is.
    #[serde(default)]
    pub(crate) unclear: Vec<Vec<(u32, u32)>>,
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
    /// [`Pages::unclear`] (absent in entries written before it; OCR's
    /// extractor name changed with it, so no OCR'd entry lacks it).
    #[serde(default)]
    unclear: Vec<Vec<(u32, u32)>>,
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
            unclear: e.unclear,
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
                unclear: pages.unclear.clone(),
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

/// The pages' trimmed text, joined by [`PAGE_BREAK`], and where each
/// page's first byte landed in it less where it was in the page (what to
/// add to an offset in the page; `None` for a page whose text is all
/// trimmed away). Each page is dropped once copied, so the text is held
/// about once, not twice.
fn join_pages(pages: Vec<String>) -> (String, Vec<Option<isize>>) {
    let len = pages
        .iter()
        .map(|p| p.trim().len() + PAGE_BREAK.len())
        .sum();
    let mut text = String::with_capacity(len);
    let mut shifts = Vec::with_capacity(pages.len());
    for (i, page) in pages.into_iter().enumerate() {
        if i > 0 {
            text.push_str(PAGE_BREAK);
        }
        let lead = page.len() - page.trim_start().len();
        let kept = page.trim();
        shifts.push((!kept.is_empty()).then(|| text.len() as isize - lead as isize));
        text.push_str(kept);
    }
    (text, shifts)
}

/// The pages' unclear word ranges ([`Pages::unclear`]) as ranges of the
/// joined text, in order; a range trimmed away with its page's edge is
/// dropped.
fn unclear_in_text(
    unclear: &[Vec<(u32, u32)>],
    shifts: &[Option<isize>],
    text: &str,
) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for (ranges, shift) in unclear.iter().zip(shifts) {
        let Some(shift) = *shift else {
            continue;
        };
        for &(s, e) in ranges {
            let (s, e) = (s as isize + shift, e as isize + shift);
            let inside = 0 <= s
                && s < e
                && (e as usize) <= text.len()
                && text.is_char_boundary(s as usize)
                && text.is_char_boundary(e as usize);
            if inside {
                out.push((s as u32, e as u32));
            }
        }
    }
    out
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
    let (text, shifts) = join_pages(pages.text);
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
        ocr_unclear: unclear_in_text(&pages.unclear, &shifts, &text),
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
        let (got, shifts) = join_pages(pages);
        assert_eq!(got, want);
        assert_eq!(
            got.capacity(),
            got.len() + PAGE_BREAK.len(),
            "one allocation"
        );
        // "One." moved 2 bytes back; the empty page has no place; "Two"
        // moved past "One." and two breaks, less its tab.
        let second = (4 + 2 * PAGE_BREAK.len()) as isize;
        assert_eq!(shifts, [Some(-2), None, Some(second - 1)]);
        assert_eq!(join_pages(Vec::new()).0, "");
    }

    /// Words OCR was unsure of keep their place in the document's text,
    /// whatever the pages' trimming moved; one cut off by it is dropped.
    #[test]
    fn unclear_words_are_ranges_of_the_documents_text() {
        let pages = Pages {
            text: vec!["  The rn0del works.\n".into(), "\nBlur here ".into()],
            ocr: vec![Some(80), Some(40)],
            unclear: vec![vec![(6, 12), (2, 2)], vec![(1, 5), (9, 14)]],
        };
        let doc = paged_document(Path::new("s.png"), pages, "scan", "empty").unwrap();
        let words: Vec<&str> = doc
            .meta
            .ocr_unclear
            .iter()
            .map(|&(s, e)| &doc.text[s as usize..e as usize])
            .collect();
        assert_eq!(words, ["rn0del", "Blur"]);
    }
}
