//! The store's record format: a document's metadata and segmentation as
//! LEB128 varints and length-prefixed strings, its text kept apart (the
//! caller appends it to the text region and records where). Decoding is
//! total: malformed or out-of-range input is `None`, never a panic, and
//! every range it returns is checked against the text it indexes into.
//!
//! Pure: no IO.

use std::ops::Range;

use tantivy::directory::OwnedBytes;

use crate::model::{DocMeta, Document, Fact, Segmentation, Span, Text};

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

    /// Length-prefixed bytes.
    fn bytes(&mut self, b: &[u8]) {
        self.usize(b.len());
        self.buf.extend_from_slice(b);
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
        self.usize(m.ocr_pages.len());
        for c in &m.ocr_pages {
            self.usize(c.map_or(0, |c| usize::from(c) + 1));
        }
        self.usize(m.ocr_unclear.len());
        for &(s, e) in &m.ocr_unclear {
            self.usize(s as usize);
            self.usize(e as usize);
        }
        self.str(&d.origin);
        self.str(&d.version);
        self.usize(d.chars);
        self.bytes(d.segments.as_bytes());
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

/// Reads records from a byte slice.
pub(super) struct Decoder<'a> {
    /// All the bytes, read or not: where a blob is.
    all: &'a [u8],
    /// The bytes not read yet.
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Decoder {
            all: bytes,
            rest: bytes,
        }
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

    /// Length-prefixed bytes, as where they are in the decoder's input.
    fn blob(&mut self) -> Option<Range<usize>> {
        let n = self.usize()?;
        if n > self.rest.len() {
            return None;
        }
        let start = self.all.len() - self.rest.len();
        self.rest = &self.rest[n..];
        Some(start..start + n)
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

    /// The rest of a document whose text range was just read, over `text`;
    /// `bytes` cuts a range of the decoder's input as bytes the document
    /// may keep (its segmentation is read in place, not decoded). `None`
    /// when any range falls outside the text or off a char boundary.
    pub(super) fn document(
        &mut self,
        text: Text,
        bytes: impl FnOnce(Range<usize>) -> OwnedBytes,
    ) -> Option<Document> {
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
            ocr_pages: {
                let n = self.count()?;
                let mut pages = Vec::with_capacity(n);
                for _ in 0..n {
                    pages.push(match self.usize()? {
                        0 => None,
                        c => Some(u8::try_from(c - 1).ok()?),
                    });
                }
                pages
            },
            ocr_unclear: {
                let n = self.count()?;
                let mut ranges = Vec::with_capacity(n);
                for _ in 0..n {
                    let s = u32::try_from(self.usize()?).ok()?;
                    let e = u32::try_from(self.usize()?).ok()?;
                    within(&(s as usize..e as usize)).then_some(())?;
                    ranges.push((s, e));
                }
                ranges
            },
        };
        let origin = self.string()?;
        let version = self.string()?;
        let chars = self.usize()?;
        let segments = Segmentation::checked(bytes(self.blob()?), &text)?;
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
            segments,
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
        let back = r
            .document(d.text.clone(), |at| OwnedBytes::new(e.buf[at].to_vec()))
            .unwrap();
        assert!(r.is_empty());
        assert_eq!(back.meta, d.meta);
        assert_eq!(back.segments, d.segments);
        assert_eq!(back.section(&back.passage(1).unwrap()), Some("Heading"));
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
            let bytes = &e.buf[..cut];
            let mut r = Decoder::new(bytes);
            let back = r
                .text_range()
                .and_then(|_| r.document(d.text.clone(), |at| OwnedBytes::new(bytes[at].to_vec())));
            assert!(back.is_none(), "a record cut at byte {cut} decoded");
        }
        for i in 0..e.buf.len() {
            let mut bytes = e.buf.clone();
            bytes[i] ^= 0xff;
            let mut r = Decoder::new(&bytes);
            let back = r
                .text_range()
                .and_then(|_| r.document(d.text.clone(), |at| OwnedBytes::new(bytes[at].to_vec())));
            if let Some(back) = back {
                for p in back.passages() {
                    let _ = back.passage_text(&p);
                    let _ = back.section(&p);
                    for s in back.sentences(&p) {
                        let _ = &back.text[s.bytes.clone()];
                    }
                }
            }
        }
        // A text too short for the recorded ranges is refused.
        let mut r = Decoder::new(&e.buf);
        r.text_range();
        let short = r.document(Text::from("short"), |at| {
            OwnedBytes::new(e.buf[at].to_vec())
        });
        assert!(short.is_none());
    }
}
