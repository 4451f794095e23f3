//! The answer reader: a cross-encoder that reads a question and one
//! candidate sentence together and scores how likely the sentence answers
//! it. It is the sentence encoder's architecture fine-tuned on SQuAD
//! tuning data (`scripts/reader/train.py`, `models/reader-minilm-l6/`):
//! `question [SEP] sentence [SEP] the start of the sentence before` is
//! tokenized as one text, encoded, mean-pooled and normalised exactly as an
//! embedding is, and one linear unit turns that vector into a logit. No IO
//! beyond loading; no network ever.

use std::path::Path;

use super::{model_dir, model_error, read_pinned, Embedder, Result, DIM};

/// The vendored reader's folder name under `models/`.
pub(crate) const READER_DIR: &str = "reader-minilm-l6";

/// The reader's encoder files and their pinned SHA-256 (see
/// `models/reader-minilm-l6/README.md`). The tokenizer and configuration
/// are the sentence encoder's, unchanged.
const FILES: [(&str, &str); 3] = [
    (
        "model.safetensors",
        "42c8300e5482df63d6a27f65fab8db7bd2ee82588f44b9a8b5c3a1ded57aad49",
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

/// The head: the linear unit's weights and bias, as training wrote them
/// (with its own estimate of the operating point, `threshold`, which the
/// served path does not use: `answer` chooses its own on the served
/// candidates of the same validation articles).
const HEAD: (&str, &str) = (
    "head.json",
    "558cce4b5167cd1941e9371ecdb7363402dc92926d41f03b46bfd458f8a2a4e7",
);

/// What `head.json` holds.
#[derive(serde::Deserialize)]
struct Head {
    /// One weight per dimension of the pooled vector.
    weight: Vec<f32>,
    /// The bias.
    bias: f32,
    /// Words of the sentence before a candidate that the weights were
    /// trained to read after it (0, or absent: the candidate alone).
    #[serde(default)]
    context_words: usize,
}

/// One candidate the reader reads with the question.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pair<'a> {
    /// The candidate sentence.
    pub(crate) sentence: &'a str,
    /// The sentence before it in its passage ("" for a passage's first):
    /// what a pronoun in the candidate usually points back to.
    pub(crate) before: &'a str,
}

/// A loaded reader.
pub(crate) struct Reader {
    /// The fine-tuned encoder.
    encoder: Embedder,
    /// The linear unit's weights over the pooled vector.
    weight: [f32; DIM],
    /// The linear unit's bias.
    bias: f32,
    /// Words of the sentence before a candidate read after it, as trained
    /// (`head.json`): the pair text must be the one training built.
    context_words: usize,
}

/// Most pairs per forward pass. One pass runs on one thread, so one
/// question's candidates are split into as many passes as the pool has
/// threads ([`Reader::logits`]): on two cores, 8 pairs run as two passes
/// of 4 side by side.
const BATCH: usize = 16;

impl Reader {
    /// The vendored reader (`models/reader-minilm-l6`).
    pub(crate) fn load_default() -> Result<Reader> {
        Reader::load(&model_dir(READER_DIR))
    }

    /// The reader in `dir`, every file checked against its pinned SHA-256.
    pub(crate) fn load(dir: &Path) -> Result<Reader> {
        let head_path = dir.join(HEAD.0);
        let head: Head = serde_json::from_slice(&read_pinned(&head_path, HEAD.1)?)
            .map_err(|e| model_error(&head_path, e))?;
        let weight: [f32; DIM] = head
            .weight
            .try_into()
            .map_err(|_| model_error(&head_path, format!("weight must have {DIM} values")))?;
        Ok(Reader {
            encoder: Embedder::load_pinned(dir, &FILES)?,
            weight,
            bias: head.bias,
            context_words: head.context_words,
        })
    }

    /// The reader's logit for each pair as an answer to `question`, in
    /// order: higher is likelier.
    pub(crate) fn logits(&self, question: &str, pairs: &[Pair<'_>]) -> Result<Vec<f32>> {
        let pairs: Vec<String> = pairs
            .iter()
            .map(|&p| pair_text(question, p, self.context_words))
            .collect();
        let texts: Vec<&str> = pairs.iter().map(String::as_str).collect();
        Ok(self
            .encoder
            .embed_all(
                &texts,
                texts
                    .len()
                    .div_ceil(rayon::current_num_threads())
                    .clamp(1, BATCH),
            )?
            .iter()
            .map(|v| v.iter().zip(&self.weight).map(|(a, b)| a * b).sum::<f32>() + self.bias)
            .collect())
    }

    /// Word pieces the reader reads for one pair (for cost reports).
    pub(crate) fn pair_tokens(&self, question: &str, pair: Pair<'_>) -> Result<usize> {
        self.encoder
            .token_count(&pair_text(question, pair, self.context_words))
    }
}

/// The text the reader reads for one pair: `question [SEP] sentence`, then
/// `[SEP]` and the first `context_words` words of the sentence before, when
/// there is one (`pair_text` in `scripts/reader/train.py` builds the same).
fn pair_text(question: &str, pair: Pair<'_>, context_words: usize) -> String {
    let mut context = pair.before.split_whitespace().take(context_words);
    let mut text = format!("{question} [SEP] {}", pair.sentence);
    if let Some(first) = context.next() {
        text.push_str(" [SEP] ");
        text.push_str(first);
        for word in context {
            text.push(' ');
            text.push_str(word);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> &'static Reader {
        static R: std::sync::OnceLock<Reader> = std::sync::OnceLock::new();
        R.get_or_init(|| Reader::load_default().expect("the vendored reader loads"))
    }

    /// The logits training computed for fixed pairs with the same f16
    /// weights (`probe.json`, written by `scripts/reader/train.py`): the
    /// Rust encoder reads what PyTorch trained.
    #[test]
    fn logits_match_the_training_implementation() {
        #[derive(serde::Deserialize)]
        struct Probe {
            question: String,
            sentence: String,
            #[serde(default)]
            before: String,
            logit: f32,
        }
        let probes: Vec<Probe> = serde_json::from_slice(
            &std::fs::read(model_dir(READER_DIR).join("probe.json")).unwrap(),
        )
        .unwrap();
        assert!(probes.len() >= 3);
        fn pair(p: &Probe) -> Pair<'_> {
            Pair {
                sentence: &p.sentence,
                before: &p.before,
            }
        }
        for p in &probes {
            let got = reader().logits(&p.question, &[pair(p)]).unwrap()[0];
            assert!(
                (got - p.logit).abs() < 2e-3,
                "{}: {got} vs {}",
                p.sentence,
                p.logit
            );
        }
        // Batched with others, each pair scores as alone.
        let q = &probes[0].question;
        let all: Vec<Pair> = probes.iter().map(pair).collect();
        let together = reader().logits(q, &all).unwrap();
        let alone = reader().logits(q, &all[..1]).unwrap();
        assert!((together[0] - alone[0]).abs() < 1e-4);
    }

    /// The pair text is training's: the context is the first words of the
    /// sentence before, spaces collapsed, and nothing when there is none or
    /// the weights read none.
    #[test]
    fn the_pair_text_is_the_one_training_builds() {
        let pair = Pair {
            sentence: "He moved there.",
            before: "Tesla  left\nParis in 1884 for New York.",
        };
        assert_eq!(
            pair_text("Where did Tesla go?", pair, 4),
            "Where did Tesla go? [SEP] He moved there. [SEP] Tesla left Paris in"
        );
        assert_eq!(
            pair_text("Where did Tesla go?", pair, 0),
            "Where did Tesla go? [SEP] He moved there."
        );
        let first = Pair {
            before: " ",
            ..pair
        };
        assert_eq!(
            pair_text("Where did Tesla go?", first, 4),
            "Where did Tesla go? [SEP] He moved there."
        );
    }

    #[test]
    fn a_missing_or_corrupt_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = Reader::load(dir.path()).err().unwrap().to_string();
        assert!(err.contains("head.json"), "{err}");
        for name in FILES.iter().map(|f| f.0).chain([HEAD.0]) {
            std::fs::copy(model_dir(READER_DIR).join(name), dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("model.safetensors"), b"not weights").unwrap();
        let err = Reader::load(dir.path()).err().unwrap().to_string();
        assert!(
            err.contains("model.safetensors") && err.contains("SHA-256"),
            "{err}"
        );
    }
}
