//! Word-level alignment of a quote against source words, the word diff and
//! the notes on changes of meaning. Pure.

use similar::{capture_diff_slices, Algorithm, DiffOp};

/// A word with its folded form and its byte range in its own text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// Folded form compared for equality.
    pub norm: String,
    /// Byte offset of the word in its text (quote or document).
    pub start: usize,
    /// Byte offset one past the word.
    pub end: usize,
}

/// Scores of the local alignment.
const MATCH: i32 = 2;
const MISMATCH: i32 = -1;
const GAP: i32 = -1;

/// The best local alignment: the source word range it covers and its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Local {
    /// Smith-Waterman score.
    pub score: i32,
    /// First source word of the aligned span.
    pub source_start: usize,
    /// One past the last source word.
    pub source_end: usize,
    /// First quote word aligned.
    pub quote_start: usize,
    /// One past the last quote word aligned.
    pub quote_end: usize,
}

/// Smith-Waterman local alignment of `quote` against `source` (word norms).
/// O(|quote| × |source|) time, O(|source|) memory per row plus start tracking.
pub(crate) fn local_align(quote: &[&str], source: &[&str]) -> Option<Local> {
    let (n, m) = (quote.len(), source.len());
    if n == 0 || m == 0 {
        return None;
    }
    // Each cell keeps its score and where its alignment started.
    let mut prev = vec![(0i32, 0usize, 0usize); m + 1];
    let mut cur = vec![(0i32, 0usize, 0usize); m + 1];
    let mut best = Local {
        score: 0,
        source_start: 0,
        source_end: 0,
        quote_start: 0,
        quote_end: 0,
    };
    for i in 1..=n {
        cur[0] = (0, i, 0);
        for j in 1..=m {
            let sub = if quote[i - 1] == source[j - 1] {
                MATCH
            } else {
                MISMATCH
            };
            let diag = prev[j - 1];
            let mut cell = if diag.0 > 0 {
                (diag.0 + sub, diag.1, diag.2)
            } else {
                (sub, i - 1, j - 1)
            };
            let up = prev[j];
            if up.0 + GAP > cell.0 {
                cell = (up.0 + GAP, up.1, up.2);
            }
            let left = cur[j - 1];
            if left.0 + GAP > cell.0 {
                cell = (left.0 + GAP, left.1, left.2);
            }
            if cell.0 <= 0 {
                cell = (0, i, j);
            }
            cur[j] = cell;
            if cell.0 > best.score {
                best = Local {
                    score: cell.0,
                    quote_start: cell.1,
                    source_start: cell.2,
                    quote_end: i,
                    source_end: j,
                };
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    (best.score > 0).then_some(best)
}

/// Extends an aligned source span to cover quote words left unaligned at
/// either end, so a changed first or last word shows as a replacement.
pub(crate) fn extend(local: Local, quote_len: usize, source_len: usize) -> (usize, usize) {
    let start = local.source_start.saturating_sub(local.quote_start);
    let end = (local.source_end + (quote_len - local.quote_end)).min(source_len);
    (start, end)
}

/// One step of the word diff, as word index ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Same words on both sides.
    Equal {
        quote: (usize, usize),
        source: (usize, usize),
    },
    /// Words in the quote that are not in the source.
    Insert {
        quote: (usize, usize),
        at_source: usize,
    },
    /// Source words the quote leaves out.
    Delete {
        source: (usize, usize),
        at_quote: usize,
    },
    /// Quote words standing where the source has others.
    Replace {
        quote: (usize, usize),
        source: (usize, usize),
    },
}

/// Diffs quote words against source words.
pub(crate) fn diff(quote: &[&str], source: &[&str]) -> Vec<Step> {
    capture_diff_slices(Algorithm::Myers, source, quote)
        .into_iter()
        .map(|op| match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => Step::Equal {
                quote: (new_index, new_index + len),
                source: (old_index, old_index + len),
            },
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => Step::Delete {
                source: (old_index, old_index + old_len),
                at_quote: new_index,
            },
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => Step::Insert {
                quote: (new_index, new_index + new_len),
                at_source: old_index,
            },
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => Step::Replace {
                quote: (new_index, new_index + new_len),
                source: (old_index, old_index + old_len),
            },
        })
        .collect()
}

/// Similarity of a quote and a source span: the Dice coefficient of their
/// words under the diff, `2 × equal words / (quote words + source words)`.
/// 1.0 means the same words in the same order; 0.0 means none shared.
pub(crate) fn similarity(steps: &[Step], quote_len: usize, source_len: usize) -> f64 {
    let equal: usize = steps
        .iter()
        .map(|s| match s {
            Step::Equal { quote, .. } => quote.1 - quote.0,
            _ => 0,
        })
        .sum();
    if quote_len + source_len == 0 {
        return 0.0;
    }
    2.0 * equal as f64 / (quote_len + source_len) as f64
}

const NEGATIONS: &[&str] = &[
    "not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "cannot", "t",
    "nowhere",
];
/// Number words that are not scales (those are [`crate::analysis::NUMBER_SCALES`]).
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "thirty", "forty", "fifty", "dozen", "half",
];

