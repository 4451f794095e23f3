//! Every route and every error, through `app(state).oneshot(...)`.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use verbatim::Engine;
use verbatim::Limits;
use verbatim::{app, AppState};

use super::support::{corpus_words, default_corpus, urlencode};

fn state() -> AppState {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(&default_corpus(), dir.path()).unwrap();
    std::mem::forget(dir); // the index must outlive the state
    AppState::ready(engine, super::support::contract_limits())
}

/// Sends a request; returns status, content type and body.
async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        resp.headers().contains_key("x-request-id"),
        "every response carries x-request-id"
    );
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, ct, body)
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let (s, ct, body) = send(state, Request::get(uri).body(Body::empty()).unwrap()).await;
    assert!(
        ct.starts_with("application/json"),
        "{uri}: content type {ct}"
    );
    (
        s,
        serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{uri}: body is not JSON")),
    )
}

async fn post(
    state: &AppState,
    uri: &str,
    ct: Option<&str>,
    body: impl Into<Body>,
) -> (StatusCode, Value) {
    let mut b = Request::post(uri);
    if let Some(ct) = ct {
        b = b.header("content-type", ct);
    }
    let (s, _, body) = send(state, b.body(body.into()).unwrap()).await;
    (s, serde_json::from_slice(&body).unwrap())
}

