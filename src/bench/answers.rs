//! `verbatim bench squad`: answer-sentence and paragraph accuracy of the
//! `/v1/ask` ranking on SQuAD v1.1 dev, the abstention trade-off, and
//! questions per second; optionally the peers in the same run.
//!
//! All 2,067 paragraphs are indexed as documents; all 10,570 questions are
//! asked. Weights are fitted (`--fit`) on the questions of articles 0-23
//! only; figures are reported on all questions and on articles 24-47.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::squad;
use super::Rng;
use crate::answer::{
    self, evidence, linear, probability, AskRequest, AskStatus, Evidence, Feature, Features, Model,
    Residual, Top, Values, HIDDEN, MIN_COVERAGE,
};
use crate::config::VectorMode;
use crate::engine::Engine;
use crate::search::{Filters, SearchRequest};
use crate::vectors::Vector;

/// Number of features.
const FEATURES: usize = Feature::COUNT;

/// One question's cached candidates.
struct Case {
    /// Article index (for the split).
    article: usize,
    /// Gold paragraph's document id.
    gold_doc: String,
    /// (features, sentence contains a gold answer, document id).
    cands: Vec<(Features, bool, String)>,
    /// The candidate passages' document ids, best BM25 first.
    passages: Vec<String>,
    /// Each candidate's cosines (question–sentence, question–passage).
    cos: Vec<Option<[f64; 2]>>,
    /// IDF share of the question's terms no passage holds.
    unmatched: f64,
    /// Number of question terms.
    terms: usize,
}

/// Candidate order under the lexical model plus the cosines weighted by `sem`.
fn rank_sem(c: &Case, m: &Model, sem: &[f64; 2]) -> Vec<(usize, f64)> {
    let mut s: Vec<(usize, f64)> = c
        .cands
        .iter()
        .zip(&c.cos)
        .enumerate()
        .map(|(i, (x, cos))| (i, answer::rank_score(m, sem, &x.0, *cos)))
        .collect();
    s.sort_by(|a, b| b.1.total_cmp(&a.1));
    s
}

/// Sentence top-1 over `cases` with the cosines weighted by `sem`.
fn top1_sem(cases: &[&Case], m: &Model, sem: &[f64; 2]) -> f64 {
    let right = cases
        .iter()
        .filter(|c| {
            rank_sem(c, m, sem)
                .first()
                .is_some_and(|&(i, _)| c.cands[i].1)
        })
        .count();
    right as f64 / cases.len().max(1) as f64
}

/// Grid search of the two cosine weights on top-1 over `cases`.
fn fit_semantic(cases: &[&Case], m: &Model) -> [f64; 2] {
    let mut best = (top1_sem(cases, m, &[0.0, 0.0]), [0.0, 0.0]);
    for i in 0..=16 {
        for j in 0..=16 {
            let sem = [i as f64 * 0.75, j as f64 * 0.75];
            let a = top1_sem(cases, m, &sem);
            if a > best.0 + 1e-9 {
                best = (a, sem);
            }
        }
    }
    eprintln!("semantic weights {:?}: tune top-1 {:.4}", best.1, best.0);
    best.1
}

/// The answerability evidence of a case's top candidate, and whether that
/// candidate holds a gold answer.
fn top_evidence(c: &Case, m: &Model, sem: &[f64; 2]) -> Option<(Values, bool)> {
    let r = rank_sem(c, m, sem);
    let &(top, score) = r.first()?;
    let cosines = c.cos[top]?;
    let v = evidence(&Top {
        features: &c.cands[top].0,
        cosines,
        score,
        second: r.get(1).map(|x| x.1),
        unmatched: c.unmatched,
        terms: c.terms,
    });
    Some((v, c.cands[top].1))
}