/// What kind of meaning a set of changed words carries.
fn is_number(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_digit())
        || NUMBER_WORDS.contains(&w)
        || crate::analysis::NUMBER_SCALES.contains(&w)
}

/// Notes on changes of meaning between changed words. `q_raw` and `s_raw`
/// are the original spellings of the changed words.
pub(crate) fn meaning_notes(
    q_norm: &[&str],
    s_norm: &[&str],
    q_raw: &[&str],
    s_raw: &[&str],
    q_text: &str,
    s_text: &str,
) -> Vec<String> {
    let mut notes = Vec::new();
    let shown = |t: &str| {
        if t.is_empty() {
            "nothing".to_string()
        } else {
            format!("“{t}”")
        }
    };
    let change = format!("source {} → quote {}", shown(s_text), shown(q_text));
    let any = |ws: &[&str], f: &dyn Fn(&str) -> bool| ws.iter().any(|w| f(w));
    if any(q_norm, &is_number) || any(s_norm, &is_number) {
        notes.push(format!("number changed: {change}"));
    }
    if any(q_norm, &|w| crate::analysis::MONTHS.contains(&w))
        || any(s_norm, &|w| crate::analysis::MONTHS.contains(&w))
    {
        notes.push(format!("date changed: {change}"));
    }
    let neg_q = q_norm.iter().filter(|w| NEGATIONS.contains(w)).count();
    let neg_s = s_norm.iter().filter(|w| NEGATIONS.contains(w)).count();
    if neg_q > neg_s {
        notes.push(format!("negation added: {change}"));
    } else if neg_s > neg_q {
        notes.push(format!("negation removed: {change}"));
    }
    let capitalized = |w: &&str| w.chars().next().is_some_and(char::is_uppercase);
    if q_raw.iter().any(capitalized) || s_raw.iter().any(capitalized) {
        let (q_names, s_names): (Vec<_>, Vec<_>) = (
            q_raw.iter().filter(|w| capitalized(w)).collect(),
            s_raw.iter().filter(|w| capitalized(w)).collect(),
        );
        if q_names != s_names
            && !(q_names.is_empty() && s_names.is_empty())
            && !any(q_norm, &is_number)
        {
            notes.push(format!("name changed: {change}"));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<&str> {
        s.split(' ').collect()
    }

    #[test]
    fn local_alignment_finds_the_span() {
        let src = w("a b c the quick brown fox jumps d e");
        let l = local_align(&w("quick brown fox"), &src).unwrap();
        assert_eq!((l.source_start, l.source_end), (4, 7));
        let l = local_align(&w("quick red fox jumps"), &src).unwrap();
        assert_eq!((l.source_start, l.source_end), (4, 8));
        let steps = diff(&w("quick red fox jumps"), &src[4..8]);
        assert_eq!(
            steps[1],
            Step::Replace {
                quote: (1, 2),
                source: (1, 2)
            }
        );
        assert!((similarity(&steps, 4, 4) - 0.75).abs() < 1e-9);
    }

    #[test]
    fn extension_covers_changed_edges() {
        let src = w("x y up to 10 million robots by 2040 z");
        let q = w("up to 10 million robots by 2050");
        let l = local_align(&q, &src).unwrap();
        let (s, e) = extend(l, q.len(), src.len());
        assert_eq!(&src[s..e], &w("up to 10 million robots by 2040")[..]);
    }
}
