//! `verbatim bench generate`: a large corpus made of real text, for scale
//! measurements. SciFact abstracts (or a corpus folder's documents, for
//! the tests' smoke run) are split into sentences, and new
//! documents are assembled from sentences drawn at random (seeded), in
//! paragraphs of 2 to 5 sentences. Written as JSON Lines files of 10,000
//! documents each, so `verbatim index` reads them through the importer.

use std::io::Write;
use std::path::Path;

use super::Rng;
use crate::segment::split_sentences;

/// Where the sentences come from.
pub(crate) enum Source<'a> {
    /// SciFact's `corpus.jsonl`: abstracts split into sentences.
    SciFact(&'a Path),
    /// The documents of a corpus folder, as verbatim segments them.
    Corpus(&'a Path),
}

/// The sentences of `source`.
fn sentences(source: &Source<'_>) -> anyhow::Result<Vec<String>> {
    let mut sentences: Vec<String> = Vec::new();
    match source {
        Source::SciFact(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line)?;
                let body = v["text"].as_str().unwrap_or_default();
                sentences.extend(
                    split_sentences(body)
                        .into_iter()
                        .map(|r| body[r].to_string()),
                );
            }
        }
        Source::Corpus(dir) => {
            for d in crate::ingest::load_corpus(dir)?.documents {
                for p in d.passages().filter(|p| p.kind.answers()) {
                    sentences.extend(d.sentences(&p).map(|s| d.text[s.bytes].to_string()));
                }
            }
        }
    }
    Ok(sentences)
}

/// Writes about `passages` passages of sentences from `source`,
/// recombined, to `out`.
pub(crate) fn run(
    source: Source<'_>,
    passages: usize,
    out: &Path,
    seed: u64,
) -> anyhow::Result<()> {
    let sentences = sentences(&source)?;
    anyhow::ensure!(sentences.len() >= 20, "too few sentences to recombine");
    std::fs::create_dir_all(out)?;
    let mut rng = Rng::new(seed);
    let (mut made, mut doc_no, mut bytes) = (0usize, 0usize, 0usize);
    let mut file: Option<std::io::BufWriter<std::fs::File>> = None;
    while made < passages {
        if doc_no % 10_000 == 0 {
            if let Some(mut f) = file.take() {
                f.flush()?;
            }
            let path = out.join(format!("generated-{:05}.jsonl", doc_no / 10_000));
            file = Some(std::io::BufWriter::new(std::fs::File::create(path)?));
        }
        let paragraphs = (3 + rng.below(8)).min(passages - made);
        let mut body = String::new();
        for p in 0..paragraphs {
            if p > 0 {
                body.push_str("\n\n");
            }
            let n = 2 + rng.below(4);
            let para: Vec<&str> = (0..n)
                .map(|_| sentences[rng.below(sentences.len())].as_str())
                .collect();
            body.push_str(&para.join(" "));
        }
        let line = serde_json::json!({"id": format!("gen-{doc_no}"), "title": format!("Generated document {doc_no}"), "text": body, "kind": "generated"});
        let f = file.as_mut().expect("file is open");
        serde_json::to_writer(&mut *f, &line)?;
        f.write_all(b"\n")?;
        bytes += body.len();
        made += paragraphs;
        doc_no += 1;
    }
    if let Some(mut f) = file {
        f.flush()?;
    }
    println!(
        "wrote {doc_no} documents, {made} passages, {:.1} MB of text from {} sentences into {}",
        bytes as f64 / 1e6,
        sentences.len(),
        out.display()
    );
    Ok(())
}
