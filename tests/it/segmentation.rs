//! Segmentation of the seed article as a snapshot, plus value-in,
//! value-out cases.

use verbatim::parse_document;

use super::support::default_corpus;

/// Renders every passage and sentence of a document, with offsets.
fn render(path: &str) -> String {
    let raw = std::fs::read_to_string(default_corpus().join(path)).unwrap();
    let doc = parse_document(path.as_ref(), &raw).unwrap();
    let mut out = format!("{} · {} · {}\n", doc.meta.id, doc.meta.title, doc.meta.kind);
    for p in doc.passages() {
        out.push_str(&format!(
            "\n{}:p{} [{}..{}] § {}\n",
            doc.meta.id,
            p.number,
            p.span.start,
            p.span.end,
            doc.section(&p).unwrap_or("-")
        ));
        for s in doc.sentences(&p) {
            out.push_str(&format!(
                "  s{} [{}..{}] {}\n",
                s.number,
                s.span.start,
                s.span.end,
                &doc.text[s.bytes.clone()]
            ));
        }
    }
    out
}

#[test]
fn seed_article_passages_and_sentences() {
    insta::assert_snapshot!(render("japan-ai-experiment.txt"));
}

#[test]
fn a_source_note() {
    insta::assert_snapshot!(render("source-x-com.md"));
}

/// The article is the seed text verbatim: its body hashes to the SHA-256
/// of `shared/seed/000_a16e91d6e69da06a.txt`, editing slips and all.
#[test]
fn the_seed_article_is_copied_byte_for_byte() {
    use sha2::{Digest, Sha256};
    let raw = std::fs::read_to_string(default_corpus().join("japan-ai-experiment.txt")).unwrap();
    let doc = parse_document("japan-ai-experiment.txt".as_ref(), &raw).unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(doc.text.as_bytes())),
        "deec1a812ab126a6117f59a9beaac4d3844f2a40d2f6424e3b0c969e3aa59816"
    );
}
