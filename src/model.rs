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
    /// Per page of a scanned source, OCR's mean word confidence (0-100)
    /// when OCR read the page; empty when no page was read by OCR. Set by
    /// ingest alone, never by front matter.
    #[serde(skip)]
    pub ocr_pages: Vec<Option<u8>>,
    /// Byte ranges of the text's words OCR was unsure of (a confidence
    /// under 60 of 100), in order: where the text may not be the scan's.
    /// Set by ingest alone.
    #[serde(skip)]
    pub ocr_unclear: Vec<(u32, u32)>,
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
    /// Its paragraphs, bullet items, captions and fact lines with their
    /// sentences, column by column (owned, or a range of the mapped store).
    pub segments: Segmentation,
    /// Its fact lines as metadata, in document order.
    pub facts: Vec<Fact>,
}

/// A paragraph, bullet item, caption or fact line: a row of its document's
/// [`Segmentation`], read out by value (no heap), so it may be held apart
/// from the document but means something only with it.
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
    /// The page it starts on, for paged sources (PDF).
    pub page: Option<usize>,
    /// Byte range into the document text.
    pub bytes: Range<usize>,
    /// Char range into the document text.
    pub span: Span,
    /// Its sentences: rows of the document's sentence column.
    sentences: Range<usize>,
    /// The heading above it, if any: an entry of the document's headings.
    heading: Option<usize>,
}

impl Passage {
    /// Number of its sentences (at least one).
    pub fn sentence_count(&self) -> usize {
        self.sentences.len()
    }
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

/// The largest document text, in bytes, whose offsets a [`Segmentation`]
/// holds (`u32`); ingest refuses a larger one.
pub(crate) const MAX_TEXT_BYTES: usize = u32::MAX as usize;

/// The words of a passage row, by their place in it.
mod col {
    /// Its kind's code.
    pub(super) const KIND: usize = 0;
    /// Its ¶ number + 1 (0: none).
    pub(super) const PARAGRAPH: usize = 1;
    /// Its heading's entry + 1 (0: none).
    pub(super) const HEADING: usize = 2;
    /// Its page + 1 (0: none).
    pub(super) const PAGE: usize = 3;
    /// Byte start, byte end, char start, char end.
    pub(super) const BYTES: usize = 4;
    /// Its first sentence's row.
    pub(super) const FIRST_SENTENCE: usize = 8;
}

/// `u32` words in a passage row ([`col`]).
const PASSAGE_WORDS: usize = 9;
/// `u32` words in a sentence row: byte start, byte end, char start, char end.
const SENTENCE_WORDS: usize = 4;
/// `u32` words of the header: passages, sentences, headings.
const HEADER_WORDS: usize = 3;

/// A document's passages and sentences, column by column: fixed-width
/// little-endian `u32` rows, so the same bytes serve from the heap (a
/// document just segmented) or from the mapped document store (read back),
/// where nothing is decoded onto the heap per passage. Offsets are within
/// the document, which is why `u32` suffices ([`MAX_TEXT_BYTES`]).
///
/// Layout: the header (passage, sentence and heading counts); the passage
/// rows; the sentence rows; each heading's end offset; the headings' UTF-8
/// text back to back, each distinct heading once.
#[derive(Clone)]
pub struct Segmentation {
    /// The bytes: owned, or a range of the mapped store.
    bytes: OwnedBytes,
    /// Number of passages.
    passages: usize,
    /// Number of sentences, all passages together.
    sentences: usize,
    /// Number of distinct headings.
    headings: usize,
}

impl Default for Segmentation {
    fn default() -> Segmentation {
        SegmentationBuilder::default().finish()
    }
}

/// Equal when the columns are: the same passages, sentences and headings,
/// laid out the same way.
impl PartialEq for Segmentation {
    fn eq(&self, other: &Segmentation) -> bool {
        self.bytes.as_slice() == other.bytes.as_slice()
    }
}

impl Eq for Segmentation {}

impl std::fmt::Debug for Segmentation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmentation")
            .field("passages", &self.passages)
            .field("sentences", &self.sentences)
            .field("headings", &self.headings)
            .finish()
    }
}

/// A passage's parts as segmentation finds them, before they are rows.
pub(crate) struct PassageParts<'a> {
    /// What it is.
    pub(crate) kind: PassageKind,
    /// Its ¶ number, if counted.
    pub(crate) paragraph: Option<usize>,
    /// The heading above it.
    pub(crate) heading: Option<&'a str>,
    /// The page it starts on (PDF).
    pub(crate) page: Option<usize>,
    /// Its byte range.
    pub(crate) bytes: Range<usize>,
    /// Its char range.
    pub(crate) span: Span,
}

