//! `verbatim bench scifact`: nDCG@10 and Recall@100 of the `/v1/search`
//! ranking on the BEIR SciFact test split, with trec_eval's definitions
//! (document text = title + " " + text), and queries per second; the peers'
//! script optionally in the same run.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::tokenize;
use crate::config::VectorMode;
use crate::engine::Engine;
use crate::ingest::document_from_text;
use crate::model::DocMeta;
use crate::search::{SearchMode, SearchRequest};
use crate::segment::Markup;

/// Reads qrels: query id → (doc id → grade).
fn qrels(path: &Path) -> anyhow::Result<HashMap<String, HashMap<String, u32>>> {
    let mut out: HashMap<String, HashMap<String, u32>> = HashMap::new();
    for line in std::fs::read_to_string(path)?.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() == 3 {
            out.entry(f[0].into())
                .or_default()
                .insert(f[1].into(), f[2].trim().parse()?);
        }
    }
    Ok(out)
}

/// The ids of the judged queries, sorted (so every run asks in one order).
fn sorted_ids(judged: &HashMap<String, HashMap<String, u32>>) -> Vec<&String> {
    let mut ids: Vec<&String> = judged.keys().collect();
    ids.sort();
    ids
}

/// A claim as plain words, as the peers query it: no query syntax.
fn plain_words(text: &str) -> String {
    tokenize(text)
        .into_iter()
        .map(|t| t.text)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The corpus as documents (text = title + " " + text) and the queries by id.
pub(crate) fn load(
    dir: &Path,
) -> anyhow::Result<(Vec<crate::model::Document>, HashMap<String, String>)> {
    let mut docs = Vec::new();
    for line in std::fs::read_to_string(dir.join("corpus.jsonl"))?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let id = v["_id"].as_str().unwrap_or_default().to_string();
        let title = v["title"].as_str().unwrap_or_default().to_string();
        let text = format!("{} {}", title, v["text"].as_str().unwrap_or_default())
            .trim()
            .to_string();
        let meta = DocMeta {
            id: id.clone(),
            title,
            kind: "abstract".into(),
            ..Default::default()
        };
        docs.push(document_from_text(meta, id, text, Markup::Markdown));
    }
    let mut queries = HashMap::new();
    for line in std::fs::read_to_string(dir.join("queries.jsonl"))?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        queries.insert(
            v["_id"].as_str().unwrap_or_default().to_string(),
            v["text"].as_str().unwrap_or_default().to_string(),
        );
    }
    Ok((docs, queries))
}

/// nDCG@10 and Recall@100 of a ranking of document ids (trec_eval's definitions).
fn metrics(ranked: &[&str], rel: &HashMap<String, u32>) -> (f64, f64) {
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, d)| f64::from(*rel.get(*d).unwrap_or(&0)) / (i as f64 + 2.0).log2())
        .sum();
    let mut ideal: Vec<u32> = rel.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| f64::from(*g) / (i as f64 + 2.0).log2())
        .sum();
    let relevant: HashSet<&str> = rel
        .iter()
        .filter(|(_, g)| **g > 0)
        .map(|(d, _)| d.as_str())
        .collect();
    let recall = ranked
        .iter()
        .take(100)
        .filter(|d| relevant.contains(**d))
        .count() as f64
        / relevant.len().max(1) as f64;
    (if idcg > 0.0 { dcg / idcg } else { 0.0 }, recall)
}

/// Where a benchmark keeps its index, so the vector log (vectors by
/// content) survives between runs and only the first run embeds.
pub(crate) fn bench_index_dir(name: &str) -> PathBuf {
    Path::new("target").join("bench-index").join(name)
}

