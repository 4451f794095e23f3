//! Vectors and hybrid ranking: which mode a query gets, that hybrid only
//! reorders, paging, vectors kept by content across processes, live writes
//! embedded before they are acknowledged, lexical-only as an explicit
//! setting, and a broken model as a start-up error naming the file.

use std::collections::BTreeSet;
use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;
use verbatim::{app, AppState};
use verbatim::{
    AskRequest, AskResult, AskStatus, Engine, ErrorCode, Filters, Live, Mode, NewDocument,
};
use verbatim::{FrontMatter, SearchMode, SearchPage, SearchRequest, VectorMode};

use super::support::{corpus_of, default_corpus, engine, verbatim_cmd};

fn search<'e>(
    e: &'e Engine,
    q: &str,
    mode: Option<SearchMode>,
    limit: usize,
    offset: usize,
) -> SearchPage<'e> {
    e.search(&SearchRequest {
        query: q.into(),
        limit,
        offset,
        filters: Filters::default(),
        mode,
    })
    .unwrap_or_else(|err| panic!("{q}: {err}"))
}

fn ask<'e>(e: &'e Engine, question: &str, limit: usize) -> AskResult<'e> {
    e.ask(&AskRequest {
        question: question.into(),
        limit,
        ..Default::default()
    })
    .unwrap_or_else(|err| panic!("{question}: {err}"))
}

fn ids(page: &SearchPage<'_>) -> Vec<String> {
    page.hits
        .iter()
        .map(|h| format!("{}:p{}", h.doc.meta.id, h.passage.number))
        .collect()
}

#[test]
fn plain_words_rank_hybrid_and_query_syntax_stays_lexical() {
    let e = engine();
    let mode = |q: &str, m: Option<SearchMode>| search(e, q, m, 5, 0).mode;
    assert_eq!(mode("robots in factories", None), SearchMode::Hybrid);
    assert_eq!(mode("\"sovereign AI\"", None), SearchMode::Lexical);
    assert_eq!(mode("+robots factories", None), SearchMode::Lexical);
    assert_eq!(mode("robots -cars", None), SearchMode::Lexical);
    assert_eq!(mode("robots kind:article", None), SearchMode::Lexical);
    assert_eq!(
        mode("robots in factories", Some(SearchMode::Lexical)),
        SearchMode::Lexical
    );
    assert_eq!(
        mode("\"sovereign AI\"", Some(SearchMode::Hybrid)),
        SearchMode::Hybrid
    );
}

/// A query searched again (the page re-runs its search on every tab
/// switch) takes its vector from the recent ones, and the counts say so.
#[test]
fn a_repeated_query_reuses_its_vector() {
    let e = engine();
    let q = "which factories do robots staff at night";
    search(e, q, None, 5, 0);
    let before = e.query_vector_cache().expect("vectors are on");
    assert!(before.held > 0);
    let again = search(e, q, None, 5, 0);
    assert_eq!(again.mode, SearchMode::Hybrid);
    let after = e.query_vector_cache().unwrap();
    assert!(
        after.hits > before.hits,
        "the second search ran the model again"
    );
}

#[test]
fn hybrid_reorders_but_never_changes_what_matches() {
    let e = engine();
    for q in [
        "japan robots",
        "how much funding for the model",
        "elder care",
        "chips",
        "\"foundation model\"",
    ] {
        let lexical = search(e, q, Some(SearchMode::Lexical), 100, 0);
        let hybrid = search(e, q, Some(SearchMode::Hybrid), 100, 0);
        assert_eq!(lexical.total, hybrid.total, "{q}");
        assert!(
            lexical.total <= 100,
            "{q}: the test wants every hit on one page"
        );
        let set = |p: &SearchPage<'_>| ids(p).into_iter().collect::<BTreeSet<_>>();
        assert_eq!(set(&lexical), set(&hybrid), "{q}");
        assert!(
            hybrid
                .hits
                .windows(2)
                .all(|w| w[0].score >= w[1].score && (0.0..=1.0).contains(&w[1].score)),
            "{q}: hybrid scores are mixed scores, best first"
        );
    }
}

#[test]
fn hybrid_pages_reach_every_hit_in_one_order() {
    let e = engine();
    let all = search(e, "japan", Some(SearchMode::Hybrid), 100, 0);
    assert!(all.total > 20);
    let mut paged = Vec::new();
    for offset in (0..all.total).step_by(7) {
        let page = search(e, "japan", Some(SearchMode::Hybrid), 7, offset);
        assert_eq!(page.total, all.total);
        assert_eq!(page.mode, SearchMode::Hybrid);
        paged.extend(ids(&page));
    }
    assert_eq!(paged, ids(&all));
}

