//! The bad-input suite: raw bytes over a real socket to a real server.
//!
//! Every case must get its 4xx status and, where the request reached the
//! application, the JSON error shape with its stable `code`. After the
//! whole table the server must still be up and still answer correctly.
//! Slow and idle clients must not starve the others.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use verbatim::Engine;
use verbatim::Live;
use verbatim::{serve as run, AppState};
use verbatim::{Limits, Secret};

use super::support::default_corpus;

const TOKEN: &str = "bad-input-token-0123456789";

/// A server over a copy of the default corpus with writes on.
struct Server {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

async fn start(limits: Limits) -> Server {
    let corpus = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(default_corpus()).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, corpus.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    let index = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(corpus.path(), index.path()).unwrap();
    let mut state = AppState::ready(engine, limits);
    state.token = Some(Secret::new(TOKEN.into()));
    state.live = Some(Live {
        corpus_dir: corpus.path().into(),
        index_dir: index.path().into(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(run(listener, state, async {
        let _ = rx.await;
    }));
    Server {
        addr,
        stop: Some(tx),
        done,
        _dirs: (corpus, index),
    }
}

impl Server {
    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(20), &mut self.done)
            .await
            .expect("graceful shutdown finished")
            .unwrap()
            .unwrap();
    }
}

/// Sends raw bytes on a fresh connection; returns status and body.
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The server may answer (413) before it has read everything we send.
    let _ = s.write_all(request).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = match buf.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => buf[i + 4..].to_vec(),
        None => Vec::new(),
    };
    (status, body)
}

