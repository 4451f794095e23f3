//! Quote checking: is this quote in the sources word for word? If not, what
//! differs and where is the closest original?
//!
//! 1. The quote is parsed for editorial marks ([`marks`]) and folded into
//!    words with the same analysis as the index (typography, case, NFKC,
//!    soft hyphens and zero-width characters never count).
//! 2. Candidate passages come from the index only, never a corpus scan: an
//!    exact phrase query for the longest run of words, then a ranked query
//!    over the quote's words.
//! 3. Each candidate is aligned at word level (Smith-Waterman) against a
//!    window of itself and its neighbours, so a quote that straddles a
//!    paragraph break is still found. The best span is diffed word by word.
//! 4. The verdict: `verbatim` when every word matches in order (runs around
//!    marks may skip source words: any number inside one passage for an
//!    ellipsis, up to [`BRACKET_MAX_WORDS`] for a bracket); `altered` when
//!    the similarity reaches [`ALTERED_MIN_SIMILARITY`]; else `not_found`.

pub(crate) mod align;
pub(crate) mod marks;
mod stitch;

use std::collections::HashSet;

use serde::Serialize;
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use crate::analysis::{tokenize, Token};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::model::{Document, Passage, Span};
use crate::snapshot::Snapshot;
pub use align::{DiffOp, Note, NoteKind};
use align::{Step, Word};
use marks::{Mark, Part};

/// Longest quote checked, in words; longer is rejected before any work.
pub const MAX_QUOTE_WORDS: usize = 300;
/// Most source words a `[bracket]` may stand for.
pub(crate) const BRACKET_MAX_WORDS: usize = 12;
/// Similarity from which a near match is reported as `altered` rather than
/// `not_found`. Fitted on the SQuAD perturbation set's tuning split (articles
/// 0-23) with `verbatim bench quotes`; see README.md.
pub(crate) const ALTERED_MIN_SIMILARITY: f64 = 0.6;
/// Candidate passages aligned per check.
const CANDIDATES: usize = 12;

/// Distinct quote words, the rarest in the index, that rank candidate
/// passages ([`ranked`]).
const RANKED_WORDS: usize = 16;
/// Window words around the densest region when a window is very long.
const WINDOW_SLACK: usize = 200;

/// The verdict on a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every word is in one document, in order.
    Verbatim,
    /// A similar source span exists, but words differ.
    Altered,
    /// Nothing close enough.
    NotFound,
    /// A quotation of a draft that was too long to check (over
    /// [`MAX_QUOTE_WORDS`] words); never the verdict of a single check.
    NotChecked,
}

impl Verdict {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Verbatim => "verbatim",
            Verdict::Altered => "altered",
            Verdict::NotFound => "not_found",
            Verdict::NotChecked => "not_checked",
        }
    }
}

/// One step of the word diff, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffPart {
    /// What the step does.
    pub op: DiffOp,
    /// The quote's words (original spelling), empty for `delete`.
    pub quote: String,
    /// The source's words (original spelling), empty for `insert`.
    pub source: String,
}

/// The closest source span.
#[derive(Debug, Clone)]
pub struct QuoteMatch<'a> {
    /// Its document.
    pub doc: &'a Document,
    /// The passage where the span starts.
    pub passage: Passage,
    /// Byte range of the span in the document text.
    pub bytes: std::ops::Range<usize>,
    /// Char range of the span in the document text.
    pub span: Span,
    /// Dice similarity of the words (see [`align::similarity`]).
    pub similarity: f64,
    /// The word diff.
    pub diff: Vec<DiffPart>,
    /// Notes: changes of meaning, case, omissions, insertions, breaks.
    pub notes: Vec<Note>,
}

/// The result of checking one quote.
#[derive(Debug, Clone)]
pub struct QuoteCheck<'a> {
    /// The verdict.
    pub verdict: Verdict,
    /// The closest span, unless not found (for a stitched quote, its
    /// longest piece).
    pub matched: Option<QuoteMatch<'a>>,
    /// Nearest passages when not found (never a match).
    pub candidates: Vec<(&'a Document, Passage)>,
    /// The pieces of a stitched quote, in quote order; empty otherwise.
    pub pieces: Vec<Piece<'a>>,
}

/// One piece of a stitched quote: some of its words, matched in one place.
#[derive(Debug, Clone)]
pub struct Piece<'a> {
    /// Byte range of the piece's words in the quote.
    pub quote: std::ops::Range<usize>,
    /// Whether the piece is word for word its source span.
    pub verbatim: bool,
    /// Its source span, diff and notes.
    pub matched: QuoteMatch<'a>,
}