/// Logistic regression by full-batch gradient descent, the two classes
/// weighted equally; features standardised while fitting, weights returned
/// on the raw scale.
fn fit_logistic(xs: &[(Values, bool)]) -> Values {
    const N: usize = Evidence::COUNT;
    let n = xs.len().max(1) as f64;
    let mut mean = [0.0; N];
    let mut sd = [0.0; N];
    for (v, _) in xs {
        for k in 0..N {
            mean[k] += v[k] / n;
        }
    }
    for (v, _) in xs {
        for k in 0..N {
            sd[k] += (v[k] - mean[k]).powi(2) / n;
        }
    }
    for k in 0..N {
        sd[k] = sd[k].sqrt();
        if sd[k] < 1e-9 {
            // The bias (constant): left as is.
            mean[k] = 0.0;
            sd[k] = 1.0;
        }
    }
    let pos = xs.iter().filter(|x| x.1).count().max(1) as f64;
    let neg = (xs.len() as f64 - pos).max(1.0);
    let mut w = [0.0; N];
    for _ in 0..2000 {
        let mut grad = [0.0; N];
        for (v, y) in xs {
            let z: Values = std::array::from_fn(|k| (v[k] - mean[k]) / sd[k]);
            let p = probability(&z, &w);
            let weight = if *y { 0.5 / pos } else { 0.5 / neg };
            let err = p - f64::from(u8::from(*y));
            for k in 0..N {
                grad[k] += weight * err * z[k];
            }
        }
        for k in 0..N {
            w[k] -= 1.0 * (grad[k] + 1e-4 * w[k]);
        }
    }
    // Back to the raw scale: w·(x−μ)/σ = Σ (w/σ)x − Σ wμ/σ.
    let mut raw = [0.0; N];
    let mut bias = 0.0;
    for k in 0..N {
        raw[k] = w[k] / sd[k];
        bias -= w[k] * mean[k] / sd[k];
    }
    raw[Evidence::Bias as usize] += bias;
    raw
}

fn rank(c: &Case, m: &Model) -> Vec<usize> {
    let s: Vec<f64> = c.cands.iter().map(|x| m.score(&x.0)).collect();
    let mut idx: Vec<usize> = (0..c.cands.len()).collect();
    idx.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
    idx
}

/// The linear model `w` alone.
fn linear_only(w: [f64; FEATURES]) -> Model {
    Model {
        linear: w,
        residual: Residual::ZERO,
    }
}

/// (sentence top-1, sentence top-5) over `cases`.
fn accuracy(cases: &[&Case], m: &Model) -> (f64, f64) {
    let (mut t1, mut t5) = (0usize, 0usize);
    for c in cases {
        let r = rank(c, m);
        t1 += usize::from(r.first().is_some_and(|&i| c.cands[i].1));
        t5 += usize::from(r.iter().take(5).any(|&i| c.cands[i].1));
    }
    let n = cases.len().max(1) as f64;
    (t1 as f64 / n, t5 as f64 / n)
}

/// The listwise softmax loss of one question: the log of the probability
/// mass on its gold-holding candidates, and the derivative of the negative
/// log-likelihood with respect to each candidate's score.
fn listwise(scores: &[f64], c: &Case) -> (f64, Vec<f64>) {
    let m = scores.iter().cloned().fold(f64::MIN, f64::max);
    let e: Vec<f64> = scores.iter().map(|s| (s - m).exp()).collect();
    let z: f64 = e.iter().sum();
    let zp: f64 = e
        .iter()
        .zip(&c.cands)
        .filter(|(_, x)| x.1)
        .map(|(v, _)| v)
        .sum();
    let d = e
        .iter()
        .zip(&c.cands)
        .map(|(ek, x)| ek / z - if x.1 { ek / zp } else { 0.0 })
        .collect();
    ((zp / z).ln(), d)
}

/// Listwise training: maximizes the softmax probability mass of the
/// gold-holding sentences of each question, by full-batch gradient ascent.
fn fit_listwise(cases: &[&Case], start: [f64; FEATURES]) -> [f64; FEATURES] {
    let mut w = start;
    let lr = 0.5;
    let useful: Vec<&&Case> = cases
        .iter()
        .filter(|c| c.cands.iter().any(|x| x.1))
        .collect();
    for epoch in 0..300 {
        let mut grad = [0.0; FEATURES];
        let mut ll = 0.0;
        for c in &useful {
            let scores: Vec<f64> = c.cands.iter().map(|x| linear(&x.0, &w)).collect();
            let (l, d) = listwise(&scores, c);
            ll += l;
            for (x, dk) in c.cands.iter().zip(d) {
                for (g, f) in grad.iter_mut().zip(&x.0 .0) {
                    *g -= dk * f;
                }
            }
        }
        let n = useful.len() as f64;
        for (wj, g) in w.iter_mut().zip(&grad) {
            *wj += lr * g / n;
        }
        if epoch % 50 == 49 {
            eprintln!(
                "listwise epoch {}: mean log-likelihood {:.4}, tune top-1 {:.4}",
                epoch + 1,
                ll / n,
                accuracy(cases, &linear_only(w)).0
            );
        }
    }
    w
}

