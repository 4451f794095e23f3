//! Answers: the sentences of the sources that answer a question, cut
//! exactly from the documents and cited. No text is composed.
//!
//! 1. The question is classified ([`question::classify`]) and its content
//!    words (stopwords dropped) are stemmed and weighted by IDF.
//! 2. Candidate passages come from BM25 over the stemmed field.
//! 3. Every sentence of every candidate gets [`weights::FEATURES`] features
//!    ([`features`]); their weighted sum ranks the sentences.
//! 4. Abstention: the status is `answered` only when the best answer covers
//!    at least [`weights::MIN_COVERAGE`] of the question's IDF weight.
//!    Raw BM25 scores are never compared across queries.

pub mod question;
pub mod ranker;
pub mod spans;
pub mod weights;

use std::collections::{HashMap, HashSet};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use crate::analysis::{analyze, exact_analyzer, stemmed_analyzer, tokenize};
use crate::engine::{Engine, Hit};
use crate::error::{Error, Result};
use crate::model::{Document, Passage, Span};
use crate::search::Filters;
use question::{classify, is_stopword, QType};
use weights::{FEATURES, MIN_COVERAGE};

/// Candidate passages scored per question.
pub const CANDIDATE_PASSAGES: usize = 15;
/// Most answers returned.
pub const MAX_ANSWERS: usize = 10;
/// BM25 parameters for sentence-level scoring.
const K1: f64 = 1.2;
const B: f64 = 0.75;
const AVG_SENTENCE_TOKENS: f64 = 25.0;

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

/// A question term with its weight.
#[derive(Debug, Clone)]
pub struct QTerm {
    /// Stemmed form.
    pub stem: String,
    /// Folded, unstemmed form.
    pub exact: String,
    /// The word as the reader typed it.
    pub raw: String,
    /// BM25 IDF over passages (highest when the corpus lacks the word).
    pub idf: f64,
    /// Passages holding it.
    pub doc_freq: u64,
}

/// The analyzed question.
#[derive(Debug, Clone)]
pub struct Question {
    /// What kind of answer it wants.
    pub qtype: QType,
    /// Distinct content terms.
    pub terms: Vec<QTerm>,
    /// Every folded word of the question (for answer spans).
    pub words: Vec<String>,
}

impl Question {
    fn total_idf(&self) -> f64 {
        self.terms.iter().map(|t| t.idf).sum()
    }
}

/// A scored candidate sentence.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Its document.
    pub doc: &'a Document,
    /// Its passage.
    pub passage: &'a Passage,
    /// Index of the sentence in the passage.
    pub sentence: usize,
    /// Its features.
    pub features: [f64; FEATURES],
}

/// One answer: one sentence, or adjacent sentences of one passage.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    /// Its document.
    pub doc: &'a Document,
    /// Its passage.
    pub passage: &'a Passage,
    /// Sentence indices covered (adjacent).
    pub sentences: std::ops::Range<usize>,
    /// The sentence the ranker chose (the others give it context).
    pub primary: usize,
    /// Byte range in the document.
    pub bytes: std::ops::Range<usize>,
    /// Char range in the document.
    pub span: Span,
    /// Ranking score (comparable within one question only).
    pub score: f64,
    /// Share of the question's IDF weight the answer covers.
    pub coverage: f64,
    /// Question terms (`term`) and the answering span (`answer`).
    pub highlights: Vec<(Span, &'static str)>,
}

/// The outcome of a question.
#[derive(Debug, Clone)]
pub struct AskResult<'a> {
    /// Whether the sources answer it.
    pub answered: bool,
    /// Answers, best first, whether or not the question counts as answered
    /// (callers show them only when `answered`).
    pub answers: Vec<Answer<'a>>,
    /// The nearest passages (when not answered: marked as not an answer).
    pub related: Vec<Hit<'a>>,
    /// Key words of the question found nowhere in the corpus.
    pub unmatched_terms: Vec<String>,
}

