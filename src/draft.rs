//! Finding the quotations in a draft. Pure.
//!
//! Two passes over the draft, each within a paragraph (a quotation left open
//! at a paragraph break cannot be told from a stray mark, and is dropped):
//!
//! 1. **Double quotes**: “curly”, "straight", «guillemets» and „low-high“.
//!    Marks nest: an inner “…” or "…" inside a quotation is part of it, and
//!    only the mark that closes the outermost ends it. Curly marks and
//!    guillemets say by their shape whether they open or close; a straight
//!    `"` opens when it is *left-flanking* (after a space, an opening
//!    bracket or the start, before a word) and closes when it is
//!    *right-flanking* (after a word, before a space, punctuation or the end).
//! 2. **Single quotes** ‘…’ and '…' outside every double quotation (the
//!    British style, where doubles go inside). An apostrophe is told apart:
//!    `Japan's`, `Japan’s` (a mark between two letters), `’90s` (before a
//!    two-digit decade) and `workers’` with no opener before it are never
//!    quotation marks; an opener with no closer in its paragraph was an
//!    apostrophe (`’tis`). Singles inside a double quotation are its text.
//!
//! A quotation inside another is the other's text, never a second
//! quotation. Quotations of one or two words (scare quotes) are skipped
//! unless asked for. Limits of the rules: a plural possessive inside a
//! single-quoted quotation (`'the workers' union'`) closes it early.

use std::ops::Range;

/// Words a quotation needs to be checked when short ones are skipped.
pub(crate) const MIN_WORDS: usize = 3;

/// Byte ranges (into `draft`) of the text inside each quotation, trimmed,
/// in draft order.
pub(crate) fn find_quotes(draft: &str, include_short: bool) -> Vec<Range<usize>> {
    let chars: Vec<(usize, char)> = draft.char_indices().collect();
    let doubles = doubles(draft, &chars);
    let singles = singles(draft, &chars, &doubles);
    let mut all: Vec<Range<usize>> = doubles.into_iter().chain(singles).collect();
    all.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    // Sorted by start (longest first), a range lies inside an earlier one
    // exactly when it ends no later than the furthest end seen so far.
    let mut reach = 0;
    all.into_iter()
        .filter(|r| {
            let inside = r.end <= reach;
            reach = reach.max(r.end);
            !inside
        })
        .filter_map(|r| trimmed(draft, r, include_short))
        .collect()
}

/// The double-quote marks that open a quotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opener {
    /// `“`, closed by `”`.
    Curly,
    /// `"`, closed by a right-flanking `"`.
    Straight,
    /// `«`, closed by `»`.
    Guillemet,
    /// `„`, closed by `“` (or `”`).
    Low,
}

/// What is around a mark: the chars before and after it.
#[derive(Debug, Clone, Copy)]
struct Around {
    /// The char before, `None` at the start.
    prev: Option<char>,
    /// The char after, `None` at the end.
    next: Option<char>,
}

impl Around {
    fn of(chars: &[(usize, char)], k: usize) -> Around {
        Around {
            prev: k.checked_sub(1).map(|j| chars[j].1),
            next: chars.get(k + 1).map(|&(_, c)| c),
        }
    }

    /// After a space, an opening bracket, a dash, another mark or the start.
    fn opens_before(self) -> bool {
        self.prev
            .is_none_or(|c| c.is_whitespace() || "([{—–-/".contains(c) || is_quote_mark(c))
    }

    /// Before a space, punctuation, another mark or the end.
    fn closes_after(self) -> bool {
        self.next.is_none_or(|c| {
            c.is_whitespace() || c.is_ascii_punctuation() || "—–…".contains(c) || is_quote_mark(c)
        })
    }

    /// Left-flanking: opens before a word.
    fn left_flanking(self) -> bool {
        self.opens_before() && self.next.is_some_and(|c| !c.is_whitespace())
    }

    /// Right-flanking: closes after a word.
    fn right_flanking(self) -> bool {
        self.prev.is_some_and(|c| !c.is_whitespace()) && self.closes_after()
    }
}