/// An HTTP/1.1 request with `Connection: close`.
fn request(method: &str, target: &[u8], headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(method.as_bytes());
    r.push(b' ');
    r.extend_from_slice(target);
    r.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        r.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    if !body.is_empty() || method != "GET" {
        r.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    r
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

/// One bad request and what it must get.
struct Case {
    /// What it tries.
    name: &'static str,
    /// The bytes sent.
    bytes: Vec<u8>,
    /// The status it must get.
    status: u16,
    /// The error code it must get (`None`: refused by the HTTP parser before
    /// the application, so there is no JSON body to check).
    code: Option<&'static str>,
}

fn case(name: &'static str, bytes: Vec<u8>, status: u16, code: &'static str) -> Case {
    Case {
        name,
        bytes,
        status,
        code: Some(code),
    }
}

fn cases() -> Vec<Case> {
    let auth = bearer(TOKEN);
    let auth_h = ("Authorization", auth.as_str());
    let long = "robots ".repeat(100_000 / 7 + 1);
    let long_q = format!("/v1/search?q={}", long.replace(' ', "+"));
    let ask = |body: &[u8]| request("POST", b"/v1/ask", &[JSON], body);
    let check = |body: &[u8]| request("POST", b"/v1/quotes/check", &[JSON], body);
    vec![
        // Malformed JSON, wrong types, missing fields.
        case("truncated JSON", ask(br#"{"question": "who"#), 400, "invalid_json"),
        case("JSON array", ask(b"[1, 2]"), 400, "invalid_json"),
        case("number for a string", ask(br#"{"question": 5}"#), 400, "invalid_json"),
        case("string for a number", ask(br#"{"question": "robots", "limit": "3"}"#), 400, "invalid_json"),
        case("negative limit", ask(br#"{"question": "robots", "limit": -1}"#), 400, "invalid_json"),
        case("limit too large", ask(br#"{"question": "robots", "limit": 1000}"#), 400, "invalid_parameter"),
        case("missing field", check(br#"{}"#), 400, "invalid_json"),
        case("unknown field", check(br#"{"quote": "x", "bogus": 1}"#), 400, "invalid_json"),
        case("null quote", check(br#"{"quote": null}"#), 400, "invalid_json"),
        case("empty body", ask(b""), 400, "invalid_json"),
        case(
            "batch of numbers",
            request("POST", b"/v1/search/batch", &[JSON], br#"{"queries": [1, 2]}"#),
            400,
            "invalid_json",
        ),
        // Huge bodies: refused from Content-Length, before reading them.
        case(
            "declared 2 MiB body",
            {
                let mut r = b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n".to_vec();
                r.extend_from_slice(&[b' '; 4096]);
                r
            },
            413,
            "payload_too_large",
        ),
        case(
            "2 MiB quote",
            check(format!(r#"{{"quote": "{}"}}"#, "a".repeat(2 << 20)).as_bytes()),
            413,
            "payload_too_large",
        ),
        // Invalid UTF-8 in paths, query strings and bodies.
        case("percent-encoded invalid UTF-8 in a path", request("GET", b"/v1/documents/%FF%FE", &[], b""), 400, "invalid_parameter"),
        case("invalid UTF-8 in a passage id", request("GET", b"/v1/passages/%C3%28", &[], b""), 400, "invalid_parameter"),
        case("invalid UTF-8 in a query string", request("GET", b"/v1/search?q=%FF%FE", &[], b""), 400, "invalid_parameter"),
        case("invalid UTF-8 in a JSON body", ask(b"{\"question\": \"who \xff\xfe\"}"), 400, "invalid_json"),
        case("overlong UTF-8 in a JSON body", check(b"{\"quote\": \"\xc0\xaf\"}"), 400, "invalid_json"),
        Case {
            name: "raw invalid UTF-8 bytes in the request line",
            bytes: request("GET", b"/v1/documents/\xff\xfe", &[], b""),
            status: 400,
            code: None,
        },
        // Control characters.
        case("only control characters as a query", request("GET", b"/v1/search?q=%00%01%1B%7F", &[], b""), 400, "invalid_query"),
        case("a NUL question", ask(br#"{"question": "\u0000\u0001"}"#), 400, "invalid_query"),
        case("a control-character quote", check(br#"{"quote": "\u0000\u0007\u001b"}"#), 400, "invalid_quote"),
        case("control characters in a document id", request("GET", b"/v1/documents/a%00b%0A", &[], b""), 404, "not_found"),
        // Queries of 100,000 characters.
        case("60,000-char search", request("GET", &long_q.as_bytes()[..60_000], &[], b""), 400, "invalid_query"),
        Case {
            name: "100,000-char search URI (over hyper's 64 KiB URI limit)",
            bytes: request("GET", long_q.as_bytes(), &[], b""),
            status: 414,
            code: None,
        },
        case("100,000-char question", ask(serde_json::json!({"question": long}).to_string().as_bytes()), 400, "invalid_query"),
        case("100,000-char quote", check(serde_json::json!({"quote": long}).to_string().as_bytes()), 400, "quote_too_long"),
        case(
            "100,000-char batch query",
            request("POST", b"/v1/search/batch", &[JSON], serde_json::json!({"queries": [long]}).to_string().as_bytes()),
            400,
            "invalid_query",
        ),
        // Path traversal in document ids and file names.
        case("dot-dot document id", request("GET", b"/v1/documents/..%2F..%2Fetc%2Fpasswd", &[], b""), 404, "not_found"),
        case("dot-dot passage id", request("GET", b"/v1/passages/..%2Fcorpus:p1", &[], b""), 404, "not_found"),
        case(
            "dot-dot id on write",
            request("PUT", b"/v1/documents/..%2F..%2Fetc%2Fpasswd", &[JSON, auth_h], br#"{"text": "x"}"#),
            400,
            "invalid_document",
        ),
        case(
            "dot-dot id in a body",
            request("POST", b"/v1/documents", &[JSON, auth_h], br#"{"id": "../escape", "text": "x"}"#),
            400,
            "invalid_document",
        ),
        case(
            "absolute id in a body",
            request("POST", b"/v1/documents", &[JSON, auth_h], br#"{"id": "/etc/passwd", "text": "x"}"#),
            400,
            "invalid_document",
        ),
        case(
            "dot-dot file name in an upload",
            request(
                "POST",
                b"/v1/documents",
                &[("Content-Type", "multipart/form-data; boundary=XyZ"), auth_h],
                b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../..\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n",
            ),
            400,
            "invalid_document",
        ),
        // Wrong methods and content types.
        case("DELETE on search", request("DELETE", b"/v1/search?q=robots", &[], b""), 405, "method_not_allowed"),
        case("GET on ask", request("GET", b"/v1/ask", &[], b""), 405, "method_not_allowed"),
        case("PATCH on a document", request("PATCH", b"/v1/documents/japan-ai-experiment", &[JSON, auth_h], b"{}"), 405, "method_not_allowed"),
        case("text/plain to ask", request("POST", b"/v1/ask", &[("Content-Type", "text/plain")], br#"{"question": "who"}"#), 415, "unsupported_media_type"),
        case("no content type", request("POST", b"/v1/quotes/check", &[], br#"{"quote": "x"}"#), 415, "unsupported_media_type"),
        case("form to batch", request("POST", b"/v1/search/batch", &[("Content-Type", "application/x-www-form-urlencoded")], b"queries=x"), 415, "unsupported_media_type"),
        case("unknown route", request("GET", b"/v2/search", &[], b""), 404, "not_found"),
        // Missing or wrong tokens.
        case("write without a token", request("POST", b"/v1/documents", &[JSON], br#"{"id": "x1", "text": "x"}"#), 401, "unauthorized"),
        case("write with a wrong token", request("DELETE", b"/v1/documents/japan-ai-experiment", &[("Authorization", "Bearer wrong-token-0123456789")], b""), 401, "unauthorized"),
        case("token as Basic", request("DELETE", b"/v1/documents/japan-ai-experiment", &[("Authorization", &format!("Basic {TOKEN}"))], b""), 401, "unauthorized"),
        case("token prefix only", request("DELETE", b"/v1/documents/japan-ai-experiment", &[("Authorization", &bearer(&TOKEN[..10]))], b""), 401, "unauthorized"),
        case("empty bearer", request("DELETE", b"/v1/documents/japan-ai-experiment", &[("Authorization", "Bearer ")], b""), 401, "unauthorized"),
    ]
}

#[tokio::test]
async fn every_bad_request_gets_its_4xx_and_the_server_stays_correct() {
    let server = start(super::support::contract_limits()).await;
    let (_, before) = raw(
        server.addr,
        &request("GET", b"/v1/search?q=robots&limit=5", &[], b""),
    )
    .await;
    // The same response, bar the time it took.
    let timeless = |bytes: &[u8]| {
        let mut v: Value = serde_json::from_slice(bytes).unwrap();
        v.as_object_mut().unwrap().remove("took_ms");
        v
    };
    let before = timeless(&before);
    let cases = cases();
    assert!(cases.len() >= 40);
    for c in &cases {
        let (status, body) = raw(server.addr, &c.bytes).await;
        assert_eq!(
            status,
            c.status,
            "{}: {}",
            c.name,
            String::from_utf8_lossy(&body)
        );
        if let Some(code) = c.code {
            let v: Value = serde_json::from_slice(&body)
                .unwrap_or_else(|_| panic!("{}: body is not JSON", c.name));
            assert_eq!(v["error"]["code"], code, "{}: {v}", c.name);
            assert!(v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()));
        }
    }
    // Still up, still right, and nothing was written or removed.
    let (st, after) = raw(
        server.addr,
        &request("GET", b"/v1/search?q=robots&limit=5", &[], b""),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(timeless(&after), before);
    let (st, docs) = raw(server.addr, &request("GET", b"/v1/documents", &[], b"")).await;
    assert_eq!(st, 200);
    let docs: Value = serde_json::from_slice(&docs).unwrap();
    assert_eq!(docs["documents"].as_array().unwrap().len(), 10);
    let (st, ans) = raw(
        server.addr,
        &request(
            "POST",
            b"/v1/ask",
            &[JSON],
            br#"{"question": "How many robots could Japan deploy by 2040?"}"#,
        ),
    )
    .await;
    assert_eq!(st, 200);
    let ans: Value = serde_json::from_slice(&ans).unwrap();
    assert_eq!(ans["status"], "answered", "{ans}");
    assert!(
        ans["answers"][0]["text"]
            .as_str()
            .unwrap()
            .contains("10 million"),
        "{ans}"
    );
    server.stop().await;
}

/// Idle connections, and clients that send half their headers and stall,
/// hold a connection slot only until the header timeout; others are served.
#[tokio::test]
async fn slow_and_idle_clients_do_not_starve_others() {
    let limits = Limits {
        max_connections: 8,
        header_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let server = start(limits).await;
    let mut stalled = Vec::new();
    for i in 0..24 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        if i % 2 == 0 {
            s.write_all(b"GET /v1/search?q=robots HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await
                .unwrap();
        }
        stalled.push(s);
    }
    // 24 stalled clients against 8 slots: a normal client still gets its
    // answer once the header timeout frees slots.
    // (`raw` gives up after 30 s, a hang guard, not a speed check.)
    let (st, body) = raw(server.addr, &request("GET", b"/healthz", &[], b"")).await;
    assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
    // The stalled connections were closed by the server.
    for mut s in stalled {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "a stalled connection was never closed");
    }
    server.stop().await;
}
