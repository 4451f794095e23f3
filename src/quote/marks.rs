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
/// One left-to-right scan: each byte is looked at a bounded number of
/// times, so a quote full of marks (or of unmatched `[`) costs linear time,
/// not a search of the whole rest of the quote per mark (issue 35, item 7).
/// A `[` closes at the next `]` unless another `[` comes first (brackets do
/// not nest in an editor's marks).
fn next_mark(q: &str, from: usize) -> Option<(usize, usize, Option<Mark>)> {
    let b = q.as_bytes();
    let mut i = from;
    while i < b.len() {
        let rest = &q[i..];
        match b[i] {
            b'.' if rest.starts_with("...") => {
                let dots = rest.bytes().take_while(|&c| c == b'.').count();
                return Some((i, i + dots, Some(Mark::Ellipsis)));
            }
            b'.' if rest.starts_with(". . .") => return Some((i, i + 5, Some(Mark::Ellipsis))),
            b'[' => {
                if let Some(j) = rest[1..].find(['[', ']']).map(|j| j + 1) {
                    if b[i + j] == b']' {
                        let inner = rest[1..j].trim();
                        let mark = match inner {
                            "..." | "…" | ". . ." => Some(Mark::Ellipsis),
                            s if s.eq_ignore_ascii_case("sic") => None,
                            s => Some(Mark::Bracket(s.to_string())),
                        };
                        return Some((i, i + j + 1, mark));
                    }
                }
            }
            _ if rest.starts_with('…') => {
                return Some((i, i + '…'.len_utf8(), Some(Mark::Ellipsis)));
            }
            _ => {}
        }
        i += 1;
        while i < b.len() && !q.is_char_boundary(i) {
            i += 1;
        }
    }
    None
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

    /// Shapes whose parse was quadratic (issue 35, item 7) parse by the same
    /// rules at megabyte scale (their cost is measured by
    /// `benches/quadratic.sh`, not asserted here).
    #[test]
    fn many_marks_and_unmatched_brackets() {
        let many = "word … ".repeat(20_000);
        let parts = parse(&many);
        assert_eq!(parts.len(), 40_000);
        assert!(matches!(parts[1], Part::Mark(Mark::Ellipsis)));
        let tail_bracket = format!("{}[x]", "a... ".repeat(20_000));
        assert_eq!(shape(&tail_bracket).last().unwrap(), "[x]");
        assert!(shape(&"[".repeat(100_000)).is_empty());
        assert_eq!(shape(&"[a ".repeat(50_000)).len(), 1);
        // Brackets do not nest: the inner pair is the mark.
        assert_eq!(shape("[a [b] c]"), vec!["a", "[b]", "c"]);
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
