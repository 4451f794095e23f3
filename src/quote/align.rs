//! Word-level alignment of a quote against source words, the word diff and
//! the notes on changes of meaning. Pure.

use similar::{capture_diff_slices, Algorithm, DiffOp as Edit};

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

/// Most source words a quote may leave out at an edge of its alignment and
/// still have the stretch past them count as its source (see [`extend`]).
const MAX_EDGE_OMISSION: usize = 8;

/// Extends an aligned source span over quote words left unaligned at either
/// end. When those words appear in the source a few words further on (the
/// quote left out what lies between), the span reaches them, so the diff
/// shows an omission and the match the source's whole stretch; otherwise it
/// covers as many source words as the quote has there, so a changed first
/// or last word shows as a replacement.
pub(crate) fn extend(local: Local, quote: &[&str], source: &[&str]) -> (usize, usize) {
    let head = &quote[..local.quote_start];
    let tail = &quote[local.quote_end..];
    let start = (1..=MAX_EDGE_OMISSION)
        .filter(|skip| !head.is_empty() && local.source_start >= head.len() + skip)
        .map(|skip| local.source_start - skip - head.len())
        .find(|&at| source[at..at + head.len()] == *head)
        .unwrap_or_else(|| local.source_start.saturating_sub(head.len()));
    let end = (1..=MAX_EDGE_OMISSION)
        .filter(|skip| !tail.is_empty() && local.source_end + skip + tail.len() <= source.len())
        .map(|skip| local.source_end + skip)
        .find(|&at| source[at..at + tail.len()] == *tail)
        .map(|at| at + tail.len())
        .unwrap_or_else(|| (local.source_end + tail.len()).min(source.len()));
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
            Edit::Equal {
                old_index,
                new_index,
                len,
            } => Step::Equal {
                quote: (new_index, new_index + len),
                source: (old_index, old_index + len),
            },
            Edit::Delete {
                old_index,
                old_len,
                new_index,
            } => Step::Delete {
                source: (old_index, old_index + old_len),
                at_quote: new_index,
            },
            Edit::Insert {
                old_index,
                new_index,
                new_len,
            } => Step::Insert {
                quote: (new_index, new_index + new_len),
                at_source: old_index,
            },
            Edit::Replace {
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
/// Number words that are not scales (those are [`crate::analysis::NUMBER_SCALES`]),
/// with their values where they have one.
const NUMBER_WORDS: &[(&str, Option<u64>)] = &[
    ("zero", Some(0)),
    ("one", Some(1)),
    ("two", Some(2)),
    ("three", Some(3)),
    ("four", Some(4)),
    ("five", Some(5)),
    ("six", Some(6)),
    ("seven", Some(7)),
    ("eight", Some(8)),
    ("nine", Some(9)),
    ("ten", Some(10)),
    ("eleven", Some(11)),
    ("twelve", Some(12)),
    ("twenty", Some(20)),
    ("thirty", Some(30)),
    ("forty", Some(40)),
    ("fifty", Some(50)),
    ("hundred", Some(100)),
    ("dozen", Some(12)),
    ("half", None),
];

/// Words that reverse each other's meaning, by stem (README lists them):
/// reporting and policy verbs, and the adjectives and adverbs of direction
/// and size that quotes most often turn around.
const REVERSALS: &[(&str, &str)] = &[
    ("increase", "decrease"),
    ("increase", "reduce"),
    ("rise", "fall"),
    ("raise", "lower"),
    ("raise", "cut"),
    ("grow", "shrink"),
    ("expand", "shrink"),
    ("expand", "contract"),
    ("gain", "lose"),
    ("win", "lose"),
    ("support", "oppose"),
    ("accept", "reject"),
    ("approve", "reject"),
    ("allow", "ban"),
    ("allow", "forbid"),
    ("allow", "prohibit"),
    ("permit", "ban"),
    ("confirm", "deny"),
    ("admit", "deny"),
    ("agree", "disagree"),
    ("succeed", "fail"),
    ("success", "failure"),
    ("include", "exclude"),
    ("avoid", "impose"),
    ("avoid", "seek"),
    ("strengthen", "weaken"),
    ("start", "stop"),
    ("begin", "end"),
    ("open", "close"),
    ("more", "less"),
    ("more", "fewer"),
    ("most", "least"),
    ("higher", "lower"),
    ("larger", "smaller"),
    ("bigger", "smaller"),
    ("faster", "slower"),
    ("strong", "weak"),
    ("up", "down"),
    ("before", "after"),
    ("earlier", "later"),
    ("public", "private"),
    ("legal", "illegal"),
    ("possible", "impossible"),
    ("likely", "unlikely"),
    ("always", "never"),
    ("all", "none"),
];

/// Irregular past tenses (present, past) of common verbs; regular ones are
/// told by their stems (`announce` / `announced`).
const IRREGULAR_PAST: &[(&str, &str)] = &[
    ("say", "said"),
    ("is", "was"),
    ("are", "were"),
    ("has", "had"),
    ("have", "had"),
    ("will", "would"),
    ("can", "could"),
    ("shall", "should"),
    ("may", "might"),
    ("do", "did"),
    ("go", "went"),
    ("make", "made"),
    ("take", "took"),
    ("give", "gave"),
    ("tell", "told"),
    ("see", "saw"),
    ("come", "came"),
    ("get", "got"),
    ("think", "thought"),
    ("find", "found"),
    ("become", "became"),
    ("begin", "began"),
    ("lead", "led"),
    ("build", "built"),
    ("spend", "spent"),
    ("send", "sent"),
    ("bring", "brought"),
    ("buy", "bought"),
    ("seek", "sought"),
    ("know", "knew"),
    ("grow", "grew"),
    ("rise", "rose"),
    ("fall", "fell"),
    ("win", "won"),
    ("lose", "lost"),
    ("meet", "met"),
    ("pay", "paid"),
    ("hold", "held"),
    ("keep", "kept"),
    ("leave", "left"),
    ("run", "ran"),
    ("write", "wrote"),
];

/// What one step of a word diff does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    /// The same words in quote and source.
    Equal,
    /// Words only in the quote.
    Insert,
    /// Source words the quote leaves out.
    Delete,
    /// Quote words standing where the source has others.
    Replace,
}

/// What a note says changed. The wire names (`snake_case`) are listed in
/// README.md and the OpenAPI document.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Source words the quote leaves out without an ellipsis.
    Omission,
    /// Words in the quote that the source does not have.
    Insertion,
    /// A number differs (`6.3` → `8.3`).
    NumberChanged,
    /// The same number, written another way (`10` → `ten`): a style note.
    NumberStyle,
    /// A month or date differs.
    DateChanged,
    /// The quote adds a negation.
    NegationAdded,
    /// The quote drops a negation.
    NegationRemoved,
    /// A word turned into its opposite (`avoids` → `imposes`).
    Reversal,
    /// A verb's tense differs (`said` → `says`).
    TenseChanged,
    /// A capitalised name was replaced by another.
    NameChanged,
    /// The quote runs across a paragraph break or a heading.
    CrossesBreak,
    /// Letter case differs (not counted as a difference).
    CaseDiffers,
    /// The source's words, in another order.
    Reordered,
    /// What an ellipsis leaves out.
    Ellipsis,
    /// A `[bracketed]` insertion or substitution.
    Editorial,
    /// Editorial marks that did not line up with one passage.
    MarksIgnored,
    /// Verbatim pieces of different places joined as one quote.
    Stitched,
    /// The source is a scan's OCR text and the quote differs from it: a
    /// difference may be OCR's misreading, so check the scan.
    ScanText,
}

