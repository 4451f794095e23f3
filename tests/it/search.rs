//! Search semantics, data-driven: `check(query, expect)` compares the
//! matching passage ids (in rank order) with what a reader would expect.

use verbatim::SearchRequest;
use verbatim::{Filters, SearchMode};

use super::support::engine;

/// Ids of every matching passage, best first by BM25 (the expectations
/// below are about lexical matching), and the exact total.
fn ids(query: &str, filters: Filters) -> (usize, Vec<String>) {
    let req = SearchRequest {
        query: query.into(),
        limit: 100,
        offset: 0,
        filters,
        mode: Some(SearchMode::Lexical),
    };
    let page = engine()
        .search(&req)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let ids = page
        .hits
        .iter()
        .map(|h| format!("{}:p{}", h.doc.meta.id, h.passage.number))
        .collect();
    (page.total, ids)
}

const A: &str = "japan-ai-experiment";

/// `expect` lists passage ids (article passages as `pN`) that must be the
/// whole result set, in order when `ordered`.
fn check(query: &str, expect: &[&str], ordered: bool) {
    let (total, got) = ids(query, Filters::default());
    let want: Vec<String> = expect
        .iter()
        .map(|e| {
            if e.starts_with('p') {
                format!("{A}:{e}")
            } else {
                e.to_string()
            }
        })
        .collect();
    assert_eq!(total, got.len(), "{query}: total must be exact");
    if ordered {
        assert_eq!(got, want, "{query}");
    } else {
        let (mut g, mut w) = (got.clone(), want.clone());
        g.sort();
        w.sort();
        assert_eq!(g, w, "{query}");
    }
}

#[test]
fn phrases_match_exactly_and_typography_folds() {
    // The bullet first, then the body mention.
    check("\"sovereign AI\"", &["p3", "p14"], true);
    // Straight quotes and apostrophes in the query find curly ones in the text.
    check("\"Japan's Big AI\"", &[], true); // a heading, not a passage
    check("\"Japan's semiconductor industry\"", &["p7"], true);
    check("“physical AI”", &["p4", "p10"], false);
    // Hyphen, en dash and em dash variants all match the hyphenated text.
    check(
        "\"1–trillion–parameter\"",
        &["p4", "p13", "source-arxiv-org:p6"],
        false,
    );
    check(
        "\"1-trillion-parameter\"",
        &["p4", "p13", "source-arxiv-org:p6"],
        false,
    );
    check("\"AI—enabled robots\"", &["p5"], true);
}

#[test]
fn phrases_are_unstemmed_but_words_are_stemmed() {
    // "robot" as a word also finds "robots" and "robotics".
    let (_, stemmed) = ids("robot", Filters::default());
    assert!(stemmed.contains(&format!("{A}:p5")), "{stemmed:?}"); // "10 million AI-enabled robots"
                                                                  // As a phrase, only the exact word counts: "robot movements", "robot motors", "robot interacting".
    check("\"robot\"", &["p1", "p10", "p14"], false);
    let notes = [
        "asia-nikkei-com",
        "channelnewsasia-com",
        "finimize-com",
        "insiderpaper-com",
        "x-com",
    ]
    .map(|n| format!("source-{n}:p6"));
    let mut expect = vec!["p5", "p8", "p11", "p13"];
    expect.extend(notes.iter().map(String::as_str));
    check("\"robots\"", &expect, false);
}

#[test]
fn required_excluded_and_boolean() {
    let (all, _) = ids("Honda", Filters::default());
    assert_eq!(all, 3);
    check("Honda -Sony", &[], true);
    check("Honda NOT Sony", &[], true);
    check("NOT Sony Honda", &[], true);
    check("+Honda +April", &["p9"], true);
    check("Honda AND April", &["p9"], true);
    let (or_total, _) = ids("Honda OR Finimize", Filters::default());
    assert!(or_total > all);
    check("(Honda OR NEC) AND April", &["p9"], true);
    check("\"10 million\" -media", &["p5", "p11"], false);
}

#[test]
fn filters_by_document_and_kind() {
    let (t, got) = ids("sources kind:source-note", Filters::default());
    assert_eq!(t, 10, "{got:?}"); // nine notes name their sources, and the arXiv note quotes "Public sources"
    assert!(got.iter().all(|id| id.starts_with("source-")));
    let (t, got) = ids(
        "sources",
        Filters {
            doc: Some("source-x-com".into()),
            kind: None,
        },
    );
    assert!(t >= 1 && got.iter().all(|id| id.starts_with("source-x-com:")));
    let (t, _) = ids("sources -kind:source-note", Filters::default());
    assert_eq!(t, 1); // the article's "Public sources do not yet show ..."
    let (t, got) = ids("doc:source-arxiv-org", Filters::default());
    assert_eq!(t, 6, "{got:?}");
    assert_eq!(
        got[0], "source-arxiv-org:p1",
        "a filter alone lists the document's passages in order"
    );
}

