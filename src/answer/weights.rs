//! The ranking weights and the abstention threshold, in one place.
//!
//! Fitted with `verbatim bench squad --data ../shared/bench/squad/dev-v1.1.json --fit`
//! on the tuning split only (questions of SQuAD articles 0-23).

/// Number of sentence features (see [`super::features`]).
pub const FEATURES: usize = 31;

/// Feature names, in order, for reports.
pub const NAMES: [&str; FEATURES] = [
    "coverage",
    "exact_coverage",
    "sentence_bm25",
    "passage_bm25",
    "proximity",
    "answer_type",
    "bigrams",
    "neighbours",
    "rarest_term",
    "passage_coverage",
    "length",
    "position",
    "novelty",
    "passage_rank",
    "type_x_coverage",
    "coverage_x_passage",
    "coverage_squared",
    "is_best_coverage",
    "relative_coverage",
    "top_passage",
    "window_coverage",
    "missing_in_sentence",
    "idf_bigrams",
    "title_coverage",
    "passage_proximity",
    "passage_bm25_low_b",
    "passage_exact_coverage",
    "tfidf_cosine",
    "local_idf_coverage",
    "matched_ratio",
    "local_idf_window",
];

/// Linear weights of the features.
pub const WEIGHTS: [f64; FEATURES] = [
    4.717, 3.417, 0.7467, 3.328, -0.1407, 2.437, 1.096, -0.8696, -0.26, 0.2585, -0.5041, -0.1003,
    -0.8421, 0.4841, 0.04866, -0.6664, -0.2484, -0.04251, 0.3852, -0.09468, 6.256, 1.284, 0.2474,
    0.9314, 0.6828, -0.298, 0.805, -0.3751, 1.241, -0.3119, 0.3999,
];

/// The answer is given only when its sentences cover at least this share of
/// the question's IDF weight (rare words count most). Chosen by
/// `verbatim bench squad` as the lowest threshold at which at most 1% of
/// the tuning questions asked against the seed corpus (which cannot answer
/// them) would be answered.
pub const MIN_COVERAGE: f64 = 0.4;