/// One note on a quote's match: its kind and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What changed.
    pub kind: NoteKind,
    /// What a reader sees, naming the words.
    pub text: String,
}

impl Note {
    /// A note of `kind` saying `text`.
    pub(crate) fn new(kind: NoteKind, text: impl Into<String>) -> Note {
        Note {
            kind,
            text: text.into(),
        }
    }
}

/// Whether a folded word is a number (digits, a number word or a scale).
fn is_number(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_digit())
        || NUMBER_WORDS.iter().any(|(n, _)| *n == w)
        || crate::analysis::NUMBER_SCALES.contains(&w)
}

/// The value of a one-word number: digits (with thousands separators) or a
/// number word.
fn value_of(w: &str) -> Option<u64> {
    if let Some((_, v)) = NUMBER_WORDS.iter().find(|(n, _)| *n == w) {
        return *v;
    }
    let digits: String = w.chars().filter(|&c| c != ',').collect();
    digits.parse().ok()
}

/// The listed opposite of a folded word, if it has one (the benchmark
/// turns quotes around with it).
pub(crate) fn opposite_of(word: &str) -> Option<&'static str> {
    REVERSALS.iter().find_map(|&(x, y)| match word {
        w if w == x => Some(y),
        w if w == y => Some(x),
        _ => None,
    })
}