fn is_quote_mark(c: char) -> bool {
    "\"'“”‘’«»„‚".contains(c)
}

/// Whether the newline at `k` starts a paragraph break (a blank line follows).
fn paragraph_break(draft: &str, chars: &[(usize, char)], k: usize) -> bool {
    let (i, c) = chars[k];
    c == '\n'
        && draft[i + 1..]
            .trim_start_matches([' ', '\t', '\r'])
            .starts_with('\n')
}

/// Pass 1: the outermost double quotations.
fn doubles(draft: &str, chars: &[(usize, char)]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut open = Openers::default();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if paragraph_break(draft, chars, k) {
            open.clear();
            continue;
        }
        let at = Around::of(chars, k);
        // The kinds of opener this mark closes.
        let closes: &[Opener] = match c {
            '”' => &[Opener::Curly, Opener::Low],
            '»' => &[Opener::Guillemet],
            '“' => &[Opener::Low],
            '"' if at.right_flanking() => &[Opener::Straight],
            _ => &[],
        };
        if let Some(start) = open.close_innermost(closes) {
            if open.is_empty() {
                out.push(start..i);
            }
            continue;
        }
        if let Some(o) = Opener::of(c, at) {
            open.push(o, i + c.len_utf8());
        }
    }
    out
}

/// The open double marks of a paragraph, outermost first. Each kind also
/// keeps its own stack of places, so finding the innermost opener a mark
/// closes costs the kinds it closes, not the depth: a draft of a million
/// unclosed `“` stays linear.
#[derive(Default)]
struct Openers {
    /// Where each open mark's text starts, outermost first.
    starts: Vec<usize>,
    /// For each kind (by [`Opener::slot`]), its marks' places in `starts`,
    /// innermost last.
    by_kind: [Vec<usize>; 4],
}

impl Opener {
    /// The opener mark `c` is, where it stands (`at`); `None` when it
    /// opens nothing.
    fn of(c: char, at: Around) -> Option<Opener> {
        match c {
            '“' => Some(Opener::Curly),
            '«' => Some(Opener::Guillemet),
            '„' => Some(Opener::Low),
            '"' if at.left_flanking() => Some(Opener::Straight),
            _ => None,
        }
    }

    fn slot(self) -> usize {
        match self {
            Opener::Curly => 0,
            Opener::Straight => 1,
            Opener::Guillemet => 2,
            Opener::Low => 3,
        }
    }
}

impl Openers {
    fn push(&mut self, o: Opener, start: usize) {
        self.by_kind[o.slot()].push(self.starts.len());
        self.starts.push(start);
    }

    fn clear(&mut self) {
        self.starts.clear();
        self.by_kind.iter_mut().for_each(Vec::clear);
    }

    fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Closes the innermost open mark of one of `kinds`, and every mark
    /// opened inside it; where its text starts, or `None` when none is open.
    fn close_innermost(&mut self, kinds: &[Opener]) -> Option<usize> {
        let pos = kinds
            .iter()
            .filter_map(|o| self.by_kind[o.slot()].last().copied())
            .max()?;
        let start = self.starts[pos];
        self.starts.truncate(pos);
        for stack in &mut self.by_kind {
            while stack.last().is_some_and(|&p| p >= pos) {
                stack.pop();
            }
        }
        Some(start)
    }
}

/// Whether byte `i` lies in one of `ranges`, which are in order and apart
/// (as the double quotations are): found by bisection, not by a scan per
/// mark.
fn within(ranges: &[Range<usize>], i: usize) -> bool {
    let k = ranges.partition_point(|r| r.end <= i);
    ranges.get(k).is_some_and(|r| r.start <= i)
}

