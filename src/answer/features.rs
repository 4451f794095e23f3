//! The sentence features the ranker scores: their names and positions (one
//! enum), and how they are computed from a question, a candidate passage and
//! its sentences. Pure: text and statistics in, numbers out.
//!
//! Features come in three groups, computed in three steps:
//! 1. per question ([`QuestionStats`]);
//! 2. per candidate passage ([`PassageStats`]);
//! 3. per sentence ([`sentence_features`]), then features relative to the
//!    question's other candidates ([`relative_features`]).

use std::collections::{HashMap, HashSet};
use std::ops::{Index, IndexMut, Range};

use crate::model::{Document, Passage};

use super::question::{is_stopword, Question};
use super::spans;

/// BM25 term saturation, for sentence and passage scoring.
const K1: f64 = 1.2;
/// BM25 length normalisation of sentence scores.
const B: f64 = 0.75;
/// The sentence length BM25 normalises against, in tokens.
const AVG_SENTENCE_TOKENS: f64 = 25.0;
/// Length normalisation of the passage-level BM25 variant: weak, since a
/// long passage is not a worse answer container.
const PASSAGE_LOW_B: f64 = 0.3;
/// The passage length that variant normalises against, in tokens.
const AVG_PASSAGE_TOKENS: f64 = 120.0;
/// Sentence length, in tokens, beyond which length adds nothing.
const LENGTH_CAP_TOKENS: f64 = 60.0;
/// How strongly the TF-IDF cosine is damped by the sentence's log length.
const COSINE_LENGTH_DAMPING: f64 = 0.1;

named_inputs! {
    /// One sentence feature. Its position is its discriminant; its name
    /// keys the fitted weights.
    Feature;
    Coverage => "coverage": "IDF-weighted share of the question's terms in the sentence.",
    ExactCoverage => "exact_coverage": "The same over unstemmed words.",
    SentenceBm25 => "sentence_bm25": "BM25 of the sentence, normalised by the question's weight.",
    PassageBm25 => "passage_bm25": "The passage's BM25 over the best passage's.",
    Proximity => "proximity": "Matched terms over the smallest window holding them, in the sentence.",
    AnswerType => "answer_type": "1 when the sentence holds the kind of span asked for.",
    Bigrams => "bigrams": "Share of the question's term bigrams in the sentence.",
    Neighbours => "neighbours": "Best coverage of the sentence before or after.",
    RarestTerm => "rarest_term": "1 when the sentence holds the question's rarest term.",
    PassageCoverage => "passage_coverage": "Coverage of the whole passage.",
    Length => "length": "Sentence length, capped.",
    Position => "position": "1 / (1 + the sentence's position in the passage).",
    Novelty => "novelty": "Share of the sentence's content words the question lacks.",
    PassageRank => "passage_rank": "1 / (1 + the passage's BM25 rank).",
    TypeXCoverage => "type_x_coverage": "answer_type × coverage.",
    CoverageXPassage => "coverage_x_passage": "coverage × passage_bm25.",
    CoverageSquared => "coverage_squared": "coverage².",
    IsBestCoverage => "is_best_coverage": "1 when no candidate covers more.",
    RelativeCoverage => "relative_coverage": "Coverage over the best candidate's.",
    TopPassage => "top_passage": "1 in the best BM25 passage.",
    WindowCoverage => "window_coverage": "Coverage of the sentence with its neighbours.",
    MissingInSentence => "missing_in_sentence": "Passage coverage minus sentence coverage.",
    IdfBigrams => "idf_bigrams": "IDF weight of the question bigrams in the sentence.",
    TitleCoverage => "title_coverage": "Coverage of the document title.",
    PassageProximity => "passage_proximity": "proximity over the whole passage.",
    PassageBm25LowB => "passage_bm25_low_b": "Passage BM25 with weak length normalisation.",
    PassageExactCoverage => "passage_exact_coverage": "exact_coverage over the whole passage.",
    TfidfCosine => "tfidf_cosine": "TF-IDF cosine of question and sentence, damped by length.",
    LocalIdfCoverage => "local_idf_coverage": "Coverage under IDF over the candidate sentences.",
    MatchedRatio => "matched_ratio": "Share of the question's terms matched, unweighted.",
    LocalIdfWindow => "local_idf_window": "local_idf_coverage of the sentence with its neighbours.",
    PassageMissingRare => "passage_missing_rare": "IDF of the rarest question term the passage lacks, over the rarest term's (0: it lacks none).",
    WindowMissingRare => "window_missing_rare": "The same for the sentence with its neighbours.",
}