/// The vector log of an index directory.
fn vector_log(index: &Path) -> std::path::PathBuf {
    let logs: Vec<_> = std::fs::read_dir(index)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("vectors-") && n.ends_with(".bin"))
        })
        .collect();
    assert_eq!(logs.len(), 1, "one vector log in {}", index.display());
    logs[0].clone()
}

fn log_size(index: &Path) -> u64 {
    std::fs::metadata(vector_log(index)).unwrap().len()
}

fn run_ok(mut c: std::process::Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn vectors_are_kept_by_content_and_never_computed_twice() {
    let corpus = corpus_of(&[
        (
            "a.md",
            "# Robots\n\nRobots build cars in Nagoya. They never sleep.",
        ),
        ("b.md", "# Chips\n\nJapan funds chip plants in Hokkaido."),
    ]);
    let index = tempfile::tempdir().unwrap();
    // Separate processes, so nothing is remembered in memory.
    let first = run_ok(verbatim_cmd(&["index"], corpus.path(), index.path()));
    assert!(first.contains("vectors ready"), "{first}");
    let size = log_size(index.path());
    assert!(size > 0);
    run_ok(verbatim_cmd(
        &["index", "--force"],
        corpus.path(),
        index.path(),
    ));
    assert_eq!(
        log_size(index.path()),
        size,
        "a rebuild embeds nothing it already has"
    );
    std::fs::write(
        corpus.path().join("c.md"),
        "# Care\n\nRobots help in elder care.",
    )
    .unwrap();
    run_ok(verbatim_cmd(&["index"], corpus.path(), index.path()));
    let grown = log_size(index.path());
    assert!(grown > size, "the new file's texts are embedded");
    assert!(
        grown - size < size,
        "only the new file's texts are embedded, not the corpus again"
    );
}

#[test]
fn the_vectors_of_texts_gone_from_the_corpus_leave_the_log() {
    let a = ("a.md", "# Robots\n\nRobots build cars in Nagoya.");
    let b = (
        "b.md",
        "# Chips\n\nJapan funds chip plants in Hokkaido. Rapidus makes them.\n\n\
         Kumamoto hosts another plant. Engineers move north.",
    );
    let corpus = corpus_of(&[a, b]);
    let index = tempfile::tempdir().unwrap();
    run_ok(verbatim_cmd(&["index"], corpus.path(), index.path()));
    let both = log_size(index.path());
    std::fs::remove_file(corpus.path().join("b.md")).unwrap();
    let out = run_ok(verbatim_cmd(&["index"], corpus.path(), index.path()));
    assert!(out.contains("vector log rewritten"), "{out}");
    assert!(
        out.contains("embedded=0"),
        "no kept text is embedded again: {out}"
    );
    // What is left is what a build of the remaining corpus alone writes.
    let alone = corpus_of(&[a]);
    let fresh = tempfile::tempdir().unwrap();
    run_ok(verbatim_cmd(&["index"], alone.path(), fresh.path()));
    let after = log_size(index.path());
    assert!(after < both);
    assert_eq!(after, log_size(fresh.path()));
    // A start with nothing unused leaves the log alone.
    let out = run_ok(verbatim_cmd(&["index"], corpus.path(), index.path()));
    assert!(!out.contains("vector log rewritten"), "{out}");
    assert_eq!(log_size(index.path()), after);
}

#[test]
fn a_live_write_is_embedded_before_it_is_acknowledged() {
    let corpus = corpus_of(&[("a.md", "# A\n\nRobots build cars.")]);
    let index = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(corpus.path(), index.path()).unwrap();
    let before = log_size(index.path());
    let live = Live {
        corpus_dir: corpus.path().into(),
        index_dir: index.path().into(),
    };
    let doc = NewDocument {
        front: FrontMatter {
            id: Some("harvest".into()),
            ..Default::default()
        },
        text: "Farm robots pick strawberries at night in Tochigi.".into(),
    };
    let (next, _) = live.put_document(&engine, &doc, Mode::Create).unwrap();
    assert!(
        log_size(index.path()) > before,
        "its vectors are on disk when the write returns"
    );
    let page = search(&next, "strawberries picked at night", None, 5, 0);
    assert_eq!(page.mode, SearchMode::Hybrid);
    assert_eq!(page.hits[0].doc.meta.id, "harvest");
}

#[test]
fn lexical_only_is_an_explicit_setting() {
    let corpus = corpus_of(&[("a.md", "# A\n\nRobots build cars.")]);
    let index = tempfile::tempdir().unwrap();
    let (engine, _, _) =
        Engine::open_reporting(corpus.path(), index.path(), VectorMode::Off).unwrap();
    assert_eq!(engine.vector_counts(), None);
    assert_eq!(
        search(&engine, "robots", None, 5, 0).mode,
        SearchMode::Lexical
    );
    let err = engine
        .search(&SearchRequest {
            query: "robots".into(),
            limit: 5,
            mode: Some(SearchMode::Hybrid),
            ..Default::default()
        })
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::VectorsOff);
    // Answers still work, with the lexical rule; a nearest passage has no
    // probability then, so none is labelled "possibly relevant".
    let r = ask(&engine, "What do robots build?", 1);
    assert_eq!(r.status, AskStatus::Answered);
    let r = ask(&engine, "Which robots fly?", 1);
    assert!(!r.related.is_empty());
    assert!(r
        .related
        .iter()
        .all(|p| p.answerability.is_none() && !p.possibly_relevant));
    let no_log = std::fs::read_dir(index.path())
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().starts_with("vectors-"));
    assert!(no_log, "vectors off writes no vector log");
}