fn words_of(tokens: &[Token]) -> Vec<Word> {
    tokens
        .iter()
        .map(|t| Word {
            norm: t.text.clone(),
            start: t.start,
            end: t.end,
        })
        .collect()
}

/// Checks one quote against the snapshot's corpus.
pub(crate) fn check<'a>(snap: &'a Snapshot, quote: &str) -> Result<QuoteCheck<'a>> {
    check_with(snap, quote, ALTERED_MIN_SIMILARITY)
}

/// Most quotations checked in one draft.
pub const MAX_DRAFT_QUOTES: usize = 200;

/// One quotation of a draft and what its check found.
#[derive(Debug, Clone)]
pub struct DraftQuote<'a> {
    /// Char range of the quotation (inside its quote marks) in the draft.
    pub span: Span,
    /// The quotation as it stands in the draft.
    pub quote: String,
    /// The check; `None` when the quotation is over [`MAX_QUOTE_WORDS`]
    /// words (reported, not fatal, in a draft).
    pub check: Option<QuoteCheck<'a>>,
}

/// Every quotation of a draft, in draft order, checked.
#[derive(Debug, Clone)]
pub struct DraftCheck<'a> {
    /// In draft order.
    pub quotes: Vec<DraftQuote<'a>>,
}

/// Finds and checks every quotation in a draft.
pub(crate) fn check_draft<'a>(
    snap: &'a Snapshot,
    draft: &str,
    include_short: bool,
    cancel: &Cancel,
) -> Result<DraftCheck<'a>> {
    let ranges = crate::draft::find_quotes(draft, include_short);
    if ranges.len() > MAX_DRAFT_QUOTES {
        return Err(Error::InvalidParameter(format!(
            "the draft has {} quotations; at most {MAX_DRAFT_QUOTES} are checked per request",
            ranges.len()
        )));
    }
    let map = crate::model::CharMap::new(draft);
    let mut quotes = Vec::with_capacity(ranges.len());
    for r in ranges {
        // Up to 200 checks: a request that stopped waiting stops them.
        cancel.check()?;
        let q = &draft[r.clone()];
        let check = match check(snap, q) {
            Ok(c) => Some(c),
            Err(Error::QuoteTooLong(_)) => None,
            Err(e) => return Err(e),
        };
        quotes.push(DraftQuote {
            span: map.span(&r),
            quote: q.to_string(),
            check,
        });
    }
    Ok(DraftCheck { quotes })
}

/// [`check`] with another `altered` threshold (benchmarks sweep it with 0.0
/// and read the similarity back).
pub(crate) fn check_with<'a>(
    snap: &'a Snapshot,
    quote: &str,
    altered_min: f64,
) -> Result<QuoteCheck<'a>> {
    let parts = marks::parse(quote);
    let qwords = words_of(&marks::words(&parts));
    if qwords.is_empty() {
        return Err(Error::InvalidQuote("the quote has no words".into()));
    }
    if qwords.len() > MAX_QUOTE_WORDS {
        return Err(Error::QuoteTooLong(format!(
            "the quote has {} words; at most {MAX_QUOTE_WORDS} are checked",
            qwords.len()
        )));
    }
    let candidates = candidates(snap, &parts, &qwords)?;
    let has_marks = parts.iter().any(|p| matches!(p, Part::Mark(_)));
    if has_marks {
        for (doc, p) in &candidates {
            if let Some(m) = match_with_marks(quote, &parts, doc, p) {
                return Ok(QuoteCheck {
                    verdict: Verdict::Verbatim,
                    matched: Some(m),
                    candidates: Vec::new(),
                    pieces: Vec::new(),
                });
            }
        }
    }
    let qn: Vec<&str> = qwords.iter().map(|w| w.norm.as_str()).collect();
    let single = single_span(quote, &qwords, &qn, &candidates, has_marks);
    if let Some((Verdict::Verbatim, m, _)) = single {
        return Ok(QuoteCheck {
            verdict: Verdict::Verbatim,
            matched: Some(m),
            candidates: Vec::new(),
            pieces: Vec::new(),
        });
    }
    let single = single.filter(|(_, m, _)| m.similarity >= altered_min);
    let single_equal = single.as_ref().map_or(0, |s| s.2);
    if let Some(c) = stitched(snap, quote, &qwords, &qn, &candidates, single_equal)? {
        return Ok(c);
    }
    Ok(match single {
        Some((verdict, matched, _)) => QuoteCheck {
            verdict,
            matched: Some(matched),
            candidates: Vec::new(),
            pieces: Vec::new(),
        },
        None => QuoteCheck {
            verdict: Verdict::NotFound,
            matched: None,
            candidates: nearest(candidates),
            pieces: Vec::new(),
        },
    })
}

