//! The document store (`index/docs.store`): a restart serves the same
//! documents, read back from the store instead of parsed, with their text
//! mapped rather than on the heap; an edited file, or a damaged store, is
//! parsed again.

use verbatim::{Engine, SearchRequest};

use super::support::corpus_of;

/// Everything a reader can see of the documents: ids, texts, versions and
/// every passage and sentence with its offsets.
fn documents(e: &Engine) -> Vec<String> {
    e.documents()
        .map(|d| {
            let mut s = format!("{} {} {:?} {}\n", d.meta.id, d.version, d.meta, d.text);
            for p in d.passages() {
                s += &format!(
                    "  p{} {:?} {:?} {:?} {:?}\n",
                    p.number,
                    p.kind,
                    p.paragraph,
                    d.section(&p),
                    p.span
                );
                for t in d.sentences(&p) {
                    s += &format!(
                        "    s{} {:?} {:?}\n",
                        t.number,
                        t.span,
                        &d.text[t.bytes.clone()]
                    );
                }
            }
            s
        })
        .collect()
}

/// Hits of `q`, each checked to be the slice of its document it cites.
fn hits(e: &Engine, q: &str) -> Vec<String> {
    let page = e
        .search(&SearchRequest {
            query: q.into(),
            limit: 20,
            ..Default::default()
        })
        .unwrap();
    page.hits
        .iter()
        .map(|h| {
            let d = e.document(&h.doc.meta.id).unwrap();
            assert_eq!(
                h.doc.passage_text(&h.passage),
                &d.text[h.passage.bytes.clone()]
            );
            format!("{} {}", h.doc.meta.id, h.passage.number)
        })
        .collect()
}

const FILES: &[(&str, &str)] = &[
    (
        "a.md",
        "---\ntitle: Robots in “Japan”\nurl: https://example.com/a\n---\n# Plan\n\nJapan’s robots work in factories. They never sleep.\n\n- Publisher: Example Press\n- Date: 2025\n",
    ),
    ("notes/b.txt", "Ünïcode notes about robots and sovereign AI.\n\nA second paragraph.\n"),
    (
        "c.jsonl",
        "{\"id\":\"c1\",\"text\":\"One line about robots.\"}\n{\"id\":\"c2\",\"title\":\"Two\",\"text\":\"Another about AI — with a dash.\"}\n",
    ),
];

#[test]
fn a_restart_serves_the_same_documents_from_the_mapped_store() {
    let corpus = corpus_of(FILES);
    let idx = tempfile::tempdir().unwrap();
    let (first, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(idx.path().join("docs.store").is_file());
    let total: usize = first.documents().map(|d| d.text.len()).sum();
    // The first start wrote the store and already serves from it.
    assert_eq!(first.text_bytes(), (total, 0));
    let (docs, robots, ai) = (
        documents(&first),
        hits(&first, "robots"),
        hits(&first, "AI"),
    );
    assert!(!robots.is_empty() && !ai.is_empty());
    drop(first);
    let (again, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert_eq!(again.text_bytes(), (total, 0));
    assert_eq!(documents(&again), docs);
    assert_eq!(hits(&again, "robots"), robots);
    assert_eq!(hits(&again, "AI"), ai);
}

#[test]
fn an_edited_file_is_parsed_again_not_served_from_the_store() {
    let corpus = corpus_of(FILES);
    let idx = tempfile::tempdir().unwrap();
    drop(Engine::open(corpus.path(), idx.path()).unwrap());
    // Same size, written at once: only the content can tell.
    let b = corpus.path().join("notes/b.txt");
    let old = std::fs::read_to_string(&b).unwrap();
    let new = old
        .replace("robots", "ROBOTS")
        .replace("sovereign", "Sovereign");
    assert_eq!(old.len(), new.len());
    std::fs::write(&b, &new).unwrap();
    let (e, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    let d = e.document("b").unwrap();
    let parsed = verbatim::parse_document(std::path::Path::new("notes/b.txt"), &new).unwrap();
    assert_eq!(d.text, parsed.text);
    assert_eq!(d.segments, parsed.segments);
    assert!(hits(&e, "Sovereign").contains(&"b 1".to_string()));
    // One file in three parsed afresh is more than a tenth: the store was
    // written again, and the next start parses nothing.
    drop(e);
    let (e, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    let total: usize = e.documents().map(|d| d.text.len()).sum();
    assert_eq!(e.text_bytes(), (total, 0));
    assert_eq!(e.document("b").unwrap().text, parsed.text);
}

#[test]
fn a_damaged_store_is_ignored_and_written_again() {
    let corpus = corpus_of(FILES);
    let idx = tempfile::tempdir().unwrap();
    let (e, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    let docs = documents(&e);
    drop(e);
    let store = idx.path().join("docs.store");
    let good = std::fs::read(&store).unwrap();
    for damage in [
        good[..good.len() / 2].to_vec(),
        good.iter().map(|b| b ^ 0x5a).collect(),
        b"not a store".to_vec(),
        Vec::new(),
    ] {
        std::fs::write(&store, &damage).unwrap();
        let (e, _) = Engine::open(corpus.path(), idx.path()).unwrap();
        assert_eq!(documents(&e), docs);
        assert_eq!(std::fs::read(&store).unwrap(), good, "rewritten whole");
    }
}
