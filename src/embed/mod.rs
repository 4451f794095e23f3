//! The sentence-embedding model: all-MiniLM-L6-v2 run in-process with
//! candle (BERT forward pass) and the `tokenizers` crate (WordPiece), mean
//! pooling over the attention mask, then L2 normalisation, so the cosine of
//! two embeddings is their dot product.
//!
//! The model lives in a folder (`models/all-minilm-l6-v2/` by default):
//! `model.safetensors` (f16 weights), `tokenizer.json` and `config.json`.
//! Loading checks each file's SHA-256 against the values pinned here, so a
//! missing, truncated or swapped file is a start-up error that names the
//! file, never a model that quietly computes something else. No IO beyond
//! loading; no network ever.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tokenizers::{Encoding, Tokenizer, TruncationParams};

use crate::error::{Error, Result};

mod bert;
mod fastmath;
pub(crate) mod reader;

/// Dimensions of an embedding.
pub(crate) const DIM: usize = 384;

/// Longest input in word pieces; the rest of a longer text is not read
/// (sentence-transformers' `max_seq_length` for this model).
pub(crate) const MAX_TOKENS: usize = 256;

/// The files of the model and their pinned SHA-256 (see
/// `models/all-minilm-l6-v2/README.md` for their provenance).
const FILES: [(&str, &str); 3] = [
    (
        "model.safetensors",
        "0a1a8cceaad135500a9a8d35712f74c3dbee1d5dac6dd0198e068526163f8a5a",
    ),
    (
        "tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    (
        "config.json",
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ),
];

/// The default model folder: `models/all-minilm-l6-v2` under the working
/// directory when it is there, else under the source tree the binary was
/// built from (so `cargo run` and the tests find it from any directory).
pub(crate) fn default_dir() -> PathBuf {
    model_dir("all-minilm-l6-v2")
}

/// The folder of the vendored model `name`: under `models/` in the working
/// directory when it is there, else in the source tree.
pub(crate) fn model_dir(name: &str) -> PathBuf {
    let rel = Path::new("models").join(name);
    if rel.is_dir() {
        rel
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
    }
}

/// A loaded model, ready to embed. Embedding is CPU-bound and synchronous.
pub(crate) struct Embedder {
    /// The BERT encoder.
    model: bert::Bert,
    /// WordPiece tokenizer, truncating at [`MAX_TOKENS`] (padding is added
    /// per batch, in [`Embedder::forward`]).
    tokenizer: Tokenizer,
}

/// Word pieces (padding included) in one forward pass of [`Embedder::embed_all`]:
/// enough to keep the matrix products busy, few enough that a batch of
/// long texts does not allocate attention scores by the hundred megabytes.
const TOKENS_PER_BATCH: usize = 2048;

/// The bytes of `path`, checked to have SHA-256 `sha`: a missing, truncated
/// or swapped file is an error naming it.
fn read_pinned(path: &Path, sha: &str) -> Result<Vec<u8>> {
    let b = std::fs::read(path).map_err(|e| model_error(path, e))?;
    let got = hex::encode(Sha256::digest(&b));
    if got != sha {
        return Err(model_error(
            path,
            format!("SHA-256 is {got}, expected {sha}: the file is corrupt or another model"),
        ));
    }
    Ok(b)
}

fn model_error(file: &Path, message: impl std::fmt::Display) -> Error {
    Error::Model {
        file: file.to_path_buf(),
        message: message.to_string(),
    }
}

impl Embedder {
    /// Loads the model in `dir`, checking every file first.
    pub(crate) fn load(dir: &Path) -> Result<Embedder> {
        Embedder::load_pinned(dir, &FILES)
    }

