//! Fuzz harnesses: arbitrary bytes in, invariants checked, no IO.
//!
//! Each function takes any bytes, runs one parser or extractor on them and
//! panics if an invariant breaks (or if the code under test panics). The
//! cargo-fuzz targets in `fuzz/` call them, and the integration tests replay
//! the seeds in `fuzz/seeds/<target>/` plus proptest inputs through them, so
//! a crash found by fuzzing becomes a regression test by adding its file.

use std::path::Path;

use crate::analysis::tokenize;
use crate::draft::find_quotes;
use crate::ingest::{frontmatter, html, parse_file};
use crate::model::{CharMap, Document, Segmentation};
use crate::quote::{align, marks};
use crate::search::query::{self, Clause, Node};
use crate::segment::{segment, Markup};

/// A harness: any bytes in; panics when an invariant breaks.
pub type Harness = fn(&[u8]);

/// The targets, by name (as in `fuzz/fuzz_targets/` and `fuzz/seeds/`).
pub const TARGETS: &[(&str, Harness)] = &[
    ("query", query),
    ("quote", quote),
    ("draft", draft),
    ("front_matter", front_matter),
    ("segment", segment_text),
    ("html", html_file),
    ("pdf", pdf_file),
    ("corpus_file", corpus_file),
];

/// The query parser: never fails, nesting stays within [`query::MAX_DEPTH`].
pub fn query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = query::parse(&text);
    fn depth(clauses: &[Clause]) -> usize {
        clauses
            .iter()
            .map(|c| match &c.node {
                Node::Group(inner) => 1 + depth(inner),
                Node::Term(t) | Node::Phrase(t) => {
                    assert!(!t.is_empty(), "empty term or phrase");
                    0
                }
            })
            .max()
            .unwrap_or(0)
    }
    assert!(depth(&parsed.clauses) <= query::MAX_DEPTH + 1);
    check_tokens(&text);
}

/// The quote normalizer and aligner: the first line is the quote, the rest
/// the source. Offsets stay in their texts, alignments in their ranges,
/// the diff accounts for every word, and similarity is in [0, 1].
pub fn quote(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (q, source) = text.split_once('\n').unwrap_or((&text, ""));
    let parts = marks::parse(q);
    let words = marks::words(&parts);
    for w in &words {
        assert!(
            w.start < w.end && w.end <= q.len(),
            "word outside the quote"
        );
        assert!(q.is_char_boundary(w.start) && q.is_char_boundary(w.end));
    }
    for p in &parts {
        if let marks::Part::Words(ws) = p {
            assert!(!ws.is_empty(), "an empty word run");
        }
    }
    let qn: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    let stoks = tokenize(source);
    let sn: Vec<&str> = stoks.iter().map(|t| t.text.as_str()).collect();
    if let Some(local) = align::local_align(&qn, &sn) {
        assert!(local.source_start <= local.source_end && local.source_end <= sn.len());
        assert!(local.quote_start <= local.quote_end && local.quote_end <= qn.len());
        let (a, b) = align::extend(local, &qn, &sn);
        assert!(a <= b && b <= sn.len(), "extended span out of range");
    }
    let steps = align::diff(&qn, &sn);
    let (mut q_seen, mut s_seen) = (0, 0);
    for s in &steps {
        match *s {
            align::Step::Equal { quote, source } => {
                assert_eq!(quote.1 - quote.0, source.1 - source.0);
                assert!(qn[quote.0..quote.1] == sn[source.0..source.1]);
                q_seen += quote.1 - quote.0;
                s_seen += source.1 - source.0;
            }
            align::Step::Insert { quote, .. } => q_seen += quote.1 - quote.0,
            align::Step::Delete { source, .. } => s_seen += source.1 - source.0,
            align::Step::Replace { quote, source } => {
                q_seen += quote.1 - quote.0;
                s_seen += source.1 - source.0;
            }
        }
    }
    assert_eq!((q_seen, s_seen), (qn.len(), sn.len()), "diff lost words");
    let sim = align::similarity(&steps, qn.len(), sn.len());
    assert!((0.0..=1.0).contains(&sim), "similarity {sim}");
    if !qn.is_empty() && qn == sn {
        assert_eq!(sim, 1.0);
    }
    for op in [
        crate::quote::DiffOp::Replace,
        crate::quote::DiffOp::Delete,
        crate::quote::DiffOp::Insert,
    ] {
        let _ = align::meaning_notes(op, &qn, &sn, &qn, &sn, q, source);
    }
}

