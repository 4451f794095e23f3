//! `verbatim bench squad`: answer-sentence and paragraph accuracy of the
//! `/v1/ask` ranking on SQuAD v1.1 dev, the abstention trade-off, and
//! questions per second; optionally the peers in the same run.
//!
//! All 2,067 paragraphs are indexed as documents; all 10,570 questions are
//! asked. Weights are fitted (`--fit`) on the questions of articles 0-23
//! only; figures are reported on all questions and on articles 24-47.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::squad;
use super::Rng;
use crate::answer::{
    self, linear, AskRequest, AskStatus, Feature, Features, Model, Residual, HIDDEN, MIN_COVERAGE,
};
use crate::engine::Engine;
use crate::search::{Filters, SearchRequest};

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
    /// Coverage of the top candidate under the current weights is computed on demand; this is each candidate's coverage.
    passages: Vec<String>,
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

fn collect(engine: &Engine, sq: &squad::Squad) -> anyhow::Result<Vec<Case>> {
    let mut out = Vec::new();
    for (a, art) in sq.data.iter().enumerate() {
        for (p, para) in art.paragraphs.iter().enumerate() {
            for qa in &para.qas {
                let q = answer::analyze_question(engine.snapshot(), &qa.question)?;
                let (cands, passages) =
                    answer::candidates(engine.snapshot(), &q, &Filters::default())?;
                let golds: Vec<&str> = qa.answers.iter().map(|x| x.text.as_str()).collect();
                out.push(Case {
                    article: a,
                    gold_doc: squad::doc_id(a, p),
                    cands: cands
                        .iter()
                        .map(|c| {
                            let text = &c.doc.text[c.passage.sentences[c.sentence].bytes.clone()];
                            (
                                c.features,
                                golds.iter().any(|g| text.contains(g)),
                                c.doc.meta.id.clone(),
                            )
                        })
                        .collect(),
                    passages: passages.iter().map(|p| p.doc.meta.id.clone()).collect(),
                });
            }
        }
    }
    Ok(out)
}

/// Runs the benchmark and prints its report.
pub(crate) fn run(
    data: &Path,
    seed_corpus: &Path,
    do_fit: bool,
    peers: Option<PathBuf>,
) -> anyhow::Result<()> {
    let sq = squad::load(data)?;
    let docs = squad::documents(&sq, |_| true);
    let n_docs = docs.len();
    let dir = tempfile::tempdir()?;
    let t = Instant::now();
    let engine = Engine::build(docs, dir.path())?;
    println!("# verbatim bench squad");
    println!(
        "indexed {n_docs} paragraphs in {:.2}s",
        t.elapsed().as_secs_f64()
    );
    let cases = collect(&engine, &sq)?;
    let tune: Vec<&Case> = cases.iter().filter(|c| c.article < 24).collect();
    let held: Vec<&Case> = cases.iter().filter(|c| c.article >= 24).collect();
    let all: Vec<&Case> = cases.iter().collect();
    let weights: Model = if do_fit {
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
    println!("| split | questions | answer-sentence top-1 | top-5 | paragraph top-1 | top-5 |\n|---|---|---|---|---|---|");
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
            "| {name} | {} | {t1:.4} | {t5:.4} | {p1:.4} | {p5:.4} |",
            set.len()
        );
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
            let prim = &a.doc.text[a.passage.sentences[a.primary].bytes.clone()];
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
        "answered (coverage >= {MIN_COVERAGE}) against the right corpus: {:.4}",
        answered as f64 / n
    );

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

    if let Some(dir) = peers {
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
