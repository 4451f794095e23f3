//! Re-checking stored citations against the sources as they are now: is
//! the cited text still at its offsets (`exact`), elsewhere (`moved`),
//! changed at its place (`changed`), or no longer in the sources (`gone`)?
//! Pure over a snapshot: the quote checker finds a place by its words.

use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::model::{Document, Passage, Span};
use crate::snapshot::Snapshot;

use crate::quote::{check, QuoteMatch, Verdict, MAX_QUOTE_WORDS};

/// Most citations one request verifies.
pub const MAX_CITATIONS: usize = 1000;
/// Most new places a `moved` citation lists, nearest first.
const MAX_PLACES: usize = 5;
/// Most occurrences of a cited text in its document weighed for nearness.
const MAX_OCCURRENCES: usize = 100;

/// A citation as stored by a client: where it pointed, and what it said
/// when the client kept the text.
#[derive(Debug, Clone)]
pub struct StoredCitation {
    /// The cited document.
    pub doc_id: String,
    /// First char of the cited text in that document.
    pub start: usize,
    /// One past its last char.
    pub end: usize,
    /// The document version the offsets referred to, when kept.
    pub doc_version: Option<String>,
    /// The cited text, when kept.
    pub text: Option<String>,
}

/// What became of a stored citation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CitationStatus {
    /// The document's text at the offsets is the cited text (or, without
    /// the text, the document's version is unchanged).
    Exact,
    /// The cited text is word for word elsewhere: in the same document at
    /// other offsets, or in another document.
    Moved,
    /// The place is found by its words, but its text differs now.
    Changed,
    /// Neither the text nor a close match is in the sources any more (or,
    /// without the text, the document or the offsets are gone).
    Gone,
}

/// One place in the sources now.
#[derive(Debug, Clone)]
pub struct Place<'a> {
    /// Its document.
    pub doc: &'a Document,
    /// The passage where it starts.
    pub passage: Passage,
    /// Its char range in the document.
    pub span: Span,
}

/// The verdict on one stored citation.
#[derive(Debug, Clone)]
pub struct Verified<'a> {
    /// What became of it.
    pub status: CitationStatus,
    /// Where it is now: the same place (`exact`), the new places nearest
    /// the old offsets first (`moved`), the changed place (`changed`);
    /// empty when `gone`.
    pub places: Vec<Place<'a>>,
    /// For `changed` with the cited text: the quote checker's match, with
    /// its word diff and notes (`number_changed`, `negation_added`, …).
    pub matched: Option<QuoteMatch<'a>>,
}

/// Verifies each stored citation against `snap`, stopping with
/// [`Error::Cancelled`] between citations once `cancel` is raised.
pub(crate) fn verify<'a>(
    snap: &'a Snapshot,
    cited: &[StoredCitation],
    cancel: &Cancel,
) -> Result<Vec<Verified<'a>>> {
    if cited.len() > MAX_CITATIONS {
        return Err(Error::InvalidParameter(format!(
            "{} citations; at most {MAX_CITATIONS} are verified at once",
            cited.len()
        )));
    }
    for (i, c) in cited.iter().enumerate() {
        if c.end < c.start {
            return Err(Error::InvalidParameter(format!(
                "citation {i}: end ({}) is before start ({})",
                c.end, c.start
            )));
        }
        if c.text.is_none() && c.doc_version.is_none() {
            return Err(Error::InvalidParameter(format!(
                "citation {i}: give its text or its doc_version, or there is nothing to check"
            )));
        }
    }
    cited
        .iter()
        .map(|c| {
            cancel.check()?;
            verify_one(snap, c)
        })
        .collect()
}