/// A sentence's feature values, addressed by [`Feature`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Features(pub(crate) [f64; Feature::COUNT]);

impl Index<Feature> for Features {
    type Output = f64;
    fn index(&self, f: Feature) -> &f64 {
        &self.0[f as usize]
    }
}

impl IndexMut<Feature> for Features {
    fn index_mut(&mut self, f: Feature) -> &mut f64 {
        &mut self.0[f as usize]
    }
}

/// IDF-weighted share of the question's terms present in `stems`.
pub(super) fn coverage(q: &Question, stems: &[String]) -> f64 {
    let total = q.total_idf();
    if total == 0.0 {
        return 0.0;
    }
    let set: HashSet<&str> = stems.iter().map(String::as_str).collect();
    q.terms
        .iter()
        .filter(|t| set.contains(t.stem.as_str()))
        .map(|t| t.idf)
        .sum::<f64>()
        / total
}

/// The stems of a text as `q` reads them ([`Question::stems_of`]).
pub(super) fn stems_of(q: &Question, text: &str) -> Vec<String> {
    q.stems_of(text).into_iter().map(|t| t.text).collect()
}

/// What every feature needs of the question, computed once.
pub(super) struct QuestionStats<'q> {
    /// The question.
    q: &'q Question,
    /// Stem → IDF.
    stems: HashMap<&'q str, f64>,
    /// Folded unstemmed words with their IDF, in question order.
    exact: Vec<(&'q str, f64)>,
    /// Sum of the terms' IDF (never zero).
    total: f64,
    /// The rarest term the corpus holds.
    rarest: Option<&'q str>,
    /// Distinct consecutive term pairs, in question order.
    bigrams: Vec<(&'q str, &'q str)>,
    /// Euclidean norm of the IDF vector (never zero).
    norm: f64,
}

impl<'q> QuestionStats<'q> {
    pub(super) fn new(q: &'q Question) -> Self {
        let content: Vec<&str> = q.terms.iter().map(|t| t.stem.as_str()).collect();
        let mut bigrams: Vec<(&str, &str)> = content.windows(2).map(|w| (w[0], w[1])).collect();
        let mut seen = HashSet::new();
        bigrams.retain(|b| seen.insert(*b));
        QuestionStats {
            q,
            stems: q.terms.iter().map(|t| (t.stem.as_str(), t.idf)).collect(),
            exact: q.terms.iter().map(|t| (t.exact.as_str(), t.idf)).collect(),
            total: q.total_idf().max(1e-9),
            rarest: q
                .terms
                .iter()
                .filter(|t| t.doc_freq > 0)
                .max_by(|a, b| a.idf.total_cmp(&b.idf))
                .map(|t| t.stem.as_str()),
            bigrams,
            norm: q
                .terms
                .iter()
                .map(|t| t.idf * t.idf)
                .sum::<f64>()
                .sqrt()
                .max(1e-9),
        }
    }

    /// IDF-weighted share of the question's unstemmed words in `words`.
    fn exact_coverage(&self, words: &HashSet<&str>) -> f64 {
        self.exact
            .iter()
            .filter(|(w, _)| words.contains(*w))
            .map(|(_, i)| i)
            .sum::<f64>()
            / self.total
    }

    /// The question terms present in `stems` as (stem, IDF, count), in
    /// question order: every sum over them adds in the same order on every
    /// run, so a question always ranks its sentences the same way.
    fn term_freqs(&self, stems: &[String]) -> Vec<(&'q str, f64, f64)> {
        let mut counts: HashMap<&str, f64> = HashMap::new();
        for s in stems {
            if self.stems.contains_key(s.as_str()) {
                *counts.entry(s.as_str()).or_default() += 1.0;
            }
        }
        self.q
            .terms
            .iter()
            .filter_map(|t| {
                let c = *counts.get(t.stem.as_str())?;
                Some((t.stem.as_str(), t.idf, c))
            })
            .collect()
    }
}