#[test]
fn paging_reaches_every_hit() {
    let (total, all) = ids("japan", Filters::default());
    assert!(total > 20);
    let mut paged = Vec::new();
    for offset in (0..total).step_by(7) {
        let req = SearchRequest {
            query: "japan".into(),
            limit: 7,
            offset,
            filters: Filters::default(),
            mode: Some(SearchMode::Lexical),
        };
        let page = engine().search(&req).unwrap();
        assert_eq!(page.total, total);
        paged.extend(
            page.hits
                .iter()
                .map(|h| format!("{}:p{}", h.doc.meta.id, h.passage.number)),
        );
    }
    assert_eq!(paged, all);
    let far = SearchRequest {
        query: "japan".into(),
        limit: 10,
        offset: usize::MAX / 2,
        filters: Filters::default(),
        mode: None,
    };
    assert!(engine().search(&far).unwrap().hits.is_empty());
}

#[test]
fn words_standing_together_rank_above_scattered_ones() {
    // Unquoted, the one passage holding the phrase comes first.
    let (total, got) = ids("Japan’s AI strategy", Filters::default());
    let (phrase_total, phrase) = ids("\"Japan’s AI strategy\"", Filters::default());
    assert_eq!(phrase_total, 1);
    assert_eq!(got[0], phrase[0]);
    // The match set is the words', not the phrase's: any word matches.
    let (or_total, _) = ids("(Japan’s) OR (AI) OR (strategy)", Filters::default());
    assert!(total > 1);
    assert_eq!(total, or_total);
}

/// The first 10 hits of `query`: the engine's ranked page, and the response
/// the API builds from it.
fn first_page(
    query: &str,
) -> (
    verbatim::SearchPage<'static>,
    verbatim::wire::SearchResponse,
) {
    let req = SearchRequest {
        query: query.into(),
        limit: 10,
        ..Default::default()
    };
    let page = engine().search(&req).unwrap();
    let r = verbatim::wire::SearchResponse::new(query, &page, 0, 10, 0);
    (page, r)
}