/// Analyzes a question against the index statistics.
pub fn analyze_question(engine: &Engine, text: &str) -> Result<Question> {
    let words: Vec<String> = tokenize(text).into_iter().map(|t| t.text).collect();
    if words.is_empty() {
        return Err(Error::InvalidQuery("the question has no words".into()));
    }
    let idx = engine.open_index();
    let searcher = engine.searcher();
    let n = searcher.num_docs() as f64;
    let mut stemmer = stemmed_analyzer();
    let mut seen = HashSet::new();
    let mut terms = Vec::new();
    for t in tokenize(text) {
        if is_stopword(&t.text) {
            continue;
        }
        let Some(stem) = analyze(&mut stemmer, &t.text)
            .into_iter()
            .next()
            .map(|s| s.text)
        else {
            continue;
        };
        if !seen.insert(stem.clone()) {
            continue;
        }
        let df = searcher.doc_freq(&Term::from_field_text(idx.fields.body, &stem))?;
        let idf = (1.0 + (n - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
        terms.push(QTerm {
            stem,
            exact: t.text.clone(),
            raw: text[t.start..t.end].to_string(),
            idf,
            doc_freq: df,
        });
    }
    Ok(Question {
        qtype: classify(text),
        terms,
        words,
    })
}

/// Tokens of a passage: (stem, exact, byte range relative to the passage).
struct PassageTokens {
    stems: Vec<String>,
    exact: Vec<String>,
    starts: Vec<usize>,
}

fn passage_tokens(text: &str) -> PassageTokens {
    let stems = analyze(&mut stemmed_analyzer(), text);
    let exact = analyze(&mut exact_analyzer(), text);
    PassageTokens {
        starts: stems.iter().map(|t| t.start).collect(),
        stems: stems.into_iter().map(|t| t.text).collect(),
        exact: exact.into_iter().map(|t| t.text).collect(),
    }
}

/// Token index range of each sentence of a passage.
fn sentence_token_ranges(p: &Passage, toks: &PassageTokens) -> Vec<std::ops::Range<usize>> {
    p.sentences
        .iter()
        .map(|s| {
            let (a, b) = (s.bytes.start - p.bytes.start, s.bytes.end - p.bytes.start);
            let lo = toks.starts.partition_point(|&x| x < a);
            let hi = toks.starts.partition_point(|&x| x < b);
            lo..hi
        })
        .collect()
}

/// IDF-weighted share of the question's terms present in `stems`.
fn coverage(q: &Question, stems: &[String]) -> f64 {
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

/// A retrieved passage with its BM25 score.
pub type ScoredPassage<'a> = (f32, &'a Document, &'a Passage);

/// Computes the features of every sentence of the candidate passages.
pub fn candidates<'a>(
    engine: &'a Engine,
    q: &Question,
    filters: &Filters,
) -> Result<(Vec<Candidate<'a>>, Vec<ScoredPassage<'a>>)> {
    let idx = engine.open_index();
    let searcher = engine.searcher();
    let mut subs: Vec<(Occur, Box<dyn Query>)> = q
        .terms
        .iter()
        .filter(|t| t.doc_freq > 0)
        .map(|t| {
            let tq: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(idx.fields.body, &t.stem),
                IndexRecordOption::WithFreqs,
            ));
            (Occur::Should, tq)
        })
        .collect();
    if subs.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut top: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::Must,
        Box::new(BooleanQuery::new(std::mem::take(&mut subs))),
    )];
    for (field, value) in [
        (idx.fields.doc_id, &filters.doc),
        (idx.fields.kind, &filters.kind),
    ] {
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
    let query = BooleanQuery::new(top);
    let hits = searcher.search(
        &query,
        &TopDocs::with_limit(CANDIDATE_PASSAGES).order_by_score(),
    )?;
    let mut passages = Vec::new();
    for (score, addr) in hits {
        let d: tantivy::TantivyDocument = searcher.doc(addr)?;
        let id = d
            .get_first(idx.fields.passage_id)
            .and_then(|v| tantivy::schema::Value::as_str(&v))
            .unwrap_or_default()
            .to_string();
        if let Some((doc, p)) = engine.passage(&id) {
            passages.push((score, doc, p));
        }
    }
    let max_passage = passages.first().map_or(1.0, |p| p.0 as f64).max(1e-9);
    let qstems: HashMap<&str, f64> = q.terms.iter().map(|t| (t.stem.as_str(), t.idf)).collect();
    let qexact: HashMap<&str, f64> = q.terms.iter().map(|t| (t.exact.as_str(), t.idf)).collect();
    let total = q.total_idf().max(1e-9);
    let rarest = q
        .terms
        .iter()
        .filter(|t| t.doc_freq > 0)
        .max_by(|a, b| a.idf.total_cmp(&b.idf))
        .map(|t| t.stem.clone());
    let q_content: Vec<&str> = q.terms.iter().map(|t| t.stem.as_str()).collect();
    let q_bigrams: HashSet<(&str, &str)> = q_content.windows(2).map(|w| (w[0], w[1])).collect();
    let mut out = Vec::new();
    let mut title_cache: HashMap<&str, f64> = HashMap::new();
    let mut local: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    let q_norm: f64 = q
        .terms
        .iter()
        .map(|t| t.idf * t.idf)
        .sum::<f64>()
        .sqrt()
        .max(1e-9);
    for (rank, &(pscore, doc, p)) in passages.iter().enumerate() {
        let toks = passage_tokens(doc.passage_text(p));
        let ranges = sentence_token_ranges(p, &toks);
        let pcov = coverage(q, &toks.stems);
        let title_cov = *title_cache.entry(doc.meta.id.as_str()).or_insert_with(|| {
            let stems: Vec<String> = analyze(&mut stemmed_analyzer(), &doc.meta.title)
                .into_iter()
                .map(|t| t.text)
                .collect();
            coverage(q, &stems)
        });
        let p_prox = proximity(&toks.stems, &qstems);
        let p_len = toks.stems.len() as f64;
        let mut p_tf: HashMap<&str, f64> = HashMap::new();
        for st in &toks.stems {
            if qstems.contains_key(st.as_str()) {
                *p_tf.entry(st.as_str()).or_default() += 1.0;
            }
        }
        let p_bm25_low_b = p_tf
            .iter()
            .map(|(st, &c)| {
                qstems[st] * c * (K1 + 1.0) / (c + K1 * (1.0 - 0.3 + 0.3 * p_len / 120.0))
            })
            .sum::<f64>()
            / (total * (K1 + 1.0));
        let p_exact: HashSet<&str> = toks.exact.iter().map(String::as_str).collect();
        let p_exact_cov = qexact
            .iter()
            .filter(|(w, _)| p_exact.contains(*w))
            .map(|(_, i)| i)
            .sum::<f64>()
            / total;
        let covs: Vec<f64> = ranges
            .iter()
            .map(|r| coverage(q, &toks.stems[r.clone()]))
            .collect();
        for (si, r) in ranges.iter().enumerate() {
            let stems = &toks.stems[r.clone()];
            let exact = &toks.exact[r.clone()];
            let s_text = &doc.text[p.sentences[si].bytes.clone()];
            let mut f = [0.0; FEATURES];
            f[0] = covs[si];
            let exact_set: HashSet<&str> = exact.iter().map(String::as_str).collect();
            f[1] = qexact
                .iter()
                .filter(|(w, _)| exact_set.contains(*w))
                .map(|(_, i)| i)
                .sum::<f64>()
                / total;
            let len = stems.len() as f64;
            let mut tf: HashMap<&str, f64> = HashMap::new();
            for s in stems {
                if qstems.contains_key(s.as_str()) {
                    *tf.entry(s.as_str()).or_default() += 1.0;
                }
            }
            f[2] = tf
                .iter()
                .map(|(s, &c)| {
                    qstems[s] * c * (K1 + 1.0)
                        / (c + K1 * (1.0 - B + B * len / AVG_SENTENCE_TOKENS))
                })
                .sum::<f64>()
                / (total * (K1 + 1.0));
            f[3] = pscore as f64 / max_passage;
            f[4] = proximity(stems, &qstems);
            f[5] = f64::from(u8::from(
                !spans::answer_spans(s_text, q.qtype, &q.words).is_empty(),
            ));
            let content: Vec<&str> = stems
                .iter()
                .map(String::as_str)
                .filter(|s| !is_stopword(s))
                .collect();
            if !q_bigrams.is_empty() {
                let sb: HashSet<(&str, &str)> = content.windows(2).map(|w| (w[0], w[1])).collect();
                f[6] = q_bigrams.iter().filter(|b| sb.contains(b)).count() as f64
                    / q_bigrams.len() as f64;
            }
            let prev = if si > 0 { covs[si - 1] } else { 0.0 };
            let next = covs.get(si + 1).copied().unwrap_or(0.0);
            f[7] = prev.max(next);
            f[8] = f64::from(u8::from(
                rarest
                    .as_ref()
                    .is_some_and(|r| stems.iter().any(|s| s == r)),
            ));
            f[9] = pcov;
            f[10] = len.min(60.0) / 60.0;
            f[11] = 1.0 / (1.0 + si as f64);
            if !content.is_empty() {
                f[12] = content.iter().filter(|s| !qstems.contains_key(*s)).count() as f64
                    / content.len() as f64;
            }
            f[13] = 1.0 / (1.0 + rank as f64);
            f[14] = f[5] * f[0];
            f[15] = f[0] * f[3];
            f[16] = f[0] * f[0];
            f[19] = f64::from(u8::from(rank == 0));
            let lo = r
                .start
                .saturating_sub(if si > 0 { ranges[si - 1].len() } else { 0 });
            let hi = ranges.get(si + 1).map_or(r.end, |n| n.end);
            f[20] = coverage(q, &toks.stems[lo..hi]);
            f[21] = pcov - f[0];
            if !q_bigrams.is_empty() {
                let sb: HashSet<(&str, &str)> = content.windows(2).map(|w| (w[0], w[1])).collect();
                let w: f64 = q_bigrams
                    .iter()
                    .filter(|b| sb.contains(b))
                    .map(|b| qstems[b.0] + qstems[b.1])
                    .sum();
                f[22] = w / (2.0 * total);
            }
            f[23] = title_cov;
            f[24] = p_prox;
            f[25] = p_bm25_low_b;
            f[26] = p_exact_cov;
            let s_norm: f64 = tf
                .iter()
                .map(|(st, c)| (c * qstems[st]).powi(2))
                .sum::<f64>()
                .sqrt();
            let dot: f64 = tf.iter().map(|(st, c)| c * qstems[st] * qstems[st]).sum();
            f[27] = if s_norm > 0.0 {
                dot / (q_norm * s_norm * (1.0 + len.ln().max(0.0) * 0.1))
            } else {
                0.0
            };
            let matched: Vec<usize> = q
                .terms
                .iter()
                .enumerate()
                .filter(|(_, t)| tf.contains_key(t.stem.as_str()))
                .map(|(i, _)| i)
                .collect();
            let window: HashSet<&str> = toks.stems[lo..hi].iter().map(String::as_str).collect();
            let in_window: Vec<usize> = q
                .terms
                .iter()
                .enumerate()
                .filter(|(_, t)| window.contains(t.stem.as_str()))
                .map(|(i, _)| i)
                .collect();
            f[29] = matched.len() as f64 / q.terms.len().max(1) as f64;
            local.push((matched, in_window));
            out.push(Candidate {
                doc,
                passage: p,
                sentence: si,
                features: f,
            });
        }
    }
    // Coverage under IDF computed over the candidate sentences themselves:
    // words every candidate shares (the topic) cannot tell them apart.
    let n_cands = local.len() as f64;
    let mut sent_df = vec![0usize; q.terms.len()];
    for (m, _) in &local {
        for &i in m {
            sent_df[i] += 1;
        }
    }
    let local_idf: Vec<f64> = sent_df
        .iter()
        .map(|&d| (1.0 + n_cands / (d as f64 + 0.5)).ln())
        .collect();
    let local_total: f64 = local_idf.iter().sum::<f64>().max(1e-9);
    for (c, (m, w)) in out.iter_mut().zip(&local) {
        c.features[28] = m.iter().map(|&i| local_idf[i]).sum::<f64>() / local_total;
        c.features[30] = w.iter().map(|&i| local_idf[i]).sum::<f64>() / local_total;
    }
    // Features relative to the question's other candidates.
    let max_cov = out.iter().map(|c| c.features[0]).fold(0.0, f64::max);
    for c in &mut out {
        c.features[17] = f64::from(u8::from(max_cov > 0.0 && c.features[0] >= max_cov - 1e-12));
        c.features[18] = if max_cov > 0.0 {
            c.features[0] / max_cov
        } else {
            0.0
        };
    }
    Ok((out, passages))
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

/// Pronouns that make a sentence lean on the one before it.
const ANAPHORA: &[&str] = &[
    "it", "its", "this", "these", "they", "their", "he", "she", "his", "her", "that", "those",
];

/// Answers a question.
pub fn ask<'a>(engine: &'a Engine, req: &AskRequest) -> Result<AskResult<'a>> {
    if req.limit == 0 || req.limit > MAX_ANSWERS {
        return Err(Error::InvalidParameter(format!(
            "limit must be between 1 and {MAX_ANSWERS}"
        )));
    }
    let q = analyze_question(engine, &req.question)?;
    let unmatched_terms: Vec<String> = q
        .terms
        .iter()
        .filter(|t| t.doc_freq == 0)
        .map(|t| t.raw.clone())
        .collect();
    let (mut cands, passages) = candidates(engine, &q, &req.filters)?;
    cands.sort_by(|a, b| ranker::score(&b.features).total_cmp(&ranker::score(&a.features)));
    let mut answers: Vec<Answer<'a>> = Vec::new();
    let mut seen_text = HashSet::new();
    // A few extra answers so an original can be moved ahead of a sentence quoting it.
    let pool = req.limit + 5;
    for c in &cands {
        if answers.len() >= pool {
            break;
        }
        let mut range = c.sentence..c.sentence + 1;
        // A sentence opening with a pronoun leans on the one before: include it
        // when that one holds question words this one lacks.
        let first_word = tokenize(&c.doc.text[c.passage.sentences[c.sentence].bytes.clone()])
            .first()
            .map(|t| t.text.clone());
        if c.sentence > 0 && first_word.is_some_and(|w| ANAPHORA.contains(&w.as_str())) {
            let both = c.passage.sentences[c.sentence - 1].bytes.start
                ..c.passage.sentences[c.sentence].bytes.end;
            let stems: Vec<String> = analyze(&mut stemmed_analyzer(), &c.doc.text[both])
                .into_iter()
                .map(|t| t.text)
                .collect();
            if coverage(&q, &stems) > c.features[0] + 1e-9 {
                range = c.sentence - 1..c.sentence + 1;
            }
        }
        let bytes = c.passage.sentences[range.start].bytes.start
            ..c.passage.sentences[range.end - 1].bytes.end;
        let text = &c.doc.text[bytes.clone()];
        let key: Vec<String> = tokenize(text).into_iter().map(|t| t.text).collect();
        if !seen_text.insert(key)
            || answers.iter().any(|a| {
                a.passage == c.passage
                    && a.sentences.start < range.end
                    && range.start < a.sentences.end
            })
        {
            continue;
        }
        let stems: Vec<String> = analyze(&mut stemmed_analyzer(), text)
            .into_iter()
            .map(|t| t.text)
            .collect();
        let cov = coverage(&q, &stems);
        let span = Span {
            start: c.passage.sentences[range.start].span.start,
            end: c.passage.sentences[range.end - 1].span.end,
        };
        answers.push(Answer {
            doc: c.doc,
            passage: c.passage,
            highlights: highlights(text, span.start, &q),
            primary: c.sentence,
            sentences: range,
            bytes,
            span,
            score: ranker::score(&c.features),
            coverage: cov,
        });
    }
    originals_first(&mut answers);
    answers.truncate(req.limit);
    let answered = answers.first().is_some_and(|a| a.coverage >= MIN_COVERAGE);
    let related = passages
        .iter()
        .take(3)
        .map(|&(score, doc, passage)| Hit {
            doc,
            passage,
            score,
            highlights: Vec::new(),
        })
        .collect();
    Ok(AskResult {
        answered,
        answers,
        related,
        unmatched_terms,
    })
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