/// A candidate passage: its tokens, its sentences' token ranges, and the
/// features all its sentences share.
pub(super) struct PassageStats {
    /// Stemmed tokens.
    stems: Vec<String>,
    /// Unstemmed folded tokens, aligned with `stems`.
    exact: Vec<String>,
    /// Token range of each sentence.
    ranges: Vec<Range<usize>>,
    /// Coverage of each sentence.
    covs: Vec<f64>,
    /// Coverage of the whole passage.
    coverage: f64,
    /// Coverage of the document's title.
    title_coverage: f64,
    /// Proximity over the whole passage.
    proximity: f64,
    /// Passage BM25 with weak length normalisation.
    bm25_low_b: f64,
    /// Unstemmed coverage of the whole passage.
    exact_coverage: f64,
    /// The passage's BM25 over the best passage's.
    bm25_relative: f64,
    /// BM25 rank among the candidates (0 = best).
    rank: usize,
    /// See [`Feature::PassageMissingRare`].
    missing_rare: f64,
}

/// IDF of the rarest question term `stems` lack, over the rarest term's.
fn missing_rare(q: &Question, stems: &[String]) -> f64 {
    let max = q.terms.iter().map(|t| t.idf).fold(0.0, f64::max);
    if max <= 0.0 {
        return 0.0;
    }
    let present: HashSet<&str> = stems.iter().map(String::as_str).collect();
    q.terms
        .iter()
        .filter(|t| !present.contains(t.stem.as_str()))
        .map(|t| t.idf)
        .fold(0.0, f64::max)
        / max
}

impl PassageStats {
    /// Tokenizes passage `p` and computes its passage-level features.
    /// `bm25_relative` is its retrieval score over the best candidate's.
    pub(super) fn new(
        qs: &QuestionStats<'_>,
        doc: &Document,
        p: &Passage,
        rank: usize,
        bm25_relative: f64,
        title_coverage: f64,
    ) -> Self {
        let text = doc.passage_text(p);
        let stem_toks = qs.q.stems_of(text);
        let exact: Vec<String> = crate::analysis::exact(text)
            .into_iter()
            .map(|t| t.text)
            .collect();
        let starts: Vec<usize> = stem_toks.iter().map(|t| t.start).collect();
        let stems: Vec<String> = stem_toks.into_iter().map(|t| t.text).collect();
        let ranges: Vec<Range<usize>> = doc
            .sentences(p)
            .map(|s| {
                let (a, b) = (s.bytes.start - p.bytes.start, s.bytes.end - p.bytes.start);
                starts.partition_point(|&x| x < a)..starts.partition_point(|&x| x < b)
            })
            .collect();
        let q = qs.q;
        let len = stems.len() as f64;
        let tf = qs.term_freqs(&stems);
        let bm25_low_b = tf
            .iter()
            .map(|&(_, idf, c)| {
                idf * c * (K1 + 1.0)
                    / (c + K1 * (1.0 - PASSAGE_LOW_B + PASSAGE_LOW_B * len / AVG_PASSAGE_TOKENS))
            })
            .sum::<f64>()
            / (qs.total * (K1 + 1.0));
        let exact_set: HashSet<&str> = exact.iter().map(String::as_str).collect();
        PassageStats {
            covs: ranges
                .iter()
                .map(|r| coverage(q, &stems[r.clone()]))
                .collect(),
            coverage: coverage(q, &stems),
            title_coverage,
            proximity: proximity(&stems, &qs.stems),
            bm25_low_b,
            exact_coverage: qs.exact_coverage(&exact_set),
            bm25_relative,
            rank,
            missing_rare: missing_rare(q, &stems),
            stems,
            exact,
            ranges,
        }
    }

    /// Number of sentences.
    pub(super) fn sentences(&self) -> usize {
        self.ranges.len()
    }
}

/// Which question terms a sentence holds, for the features computed over
/// all candidates at once ([`relative_features`]).
pub(super) struct Matched {
    /// Terms in the sentence.
    sentence: Vec<usize>,
    /// Terms in the sentence with its neighbours.
    window: Vec<usize>,
}

