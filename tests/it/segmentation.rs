//! Segmentation of the seed article as a snapshot, plus value-in,
//! value-out cases.

use verbatim::ingest::parse_document;

use super::support::default_corpus;

/// Renders every passage and sentence of a document, with offsets.
fn render(path: &str) -> String {
    let raw = std::fs::read_to_string(default_corpus().join(path)).unwrap();
    let doc = parse_document(path.as_ref(), &raw).unwrap();
    let mut out = format!("{} · {} · {}\n", doc.meta.id, doc.meta.title, doc.meta.kind);
    for p in &doc.passages {
        out.push_str(&format!(
            "\n{}:p{} [{}..{}] § {}\n",
            doc.meta.id,
            p.number,
            p.span.start,
            p.span.end,
            p.section.as_deref().unwrap_or("-")
        ));
        for s in &p.sentences {
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