/// The draft quotation finder: ranges in order, inside the draft, on char
/// boundaries and not overlapping.
pub fn draft(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for short in [false, true] {
        let mut prev = 0;
        for r in find_quotes(&text, short) {
            assert!(r.start >= prev && r.start <= r.end && r.end <= text.len());
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            let inner = &text[r.clone()];
            assert_eq!(inner.trim(), inner, "quotation not trimmed");
            prev = r.end;
        }
    }
}

/// The front-matter parser: the body starts on a char boundary inside the
/// text, and an error's line exists in the file.
pub fn front_matter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match frontmatter::split(&text) {
        Ok(s) => {
            assert!(s.body_start <= text.len() && text.is_char_boundary(s.body_start));
        }
        Err(e) => {
            assert!(!e.message.is_empty());
            if let Some(line) = e.line {
                assert!(line >= 1 && line <= text.lines().count() + 1, "line {line}");
            }
        }
    }
}

/// The segmenter, in both markups: see [`check_passages`].
pub fn segment_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for markup in [Markup::Plain, Markup::Markdown] {
        check_passages(&text, &segment(&text, markup));
    }
}

/// The HTML extractor, alone and as a corpus file.
pub fn html_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (title, body) = html::extract(&text);
    if let Some(t) = title {
        assert_eq!(t.trim(), t);
    }
    check_tokens(&body);
    check_file("page.html", data);
}

/// The PDF extractor: a document with valid offsets, or an error naming the file.
pub fn pdf_file(data: &[u8]) {
    check_file("paper.pdf", data);
}

/// The corpus reader, as Markdown, text and JSON Lines.
pub fn corpus_file(data: &[u8]) {
    for name in ["note.md", "note.txt", "notes.jsonl"] {
        check_file(name, data);
    }
}

fn check_file(name: &str, data: &[u8]) {
    let (docs, errors) = parse_file(Path::new(name), data);
    for d in &docs {
        check_document(d);
    }
    for e in &errors {
        assert!(
            e.to_string().contains(name),
            "error does not name the file: {e}"
        );
    }
}

/// A document's invariants: every passage and sentence is cut from its text
/// at offsets that agree in bytes and chars.
pub fn check_document(d: &Document) {
    check_passages(&d.text, &d.segments);
    assert_eq!(d.chars, d.text.chars().count());
}

/// Passages are numbered from 1, in order, non-empty, without outer
/// whitespace, hold at least one sentence, and their byte and char offsets
/// slice the same text; likewise for their sentences. The columns read back
/// as stored ones pass the store's checks.
pub fn check_passages(text: &str, passages: &Segmentation) {
    let stored = tantivy::directory::OwnedBytes::new(passages.as_bytes().to_vec());
    assert!(
        Segmentation::checked(stored, text).as_ref() == Some(passages),
        "well-formed columns fail the store's checks"
    );
    let map = CharMap::new(text);
    let by_chars = |start: usize, end: usize| -> String {
        text.chars().skip(start).take(end - start).collect()
    };
    let mut prev_end = 0;
    for (i, p) in passages.iter().enumerate() {
        assert_eq!(p.number, i + 1);
        assert!(
            p.bytes.start >= prev_end,
            "passages overlap or go backwards"
        );
        prev_end = p.bytes.end;
        let slice = &text[p.bytes.clone()];
        assert!(!slice.is_empty());
        assert_eq!(slice.trim(), slice, "passage has outer whitespace");
        assert_eq!(map.span(&p.bytes), p.span);
        assert_eq!(by_chars(p.span.start, p.span.end), slice);
        assert!(p.sentence_count() > 0, "a passage has no sentence");
        let mut s_prev = p.bytes.start;
        for (j, s) in passages.sentences(&p).enumerate() {
            assert_eq!(s.number, j + 1);
            assert!(
                s.bytes.start >= s_prev && s.bytes.end <= p.bytes.end,
                "sentence outside its passage"
            );
            s_prev = s.bytes.end;
            let st = &text[s.bytes.clone()];
            assert!(!st.is_empty());
            assert_eq!(st.trim(), st);
            assert_eq!(by_chars(s.span.start, s.span.end), st);
        }
    }
}

/// Tokens are non-empty, in order, on char boundaries of `text`.
fn check_tokens(text: &str) {
    let mut prev = 0;
    for t in tokenize(text) {
        assert!(t.start >= prev && t.start < t.end && t.end <= text.len());
        assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
        assert!(!t.text.is_empty());
        prev = t.start;
    }
}
