//! Editorial marks inside a quote. Pure.
//!
//! - an ellipsis (`…`, `...`, `. . .`, `[...]`, `[…]`) marks an omission;
//! - `[bracketed words]` are an editorial insertion or substitution;
//! - `[sic]` is ignored.
//!
//! Parsing splits the quote into runs of quoted text separated by marks; the
//! words of each run keep their byte offsets into the quote.

use crate::analysis::{tokenize, Token};

/// What separates two runs of quoted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Words were left out here.
    Ellipsis,
    /// The editor's own words, standing for or added to the source's.
    Bracket(String),
}

/// One part of a quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Quoted words (never empty).
    Words(Vec<Token>),
    /// An editorial mark.
    Mark(Mark),
}

/// Finds the next mark at or after byte `from`: (start, end, mark or None for `[sic]`).
fn next_mark(q: &str, from: usize) -> Option<(usize, usize, Option<Mark>)> {
    let rest = &q[from..];
    let mut best: Option<(usize, usize, Option<Mark>)> = None;
    let mut consider = |s: usize, e: usize, m: Option<Mark>| {
        if best.as_ref().is_none_or(|b| s < b.0) {
            best = Some((from + s, from + e, m));
        }
    };
    if let Some(i) = rest.find('…') {
        consider(i, i + '…'.len_utf8(), Some(Mark::Ellipsis));
    }
    if let Some(i) = rest.find("...") {
        let dots = rest[i..].bytes().take_while(|&b| b == b'.').count();
        consider(i, i + dots, Some(Mark::Ellipsis));
    }
    if let Some(i) = rest.find(". . .") {
        consider(i, i + 5, Some(Mark::Ellipsis));
    }
    if let Some(i) = rest.find('[') {
        if let Some(j) = rest[i..].find(']') {
            let inner = rest[i + 1..i + j].trim();
            let mark = match inner {
                "..." | "…" | ". . ." => Some(Mark::Ellipsis),
                s if s.eq_ignore_ascii_case("sic") => None,
                s => Some(Mark::Bracket(s.to_string())),
            };
            consider(i, i + j + 1, mark);
        }
    }
    best
}

/// Splits a quote into word runs and marks.
pub(crate) fn parse(q: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut at = 0;
    let push_words = |parts: &mut Vec<Part>, s: usize, e: usize| {
        let toks: Vec<Token> = tokenize(&q[s..e])
            .into_iter()
            .map(|t| Token {
                start: t.start + s,
                end: t.end + s,
                text: t.text,
            })
            .collect();
        if toks.is_empty() {
            return;
        }
        // `[sic]` leaves no mark: join with the previous run.
        if let Some(Part::Words(prev)) = parts.last_mut() {
            prev.extend(toks);
        } else {
            parts.push(Part::Words(toks));
        }
    };
    while let Some((s, e, mark)) = next_mark(q, at) {
        push_words(&mut parts, at, s);
        if let Some(m) = mark {
            parts.push(Part::Mark(m));
        }
        at = e;
    }
    push_words(&mut parts, at, q.len());
    parts
}

/// All quoted words in order (marks removed).
pub(crate) fn words(parts: &[Part]) -> Vec<Token> {
    parts
        .iter()
        .filter_map(|p| match p {
            Part::Words(w) => Some(w.clone()),
            Part::Mark(_) => None,
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(q: &str) -> Vec<String> {
        parse(q)
            .iter()
            .map(|p| match p {
                Part::Words(w) => w
                    .iter()
                    .map(|t| t.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                Part::Mark(Mark::Ellipsis) => "…".into(),
                Part::Mark(Mark::Bracket(b)) => format!("[{b}]"),
            })
            .collect()
    }

    #[test]
    fn marks() {
        assert_eq!(shape("a b … c"), vec!["a b", "…", "c"]);
        assert_eq!(shape("a b... c [...] d"), vec!["a b", "…", "c", "…", "d"]);
        assert_eq!(
            shape("[The firms'] goal is"),
            vec!["[The firms']", "goal is"]
        );
        assert_eq!(shape("it [sic] was"), vec!["it was"]);
        assert_eq!(
            shape("unclosed [bracket here"),
            vec!["unclosed bracket here"]
        );
        assert_eq!(shape("$6.3 billion"), vec!["6.3 billion"]);
    }
}