fn verify_one<'a>(snap: &'a Snapshot, c: &StoredCitation) -> Result<Verified<'a>> {
    let doc = snap.document(&c.doc_id);
    let span = Span {
        start: c.start,
        end: c.end,
    };
    let here = doc.and_then(|d| place(d, span));
    let Some(text) = c.text.as_deref() else {
        // Without the text, only the version and the offsets can tell.
        let (Some(d), Some(version)) = (doc, c.doc_version.as_deref()) else {
            return Ok(gone());
        };
        return Ok(match here {
            Some(p) if d.version == version => found(CitationStatus::Exact, vec![p]),
            Some(p) => found(CitationStatus::Changed, vec![p]),
            None => gone(),
        });
    };
    if let (Some(d), Some(p)) = (doc, here.clone()) {
        if d.slice_chars(span) == Some(text) {
            return Ok(found(CitationStatus::Exact, vec![p]));
        }
    }
    if text.is_empty() {
        return Ok(gone());
    }
    // Word for word elsewhere in the same document: every occurrence,
    // nearest the old offsets first.
    if let Some(places) = doc.and_then(|d| occurrences(d, text, c.start)) {
        return Ok(found(CitationStatus::Moved, places));
    }
    // Elsewhere, or changed: the quote checker finds the place by its
    // words (a text over its word limit is checked by its opening words).
    let words: Vec<&str> = text.split_whitespace().collect();
    let probe = if words.len() > MAX_QUOTE_WORDS {
        words[..MAX_QUOTE_WORDS].join(" ")
    } else {
        text.to_string()
    };
    let checked = match check(snap, &probe) {
        Ok(q) => q,
        Err(Error::InvalidQuote(_)) => return Ok(gone()),
        Err(e) => return Err(e),
    };
    let Some(m) = checked.matched.filter(|_| checked.pieces.is_empty()) else {
        return Ok(gone());
    };
    let p = Place {
        doc: m.doc,
        passage: m.passage.clone(),
        span: m.span,
    };
    // The checker's match is the quote's words (its span leaves out
    // trailing punctuation, and `verbatim` forgives typography); `moved`
    // promises the very text at the new offsets, so the cited text is
    // looked for in the matched document, nearest the match first.
    if let Some(places) = occurrences(m.doc, text, m.span.start) {
        return Ok(found(CitationStatus::Moved, places));
    }
    Ok(match checked.verdict {
        Verdict::Verbatim | Verdict::Altered => Verified {
            status: CitationStatus::Changed,
            places: vec![p],
            matched: Some(m),
        },
        Verdict::NotFound | Verdict::NotChecked => gone(),
    })
}

/// Every place of `d` holding exactly `text`, nearest char `near` first
/// (at most [`MAX_PLACES`]); `None` when there is none.
fn occurrences<'a>(d: &'a Document, text: &str, near: usize) -> Option<Vec<Place<'a>>> {
    let chars = text.chars().count();
    // Char offsets counted on from the previous occurrence, not from the
    // start each time.
    let (mut at_byte, mut at_char) = (0, 0);
    let mut places: Vec<Place<'a>> = d
        .text
        .match_indices(text)
        .take(MAX_OCCURRENCES)
        .filter_map(|(b, _)| {
            at_char += d.text[at_byte..b].chars().count();
            at_byte = b;
            let start = at_char;
            place(
                d,
                Span {
                    start,
                    end: start + chars,
                },
            )
        })
        .collect();
    places.sort_by_key(|p| p.span.start.abs_diff(near));
    places.truncate(MAX_PLACES);
    (!places.is_empty()).then_some(places)
}

/// The place of `span` in `d`, when the span lies inside its text.
fn place(d: &Document, span: Span) -> Option<Place<'_>> {
    d.slice_chars(span)?;
    let passage = d
        .passages()
        .take_while(|p| p.span.start <= span.start)
        .last()
        .or_else(|| d.passage(1))?;
    Some(Place {
        doc: d,
        passage,
        span,
    })
}

fn found(status: CitationStatus, places: Vec<Place<'_>>) -> Verified<'_> {
    Verified {
        status,
        places,
        matched: None,
    }
}

fn gone<'a>() -> Verified<'a> {
    Verified {
        status: CitationStatus::Gone,
        places: Vec::new(),
        matched: None,
    }
}