/// Coordinate ascent on top-1 (top-5 breaks ties), from `start`.
fn fit(cases: &[&Case], start: [f64; FEATURES]) -> [f64; FEATURES] {
    let mut w = start;
    let objective = |w: &[f64; FEATURES]| {
        let (a, b) = accuracy(cases, &linear_only(*w));
        a + 0.01 * b
    };
    let mut best = objective(&w);
    for pass in 0..4 {
        for j in 0..FEATURES {
            let cur = w[j];
            let mut tries = vec![
                0.0,
                cur * 0.5,
                cur * 0.75,
                cur * 1.25,
                cur * 1.5,
                cur * 2.0,
                cur + 0.05,
                cur + 0.2,
                cur + 0.5,
                cur - 0.05,
                cur - 0.2,
            ];
            tries.retain(|v| *v >= -1.0);
            for v in tries {
                let mut cand = w;
                cand[j] = v;
                let o = objective(&cand);
                if o > best + 1e-9 {
                    best = o;
                    w = cand;
                }
            }
        }
        eprintln!("fit pass {}: tune objective {best:.4}", pass + 1);
    }
    w
}

/// Fits the residual network on top of fixed linear weights `w`: listwise
/// softmax loss (as [`fit_listwise`]), Adam, mini-batches of questions,
/// a fixed number of epochs (no early stopping, so held-out figures stay
/// unseen). Output weights start at zero: the first step is the linear model.
fn fit_residual(cases: &[&Case], w: &[f64; FEATURES]) -> Residual {
    const EPOCHS: usize = 40;
    const BATCH: usize = 128;
    const LR: f64 = 0.003;
    let mut rng = Rng::new(17);
    let mut r = Residual::ZERO;
    for row in r.w1.iter_mut() {
        for x in row.iter_mut() {
            *x = (rng.below(2001) as f64 / 1000.0 - 1.0) * 0.5;
        }
    }
    // Parameters flattened: w1 (HIDDEN x FEATURES), b1, w2.
    let n_params = HIDDEN * FEATURES + 2 * HIDDEN;
    let (mut m1, mut m2) = (vec![0.0; n_params], vec![0.0; n_params]);
    let mut step = 0;
    let mut useful: Vec<&&Case> = cases
        .iter()
        .filter(|c| c.cands.iter().any(|x| x.1) && c.cands.iter().any(|x| !x.1))
        .collect();
    for epoch in 0..EPOCHS {
        for i in (1..useful.len()).rev() {
            useful.swap(i, rng.below(i + 1));
        }
        let mut ll = 0.0;
        for batch in useful.chunks(BATCH) {
            let mut grad = vec![0.0; n_params];
            for c in batch {
                let hidden: Vec<[f64; HIDDEN]> = c.cands.iter().map(|x| r.hidden(&x.0)).collect();
                let scores: Vec<f64> = c
                    .cands
                    .iter()
                    .zip(&hidden)
                    .map(|(x, a)| {
                        linear(&x.0, w) + a.iter().zip(&r.w2).map(|(a, b)| a * b).sum::<f64>()
                    })
                    .collect();
                let (l, ds) = listwise(&scores, c);
                ll += l;
                for (k, x) in c.cands.iter().enumerate() {
                    let d = ds[k];
                    if d.abs() < 1e-12 {
                        continue;
                    }
                    for h in 0..HIDDEN {
                        let a = hidden[k][h];
                        grad[HIDDEN * FEATURES + HIDDEN + h] += d * a;
                        let dz = d * r.w2[h] * (1.0 - a * a);
                        grad[HIDDEN * FEATURES + h] += dz;
                        for (j, f) in x.0 .0.iter().enumerate() {
                            grad[h * FEATURES + j] += dz * f;
                        }
                    }
                }
            }
            step += 1;
            let (b1, b2) = (0.9f64, 0.999f64);
            for p in 0..n_params {
                let g = grad[p] / batch.len() as f64;
                m1[p] = b1 * m1[p] + (1.0 - b1) * g;
                m2[p] = b2 * m2[p] + (1.0 - b2) * g * g;
                let upd = LR * (m1[p] / (1.0 - b1.powi(step)))
                    / ((m2[p] / (1.0 - b2.powi(step))).sqrt() + 1e-8);
                let param = if p < HIDDEN * FEATURES {
                    &mut r.w1[p / FEATURES][p % FEATURES]
                } else if p < HIDDEN * FEATURES + HIDDEN {
                    &mut r.b1[p - HIDDEN * FEATURES]
                } else {
                    &mut r.w2[p - HIDDEN * FEATURES - HIDDEN]
                };
                *param -= upd;
            }
        }
        if epoch % 10 == 9 {
            eprintln!(
                "residual epoch {}: mean log-likelihood {:.4}, tune top-1 {:.4}",
                epoch + 1,
                ll / useful.len() as f64,
                accuracy(
                    cases,
                    &Model {
                        linear: *w,
                        residual: r.clone()
                    }
                )
                .0
            );
        }
    }
    r
}