    /// Loads a model of this architecture from `dir`: `files` names its
    /// weights, tokenizer and configuration, in that order, each with the
    /// SHA-256 it must have.
    fn load_pinned(dir: &Path, files: &[(&str, &str); 3]) -> Result<Embedder> {
        let mut bytes = Vec::with_capacity(files.len());
        for (name, sha) in files {
            let path = dir.join(name);
            bytes.push((path.clone(), read_pinned(&path, sha)?));
        }
        let [(weights_path, weights), (tok_path, tok), (cfg_path, cfg)] =
            <[_; 3]>::try_from(bytes).map_err(|_| model_error(dir, "missing files"))?;
        let config: bert::Config =
            serde_json::from_slice(&cfg).map_err(|e| model_error(&cfg_path, e))?;
        let mut tokenizer = Tokenizer::from_bytes(&tok).map_err(|e| model_error(&tok_path, e))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| model_error(&tok_path, e))?;
        // tokenizer.json pads every text to 128 pieces; padding is added per
        // batch instead, to the batch's longest text.
        tokenizer.with_padding(None);
        let model =
            bert::Bert::load(&weights, &config).map_err(|e| model_error(&weights_path, e))?;
        if model.hidden() != DIM {
            return Err(model_error(&cfg_path, format!("hidden_size is not {DIM}")));
        }
        Ok(Embedder { model, tokenizer })
    }

    /// The unit-length embedding of each text, in order, in one forward
    /// pass (padded to the longest).
    pub(crate) fn embed(&self, texts: &[&str]) -> Result<Vec<[f32; DIM]>> {
        let encodings = self.encode(texts)?;
        self.forward(&encodings.iter().collect::<Vec<_>>())
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Encoding>> {
        self.tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Embedding(e.to_string()))
    }

    /// One forward pass over encodings padded to the same width.
    fn forward(&self, encodings: &[&Encoding]) -> Result<Vec<[f32; DIM]>> {
        let Some(width) = encodings.iter().map(|e| e.get_ids().len()).max() else {
            return Ok(Vec::new());
        };
        let mut ids = Vec::with_capacity(encodings.len() * width);
        let mut mask = Vec::with_capacity(encodings.len() * width);
        for e in encodings {
            let pad = width - e.get_ids().len();
            ids.extend(
                e.get_ids()
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, pad)),
            );
            mask.extend(
                e.get_attention_mask()
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, pad)),
            );
        }
        let hidden = self
            .model
            .forward(&ids, &mask, encodings.len(), width)
            .map_err(|e| Error::Embedding(e.to_string()))?;
        Ok(fastmath::mean_pool::<DIM>(&hidden, &mask, width))
    }

    /// The embeddings of many texts, in order. Texts are tokenized first
    /// and batched by length, at most `batch` texts and about
    /// [`TOKENS_PER_BATCH`] word pieces a pass, so a batch pads little and a
    /// short text never waits for padding up to a long neighbour's length.
    /// Batches run side by side on the thread pool: a whole batch per
    /// thread scales better than one batch's matrix products split across
    /// threads (SciFact, two cores, `verbatim bench embed --limit 500`:
    /// passages 9,000 word pieces/s against 7,100-7,300 one batch at a
    /// time; sentences about 10,000 against 8,500-9,400).
    pub(crate) fn embed_all(&self, texts: &[&str], batch: usize) -> Result<Vec<[f32; DIM]>> {
        let encodings = self.encode(texts)?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());
        let mut batches: Vec<&[usize]> = Vec::new();
        let mut rest = &order[..];
        while !rest.is_empty() {
            // Sorted by length, so a batch's last text is its widest.
            let mut take = 1;
            while take < rest.len()
                && take < batch.max(1)
                && (take + 1) * encodings[rest[take]].get_ids().len() <= TOKENS_PER_BATCH
            {
                take += 1;
            }
            let (chunk, tail) = rest.split_at(take);
            batches.push(chunk);
            rest = tail;
        }
        let vectors: Vec<Vec<[f32; DIM]>> = batches
            .par_iter()
            .map(|chunk| self.forward(&chunk.iter().map(|&i| &encodings[i]).collect::<Vec<_>>()))
            .collect::<Result<_>>()?;
        let mut out = vec![[0.0; DIM]; texts.len()];
        for (chunk, vs) in batches.iter().zip(vectors) {
            for (&i, v) in chunk.iter().zip(vs) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// Word pieces of `text` the model reads (at most [`MAX_TOKENS`]).
    pub(crate) fn token_count(&self, text: &str) -> Result<usize> {
        let e = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| Error::Embedding(e.to_string()))?;
        Ok(e.get_attention_mask().iter().filter(|&&m| m == 1).count())
    }
}

/// Cosine of two unit-length embeddings: their dot product.
/// Whether the model can judge `text`: it was trained on English, so a
/// text whose letters are mostly of other scripts (CJK, Thai, Cyrillic…)
/// gets no vector-based judgement (its word pieces are mostly unknown).
pub(crate) fn reads(text: &str) -> bool {
    let (mut latin, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        if c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(&c) {
            latin += 1;
        } else {
            other += 1;
        }
    }
    latin > 0 && latin >= other
}