/// Builds a [`Segmentation`] passage by passage.
#[derive(Default)]
pub(crate) struct SegmentationBuilder {
    /// Passage rows so far.
    passages: Vec<[u32; PASSAGE_WORDS]>,
    /// Sentence rows so far.
    sentences: Vec<[u32; SENTENCE_WORDS]>,
    /// Distinct headings in order of first use.
    headings: Vec<String>,
    /// Heading → its entry, so each is held once.
    heading_ids: std::collections::HashMap<String, usize>,
    /// Set when an offset does not fit a `u32`: the result is then empty
    /// rather than wrong (ingest refuses such texts before this).
    overflow: bool,
}

impl SegmentationBuilder {
    fn word(&mut self, v: usize) -> u32 {
        u32::try_from(v).unwrap_or_else(|_| {
            self.overflow = true;
            0
        })
    }

    /// Adds a passage and its sentences (byte and char ranges, in order).
    pub(crate) fn push(
        &mut self,
        p: PassageParts<'_>,
        sentences: impl IntoIterator<Item = (Range<usize>, Span)>,
    ) {
        let heading = p.heading.map(|h| match self.heading_ids.get(h) {
            Some(&i) => i,
            None => {
                self.headings.push(h.to_string());
                self.heading_ids
                    .insert(h.to_string(), self.headings.len() - 1);
                self.headings.len() - 1
            }
        });
        let first = self.sentences.len();
        // In `col` order.
        let row = [
            kind_code(p.kind),
            self.word(p.paragraph.map_or(0, |n| n + 1)),
            self.word(heading.map_or(0, |n| n + 1)),
            self.word(p.page.map_or(0, |n| n + 1)),
            self.word(p.bytes.start),
            self.word(p.bytes.end),
            self.word(p.span.start),
            self.word(p.span.end),
            self.word(first),
        ];
        self.passages.push(row);
        for (b, s) in sentences {
            let row = [
                self.word(b.start),
                self.word(b.end),
                self.word(s.start),
                self.word(s.end),
            ];
            self.sentences.push(row);
        }
    }

    /// The columns.
    pub(crate) fn finish(mut self) -> Segmentation {
        if self.overflow {
            self = SegmentationBuilder::default();
        }
        let text: usize = self.headings.iter().map(String::len).sum();
        let words = HEADER_WORDS
            + self.passages.len() * PASSAGE_WORDS
            + self.sentences.len() * SENTENCE_WORDS
            + self.headings.len();
        let mut out = Vec::with_capacity(words * 4 + text);
        // The header, the passage rows, the sentence rows, the heading ends
        // (each under 4 GiB: the text they are cut from is).
        let counts = [
            self.passages.len(),
            self.sentences.len(),
            self.headings.len(),
        ];
        let mut end = 0u32;
        let ends = self.headings.iter().map(|h| {
            end += h.len() as u32;
            end
        });
        for w in counts
            .iter()
            .map(|&n| n as u32)
            .chain(self.passages.iter().flatten().copied())
            .chain(self.sentences.iter().flatten().copied())
            .chain(ends)
        {
            out.extend_from_slice(&w.to_le_bytes());
        }
        for h in &self.headings {
            out.extend_from_slice(h.as_bytes());
        }
        Segmentation {
            bytes: OwnedBytes::new(out),
            passages: self.passages.len(),
            sentences: self.sentences.len(),
            headings: self.headings.len(),
        }
    }
}

fn kind_code(k: PassageKind) -> u32 {
    match k {
        PassageKind::Paragraph => 0,
        PassageKind::Item => 1,
        PassageKind::Caption => 2,
        PassageKind::Fact => 3,
    }
}

fn kind_of(code: u32) -> Option<PassageKind> {
    Some(match code {
        0 => PassageKind::Paragraph,
        1 => PassageKind::Item,
        2 => PassageKind::Caption,
        3 => PassageKind::Fact,
        _ => return None,
    })
}

/// `0` as `None`, `n + 1` as `Some(n)`.
fn optional(w: usize) -> Option<usize> {
    w.checked_sub(1)
}