/// Pass 2: single quotations outside every double one.
fn singles(draft: &str, chars: &[(usize, char)], doubles: &[Range<usize>]) -> Vec<Range<usize>> {
    let inside = |i: usize| within(doubles, i);
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (k, &(i, c)) in chars.iter().enumerate() {
        if paragraph_break(draft, chars, k) {
            open = None;
            continue;
        }
        if !matches!(c, '\'' | '‘' | '’' | '‚') || inside(i) {
            continue;
        }
        let at = Around::of(chars, k);
        let between_letters = at.prev.is_some_and(char::is_alphanumeric)
            && at.next.is_some_and(char::is_alphanumeric);
        if between_letters {
            continue; // Japan's, don’t
        }
        let decade = chars
            .get(k + 1..k + 3)
            .is_some_and(|d| d.iter().all(|&(_, c)| c.is_ascii_digit()));
        match open {
            Some(start) if c != '‘' && c != '‚' && at.right_flanking() => {
                out.push(start..i);
                open = None;
            }
            None if c != '’' && !decade && at.left_flanking() => {
                open = Some(i + c.len_utf8());
            }
            _ => {}
        }
    }
    out
}

/// The quotation's text without its outer spaces, when it has enough words.
fn trimmed(draft: &str, r: Range<usize>, include_short: bool) -> Option<Range<usize>> {
    let s = &draft[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    let words = crate::analysis::tokenize(t).len();
    if words == 0 || (!include_short && words < MIN_WORDS) {
        return None;
    }
    Some(r.start + lead..r.start + lead + t.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes(d: &str, short: bool) -> Vec<&str> {
        find_quotes(d, short).into_iter().map(|r| &d[r]).collect()
    }

    #[test]
    fn finds_quotations() {
        let d = "He said “the plan is ‘bold’ and real” and called it a \"sovereign AI\" push. \"Up to 10 million robots,\" she said.";
        assert_eq!(
            quotes(d, false),
            vec!["the plan is ‘bold’ and real", "Up to 10 million robots,"]
        );
        assert_eq!(quotes(d, true).len(), 3);
        assert_eq!(
            quotes("“open quote\n\nnext para “one two three”", false),
            vec!["one two three"]
        );
        assert_eq!(
            quotes("„drei vier fünf“ und «un deux trois»", false),
            vec!["drei vier fünf", "un deux trois"]
        );
    }

    /// Real quotation shapes, each with the quotations a reader sees in it.
    /// Boundaries must be right on every one.
    const SHAPES: &[(&str, &str, &[&str])] = &[
        (
            "nested curly",
            "Analysts noted that Japan tried “grand tech projects before, like the 1980s “Fifth Generation Computer” effort that spent hundreds of millions” and failed.",
            &["grand tech projects before, like the 1980s “Fifth Generation Computer” effort that spent hundreds of millions"],
        ),
        (
            "straight inside straight",
            "She wrote \"a homegrown \"sovereign AI\" model tied to robotics and chips\" in her notes.",
            &["a homegrown \"sovereign AI\" model tied to robotics and chips"],
        ),
        (
            "straight inside curly",
            "The memo says “Japan wants a \"physical AI\" edge over rivals” today.",
            &["Japan wants a \"physical AI\" edge over rivals"],
        ),
        (
            "curly inside straight",
            "He said \"the “sovereign AI” model is tied to chips\" and left.",
            &["the “sovereign AI” model is tied to chips"],
        ),
        (
            "two straight quotations",
            "\"Robots will help,\" she said, and \"the plan is funded.\"",
            &["Robots will help,", "the plan is funded."],
        ),
        (
            "apostrophes inside and outside",
            "Japan's plan, in the minister’s words, is “Japan’s answer to the workers’ shortage” of the ’90s and '20s.",
            &["Japan’s answer to the workers’ shortage"],
        ),
        (
            "British single quotes with a double inside",
            "The report said ‘the “sovereign AI” push is tied to robotics’, officials added.",
            &["the “sovereign AI” push is tied to robotics"],
        ),
        (
            "straight single quotes",
            "The paper called it 'a trillion-parameter model for robots' in April.",
            &["a trillion-parameter model for robots"],
        ),
        (
            "guillemets nested",
            "Le ministre a dit « un modèle « souverain » lié à la robotique » hier.",
            &["un modèle « souverain » lié à la robotique"],
        ),
        (
            "low-high with inner single",
            "Er sagte „ein ‚souveränes‘ Modell für Roboter“ gestern.",
            &["ein ‚souveränes‘ Modell für Roboter"],
        ),
        (
            "across a line break",
            "They said “the venture was set up\nin April 2026 by four firms” last week.",
            &["the venture was set up\nin April 2026 by four firms"],
        ),
        (
            "unclosed, then a paragraph",
            "He said “the plan will work.\n\nLater: “robots by 2040 are planned” she said.",
            &["robots by 2040 are planned"],
        ),
        (
            "unclosed at the end",
            "It is “a plan with no end in sight",
            &[],
        ),
        (
            "a stray apostrophe before a quotation",
            "Rock 'n roll aside, 'tis said \"ten million robots by 2040\" is the goal.",
            &["ten million robots by 2040"],
        ),
        (
            "inches are not quotes",
            "A 5\" screen, and then \"the robots arrive in April 2026\" they said.",
            &["the robots arrive in April 2026"],
        ),
    ];

    #[test]
    fn quotation_shapes_have_the_right_boundaries() {
        for (name, draft, want) in SHAPES {
            assert_eq!(quotes(draft, false), *want, "{name}: {draft}");
        }
    }

    #[test]
    fn short_inner_quotes_are_never_separate_quotations() {
        let d = SHAPES[0].1;
        assert_eq!(
            quotes(d, true).len(),
            1,
            "the inner “Fifth Generation Computer” is the outer's text"
        );
        let d = "Call it ‘sovereign AI’ or \"physical AI\".";
        assert_eq!(quotes(d, true), vec!["sovereign AI", "physical AI"]);
        assert!(quotes(d, false).is_empty());
    }

    /// Pass 1 as first written: a scan of every open mark per char.
    /// Quadratic, and kept here only as the reference the linear pass must
    /// agree with.
    fn doubles_by_scan(draft: &str, chars: &[(usize, char)]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut open: Vec<(Opener, usize)> = Vec::new();
        for (k, &(i, c)) in chars.iter().enumerate() {
            if paragraph_break(draft, chars, k) {
                open.clear();
                continue;
            }
            let at = Around::of(chars, k);
            let closes = |o: Opener| match (o, c) {
                (Opener::Curly, '”') | (Opener::Guillemet, '»') => true,
                (Opener::Low, '“' | '”') => true,
                (Opener::Straight, '"') => at.right_flanking(),
                _ => false,
            };
            if let Some(pos) = open.iter().rposition(|&(o, _)| closes(o)) {
                let (_, start) = open[pos];
                open.truncate(pos);
                if open.is_empty() {
                    out.push(start..i);
                }
                continue;
            }
            if let Some(o) = Opener::of(c, at) {
                open.push((o, i + c.len_utf8()));
            }
        }
        out
    }

    proptest::proptest! {
        /// The linear pass finds exactly what the scan found, and the
        /// bisection agrees with the scan at every char, on drafts dense in
        /// every kind of mark, nesting and paragraph break.
        #[test]
        fn the_linear_passes_agree_with_the_scans(
            draft in "([a-z ]|\"|'|“|”|‘|’|«|»|„|‚|\n\n|\n|9){0,80}",
        ) {
            let chars: Vec<(usize, char)> = draft.char_indices().collect();
            let want = doubles_by_scan(&draft, &chars);
            proptest::prop_assert_eq!(doubles(&draft, &chars), want.clone());
            for (i, _) in &chars {
                let by_scan = want.iter().any(|r| r.start <= *i && *i < r.end);
                proptest::prop_assert_eq!(within(&want, *i), by_scan);
            }
        }
    }

    /// A paragraph of a hundred thousand unclosed openers, then marks that
    /// close them: the same quotations as a short one would give.
    #[test]
    fn deep_unclosed_openers_are_still_parsed() {
        let mut d = "“a ".repeat(100_000);
        d.push_str("end” and «x y z» then 'one two three' here.");
        // The outermost “ is never closed, so only the single quotation
        // outside it is found.
        assert_eq!(quotes(&d, false), ["one two three"]);
    }
}