/// The best single source span for the quote's words, with its verdict
/// (`verbatim` or `altered`, the threshold not yet applied) and how many
/// quote words it matches.
fn single_span<'a>(
    quote: &str,
    qwords: &[Word],
    qn: &[&str],
    candidates: &[(&'a Document, Passage)],
    has_marks: bool,
) -> Option<(Verdict, QuoteMatch<'a>, usize)> {
    let mut best: Option<(i32, &Document, Vec<Word>, align::Local)> = None;
    for (doc, p) in candidates {
        let window = window_words(doc, p, qn);
        let wn: Vec<&str> = window.iter().map(|w| w.norm.as_str()).collect();
        if let Some(local) = align::local_align(qn, &wn) {
            if best.as_ref().is_none_or(|b| local.score > b.0) {
                best = Some((local.score, doc, window, local));
            }
        }
    }
    let (_, doc, window, local) = best?;
    let wn: Vec<&str> = window.iter().map(|w| w.norm.as_str()).collect();
    let (s, e) = align::extend(local, qn, &wn);
    let span_words = &window[s..e];
    let sn: Vec<&str> = span_words.iter().map(|w| w.norm.as_str()).collect();
    let steps = align::diff(qn, &sn);
    let similarity = align::similarity(&steps, qn.len(), sn.len());
    let all_equal = steps.iter().all(|s| matches!(s, Step::Equal { .. }));
    let verdict = if all_equal && qn.len() == sn.len() {
        Verdict::Verbatim
    } else {
        Verdict::Altered
    };
    let bytes = span_words[0].start..span_words[span_words.len() - 1].end;
    let unclear = unclear_differences(&doc.meta.ocr_unclear, &doc.text, span_words, &steps);
    let (diff, mut notes) = describe(quote, qwords, &doc.text, span_words, &steps);
    if verdict == Verdict::Altered {
        let mut a = qn.to_vec();
        let mut b = sn.clone();
        a.sort_unstable();
        b.sort_unstable();
        if a == b {
            notes.push(Note::new(
                NoteKind::Reordered,
                "words reordered: the quote has the source's words in another order",
            ));
        }
    }
    if has_marks {
        notes.push(Note::new(
            NoteKind::MarksIgnored,
            "the quote's editorial marks ([…], …) did not line up with one passage; compared as plain words",
        ));
    }
    let equal = steps
        .iter()
        .map(|s| match *s {
            Step::Equal { quote, .. } => quote.1 - quote.0,
            _ => 0,
        })
        .sum();
    Some((
        verdict,
        make_match(doc, bytes, similarity, diff, notes, &unclear),
        equal,
    ))
}

/// A quote joined from verbatim pieces of different places ([`stitch`]):
/// `altered`, with every piece cited. The match is the longest piece; its
/// notes say what was joined, then what each piece changed. Candidates for
/// each half of the quote are added when the first try finds no stitch, so
/// a piece whose passage ranked low for the whole quote is still found.
fn stitched<'a>(
    snap: &'a Snapshot,
    quote: &str,
    qwords: &[Word],
    qn: &[&str],
    candidates: &[(&'a Document, Passage)],
    single_equal: usize,
) -> Result<Option<QuoteCheck<'a>>> {
    // Nothing more is retrieved for a stitch that could not win: a quote
    // whose best single span misses fewer than a piece's words.
    if !stitch::can_beat(qn.len(), single_equal) {
        return Ok(None);
    }
    let mut cands = candidates.to_vec();
    let mut found = None;
    for attempt in 0..2 {
        if attempt == 1 {
            let half = qwords.len() / 2;
            for part in [&qwords[..half], &qwords[half..]] {
                cands.extend(ranked(snap, part, CANDIDATES / 2)?);
            }
        }
        let sources = stitch_sources(&cands);
        let norms: Vec<Vec<&str>> = sources
            .iter()
            .map(|(_, w)| w.iter().map(|w| w.norm.as_str()).collect())
            .collect();
        if let Some(groups) = stitch::stitch(qn, &norms, single_equal) {
            found = Some((sources, groups));
            break;
        }
    }
    let Some((sources, groups)) = found else {
        return Ok(None);
    };
    let quote_bytes = |a: usize, b: usize| qwords[a].start..qwords[b - 1].end;
    let mut pieces: Vec<Piece<'a>> = Vec::with_capacity(groups.len());
    for g in &groups {
        let (doc, words) = &sources[g.source];
        let span_words = &words[g.at.0..g.at.1];
        let sn: Vec<&str> = span_words.iter().map(|w| w.norm.as_str()).collect();
        let gq = &qn[g.quote.0..g.quote.1];
        let steps = align::diff(gq, &sn);
        let similarity = align::similarity(&steps, gq.len(), sn.len());
        let (diff, notes) = describe(
            quote,
            &qwords[g.quote.0..g.quote.1],
            &doc.text,
            span_words,
            &steps,
        );
        let bytes = span_words[0].start..span_words[span_words.len() - 1].end;
        let unclear = unclear_differences(&doc.meta.ocr_unclear, &doc.text, span_words, &steps);
        pieces.push(Piece {
            quote: quote_bytes(g.quote.0, g.quote.1),
            verbatim: g.exact(),
            matched: make_match(doc, bytes, similarity, diff, notes, &unclear),
        });
    }
    // Where each piece is, as its citation's label says it (the reader's
    // ¶, never the block number of the passage id).
    let place = |p: &Piece<'_>| {
        let at = p.matched.doc.place(&p.matched.passage);
        if std::ptr::eq(p.matched.doc, pieces[0].matched.doc) {
            at
        } else {
            format!("{at} of “{}”", p.matched.doc.meta.title)
        }
    };
    let places: Vec<String> = pieces.iter().map(place).collect();
    let joins: Vec<&str> = pieces
        .windows(2)
        .map(|w| &quote[w[0].quote.end..w[1].quote.start])
        .collect();
    let marked = joins.iter().all(|j| j.contains('…') || j.contains("..."));
    let altered: Vec<String> = pieces
        .iter()
        .zip(&places)
        .filter(|(p, _)| !p.verbatim)
        .map(|(_, pl)| pl.clone())
        .collect();
    let mut notes = vec![Note::new(
        NoteKind::Stitched,
        format!(
            "joins {} {}: {}",
            join_list(&places),
            if marked {
                "with an ellipsis"
            } else {
                "without an ellipsis"
            },
            if altered.is_empty() {
                "each piece is verbatim".to_string()
            } else {
                format!(
                    "the piece from {} is not word for word",
                    join_list(&altered)
                )
            }
        ),
    )];
    // Words of the quote in no piece (a joining "and", say).
    let mut at = 0;
    let mut loose = Vec::new();
    for g in groups.iter().map(|g| g.quote).chain([(qn.len(), qn.len())]) {
        if g.0 > at {
            loose.push(&quote[quote_bytes(at, g.0)]);
        }
        at = g.1;
    }
    if !loose.is_empty() {
        notes.push(Note::new(
            NoteKind::Insertion,
            format!(
                "words in no piece of the sources: {}",
                loose
                    .iter()
                    .map(|w| format!("“{w}”"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    for (p, pl) in pieces.iter().zip(&places) {
        notes.extend(p.matched.notes.iter().map(|n| Note {
            kind: n.kind,
            text: format!("{pl}: {}", n.text),
        }));
    }
    let longest = pieces
        .iter()
        .max_by_key(|p| p.quote.len())
        .map(|p| p.matched.clone())
        .expect("a stitch has pieces");
    Ok(Some(QuoteCheck {
        verdict: Verdict::Altered,
        matched: Some(QuoteMatch { notes, ..longest }),
        candidates: Vec::new(),
        pieces,
    }))
}

/// `a`, `a and b`, `a, b and c`.
fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Text to stitch from: each candidate passage with its neighbours, the
/// overlapping or touching ranges of one document joined and tokenized once
/// (so two pieces of one stretch are measured in one word sequence).
fn stitch_sources<'a>(cands: &[(&'a Document, Passage)]) -> Vec<(&'a Document, Vec<Word>)> {
    let mut ranges: Vec<(&Document, usize, usize)> = cands
        .iter()
        .map(|(doc, p)| {
            let i = p.number - 1;
            (
                *doc,
                i.saturating_sub(1),
                (i + 1).min(doc.segments.len() - 1),
            )
        })
        .collect();
    ranges.sort_by(|a, b| (a.0.meta.id.as_str(), a.1).cmp(&(b.0.meta.id.as_str(), b.1)));
    let mut merged: Vec<(&Document, usize, usize)> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(m) if std::ptr::eq(m.0, r.0) && r.1 <= m.2 + 1 => m.2 = m.2.max(r.2),
            _ => merged.push(r),
        }
    }
    merged
        .into_iter()
        .filter_map(|(doc, a, b)| {
            let bytes = doc.segments.get(a)?.bytes.start..doc.segments.get(b)?.bytes.end;
            Some((doc, doc_words(doc, bytes)))
        })
        .collect()
}

/// The words of `doc.text[bytes]`, folded, with document byte offsets.
fn doc_words(doc: &Document, bytes: std::ops::Range<usize>) -> Vec<Word> {
    let base = bytes.start;
    tokenize(&doc.text[bytes])
        .into_iter()
        .map(|t| Word {
            norm: t.text,
            start: t.start + base,
            end: t.end + base,
        })
        .collect()
}

/// The source words at which a quote differs, when every one of them is a
/// word OCR was unsure of (`unclear`: sorted byte ranges of the document
/// `text`) and the quote adds no words of its own: then the difference is
/// probably OCR's. Empty otherwise. Pure.
fn unclear_differences<'t>(
    unclear: &[(u32, u32)],
    text: &'t str,
    words: &[Word],
    steps: &[Step],
) -> Vec<&'t str> {
    if unclear.is_empty() {
        return Vec::new();
    }
    let mut differing: Vec<&Word> = Vec::new();
    for step in steps {
        match *step {
            Step::Equal { .. } => {}
            // A word the scan's text lacks altogether is no misreading.
            Step::Insert { .. } => return Vec::new(),
            Step::Delete { source, .. } | Step::Replace { source, .. } => {
                differing.extend(&words[source.0..source.1]);
            }
        }
    }
    let is_unclear = |w: &Word| {
        // The last range starting at or before the word must hold it all.
        let i = unclear.partition_point(|&(s, _)| s as usize <= w.start);
        i > 0 && w.end <= unclear[i - 1].1 as usize
    };
    if differing.is_empty() || !differing.iter().all(|w| is_unclear(w)) {
        return Vec::new();
    }
    differing
        .iter()
        .filter_map(|w| text.get(w.start..w.end))
        .collect()
}