/// Runs the benchmark over `dir` (the BEIR scifact folder): `/v1/search`
/// in each mode, as a client calls it.
pub(crate) fn run(
    dir: &Path,
    split: &str,
    vectors: VectorMode,
    peers: Option<PathBuf>,
) -> anyhow::Result<()> {
    let (docs, queries) = load(dir)?;
    let judged = qrels(&dir.join("qrels").join(format!("{split}.tsv")))?;
    let t = Instant::now();
    let n_docs = docs.len();
    let kinds = super::kinds_line(&docs);
    let engine = Engine::build(docs, &bench_index_dir("scifact"), vectors)?;
    println!(
        "# verbatim bench scifact ({split} split)\nindexed {n_docs} documents (vectors {vectors:?}) in {:.2}s; {kinds}",
        t.elapsed().as_secs_f64()
    );
    let ids = sorted_ids(&judged);
    let modes: &[SearchMode] = if vectors == VectorMode::Off {
        &[SearchMode::Lexical]
    } else {
        &[SearchMode::Lexical, SearchMode::Hybrid]
    };
    for &mode in modes {
        let (mut ndcg, mut recall) = (0.0, 0.0);
        let t = Instant::now();
        for qid in &ids {
            let page = engine.search(&SearchRequest {
                query: plain_words(&queries[*qid]),
                limit: 100,
                mode: Some(mode),
                ..Default::default()
            })?;
            let mut seen = HashSet::new();
            let ranked: Vec<&str> = page
                .hits
                .iter()
                .map(|h| h.doc.meta.id.as_str())
                .filter(|d| seen.insert(*d))
                .collect();
            let (n, r) = metrics(&ranked, &judged[*qid]);
            ndcg += n;
            recall += r;
        }
        let secs = t.elapsed().as_secs_f64();
        let n = ids.len() as f64;
        println!(
            "{mode:?}: {} queries: nDCG@10 {:.4}, Recall@100 {:.4}, {:.0} queries/s single-threaded",
            ids.len(),
            ndcg / n,
            recall / n,
            n / secs
        );
    }
    if let Some(peers) = peers {
        let venv = std::env::var("PEERS_VENV").unwrap_or_else(|_| "/tmp/peers-venv".into());
        println!("peers, same run:");
        let out = std::process::Command::new(format!("{venv}/bin/python"))
            .arg(peers.join("bench_scifact.py"))
            .output()?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    Ok(())
}

/// `verbatim bench scifact --tune-bm25`: would other BM25 parameters rank
/// better? Tantivy fixes k1 = 1.2 and b = 0.75, so this rescores each
/// train-split query's top 1,000 passages with BM25 under a grid of (k1, b)
/// (same analyzer, same IDF, exact token counts instead of Tantivy's
/// quantized lengths) and reports nDCG@10 for each; the best train setting
/// is then measured once on the test split.
pub(crate) fn tune_bm25(dir: &Path) -> anyhow::Result<()> {
    use crate::analysis::{analyze, stemmed_analyzer};
    let (docs, queries) = load(dir)?;
    let index = tempfile::tempdir()?;
    let engine = Engine::build(docs, index.path(), VectorMode::Off)?;
    let snap = engine.snapshot();
    let fields = snap.fields();
    let searcher = snap.searcher();
    let n_passages = searcher.num_docs() as f64;
    let mut analyzer = stemmed_analyzer();
    // Stemmed tokens of every passage, and their mean count.
    let mut tokens: HashMap<String, Vec<String>> = HashMap::new();
    for d in engine.documents() {
        for p in d.passages() {
            let t: Vec<String> = analyze(&mut analyzer, d.passage_text(&p))
                .into_iter()
                .map(|t| t.text)
                .collect();
            tokens.insert(crate::model::passage_id(&d.meta.id, p.number), t);
        }
    }
    let avgdl = tokens.values().map(Vec::len).sum::<usize>() as f64 / tokens.len() as f64;
    // Per split: each query's terms with IDF, and its candidates.
    struct Q {
        terms: Vec<(String, f64)>,
        cands: Vec<(String, String)>, // (passage id, doc id)
        rel: HashMap<String, u32>,
    }
    let mut prepare = |split: &str| -> anyhow::Result<Vec<Q>> {
        let judged = qrels(&dir.join("qrels").join(format!("{split}.tsv")))?;
        let mut out = Vec::new();
        for qid in sorted_ids(&judged) {
            let text = plain_words(&queries[qid]);
            let compiled = crate::search::compile(
                &crate::search::query::parse(&text),
                &crate::search::Filters::default(),
                fields,
                &crate::search::FactDocs::default(),
            )?;
            let (_, raw) = crate::search::run(
                snap,
                compiled.query.as_ref(),
                1000,
                0,
                crate::search::Order::Relevance,
            )?;
            // One entry per query word, as the Tantivy query has one clause per word.
            let terms = analyze(&mut analyzer, &text)
                .into_iter()
                .map(|t| {
                    let df = searcher
                        .doc_freq(&tantivy::Term::from_field_text(fields.body, &t.text))
                        .unwrap_or(0) as f64;
                    let idf = (1.0 + (n_passages - df + 0.5) / (df + 0.5)).ln();
                    (t.text, idf)
                })
                .collect();
            let cands = raw
                .into_iter()
                .map(|r| {
                    (
                        crate::model::passage_id(&r.doc.meta.id, r.passage.number),
                        r.doc.meta.id.clone(),
                    )
                })
                .collect();
            out.push(Q {
                terms,
                cands,
                rel: judged[qid].clone(),
            });
        }
        Ok(out)
    };
    let evaluate = |qs: &[Q], k1: f64, b: f64| -> f64 {
        let mut total = 0.0;
        for q in qs {
            let mut scored: Vec<(f64, &str)> = q
                .cands
                .iter()
                .map(|(pid, doc)| {
                    let toks = &tokens[pid];
                    let dl = toks.len() as f64;
                    let s: f64 = q
                        .terms
                        .iter()
                        .map(|(term, idf)| {
                            let tf = toks.iter().filter(|t| *t == term).count() as f64;
                            idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * dl / avgdl))
                        })
                        .sum();
                    (s, doc.as_str())
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut seen = HashSet::new();
            let ranked: Vec<&str> = scored
                .iter()
                .map(|x| x.1)
                .filter(|d| seen.insert(*d))
                .collect();
            total += metrics(&ranked, &q.rel).0;
        }
        total / qs.len() as f64
    };
    let train = prepare("train")?;
    println!(
        "# BM25 parameters on the SciFact train split ({} queries), top 1,000 rescored",
        train.len()
    );
    let ks = [0.6, 0.9, 1.2, 1.5, 2.0];
    let bs = [0.3, 0.5, 0.6, 0.75, 0.9, 1.0];
    print!("| k1 \\ b |");
    for b in bs {
        print!(" {b} |");
    }
    println!("\n|---|{}", "---|".repeat(bs.len()));
    let mut best = (f64::MIN, 0.0, 0.0);
    for k1 in ks {
        print!("| {k1} |");
        for b in bs {
            let v = evaluate(&train, k1, b);
            if v > best.0 {
                best = (v, k1, b);
            }
            print!(" {v:.4} |");
        }
        println!();
    }
    let test = prepare("test")?;
    println!(
        "best on train: k1 = {}, b = {} ({:.4}; tantivy's 1.2 / 0.75 rescored: {:.4})",
        best.1,
        best.2,
        best.0,
        evaluate(&train, 1.2, 0.75)
    );
    println!(
        "test split, measured once: k1 = {}, b = {}: {:.4}; 1.2 / 0.75: {:.4}",
        best.1,
        best.2,
        evaluate(&test, best.1, best.2),
        evaluate(&test, 1.2, 0.75)
    );
    Ok(())
}

/// One query's BM25 top 100: (document id, BM25 score, cosine of the query
/// and the passage).
/// The last: the cosine with the mean of the passage's sentence vectors
/// (normalised), the cheaper way to give a passage a vector.
type Scored100 = Vec<(String, f32, f32, f32)>;

/// `verbatim bench scifact --hybrid`: reranks BM25's top 100 by
/// `α·minmax(BM25) + (1−α)·minmax(cosine)` with the local embedding model,
/// fits α on the train split, then measures the test split once.
pub(crate) fn hybrid(dir: &Path) -> anyhow::Result<()> {
    use crate::search::hybrid::{fuse, ALPHA};
    let (docs, queries) = load(dir)?;
    let t = Instant::now();
    let engine = Engine::build(docs, &bench_index_dir("scifact"), VectorMode::On)?;
    println!("# verbatim bench scifact --hybrid");
    println!(
        "indexed with vectors (embedding only what the vector log lacks) in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let snap = engine.snapshot();
    let vectors = snap
        .vectors()
        .ok_or_else(|| anyhow::anyhow!("vectors are off"))?;
    let prepare = |split: &str| -> anyhow::Result<Vec<(Scored100, HashMap<String, u32>)>> {
        let judged = qrels(&dir.join("qrels").join(format!("{split}.tsv")))?;
        let mut out = Vec::new();
        for qid in sorted_ids(&judged) {
            let query = plain_words(&queries[qid]);
            let page = engine.search(&SearchRequest {
                query: query.clone(),
                limit: 100,
                mode: Some(SearchMode::Lexical),
                ..Default::default()
            })?;
            let qv = vectors.embed_query(&query)?;
            let scored = page
                .hits
                .iter()
                .map(|h| {
                    let missing = || anyhow::anyhow!("a passage or sentence has no vector");
                    let cos = vectors
                        .cosine(&qv, h.doc.passage_text(&h.passage))
                        .ok_or_else(missing)?;
                    let mut mean = [0.0f32; crate::embed::DIM];
                    for s in h.doc.sentences(&h.passage) {
                        let v = vectors
                            .get(&h.doc.text[s.bytes.clone()])
                            .ok_or_else(missing)?;
                        for (m, x) in mean.iter_mut().zip(v) {
                            *m += x;
                        }
                    }
                    let norm = mean.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                    let mean_cos = qv.iter().zip(&mean).map(|(q, m)| q * m).sum::<f32>() / norm;
                    Ok((h.doc.meta.id.clone(), h.score, cos, mean_cos))
                })
                .collect::<anyhow::Result<_>>()?;
            out.push((scored, judged[qid].clone()));
        }
        Ok(out)
    };
    let evaluate_with = |qs: &[(Scored100, HashMap<String, u32>)], alpha: f32, mean: bool| -> f64 {
        let total: f64 = qs
            .iter()
            .map(|(s, rel)| {
                let lexical: Vec<f32> = s.iter().map(|x| x.1).collect();
                let semantic: Vec<f32> = s.iter().map(|x| if mean { x.3 } else { x.2 }).collect();
                let fused = fuse(&lexical, &semantic, alpha);
                let mut order: Vec<usize> = (0..s.len()).collect();
                order.sort_by(|&a, &b| fused[b].total_cmp(&fused[a]).then(a.cmp(&b)));
                let mut seen = HashSet::new();
                let ranked: Vec<&str> = order
                    .iter()
                    .map(|&i| s[i].0.as_str())
                    .filter(|d| seen.insert(*d))
                    .collect();
                metrics(&ranked, rel).0
            })
            .sum();
        total / qs.len().max(1) as f64
    };
    let evaluate =
        |qs: &[(Scored100, HashMap<String, u32>)], alpha: f32| evaluate_with(qs, alpha, false);
    let train = prepare("train")?;
    println!("| α (lexical weight) | train nDCG@10 |\n|---|---|");
    let mut best = (f64::MIN, 1.0f32);
    for step in 0..=20 {
        let alpha = step as f32 * 0.05;
        let n = evaluate(&train, alpha);
        println!("| {alpha:.2} | {n:.4} |");
        if n > best.0 + 1e-9 {
            best = (n, alpha);
        }
    }
    println!("best on train: α = {:.2}; shipped ALPHA = {ALPHA}", best.1);
    let test = prepare("test")?;
    println!(
        "test ({} queries), measured once: BM25 {:.4}; cosine rerank of BM25's top 100 {:.4}; hybrid at α = {:.2}: {:.4}",
        test.len(),
        evaluate(&test, 1.0),
        evaluate(&test, 0.0),
        best.1,
        evaluate(&test, best.1)
    );
    let best_mean = (0..=20)
        .map(|k| k as f32 * 0.05)
        .map(|a| (evaluate_with(&train, a, true), a))
        .fold((f64::MIN, 1.0), |b, x| if x.0 > b.0 + 1e-9 { x } else { b });
    println!(
        "passage vector = normalised mean of its sentence vectors: train best α = {:.2} ({:.4}); test there {:.4}, cosine alone {:.4}",
        best_mean.1,
        best_mean.0,
        evaluate_with(&test, best_mean.1, true),
        evaluate_with(&test, 0.0, true)
    );
    Ok(())
}
