//! Atomic, generational builds: staleness, interruption, recovery.

use verbatim::Error;
use verbatim::{Engine, IndexState, SearchRequest};

use super::support::corpus_of;

fn total(e: &Engine, q: &str) -> usize {
    e.search(&SearchRequest {
        query: q.into(),
        limit: 10,
        ..Default::default()
    })
    .unwrap()
    .total
}

#[test]
fn a_stale_index_is_updated_in_place_and_says_why() {
    let corpus = corpus_of(&[("a.md", "Alpha beta.")]);
    let idx = tempfile::tempdir().unwrap();
    let (e, s) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert_eq!(s, IndexState::Rebuilt("no index yet".into()));
    assert_eq!(total(&e, "gamma"), 0);
    drop(e);
    let (_, s) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert_eq!(s, IndexState::Fresh, "unchanged corpus: no rebuild");
    let gen = verbatim::current_generation(idx.path()).unwrap();
    std::fs::write(corpus.path().join("a.md"), "Alpha gamma.").unwrap();
    let (e, s) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(
        matches!(s, IndexState::Updated(ref r) if r.contains("1 changed")),
        "{s:?}"
    );
    assert_eq!(total(&e, "gamma"), 1);
    assert_eq!(total(&e, "beta"), 0, "the old version of a.md is gone");
    std::fs::write(corpus.path().join("b.txt"), "Gamma again.").unwrap();
    let (e, s) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(matches!(s, IndexState::Updated(_)), "{s:?}");
    assert_eq!(total(&e, "gamma"), 2);
    std::fs::remove_file(corpus.path().join("a.md")).unwrap();
    let (e, s) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(
        matches!(s, IndexState::Updated(ref r) if r.contains("1 removed")),
        "{s:?}"
    );
    assert_eq!(total(&e, "gamma"), 1);
    assert_eq!(
        verbatim::current_generation(idx.path()).unwrap(),
        gen,
        "changes were applied in place, with no rebuild"
    );
    let c = verbatim::load_corpus(corpus.path()).unwrap();
    let s = verbatim::ensure_index(&c, idx.path(), true, &mut |_| Ok(())).unwrap();
    assert_eq!(s, IndexState::Rebuilt("rebuild requested".into()));
}

#[test]
fn an_interrupted_build_leaves_the_old_index_readable() {
    let corpus = corpus_of(&[
        ("a.md", "Old text about robots."),
        ("b.md", "More old text."),
    ]);
    let idx = tempfile::tempdir().unwrap();
    let (old, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert_eq!(total(&old, "robots"), 1);

    // A new corpus whose build fails after its first document.
    std::fs::write(corpus.path().join("a.md"), "New text about cars.").unwrap();
    let c = verbatim::load_corpus(corpus.path()).unwrap();
    let r = verbatim::build_index(
        idx.path(),
        &c.documents,
        &c.files,
        &verbatim::fingerprint(&c.files),
        &mut |n| {
            if n >= 1 {
                Err(Error::Aborted("simulated crash".into()))
            } else {
                Ok(())
            }
        },
    );
    assert!(matches!(r, Err(Error::Aborted(_))));
    // The running engine still answers from its generation...
    assert_eq!(total(&old, "robots"), 1);
    // ...and a fresh open still finds the old generation live (then rebuilds, as the corpus changed).
    let live = verbatim::open_index(idx.path()).unwrap();
    assert_eq!(live.manifest().unwrap().documents, 2);
    assert_ne!(
        live.manifest().unwrap().fingerprint,
        verbatim::fingerprint(&c.files)
    );
    // No half-built directory is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(idx.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".build-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_crashed_build_directory_is_ignored_and_cleaned() {
    let corpus = corpus_of(&[("a.md", "Text.")]);
    let idx = tempfile::tempdir().unwrap();
    Engine::open(corpus.path(), idx.path()).unwrap();
    // What a SIGKILLed build leaves: a half-written directory of a dead process.
    let junk = idx.path().join(".build-999999999-1");
    std::fs::create_dir(&junk).unwrap();
    std::fs::write(junk.join("meta.json"), "{ half").unwrap();
    let (_, s) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert_eq!(s, IndexState::Fresh);
    std::fs::write(corpus.path().join("a.md"), "Changed.").unwrap();
    Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(
        !junk.exists(),
        "the next build removes abandoned build directories"
    );
}

#[test]
fn an_unreadable_index_is_rebuilt() {
    let corpus = corpus_of(&[("a.md", "Text about robots.")]);
    let idx = tempfile::tempdir().unwrap();
    Engine::open(corpus.path(), idx.path()).unwrap();
    let gen = verbatim::current_generation(idx.path()).unwrap();
    std::fs::remove_file(gen.join("meta.json")).unwrap();
    let (e, s) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(
        matches!(s, IndexState::Rebuilt(ref r) if r.contains("unreadable")),
        "{s:?}"
    );
    assert_eq!(total(&e, "robots"), 1);
}

#[test]
fn concurrent_builders_do_not_break_each_other() {
    let corpus = corpus_of(&[("a.md", "Robots everywhere."), ("b.md", "More robots.")]);
    let idx = tempfile::tempdir().unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    Engine::open(corpus.path(), idx.path()).map(|(e, _)| total(&e, "robots"))
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap(), 2);
        }
    });
    let gens = std::fs::read_dir(idx.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .count();
    assert_eq!(
        gens, 1,
        "one build; the others found the index fresh under the lock"
    );
}

/// git's "racily clean" case: an edit of the same size that keeps the
/// modification time (a coarse clock, or an edit in the same tick as the
/// read) must still be seen, so size and time never vouch for a hash taken
/// within moments of the file's last change.
#[test]
fn a_same_size_edit_within_the_clock_tick_is_not_missed() {
    let corpus = corpus_of(&[("a.md", "Alpha beta.")]);
    let idx = tempfile::tempdir().unwrap();
    let path = corpus.path().join("a.md");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    drop(Engine::open(corpus.path(), idx.path()).unwrap());
    std::fs::write(&path, "Alpha gamma").unwrap(); // the same 11 bytes
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let (e, s) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(matches!(s, IndexState::Updated(_)), "{s:?}");
    assert_eq!(total(&e, "gamma"), 1);
    assert_eq!(total(&e, "beta"), 0);
}
