//! The non-negotiable invariant, checked over many inputs: every text the
//! service presents is an exact slice of its document at the cited offsets.

use proptest::prelude::*;
use verbatim::fuzz::check_passages;
use verbatim::SearchRequest;
use verbatim::{segment, Markup};

use super::support::{assert_hits_slice, corpus_words, engine};

/// Checks passage and sentence offsets of `text` for both markups.
fn check_segmentation(text: &str) {
    for markup in [Markup::Plain, Markup::Markdown] {
        check_passages(text, &segment(text, markup));
    }
}

/// Text built from the pieces that stress the rules.
fn structured_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "\n",
        "\n\n",
        "\r\n",
        "  • ",
        "- ",
        "* ",
        "1. ",
        "# ",
        "## ",
        "Mr. ",
        "U.S. ",
        "Dr. ",
        "J. ",
        ". ",
        "? ",
        "! ",
        "“",
        "”",
        "’",
        "\"",
        "(",
        ")",
        "日本は。",
        "ロボット！",
        "word",
        "Word",
        "Japan",
        " ",
        "\t",
        "$6.3 billion",
        "…",
        "\u{00AD}",
        "\u{200B}",
        "é",
        "e\u{301}",
        "---",
        "+++",
        "🤖",
        "Inc.",
        "2040.",
        "\u{2028}",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn segmentation_offsets_hold_for_any_unicode(text in "\\PC{0,400}") {
        check_segmentation(&text);
    }

    #[test]
    fn segmentation_offsets_hold_for_structured_text(text in structured_text()) {
        check_segmentation(&text);
    }

    #[test]
    fn tokens_point_into_the_text(text in "\\PC{0,200}") {
        for t in verbatim::tokenize(&text) {
            prop_assert!(t.start < t.end && t.end <= text.len());
            prop_assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
            prop_assert!(!t.text.is_empty());
        }
    }
}

/// Checks that every hit's text is the document sliced at its citation,
/// and every highlight lies inside it.
pub fn check_hits(query: &str) {
    let e = engine();
    let req = SearchRequest {
        query: query.to_string(),
        limit: 100,
        ..Default::default()
    };
    let Ok(page) = e.search(&req) else { return };
    assert_hits_slice(&page, &format!("query {query:?}"));
}

#[test]
fn search_hits_are_exact_slices_for_many_queries() {
    let words = corpus_words();
    assert!(words.len() > 200);
    let mut n = 0;
    for (i, w) in words.iter().enumerate() {
        check_hits(w);
        let next = &words[(i * 7 + 3) % words.len()];
        check_hits(&format!("{w} {next}"));
        check_hits(&format!("\"{w} {next}\""));
        check_hits(&format!("+{w} -{next}"));
        n += 4;
    }
    assert!(n > 800);
}