/// Builds a match, citing the passage where the span starts; `unclear`
/// are its differing words when all are words OCR was unsure of
/// ([`unclear_differences`]).
fn make_match<'a>(
    doc: &'a Document,
    bytes: std::ops::Range<usize>,
    similarity: f64,
    diff: Vec<DiffPart>,
    mut notes: Vec<Note>,
    unclear: &[&str],
) -> QuoteMatch<'a> {
    let passage = doc
        .passages()
        .rev()
        .find(|p| p.bytes.start <= bytes.start)
        .or_else(|| doc.passage(1))
        .expect("a match lies in a document with passages");
    // A span that runs into later passages crosses a paragraph break, or
    // a heading when the section changes.
    let crossed: Vec<Passage> = doc
        .passages()
        .filter(|p| bytes.start < p.bytes.start && p.bytes.start < bytes.end)
        .collect();
    if let Some(last) = crossed.last() {
        let heading = crossed
            .iter()
            .any(|p| doc.section(p) != doc.section(&passage));
        notes.push(Note::new(
            NoteKind::CrossesBreak,
            format!(
                "the quote runs across {} (¶{} into ¶{})",
                if heading {
                    "a heading"
                } else {
                    "a paragraph break"
                },
                passage.number,
                last.number
            ),
        ));
    }
    // Against a scan's OCR text, a difference may be OCR's, not the
    // quote's: say so, with how sure OCR was on that page.
    let ocr = passage.page.and_then(|n| {
        doc.meta
            .ocr_pages
            .get(n.checked_sub(1)?)
            .copied()
            .flatten()
            .map(|c| (n, c))
    });
    if let Some((page, confidence)) = ocr.filter(|_| diff.iter().any(|d| d.op != DiffOp::Equal)) {
        let text = if unclear.is_empty() {
            format!(
                "the source is a scan read by OCR (p. {page}, mean word confidence {confidence}%): a difference may be a misreading; check the scan"
            )
        } else {
            let shown: Vec<String> = unclear.iter().take(3).map(|w| format!("“{w}”")).collect();
            let more = if unclear.len() > 3 { ", …" } else { "" };
            format!(
                "the quote differs from the scan's OCR text only at words OCR was unsure of (p. {page}: {}{more}): probably a misreading; check the scan",
                shown.join(", ")
            )
        };
        notes.push(Note::new(NoteKind::ScanText, text));
    }
    let char_at = |b: usize| passage.span.start + doc.text[passage.bytes.start..b].chars().count();
    let span = Span {
        start: char_at(bytes.start),
        end: char_at(bytes.end),
    };
    QuoteMatch {
        doc,
        passage,
        bytes,
        span,
        similarity,
        diff,
        notes,
    }
}