/// Repeated facts: when two answers share a run of words making up at least
/// 70% of the shorter one, they state the same fact. The one in which the
/// shared run is the larger share of the sentence is the original (the
/// other quotes or frames it), and moves ahead of the other.
fn originals_first(answers: &mut [Answer<'_>]) {
    let words: Vec<Vec<String>> = answers
        .iter()
        .map(|a| {
            tokenize(&a.doc.text[a.bytes.clone()])
                .into_iter()
                .map(|t| t.text)
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = (0..answers.len()).collect();
    let mut moved = true;
    let mut guard = 0;
    while moved && guard < 64 {
        moved = false;
        guard += 1;
        'outer: for i in 0..order.len() {
            for j in i + 1..order.len() {
                let (a, b) = (&words[order[i]], &words[order[j]]);
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
    let reordered: Vec<Answer<'_>> = order.iter().map(|&i| answers[i].clone()).collect();
    answers.clone_from_slice(&reordered);
}

/// Term and answer highlights of an answer text, as absolute char spans.
fn highlights(text: &str, char_base: usize, q: &Question) -> Vec<(Span, &'static str)> {
    let to_chars = |b: usize| char_base + text[..b].chars().count();
    let stems: HashSet<&str> = q.terms.iter().map(|t| t.stem.as_str()).collect();
    let mut out: Vec<(Span, &'static str)> = analyze(&mut stemmed_analyzer(), text)
        .into_iter()
        .filter(|t| stems.contains(t.text.as_str()))
        .map(|t| {
            (
                Span {
                    start: to_chars(t.start),
                    end: to_chars(t.end),
                },
                "term",
            )
        })
        .collect();
    out.extend(
        spans::answer_spans(text, q.qtype, &q.words)
            .into_iter()
            .map(|r| {
                (
                    Span {
                        start: to_chars(r.start),
                        end: to_chars(r.end),
                    },
                    "answer",
                )
            }),
    );
    out.sort_by_key(|(s, k)| (s.start, *k));
    out
}
