//! From ranked candidate sentences to answers: each candidate is judged
//! ([`Judge`]), extended back over the sentences it leans on, tokenized
//! once, de-duplicated, highlighted, and originals are moved
//! ahead of the sentences that restate them ([`originals_first`]). Pure:
//! the only outside fact it needs, whether a word is the corpus's topic,
//! comes in as a function.

use std::collections::HashSet;
use std::ops::Range;

use crate::analysis::{tokenize, Token};
use crate::model::Span;
use crate::search::{Highlighter, Pattern};

use super::features::{coverage, stems_of};
use super::judge::Judge;
use super::question::{QType, Question};
use super::spans;
use super::types::{Answer, Candidate, HighlightKind};
use super::weights::MIN_COVERAGE;

/// Pronouns that make a sentence lean on the one before it.
const ANAPHORA: &[&str] = &[
    "it", "its", "this", "these", "they", "their", "he", "she", "his", "her", "that", "those",
];

/// An answer being assembled, with what later steps read of its words.
pub(super) struct Assembled<'a> {
    /// The answer.
    pub(super) answer: Answer<'a>,
    /// Its folded words (for [`originals_first`]).
    words: Vec<String>,
}

/// Builds up to `pool` answers from the candidates, best first.
/// `topic` tells a word the corpus is about (see [`super::TOPIC_SHARE`]).
pub(super) fn answers<'a>(
    judge: &Judge<'_, 'a>,
    topic: &dyn Fn(&str) -> bool,
    pool: usize,
) -> Vec<Assembled<'a>> {
    let q = judge.q;
    let mut out: Vec<Assembled<'a>> = Vec::new();
    let mut seen_text = HashSet::new();
    for (i, (score, c)) in judge.cands.iter().enumerate() {
        if out.len() >= pool {
            break;
        }
        let range = leaning_range(c);
        let bytes = c.doc.sentence(&c.passage, range.start).bytes.start
            ..c.doc.sentence(&c.passage, range.end - 1).bytes.end;
        let text = &c.doc.text[bytes.clone()];
        let tokens = tokenize(text);
        let folded: Vec<String> = tokens.iter().map(|t| t.text.clone()).collect();
        // A text already given (from any passage) is not given again, nor
        // a sentence an answer of the same passage already covers.
        if !seen_text.insert(folded.clone())
            || out.iter().any(|a| {
                std::ptr::eq(a.answer.doc, c.doc)
                    && a.answer.passage.number == c.passage.number
                    && a.answer.sentences.start < range.end
                    && range.start < a.answer.sentences.end
            })
        {
            continue;
        }
        // The answer's folded tokens serve de-duplication (above), the kind
        // check and the highlights; its stems serve coverage.
        let cov = coverage(q, &stems_of(q, text));
        let span = Span {
            start: c.doc.sentence(&c.passage, range.start).span.start,
            end: c.doc.sentence(&c.passage, range.end - 1).span.end,
        };
        let kind_ranges = kind_ranges(text, &tokens, q, topic);
        let answerability = judge.answerability(i);
        let strong = match answerability {
            Some(p) => judge.strong_at(p),
            None => cov >= MIN_COVERAGE,
        };
        out.push(Assembled {
            answer: Answer {
                doc: c.doc,
                passage: c.passage.clone(),
                // A weak answer marks the question's words, never an answer span.
                highlights: highlights(text, span.start, q, &tokens, strong.then_some(kind_ranges)),
                answerability,
                strong,
                primary: c.sentence,
                sentences: range,
                bytes,
                span,
                // With the reader, its score: the order the answers come in.
                score: judge
                    .read
                    .and_then(|scores| scores.get(i))
                    .map_or(*score, |&z| f64::from(z)),
                coverage: cov,
                similar: Vec::new(),
            },
            words: folded,
        });
    }
    out
}

/// The sentences an answer from candidate `c` covers: its own, and before
/// it every sentence it leans on. A sentence opening with a pronoun leans
/// on the one before ("It was founded in London…" says nothing without
/// it): it always comes with that sentence (and that one with its own, if
/// it leans too), whether or not the question's words are there.
fn leaning_range(c: &Candidate<'_>) -> Range<usize> {
    let leans = |i: usize| {
        let s = c.doc.sentence_text(&c.passage, i);
        first_word(s).is_some_and(|w| ANAPHORA.contains(&w.as_str()))
    };
    let mut range = c.sentence..c.sentence + 1;
    while range.start > 0 && leans(range.start) {
        range.start -= 1;
    }
    range
}

/// The first folded word of `s`, reading no further than that word.
fn first_word(s: &str) -> Option<String> {
    let start = s.find(|c: char| c.is_alphanumeric())?;
    let rest = &s[start..];
    let end = rest
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(rest.len());
    tokenize(&rest[..end]).into_iter().next().map(|t| t.text)
}

