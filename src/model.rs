//! Domain types: documents, passages, sentences and citations.
//!
//! Offsets come in two units. `bytes` ranges slice the Rust `String`;
//! `span`s count Unicode scalar values (chars) and are what the API reports.
//! Both always describe the same text.

use std::ops::{Deref, Range};

use serde::{Deserialize, Serialize};
use tantivy::directory::OwnedBytes;

/// A half-open range of char (Unicode scalar value) offsets into a document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First char of the range.
    pub start: usize,
    /// One past the last char.
    pub end: usize,
}

/// A document's text. Owned when it was just parsed; a range of the
/// memory-mapped document store (`docstore`) when it was read back from
/// there, so a served corpus's text is paged in by the kernel on demand
/// instead of living on the heap. Either way it reads as one `&str`, and
/// every offset indexes into the same text.
#[derive(Clone)]
pub struct Text(Repr);

/// Where a [`Text`]'s bytes live.
#[derive(Clone)]
enum Repr {
    /// On the heap.
    Owned(String),
    /// A range of a mapped file, checked to be UTF-8 when it was made.
    Mapped(OwnedBytes),
}

impl Text {
    /// Text over mapped bytes; `None` when they are not UTF-8 (a damaged
    /// store, which the caller treats as a miss).
    pub(crate) fn mapped(bytes: OwnedBytes) -> Option<Text> {
        std::str::from_utf8(bytes.as_slice()).ok()?;
        Some(Text(Repr::Mapped(bytes)))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Owned(s) => s,
            // SAFETY: `Text::mapped` checked these very bytes to be UTF-8,
            // and `OwnedBytes` never changes them: the store file is only
            // ever replaced by a rename, never written in place
            // (ARCHITECTURE.md, invariants).
            Repr::Mapped(b) => unsafe { std::str::from_utf8_unchecked(b.as_slice()) },
        }
    }

    /// Whether the text lives in the mapped store rather than on the heap.
    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self.0, Repr::Mapped(_))
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Repr::Owned(s))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(Repr::Owned(s.to_string()))
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Metadata from front matter, or derived from the file when there is none.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DocMeta {
    /// Unique URL-safe slug.
    pub id: String,
    /// Human title; used in citation labels.
    pub title: String,
    /// `article`, `source-note`, ...; a search filter.
    pub kind: String,
    /// The publisher.
    pub source: Option<String>,
    /// Where the original lives.
    pub url: Option<String>,
    /// Publication date as written (ISO 8601 recommended).
    pub published: Option<String>,
    /// Who wrote it.
    pub author: Option<String>,
    /// BCP 47 language tag.
    pub language: Option<String>,
    /// Questions the document answers, as its author wrote them: the
    /// page's example questions.
    pub questions: Vec<String>,
}

/// What a passage is, as a reader meets it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PassageKind {
    /// A body paragraph.
    #[default]
    Paragraph,
    /// A bullet or numbered-list item.
    Item,
    /// A line describing a picture: searchable, but no ¶ number, never a
    /// document's lead and never an answer.
    Caption,
    /// One of a run of `Key: value` list items (a source note's
    /// "Publisher: …"): document metadata, searchable, never an answer.
    Fact,
}

impl PassageKind {
    /// Whether a reader counts it when numbering paragraphs (¶).
    pub fn counted(self) -> bool {
        self != PassageKind::Caption
    }

    /// Whether it may be offered as an answer to a question.
    pub fn answers(self) -> bool {
        matches!(self, PassageKind::Paragraph | PassageKind::Item)
    }
}

/// A `Key: value` fact line of a document, as metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// The key as written (`Publisher`).
    pub key: String,
    /// The key as a search filter names it (`publisher`; `fact-kind` for a
    /// key that would shadow a built-in filter).
    pub filter: String,
    /// Byte range of the value in the document text (no closing period).
    pub bytes: Range<usize>,
    /// Char range of the value.
    pub span: Span,
    /// Number of the passage holding it.
    pub passage: usize,
}

/// One corpus document after ingest and segmentation.
#[derive(Debug, Clone)]
pub struct Document {
    /// Its metadata.
    pub meta: DocMeta,
    /// Path relative to the corpus root, for messages.
    pub origin: String,
    /// The text every offset indexes into (the file body after front
    /// matter): owned, or a range of the mapped document store.
    pub text: Text,
    /// Short hash of `text`, so a stored citation can be checked later.
    pub version: String,
    /// Length of `text` in chars, counted once (documents listings would
    /// otherwise count the whole corpus on every request).
    pub chars: usize,
    /// Paragraphs and bullet items, in document order, never overlapping.
    pub passages: Vec<Passage>,
    /// Its fact lines as metadata, in document order.
    pub facts: Vec<Fact>,
}

/// A paragraph, bullet item, caption or fact line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// 1-based ordinal of every block within the document; the `n` of
    /// `{doc}:p{n}`. It counts captions too, so an id keeps naming the
    /// same text whatever kind the passage is later given.
    pub number: usize,
    /// What it is.
    pub kind: PassageKind,
    /// The ¶ number a reader counts (body paragraphs and list items, fact
    /// lines included); `None` for a caption.
    pub paragraph: Option<usize>,
    /// The heading above it, if any.
    pub section: Option<String>,
    /// The page it starts on, for paged sources (PDF).
    pub page: Option<usize>,
    /// Byte range into the document text.
    pub bytes: Range<usize>,
    /// Char range into the document text.
    pub span: Span,
    /// Its sentences, in order.
    pub sentences: Vec<Sentence>,
}

/// A sentence inside a passage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// 1-based number within the passage; the `m` of `{doc}:p{n}.s{m}`.
    pub number: usize,
    /// Byte range into the document text.
    pub bytes: Range<usize>,
    /// Char range into the document text.
    pub span: Span,
}

