//! Judging candidates: how likely a sentence answers the question (the
//! reader's probability, or the answerability model's), and whether that
//! holds up as an answer on its own. Pure.

use super::answerability::{fitted, probability};
use super::evidence::{evidence, Top};
use super::question::Question;
use super::types::Candidate;
use super::weights::{
    ANSWER_THRESHOLD, READER_RELATED_THRESHOLD, READER_THRESHOLD, RELATED_THRESHOLD,
};
use crate::model::{Document, Passage};

/// Decides, candidate by candidate, how likely a sentence answers the
/// question, and whether that holds up as an answer on its own.
pub(super) struct Judge<'r, 'a> {
    /// The analysed question.
    pub(super) q: &'r Question,
    /// The ranked candidates, in their final order.
    pub(super) cands: &'r [(f64, Candidate<'a>)],
    /// The reader's scores in the candidates' order, when the reader ran.
    pub(super) read: Option<&'r [f32]>,
}

impl Judge<'_, '_> {
    /// The probability that candidate `i` answers: the reader's (its score
    /// against [`READER_THRESHOLD`]) when it ran, else the answerability
    /// model's (vectors on), else `None` (the coverage rule decides).
    pub(super) fn answerability(&self, i: usize) -> Option<f64> {
        if let Some(scores) = self.read {
            return Some(scores.get(i).map_or(0.0, |&z| reader_probability(z)));
        }
        model_answerability(self.q, self.cands, i)
    }

    /// Whether a probability holds up: 0.5 for the reader (its operating
    /// point is built into its probability), [`ANSWER_THRESHOLD`] for the
    /// answerability model.
    pub(super) fn strong_at(&self, p: f64) -> bool {
        p >= if self.read.is_some() {
            0.5
        } else {
            ANSWER_THRESHOLD
        }
    }

    /// The best probability over `passage`'s candidate sentences that one
    /// answers, and whether it reaches the "possibly relevant" operating
    /// point ([`RELATED_THRESHOLD`], or [`READER_RELATED_THRESHOLD`] with the
    /// reader). `(None, false)` when no probability applies.
    pub(super) fn relevance(&self, doc: &Document, passage: &Passage) -> (Option<f64>, bool) {
        let best = self
            .cands
            .iter()
            .enumerate()
            .filter(|(_, (_, c))| std::ptr::eq(c.doc, doc) && c.passage.number == passage.number)
            .filter_map(|(i, _)| self.answerability(i))
            .reduce(f64::max);
        let at = if self.read.is_some() {
            READER_RELATED_THRESHOLD
        } else {
            RELATED_THRESHOLD
        };
        (best, best.is_some_and(|p| p >= at))
    }

    /// Whether the question counts as answerable judged by its best
    /// candidate: `None` when no probability applies (vectors off).
    pub(super) fn answerable(&self) -> Option<bool> {
        match self.cands.first() {
            Some((_, top)) => self.answerability(0).map(|p| {
                tracing::debug!(
                    probability = p,
                    reader = self.read.is_some(),
                    sentence = top.doc.sentence_text(&top.passage, top.sentence),
                    "answerability of the top sentence"
                );
                self.strong_at(p)
            }),
            None => Some(false),
        }
    }
}

/// The reader's score for a candidate as a probability, 0.5 at
/// [`READER_THRESHOLD`].
fn reader_probability(score: f32) -> f64 {
    1.0 / (1.0 + f64::from(READER_THRESHOLD - score).exp())
}

/// IDF share of the question's terms that no passage holds.
pub(crate) fn unmatched_share(q: &Question) -> f64 {
    let total: f64 = q.terms.iter().map(|t| t.idf).sum();
    if total <= 0.0 {
        return 0.0;
    }
    q.terms
        .iter()
        .filter(|t| t.doc_freq == 0)
        .map(|t| t.idf)
        .sum::<f64>()
        / total
}

/// The answerability model's probability for candidate `i` of ranked
/// `cands`: its features against the best other candidate's score (for the
/// top one, the runner-up's, exactly as the model was fitted), so a
/// candidate ranked below another never stands out over it. `None` without
/// cosines (vectors off).
pub(crate) fn model_answerability(
    q: &Question,
    cands: &[(f64, Candidate<'_>)],
    i: usize,
) -> Option<f64> {
    let (score, c) = &cands[i];
    let cosines = c.cosines?;
    let best_other = if i == 0 { cands.get(1) } else { cands.first() };
    let v = evidence(&Top {
        features: &c.features,
        cosines,
        score: *score,
        second: best_other.map(|c| c.0),
        unmatched: unmatched_share(q),
        terms: q.terms.len(),
    });
    Some(probability(&v, &fitted()))
}