/// The word for a number from 1 to 12 (the benchmark writes numbers out).
pub(crate) fn number_word(v: u64) -> Option<&'static str> {
    NUMBER_WORDS
        .iter()
        .find(|(_, n)| *n == Some(v) && (1..=12).contains(&v))
        .map(|(w, _)| *w)
}

/// The lists' words as stems, computed once.
struct Stemmed {
    /// [`REVERSALS`], each side as its stem.
    reversals: Vec<(String, String)>,
    /// [`IRREGULAR_PAST`] as (present, the present's stem, past).
    past: Vec<(&'static str, String, &'static str)>,
}

fn stemmed_lists() -> &'static Stemmed {
    use crate::analysis::stem;
    static LISTS: std::sync::OnceLock<Stemmed> = std::sync::OnceLock::new();
    LISTS.get_or_init(|| Stemmed {
        reversals: REVERSALS.iter().map(|&(x, y)| (stem(x), stem(y))).collect(),
        past: IRREGULAR_PAST
            .iter()
            .map(|&(present, past)| (present, stem(present), past))
            .collect(),
    })
}

/// Whether two stems are a pair of opposites (the list is of words; each
/// side is compared by its stem, so `avoids` and `avoided` count).
fn reverses(a: &str, b: &str) -> bool {
    stemmed_lists()
        .reversals
        .iter()
        .any(|(x, y)| (a == x && b == y) || (a == y && b == x))
}

/// Whether two folded words are one verb in two tenses.
fn tense_differs(a: &str, b: &str, stem_a: &str, stem_b: &str) -> bool {
    if a == b {
        return false;
    }
    let irregular = stemmed_lists().past.iter().any(|(present, p, past)| {
        let is_present = |w: &str, st: &str| w == *present || st == p;
        (is_present(a, stem_a) && b == *past) || (is_present(b, stem_b) && a == *past)
    });
    // Regular verbs: one stem, one side in the past (`-ed`), the other not.
    let past = |w: &str, st: &str| w.ends_with("ed") && w != st; // not `need`
    let regular = stem_a == stem_b && past(a, stem_a) != past(b, stem_b);
    irregular || regular
}