/// Asserts the standard error shape with `code`.
fn assert_error(got: (StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
    assert!(got.1["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn health_and_readiness() {
    let s = state();
    assert_eq!(
        get(&s, "/healthz").await,
        (StatusCode::OK, serde_json::json!({"status": "ok"}))
    );
    assert_eq!(get(&s, "/readyz").await.0, StatusCode::OK);
    let starting = AppState::starting(Limits::default());
    assert_error(get(&starting, "/readyz").await, 503, "not_ready");
    assert_error(get(&starting, "/v1/search?q=japan").await, 503, "not_ready");
    assert_eq!(get(&starting, "/healthz").await.0, StatusCode::OK);
}

#[tokio::test]
async fn search_contract() {
    let s = state();
    let (st, v) = get(&s, "/v1/search?q=%22sovereign%20AI%22&limit=1").await;
    assert_eq!(st, StatusCode::OK);
    for k in ["query", "total", "took_ms", "hits"] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    assert_eq!(v["total"], 2);
    let hit = &v["hits"][0];
    for k in [
        "passage_id",
        "doc_id",
        "title",
        "kind",
        "section",
        "score",
        "text",
        "highlights",
        "citation",
    ] {
        assert!(hit.get(k).is_some(), "hit missing {k}");
    }
    for k in [
        "doc_id",
        "title",
        "kind",
        "passage_id",
        "passage_kind",
        "paragraph",
        "start",
        "end",
        "url",
        "doc_version",
        "label",
    ] {
        assert!(hit["citation"].get(k).is_some(), "citation missing {k}");
    }
    assert_eq!(
        hit["citation"]["label"],
        "Japan’s Massive AI Experiment Begins, ¶2"
    );
    assert_eq!(
        hit["citation"]["paragraph"], 2,
        "¶ counts what a reader counts"
    );
    assert_eq!(hit["citation"]["passage_kind"], "item");
    assert_eq!(
        v["read_as"],
        serde_json::Value::Null,
        "a phrase reads as typed"
    );
    let (_, filtered) = get(&s, "/v1/search?q=sources&kind=source-note&limit=0").await;
    assert_eq!(filtered["total"], 10);
    assert_eq!(filtered["hits"].as_array().unwrap().len(), 0);
    // Operators are reported as read; what the parser dropped is named.
    let (_, v) = get(&s, "/v1/search?q=Honda%20NOT%20Sony%20%29").await;
    assert_eq!(v["read_as"], "Honda -Sony");
    assert_eq!(v["dropped"], serde_json::json!([")"]));
    assert_eq!(v["total"], 0);
}

/// Every GET error case: `(uri, status, code)`.
const GET_ERRORS: &[(&str, u16, &str)] = &[
    ("/v1/search", 400, "invalid_parameter"),
    ("/v1/search?q=japan&limit=abc", 400, "invalid_parameter"),
    ("/v1/search?q=japan&limit=101", 400, "invalid_parameter"),
    ("/v1/search?q=japan&offset=-1", 400, "invalid_parameter"),
    ("/v1/search?q=", 400, "invalid_query"),
    ("/nope", 404, "not_found"),
    ("/v1/documents/no-such-doc", 404, "not_found"),
    ("/v1/passages/japan-ai-experiment:p999", 404, "not_found"),
    ("/v1/passages/garbage", 404, "not_found"),
    ("/v1/documents/..%2F..%2Fetc%2Fpasswd", 404, "not_found"),
    ("/v1/documents/%FF%FE", 400, "invalid_parameter"),
];

#[tokio::test]
async fn get_errors() {
    let s = state();
    for (uri, status, code) in GET_ERRORS {
        assert_error(get(&s, uri).await, *status, code);
    }
    let long = "a".repeat(Limits::default().max_query_chars + 1);
    assert_error(
        get(&s, &format!("/v1/search?q={long}")).await,
        400,
        "invalid_query",
    );
    // Lenient reading: unbalanced quotes and parentheses answer 200.
    assert_eq!(get(&s, "/v1/search?q=%22japan").await.0, StatusCode::OK);
    assert_eq!(
        get(&s, &format!("/v1/search?q={}japan", "(".repeat(500)))
            .await
            .0,
        StatusCode::OK
    );
    let (st, _, body) = send(
        &s,
        Request::delete("/v1/search").body(Body::empty()).unwrap(),
    )
    .await;
    assert_error(
        (st, serde_json::from_slice(&body).unwrap()),
        405,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn batch_agrees_with_single_search() {
    let s = state();
    let queries = [
        "robots",
        "\"physical AI\"",
        "Honda -Sony",
        "sources kind:source-note",
    ];
    let body = serde_json::json!({"queries": queries, "limit": 5}).to_string();
    let (st, v) = post(&s, "/v1/search/batch", Some("application/json"), body).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), queries.len());
    for (q, r) in queries.iter().zip(results) {
        let (_, single) = get(&s, &format!("/v1/search?limit=5&q={}", urlencode(q))).await;
        assert_eq!(r["total"], single["total"], "{q}");
        assert_eq!(r["hits"], single["hits"], "{q}");
    }
}

#[tokio::test]
async fn body_errors() {
    let s = state();
    assert_error(
        post(
            &s,
            "/v1/search/batch",
            Some("application/json"),
            "{not json",
        )
        .await,
        400,
        "invalid_json",
    );
    assert_error(
        post(
            &s,
            "/v1/search/batch",
            Some("application/json"),
            r#"{"queries": "x"}"#,
        )
        .await,
        400,
        "invalid_json",
    );
    assert_error(
        post(&s, "/v1/search/batch", Some("application/json"), r#"{}"#).await,
        400,
        "invalid_json",
    );
    assert_error(
        post(&s, "/v1/search/batch", None, r#"{"queries": []}"#).await,
        415,
        "unsupported_media_type",
    );
    assert_error(
        post(
            &s,
            "/v1/search/batch",
            Some("text/plain"),
            r#"{"queries": []}"#,
        )
        .await,
        415,
        "unsupported_media_type",
    );
    let huge = format!(r#"{{"queries": ["{}"]}}"#, "a".repeat(2 << 20));
    assert_error(
        post(&s, "/v1/search/batch", Some("application/json"), huge).await,
        413,
        "payload_too_large",
    );
    let too_many = serde_json::json!({"queries": vec!["a"; 101]}).to_string();
    assert_error(
        post(&s, "/v1/search/batch", Some("application/json"), too_many).await,
        400,
        "invalid_parameter",
    );
    assert_error(
        post(
            &s,
            "/v1/search/batch",
            Some("application/json"),
            r#"{"queries": [""]}"#,
        )
        .await,
        400,
        "invalid_query",
    );
}

/// The document list comes a page at a time: following `next_cursor`
/// walks every document once, in the order of one big page, and every
/// page carries the corpus's totals.
#[tokio::test]
async fn the_document_list_pages_with_cursors_and_totals() {
    let s = state();
    let (st, all) = get(&s, "/v1/documents?limit=1000").await;
    assert_eq!(st, 200);
    let want: Vec<&str> = all["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["doc_id"].as_str().unwrap())
        .collect();
    assert_eq!(want.len(), 10);
    assert_eq!(all["total"], 10);
    assert!(all.get("next_cursor").is_none(), "{all}");
    let by_kind: u64 = all["kinds"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(by_kind, 10);
    let mut walked: Vec<String> = Vec::new();
    let mut uri = "/v1/documents?limit=3".to_string();
    loop {
        let (st, page) = get(&s, &uri).await;
        assert_eq!(st, 200, "{page}");
        assert_eq!(page["total"], 10);
        assert_eq!(page["kinds"], all["kinds"]);
        let docs = page["documents"].as_array().unwrap();
        assert!(docs.len() <= 3);
        walked.extend(
            docs.iter()
                .map(|d| d["doc_id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => uri = format!("/v1/documents?limit=3&cursor={}", urlencode(c)),
            None => break,
        }
    }
    assert_eq!(walked, want);
    for bad in [
        "/v1/documents?limit=0",
        "/v1/documents?limit=1001",
        "/v1/documents?cursor=nonsense",
        "/v1/documents?cursor=x%3Aseed",
    ] {
        let (st, v) = get(&s, bad).await;
        assert_eq!(st, 400, "{bad}: {v}");
        assert_eq!(v["error"]["code"], "invalid_parameter", "{bad}: {v}");
    }
}

/// A cell a spreadsheet would run as a formula (corpus text starting with
/// `=`, `+`, `-` or `@`) is exported to CSV behind a `'`; the JSON Lines
/// export keeps the exact text, which the offsets name.
#[tokio::test]
async fn csv_cells_never_run_as_formulas_and_json_lines_stay_exact() {
    let corpus = super::support::corpus_of(&[(
        "formula.md",
        "---\nid: formula\ntitle: \"=HYPERLINK(\\\"http://evil.example\\\")\"\n---\n=HYPERLINK(\"http://evil.example\") zqformula text.\n\n@SUM(1) zqformula again.\n",
    )]);
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(corpus.path(), dir.path()).unwrap();
    let s = AppState::ready(engine, super::support::contract_limits());
    let req = |format: &str| {
        Request::get(format!("/v1/search/export?q=zqformula&format={format}"))
            .body(Body::empty())
            .unwrap()
    };
    let (st, _, csv_bytes) = send(&s, req("csv")).await;
    assert_eq!(st, StatusCode::OK);
    let mut rdr = csv::Reader::from_reader(&csv_bytes[3..]);
    let h = rdr.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        for cell in r.iter() {
            assert!(!cell.starts_with(['=', '+', '@']), "a live formula: {cell}");
        }
        assert!(r[col("text")].starts_with("'=") || r[col("text")].starts_with("'@"));
        assert!(r[col("title")].starts_with("'="));
    }
    let (st, _, jsonl) = send(&s, req("jsonl")).await;
    assert_eq!(st, StatusCode::OK);
    let (_, doc) = get(&s, "/v1/documents/formula").await;
    let text: Vec<char> = doc["text"].as_str().unwrap().chars().collect();
    for line in String::from_utf8(jsonl).unwrap().lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let (a, b) = (
            row["start"].as_u64().unwrap() as usize,
            row["end"].as_u64().unwrap() as usize,
        );
        let exact: String = text[a..b].iter().collect();
        assert_eq!(row["text"], exact.as_str());
        assert!(exact.starts_with(['=', '@']));
    }
}

/// Export links are absolute on the configured public address; without
/// one, on the request's host only when it is a plain host and port (a
/// forged `Host` cannot bend them), else relative.
#[tokio::test]
async fn export_links_use_the_public_url_or_a_plain_host() {
    let links = |s: AppState, host: &'static str| async move {
        let req = Request::get("/v1/search/export?q=robots&format=jsonl")
            .header("host", host)
            .body(Body::empty())
            .unwrap();
        let (st, _, body) = send(&s, req).await;
        assert_eq!(st, StatusCode::OK);
        String::from_utf8(body)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["permalink"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect::<Vec<String>>()
    };
    let plain = links(state(), "127.0.0.1:7310").await;
    assert!(!plain.is_empty());
    assert!(
        plain
            .iter()
            .all(|l| l.starts_with("http://127.0.0.1:7310/p/")),
        "{plain:?}"
    );
    let forged = links(state(), "evil.example/\"><x").await;
    assert!(forged.iter().all(|l| l.starts_with("/p/")), "{forged:?}");
    let mut s = state();
    s.public_url = Some("https://verbatim.newsroom.example/tools".into());
    let public = links(s, "127.0.0.1:7310").await;
    assert!(
        public
            .iter()
            .all(|l| l.starts_with("https://verbatim.newsroom.example/tools/p/")),
        "{public:?}"
    );
}

#[tokio::test]
async fn documents_and_passages() {
    let s = state();
    let (_, list) = get(&s, "/v1/documents").await;
    let docs = list["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 10);
    for k in [
        "doc_id",
        "title",
        "kind",
        "source",
        "url",
        "published",
        "passages",
        "doc_version",
    ] {
        assert!(docs[0].get(k).is_some(), "document missing {k}");
    }
    let (_, p) = get(&s, "/v1/passages/japan-ai-experiment:p3").await;
    assert_eq!(p["previous"], "japan-ai-experiment:p2");
    assert_eq!(p["next"], "japan-ai-experiment:p4");
    let (_, d) = get(&s, "/v1/documents/japan-ai-experiment").await;
    let text: Vec<char> = d["text"].as_str().unwrap().chars().collect();
    let slice = |a: &Value, b: &Value| {
        text[a.as_u64().unwrap() as usize..b.as_u64().unwrap() as usize]
            .iter()
            .collect::<String>()
    };
    assert_eq!(
        slice(&p["citation"]["start"], &p["citation"]["end"]),
        p["text"].as_str().unwrap()
    );
    for sent in p["sentences"].as_array().unwrap() {
        assert_eq!(
            slice(&sent["start"], &sent["end"]),
            sent["text"].as_str().unwrap()
        );
    }
    let (_, first) = get(&s, "/v1/passages/japan-ai-experiment:p1").await;
    assert!(first["previous"].is_null());
}

#[tokio::test]
async fn export_streams_every_hit() {
    let s = state();
    let (_, v) = get(&s, "/v1/search?q=japan&limit=0").await;
    let total = v["total"].as_u64().unwrap() as usize;
    assert!(total > 10);
    let (st, ct, body) = send(
        &s,
        Request::get("/v1/search/export?q=japan&format=csv")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    let mut rdr = csv::Reader::from_reader(body.as_slice());
    let headers = rdr.headers().unwrap().clone();
    assert!(headers.iter().any(|h| h == "label") && headers.iter().any(|h| h == "text"));
    assert!(
        body.starts_with("\u{feff}rank,".as_bytes()),
        "a byte-order mark first"
    );
    assert!(headers.iter().any(|h| h == "permalink"));
    assert_eq!(rdr.records().count(), total);
    let (_, ct, body) = send(
        &s,
        Request::get("/v1/search/export?q=japan&format=jsonl")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(ct.starts_with("application/x-ndjson"));
    let lines: Vec<Value> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), total);
    assert_eq!(lines[0]["rank"], 1);
    // The row count travels in a header, so a client can tell a whole
    // export from one cut off midway.
    let resp = app(s.clone())
        .oneshot(
            Request::get("/v1/search/export?q=japan&format=csv")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-total-count"], total.to_string().as_str());
    assert_error(
        get(&s, "/v1/search/export?q=japan&format=xml").await,
        400,
        "invalid_parameter",
    );
    assert_error(get(&s, "/v1/search/export?q=").await, 400, "invalid_query");
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let s = state();
    get(&s, "/v1/search?q=japan").await;
    let (st, ct, body) = send(&s, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.starts_with("text/plain"));
    let text = String::from_utf8(body).unwrap();
    for needle in [
        "verbatim_http_requests_total",
        "route=\"/v1/search\"",
        "verbatim_http_request_duration_seconds_bucket",
        "verbatim_passages 67",
        "verbatim_documents 10",
        "verbatim_index_size_bytes",
        "verbatim_stem_cache_words",
    ] {
        assert!(text.contains(needle), "metrics lack {needle}:\n{text}");
    }
    // The search stemmed its hits' words, so the cache was asked.
    let lookups: f64 = text
        .lines()
        .filter(|l| l.starts_with("verbatim_stem_cache_lookups_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(lookups > 0.0, "no stem look-ups counted:\n{text}");
}

#[tokio::test]
async fn openapi_covers_every_route() {
    let s = state();
    let (st, doc) = get(&s, "/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let served = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/v1/search",
        "/v1/search/batch",
        "/v1/search/export",
        "/v1/documents",
        "/v1/documents/{doc_id}",
        "/v1/passages/{passage_id}",
        "/v1/quotes/check",
        "/v1/quotes/check-draft",
        "/v1/ask",
        "/",
        "/p/{passage_id}",
        "/assets/app.js",
        "/assets/app.css",
    ];
    for p in served {
        assert!(paths.contains_key(p), "{p} is served but not documented");
    }
    // Parameters are where the route reads them: `{name}` in the path,
    // everything else in the query string.
    for (p, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                let place = if p.contains(&format!("{{{name}}}")) {
                    "path"
                } else {
                    "query"
                };
                assert_eq!(param["in"], place, "{method} {p} {name}");
            }
        }
    }
    // And every documented path is served (no 404 from the router).
    for (p, item) in paths {
        let uri = p
            .replace("{doc_id}", "japan-ai-experiment")
            .replace("{passage_id}", "japan-ai-experiment:p1");
        for method in item.as_object().unwrap().keys() {
            let req = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri);
            let req = if method == "post" {
                req.header("content-type", "application/json")
                    .body(Body::from("{\"queries\":[]}"))
            } else {
                req.body(Body::empty())
            };
            let (st, _, _) = send(&s, req.unwrap()).await;
            assert_ne!(st, StatusCode::NOT_FOUND, "{method} {uri}");
            assert_ne!(st, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer",
        "the write routes' scheme is declared"
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "ErrorBody",
        "SearchResponse",
        "Citation",
        "PassageView",
        "DocumentList",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
}

#[tokio::test]
async fn citations_slice_document_text_over_the_api() {
    let s = state();
    let mut texts: HashMap<String, Vec<char>> = HashMap::new();
    let words = corpus_words();
    let mut checked = 0;
    for (i, w) in words.iter().enumerate().step_by(2) {
        let q = if i % 4 == 0 {
            format!("\"{w}\"")
        } else {
            format!("{w} {}", words[(i * 13) % words.len()])
        };
        let (st, v) = get(&s, &format!("/v1/search?limit=20&q={}", urlencode(&q))).await;
        assert_eq!(st, StatusCode::OK, "{q}");
        for hit in v["hits"].as_array().unwrap() {
            let c = &hit["citation"];
            let doc_id = c["doc_id"].as_str().unwrap().to_string();
            if !texts.contains_key(&doc_id) {
                let (_, d) = get(&s, &format!("/v1/documents/{doc_id}")).await;
                texts.insert(
                    doc_id.clone(),
                    d["text"].as_str().unwrap().chars().collect(),
                );
            }
            let t = &texts[&doc_id];
            let (a, b) = (
                c["start"].as_u64().unwrap() as usize,
                c["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(
                t[a..b].iter().collect::<String>(),
                hit["text"].as_str().unwrap(),
                "{q}"
            );
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} hits checked");
}

#[tokio::test]
async fn quote_check_contract_and_errors() {
    let s = state();
    let body = serde_json::json!({"quote": "Japan has approved about $8.3 billion"}).to_string();
    let (st, v) = post(&s, "/v1/quotes/check", Some("application/json"), body).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["verdict"], "altered");
    for k in ["text", "similarity", "citation", "diff", "notes"] {
        assert!(v["match"].get(k).is_some(), "match missing {k}");
    }
    assert!(v["match"]["diff"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["op"] == "replace" && d["quote"] == "8.3" && d["source"] == "6.3"));
    let (_, v) = post(
        &s,
        "/v1/quotes/check",
        Some("application/json"),
        r#"{"quote":"Purple elephants govern the moon base"}"#,
    )
    .await;
    assert_eq!(v["verdict"], "not_found");
    assert!(v["match"].is_null());
    assert_error(
        post(
            &s,
            "/v1/quotes/check",
            Some("application/json"),
            r#"{"quote":""}"#,
        )
        .await,
        400,
        "invalid_quote",
    );
    let long = serde_json::json!({"quote": "word ".repeat(301)}).to_string();
    assert_error(
        post(&s, "/v1/quotes/check", Some("application/json"), long).await,
        400,
        "quote_too_long",
    );
    assert_error(
        post(
            &s,
            "/v1/quotes/check",
            Some("application/json"),
            r#"{"quote": 5}"#,
        )
        .await,
        400,
        "invalid_json",
    );
    assert_error(
        post(
            &s,
            "/v1/quotes/check",
            Some("application/json"),
            r#"{"text": "x"}"#,
        )
        .await,
        400,
        "invalid_json",
    );
}

#[tokio::test]
async fn draft_check_json_and_csv() {
    let s = state();
    let draft = r#"She said "Japan is losing workers fast" and "Japan is gaining workers fast, says nobody at all". "The moon is made of green cheese," he added."#;
    let body = serde_json::json!({"text": draft}).to_string();
    let (st, v) = post(
        &s,
        "/v1/quotes/check-draft",
        Some("application/json"),
        body.clone(),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let quotes = v["quotes"].as_array().unwrap();
    assert_eq!(quotes.len(), 3);
    assert_eq!(quotes[0]["verdict"], "verbatim");
    assert_eq!(quotes[2]["verdict"], "not_found");
    assert_eq!(quotes[0]["start"], 10);
    for req in [
        Request::post("/v1/quotes/check-draft?format=csv")
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .unwrap(),
        Request::post("/v1/quotes/check-draft")
            .header("content-type", "application/json")
            .header("accept", "text/csv")
            .body(Body::from(body.clone()))
            .unwrap(),
    ] {
        let (st, ct, bytes) = send(&s, req).await;
        assert_eq!(st, StatusCode::OK);
        assert!(ct.starts_with("text/csv"));
        // A byte-order mark first, so spreadsheets read the curly quotes as UTF-8.
        assert!(bytes.starts_with("\u{feff}start,".as_bytes()));
        let mut rdr = csv::Reader::from_reader(bytes.as_slice());
        let h = rdr.headers().unwrap().clone();
        let col = |name: &str| {
            h.iter()
                .position(|x| x == name)
                .unwrap_or_else(|| panic!("csv lacks {name}: {h:?}"))
        };
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][col("verdict")], "verbatim");
        assert!(!rows[0][col("differences")].is_empty());
        let link = &rows[0][col("permalink")];
        assert!(
            link.starts_with("/p/") && link.contains("?start="),
            "{link}"
        );
        // not_found: no source text, but the nearest passage in its own columns.
        let nf = &rows[2];
        assert_eq!(&nf[col("verdict")], "not_found");
        assert!(nf[col("source_text")].is_empty() && nf[col("label")].is_empty());
        assert!(!nf[col("nearest_label")].is_empty() && !nf[col("nearest_text")].is_empty());
        assert!(nf[col("nearest_permalink")].starts_with("/p/"));
    }
    assert_error(
        post(
            &s,
            "/v1/quotes/check-draft?format=xml",
            Some("application/json"),
            body,
        )
        .await,
        400,
        "invalid_parameter",
    );
}

#[tokio::test]
async fn ask_contract_and_errors() {
    let s = state();
    let (st, v) = post(
        &s,
        "/v1/ask",
        Some("application/json"),
        r#"{"question":"When was the joint venture set up?","limit":2}"#,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "answered");
    for k in [
        "question",
        "status",
        "answers",
        "related",
        "unmatched_terms",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let a = &v["answers"][0];
    for k in [
        "text",
        "score",
        "passage_id",
        "doc_id",
        "citation",
        "context",
        "highlights",
    ] {
        assert!(a.get(k).is_some(), "answer missing {k}");
    }
    assert!(a["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["kind"] == "answer"));
    assert!(a["context"]
        .as_str()
        .unwrap()
        .contains(a["text"].as_str().unwrap()));
    let (_, v) = post(
        &s,
        "/v1/ask",
        Some("application/json"),
        r#"{"question":"How many robots does South Korea plan?"}"#,
    )
    .await;
    assert_eq!(v["status"], "no_answer");
    assert_eq!(v["answers"].as_array().unwrap().len(), 0);
    assert_eq!(v["unmatched_terms"], serde_json::json!(["South", "Korea"]));
    let (_, v) = post(
        &s,
        "/v1/ask",
        Some("application/json"),
        r#"{"question":"robots","kind":"source-note","limit":1}"#,
    )
    .await;
    assert!(v["answers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["doc_id"].as_str().unwrap().starts_with("source-")));
    assert_error(
        post(
            &s,
            "/v1/ask",
            Some("application/json"),
            r#"{"question":""}"#,
        )
        .await,
        400,
        "invalid_query",
    );
    assert_error(
        post(
            &s,
            "/v1/ask",
            Some("application/json"),
            r#"{"question":"x","limit":11}"#,
        )
        .await,
        400,
        "invalid_parameter",
    );
    assert_error(
        post(&s, "/v1/ask", Some("application/json"), r#"{"q":"x"}"#).await,
        400,
        "invalid_json",
    );
    let long = serde_json::json!({"question": "why ".repeat(1000)}).to_string();
    assert_error(
        post(&s, "/v1/ask", Some("application/json"), long).await,
        400,
        "invalid_query",
    );
}

#[tokio::test]
async fn the_page_is_embedded_and_locked_down() {
    let s = state();
    for (uri, ct) in [
        ("/", "text/html"),
        ("/p/japan-ai-experiment:p3", "text/html"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
    ] {
        let resp = app(s.clone())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{uri}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(ct),
            "{uri}"
        );
        if ct == "text/html" {
            let csp = resp.headers()["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("default-src 'self'"), "{csp}");
        }
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{uri} loads nothing from the network"
        );
    }
}