impl Segmentation {
    /// The `i`th `u32` word (the caller keeps `i` in range).
    fn word(&self, i: usize) -> usize {
        let b = &self.bytes.as_slice()[i * 4..i * 4 + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
    }

    /// First word of the sentence rows.
    fn sentence_base(&self) -> usize {
        HEADER_WORDS + self.passages * PASSAGE_WORDS
    }

    /// First word of the heading ends.
    fn heading_base(&self) -> usize {
        self.sentence_base() + self.sentences * SENTENCE_WORDS
    }

    /// Number of passages.
    pub fn len(&self) -> usize {
        self.passages
    }

    /// Whether there is no passage.
    pub fn is_empty(&self) -> bool {
        self.passages == 0
    }

    /// Passage row `i` (0-based), read out.
    fn row(&self, i: usize) -> Passage {
        let at = HEADER_WORDS + i * PASSAGE_WORDS;
        let first = self.word(at + col::FIRST_SENTENCE);
        let end = if i + 1 < self.passages {
            self.word(at + PASSAGE_WORDS + col::FIRST_SENTENCE)
        } else {
            self.sentences
        };
        Passage {
            number: i + 1,
            kind: kind_of(self.word(at + col::KIND) as u32).unwrap_or_default(),
            paragraph: optional(self.word(at + col::PARAGRAPH)),
            heading: optional(self.word(at + col::HEADING)),
            page: optional(self.word(at + col::PAGE)),
            bytes: self.word(at + col::BYTES)..self.word(at + col::BYTES + 1),
            span: Span {
                start: self.word(at + col::BYTES + 2),
                end: self.word(at + col::BYTES + 3),
            },
            sentences: first..end,
        }
    }

    /// Passage `i` (0-based).
    pub fn get(&self, i: usize) -> Option<Passage> {
        (i < self.passages).then(|| self.row(i))
    }

    /// Every passage, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Passage> + ExactSizeIterator + '_ {
        (0..self.passages).map(|i| self.row(i))
    }