fn nearest(c: Vec<(&Document, Passage)>) -> Vec<(&Document, Passage)> {
    c.into_iter().take(3).collect()
}

/// Candidate passages from the index: exact phrase hits first, then ranked.
fn candidates<'a>(
    snap: &'a Snapshot,
    parts: &[Part],
    qwords: &[Word],
) -> Result<Vec<(&'a Document, Passage)>> {
    let f = snap.fields();
    let mut found = Vec::new();
    let longest = parts
        .iter()
        .filter_map(|p| match p {
            Part::Words(w) => Some(w),
            Part::Mark(_) => None,
        })
        .max_by_key(|w| w.len());
    if let Some(run) = longest.filter(|w| w.len() >= 2) {
        let terms: Vec<Term> = run
            .iter()
            .map(|t| Term::from_field_text(f.exact, &t.text))
            .collect();
        found.extend(snap.retrieve(&PhraseQuery::new(terms), CANDIDATES / 2)?);
    }
    let mut out = found
        .into_iter()
        .map(|s| (s.doc, s.passage))
        .collect::<Vec<_>>();
    out.extend(ranked(snap, qwords, CANDIDATES)?);
    let mut seen = HashSet::new();
    out.retain(|(d, p)| seen.insert((d.meta.id.as_str(), p.number)));
    Ok(out)
}