#[test]
fn near_duplicates_fold_under_the_best_ranked_and_every_passage_stays() {
    for query in [
        "lists among its sources",
        "sources article statement",
        "robots",
    ] {
        let (page, r) = first_page(query);
        // No two near-identical texts among the hits shown.
        let texts: Vec<&str> = r.hits.iter().map(|h| h.text.as_str()).collect();
        let mut unique = texts.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), texts.len(), "{query}: {texts:?}");
        // Folded or not, the page holds every passage it ranked, once.
        let mut shown: Vec<&str> = r
            .hits
            .iter()
            .flat_map(|h| std::iter::once(h).chain(&h.similar))
            .map(|h| h.passage_id.as_str())
            .collect();
        let mut ranked: Vec<String> = page
            .hits
            .iter()
            .map(|h| format!("{}:p{}", h.doc.meta.id, h.passage.number))
            .collect();
        shown.sort();
        ranked.sort();
        assert_eq!(shown, ranked, "{query}");
        assert_eq!(r.total, page.total);
        for h in r
            .hits
            .iter()
            .flat_map(|h| std::iter::once(h).chain(&h.similar))
        {
            let doc = engine().document(&h.doc_id).unwrap();
            let span = verbatim::Span {
                start: h.citation.start,
                end: h.citation.end,
            };
            assert_eq!(doc.slice_chars(span), Some(h.text.as_str()));
        }
    }
    // The nine source notes' templated line comes back once, with the rest
    // folded under it.
    let (_, r) = first_page("lists among its sources");
    assert!(
        r.hits.iter().any(|h| h.similar.len() >= 5),
        "{:?}",
        r.hits
            .iter()
            .map(|h| (&h.passage_id, h.similar.len()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn british_and_american_spellings_fold_in_ranked_search_only() {
    // The article writes "labor shortages".
    let (labor, want) = ids("labor", Filters::default());
    assert!(labor > 0);
    let (total, got) = ids("labour", Filters::default());
    assert_eq!((total, got), (labor, want));
    let (_, hits) = ids("labours organised", Filters::default());
    assert!(!hits.is_empty(), "inflections fold too");
    // An exact phrase keeps the source's spelling.
    check("\"labour shortages\"", &[], true);
    // So does a quote check: a changed spelling is not word for word.
    let c = engine()
        .check_quote("labour shortages, and dependence on foreign technology")
        .unwrap();
    assert_eq!(c.verdict, verbatim::Verdict::Altered);
    // And the highlight marks the source's own word.
    assert_eq!(top_highlights("labour"), vec!["labor"]);
}

/// The texts the top hit of `query` highlights.
fn top_highlights(query: &str) -> Vec<&'static str> {
    let req = SearchRequest {
        query: query.into(),
        limit: 1,
        ..Default::default()
    };
    let page = engine().search(&req).unwrap();
    let h = &page.hits[0];
    h.highlights
        .iter()
        .map(|s| h.doc.slice_chars(*s).unwrap())
        .collect()
}

#[test]
fn highlights_are_absolute_and_cover_the_matched_words() {
    assert_eq!(
        top_highlights("\"sovereign AI\" chips"),
        vec!["sovereign AI", "chips"]
    );
}

#[test]
fn malformed_queries_are_lenient_or_clear() {
    for q in [
        "\"unbalanced",
        "((japan",
        "japan))",
        "AND",
        "OR OR",
        "+",
        "-",
        "\"\"",
        "(((((((((((((((((((((((((((((((((x",
    ] {
        let req = SearchRequest {
            query: q.into(),
            limit: 5,
            ..Default::default()
        };
        match engine().search(&req) {
            Ok(_) => {}
            Err(e) => assert_eq!(e.code(), verbatim::ErrorCode::InvalidQuery, "{q}: {e}"),
        }
    }
    let req = SearchRequest {
        query: "  ".into(),
        limit: 5,
        ..Default::default()
    };
    assert_eq!(
        engine().search(&req).unwrap_err().code(),
        verbatim::ErrorCode::InvalidQuery
    );
}

/// `home-grown` and `homegrown` are one word to ranked search and to
/// answers, whichever form the reader types and the source uses, with the
/// source's own form highlighted; two separate words are not a compound.
/// Exact phrases and quote verdicts keep the source's form.
#[test]
fn hyphenated_compounds_meet_their_closed_form() {
    use verbatim::{AskRequest, Engine, Verdict};
    let corpus = super::support::corpus_of(&[
        (
            "closed.md",
            "# Chips\n\nJapan backs homegrown chips for its data centres.",
        ),
        (
            "hyphen.md",
            "# Models\n\nSakana builds a home-grown model in Tokyo.",
        ),
        ("apart.md", "# Teams\n\nThe home team has grown in Osaka."),
    ]);
    let index = tempfile::tempdir().unwrap();
    let (e, _) = Engine::open(corpus.path(), index.path()).unwrap();
    let found = |q: &str| -> Vec<(String, Vec<String>)> {
        let page = e
            .search(&SearchRequest {
                query: q.into(),
                limit: 10,
                offset: 0,
                filters: Filters::default(),
                mode: Some(SearchMode::Lexical),
            })
            .unwrap();
        let mut hits: Vec<(String, Vec<String>)> = page
            .hits
            .iter()
            .map(|h| {
                let marked = h
                    .highlights
                    .iter()
                    .map(|s| h.doc.slice_chars(*s).expect("in the document").to_string())
                    .collect();
                (h.doc.meta.id.clone(), marked)
            })
            .collect();
        hits.sort();
        hits
    };
    let both = vec![
        ("closed".to_string(), vec!["homegrown".to_string()]),
        ("hyphen".to_string(), vec!["home-grown".to_string()]),
    ];
    assert_eq!(found("homegrown"), both);
    assert_eq!(found("home-grown"), both);
    assert_eq!(found("Home-Grown"), both);
    let only = |id: &str, marked: &str| vec![(id.to_string(), vec![marked.to_string()])];
    assert_eq!(found("\"home-grown\""), only("hyphen", "home-grown"));
    assert_eq!(found("\"homegrown\""), only("closed", "homegrown"));

    let ask = |q: &str| {
        e.ask(&AskRequest {
            question: q.into(),
            limit: 1,
            ..Default::default()
        })
        .unwrap()
    };
    let r = ask("Who backs home-grown chips?");
    assert!(r.unmatched_terms.is_empty(), "{:?}", r.unmatched_terms);
    assert_eq!(r.answers[0].doc.meta.id, "closed");
    let r = ask("Which model is homegrown?");
    assert!(r.unmatched_terms.is_empty(), "{:?}", r.unmatched_terms);
    let a = &r.answers[0];
    assert_eq!(a.doc.meta.id, "hyphen");
    let marked: Vec<String> = a
        .highlights
        .iter()
        .map(|(s, _)| a.doc.slice_chars(*s).expect("in the document").to_string())
        .collect();
    assert!(marked.iter().any(|m| m == "home-grown"), "{marked:?}");

    let check = e
        .check_quote("Sakana builds a homegrown model in Tokyo.")
        .unwrap();
    assert_ne!(
        check.verdict,
        Verdict::Verbatim,
        "a quote keeps the source's form"
    );
}
