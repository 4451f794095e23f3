//! Answers: the sentences of the sources that answer a question, cut
//! exactly from the documents and cited. No text is composed.
//!
//! 1. The question is classified ([`question::classify`]) and its content
//!    words (stopwords dropped) are stemmed and weighted by IDF.
//! 2. Candidate passages come from BM25 over the stemmed field
//!    ([`retrieve`]), joined (vectors on) by the passages nearest the
//!    question in meaning.
//! 3. Every sentence of every candidate gets the [`Feature`]s of
//!    [`features`]; the fitted [`Model`], plus the weighted cosines of
//!    question and sentence and of question and passage ([`rank_score`]),
//!    ranks the sentences.
//! 4. Abstention: with vectors, the answerability model's probability for
//!    the top sentence must reach [`ANSWER_THRESHOLD`]; without (or for a
//!    question the model cannot read), the best answer must cover at least
//!    [`weights::MIN_COVERAGE`] of the question's IDF weight. Raw BM25
//!    scores are never compared across queries.

/// Declares a model's inputs once: an enum whose position is its
/// discriminant, with a report name and a doc per variant, `ALL`, `COUNT`
/// and `name()`, so a position, a name and a fitted weight can never drift
/// apart ([`Feature`], [`Evidence`]).
macro_rules! named_inputs {
    ($(#[$meta:meta])* $enum:ident; $($variant:ident => $name:literal: $doc:literal,)*) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) enum $enum { $(#[doc = $doc] $variant,)* }

        impl $enum {
            /// Every variant, in position order.
            pub(crate) const ALL: [$enum; [$($name),*].len()] = [$($enum::$variant,)*];
            /// Number of variants.
            pub(crate) const COUNT: usize = $enum::ALL.len();

            /// The name used in reports and fitted-weight listings.
            pub(crate) fn name(self) -> &'static str {
                match self { $($enum::$variant => $name,)* }
            }
        }
    };
}

mod answerability;
mod asks;
mod assemble;
mod evidence;
mod features;
mod judge;
mod question;
mod ranker;
mod spans;
mod types;
mod weights;

use std::collections::{HashMap, HashSet};

use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use crate::analysis::tokenize;
use crate::cancel::Cancel;
use crate::config::ReaderMode;
use crate::embed;
use crate::error::{Error, Result};
use crate::model::{Document, Passage};
use crate::search::{Filters, Hit};
use crate::snapshot::{Scored, Snapshot};
use crate::vectors::Vector;
pub(crate) use answerability::{fitted as answerability_weights, probability};
pub use asks::{Asks, QuestionKind};
pub(crate) use evidence::{evidence, Evidence, Top, Values};
use features::{
    coverage, relative_features, sentence_features, stems_of, PassageStats, QuestionStats,
};
pub(crate) use features::{Feature, Features};
pub(crate) use judge::{model_answerability, unmatched_share};
use question::QTerm;
use question::{classify, is_stopword, Question};
pub(crate) use ranker::{linear, Model, Residual, HIDDEN};
pub(crate) use types::Candidate;
pub use types::{Answer, AskStatus, HighlightKind, Related};
pub(crate) use weights::{
    ANSWER_THRESHOLD, MIN_COVERAGE, READER_RANK_WEIGHT, READER_RELATED_THRESHOLD, READER_THRESHOLD,
    RELATED_THRESHOLD,
};

/// Candidate passages scored per question.
pub(crate) const CANDIDATE_PASSAGES: usize = 15;
/// Passages nearest to the question in meaning added to BM25's (when
/// vectors are on); they rank after BM25's, with a BM25 score of 0.
const DENSE_PASSAGES: usize = 5;
/// Most answers returned.
pub const MAX_ANSWERS: usize = 10;
/// Answers ranked beyond the limit, so an original can move ahead of a
/// sentence quoting it.
const EXTRA_ANSWERS: usize = 5;
/// Nearest passages listed with every result.
const RELATED: usize = 3;

/// What a reader asks.
#[derive(Debug, Clone, Default)]
pub struct AskRequest {
    /// The question.
    pub question: String,
    /// Answers wanted (1..=10).
    pub limit: usize,
    /// Restrict to a document or kind.
    pub filters: Filters,
}