/// The features of sentence `si` of a candidate passage, except those
/// relative to the other candidates.
pub(super) fn sentence_features(
    qs: &QuestionStats<'_>,
    ps: &PassageStats,
    doc: &Document,
    p: &Passage,
    si: usize,
) -> (Features, Matched) {
    use Feature as F;
    let q = qs.q;
    let r = ps.ranges[si].clone();
    let stems = &ps.stems[r.clone()];
    let exact = &ps.exact[r.clone()];
    let s_text = doc.sentence_text(p, si);
    let mut f = Features([0.0; Feature::COUNT]);
    f[F::Coverage] = ps.covs[si];
    let exact_set: HashSet<&str> = exact.iter().map(String::as_str).collect();
    f[F::ExactCoverage] = qs.exact_coverage(&exact_set);
    let len = stems.len() as f64;
    let tf = qs.term_freqs(stems);
    f[F::SentenceBm25] = tf
        .iter()
        .map(|&(_, idf, c)| {
            idf * c * (K1 + 1.0) / (c + K1 * (1.0 - B + B * len / AVG_SENTENCE_TOKENS))
        })
        .sum::<f64>()
        / (qs.total * (K1 + 1.0));
    f[F::PassageBm25] = ps.bm25_relative;
    f[F::Proximity] = proximity(stems, &qs.stems);
    f[F::AnswerType] = f64::from(u8::from(
        !spans::answer_spans(s_text, q.qtype, &q.words).is_empty(),
    ));
    let content: Vec<&str> = stems
        .iter()
        .map(String::as_str)
        .filter(|s| !is_stopword(s))
        .collect();
    let sentence_bigrams: HashSet<(&str, &str)> =
        content.windows(2).map(|w| (w[0], w[1])).collect();
    if !qs.bigrams.is_empty() {
        f[F::Bigrams] = qs
            .bigrams
            .iter()
            .filter(|b| sentence_bigrams.contains(b))
            .count() as f64
            / qs.bigrams.len() as f64;
    }
    let prev = if si > 0 { ps.covs[si - 1] } else { 0.0 };
    let next = ps.covs.get(si + 1).copied().unwrap_or(0.0);
    f[F::Neighbours] = prev.max(next);
    f[F::RarestTerm] = f64::from(u8::from(
        qs.rarest.is_some_and(|r| stems.iter().any(|s| s == r)),
    ));
    f[F::PassageCoverage] = ps.coverage;
    f[F::Length] = len.min(LENGTH_CAP_TOKENS) / LENGTH_CAP_TOKENS;
    f[F::Position] = 1.0 / (1.0 + si as f64);
    if !content.is_empty() {
        f[F::Novelty] = content
            .iter()
            .filter(|s| !qs.stems.contains_key(*s))
            .count() as f64
            / content.len() as f64;
    }
    f[F::PassageRank] = 1.0 / (1.0 + ps.rank as f64);
    f[F::TypeXCoverage] = f[F::AnswerType] * f[F::Coverage];
    f[F::CoverageXPassage] = f[F::Coverage] * f[F::PassageBm25];
    f[F::CoverageSquared] = f[F::Coverage] * f[F::Coverage];
    f[F::TopPassage] = f64::from(u8::from(ps.rank == 0));
    let lo = r
        .start
        .saturating_sub(if si > 0 { ps.ranges[si - 1].len() } else { 0 });
    let hi = ps.ranges.get(si + 1).map_or(r.end, |n| n.end);
    f[F::WindowCoverage] = coverage(q, &ps.stems[lo..hi]);
    f[F::PassageMissingRare] = ps.missing_rare;
    f[F::WindowMissingRare] = missing_rare(q, &ps.stems[lo..hi]);
    f[F::MissingInSentence] = ps.coverage - f[F::Coverage];
    if !qs.bigrams.is_empty() {
        let w: f64 = qs
            .bigrams
            .iter()
            .filter(|b| sentence_bigrams.contains(b))
            .map(|b| qs.stems[b.0] + qs.stems[b.1])
            .sum();
        f[F::IdfBigrams] = w / (2.0 * qs.total);
    }
    f[F::TitleCoverage] = ps.title_coverage;
    f[F::PassageProximity] = ps.proximity;
    f[F::PassageBm25LowB] = ps.bm25_low_b;
    f[F::PassageExactCoverage] = ps.exact_coverage;
    let s_norm: f64 = tf
        .iter()
        .map(|&(_, idf, c)| (c * idf).powi(2))
        .sum::<f64>()
        .sqrt();
    let dot: f64 = tf.iter().map(|&(_, idf, c)| c * idf * idf).sum();
    f[F::TfidfCosine] = if s_norm > 0.0 {
        dot / (qs.norm * s_norm * (1.0 + len.ln().max(0.0) * COSINE_LENGTH_DAMPING))
    } else {
        0.0
    };
    let holding = |set: &HashSet<&str>| -> Vec<usize> {
        q.terms
            .iter()
            .enumerate()
            .filter(|(_, t)| set.contains(t.stem.as_str()))
            .map(|(i, _)| i)
            .collect()
    };
    let sentence = holding(&tf.iter().map(|t| t.0).collect());
    let window = holding(&ps.stems[lo..hi].iter().map(String::as_str).collect());
    f[F::MatchedRatio] = sentence.len() as f64 / q.terms.len().max(1) as f64;
    (f, Matched { sentence, window })
}

