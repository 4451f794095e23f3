//! Japanese text: bigram search, sentences on 。！？, quote checks and answers.

use verbatim::wire::QuoteCheckResponse;
use verbatim::{AskStatus, DiffOp, Engine, SearchRequest, Verdict};

fn engine() -> (Engine, tempfile::TempDir, tempfile::TempDir) {
    let corpus = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/japanese-note.md");
    std::fs::copy(src, corpus.path().join("japanese-note.md")).unwrap();
    let index = tempfile::tempdir().unwrap();
    let (e, _) = Engine::open(corpus.path(), index.path()).unwrap();
    (e, corpus, index)
}

#[test]
fn japanese_is_searched_segmented_quoted_and_answered() {
    let (e, _c, _i) = engine();
    let d = e.document("ja-robot-note").unwrap();
    let sentences: Vec<&str> = d
        .passages()
        .flat_map(|p| {
            d.sentences(&p)
                .map(|s| &d.text[s.bytes])
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        sentences,
        vec![
            "日本政府は国産AIの開発に約1兆円を投じる。",
            "ソフトバンク、ソニー、NEC、ホンダが新会社を設立した。",
            "2040年までに最大1000万台のロボットを導入する構想がある。",
            "人口減少と人手不足への対応が目的だ。",
            "技術文書はまだ公開されていない。",
            "本当に実現できるのか？",
        ]
    );
    let search = |q: &str| {
        e.search(&SearchRequest {
            query: q.into(),
            limit: 5,
            ..Default::default()
        })
        .unwrap()
    };
    let page = search("\"人手不足\"");
    assert_eq!(page.total, 1);
    let h = &page.hits[0];
    assert_eq!(h.doc.slice_chars(h.highlights[0]), Some("人手不足"));
    assert_eq!(search("ロボット").total, 1);
    assert_eq!(search("\"不足人手\"").total, 0, "a phrase keeps its order");

    let check = |q: &str| QuoteCheckResponse::new(q, &e.check_quote(q).unwrap());
    assert_eq!(
        check("最大1000万台のロボットを導入する").verdict,
        Verdict::Verbatim
    );
    let altered = check("2040年までに最大2000万台のロボットを導入する構想がある");
    assert_eq!(altered.verdict, Verdict::Altered);
    let m = altered.matched.unwrap();
    assert!(
        m.diff.iter().any(|d| d.op == DiffOp::Replace
            && d.quote.contains("2000")
            && d.source.contains("1000")),
        "{:?}",
        m.diff
    );
    assert!(
        m.notes.iter().any(|n| n.text.starts_with("number changed")),
        "{:?}",
        m.notes
    );
    assert_eq!(
        check("日本政府は国産AIの開発に約1兆円を投じる。ソフトバンク").verdict,
        Verdict::Verbatim,
        "across sentences"
    );
    assert_eq!(
        check("火星に都市を建設する計画が始まった").verdict,
        Verdict::NotFound
    );

    let r = e
        .ask(&verbatim::AskRequest {
            question: "ロボットを何台導入する構想ですか？".into(),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.status, AskStatus::Answered);
    let a = &r.answers[0];
    assert!(a.doc.text[a.bytes.clone()].contains("1000万台"));
}