/// The ranges of `text` holding the kind of thing the question asks for.
/// A name made only of topic words names nothing the question asks.
fn kind_ranges(
    text: &str,
    tokens: &[Token],
    q: &Question,
    topic: &dyn Fn(&str) -> bool,
) -> Vec<Range<usize>> {
    spans::answer_spans_in(text, tokens, q.qtype, &q.words)
        .into_iter()
        .filter(|r| {
            !matches!(q.qtype, QType::Who | QType::Where)
                || !tokens
                    .iter()
                    .filter(|t| t.start >= r.start && t.end <= r.end)
                    .all(|t| topic(&t.text))
        })
        .collect()
}

/// Term and answer highlights of an answer text, as absolute char spans:
/// every word of the text that stems as a question term does, by search's
/// own highlighter (one rule for hits and answers: stem exceptions,
/// spellings and compounds alike), and the answer ranges when given (a
/// strong answer's only).
fn highlights(
    text: &str,
    char_base: usize,
    q: &Question,
    tokens: &[Token],
    answer: Option<Vec<Range<usize>>>,
) -> Vec<(Span, HighlightKind)> {
    let to_chars = |b: usize| char_base + text[..b].chars().count();
    let span = |r: Range<usize>| Span {
        start: to_chars(r.start),
        end: to_chars(r.end),
    };
    let patterns: Vec<Pattern> = q.terms.iter().map(|t| Pattern::word(&t.stem)).collect();
    let mut out: Vec<(Span, HighlightKind)> = Highlighter::new(&patterns)
        .spans_in(text, char_base, tokens)
        .into_iter()
        .map(|s| (s, HighlightKind::Term))
        .collect();
    out.extend(
        answer
            .into_iter()
            .flatten()
            .map(|r| (span(r), HighlightKind::Answer)),
    );
    out.sort_by_key(|(s, k)| (s.start, *k));
    out
}

/// Repeated facts: when two answers share a run of words making up at least
/// 70% of the shorter one, they state the same fact. The one in which the
/// shared run is the larger share of the sentence is the original (the
/// other quotes or frames it), and moves ahead of the other.
pub(super) fn originals_first(answers: &mut Vec<Assembled<'_>>) {
    let mut order: Vec<usize> = (0..answers.len()).collect();
    let mut moved = true;
    let mut guard = 0;
    while moved && guard < 64 {
        moved = false;
        guard += 1;
        'outer: for i in 0..order.len() {
            for j in i + 1..order.len() {
                let (a, b) = (&answers[order[i]].words, &answers[order[j]].words);
                let run = longest_common_run(a, b);
                let shorter = a.len().min(b.len());
                if shorter == 0 || run * 10 < shorter * 7 {
                    continue;
                }
                let (share_a, share_b) = (run as f64 / a.len() as f64, run as f64 / b.len() as f64);
                if share_b > share_a + 1e-9 {
                    let x = order.remove(j);
                    order.insert(i, x);
                    moved = true;
                    break 'outer;
                }
            }
        }
    }
    let mut slots: Vec<Option<Assembled<'_>>> = answers.drain(..).map(Some).collect();
    answers.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

/// Folds near-duplicate answers (a templated line, a copy of a sentence)
/// under the best-ranked of them, as search folds passages
/// ([`crate::search::fold_similar`]).
pub(super) fn fold_similar<'a>(answers: Vec<Assembled<'a>>) -> Vec<Answer<'a>> {
    let (answers, owned): (Vec<Answer<'a>>, Vec<Vec<String>>) =
        answers.into_iter().map(|a| (a.answer, a.words)).unzip();
    let words: Vec<Vec<&str>> = owned
        .iter()
        .map(|w| w.iter().map(String::as_str).collect())
        .collect();
    crate::search::fold_similar(answers, &words)
        .into_iter()
        .map(|(mut lead, similar)| {
            lead.similar = similar;
            lead
        })
        .collect()
}

/// Length of the longest run of equal consecutive words in `a` and `b`.
fn longest_common_run(a: &[String], b: &[String]) -> usize {
    let mut best = 0;
    let mut prev = vec![0usize; b.len() + 1];
    for x in a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                cur[j + 1] = prev[j] + 1;
                best = best.max(cur[j + 1]);
            }
        }
        prev = cur;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_word_is_read_alone() {
        assert_eq!(first_word("It was founded.").as_deref(), Some("it"));
        assert_eq!(first_word("  “They said so.”").as_deref(), Some("they"));
        assert_eq!(first_word("…").as_deref(), None);
        assert_eq!(first_word("Éléonore left").as_deref(), Some("éléonore"));
    }

    #[test]
    fn common_runs() {
        let w = |s: &str| -> Vec<String> { s.split(' ').map(String::from).collect() };
        assert_eq!(longest_common_run(&w("a b c d"), &w("x b c d y")), 3);
        assert_eq!(longest_common_run(&w("a"), &w("b")), 0);
    }
}