/// The cases of the questions `keep` selects: (article, paragraph).
fn collect(
    engine: &Engine,
    sq: &squad::Squad,
    qvs: &HashMap<String, Vector>,
    keep: impl Fn(usize, usize, &squad::Qa) -> bool,
) -> anyhow::Result<Vec<Case>> {
    let mut out = Vec::new();
    let snap = engine.snapshot();
    for (a, art) in sq.data.iter().enumerate() {
        for (p, para) in art.paragraphs.iter().enumerate() {
            for qa in para.qas.iter().filter(|qa| keep(a, p, qa)) {
                let q = answer::analyze_question(snap, &qa.question)?;
                let qv = qvs.get(&qa.question);
                let (cands, passages) = answer::candidates(snap, &q, qv, &Filters::default())?;
                let golds: Vec<&str> = qa.answers.iter().map(|x| x.text.as_str()).collect();
                out.push(Case {
                    article: a,
                    gold_doc: squad::doc_id(a, p),
                    cands: cands
                        .iter()
                        .map(|c| {
                            let text = c.doc.sentence_text(&c.passage, c.sentence);
                            (
                                c.features,
                                golds.iter().any(|g| text.contains(g)),
                                c.doc.meta.id.clone(),
                            )
                        })
                        .collect(),
                    passages: passages.iter().map(|p| p.doc.meta.id.clone()).collect(),
                    cos: cands.iter().map(|c| c.cosines).collect(),
                    unmatched: answer::unmatched_share(&q),
                    terms: q.terms.len(),
                });
            }
        }
    }
    Ok(out)
}

/// What `verbatim bench squad` runs.
pub(crate) struct SquadRun<'a> {
    /// SQuAD v1.1 dev.
    pub(crate) data: &'a Path,
    /// The seed corpus (the off-topic abstention check).
    pub(crate) seed_corpus: &'a Path,
    /// Refit the lexical ranker on the tuning split.
    pub(crate) fit_lexical: bool,
    /// Refit the cosine weights and the answerability model.
    pub(crate) fit: bool,
    /// Topic-naming titles instead of neutral ones.
    pub(crate) titled: bool,
    /// Whether vectors are used.
    pub(crate) vectors: VectorMode,
    /// The peers' scripts, to run in the same run.
    pub(crate) peers: Option<PathBuf>,
    /// Where to write the tuning split's leave-gold-out evidence (TSV).
    pub(crate) dump_evidence: Option<PathBuf>,
}