/// Candidates the reader reads (the ranker's best), or the answers asked
/// for when more. On the two validation articles, reading 8 instead of 4
/// gave the same figures end to end, and the top-1 rate was the same at
/// every depth from 3 to 8 (BENCHMARKS.md, *How deep the reader reads*);
/// each pair read costs a sizeable share of the ask latency budget.
const READ_CANDIDATES: usize = 4;

/// The ranker's score of a candidate's features: the lexical model, plus
/// the cosines weighted by `semantic` when there are any. The served path
/// and the benchmark's fitting both score through here.
pub(crate) fn rank_score(
    model: &Model,
    semantic: &[f64; 2],
    features: &Features,
    cosines: Option<[f64; 2]>,
) -> f64 {
    model.score(features)
        + cosines.map_or(0.0, |cs| {
            cs.iter().zip(semantic).map(|(a, b)| a * b).sum::<f64>()
        })
}

/// The fitted weights of the cosines in [`rank_score`].
pub(crate) fn semantic_weights() -> &'static [f64; 2] {
    &weights::SEMANTIC_WEIGHTS
}

/// The outcome of a question.
#[derive(Debug, Clone)]
pub struct AskResult<'a> {
    /// Whether the sources answer it.
    pub status: AskStatus,
    /// Answers, best first, whether or not the question counts as answered
    /// (callers show them only when `answered`).
    pub answers: Vec<Answer<'a>>,
    /// The nearest passages (when not answered: marked as not an answer):
    /// BM25's best for the question's words, then (vectors on) the nearest
    /// by meaning, which have a score of 0: never empty when vectors are on
    /// and the corpus has a passage.
    pub related: Vec<Related<'a>>,
    /// Key words of the question found nowhere in the corpus.
    pub unmatched_terms: Vec<String>,
    /// What the question asks for (its kind and focus).
    pub asks: Asks,
    /// When `no_answer`: why, in one plain sentence built from a template
    /// and the question's own words ([`asks::explain`]).
    pub explanation: Option<String>,
    /// The reader's score for its best candidate, when the reader ran (for
    /// the benchmark's choice of [`READER_THRESHOLD`]).
    pub(crate) reader_score: Option<f32>,
}

/// Analyzes a question against the index statistics.
pub(crate) fn analyze_question(snap: &Snapshot, text: &str) -> Result<Question> {
    let words: Vec<String> = tokenize(text).into_iter().map(|t| t.text).collect();
    if words.is_empty() {
        return Err(Error::InvalidQuery("the question has no words".into()));
    }
    let searcher = snap.searcher();
    let body = snap.fields().body;
    let n = searcher.num_docs() as f64;
    let mut seen = HashSet::new();
    let mut terms = Vec::new();
    let idf_of = |df: u64| (1.0 + (n - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
    let tokens = tokenize(text);
    // A hyphenated compound the corpus holds closed up (the index keeps
    // every hyphenated compound's closed form too) is one term, so
    // `home-grown` meets `homegrown` and is never a word found nowhere.
    let mut compounds = crate::analysis::compounds(text, &tokens)
        .into_iter()
        .peekable();
    let mut i = 0;
    while i < tokens.len() {
        if let Some(c) = compounds.next_if(|c| c.parts.start == i) {
            let stem = crate::analysis::stem(&c.joined);
            let df = searcher.doc_freq(&Term::from_field_text(body, &stem))?;
            if df > 0 {
                i = c.parts.end;
                if seen.insert(stem.clone()) {
                    terms.push(QTerm {
                        stem,
                        exact: c.joined,
                        raw: text[c.start..c.end].to_string(),
                        idf: idf_of(df),
                        doc_freq: df,
                    });
                }
                continue;
            }
        }
        let t = &tokens[i];
        i += 1;
        if is_stopword(&t.text) {
            continue;
        }
        let Some(stem) = crate::analysis::stemmed(&t.text)
            .into_iter()
            .next()
            .map(|s| s.text)
        else {
            continue;
        };
        if !seen.insert(stem.clone()) {
            continue;
        }
        let df = searcher.doc_freq(&Term::from_field_text(body, &stem))?;
        terms.push(QTerm {
            stem,
            exact: t.text.clone(),
            raw: text[t.start..t.end].to_string(),
            idf: idf_of(df),
            doc_freq: df,
        });
    }
    Ok(Question {
        qtype: classify(text),
        terms,
        words,
    })
}

/// Candidate passages: BM25 over the question's terms the corpus holds,
/// within the filters.
fn retrieve<'a>(snap: &'a Snapshot, q: &Question, filters: &Filters) -> Result<Vec<Scored<'a>>> {
    let fields = snap.fields();
    let subs: Vec<(Occur, Box<dyn Query>)> = q
        .terms
        .iter()
        .filter(|t| t.doc_freq > 0)
        .map(|t| {
            let tq: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(fields.body, &t.stem),
                IndexRecordOption::WithFreqs,
            ));
            (Occur::Should, tq)
        })
        .collect();
    if subs.is_empty() {
        return Ok(Vec::new());
    }
    let mut top: Vec<(Occur, Box<dyn Query>)> =
        vec![(Occur::Must, Box::new(BooleanQuery::new(subs)))];
    for (field, value) in [(fields.doc_id, &filters.doc), (fields.kind, &filters.kind)] {
        if let Some(v) = value {
            top.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(field, v),
                    IndexRecordOption::Basic,
                )),
            ));
        }
    }
    snap.retrieve(&BooleanQuery::new(top), CANDIDATE_PASSAGES)
}

