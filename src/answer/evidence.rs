//! The inputs of the answerability model ([`super::answerability`]): what
//! the top candidate offers as evidence that it answers. Pure.

use super::features::{Feature, Features};

named_inputs! {
    /// One input of the answerability model.
    Evidence;
    Bias => "bias": "Always 1.",
    Coverage => "coverage": "IDF share of the question's terms in the sentence.",
    WindowCoverage => "window_coverage": "The same with the neighbouring sentences.",
    PassageCoverage => "passage_coverage": "The same over the whole passage.",
    LocalIdfCoverage => "local_idf_coverage": "Coverage under IDF over the candidates (the topic's words count little).",
    Unmatched => "unmatched": "IDF share of the question's terms that no passage holds.",
    AnswerType => "answer_type": "1 when the sentence holds the kind of span asked for.",
    RarestTerm => "rarest_term": "1 when the sentence holds the question's rarest term.",
    SentenceCosine => "sentence_cosine": "Cosine of question and sentence.",
    PassageCosine => "passage_cosine": "Cosine of question and passage.",
    Score => "score": "The ranker's score of the sentence.",
    Margin => "margin": "Its lead over the runner-up (0 when alone), capped at 5.",
    PassageMissingRare => "passage_missing_rare": "IDF of the rarest question term the passage lacks, over the rarest term's.",
    WindowMissingRare => "window_missing_rare": "The same for the sentence and its neighbours.",
    Terms => "terms": "Number of question terms, capped at 10, over 10.",
    CoverageXCosine => "coverage_x_cosine": "window_coverage × sentence_cosine.",
}

/// The evidence values of a top candidate.
pub(crate) type Values = [f64; Evidence::COUNT];

/// What the evidence is computed from.
pub(crate) struct Top<'a> {
    /// The top candidate's ranking features.
    pub(crate) features: &'a Features,
    /// Cosine of question and sentence, and of question and passage.
    pub(crate) cosines: [f64; 2],
    /// Its ranker score.
    pub(crate) score: f64,
    /// The runner-up's score, if any.
    pub(crate) second: Option<f64>,
    /// IDF share of the question's terms no passage holds.
    pub(crate) unmatched: f64,
    /// Number of question terms.
    pub(crate) terms: usize,
}

/// The evidence of a top candidate.
pub(crate) fn evidence(top: &Top<'_>) -> Values {
    use Evidence as E;
    let f = top.features;
    let mut v = [0.0; Evidence::COUNT];
    v[E::Bias as usize] = 1.0;
    v[E::Coverage as usize] = f[Feature::Coverage];
    v[E::WindowCoverage as usize] = f[Feature::WindowCoverage];
    v[E::PassageCoverage as usize] = f[Feature::PassageCoverage];
    v[E::LocalIdfCoverage as usize] = f[Feature::LocalIdfCoverage];
    v[E::Unmatched as usize] = top.unmatched;
    v[E::AnswerType as usize] = f[Feature::AnswerType];
    v[E::RarestTerm as usize] = f[Feature::RarestTerm];
    v[E::SentenceCosine as usize] = top.cosines[0];
    v[E::PassageCosine as usize] = top.cosines[1];
    v[E::Score as usize] = top.score;
    v[E::Margin as usize] = top.second.map_or(5.0, |s| (top.score - s).min(5.0));
    v[E::PassageMissingRare as usize] = f[Feature::PassageMissingRare];
    v[E::WindowMissingRare as usize] = f[Feature::WindowMissingRare];
    v[E::Terms as usize] = top.terms.min(10) as f64 / 10.0;
    v[E::CoverageXCosine as usize] = f[Feature::WindowCoverage] * top.cosines[0];
    v
}
