//! `verbatim bench scifact`: nDCG@10 and Recall@100 of the `/v1/search`
//! ranking on the BEIR SciFact test split, with trec_eval's definitions
//! (document text = title + " " + text), and queries per second; the peers'
//! script optionally in the same run.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::tokenize;
use crate::engine::{Engine, SearchRequest};
use crate::ingest::document_from_text;
use crate::model::DocMeta;
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

/// Runs the benchmark over `dir` (the BEIR scifact folder).
pub fn run(dir: &Path, split: &str, peers: Option<PathBuf>) -> anyhow::Result<()> {
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
    let judged = qrels(&dir.join("qrels").join(format!("{split}.tsv")))?;
    let index = tempfile::tempdir()?;
    let t = Instant::now();
    let n_docs = docs.len();
    let engine = Engine::build(docs, index.path())?;
    println!(
        "# verbatim bench scifact ({split} split)\nindexed {n_docs} documents in {:.2}s",
        t.elapsed().as_secs_f64()
    );
    let mut ids: Vec<&String> = judged.keys().collect();
    ids.sort();
    let (mut ndcg, mut recall) = (0.0, 0.0);
    let t = Instant::now();
    for qid in &ids {
        // The claim as plain words (as the peers do): no query syntax.
        let words: Vec<String> = tokenize(&queries[*qid])
            .into_iter()
            .map(|t| t.text)
            .collect();
        let page = engine.search(&SearchRequest {
            query: words.join(" "),
            limit: 100,
            ..Default::default()
        })?;
        let mut seen = HashSet::new();
        let ranked: Vec<&str> = page
            .hits
            .iter()
            .map(|h| h.doc.meta.id.as_str())
            .filter(|d| seen.insert(*d))
            .collect();
        let rel = &judged[*qid];
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
        ndcg += if idcg > 0.0 { dcg / idcg } else { 0.0 };
        let relevant: HashSet<&str> = rel
            .iter()
            .filter(|(_, g)| **g > 0)
            .map(|(d, _)| d.as_str())
            .collect();
        recall += ranked.iter().filter(|d| relevant.contains(**d)).count() as f64
            / relevant.len().max(1) as f64;
    }
    let secs = t.elapsed().as_secs_f64();
    let n = ids.len() as f64;
    println!(
        "{} queries: nDCG@10 {:.4}, Recall@100 {:.4}, {:.0} queries/s single-threaded",
        ids.len(),
        ndcg / n,
        recall / n,
        n / secs
    );
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