    /// The sentences of passage `p` (one of these), in order.
    pub fn sentences(&self, p: &Passage) -> impl ExactSizeIterator<Item = Sentence> + '_ {
        let first = p.sentences.start;
        p.sentences
            .clone()
            .map(move |i| self.sentence_row(i, i - first + 1))
    }

    /// The heading above passage `p` (one of these), if any.
    pub fn section(&self, p: &Passage) -> Option<&str> {
        self.heading(p.heading?)
    }

    /// Sentence row `i` of the whole document, numbered `number`.
    fn sentence_row(&self, i: usize, number: usize) -> Sentence {
        let at = self.sentence_base() + i * SENTENCE_WORDS;
        Sentence {
            number,
            bytes: self.word(at)..self.word(at + 1),
            span: Span {
                start: self.word(at + 2),
                end: self.word(at + 3),
            },
        }
    }

    /// Heading `i`.
    fn heading(&self, i: usize) -> Option<&str> {
        if i >= self.headings {
            return None;
        }
        let base = self.heading_base();
        let text = (base + self.headings) * 4;
        let start = if i == 0 { 0 } else { self.word(base + i - 1) };
        let end = self.word(base + i);
        std::str::from_utf8(self.bytes.as_slice().get(text + start..text + end)?).ok()
    }

    /// The same passages with each one's page set by `page_of` (its first
    /// byte → its page).
    pub(crate) fn with_pages(&self, page_of: impl Fn(usize) -> usize) -> Segmentation {
        let mut out = self.bytes.as_slice().to_vec();
        for i in 0..self.passages {
            let row = HEADER_WORDS + i * PASSAGE_WORDS;
            let page = page_of(self.word(row + col::BYTES)) + 1;
            let page = u32::try_from(page).unwrap_or(0);
            let at = (row + col::PAGE) * 4;
            out[at..at + 4].copy_from_slice(&page.to_le_bytes());
        }
        Segmentation {
            bytes: OwnedBytes::new(out),
            ..*self
        }
    }

    /// The columns' bytes, to store.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// Columns over stored `bytes` for a document of `text`; `None` unless
    /// every row is well formed: lengths as the header says, known kinds,
    /// passages in order and apart, sentences in their passage, every
    /// range inside `text` and on char boundaries, headings UTF-8. What
    /// passes is read without further checks.
    pub(crate) fn checked(bytes: OwnedBytes, text: &str) -> Option<Segmentation> {
        let all = bytes.as_slice();
        let word = |i: usize| -> Option<usize> {
            let b = all.get(i * 4..i * 4 + 4)?;
            Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        let (passages, sentences, headings) = (word(0)?, word(1)?, word(2)?);
        let words = passages
            .checked_mul(PASSAGE_WORDS)?
            .checked_add(sentences.checked_mul(SENTENCE_WORDS)?)?
            .checked_add(headings)?
            .checked_add(HEADER_WORDS)?;
        if all.len() < words.checked_mul(4)? {
            return None;
        }
        let seg = Segmentation {
            bytes: bytes.clone(),
            passages,
            sentences,
            headings,
        };
        let base = seg.heading_base();
        let text_len = all.len() - words * 4;
        let mut prev = 0;
        for i in 0..headings {
            let end = seg.word(base + i);
            if end < prev || end > text_len {
                return None;
            }
            prev = end;
        }
        if prev != text_len || (0..headings).any(|i| seg.heading(i).is_none()) {
            return None;
        }
        let within = |r: &Range<usize>| {
            r.start < r.end
                && r.end <= text.len()
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end)
        };
        let mut passage_end = 0;
        let mut next_sentence = 0;
        for i in 0..passages {
            let at = HEADER_WORDS + i * PASSAGE_WORDS;
            kind_of(seg.word(at + col::KIND) as u32)?;
            if seg.word(at + col::HEADING) > headings
                || seg.word(at + col::FIRST_SENTENCE) != next_sentence
            {
                return None;
            }
            let p = seg.row(i);
            if !within(&p.bytes) || p.bytes.start < passage_end || p.span.start > p.span.end {
                return None;
            }
            if p.sentences.start > p.sentences.end || p.sentences.end > sentences {
                return None;
            }
            let mut sentence_end = p.bytes.start;
            for j in p.sentences.clone() {
                let s = seg.sentence_row(j, 0);
                if !within(&s.bytes) || s.bytes.start < sentence_end || s.bytes.end > p.bytes.end {
                    return None;
                }
                if s.span.start > s.span.end {
                    return None;
                }
                sentence_end = s.bytes.end;
            }
            passage_end = p.bytes.end;
            next_sentence = p.sentences.end;
        }
        (next_sentence == sentences).then_some(seg)
    }
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
    /// When that page was read by OCR (a scan), OCR's mean word
    /// confidence on it (0-100): the cited text is what OCR read, so a
    /// low figure says to check it against the scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_confidence: Option<u8>,
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

    /// Every passage, in order.
    pub fn passages(&self) -> impl DoubleEndedIterator<Item = Passage> + ExactSizeIterator + '_ {
        self.segments.iter()
    }

    /// The passage with 1-based number `n`.
    pub fn passage(&self, n: usize) -> Option<Passage> {
        self.segments.get(n.checked_sub(1)?)
    }

    /// The sentences of passage `p` (one of this document's), in order.
    pub fn sentences(&self, p: &Passage) -> impl ExactSizeIterator<Item = Sentence> + '_ {
        self.segments.sentences(p)
    }

    /// Sentence `i` (0-based) of passage `p`; like indexing a slice, `i`
    /// must be below `p.sentence_count()`.
    pub fn sentence(&self, p: &Passage, i: usize) -> Sentence {
        assert!(
            i < p.sentence_count(),
            "sentence {i} of {}",
            p.sentence_count()
        );
        self.segments.sentence_row(p.sentences.start + i, i + 1)
    }

    /// The exact text of sentence `i` (0-based) of passage `p`.
    pub fn sentence_text(&self, p: &Passage, i: usize) -> &str {
        &self.text[self.sentence(p, i).bytes]
    }

    /// The text of the sentence before sentence `i` of passage `p`, or ""
    /// for the passage's first (what a pronoun in sentence `i` most often
    /// points back to).
    pub fn sentence_before(&self, p: &Passage, i: usize) -> &str {
        i.checked_sub(1).map_or("", |b| self.sentence_text(p, b))
    }

    /// The heading above passage `p`, if any.
    pub fn section(&self, p: &Passage) -> Option<&str> {
        self.segments.section(p)
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
            ocr_confidence: p.page.and_then(|n| {
                self.meta
                    .ocr_pages
                    .get(n.checked_sub(1)?)
                    .copied()
                    .flatten()
            }),
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
        if let Some(n) = self.passages().skip(p.number).find_map(|q| q.paragraph) {
            return format!("caption above ¶{n}");
        }
        let before = self.passages().take(p.number.saturating_sub(1));
        match before.rev().find_map(|q| q.paragraph) {
            Some(n) => format!("caption after ¶{n}"),
            None => "caption".to_string(),
        }
    }

    /// The first passage a reader counts (not a caption): what the
    /// document is about.
    pub fn lead(&self) -> Option<Passage> {
        self.passages()
            .find(|p| p.kind == PassageKind::Paragraph)
            .or_else(|| self.passages().find(|p| p.kind.counted()))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(kind: PassageKind, heading: Option<&str>, bytes: Range<usize>) -> PassageParts<'_> {
        PassageParts {
            kind,
            paragraph: Some(bytes.start),
            heading,
            page: None,
            span: Span {
                start: bytes.start,
                end: bytes.end,
            },
            bytes,
        }
    }

    /// Rows read back as they were pushed; a heading shared by passages is
    /// held once; numbers count from 1 in passages and in each passage's
    /// sentences.
    #[test]
    fn rows_read_back_and_headings_are_held_once() {
        let text = "Aa. Bb.\n\nCc.\n\nDd.";
        let mut b = SegmentationBuilder::default();
        let span = |r: &Range<usize>| Span {
            start: r.start,
            end: r.end,
        };
        let s = [0..3, 4..7];
        b.push(
            parts(PassageKind::Paragraph, Some("H"), 0..7),
            s.iter().map(|r| (r.clone(), span(r))),
        );
        b.push(
            parts(PassageKind::Item, Some("H"), 9..12),
            [(9..12, span(&(9..12)))],
        );
        b.push(
            parts(PassageKind::Caption, None, 14..17),
            [(14..17, span(&(14..17)))],
        );
        let seg = b.finish();
        assert_eq!((seg.len(), seg.sentences, seg.headings), (3, 4, 1));
        let ps: Vec<Passage> = seg.iter().collect();
        assert_eq!(ps.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(ps[1].kind, PassageKind::Item);
        assert_eq!(ps[1].paragraph, Some(9));
        assert_eq!(
            ps.iter().map(|p| seg.section(p)).collect::<Vec<_>>(),
            [Some("H"), Some("H"), None]
        );
        let first: Vec<(usize, Range<usize>)> =
            seg.sentences(&ps[0]).map(|s| (s.number, s.bytes)).collect();
        assert_eq!(first, [(1, 0..3), (2, 4..7)]);
        assert_eq!(seg.sentences(&ps[2]).next().unwrap().number, 1);
        let stored = Segmentation::checked(OwnedBytes::new(seg.as_bytes().to_vec()), text);
        assert_eq!(stored.as_ref(), Some(&seg));
        // Pages set afterwards, by each passage's first byte.
        let paged = seg.with_pages(|start| 1 + start / 9);
        let pages: Vec<Option<usize>> = paged.iter().map(|p| p.page).collect();
        assert_eq!(pages, [Some(1), Some(2), Some(2)]);
        assert_eq!(paged.section(&paged.get(0).unwrap()), Some("H"));
    }

    /// Columns that do not fit the text, or that overlap, are refused.
    #[test]
    fn stored_columns_that_do_not_fit_are_refused() {
        let mut b = SegmentationBuilder::default();
        let whole = Span { start: 0, end: 5 };
        b.push(parts(PassageKind::Paragraph, None, 0..5), [(0..5, whole)]);
        let seg = b.finish();
        let check = |t: &str| Segmentation::checked(OwnedBytes::new(seg.as_bytes().to_vec()), t);
        assert!(check("Hello").is_some());
        assert!(check("Hell").is_none(), "a range past the text");
        assert!(check("Hellé").is_none(), "a range off a char boundary");
        let mut bytes = seg.as_bytes().to_vec();
        bytes.truncate(bytes.len() - 1);
        assert!(Segmentation::checked(OwnedBytes::new(bytes), "Hello").is_none());
    }

    /// An offset past `u32` leaves no passage rather than a wrong one.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn offsets_past_u32_leave_no_passage() {
        let mut b = SegmentationBuilder::default();
        let far = MAX_TEXT_BYTES + 1;
        let span = Span {
            start: far,
            end: far + 1,
        };
        b.push(
            parts(PassageKind::Paragraph, None, far..far + 1),
            [(far..far + 1, span)],
        );
        assert!(b.finish().is_empty());
    }
}

/// What an in-memory cache holds and how often it answered since the
/// process started (for `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Entries held now.
    pub held: usize,
    /// Look-ups the cache answered.
    pub hits: u64,
    /// Look-ups that had to compute the value.
    pub misses: u64,
}