/// The `limit` passages ranked best for `words` (BM25 over exact words):
/// over the [`RANKED_WORDS`] rarest of them in the index. A quote's source
/// holds every word the quote took from it, so its rare words find it; the
/// common ones add little to the ranking and most of its cost (block-WAND
/// over up to 64 terms was nearly all of a quote check at 1M passages).
/// Words no passage holds cannot find anything and are left out.
fn ranked<'a>(
    snap: &'a Snapshot,
    words: &[Word],
    limit: usize,
) -> Result<Vec<(&'a Document, Passage)>> {
    let f = snap.fields();
    let mut seen = HashSet::new();
    let mut terms: Vec<(u64, Term)> = Vec::new();
    for w in words.iter().filter(|w| seen.insert(w.norm.as_str())) {
        let term = Term::from_field_text(f.exact, &w.norm);
        let df = snap.searcher().doc_freq(&term)?;
        if df > 0 {
            terms.push((df, term));
        }
    }
    // Rarest first; ties in the quote's order (the sort is stable).
    terms.sort_by_key(|&(df, _)| df);
    let subs: Vec<(Occur, Box<dyn Query>)> = terms
        .into_iter()
        .take(RANKED_WORDS)
        .map(|(_, term)| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
            (Occur::Should, q)
        })
        .collect();
    if subs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(snap
        .retrieve(&BooleanQuery::new(subs), limit)?
        .into_iter()
        .map(|s| (s.doc, s.passage))
        .collect())
}

/// Words of a passage and its neighbours, with document byte offsets;
/// trimmed around the densest quote-word region when very long.
fn window_words(doc: &Document, p: &Passage, quote_norms: &[&str]) -> Vec<Word> {
    let i = p.number - 1;
    let start = doc
        .segments
        .get(i.saturating_sub(1))
        .map_or(p.bytes.start, |q| q.bytes.start);
    let end = doc.segments.get(i + 1).map_or(p.bytes.end, |q| q.bytes.end);
    let mut words = doc_words(doc, start..end);
    let limit = quote_norms.len() * 2 + 2 * WINDOW_SLACK;
    if words.len() > limit {
        let set: HashSet<&str> = quote_norms.iter().copied().collect();
        let hits: Vec<usize> = words
            .iter()
            .map(|w| usize::from(set.contains(w.norm.as_str())))
            .collect();
        let width = quote_norms.len().max(1);
        let (mut best, mut best_at, mut sum) = (0usize, 0usize, 0usize);
        for j in 0..hits.len() {
            sum += hits[j];
            if j >= width {
                sum -= hits[j - width];
            }
            if sum > best {
                best = sum;
                best_at = j + 1 - width.min(j + 1);
            }
        }
        let start = best_at.saturating_sub(WINDOW_SLACK);
        let end = (best_at + width + WINDOW_SLACK).min(words.len());
        words = words[start..end].to_vec();
    }
    words
}