/// Computes the features of every sentence of the candidate passages.
pub(crate) fn candidates<'a>(
    snap: &'a Snapshot,
    q: &Question,
    qv: Option<&Vector>,
    filters: &Filters,
) -> Result<(Vec<Candidate<'a>>, Vec<Scored<'a>>)> {
    let mut passages = retrieve(snap, q, filters)?;
    // Captions and fact lines are searchable, never answers.
    passages.retain(|p| p.passage.kind.answers());
    // The passages nearest in meaning join BM25's, so a question worded
    // unlike its answer ("automaker" for "car maker") still reaches it.
    if let Some(qv) = qv {
        let keep = |d: &Document| {
            filters.doc.as_deref().is_none_or(|id| d.meta.id == id)
                && filters.kind.as_deref().is_none_or(|k| d.meta.kind == k)
        };
        for s in snap.nearest(qv, DENSE_PASSAGES, keep) {
            if s.passage.kind.answers()
                && !passages
                    .iter()
                    .any(|p| std::ptr::eq(p.doc, s.doc) && p.passage.number == s.passage.number)
            {
                passages.push(Scored { score: 0.0, ..s });
            }
        }
    }
    let max_passage = passages.first().map_or(1.0, |p| p.score as f64).max(1e-9);
    let qs = QuestionStats::new(q);
    let mut title_cache: HashMap<&str, f64> = HashMap::new();
    let mut sentences = Vec::new();
    let mut scored = Vec::new();
    for (rank, s) in passages.iter().enumerate() {
        let title_coverage = *title_cache
            .entry(s.doc.meta.id.as_str())
            .or_insert_with(|| coverage(q, &stems_of(q, &s.doc.meta.title)));
        let ps = PassageStats::new(
            &qs,
            s.doc,
            &s.passage,
            rank,
            s.score as f64 / max_passage,
            title_coverage,
        );
        for si in 0..ps.sentences() {
            sentences.push((s.doc, s.passage.clone(), si));
            scored.push(sentence_features(&qs, &ps, s.doc, &s.passage, si));
        }
    }
    relative_features(q, &mut scored);
    let vectors = snap.vectors().zip(qv);
    let cosines = |doc: &Document, passage: &Passage, sentence: usize| {
        let (v, qv) = vectors?;
        let s = v.cosine(qv, doc.sentence_text(passage, sentence))?;
        let p = v.cosine(qv, doc.passage_text(passage))?;
        Some([f64::from(s), f64::from(p)])
    };
    let out = sentences
        .into_iter()
        .zip(scored)
        .map(|((doc, passage, sentence), (features, _))| Candidate {
            cosines: cosines(doc, &passage, sentence),
            doc,
            passage,
            sentence,
            features,
        })
        .collect();
    Ok((out, passages))
}

/// The ranker's view of a question: its analysis and its candidate
/// sentences, best first.
pub(crate) struct Ranked<'a> {
    /// The analysed question.
    pub(crate) q: Question,
    /// Candidate sentences with their ranker scores ([`rank_score`]), best first.
    pub(crate) cands: Vec<(f64, Candidate<'a>)>,
    /// The candidate passages, BM25's first (the `related` list).
    pub(crate) passages: Vec<Scored<'a>>,
}

