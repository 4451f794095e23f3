//! Reading the corpus directory into [`Document`]s, and the corpus
//! fingerprint that tells whether a built index is stale.
//!
//! This is one of the few modules that does IO; parsing and segmentation
//! below it are pure.

pub mod frontmatter;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::{text_version, DocMeta, Document};
use crate::segment::{first_heading_or_line, segment, Markup};

/// File endings read as documents, with their markup.
const FORMATS: &[(&str, Markup)] = &[
    ("md", Markup::Markdown),
    ("markdown", Markup::Markdown),
    ("txt", Markup::Plain),
];

/// A corpus read from disk.
#[derive(Debug)]
pub struct Corpus {
    /// Documents sorted by corpus-relative path.
    pub documents: Vec<Document>,
    /// Hash of every file's path, size and content, plus analysis versions.
    pub fingerprint: String,
}

/// Whether `id` is a valid document id: 1-128 chars of ASCII letters, digits,
/// `-`, `_` and `.`, starting with a letter or digit.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A URL-safe slug of a file name: `Japan's AI (draft).md` → `japan-s-ai-draft`.
pub fn slug(name: &str) -> String {
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

/// Parses one file's text into a document. `origin` names it in errors.
pub fn parse_document(origin: &Path, raw: &str) -> Result<Document> {
    let raw = raw.strip_prefix('\u{FEFF}').unwrap_or(raw);
    let markup = origin
        .extension()
        .and_then(|e| e.to_str())
        .and_then(|e| {
            FORMATS
                .iter()
                .find(|(x, _)| x.eq_ignore_ascii_case(e))
                .map(|f| f.1)
        })
        .unwrap_or(Markup::Plain);
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
    };
    Ok(document_from_text(
        meta,
        origin.display().to_string(),
        text,
        markup,
    ))
}

/// Segments a text into a document with the given metadata (used by the
/// file reader, importers and benchmarks alike).
pub fn document_from_text(meta: DocMeta, origin: String, text: String, markup: Markup) -> Document {
    Document {
        passages: segment(&text, markup),
        version: text_version(&text),
        meta,
        origin,
        text,
    }
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
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| FORMATS.iter().any(|(x, _)| x.eq_ignore_ascii_case(e)))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads and parses every document under `dir`.
pub fn load_corpus(dir: &Path) -> Result<Corpus> {
    let files = list_files(dir)?;
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "verbatim corpus; analysis v{}; schema v{}\n",
        crate::analysis::ANALYSIS_VERSION,
        crate::index::SCHEMA_VERSION
    ));
    let mut documents = Vec::with_capacity(files.len());
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for path in files {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
        hasher.update(format!(
            "{}\t{}\t{}\n",
            rel.display(),
            bytes.len(),
            hex::encode(Sha256::digest(&bytes))
        ));
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = e.utf8_error().valid_up_to();
            let line = 1 + e.as_bytes()[..valid]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            Error::Corpus {
                file: rel.clone(),
                line: Some(line),
                message: format!("invalid UTF-8 at byte {valid}; save the file as UTF-8"),
            }
        })?;
        let doc = parse_document(&rel, &text)?;
        if let Some(first) = seen.get(&doc.meta.id) {
            return Err(Error::DuplicateId {
                id: doc.meta.id.clone(),
                first: first.clone(),
                second: rel,
            });
        }
        seen.insert(doc.meta.id.clone(), rel);
        documents.push(doc);
    }
    Ok(Corpus {
        documents,
        fingerprint: hex::encode(hasher.finalize()),
    })
}
