//! The store's record format: a document's metadata and segmentation as
//! LEB128 varints and length-prefixed strings, its text kept apart (the
//! caller appends it to the text region and records where). Decoding is
//! total: malformed or out-of-range input is `None`, never a panic, and
//! every range it returns is checked against the text it indexes into.
//!
//! Pure: no IO.

use std::ops::Range;

use crate::model::{DocMeta, Document, Fact, Passage, PassageKind, Sentence, Span, Text};

/// Appends records to a buffer.
#[derive(Default)]
pub(super) struct Encoder {
    /// The bytes written so far.
    pub(super) buf: Vec<u8>,
}

impl Encoder {
    /// An unsigned varint.
    pub(super) fn u64(&mut self, mut v: u64) {
        loop {
            let low = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(low);
                return;
            }
            self.buf.push(low | 0x80);
        }
    }

    fn usize(&mut self, v: usize) {
        self.u64(v as u64);
    }

    /// A length-prefixed UTF-8 string.
    pub(super) fn str(&mut self, s: &str) {
        self.usize(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u64(0),
            Some(s) => {
                self.u64(1);
                self.str(s);
            }
        }
    }

    /// `None` as 0, `Some(n)` as n + 1.
    fn opt_usize(&mut self, v: Option<usize>) {
        self.u64(v.map_or(0, |n| n as u64 + 1));
    }

    fn range(&mut self, r: &Range<usize>) {
        self.usize(r.start);
        self.usize(r.end);
    }

    fn span(&mut self, s: Span) {
        self.usize(s.start);
        self.usize(s.end);
    }

    /// One document whose text sits at `text` in the text region.
    pub(super) fn document(&mut self, d: &Document, text: Range<usize>) {
        self.range(&text);
        let m = &d.meta;
        self.str(&m.id);
        self.str(&m.title);
        self.str(&m.kind);
        for o in [&m.source, &m.url, &m.published, &m.author, &m.language] {
            self.opt_str(o.as_deref());
        }
        self.usize(m.questions.len());
        for q in &m.questions {
            self.str(q);
        }
        self.str(&d.origin);
        self.str(&d.version);
        self.usize(d.chars);
        self.usize(d.passages.len());
        for p in &d.passages {
            self.usize(p.number);
            self.u64(kind_code(p.kind));
            self.opt_usize(p.paragraph);
            self.opt_str(p.section.as_deref());
            self.opt_usize(p.page);
            self.range(&p.bytes);
            self.span(p.span);
            self.usize(p.sentences.len());
            for s in &p.sentences {
                self.usize(s.number);
                self.range(&s.bytes);
                self.span(s.span);
            }
        }
        self.usize(d.facts.len());
        for f in &d.facts {
            self.str(&f.key);
            self.str(&f.filter);
            self.range(&f.bytes);
            self.span(f.span);
            self.usize(f.passage);
        }
    }
}

fn kind_code(k: PassageKind) -> u64 {
    match k {
        PassageKind::Paragraph => 0,
        PassageKind::Item => 1,
        PassageKind::Caption => 2,
        PassageKind::Fact => 3,
    }
}