/// Analyses a question and ranks the sentences of its candidate passages.
pub(crate) fn rank<'a>(
    snap: &'a Snapshot,
    question: &str,
    filters: &Filters,
) -> Result<Ranked<'a>> {
    let q = analyze_question(snap, question)?;
    let qv = snap.embed_query(question)?;
    let (cands, passages) = candidates(snap, &q, qv.as_ref(), filters)?;
    let model = Model::fitted();
    let semantic = semantic_weights();
    let mut cands: Vec<(f64, Candidate<'a>)> = cands
        .into_iter()
        .map(|c| (rank_score(model, semantic, &c.features, c.cosines), c))
        .collect();
    cands.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(Ranked { q, cands, passages })
}

/// The reader phase: the reader reads the ranker's best `n` candidates
/// with the question; they are reordered by the reader's score (its logit
/// plus [`READER_RANK_WEIGHT`] times the ranker's score, so the ranker's
/// evidence still counts), and those scores are returned in the new order.
fn read_candidates(
    reader: &embed::reader::Reader,
    question: &str,
    cands: &mut [(f64, Candidate<'_>)],
    n: usize,
) -> Result<Vec<f32>> {
    let n = cands.len().min(n);
    let pairs: Vec<embed::reader::Pair<'_>> = cands[..n]
        .iter()
        .map(|(_, c)| embed::reader::Pair {
            sentence: c.doc.sentence_text(&c.passage, c.sentence),
            before: c.doc.sentence_before(&c.passage, c.sentence),
        })
        .collect();
    let scores: Vec<f32> = reader
        .logits(question, &pairs)?
        .into_iter()
        .zip(&cands[..n])
        .map(|(z, (score, _))| z + READER_RANK_WEIGHT * *score as f32)
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let head: Vec<(f64, Candidate<'_>)> = order.iter().map(|&i| cands[i].clone()).collect();
    cands[..n].clone_from_slice(&head);
    Ok(order.iter().map(|&i| scores[i]).collect())
}

/// Answers a question: ranks ([`rank`]), reads (the reader, when on:
/// [`read_candidates`]), assembles and judges the answers
/// ([`assemble::answers`]), and sets the status.
pub(crate) fn ask<'a>(
    snap: &'a Snapshot,
    req: &AskRequest,
    reader: ReaderMode,
    cancel: &Cancel,
) -> Result<AskResult<'a>> {
    if req.limit == 0 || req.limit > MAX_ANSWERS {
        return Err(Error::InvalidParameter(format!(
            "limit must be between 1 and {MAX_ANSWERS}"
        )));
    }
    let Ranked {
        q,
        mut cands,
        passages,
    } = rank(snap, &req.question, &req.filters)?;
    // The question's phases (ranking, the reader, assembling) each cost
    // tens of milliseconds: one that timed out stops between them.
    cancel.check()?;
    let unmatched_terms: Vec<String> = q
        .terms
        .iter()
        .filter(|t| t.doc_freq == 0)
        .map(|t| t.raw.clone())
        .collect();
    // A few extra answers so an original can be moved ahead of a sentence quoting it.
    let pool = req.limit + EXTRA_ANSWERS;
    // The reader (vectors on) reads the ranker's best candidates with the
    // question, reorders them by its score and decides answerability: a
    // candidate it did not read is never strong.
    let reader = match (reader, snap.vectors()) {
        (ReaderMode::On, Some(v)) if embed::reads(&req.question) => Some(v.reader()?),
        _ => None,
    };
    let read: Option<Vec<f32>> = match reader {
        Some(r) => Some(read_candidates(
            r,
            &req.question,
            &mut cands,
            READ_CANDIDATES.max(req.limit),
        )?),
        None => None,
    };
    cancel.check()?;
    let judge = judge::Judge {
        q: &q,
        cands: &cands,
        read: read.as_deref(),
    };
    // Answerable? With the reader, its score for the best candidate
    // against its operating point; with vectors but no reader, the
    // answerability model; without vectors, the coverage rule (below).
    let answerable = judge.answerable();
    let topic = topic_test(snap);
    // Near-identical answers fold into one, so twice the pool is assembled
    // to still fill the limit (beyond what the reader read, never strong).
    let mut assembled = assemble::answers(&judge, &topic, 2 * pool);
    assemble::originals_first(&mut assembled);
    let mut answers = assemble::fold_similar(assembled);
    answers.truncate(req.limit);
    let answered =
        answerable.unwrap_or_else(|| answers.first().is_some_and(|a| a.coverage >= MIN_COVERAGE));
    let status = if answered && !answers.is_empty() {
        AskStatus::Answered
    } else {
        AskStatus::NoAnswer
    };
    let asks = asks::analyse(&req.question);
    let explanation = (status == AskStatus::NoAnswer).then(|| {
        asks::explain(&req.question, &asks, &q.terms, &mut |words| {
            mentions(snap, words)
        })
    });
    // Never a dead end: with vectors on, the candidates always include the
    // passages nearest in meaning, even when no passage shares a word.
    let related = related(passages, &judge);
    Ok(AskResult {
        status,
        answers,
        related,
        unmatched_terms,
        asks,
        explanation,
        reader_score: read.as_ref().and_then(|scores| scores.first().copied()),
    })
}

/// Whether some passage holds `words` (folded) as an exact phrase.
fn mentions(snap: &Snapshot, words: &[&str]) -> bool {
    let exact = snap.fields().exact;
    let terms: Vec<Term> = words
        .iter()
        .map(|w| Term::from_field_text(exact, w))
        .collect();
    let query: Box<dyn Query> = match terms.len() {
        0 => return false,
        1 => Box::new(TermQuery::new(terms[0].clone(), IndexRecordOption::Basic)),
        _ => Box::new(PhraseQuery::new(terms)),
    };
    snap.retrieve(query.as_ref(), 1)
        .is_ok_and(|found| !found.is_empty())
}

/// The first [`RELATED`] groups of near-identical candidate passages, each
/// under its best-ranked passage (three copies of one line are one entry),
/// with how likely the best of them holds an answer ([`judge::Judge::relevance`]).
fn related<'a>(passages: Vec<Scored<'a>>, judge: &judge::Judge<'_, 'a>) -> Vec<Related<'a>> {
    let tokens: Vec<Vec<crate::analysis::Token>> = passages
        .iter()
        .map(|s| tokenize(s.doc.passage_text(&s.passage)))
        .collect();
    let words: Vec<Vec<&str>> = tokens
        .iter()
        .map(|t| t.iter().map(|t| t.text.as_str()).collect())
        .collect();
    let hits: Vec<Hit<'_>> = passages.into_iter().map(Hit::plain).collect();
    crate::search::fold_similar(hits, &words)
        .into_iter()
        .take(RELATED)
        .map(|(hit, similar)| {
            let (answerability, possibly_relevant) = judge.relevance(hit.doc, &hit.passage);
            Related {
                hit,
                similar,
                answerability,
                possibly_relevant,
            }
        })
        .collect()
}