#[tokio::test]
async fn the_mode_parameter_over_http() {
    let corpus = corpus_of(&[("a.md", "# A\n\nRobots build cars.")]);
    let index = tempfile::tempdir().unwrap();
    let (engine, _, _) =
        Engine::open_reporting(corpus.path(), index.path(), VectorMode::Off).unwrap();
    let off = AppState::ready(engine, super::support::contract_limits());
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(&default_corpus(), dir.path()).unwrap();
    let on = AppState::ready(engine, super::support::contract_limits());
    async fn get(state: &AppState, uri: &str) -> (u16, serde_json::Value) {
        let resp = app(state.clone())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&body).unwrap())
    }
    let (s, v) = get(&on, "/v1/search?q=robots%20factories").await;
    assert_eq!((s, v["mode"].as_str()), (200, Some("hybrid")), "{v}");
    let (s, v) = get(&on, "/v1/search?q=robots&mode=lexical").await;
    assert_eq!((s, v["mode"].as_str()), (200, Some("lexical")), "{v}");
    let (s, v) = get(&on, "/v1/search?q=robots&mode=fuzzy").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
    let (s, v) = get(&off, "/v1/search?q=robots&mode=hybrid").await;
    assert_eq!((s, v["error"]["code"].as_str()), (409, Some("vectors_off")));
    let (s, v) = get(&off, "/v1/search?q=robots").await;
    assert_eq!((s, v["mode"].as_str()), (200, Some("lexical")), "{v}");
}

