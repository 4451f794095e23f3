//! Shared fixtures: the repo's default corpus, temporary corpora and engines.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use verbatim::engine::Engine;

/// The repository's default corpus.
pub fn default_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// An engine over the default corpus with its index in a temp dir, shared
/// by every test in the process (it is read-only).
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(Engine, tempfile::TempDir)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let (e, _) = Engine::open(&default_corpus(), dir.path()).unwrap();
            (e, dir)
        })
        .0
}

/// A temporary corpus made of `(file name, contents)` pairs.
pub fn corpus_of(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// Every word of the default corpus texts (lowercased, ASCII letters), for
/// generating queries.
pub fn corpus_words() -> Vec<String> {
    let mut words: Vec<String> = engine()
        .documents()
        .iter()
        .flat_map(|d| {
            d.text
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .filter(|w| w.len() > 2)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// Percent-encodes everything but ASCII letters and digits.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
