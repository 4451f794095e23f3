//! Naming and building a document: ids, slugs, and a text segmented into
//! a [`Document`]. Shared by every format reader. Pure.

use crate::model::{text_version, DocMeta, Document};
use crate::segment::{facts, segment, Markup};

/// Whether `id` is a valid document id: 1-128 chars of ASCII letters, digits,
/// `-`, `_` and `.`, starting with a letter or digit.
/// Whether `url` may be a document's source link: `http://` or `https://`
/// (any case) with a host, and no whitespace or control characters. The
/// page renders it as a link, so a `javascript:` or `data:` URL is refused
/// at the door, not left to the CSP (issue 35).
pub(crate) fn is_valid_url(url: &str) -> bool {
    let lower = url
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return false;
    };
    !rest.is_empty()
        && !rest.starts_with('/')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A URL-safe slug of a file name: `Japan's AI (draft).md` → `japan-s-ai-draft`.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "document".into()
    } else {
        out
    }
}

/// Segments a text into a document with the given metadata (used by the
/// file reader, importers and benchmarks alike).
pub(crate) fn document_from_text(
    meta: DocMeta,
    origin: String,
    text: String,
    markup: Markup,
) -> Document {
    let segments = segment(&text, markup);
    Document {
        facts: facts(&text, &segments),
        segments,
        version: text_version(&text),
        chars: text.chars().count(),
        meta,
        origin,
        text: text.into(),
    }
}