/// Whether a folded word is the corpus's topic: in more than
/// [`TOPIC_SHARE`] of the passages.
fn topic_test(snap: &Snapshot) -> impl Fn(&str) -> bool + '_ {
    let passages_total = snap.searcher().num_docs().max(1) as f64;
    let exact = snap.fields().exact;
    move |word: &str| {
        let df = snap
            .searcher()
            .doc_freq(&Term::from_field_text(exact, word))
            .unwrap_or(0);
        df as f64 / passages_total > TOPIC_SHARE
    }
}

/// Share of passages a word may occur in and still be marked, alone, as
/// the name a "who" or "where" question asks for: a word in more is the
/// corpus's topic ("AI" in an article on AI), not an answer.
const TOPIC_SHARE: f64 = 0.2;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A question whose request stopped waiting stops at its next phase
    /// with `Cancelled` (a 408 that frees its permit); one nobody cancels
    /// is answered as before.
    #[test]
    fn a_cancelled_question_stops_between_its_phases() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let docs = crate::ingest::load_corpus(&corpus).unwrap().documents;
        let dir = tempfile::tempdir().unwrap();
        let engine = crate::Engine::build(docs, dir.path(), crate::VectorMode::Off).unwrap();
        let req = AskRequest {
            question: "Which companies are building the 1-trillion-parameter model?".into(),
            limit: 3,
            ..Default::default()
        };
        let raised = Cancel::never();
        raised.cancel();
        let stopped = ask(engine.snapshot(), &req, ReaderMode::Off, &raised);
        assert!(matches!(stopped, Err(Error::Cancelled)));
        let answered = ask(engine.snapshot(), &req, ReaderMode::Off, &Cancel::never()).unwrap();
        assert!(!answered.answers.is_empty());
    }
}