/// The features relative to the question's other candidates: coverage
/// under IDF computed over the candidate sentences themselves (words every
/// candidate shares, the topic, cannot tell them apart), and coverage
/// against the best candidate's.
pub(super) fn relative_features(q: &Question, cands: &mut [(Features, Matched)]) {
    use Feature as F;
    let n_cands = cands.len() as f64;
    let mut sent_df = vec![0usize; q.terms.len()];
    for (_, m) in cands.iter() {
        for &i in &m.sentence {
            sent_df[i] += 1;
        }
    }
    let local_idf: Vec<f64> = sent_df
        .iter()
        .map(|&d| (1.0 + n_cands / (d as f64 + 0.5)).ln())
        .collect();
    let local_total: f64 = local_idf.iter().sum::<f64>().max(1e-9);
    for (f, m) in cands.iter_mut() {
        f[F::LocalIdfCoverage] =
            m.sentence.iter().map(|&i| local_idf[i]).sum::<f64>() / local_total;
        f[F::LocalIdfWindow] = m.window.iter().map(|&i| local_idf[i]).sum::<f64>() / local_total;
    }
    let max_cov = cands
        .iter()
        .map(|(f, _)| f[F::Coverage])
        .fold(0.0, f64::max);
    for (f, _) in cands.iter_mut() {
        f[F::IsBestCoverage] =
            f64::from(u8::from(max_cov > 0.0 && f[F::Coverage] >= max_cov - 1e-12));
        f[F::RelativeCoverage] = if max_cov > 0.0 {
            f[F::Coverage] / max_cov
        } else {
            0.0
        };
    }
}

/// Matched distinct terms over the smallest token window holding them all.
fn proximity(stems: &[String], q: &HashMap<&str, f64>) -> f64 {
    let positions: Vec<(usize, &str)> = stems
        .iter()
        .enumerate()
        .filter(|(_, s)| q.contains_key(s.as_str()))
        .map(|(i, s)| (i, s.as_str()))
        .collect();
    let distinct: HashSet<&str> = positions.iter().map(|p| p.1).collect();
    let k = distinct.len();
    if k <= 1 {
        return if k == 1 { 0.5 } else { 0.0 };
    }
    let mut best = usize::MAX;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut left = 0;
    for right in 0..positions.len() {
        *counts.entry(positions[right].1).or_default() += 1;
        while counts.len() == k {
            best = best.min(positions[right].0 - positions[left].0 + 1);
            let c = counts.get_mut(positions[left].1).expect("counted");
            *c -= 1;
            if *c == 0 {
                counts.remove(positions[left].1);
            }
            left += 1;
        }
    }
    k as f64 / best as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_positions_follow_the_declaration() {
        let names: HashSet<&str> = Feature::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), Feature::COUNT);
        for (i, f) in Feature::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }
}