/// Notes on one changed step of the diff: `op` says whether the quote
/// replaced, left out or added the words; `*_norm` are the folded words,
/// `*_raw` their spellings, `*_text` the stretches as written.
pub(crate) fn meaning_notes(
    op: DiffOp,
    q_norm: &[&str],
    s_norm: &[&str],
    q_raw: &[&str],
    s_raw: &[&str],
    q_text: &str,
    s_text: &str,
) -> Vec<Note> {
    let mut notes = Vec::new();
    let change = format!("source “{s_text}” → quote “{q_text}”");
    let neg_q = q_norm.iter().filter(|w| NEGATIONS.contains(w)).count();
    let neg_s = s_norm.iter().filter(|w| NEGATIONS.contains(w)).count();
    let negation = |notes: &mut Vec<Note>| {
        if neg_q > neg_s {
            notes.push(Note::new(
                NoteKind::NegationAdded,
                format!("negation added: {change}"),
            ));
        } else if neg_s > neg_q {
            notes.push(Note::new(
                NoteKind::NegationRemoved,
                format!("negation removed: {change}"),
            ));
        }
    };
    // Words left out or added are an omission or an insertion (and may
    // drop or add a negation), never a changed name or number.
    let edge = match op {
        DiffOp::Delete => Some(Note::new(
            NoteKind::Omission,
            format!("left out “{s_text}” (no ellipsis marks it)"),
        )),
        DiffOp::Insert => Some(Note::new(
            NoteKind::Insertion,
            format!("added “{q_text}”, not in the source"),
        )),
        DiffOp::Equal | DiffOp::Replace => None,
    };
    if let Some(note) = edge {
        notes.push(note);
        negation(&mut notes);
        return notes;
    }
    let any = |ws: &[&str], f: &dyn Fn(&str) -> bool| ws.iter().any(|w| f(w));
    let numbers = any(q_norm, &is_number) || any(s_norm, &is_number);
    if numbers {
        let same_value = q_norm.len() == s_norm.len()
            && q_norm
                .iter()
                .zip(s_norm)
                .all(|(a, b)| a == b || value_of(a).is_some_and(|v| Some(v) == value_of(b)));
        if same_value {
            notes.push(Note::new(
                NoteKind::NumberStyle,
                format!("the same number, written another way: {change}"),
            ));
        } else {
            notes.push(Note::new(
                NoteKind::NumberChanged,
                format!("number changed: {change}"),
            ));
        }
    }
    if any(q_norm, &|w| crate::analysis::MONTHS.contains(&w))
        || any(s_norm, &|w| crate::analysis::MONTHS.contains(&w))
    {
        notes.push(Note::new(
            NoteKind::DateChanged,
            format!("date changed: {change}"),
        ));
    }
    negation(&mut notes);
    let q_stems: Vec<String> = q_norm.iter().map(|w| crate::analysis::stem(w)).collect();
    let s_stems: Vec<String> = s_norm.iter().map(|w| crate::analysis::stem(w)).collect();
    if q_stems
        .iter()
        .any(|q| s_stems.iter().any(|s| reverses(q, s)))
    {
        notes.push(Note::new(
            NoteKind::Reversal,
            format!("meaning reversed: {change}"),
        ));
    }
    if q_norm.len() == s_norm.len()
        && (0..q_norm.len()).any(|i| tense_differs(q_norm[i], s_norm[i], &q_stems[i], &s_stems[i]))
    {
        notes.push(Note::new(
            NoteKind::TenseChanged,
            format!("tense changed: {change}"),
        ));
    }
    let capitalized = |w: &&str| w.chars().next().is_some_and(char::is_uppercase);
    let (q_names, s_names): (Vec<_>, Vec<_>) = (
        q_raw.iter().filter(|w| capitalized(w)).collect(),
        s_raw.iter().filter(|w| capitalized(w)).collect(),
    );
    // A name is changed only when one capitalised name stands for another.
    if !q_names.is_empty() && !s_names.is_empty() && q_names != s_names && !numbers {
        notes.push(Note::new(
            NoteKind::NameChanged,
            format!("name changed: {change}"),
        ));
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
        let (s, e) = extend(l, &q, &src);
        assert_eq!(&src[s..e], &w("up to 10 million robots by 2040")[..]);
    }

    #[test]
    fn words_left_out_at_an_edge_are_an_omission() {
        let src = w("a homegrown sovereign ai model tied to robotics and chips today");
        let q = w("a homegrown sovereign ai model tied to chips");
        let l = local_align(&q, &src).unwrap();
        let (s, e) = extend(l, &q, &src);
        assert_eq!(
            &src[s..e],
            &w("a homegrown sovereign ai model tied to robotics and chips")[..]
        );
        let steps = diff(&q, &src[s..e]);
        assert!(
            steps
                .iter()
                .any(|st| matches!(st, Step::Delete { source, .. } if source.1 - source.0 == 2)),
            "{steps:?}"
        );
        // An edge word found nowhere near stays a replacement of as many words.
        let q = w("a homegrown sovereign ai model tied to nothing");
        let l = local_align(&q, &src).unwrap();
        let (s, e) = extend(l, &q, &src);
        assert_eq!(
            &src[s..e],
            &w("a homegrown sovereign ai model tied to robotics")[..]
        );
    }
}
