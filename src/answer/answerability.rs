//! Whether the best sentence answers the question, or the sources are
//! silent: a logistic model over the evidence of the top candidate. Pure.
//!
//! Word overlap alone cannot tell "same meaning, other words" from "same
//! words, another question", so the evidence mixes the lexical view (how
//! much of the question's IDF weight the sentence, its window and its
//! passage hold; terms the corpus lacks entirely; whether the kind of span
//! asked for is there) with the semantic one (cosine of question and
//! sentence, question and passage) and the ranker's confidence (its score,
//! and its margin over the runner-up).
//!
//! The weights are fitted by `verbatim bench squad --fit` on the tuning
//! articles with their gold paragraphs partly hidden ("leave the gold
//! out"): questions on hidden paragraphs must get no answer, the others a
//! right one. Used only when vectors are on; lexical-only keeps the
//! coverage threshold ([`super::weights::MIN_COVERAGE`]).

use super::evidence::{Evidence, Values};
use super::weights;

/// The probability that the top candidate answers, under weights `w`.
pub(crate) fn probability(v: &Values, w: &Values) -> f64 {
    let z: f64 = v.iter().zip(w).map(|(a, b)| a * b).sum();
    1.0 / (1.0 + (-z).exp())
}

/// The fitted weights, by position.
pub(crate) fn fitted() -> Values {
    let mut w = [0.0; Evidence::COUNT];
    for (e, x) in weights::ANSWERABILITY {
        w[e as usize] = x;
    }
    w
}

#[cfg(test)]
mod tests {
    use super::super::evidence::{evidence, Top};
    use super::super::features::{Feature, Features};
    use super::*;

    #[test]
    fn every_input_has_exactly_one_fitted_weight() {
        let mut seen = [0usize; Evidence::COUNT];
        for (e, _) in weights::ANSWERABILITY {
            seen[e as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
    }

    #[test]
    fn more_evidence_is_more_probable() {
        let w = fitted();
        let features = Features([0.0; Feature::COUNT]);
        let mut weak_features = features;
        weak_features[Feature::PassageMissingRare] = 1.0;
        weak_features[Feature::WindowMissingRare] = 1.0;
        let weak = evidence(&Top {
            features: &weak_features,
            cosines: [0.1, 0.1],
            score: 0.0,
            second: Some(0.0),
            unmatched: 0.6,
            terms: 4,
        });
        let mut strong_features = features;
        for f in [
            Feature::Coverage,
            Feature::WindowCoverage,
            Feature::PassageCoverage,
        ] {
            strong_features[f] = 1.0;
        }
        let strong = evidence(&Top {
            features: &strong_features,
            cosines: [0.8, 0.7],
            score: 8.0,
            second: Some(4.0),
            unmatched: 0.0,
            terms: 4,
        });
        assert!(probability(&strong, &w) > probability(&weak, &w));
    }
}