#[test]
fn a_broken_model_is_a_start_up_error_naming_the_file() {
    let work = tempfile::tempdir().unwrap();
    let model = work.path().join("models").join("all-minilm-l6-v2");
    std::fs::create_dir_all(&model).unwrap();
    let vendored = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-minilm-l6-v2");
    for f in ["tokenizer.json", "config.json"] {
        std::fs::copy(vendored.join(f), model.join(f)).unwrap();
    }
    std::fs::write(model.join("model.safetensors"), b"not a model").unwrap();
    let corpus = corpus_of(&[("a.md", "# A\n\nRobots build cars.")]);
    let index = tempfile::tempdir().unwrap();
    let mut c = verbatim_cmd(&["search", "robots"], corpus.path(), index.path());
    let out = c.current_dir(work.path()).output().unwrap();
    assert!(
        !out.status.success(),
        "a corrupt model never downgrades silently"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("model.safetensors"), "{err}");
    // Lexical-only, asked for, needs no model.
    let mut c = verbatim_cmd(
        &["search", "robots", "--vectors", "off"],
        corpus.path(),
        index.path(),
    );
    let out = c.current_dir(work.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn no_answer_still_points_somewhere() {
    let e = engine();
    // None of these words is in the corpus, so BM25 finds nothing.
    let r = ask(e, "Which automaker enlisted?", 3);
    assert_eq!(r.status, AskStatus::NoAnswer);
    assert!(!r.related.is_empty(), "the nearest passages by meaning");
}

/// With vectors, every nearest passage of a refused question carries the
/// judge's best probability over its sentences, and one operating point
/// splits them: each passage labelled "possibly relevant" rates at least as
/// high as every passage that is not.
#[test]
fn nearest_passages_are_labelled_by_one_operating_point() {
    let e = engine();
    let questions = [
        "How many robots does South Korea plan to build?",
        "Who is the chief executive of the joint venture?",
        "Who runs the AI Strategy Headquarters?",
        "When will the humanoid robots be sold in Europe?",
        "What did the article say about Korean chip makers?",
        "How much did Sony pay for its stake?",
        "Which automaker enlisted?",
        "Who wrote the article?",
        "How big is the government's budget for homegrown AI?",
        "Why does Japan want its own AI?",
        "How many people work at the joint venture?",
    ];
    let mut labelled = Vec::new();
    let mut plain = Vec::new();
    let mut refused = 0;
    for q in questions {
        let r = ask(e, q, 3);
        if r.status != AskStatus::NoAnswer {
            continue;
        }
        refused += 1;
        for p in &r.related {
            let a = p
                .answerability
                .unwrap_or_else(|| panic!("{q}: no probability"));
            assert!((0.0..=1.0).contains(&a), "{q}: {a}");
            if p.possibly_relevant {
                labelled.push(a);
            } else {
                plain.push(a);
            }
        }
    }
    assert!(refused >= 4, "most of these are not answered: {refused}");
    assert!(
        !labelled.is_empty() && !plain.is_empty(),
        "both labels occur: {labelled:?} {plain:?}"
    );
    let lowest_labelled = labelled.iter().copied().fold(f64::INFINITY, f64::min);
    let highest_plain = plain.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(
        highest_plain < lowest_labelled,
        "labelled {labelled:?}, not labelled {plain:?}"
    );
}

#[test]
fn word_forms_and_spellings_are_closed_by_meaning_in_answers() {
    // Each question words its subject unlike the source: a spelling, an
    // abbreviation, a synonym, another form of the word.
    let corpus = corpus_of(&[(
        "a.md",
        "# Rules\n\nThe labor ministry announced new overtime rules for factory workers on Monday.\n\n\
         Toyota, the largest car maker in Japan, said it would hire 2,000 engineers.\n\n\
         The United States imposed tariffs on imported chips in March.\n\n\
         Her startup succeeds because it sells robots to hospitals.\n",
    )]);
    let index = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(corpus.path(), index.path()).unwrap();
    for (q, want) in [
        ("What did the labour ministry announce?", "labor ministry"),
        ("Which automaker will hire engineers?", "car maker"),
        ("What did the US impose on chips?", "United States"),
        ("Why is her startup a success?", "succeeds"),
    ] {
        let r = ask(&engine, q, 1);
        assert_eq!(r.status, AskStatus::Answered, "{q}");
        let a = &r.answers[0];
        assert!(a.doc.text[a.bytes.clone()].contains(want), "{q}");
    }
}

/// A write whose request gave up stops embedding at its next model call
/// and gives its CPU permit back. Before, the 408 came on time but the
/// write went on embedding every text of the document for nobody (about
/// 35 s here), holding the only permit, so every ask behind it timed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_write_stops_embedding_and_frees_its_permit() {
    const TOKEN: &str = "test-token-0123456789";
    let corpus = corpus_of(&[("a.md", "# A\n\nRobots build cars.")]);
    let index = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(corpus.path(), index.path()).unwrap();
    let mut state = AppState::ready(
        engine,
        verbatim::Limits {
            request_timeout: std::time::Duration::from_millis(300),
            max_concurrency: 1,
            ..verbatim::Limits::default()
        },
    );
    state.token = Some(verbatim::Secret::new(TOKEN.into()));
    state.live = Some(Live {
        corpus_dir: corpus.path().into(),
        index_dir: index.path().into(),
    });
    // About 2,500 passages and sentences to embed, far past the timeout.
    let text: String = (0..500)
        .map(|i| {
            format!(
                "Plant {i} opened in {}. It employs {} workers. Line {i} builds {} cars a day. Robot {i} welds door {}.\n\n",
                1900 + i,
                i * 37 + 11,
                i * 3 + 7,
                i * 5 + 2
            )
        })
        .collect();
    let call = |req: Request<Body>| {
        let state = state.clone();
        async move {
            let resp = app(state).oneshot(req).await.unwrap();
            let st = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (
                st,
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default(),
            )
        }
    };
    let put = Request::put("/v1/documents/plants")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(serde_json::json!({ "text": text }).to_string()))
        .unwrap();
    let (st, v) = call(put).await;
    assert_eq!(st, 408, "{v}");
    // An ask needs the one permit: it is answered within a few tries once
    // the abandoned write has stopped (a write that went on would hold the
    // permit through every try).
    let mut answered = false;
    for _ in 0..20 {
        let ask = Request::post("/v1/ask")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"question":"What do robots build?"}"#))
            .unwrap();
        let (st, _) = call(ask).await;
        if st == 200 {
            answered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(answered, "the abandoned write still holds the CPU permit");
    let (_, v) = call(
        Request::get("/v1/search?q=welds&limit=0")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(v["total"], 0, "nothing of the abandoned write is applied");
}
