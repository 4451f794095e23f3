//! Finding the span of a sentence that answers a question of a given type:
//! the date for "when", the amount for "how many", the names for "who".
//! Pure; returns byte ranges into the sentence.

use std::ops::Range;

use super::question::QType;
use crate::analysis::{tokenize, Token, NUMBER_SCALES};

/// Words that belong to an amount beside the scales ("per cent", "yen").
const UNITS: &[&str] = &["per", "cent", "yen", "dollars", "euros", "pounds", "yuan"];

const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
    "ninety", "dozens", "several",
];
/// Capitalized words that start sentences or lists without naming anything.
const NOT_NAMES: &[&str] = &[
    "the", "a", "an", "this", "that", "these", "those", "their", "its", "his", "her", "it", "they",
    "he", "she", "we", "in", "on", "at", "for", "by", "of", "and", "but", "or", "as", "if", "when",
    "while", "after", "before", "since", "with", "from", "to", "some", "many", "most", "several",
    "other", "instead", "today", "whether", "for", "there",
];

fn is_year(t: &Token) -> bool {
    let d = t.text.trim_end_matches('s');
    d.len() == 4
        && d.chars().all(|c| c.is_ascii_digit())
        && (1000..=2199).contains(&d.parse::<u32>().unwrap_or(0))
}

/// Words before a year that make it a date, not an amount.
const DATE_WORDS: &[&str] = &[
    "in", "by", "since", "until", "till", "from", "before", "after", "around", "during", "of",
    "to", "the",
];

/// Whether token `i` is a year read as a date: a decade (`1980s`), or a
/// year after a word of time (`by 2040`), unless a unit follows it.
fn is_date(toks: &[Token], i: usize) -> bool {
    let t = &toks[i];
    if !is_year(t) {
        return false;
    }
    let unit = toks.get(i + 1).is_some_and(|n| {
        NUMBER_SCALES.contains(&n.text.as_str()) || UNITS.contains(&n.text.as_str())
    });
    let dated = t.text.ends_with('s')
        || i.checked_sub(1).is_some_and(|p| {
            DATE_WORDS.contains(&toks[p].text.as_str())
                || crate::analysis::MONTHS.contains(&toks[p].text.as_str())
        });
    dated && !unit
}

fn is_number(t: &Token) -> bool {
    t.text.chars().next().is_some_and(|c| c.is_ascii_digit())
        || NUMBER_WORDS.contains(&t.text.as_str())
}

/// Merges token index runs into byte ranges, extending over `$`, `¥`, `%`.
fn runs_to_ranges(text: &str, toks: &[Token], runs: Vec<(usize, usize)>) -> Vec<Range<usize>> {
    runs.into_iter()
        .map(|(a, b)| {
            let mut s = toks[a].start;
            let mut e = toks[b].end;
            if let Some(c) = text[..s]
                .chars()
                .last()
                .filter(|c| matches!(c, '$' | '¥' | '€' | '£'))
            {
                s -= c.len_utf8();
            }
            if text[e..].starts_with('%') {
                e += 1;
            }
            s..e
        })
        .collect()
}

/// Groups consecutive token indices satisfying `keep` (allowing `glue`
/// tokens between them) into runs.
fn group(
    toks: &[Token],
    keep: impl Fn(usize) -> bool,
    glue: impl Fn(usize) -> bool,
) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if !keep(i) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut j = i + 1;
        while j < toks.len() {
            if keep(j) {
                end = j;
                j += 1;
            } else if glue(j) && j + 1 < toks.len() && keep(j + 1) {
                j += 1;
            } else {
                break;
            }
        }
        runs.push((start, end));
        i = end + 1;
    }
    runs
}

/// The answer spans of `sentence` for a question of type `qtype` whose
/// folded words are `question_words`.
pub(super) fn answer_spans(
    sentence: &str,
    qtype: QType,
    question_words: &[String],
) -> Vec<Range<usize>> {
    answer_spans_in(sentence, &tokenize(sentence), qtype, question_words)
}

/// [`answer_spans`] of a sentence already tokenized: `toks` are
/// [`tokenize`]'s tokens of `sentence`.
pub(super) fn answer_spans_in(
    sentence: &str,
    toks: &[Token],
    qtype: QType,
    question_words: &[String],
) -> Vec<Range<usize>> {
    let in_q = |i: usize| question_words.iter().any(|w| *w == toks[i].text);
    let raw = |i: usize| &sentence[toks[i].start..toks[i].end];
    let runs = match qtype {
        QType::When => group(
            toks,
            |i| {
                (is_year(&toks[i])
                    || crate::analysis::MONTHS.contains(&toks[i].text.as_str())
                    || (toks[i].text.len() <= 2
                        && toks[i].text.chars().all(|c| c.is_ascii_digit())
                        && i > 0
                        && crate::analysis::MONTHS.contains(&toks[i - 1].text.as_str())))
                    && !in_q(i)
            },
            |_| false,
        )
        .into_iter()
        .filter(|&(a, b)| (a..=b).any(|i| is_year(&toks[i])) || b > a)
        .collect(),
        QType::Quantity => group(
            toks,
            |i| {
                (is_number(&toks[i]) && !is_date(toks, i)
                    || (i > 0
                        && is_number(&toks[i - 1])
                        && (NUMBER_SCALES.contains(&toks[i].text.as_str())
                            || UNITS.contains(&toks[i].text.as_str()))))
                    && !in_q(i)
            },
            |_| false,
        ),
        QType::Who | QType::Where => {
            let name = |i: usize| {
                raw(i).chars().next().is_some_and(char::is_uppercase)
                    && !in_q(i)
                    && !NOT_NAMES.contains(&toks[i].text.as_str())
            };
            group(toks, name, |j| {
                matches!(toks[j].text.as_str(), "and" | "of" | "de" | "von")
            })
        }
        QType::Other => Vec::new(),
    };
    runs_to_ranges(sentence, toks, runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(s: &str, t: QType, q: &str) -> Vec<&'static str> {
        let qw: Vec<String> = tokenize(q).into_iter().map(|t| t.text).collect();
        let owned: &'static str = Box::leak(s.to_string().into_boxed_str());
        answer_spans(owned, t, &qw)
            .into_iter()
            .map(|r| &owned[r])
            .collect()
    }

    #[test]
    fn finds_answers_by_type() {
        assert_eq!(
            spans(
                "It was set up in April 2026 by SoftBank.",
                QType::When,
                "when was it set up"
            ),
            vec!["April 2026"]
        );
        assert_eq!(
            spans(
                "Japan has approved about $6.3 billion for AI.",
                QType::Quantity,
                "how much did japan approve"
            ),
            vec!["$6.3 billion"]
        );
        assert_eq!(
            spans(
                "SoftBank, Sony, NEC, and Honda are leading a new venture.",
                QType::Who,
                "which companies lead the venture"
            ),
            vec!["SoftBank, Sony, NEC, and Honda"]
        );
        assert_eq!(
            spans("The 1980s effort failed.", QType::When, "when"),
            vec!["1980s"]
        );
        // A year read as a date is no amount; a count beside it is.
        assert_eq!(
            spans(
                "Like the 1980s effort, it aims for 10 million robots by 2040.",
                QType::Quantity,
                "how many robots"
            ),
            vec!["10 million"]
        );
        assert_eq!(
            spans(
                "It hired 1500 workers in 2020.",
                QType::Quantity,
                "how many workers"
            ),
            vec!["1500"]
        );
    }
}
