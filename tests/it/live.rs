//! Live updates over HTTP: tokens, durability, visibility, conflicts, path safety.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use verbatim::Live;
use verbatim::Secret;
use verbatim::{app, AppState};
use verbatim::{Engine, IndexState, SearchRequest};

use super::support::corpus_of;

const TOKEN: &str = "test-token-0123456789";

struct Fixture {
    corpus: tempfile::TempDir,
    index: tempfile::TempDir,
    state: AppState,
}

fn fixture(token: Option<&str>) -> Fixture {
    fixture_of(&[("a.md", "# A\n\nRobots build cars.")], token)
}

/// A served corpus of `files`, writable with `token`.
fn fixture_of(files: &[(&str, &str)], token: Option<&str>) -> Fixture {
    let corpus = corpus_of(files);
    let index = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(corpus.path(), index.path()).unwrap();
    let mut state = AppState::ready(engine, super::support::contract_limits());
    state.token = token.map(|t| Secret::new(t.into()));
    state.live = Some(Live {
        corpus_dir: corpus.path().into(),
        index_dir: index.path().into(),
    });
    Fixture {
        corpus,
        index,
        state,
    }
}

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    };
    let resp = app(state.clone()).oneshot(req.unwrap()).await.unwrap();
    let st = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (st, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Status and error code of a response, for comparing with the expected pair.
fn error_of((st, v): (StatusCode, Value)) -> (u16, Option<String>) {
    (st.as_u16(), v["error"]["code"].as_str().map(str::to_string))
}

async fn hits(state: &AppState, q: &str) -> u64 {
    let (_, v) = call(
        state,
        "GET",
        &format!("/v1/search?q={q}&limit=0"),
        None,
        None,
    )
    .await;
    v["total"].as_u64().unwrap()
}

#[tokio::test]
async fn writes_need_a_configured_token() {
    let off = fixture(None);
    let doc = json!({"id": "n1", "text": "New text."});
    assert_eq!(
        error_of(
            call(
                &off.state,
                "POST",
                "/v1/documents",
                Some(TOKEN),
                Some(doc.clone())
            )
            .await
        ),
        (403, Some("writes_disabled".into()))
    );
    let on = fixture(Some(TOKEN));
    for t in [None, Some("wrong-token-0123456789"), Some("")] {
        assert_eq!(
            error_of(call(&on.state, "POST", "/v1/documents", t, Some(doc.clone())).await),
            (401, Some("unauthorized".into())),
            "{t:?}"
        );
    }
    let (st, _) = call(&on.state, "DELETE", "/v1/documents/a", None, None).await;
    assert_eq!(st.as_u16(), 401);
    // The token is checked before the body is read: a PUT without one is
    // 401 whatever it sends (it used to be parsed first: a 400 here).
    let req = Request::put("/v1/documents/a")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let resp = app(on.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Reads stay open.
    assert_eq!(hits(&on.state, "robots").await, 1);
}

#[tokio::test]
async fn create_replace_delete_are_visible_at_once_and_durable() {
    let f = fixture(Some(TOKEN));
    let s = &f.state;
    let text =
        "# Note\n\nJapan’s “physical AI” push needs sensors.\n\nA second paragraph about lidar.";
    let (st, v) = call(
        s,
        "POST",
        "/v1/documents",
        Some(TOKEN),
        Some(json!({"id": "note-1", "title": "Note", "text": text, "kind": "memo"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["documents"][0]["doc_id"], "note-1");
    assert_eq!(hits(s, "lidar").await, 1, "visible without a restart");
    let (_, d) = call(s, "GET", "/v1/documents/note-1", None, None).await;
    assert_eq!(d["text"], text, "stored exactly");
    assert!(f.corpus.path().join("note-1.md").exists());
    let again = json!({"id": "note-1", "text": "Again."});
    assert_eq!(
        error_of(call(s, "POST", "/v1/documents", Some(TOKEN), Some(again)).await),
        (409, Some("conflict".into()))
    );
    let (st, _) = call(
        s,
        "PUT",
        "/v1/documents/note-1",
        Some(TOKEN),
        Some(json!({"text": "Replaced text about radar."})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!((hits(s, "lidar").await, hits(s, "radar").await), (0, 1));
    let (st, _) = call(
        s,
        "PUT",
        "/v1/documents/note-1",
        Some(TOKEN),
        Some(json!({"id": "other", "text": "x"})),
    )
    .await;
    assert_eq!(st.as_u16(), 400);
    // Replacing a document that came from the corpus folder rewrites its file.
    let (st, _) = call(
        s,
        "PUT",
        "/v1/documents/a",
        Some(TOKEN),
        Some(json!({"text": "Robots build trains."})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(hits(s, "trains").await, 1);
    assert!(std::fs::read_to_string(f.corpus.path().join("a.md"))
        .unwrap()
        .ends_with("Robots build trains."));
    // Everything acknowledged survives a restart, with no rebuild.
    let (reopened, state) = Engine::open(f.corpus.path(), f.index.path()).unwrap();
    assert_eq!(
        state,
        IndexState::Fresh,
        "the manifest recorded every write"
    );
    let total = |q: &str| {
        reopened
            .search(&SearchRequest {
                query: q.into(),
                limit: 5,
                ..Default::default()
            })
            .unwrap()
            .total
    };
    assert_eq!((total("radar"), total("trains"), total("cars")), (1, 1, 0));
    drop(reopened);
    let (st, _) = call(s, "DELETE", "/v1/documents/note-1", Some(TOKEN), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(hits(s, "radar").await, 0);
    assert!(!f.corpus.path().join("note-1.md").exists());
    assert_eq!(
        error_of(call(s, "DELETE", "/v1/documents/note-1", Some(TOKEN), None).await),
        (404, Some("not_found".into()))
    );
}

#[tokio::test]
async fn bad_ids_and_file_names_never_reach_the_file_system() {
    let f = fixture(Some(TOKEN));
    for id in ["../../etc/passwd", "a/b", ".hidden", "", "x y", "ünï"] {
        let doc = json!({"id": id, "text": "t"});
        assert_eq!(
            error_of(call(&f.state, "POST", "/v1/documents", Some(TOKEN), Some(doc)).await),
            (400, Some("invalid_document".into())),
            "{id}"
        );
    }
    let blank = json!({"id": "ok", "text": "  "});
    assert_eq!(
        error_of(call(&f.state, "POST", "/v1/documents", Some(TOKEN), Some(blank)).await),
        (400, Some("invalid_document".into()))
    );
    // An upload's file name is reduced to a safe base name inside the corpus.
    let (st, v) = upload(
        &f.state,
        "../../Evil Page.html",
        "<html><title>Evil</title><body><p>Uploaded pages are indexed.</p></body></html>",
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert!(f.corpus.path().join("evil-page.html").exists());
    assert!(!f
        .corpus
        .path()
        .parent()
        .unwrap()
        .join("Evil Page.html")
        .exists());
    assert_eq!(hits(&f.state, "uploaded").await, 1);
}

#[test]
fn a_crash_before_the_file_lands_leaves_the_previous_state() {
    // The index commit happened, but the crash came before the rename: the
    // file is not in the corpus. The next start must not show the document.
    let corpus = corpus_of(&[("a.md", "Robots build cars.")]);
    let index = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(corpus.path(), index.path()).unwrap();
    let live = Live {
        corpus_dir: corpus.path().into(),
        index_dir: index.path().into(),
    };
    let front = verbatim::FrontMatter {
        id: Some("late".into()),
        ..Default::default()
    };
    let doc = verbatim::NewDocument {
        front,
        text: "Unacknowledged words.".into(),
    };
    let (engine2, _) = live
        .put_document(&engine, &doc, verbatim::Mode::Create)
        .unwrap();
    assert_eq!(
        engine2
            .search(&SearchRequest {
                query: "unacknowledged".into(),
                limit: 1,
                ..Default::default()
            })
            .unwrap()
            .total,
        1
    );
    drop((engine, engine2));
    std::fs::remove_file(corpus.path().join("late.md")).unwrap(); // as if step 3 never ran
    let (reopened, state) = Engine::open(corpus.path(), index.path()).unwrap();
    assert!(matches!(state, IndexState::Updated(_)), "{state:?}");
    assert_eq!(
        reopened
            .search(&SearchRequest {
                query: "unacknowledged".into(),
                limit: 1,
                ..Default::default()
            })
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        reopened
            .search(&SearchRequest {
                query: "cars".into(),
                limit: 1,
                ..Default::default()
            })
            .unwrap()
            .total,
        1
    );
}

#[tokio::test]
async fn a_document_posted_without_an_id_takes_a_slug_of_its_title() {
    let f = fixture(Some(TOKEN));
    let doc = json!({"title": "Chips & Robots: 2040 Plan", "text": "Factories add robots."});
    let (st, v) = call(&f.state, "POST", "/v1/documents", Some(TOKEN), Some(doc)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["documents"][0]["doc_id"], "chips-robots-2040-plan");
    let untitled = json!({"text": "# Night Shift\n\nRobots work nights."});
    let (st, v) = call(
        &f.state,
        "POST",
        "/v1/documents",
        Some(TOKEN),
        Some(untitled),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["documents"][0]["doc_id"], "night-shift");
    // A first line over the 128-character id limit once failed the write;
    // it is cut at a word boundary (issue 35, item 10).
    let long = format!("{} end.", "Robots in long headline words ".repeat(8));
    let (st, v) = call(
        &f.state,
        "POST",
        "/v1/documents",
        Some(TOKEN),
        Some(json!({"text": long})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["documents"][0]["doc_id"].as_str().unwrap().to_string();
    assert!(
        id.len() <= 64 && id.starts_with("robots-in-long") && !id.ends_with('-'),
        "{id}"
    );
    // Titles without a Latin letter no longer all slug to `document`: two
    // Japanese documents get two ids.
    let mut ids = Vec::new();
    for text in [
        "# 日本のAI計画\n\n政府は投資する。",
        "# ロボット\n\n工場で働く。",
    ] {
        let (st, v) = call(
            &f.state,
            "POST",
            "/v1/documents",
            Some(TOKEN),
            Some(json!({"text": text})),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        ids.push(v["documents"][0]["doc_id"].as_str().unwrap().to_string());
    }
    assert_ne!(ids[0], ids[1]);
    assert!(ids.iter().all(|i| i.starts_with("document-")), "{ids:?}");
    // A source link must be http(s): the page renders it as a link.
    for url in [
        "javascript:alert(1)",
        "JavaScript:x",
        "data:text/html,x",
        "https://",
        "//x.example",
    ] {
        let body = json!({"id": "linked", "text": "Linked.", "url": url});
        let (st, v) = call(&f.state, "POST", "/v1/documents", Some(TOKEN), Some(body)).await;
        assert_eq!(st.as_u16(), 400, "{url}: {v}");
        assert_eq!(v["error"]["code"], "invalid_document", "{url}");
    }
    let body = json!({"id": "linked", "text": "Linked.", "url": "HTTPS://example.com/a?b=c"});
    let (st, v) = call(&f.state, "POST", "/v1/documents", Some(TOKEN), Some(body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
}

/// A write names documents: `PUT /v1/documents/foo` may replace `foo`,
/// never another document that happens to live in `foo.md`, and neither a
/// PUT nor a POST overwrites a file dropped into the corpus folder by hand
/// since the last sync (issue 35, item 1). Each refusal leaves the file,
/// the index and the other document exactly as they were.
/// Uploads `content` as the file `name` (multipart, as the page and curl -F do).
async fn upload(state: &AppState, name: &str, content: &str) -> (StatusCode, Value) {
    let boundary = "XBOUNDARY";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    let req = Request::post("/v1/documents")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let st = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (st, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// A JSON Lines upload naming one id twice used to index both copies under
/// one id: search then failed with a 500 ("unknown passage"). It is refused
/// whole, and nothing of it is stored.
#[tokio::test]
async fn a_file_naming_one_id_twice_is_refused_whole() {
    let f = fixture(Some(TOKEN));
    let twice = concat!(
        r#"{"id": "dup", "text": "The first copy mentions a zeppelin."}"#,
        "\n",
        r#"{"id": "dup", "text": "The second copy mentions a blimp."}"#,
    );
    let (st, v) = upload(&f.state, "twice.jsonl", twice).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "conflict");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("dup"),
        "{v}"
    );
    assert!(!f.corpus.path().join("twice.jsonl").exists());
    let (st, v) = call(&f.state, "GET", "/v1/search?q=zeppelin", None, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 0);
    // Distinct ids in one file are two documents.
    let two = twice.replacen(r#""id": "dup""#, r#""id": "dup-2""#, 1);
    let (st, v) = upload(&f.state, "two.jsonl", &two).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(
        (
            hits(&f.state, "zeppelin").await,
            hits(&f.state, "blimp").await
        ),
        (1, 1)
    );
}

/// A removal commits, then unlinks. When the file was already removed by
/// hand, the unlink used to fail after the commit: a 500, the old engine
/// kept serving the document, and a retry answered 404. Now the removal
/// succeeds and is visible at once.
#[tokio::test]
async fn a_removal_whose_file_is_already_gone_still_applies() {
    let f = fixture_of(
        &[
            ("a.md", "# A\n\nRobots build cars."),
            ("gone.md", "# Gone\n\nThe zeppelin left."),
        ],
        Some(TOKEN),
    );
    std::fs::remove_file(f.corpus.path().join("gone.md")).unwrap();
    let (st, v) = call(&f.state, "DELETE", "/v1/documents/gone", Some(TOKEN), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(hits(&f.state, "zeppelin").await, 0);
    let (st, _) = call(&f.state, "GET", "/v1/documents/gone", None, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(
        error_of(call(&f.state, "DELETE", "/v1/documents/gone", Some(TOKEN), None).await),
        (404, Some("not_found".into()))
    );
    // The index agrees after a restart.
    let (engine, _) = Engine::open(f.corpus.path(), f.index.path()).unwrap();
    assert!(engine.document("gone").is_none());
    assert!(engine.document("a").is_some());
}

/// When a step after the commit fails (here the unlink: the document's
/// file was replaced by a folder), the client hears the error, and the
/// server serves what its index now holds: the document is gone at once,
/// not after a restart, and a retry answers 404.
#[tokio::test]
async fn a_failure_after_the_commit_still_serves_the_commit() {
    let f = fixture_of(
        &[
            ("a.md", "# A\n\nRobots build cars."),
            ("stuck.md", "# Stuck\n\nThe zeppelin stayed."),
        ],
        Some(TOKEN),
    );
    let path = f.corpus.path().join("stuck.md");
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("keep.txt"), "not a document of the index").unwrap();
    let (st, v) = call(&f.state, "DELETE", "/v1/documents/stuck", Some(TOKEN), None).await;
    assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
    assert_eq!(v["error"]["code"], "internal", "{v}");
    assert_eq!(hits(&f.state, "zeppelin").await, 0);
    let (st, _) = call(&f.state, "GET", "/v1/documents/stuck", None, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(
        error_of(call(&f.state, "DELETE", "/v1/documents/stuck", Some(TOKEN), None).await),
        (404, Some("not_found".into()))
    );
}

#[tokio::test]
async fn a_write_never_replaces_another_document_or_an_unindexed_file() {
    let f = fixture_of(
        &[
            ("a.md", "# A\n\nRobots build cars."),
            (
                "foo.md",
                "+++\nid = \"bar\"\n+++\nBar holds the word zeppelin.",
            ),
        ],
        Some(TOKEN),
    );
    let (corpus, s) = (&f.corpus, &f.state);
    let foo = std::fs::read(corpus.path().join("foo.md")).unwrap();
    for method in ["PUT", "POST"] {
        let (uri, body) = match method {
            "PUT" => (
                "/v1/documents/foo",
                json!({"text": "Foo replaces nothing."}),
            ),
            _ => (
                "/v1/documents",
                json!({"id": "foo", "text": "Foo replaces nothing."}),
            ),
        };
        let (st, v) = call(s, method, uri, Some(TOKEN), Some(body)).await;
        assert_eq!(st, StatusCode::CONFLICT, "{method}: {v}");
        assert_eq!(v["error"]["code"], "conflict");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("bar"),
            "{v}"
        );
        assert_eq!(hits(s, "zeppelin").await, 1, "{method}: bar still indexed");
        assert_eq!(std::fs::read(corpus.path().join("foo.md")).unwrap(), foo);
    }
    // A file dropped in by hand, unknown to the index, is not overwritten.
    let by_hand = b"# By hand\n\nWritten outside verbatim.";
    std::fs::write(corpus.path().join("hand.md"), by_hand).unwrap();
    for (method, uri, body) in [
        ("PUT", "/v1/documents/hand", json!({"text": "Overwrite?"})),
        (
            "POST",
            "/v1/documents",
            json!({"id": "hand", "text": "Overwrite?"}),
        ),
    ] {
        let (st, v) = call(s, method, uri, Some(TOKEN), Some(body)).await;
        assert_eq!(st, StatusCode::CONFLICT, "{method}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not in the index"),
            "{v}"
        );
        assert_eq!(
            std::fs::read(corpus.path().join("hand.md")).unwrap(),
            by_hand
        );
    }
    // Writing `bar` itself still replaces it in its own file.
    let (st, v) = call(
        s,
        "PUT",
        "/v1/documents/bar",
        Some(TOKEN),
        Some(json!({"text": "Bar now mentions a blimp."})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((hits(s, "zeppelin").await, hits(s, "blimp").await), (0, 1));
}

/// The document text at a citation's char offsets.
async fn text_at(s: &AppState, c: &Value) -> Option<String> {
    let (_, d) = call(
        s,
        "GET",
        &format!("/v1/documents/{}", c["doc_id"].as_str()?),
        None,
        None,
    )
    .await;
    let text: Vec<char> = d["text"].as_str()?.chars().collect();
    let (a, b) = (c["start"].as_u64()? as usize, c["end"].as_u64()? as usize);
    text.get(a..b).map(|t| t.iter().collect())
}

async fn verify(s: &AppState, citations: Value) -> Vec<Value> {
    let (st, v) = call(
        s,
        "POST",
        "/v1/citations/verify",
        None,
        Some(json!({ "citations": citations })),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["results"].as_array().unwrap().clone()
}

async fn put(s: &AppState, id: &str, text: &str) {
    let (st, v) = call(
        s,
        "PUT",
        &format!("/v1/documents/{id}"),
        Some(TOKEN),
        Some(json!({ "text": text })),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn stored_citations_are_exact_moved_changed_or_gone_after_writes() {
    let f = fixture(Some(TOKEN));
    let s = &f.state;
    let sentence = "The plant employs 1,200 workers in Osaka.";
    let body = format!("# Report\n\n{sentence}\n\nIt opened in 2019 after a long delay.");
    let (st, _) = call(
        s,
        "POST",
        "/v1/documents",
        Some(TOKEN),
        Some(json!({"id": "report", "text": body})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    // The citation verbatim gave, kept whole by the client (extra fields
    // such as `label` ride along), with and without its text.
    let (_, q) = call(
        s,
        "POST",
        "/v1/quotes/check",
        None,
        Some(json!({ "quote": sentence })),
    )
    .await;
    let cited = q["match"]["citation"].clone();
    let quoted = q["match"]["text"].as_str().unwrap().to_string();
    assert!(sentence.starts_with(&quoted), "{q}");
    let mut with_text = cited.clone();
    with_text["text"] = json!(quoted);
    let r = verify(s, json!([with_text, cited])).await;
    assert_eq!(
        (r[0]["status"].as_str(), r[1]["status"].as_str()),
        (Some("exact"), Some("exact"))
    );
    assert_eq!(r[0]["text"], quoted);

    // A paragraph inserted above: the text moved, and the new offsets slice to it.
    put(s, "report", &format!("# Report\n\nA new first paragraph.\n\n{sentence}\n\nIt opened in 2019 after a long delay.")).await;
    let r = verify(s, json!([with_text, cited])).await;
    assert_eq!(r[0]["status"], "moved", "{}", r[0]);
    assert_eq!(
        text_at(s, &r[0]["citations"][0]).await,
        Some(quoted.clone())
    );
    assert_ne!(r[0]["citations"][0]["start"], with_text["start"]);
    // Without the text, a new version at the old offsets is `changed`.
    assert_eq!(r[1]["status"], "changed", "{}", r[1]);

    // One sentence edited: `changed`, found by its words, with the diff.
    put(
        s,
        "report",
        "# Report\n\nThe plant employs 1,200 staff in Osaka.",
    )
    .await;
    let r = verify(s, json!([with_text])).await;
    assert_eq!(r[0]["status"], "changed", "{}", r[0]);
    assert_eq!(r[0]["text"], "The plant employs 1,200 staff in Osaka");
    assert!(r[0]["diff"].as_array().is_some_and(|d| !d.is_empty()));
    assert_eq!(
        text_at(s, &r[0]["citations"][0]).await,
        r[0]["text"].as_str().map(String::from)
    );

    // A number changed: `changed`, with the quote checker's note.
    put(
        s,
        "report",
        "# Report\n\nThe plant employs 1,500 workers in Osaka.",
    )
    .await;
    let r = verify(s, json!([with_text])).await;
    assert_eq!(r[0]["status"], "changed", "{}", r[0]);
    assert!(
        r[0]["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "number_changed"),
        "{}",
        r[0]
    );

    // The document deleted: `gone`, with or without the text.
    let (st, _) = call(s, "DELETE", "/v1/documents/report", Some(TOKEN), None).await;
    assert_eq!(st, StatusCode::OK);
    let r = verify(s, json!([with_text, cited])).await;
    assert_eq!(
        (r[0]["status"].as_str(), r[1]["status"].as_str()),
        (Some("gone"), Some("gone"))
    );
    assert!(r[0]["citations"].as_array().unwrap().is_empty() && r[0]["text"].is_null());

    // Text that lives on in another document: `moved` there.
    let mut elsewhere = with_text.clone();
    elsewhere["text"] = json!("Robots build cars.");
    let r = verify(s, json!([elsewhere])).await;
    assert_eq!(r[0]["status"], "moved", "{}", r[0]);
    assert_eq!(r[0]["citations"][0]["doc_id"], "a");

    // The same as a spreadsheet: a BOM, a header, one row per citation in
    // order, and a cited text that looks like a formula made inert.
    let mut formula = with_text.clone();
    formula["text"] = json!("=HYPERLINK(\"http://x\")");
    let req = Request::builder()
        .method("POST")
        .uri("/v1/citations/verify?format=csv")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "citations": [elsewhere, formula] }).to_string(),
        ))
        .unwrap();
    let resp = app(s.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let csv = String::from_utf8(body.to_vec()).unwrap();
    let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        csv.starts_with('\u{feff}') && rows[0].starts_with("doc_id,start,end,cited_text,status")
    );
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows[1].contains(",moved,a,") && rows[1].contains("Robots build cars."),
        "{csv}"
    );
    assert!(
        rows[2].contains("'=HYPERLINK") && rows[2].contains(",gone,"),
        "{csv}"
    );

    // Bad input is a clear 400.
    for bad in [
        json!([{"doc_id": "a", "start": 0, "end": 3}]),
        json!([{"doc_id": "a", "start": 5, "end": 3, "text": "x"}]),
        json!(vec![
            json!({"doc_id": "a", "start": 0, "end": 1, "text": "R"});
            1001
        ]),
    ] {
        let (st, v) = call(
            s,
            "POST",
            "/v1/citations/verify",
            None,
            Some(json!({ "citations": bad })),
        )
        .await;
        assert_eq!(
            (st.as_u16(), v["error"]["code"].as_str()),
            (400, Some("invalid_parameter")),
            "{v}"
        );
    }
}

/// After writes spread the corpus over several index segments, an export
/// still lists every hit once, in the order the pages list them (the walk
/// orders segments by their place in the searcher, as the pages do).
#[tokio::test]
async fn an_export_across_written_segments_keeps_the_pages_order() {
    let f = fixture(Some(TOKEN));
    let s = &f.state;
    for i in 0..6 {
        // Distinct passages, so no page folds near-duplicates.
        let text = format!(
            "# Plant {i}\n\nRobots build cars in plant {i}.\n\nRobots {}rest at plant {i} in shift {}.\n\nLine {i} on robots and welding cell {}.",
            "never ".repeat(i),
            i * 7,
            i * 13
        );
        put(s, &format!("plant-{i}"), &text).await;
    }
    let (_, v) = call(s, "GET", "/v1/search?q=robots&limit=0", None, None).await;
    let total = v["total"].as_u64().unwrap() as usize;
    assert!(total >= 18, "{v}");
    // Each page as a set: a page folds near-duplicates under the best of
    // them, so its order within is not the rank order.
    let mut pages = Vec::new();
    for offset in (0..total).step_by(7) {
        let uri = format!("/v1/search?q=robots&limit=7&offset={offset}&mode=lexical");
        let (_, v) = call(s, "GET", &uri, None, None).await;
        let mut page = std::collections::BTreeSet::new();
        for h in v["hits"].as_array().unwrap() {
            for one in std::iter::once(h).chain(h["similar"].as_array().unwrap()) {
                page.insert(one["passage_id"].as_str().unwrap().to_string());
            }
        }
        pages.push(page);
    }
    let req = Request::get("/v1/search/export?q=robots&format=jsonl&mode=lexical")
        .body(Body::empty())
        .unwrap();
    let resp = app(s.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let exported: Vec<String> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice::<Value>(l).unwrap()["passage_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(exported.len(), total);
    let exported_pages: Vec<std::collections::BTreeSet<String>> = exported
        .chunks(7)
        .map(|c| c.iter().cloned().collect())
        .collect();
    assert_eq!(exported_pages, pages);
}
