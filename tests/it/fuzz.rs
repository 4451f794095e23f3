//! The fuzz harnesses (`verbatim::fuzz`) in CI: every seed and every crash
//! file in `fuzz/seeds/<target>/`, then a short proptest run per target of
//! random bytes and of seeds with random byte edits. The long runs are
//! cargo-fuzz's, outside CI (README.md, "Fuzzing").

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use verbatim::fuzz::TARGETS;

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

fn harness(target: &str) -> verbatim::fuzz::Harness {
    TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"))
        .1
}

#[test]
fn every_target_has_seeds_and_a_cargo_fuzz_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, _) in TARGETS {
        assert!(!seeds(name).is_empty(), "{name} has no seeds");
        assert!(
            root.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .exists(),
            "{name} has no cargo-fuzz target"
        );
    }
}

#[test]
fn seeds_replay_cleanly() {
    for (name, run) in TARGETS {
        for (path, bytes) in seeds(name) {
            let result = std::panic::catch_unwind(|| run(&bytes));
            assert!(result.is_ok(), "{name} fails on {}", path.display());
        }
    }
}

/// A seed of `target` with up to 16 bytes overwritten, inserted or removed.
fn mutated(target: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let all = seeds(target);
    (
        0..all.len(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..16),
    )
        .prop_map(move |(i, edits)| {
            let mut b = all[i].1.clone();
            for (at, byte, op) in edits {
                if b.is_empty() {
                    b.push(byte);
                    continue;
                }
                let at = at.index(b.len());
                match op {
                    0 => b[at] = byte,
                    1 => b.insert(at, byte),
                    _ => {
                        b.remove(at);
                    }
                }
            }
            b
        })
}

fn inputs(target: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        any::<String>().prop_map(String::into_bytes),
        mutated(target),
    ]
}

macro_rules! fuzz_tests {
    ($($test:ident => $target:literal),* $(,)?) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]
            $(
                #[test]
                fn $test(data in inputs($target)) {
                    harness($target)(&data);
                }
            )*
        }
    };
}

fuzz_tests! {
    fuzz_query => "query",
    fuzz_quote => "quote",
    fuzz_draft => "draft",
    fuzz_front_matter => "front_matter",
    fuzz_segment => "segment",
    fuzz_html => "html",
    fuzz_pdf => "pdf",
    fuzz_corpus_file => "corpus_file",
}