/// Turns diff steps into text parts and notes.
fn describe(
    quote: &str,
    q: &[Word],
    text: &str,
    s: &[Word],
    steps: &[Step],
) -> (Vec<DiffPart>, Vec<Note>) {
    let q_slice = |r: (usize, usize)| {
        if r.0 < r.1 {
            &quote[q[r.0].start..q[r.1 - 1].end]
        } else {
            ""
        }
    };
    let s_slice = |r: (usize, usize)| {
        if r.0 < r.1 {
            &text[s[r.0].start..s[r.1 - 1].end]
        } else {
            ""
        }
    };
    let mut parts = Vec::new();
    let mut notes = Vec::new();
    let mut case_diffs = Vec::new();
    for step in steps {
        let (op, qr, sr) = match *step {
            Step::Equal { quote, source } => (DiffOp::Equal, quote, source),
            Step::Insert { quote, at_source } => (DiffOp::Insert, quote, (at_source, at_source)),
            Step::Delete { source, at_quote } => (DiffOp::Delete, (at_quote, at_quote), source),
            Step::Replace { quote, source } => (DiffOp::Replace, quote, source),
        };
        if op == DiffOp::Equal {
            for k in 0..(qr.1 - qr.0) {
                let (a, b) = (
                    &quote[q[qr.0 + k].start..q[qr.0 + k].end],
                    &text[s[sr.0 + k].start..s[sr.0 + k].end],
                );
                if a != b
                    && crate::analysis::tokenize(a).first().map(|t| &t.text)
                        == crate::analysis::tokenize(b).first().map(|t| &t.text)
                    && a.to_lowercase() == b.to_lowercase()
                {
                    case_diffs.push(format!("“{a}” (source “{b}”)"));
                }
            }
        } else {
            let qn: Vec<&str> = (qr.0..qr.1).map(|i| q[i].norm.as_str()).collect();
            let sn: Vec<&str> = (sr.0..sr.1).map(|i| s[i].norm.as_str()).collect();
            let qraw: Vec<&str> = (qr.0..qr.1).map(|i| &quote[q[i].start..q[i].end]).collect();
            let sraw: Vec<&str> = (sr.0..sr.1).map(|i| &text[s[i].start..s[i].end]).collect();
            notes.extend(align::meaning_notes(
                op,
                &qn,
                &sn,
                &qraw,
                &sraw,
                q_slice(qr),
                s_slice(sr),
            ));
        }
        parts.push(DiffPart {
            op,
            quote: q_slice(qr).to_string(),
            source: s_slice(sr).to_string(),
        });
    }
    if !case_diffs.is_empty() {
        notes.push(Note::new(
            NoteKind::CaseDiffers,
            format!("letter case differs: {}", case_diffs.join(", ")),
        ));
    }
    (parts, notes)
}

