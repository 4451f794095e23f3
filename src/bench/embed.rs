//! `verbatim bench embed`: how fast the local embedding model runs on real
//! text (SciFact's abstracts, as passages, then as sentences), in word
//! pieces per second, single process, on the threads candle is given
//! (`RAYON_NUM_THREADS`, default all cores).

use std::path::Path;
use std::time::Instant;

use crate::embed::{default_dir, Embedder};

/// Runs the benchmark over the first `limit` SciFact documents, `batch`
/// texts per forward pass.
pub(crate) fn run(data: &Path, limit: usize, batch: usize) -> anyhow::Result<()> {
    let t = Instant::now();
    let model = Embedder::load(&default_dir())?;
    println!("# verbatim bench embed");
    println!(
        "loaded all-MiniLM-L6-v2 in {:.2}s; threads: {}",
        t.elapsed().as_secs_f64(),
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all cores".into())
    );
    let (docs, _) = super::scifact::load(data)?;
    let docs = &docs[..limit.min(docs.len())];
    let passages: Vec<&str> = docs
        .iter()
        .flat_map(|d| d.passages().map(|p| &d.text[p.bytes]))
        .collect();
    let sentences: Vec<&str> = docs
        .iter()
        .flat_map(|d| {
            d.passages().flat_map(|p| {
                d.sentences(&p)
                    .map(|s| &d.text[s.bytes])
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    println!("| texts | count | word pieces | seconds | word pieces/s | texts/s |");
    println!("|---|---|---|---|---|---|");
    for (name, texts) in [("passages", &passages), ("sentences", &sentences)] {
        let tokens: usize = texts
            .iter()
            .map(|t| model.token_count(t))
            .sum::<crate::error::Result<usize>>()?;
        let t = Instant::now();
        model.embed_all(texts, batch)?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "| {name} | {} | {tokens} | {secs:.1} | {:.0} | {:.1} |",
            texts.len(),
            tokens as f64 / secs,
            texts.len() as f64 / secs
        );
    }
    // One query at a time, as a search or a question embeds it.
    let (_, queries) = super::scifact::load(data)?;
    let mut claims: Vec<&String> = queries.values().collect();
    claims.sort();
    claims.truncate(300);
    let mut ms = Vec::with_capacity(claims.len());
    for q in &claims {
        let t = Instant::now();
        model.embed(&[q.as_str()])?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    println!(
        "one query at a time ({} SciFact claims): p50 {:.1} ms, p99 {:.1} ms",
        ms.len(),
        pct(0.5),
        pct(0.99)
    );
    Ok(())
}