/// Reads records from a byte slice.
pub(super) struct Decoder<'a> {
    /// The bytes not read yet.
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Decoder { rest: bytes }
    }

    /// Whether every byte was read.
    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(super) fn u64(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.rest.split_first()?;
            self.rest = rest;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    pub(super) fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }

    /// A count of items each at least one byte long: never more than the
    /// bytes left, so a damaged count cannot reserve unbounded memory.
    fn count(&mut self) -> Option<usize> {
        let n = self.usize()?;
        (n <= self.rest.len()).then_some(n)
    }

    pub(super) fn str(&mut self) -> Option<&'a str> {
        let n = self.usize()?;
        if n > self.rest.len() {
            return None;
        }
        let (s, rest) = self.rest.split_at(n);
        self.rest = rest;
        std::str::from_utf8(s).ok()
    }

    fn string(&mut self) -> Option<String> {
        self.str().map(str::to_string)
    }

    fn opt_string(&mut self) -> Option<Option<String>> {
        match self.u64()? {
            0 => Some(None),
            1 => self.string().map(Some),
            _ => None,
        }
    }

    fn opt_usize(&mut self) -> Option<Option<usize>> {
        Some(match self.usize()? {
            0 => None,
            n => Some(n - 1),
        })
    }

    fn range(&mut self) -> Option<Range<usize>> {
        let (start, end) = (self.usize()?, self.usize()?);
        (start <= end).then_some(start..end)
    }

    fn span(&mut self) -> Option<Span> {
        let (start, end) = (self.usize()?, self.usize()?);
        (start <= end).then_some(Span { start, end })
    }

    /// The text range of the next document, in the text region.
    pub(super) fn text_range(&mut self) -> Option<Range<usize>> {
        self.range()
    }

    /// The rest of a document whose text range was just read, over `text`:
    /// `None` when any range falls outside it or off a char boundary.
    pub(super) fn document(&mut self, text: Text) -> Option<Document> {
        let within = |r: &Range<usize>| {
            r.end <= text.len() && text.is_char_boundary(r.start) && text.is_char_boundary(r.end)
        };
        let meta = DocMeta {
            id: self.string()?,
            title: self.string()?,
            kind: self.string()?,
            source: self.opt_string()?,
            url: self.opt_string()?,
            published: self.opt_string()?,
            author: self.opt_string()?,
            language: self.opt_string()?,
            questions: {
                let n = self.count()?;
                let mut q = Vec::with_capacity(n);
                for _ in 0..n {
                    q.push(self.string()?);
                }
                q
            },
        };
        let origin = self.string()?;
        let version = self.string()?;
        let chars = self.usize()?;
        let n = self.count()?;
        let mut passages = Vec::with_capacity(n);
        for _ in 0..n {
            let number = self.usize()?;
            let kind = match self.u64()? {
                0 => PassageKind::Paragraph,
                1 => PassageKind::Item,
                2 => PassageKind::Caption,
                3 => PassageKind::Fact,
                _ => return None,
            };
            let paragraph = self.opt_usize()?;
            let section = self.opt_string()?;
            let page = self.opt_usize()?;
            let bytes = self.range().filter(within)?;
            let span = self.span()?;
            let m = self.count()?;
            let mut sentences = Vec::with_capacity(m);
            for _ in 0..m {
                sentences.push(Sentence {
                    number: self.usize()?,
                    bytes: self.range().filter(within)?,
                    span: self.span()?,
                });
            }
            passages.push(Passage {
                number,
                kind,
                paragraph,
                section,
                page,
                bytes,
                span,
                sentences,
            });
        }
        let n = self.count()?;
        let mut facts = Vec::with_capacity(n);
        for _ in 0..n {
            facts.push(Fact {
                key: self.string()?,
                filter: self.string()?,
                bytes: self.range().filter(within)?,
                span: self.span()?,
                passage: self.usize()?,
            });
        }
        Some(Document {
            meta,
            origin,
            text,
            version,
            chars,
            passages,
            facts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::parse_document;

    fn sample() -> Document {
        let raw = "---\nid: a\ntitle: A “quoted” title\nurl: https://example.com\nquestions:\n  - Who?\n---\n# Heading\n\nFirst paragraph. Second sentence — with ü.\n\n- Publisher: Example\n- Date: 2025\n\n![A caption](x.png)\n";
        parse_document(std::path::Path::new("a.md"), raw).unwrap()
    }

    #[test]
    fn a_document_comes_back_whole() {
        let d = sample();
        let mut e = Encoder::default();
        e.document(&d, 0..d.text.len());
        let mut r = Decoder::new(&e.buf);
        assert_eq!(r.text_range(), Some(0..d.text.len()));
        let back = r.document(d.text.clone()).unwrap();
        assert!(r.is_empty());
        assert_eq!(back.meta, d.meta);
        assert_eq!(back.passages, d.passages);
        assert_eq!(back.facts, d.facts);
        assert_eq!(
            (back.origin, back.version, back.chars, back.text),
            (d.origin, d.version, d.chars, d.text)
        );
    }

    #[test]
    fn damaged_records_are_refused_not_panicked_on() {
        let d = sample();
        let mut e = Encoder::default();
        e.document(&d, 0..d.text.len());
        // Every truncation decodes to nothing, and every single-byte change
        // to a document whose ranges all fall on the text, or to nothing.
        for cut in 0..e.buf.len() {
            let mut r = Decoder::new(&e.buf[..cut]);
            let back = r.text_range().and_then(|_| r.document(d.text.clone()));
            assert!(back.is_none(), "a record cut at byte {cut} decoded");
        }
        for i in 0..e.buf.len() {
            let mut bytes = e.buf.clone();
            bytes[i] ^= 0xff;
            let mut r = Decoder::new(&bytes);
            if let Some(back) = r.text_range().and_then(|_| r.document(d.text.clone())) {
                for p in &back.passages {
                    let _ = back.passage_text(p);
                    for s in &p.sentences {
                        let _ = &back.text[s.bytes.clone()];
                    }
                }
            }
        }
        // A text too short for the recorded ranges is refused.
        let mut r = Decoder::new(&e.buf);
        r.text_range();
        assert!(r.document(Text::from("short")).is_none());
    }
}