/// Runs the benchmark and prints its report.
pub(crate) fn run(opts: &SquadRun<'_>) -> anyhow::Result<()> {
    let &SquadRun {
        data,
        seed_corpus,
        fit_lexical,
        fit: do_fit,
        titled,
        vectors,
        ..
    } = opts;
    let sq = squad::load(data)?;
    let docs = squad::documents(&sq, |_| true, titled);
    let n_docs = docs.len();
    let kinds = super::kinds_line(&docs);
    let t = Instant::now();
    // Titles are not embedded, so both share one index directory and its
    // vector log.
    let engine = Engine::build(docs, &super::scifact::bench_index_dir("squad"), vectors)?;
    println!(
        "# verbatim bench squad ({} titles, vectors {vectors:?})",
        if titled {
            "the articles' own (topic-naming)"
        } else {
            "neutral"
        }
    );
    println!(
        "indexed {n_docs} paragraphs in {:.2}s; {kinds}",
        t.elapsed().as_secs_f64()
    );
    // Every question's vector, once, in batches (the served path below
    // embeds each question as a request does).
    let t = Instant::now();
    let qvs = question_vectors(&engine, &sq)?;
    if !qvs.is_empty() {
        println!(
            "embedded {} questions in {:.1}s (batched)",
            qvs.len(),
            t.elapsed().as_secs_f64()
        );
    }
    let cases = collect(&engine, &sq, &qvs, |_, _, _| true)?;
    let tune: Vec<&Case> = cases.iter().filter(|c| c.article < 24).collect();
    let held: Vec<&Case> = cases.iter().filter(|c| c.article >= 24).collect();
    let all: Vec<&Case> = cases.iter().collect();
    let weights: Model = if fit_lexical {
        let w = fit(&tune, fit_listwise(&tune, Model::fitted().linear));
        for (f, v) in Feature::ALL.iter().zip(w) {
            println!("  {:>22}: {v:.3}", f.name());
        }
        let m = Model {
            linear: w,
            residual: fit_residual(&tune, &w),
        };
        println!(
            "fitted weights (paste into src/answer/weights.rs):\n{}",
            m.to_rust()
        );
        m
    } else {
        Model::fitted().clone()
    };
    let sem: [f64; 2] = if do_fit && vectors != VectorMode::Off {
        let sem = fit_semantic(&tune, &weights);
        println!("fitted SEMANTIC_WEIGHTS (paste into src/answer/weights.rs): {sem:?}");
        sem
    } else {
        *answer::semantic_weights()
    };
    if std::env::var_os("VERBATIM_BENCH_DEBUG").is_some() {
        let (mut right_para, mut wrong_para, mut gold_in_top_para) = (0, 0, 0);
        for c in &all {
            let r = rank(c, &weights);
            let Some(&top) = r.first() else { continue };
            if c.cands[top].1 {
                continue;
            }
            if c.cands[top].2 == c.gold_doc {
                right_para += 1;
            } else {
                wrong_para += 1;
                gold_in_top_para +=
                    usize::from(c.cands.iter().any(|x| x.1 && x.2 == c.cands[top].2));
            }
        }
        println!("misses: {right_para} in the gold paragraph (wrong sentence), {wrong_para} in another paragraph ({gold_in_top_para} of those hold a gold string elsewhere in that paragraph)");
    }
    let ceiling =
        all.iter().filter(|c| c.cands.iter().any(|x| x.1)).count() as f64 / all.len() as f64;
    println!(
        "\n{} questions; {:.4} have a gold-holding sentence among the candidates (ceiling)",
        all.len(),
        ceiling
    );
    println!("| split | questions | answer-sentence top-1, lexical ranker | with cosines | top-5 (lexical) | paragraph top-1 | top-5 |\n|---|---|---|---|---|---|---|");
    for (name, set) in [
        ("all 48 articles", &all),
        ("tune (0-23)", &tune),
        ("held-out (24-47)", &held),
    ] {
        let (t1, t5) = accuracy(set, &weights);
        let n = set.len() as f64;
        let p1 = set
            .iter()
            .filter(|c| c.passages.first() == Some(&c.gold_doc))
            .count() as f64
            / n;
        let p5 = set
            .iter()
            .filter(|c| c.passages.iter().take(5).any(|d| d == &c.gold_doc))
            .count() as f64
            / n;
        println!(
            "| {name} | {} | {t1:.4} | {:.4} | {t5:.4} | {p1:.4} | {p5:.4} |",
            set.len(),
            top1_sem(set, &weights, &sem)
        );
    }

    if titled {
        // Titled figures are for comparison with the headline only.
        return Ok(());
    }
    // The served path: engine.ask(), timed, single-threaded.
    let questions: Vec<(&str, Vec<&str>)> = sq
        .data
        .iter()
        .flat_map(|a| {
            a.paragraphs.iter().flat_map(|p| {
                p.qas.iter().map(|qa| {
                    (
                        qa.question.as_str(),
                        qa.answers.iter().map(|x| x.text.as_str()).collect(),
                    )
                })
            })
        })
        .collect();
    let t = Instant::now();
    let (mut served1, mut primary1, mut answered) = (0usize, 0usize, 0usize);
    let mut coverages = Vec::with_capacity(questions.len());
    for (q, golds) in &questions {
        let r = engine.ask(&AskRequest {
            question: q.to_string(),
            limit: 5,
            filters: Filters::default(),
        })?;
        if let Some(a) = r.answers.first() {
            let text = &a.doc.text[a.bytes.clone()];
            served1 += usize::from(golds.iter().any(|g| text.contains(g)));
            let prim = a.doc.sentence_text(&a.passage, a.primary);
            primary1 += usize::from(golds.iter().any(|g| prim.contains(g)));
            coverages.push(a.coverage);
        } else {
            coverages.push(0.0);
        }
        answered += usize::from(r.status == AskStatus::Answered);
    }
    let secs = t.elapsed().as_secs_f64();
    let n = questions.len() as f64;
    println!(
        "\nserved path (engine.ask, limit 5): top answer's primary sentence holds a gold answer {:.4}; whole answer text (with a context sentence when one was added) {:.4}",
        primary1 as f64 / n,
        served1 as f64 / n
    );
    println!(
        "{} questions in {secs:.2}s single-threaded: {:.0} questions/s",
        questions.len(),
        n / secs
    );
    // The /v1/search ranking over the same questions (plain words, as the
    // peers' paragraph script queries), 5 hits with highlights each.
    let t = Instant::now();
    for (q, _) in &questions {
        let words: Vec<String> = crate::analysis::tokenize(q)
            .into_iter()
            .map(|t| t.text)
            .collect();
        engine.search(&SearchRequest {
            query: words.join(" "),
            limit: 5,
            ..Default::default()
        })?;
    }
    println!(
        "search (/v1/search ranking, 5 hits with highlights) over the same questions: {:.0} queries/s single-threaded",
        n / t.elapsed().as_secs_f64()
    );
    println!(
        "answered (as served) against the right corpus: {:.4}",
        answered as f64 / n
    );

    leave_gold_out(&sq, &qvs, &weights, &sem, opts)?;

    // Abstention: the same questions against the seed corpus, where none is answerable.
    let seed_dir = tempfile::tempdir()?;
    let (seed, _) = Engine::open(seed_corpus, seed_dir.path())?;
    let mut neg = Vec::with_capacity(questions.len());
    for (q, _) in &questions {
        let r = seed.ask(&AskRequest {
            question: q.to_string(),
            limit: 1,
            filters: Filters::default(),
        })?;
        neg.push(r.answers.first().map_or(0.0, |a| a.coverage));
    }
    let tune_n = cases.iter().filter(|c| c.article < 24).count();
    println!(
        "\nabstention trade-off (share answered): right corpus vs seed corpus (wrongly answered)"
    );
    println!("| min coverage | right corpus, all | seed corpus, all | right, tune | seed, tune |\n|---|---|---|---|---|");
    let share = |v: &[f64], t: f64| {
        v.iter().filter(|&&c| c >= t && c > 0.0).count() as f64 / v.len().max(1) as f64
    };
    let mut chosen = None;
    for k in 2..=18 {
        let t = k as f64 * 0.05;
        let (pt, nt) = (share(&coverages[..tune_n], t), share(&neg[..tune_n], t));
        if chosen.is_none() && nt <= 0.01 {
            chosen = Some(t);
        }
        println!(
            "| {t:.2} | {:.4} | {:.4} | {pt:.4} | {nt:.4} |",
            share(&coverages, t),
            share(&neg, t)
        );
    }
    println!(
        "lowest threshold answering at most 1% of off-corpus tune questions: {:.2}; shipped MIN_COVERAGE = {MIN_COVERAGE}",
        chosen.unwrap_or(1.0)
    );

    if let Some(dir) = opts.peers.clone() {
        let venv = std::env::var("PEERS_VENV").unwrap_or_else(|_| "/tmp/peers-venv".into());
        println!(
            "\npeers, same run ({}):",
            dir.join("bench_squad_sent.py").display()
        );
        let out = std::process::Command::new(format!("{venv}/bin/python"))
            .arg(dir.join("bench_squad_sent.py"))
            .output()?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            println!(
                "(peers failed: {})",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
        }
    }
    Ok(())
}