/// Where a presented text comes from. Slicing the document text at
/// `start..end` (char offsets) gives exactly the cited text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Citation {
    /// Document id.
    pub doc_id: String,
    /// Document title.
    pub title: String,
    /// Document kind.
    pub kind: String,
    /// Passage holding the cited text.
    pub passage_id: String,
    /// What that passage is (`paragraph`, `item`, `caption`, `fact`).
    pub passage_kind: PassageKind,
    /// The ¶ number a reader counts (body paragraphs and list items, from
    /// 1); `null` for a caption, which readers do not count.
    pub paragraph: Option<usize>,
    /// Char offset of the cited text in the document text.
    pub start: usize,
    /// Char offset one past the cited text.
    pub end: usize,
    /// Where the original lives.
    pub url: Option<String>,
    /// Short hash of the document text the offsets refer to.
    pub doc_version: String,
    /// The page the passage starts on, for paged sources (PDF).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
    /// Human label, e.g. `Japan’s Massive AI Experiment Begins, ¶7` (`…, p. 3, ¶7` for PDFs;
    /// `…, caption above ¶1` for a caption).
    pub label: String,
}

/// Formats a passage id.
pub(crate) fn passage_id(doc_id: &str, number: usize) -> String {
    format!("{doc_id}:p{number}")
}

/// Formats a sentence id.
pub(crate) fn sentence_id(doc_id: &str, passage: usize, sentence: usize) -> String {
    format!("{doc_id}:p{passage}.s{sentence}")
}

/// Splits `doc:p7` into (`doc`, 7).
pub(crate) fn parse_passage_id(id: &str) -> Option<(&str, usize)> {
    let (doc, p) = id.rsplit_once(":p")?;
    let n: usize = p.parse().ok()?;
    (n > 0 && !doc.is_empty()).then_some((doc, n))
}

impl Document {
    /// The exact text of a passage.
    pub fn passage_text(&self, p: &Passage) -> &str {
        &self.text[p.bytes.clone()]
    }

    /// The passage with 1-based number `n`.
    pub fn passage(&self, n: usize) -> Option<&Passage> {
        self.passages.get(n.checked_sub(1)?)
    }

    /// A citation for `span` (char offsets) inside passage `p`.
    pub fn cite(&self, p: &Passage, span: Span) -> Citation {
        Citation {
            doc_id: self.meta.id.clone(),
            title: self.meta.title.clone(),
            kind: self.meta.kind.clone(),
            passage_id: passage_id(&self.meta.id, p.number),
            passage_kind: p.kind,
            paragraph: p.paragraph,
            start: span.start,
            end: span.end,
            url: self.meta.url.clone(),
            doc_version: self.version.clone(),
            page: p.page,
            label: {
                let title = &self.meta.title;
                let place = self.place(p);
                match p.page {
                    Some(page) => format!("{title}, p. {page}, {place}"),
                    None => format!("{title}, {place}"),
                }
            },
        }
    }

    /// Where a passage is, as a reader counts: `¶7`, or for a caption the
    /// paragraph it stands above (`caption above ¶1`) or after.
    pub fn place(&self, p: &Passage) -> String {
        if let Some(n) = p.paragraph {
            return format!("¶{n}");
        }
        let after = self.passages.get(p.number..).unwrap_or_default();
        if let Some(n) = after.iter().find_map(|q| q.paragraph) {
            return format!("caption above ¶{n}");
        }
        let before = self
            .passages
            .get(..p.number.saturating_sub(1))
            .unwrap_or_default();
        match before.iter().rev().find_map(|q| q.paragraph) {
            Some(n) => format!("caption after ¶{n}"),
            None => "caption".to_string(),
        }
    }

    /// The first passage a reader counts (not a caption): what the
    /// document is about.
    pub fn lead(&self) -> Option<&Passage> {
        self.passages
            .iter()
            .find(|p| p.kind == PassageKind::Paragraph)
            .or_else(|| self.passages.iter().find(|p| p.kind.counted()))
    }

    /// The text of a fact's value.
    pub fn fact_value(&self, f: &Fact) -> &str {
        &self.text[f.bytes.clone()]
    }

    /// Slices the document at char offsets; `None` when out of range.
    pub fn slice_chars(&self, span: Span) -> Option<&str> {
        let map = CharMap::new(&self.text);
        let a = map.byte_of(span.start)?;
        let b = map.byte_of(span.end)?;
        (a <= b).then(|| &self.text[a..b])
    }
}

/// Converts between byte and char offsets of one text in O(log n).
pub(crate) struct CharMap {
    /// Byte offset of every char boundary, plus the text length at the end.
    bytes: Vec<usize>,
}

impl CharMap {
    /// Indexes the char boundaries of `text`.
    pub(crate) fn new(text: &str) -> Self {
        let mut bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        bytes.push(text.len());
        CharMap { bytes }
    }

    /// Char offset of a byte offset that lies on a char boundary.
    pub(crate) fn char_of(&self, byte: usize) -> usize {
        match self.bytes.binary_search(&byte) {
            Ok(i) | Err(i) => i,
        }
    }

    /// Byte offset of a char offset; `None` past the end.
    pub(crate) fn byte_of(&self, ch: usize) -> Option<usize> {
        self.bytes.get(ch).copied()
    }

    /// Converts a byte range to a char span.
    pub(crate) fn span(&self, bytes: &Range<usize>) -> Span {
        Span {
            start: self.char_of(bytes.start),
            end: self.char_of(bytes.end),
        }
    }
}

/// A short, stable hash of a text (first 12 hex digits of SHA-256).
pub(crate) fn text_version(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(text.as_bytes())[..6])
}
