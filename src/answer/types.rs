//! The answer phase's domain types: what a candidate sentence, an answer
//! and its highlights are. No logic.

use serde::Serialize;

use crate::model::{Document, Passage, Span};
use crate::search::Hit;

use super::features::Features;

/// What a highlighted range of an answer marks. Highlights that start at
/// the same char are listed `answer` first: the variant order is that order.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum HighlightKind {
    /// The date, amount or names the question asks for.
    Answer,
    /// A word of the question.
    Term,
}

/// Whether the sources answer a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AskStatus {
    /// The answers answer it.
    Answered,
    /// The sources do not answer it; nearest passages are not answers.
    NoAnswer,
}

/// A scored candidate sentence.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'a> {
    /// Its document.
    pub(crate) doc: &'a Document,
    /// Its passage.
    pub(crate) passage: Passage,
    /// Index of the sentence in the passage.
    pub(crate) sentence: usize,
    /// Its features.
    pub(crate) features: Features,
    /// Cosine of question and sentence, and of question and passage, when
    /// vectors are on and both texts have one.
    pub(crate) cosines: Option<[f64; 2]>,
}

/// One answer: one sentence, or adjacent sentences of one passage.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    /// Its document.
    pub doc: &'a Document,
    /// Its passage.
    pub passage: Passage,
    /// Sentence indices covered (adjacent).
    pub sentences: std::ops::Range<usize>,
    /// The sentence the ranker chose (the others give it context).
    pub primary: usize,
    /// Byte range in the document.
    pub bytes: std::ops::Range<usize>,
    /// Char range in the document.
    pub span: Span,
    /// Ranking score (comparable within one question only): the reader's
    /// score when the reader ran, else the ranker's.
    pub score: f64,
    /// Share of the question's IDF weight the answer covers.
    pub coverage: f64,
    /// Question terms and the answering span.
    pub highlights: Vec<(Span, HighlightKind)>,
    /// The answerability model's probability that this sentence answers
    /// the question (vectors on; `None` without them).
    pub answerability: Option<f64>,
    /// Whether it holds up as an answer on its own: the answerability model
    /// reaches [`ANSWER_THRESHOLD`] (without vectors: it covers
    /// [`MIN_COVERAGE`] of the question). A weak answer is shown as a
    /// passage, labelled, never dressed as an answer.
    pub strong: bool,
    /// Answers of this question with near-identical words (a templated
    /// line, a note restating the source), ranked below this one and folded
    /// under it. Empty for most answers.
    pub similar: Vec<Answer<'a>>,
}

/// A passage near the question, offered when there is no answer (never as
/// one), with the passages of near-identical text folded under it.
#[derive(Debug, Clone)]
pub struct Related<'a> {
    /// The best-ranked passage of its group.
    pub hit: Hit<'a>,
    /// The others with near-identical text, ranked below it.
    pub similar: Vec<Hit<'a>>,
    /// The best probability, over the passage's sentences, that one answers
    /// the question (the reader's when it ran, else the answerability
    /// model's); `None` when no probability applies (vectors off).
    pub answerability: Option<f64>,
    /// Whether that probability reaches the "possibly relevant" operating
    /// point ([`super::weights::RELATED_THRESHOLD`] or
    /// [`super::weights::READER_RELATED_THRESHOLD`]): a passage worth
    /// reading, still never an answer.
    pub possibly_relevant: bool,
}