#[cfg(test)]
pub(crate) fn cosine(a: &[f32; DIM], b: &[f32; DIM]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedder() -> &'static Embedder {
        static E: std::sync::OnceLock<Embedder> = std::sync::OnceLock::new();
        E.get_or_init(|| Embedder::load(&default_dir()).expect("the vendored model loads"))
    }

    /// Reference values from an independent implementation
    /// (sentence-transformers), quoted in issue 14.
    #[test]
    fn it_reads_latin_script_only() {
        assert!(reads("Who leads the AI Strategy Headquarters?"));
        assert!(reads("Qu'a dit le ministre à Genève ?"));
        assert!(!reads("日本の人工知能計画は誰が率いていますか"));
        assert!(!reads("1,000,000 ¥"));
    }

    #[test]
    fn cosines_match_the_reference_implementation() {
        let v = embedder()
            .embed(&[
                "A man is eating food.",
                "A man is eating a piece of bread.",
                "A monkey is playing drums.",
            ])
            .unwrap();
        let near = cosine(&v[0], &v[1]);
        let far = cosine(&v[0], &v[2]);
        assert!((near - 0.7553).abs() < 0.002, "{near}");
        assert!((far - 0.0476).abs() < 0.002, "{far}");
    }

    #[test]
    fn embeddings_are_unit_length_and_independent_of_the_batch() {
        let e = embedder();
        let alone = e.embed(&["Sovereign AI"]).unwrap();
        let batch = e
            .embed(&[
                "a much longer text that pads the batch, word after word",
                "Sovereign AI",
            ])
            .unwrap();
        let norm: f32 = alone[0].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
        assert!(cosine(&alone[0], &batch[1]) > 0.9999);
    }

    /// Values computed by candle-transformers' BERT (the implementation
    /// this encoder replaced, itself matching sentence-transformers on the
    /// two cosines above) for the same model files: the first dimensions
    /// of two embeddings and the cosine of a question-like and a
    /// sentence-like text, within 1e-4.
    #[test]
    fn embeddings_match_the_previous_implementation() {
        let long = "Japan's government committed roughly 1 trillion yen (about $6.3 billion) \
                    to the venture, which SoftBank, Sony, NEC and Honda are leading.";
        let v = embedder()
            .embed(&["A man is eating food.", "Sovereign AI", long])
            .unwrap();
        let first = [
            0.033169407,
            0.0044351392,
            -0.0062440806,
            0.048391487,
            -0.13878493,
        ];
        for (got, want) in v[0].iter().zip(first) {
            assert!((got - want).abs() < 1e-4, "{:?}", &v[0][..5]);
        }
        let sovereign = [
            -0.057596732,
            0.017143553,
            0.041978408,
            -0.07412713,
            0.023395399,
        ];
        for (got, want) in v[1].iter().zip(sovereign) {
            assert!((got - want).abs() < 1e-4, "{:?}", &v[1][..5]);
        }
        assert!((cosine(&v[1], &v[2]) - 0.20254).abs() < 1e-4);
    }

    #[test]
    fn batching_by_length_keeps_the_order() {
        let e = embedder();
        let texts = [
            "a long sentence about robots in Japanese factories",
            "AI",
            "chips",
        ];
        let all = e.embed_all(&texts, 2).unwrap();
        for (t, v) in texts.iter().zip(&all) {
            assert!(cosine(v, &e.embed(&[t]).unwrap()[0]) > 0.9999, "{t}");
        }
    }

    #[test]
    fn long_texts_are_truncated_not_rejected() {
        let e = embedder();
        let long = "word ".repeat(2000);
        assert_eq!(e.token_count(&long).unwrap(), MAX_TOKENS);
        assert_eq!(e.embed(&[long.as_str()]).unwrap().len(), 1);
    }

    #[test]
    fn a_missing_or_corrupt_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = Embedder::load(dir.path()).err().unwrap().to_string();
        assert!(err.contains("model.safetensors"), "{err}");
        for (name, _) in FILES {
            std::fs::copy(default_dir().join(name), dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("tokenizer.json"), b"{}").unwrap();
        let err = Embedder::load(dir.path()).err().unwrap().to_string();
        assert!(
            err.contains("tokenizer.json") && err.contains("SHA-256"),
            "{err}"
        );
    }
}
