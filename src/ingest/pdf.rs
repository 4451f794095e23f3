//! PDF: the text layer, page by page. The document text is the pages'
//! text joined by a blank line and a form feed (U+000C), so every passage
//! knows the page it starts on: one plus the form feeds before it.

use std::path::Path;

use crate::error::{Error, Result};
use crate::model::{DocMeta, Document};
use crate::segment::Markup;

/// Separates pages in the document text.
pub const PAGE_BREAK: &str = "\n\n\u{c}\n\n";

/// Reads a PDF's text layer into a document with page numbers.
pub fn document(rel: &Path, bytes: &[u8]) -> Result<Document> {
    let unreadable = |why: String| Error::Corpus {
        file: rel.to_path_buf(),
        line: None,
        message: format!("unreadable PDF: {why}"),
    };
    // The extractor can panic on malformed files; a bad file must never take the process down.
    let pages = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes))
        .map_err(|_| unreadable("the text layer could not be parsed".into()))?
        .map_err(|e| unreadable(e.to_string()))?;
    let text = pages
        .iter()
        .map(|p| p.trim())
        .collect::<Vec<_>>()
        .join(PAGE_BREAK);
    if text.trim_matches(|c: char| c.is_whitespace()).is_empty() {
        return Err(unreadable("it has no text layer (a scanned image?)".into()));
    }
    let stem = rel
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("document");
    let meta = DocMeta {
        id: super::slug(stem),
        title: crate::segment::first_heading_or_line(&text, Markup::Plain)
            .unwrap_or_else(|| stem.to_string()),
        kind: "document".into(),
        ..Default::default()
    };
    let mut doc = super::document_from_text(meta, rel.display().to_string(), text, Markup::Plain);
    let mut page = 1;
    let mut at = 0;
    for p in &mut doc.passages {
        page += doc.text[at..p.bytes.start].matches('\u{c}').count();
        at = p.bytes.start;
        p.page = Some(page);
    }
    Ok(doc)
}