/// Tries to match a quote with editorial marks exactly inside one passage.
fn match_with_marks<'a>(
    quote: &str,
    parts: &[Part],
    doc: &'a Document,
    p: &Passage,
) -> Option<QuoteMatch<'a>> {
    let pw = doc_words(doc, p.bytes.clone());
    let runs: Vec<(Option<&Mark>, &Vec<Token>)> = {
        let mut out = Vec::new();
        let mut pending: Option<&Mark> = None;
        for part in parts {
            match part {
                Part::Mark(m) => pending = Some(m),
                Part::Words(w) => {
                    out.push((pending.take(), w));
                }
            }
        }
        out
    };
    let trailing = match parts.last() {
        Some(Part::Mark(m)) => Some(m),
        _ => None,
    };
    let first_run = runs.first()?;
    let occurrences = |run: &[Token], from: usize, to: usize| -> Vec<usize> {
        (from..=to.min(pw.len()).saturating_sub(run.len()))
            .filter(|&i| run.iter().zip(&pw[i..]).all(|(a, b)| a.text == b.norm))
            .collect()
    };
    'starts: for start in occurrences(first_run.1, 0, pw.len()) {
        let mut at = start + first_run.1.len();
        let mut placed = vec![(start, at)];
        for (mark, run) in &runs[1..] {
            let limit = match mark {
                Some(Mark::Bracket(_)) => at + BRACKET_MAX_WORDS + run.len(),
                _ => pw.len(),
            };
            let Some(&i) = occurrences(run, at, limit).first() else {
                continue 'starts;
            };
            placed.push((i, i + run.len()));
            at = i + run.len();
        }
        // Build the diff and notes.
        let mut diff = Vec::new();
        let mut notes = Vec::new();
        let src = |a: usize, b: usize| {
            if a < b {
                doc.text[pw[a].start..pw[b - 1].end].to_string()
            } else {
                String::new()
            }
        };
        let qtext = |run: &[Token]| quote[run[0].start..run[run.len() - 1].end].to_string();
        for (k, ((mark, run), &(a, b))) in runs.iter().zip(&placed).enumerate() {
            if k > 0 {
                let gap = src(placed[k - 1].1, a);
                match mark {
                    Some(Mark::Ellipsis) => {
                        if !gap.is_empty() {
                            notes.push(Note::new(
                                NoteKind::Ellipsis,
                                format!("the ellipsis leaves out “{gap}”"),
                            ));
                        }
                        diff.push(DiffPart {
                            op: DiffOp::Delete,
                            quote: "…".into(),
                            source: gap,
                        });
                    }
                    Some(Mark::Bracket(b)) => {
                        notes.push(bracket_note(b, &gap));
                        diff.push(DiffPart {
                            op: if gap.is_empty() {
                                DiffOp::Insert
                            } else {
                                DiffOp::Replace
                            },
                            quote: format!("[{b}]"),
                            source: gap,
                        });
                    }
                    None => {}
                }
            } else if let Some(Mark::Bracket(b)) = mark {
                notes.push(bracket_note(b, ""));
                diff.push(DiffPart {
                    op: DiffOp::Insert,
                    quote: format!("[{b}]"),
                    source: String::new(),
                });
            }
            diff.push(DiffPart {
                op: DiffOp::Equal,
                quote: qtext(run),
                source: src(a, b),
            });
        }
        if let Some(Mark::Bracket(b)) = trailing {
            notes.push(bracket_note(b, ""));
            diff.push(DiffPart {
                op: DiffOp::Insert,
                quote: format!("[{b}]"),
                source: String::new(),
            });
        }
        let bytes = pw[placed[0].0].start..pw[placed[placed.len() - 1].1 - 1].end;
        return Some(make_match(doc, bytes, 1.0, diff, notes, &[]));
    }
    None
}

fn bracket_note(b: &str, stands_for: &str) -> Note {
    Note::new(
        NoteKind::Editorial,
        if stands_for.is_empty() {
            format!("“[{b}]” is an editorial insertion, not counted against the quote")
        } else {
            format!("“[{b}]” is an editorial substitution for “{stands_for}”, not counted against the quote")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Word> {
        let mut at = 0;
        text.split(' ')
            .map(|w| {
                let start = at;
                at += w.len() + 1;
                Word {
                    norm: w.to_lowercase(),
                    start,
                    end: start + w.len(),
                }
            })
            .collect()
    }

    /// A difference is put down to OCR only when every differing source
    /// word is one it was unsure of, and the quote adds none of its own.
    #[test]
    fn a_difference_is_ocrs_only_at_words_ocr_was_unsure_of() {
        let text = "The rn0del works well";
        let w = words(text);
        let unclear = [(4, 10)];
        let replace = |i: usize| Step::Replace {
            quote: (i, i + 1),
            source: (i, i + 1),
        };
        let eq = |a: usize, b: usize| Step::Equal {
            quote: (a, b),
            source: (a, b),
        };
        let at_unclear = [eq(0, 1), replace(1), eq(2, 4)];
        assert_eq!(
            unclear_differences(&unclear, text, &w, &at_unclear),
            ["rn0del"]
        );
        let at_clear = [eq(0, 1), replace(1), replace(2), eq(3, 4)];
        assert!(unclear_differences(&unclear, text, &w, &at_clear).is_empty());
        let adds_a_word = [
            eq(0, 1),
            replace(1),
            Step::Insert {
                quote: (2, 3),
                at_source: 2,
            },
            eq(2, 4),
        ];
        assert!(unclear_differences(&unclear, text, &w, &adds_a_word).is_empty());
        let dropped = [
            eq(0, 1),
            Step::Delete {
                source: (1, 2),
                at_quote: 1,
            },
            eq(2, 4),
        ];
        assert_eq!(
            unclear_differences(&unclear, text, &w, &dropped),
            ["rn0del"]
        );
        assert!(unclear_differences(&[], text, &w, &at_unclear).is_empty());
        // A range must hold the whole word.
        assert!(unclear_differences(&[(4, 8)], text, &w, &at_unclear).is_empty());
    }
}