/// Whether paragraph `p` of an article is hidden in the leave-gold-out
/// corpus: a fixed third of every article.
fn hidden(p: usize) -> bool {
    p % 3 == 1
}

/// Answered-and-right share of `answerable` and abstained share of
/// `unanswerable` at threshold `t`, from precomputed (evidence, top right).
fn rates(
    answerable: &[Option<(Values, bool)>],
    unanswerable: &[Option<(Values, bool)>],
    w: &Values,
    t: f64,
) -> (f64, f64) {
    let right = answerable
        .iter()
        .filter(|x| {
            x.as_ref()
                .is_some_and(|(v, ok)| *ok && probability(v, w) >= t)
        })
        .count() as f64
        / answerable.len().max(1) as f64;
    let abstained = unanswerable
        .iter()
        .filter(|x| x.as_ref().is_none_or(|(v, _)| probability(v, w) < t))
        .count() as f64
        / unanswerable.len().max(1) as f64;
    (right, abstained)
}

/// "Leave the gold out": a third of every article's paragraphs is hidden
/// from the corpus (the rest of the article stays, so its questions stay on
/// topic). Questions on hidden paragraphs must get no answer (those whose
/// gold answer string still occurs in the article's visible text are
/// dropped); the others must get a right one. Fits the answerability model
/// on articles 0-23 (`fit`), chooses the threshold there, and reports the
/// trade-off on 24-47, then the served path end to end.
fn leave_gold_out(
    sq: &squad::Squad,
    qvs: &HashMap<String, Vector>,
    weights: &Model,
    sem: &[f64; 2],
    opts: &SquadRun<'_>,
) -> anyhow::Result<()> {
    let (titled, vectors) = (opts.titled, opts.vectors);
    let visible_text: Vec<String> = sq
        .data
        .iter()
        .map(|art| {
            art.paragraphs
                .iter()
                .enumerate()
                .filter(|(p, _)| !hidden(*p))
                .map(|(_, x)| x.context.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let hidden_ids: std::collections::HashSet<String> = sq
        .data
        .iter()
        .enumerate()
        .flat_map(|(a, art)| {
            (0..art.paragraphs.len())
                .filter(|p| hidden(*p))
                .map(move |p| squad::doc_id(a, p))
        })
        .collect();
    let docs: Vec<_> = squad::documents(sq, |_| true, titled)
        .into_iter()
        .filter(|d| !hidden_ids.contains(&d.meta.id))
        .collect();
    let name = if titled {
        "squad-titled-lgo"
    } else {
        "squad-lgo"
    };
    let lgo = Engine::build(docs, &super::scifact::bench_index_dir(name), vectors)?;
    let gold_visible =
        |a: usize, qa: &squad::Qa| qa.answers.iter().any(|g| visible_text[a].contains(&g.text));
    if vectors != VectorMode::Off {
        curve(&lgo, sq, qvs, weights, sem, opts, &gold_visible)?;
    } else {
        println!(
            "\nleave-gold-out with vectors off: the coverage rule (MIN_COVERAGE), served path only"
        );
    }
    // The served path, end to end, with the shipped weights.
    let served =
        |keep: &dyn Fn(usize, usize, &squad::Qa) -> bool| -> anyhow::Result<(usize, usize, usize)> {
            let (mut n, mut answered, mut right) = (0, 0, 0);
            for (a, art) in sq.data.iter().enumerate().filter(|(a, _)| *a >= 24) {
                for (p, para) in art.paragraphs.iter().enumerate() {
                    for qa in para.qas.iter().filter(|qa| keep(a, p, qa)) {
                        let r = lgo.ask(&AskRequest {
                            question: qa.question.clone(),
                            limit: 1,
                            filters: Filters::default(),
                        })?;
                        n += 1;
                        if r.status == AskStatus::Answered {
                            answered += 1;
                            let a0 = &r.answers[0];
                            let text = &a0.doc.text[a0.bytes.clone()];
                            right += usize::from(qa.answers.iter().any(|g| text.contains(&g.text)));
                        }
                    }
                }
            }
            Ok((n, answered, right))
        };
    let (n_a, _, right) = served(&|_, p, _| !hidden(p))?;
    let (n_u, answered_u, _) = served(&|a, p, qa| hidden(p) && !gold_visible(a, qa))?;
    let (r, ab) = (
        right as f64 / n_a.max(1) as f64,
        1.0 - answered_u as f64 / n_u.max(1) as f64,
    );
    println!(
        "served path (engine.ask, shipped weights), held-out 24-47: answerable answered and right {r:.4} ({right}/{n_a}); unanswerable abstained {ab:.4} ({}/{n_u}); mean {:.4}",
        n_u - answered_u,
        (r + ab) / 2.0
    );
    Ok(())
}

/// Writes the tuning split's leave-gold-out cases as TSV, one row per
/// question with a top candidate: its article, whether it is answerable,
/// whether the top sentence holds the answer, the answerability evidence,
/// the top candidate's ranking features, and what the other candidates
/// offer (best sentence and passage cosines, the top passage's BM25 rank).
/// Held-out articles are never written, so analysis outside cannot look at
/// them.
fn dump_evidence(
    path: &Path,
    answerable: &[Case],
    unanswerable: &[Case],
    m: &Model,
    sem: &[f64; 2],
) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut header = vec!["article".to_string(), "answerable".into(), "right".into()];
    header.extend(Evidence::ALL.iter().map(|e| format!("e_{}", e.name())));
    header.extend(Feature::ALL.iter().map(|f| format!("f_{}", f.name())));
    header.extend(
        [
            "best_sentence_cos",
            "best_passage_cos",
            "top_bm25_rank",
            "candidates",
        ]
        .map(String::from),
    );
    writeln!(out, "{}", header.join("\t"))?;
    let rows = answerable
        .iter()
        .map(|c| (c, true))
        .chain(unanswerable.iter().map(|c| (c, false)))
        .filter(|(c, _)| c.article < 24);
    for (c, is_answerable) in rows {
        let Some((v, right)) = top_evidence(c, m, sem) else {
            continue;
        };
        let top = rank_sem(c, m, sem)[0].0;
        let best = |k: usize| {
            c.cos
                .iter()
                .flatten()
                .map(|x| x[k])
                .fold(f64::MIN, f64::max)
        };
        let rank = c
            .passages
            .iter()
            .position(|d| *d == c.cands[top].2)
            .map_or(-1, |r| r as i64);
        let mut row = vec![
            c.article.to_string(),
            u8::from(is_answerable).to_string(),
            u8::from(right && is_answerable).to_string(),
        ];
        row.extend(v.iter().map(|x| format!("{x:.6}")));
        row.extend(c.cands[top].0 .0.iter().map(|x| format!("{x:.6}")));
        row.extend([
            format!("{:.6}", best(0)),
            format!("{:.6}", best(1)),
            rank.to_string(),
            c.cands.len().to_string(),
        ]);
        writeln!(out, "{}", row.join("\t"))?;
    }
    out.flush()?;
    println!(
        "wrote the tuning split's leave-gold-out evidence to {}",
        path.display()
    );
    Ok(())
}

/// Every question's vector (none when vectors are off), embedded in batches.
fn question_vectors(engine: &Engine, sq: &squad::Squad) -> anyhow::Result<HashMap<String, Vector>> {
    let Some(vectors) = engine.snapshot().vectors() else {
        return Ok(HashMap::new());
    };
    let questions: Vec<&str> = sq
        .data
        .iter()
        .flat_map(|a| a.paragraphs.iter().flat_map(|p| p.qas.iter()))
        .map(|qa| qa.question.as_str())
        .collect();
    let vs = vectors.embed_batch(&questions)?;
    Ok(questions.into_iter().map(String::from).zip(vs).collect())
}

/// The answerability trade-off on the leave-gold-out corpus `lgo`: fits the
/// model on articles 0-23 (`fit`), prints the curve on both splits and the
/// operating point chosen on the tuning split.
fn curve(
    lgo: &Engine,
    sq: &squad::Squad,
    qvs: &HashMap<String, Vector>,
    weights: &Model,
    sem: &[f64; 2],
    opts: &SquadRun<'_>,
    gold_visible: &dyn Fn(usize, &squad::Qa) -> bool,
) -> anyhow::Result<()> {
    let fit = opts.fit;
    let answerable = collect(lgo, sq, qvs, |_, p, _| !hidden(p))?;
    let unanswerable = collect(lgo, sq, qvs, |a, p, qa| hidden(p) && !gold_visible(a, qa))?;
    if let Some(path) = &opts.dump_evidence {
        dump_evidence(path, &answerable, &unanswerable, weights, sem)?;
    }
    let split = |cs: &[Case], tune: bool| -> Vec<Option<(Values, bool)>> {
        cs.iter()
            .filter(|c| (c.article < 24) == tune)
            .map(|c| top_evidence(c, weights, sem))
            .collect()
    };
    let (ans_tune, unans_tune) = (split(&answerable, true), split(&unanswerable, true));
    let (ans_held, unans_held) = (split(&answerable, false), split(&unanswerable, false));
    let w: Values = if fit {
        let mut train: Vec<(Values, bool)> = ans_tune.iter().flatten().cloned().collect();
        train.extend(unans_tune.iter().flatten().map(|(v, _)| (*v, false)));
        let w = fit_logistic(&train);
        println!("\nfitted ANSWERABILITY (paste into src/answer/weights.rs):");
        for e in Evidence::ALL {
            println!(
                "    (Evidence::{e:?}, {:?}), // {}",
                w[e as usize],
                e.name()
            );
        }
        w
    } else {
        answer::answerability_weights()
    };
    println!(
        "\nleave-gold-out: {} answerable and {} unanswerable questions on held-out articles 24-47 ({} and {} on 0-23)",
        ans_held.len(),
        unans_held.len(),
        ans_tune.len(),
        unans_tune.len()
    );
    println!("| threshold | tune: answered and right | tune: abstained | held-out: answered and right | held-out: abstained | held-out mean |\n|---|---|---|---|---|---|");
    // The operating point: the lowest threshold at which the tuning
    // split's unanswerable questions are abstained on at least 80% of the
    // time (the target; a wrong answer dressed as one costs the reader
    // more than a missed one), else the best mean.
    let (mut chosen, mut best_mean) = (None, (f64::MIN, 0.5));
    for k in 1..=19 {
        let t = k as f64 * 0.05;
        let (tr, ta) = rates(&ans_tune, &unans_tune, &w, t);
        let (hr, ha) = rates(&ans_held, &unans_held, &w, t);
        println!(
            "| {t:.2} | {tr:.4} | {ta:.4} | {hr:.4} | {ha:.4} | {:.4} |",
            (hr + ha) / 2.0
        );
        if chosen.is_none() && ta >= 0.80 {
            chosen = Some(t);
        }
        if (tr + ta) / 2.0 > best_mean.0 + 1e-12 {
            best_mean = ((tr + ta) / 2.0, t);
        }
    }
    let t = chosen.unwrap_or(best_mean.1);
    let (hr, ha) = rates(&ans_held, &unans_held, &w, t);
    println!(
        "operating point chosen on tune (lowest threshold abstaining on >= 80% of tune's unanswerable): {t:.2} (shipped ANSWER_THRESHOLD = {}); held-out there: answered and right {hr:.4}, abstained {ha:.4}, mean {:.4}",
        answer::ANSWER_THRESHOLD,
        (hr + ha) / 2.0
    );
    Ok(())
}
