//! A real server on 127.0.0.1:0: start, wait for readiness, query, SIGTERM,
//! clean exit.

use std::process::Command;
use std::time::{Duration, Instant};

use super::support::{default_corpus, get_json, spawn_serve, stop};

#[tokio::test]
async fn serves_then_shuts_down_gracefully_on_sigterm() {
    let idx = tempfile::tempdir().unwrap();
    let (mut child, addr) = spawn_serve(&default_corpus(), idx.path(), &[]).await;
    let client = reqwest::Client::new();
    let r = client
        .get(format!("http://{addr}/v1/search?q=%22sovereign+AI%22"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["total"], 2);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit:?}");
}

const TOKEN: &str = "server-test-token-0123456789";

/// A corpus with a document in a subfolder, and a server over it.
async fn nested_corpus_server() -> (
    tempfile::TempDir,
    tempfile::TempDir,
    super::support::Server,
    String,
) {
    let corpus = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    std::fs::create_dir(corpus.path().join("notes")).unwrap();
    std::fs::write(
        corpus.path().join("notes/nested.md"),
        "---\nid: nested\n---\n# Nested\n\nThe first text of a nested note.\n",
    )
    .unwrap();
    let env = [("VERBATIM_TOKEN", TOKEN), ("VERBATIM_VECTORS", "off")];
    let (child, addr) = spawn_serve(corpus.path(), idx.path(), &env).await;
    (corpus, idx, child, addr)
}

#[tokio::test]
async fn put_replaces_a_document_that_lives_in_a_subfolder() {
    let (corpus, idx, mut child, addr) = nested_corpus_server().await;
    let client = reqwest::Client::new();
    let r = client
        .put(format!("http://{addr}/v1/documents/nested"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"id": "nested", "title": "Nested", "text": "A replaced zqreplaced text."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Replaced in its own file, with no temporary file left beside it.
    let on_disk = std::fs::read_to_string(corpus.path().join("notes/nested.md")).unwrap();
    assert!(on_disk.contains("zqreplaced"), "{on_disk}");
    let names: Vec<String> = std::fs::read_dir(corpus.path().join("notes"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["nested.md"]);
    let found = get_json(&client, &format!("http://{addr}/v1/search?q=zqreplaced")).await;
    assert_eq!(found["total"], 1);
    stop(&mut child);
    // A restart serves the replaced text, from the same file.
    let env = [("VERBATIM_VECTORS", "off")];
    let (mut child, addr) = spawn_serve(corpus.path(), idx.path(), &env).await;
    let doc = get_json(&client, &format!("http://{addr}/v1/documents/nested")).await;
    assert_eq!(doc["text"], "A replaced zqreplaced text.");
    stop(&mut child);
}

/// A read command beside a running server reads the index as the server
/// last committed it and writes nothing of it, so the server's searches
/// keep answering after its next write (before, the command updated the
/// index in place and the server's next search answered 500). When the
/// corpus changed by hand since the server's last commit, the command
/// refuses, naming the server, rather than cite text the index never saw.
#[tokio::test]
async fn read_commands_beside_a_server_read_the_index_read_only() {
    let (corpus, idx, mut child, addr) = nested_corpus_server().await;
    let pid = child.id().to_string();
    let search = |q: &str| {
        super::support::verbatim_cmd(&["search", q], corpus.path(), idx.path())
            .env("VERBATIM_VECTORS", "off")
            .output()
            .unwrap()
    };
    let out = search("nested");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("read-only") && stderr.contains(&pid),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("The first text of a"), "{stdout}");

    std::fs::write(
        corpus.path().join("dropped.md"),
        "---\nid: dropped\n---\nA zqdropped note, dropped in by hand.\n",
    )
    .unwrap();
    let out = search("zqdropped");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("index busy") && stderr.contains(&pid) && stderr.contains("changed"),
        "{stderr}"
    );

    // The server writes, then searches old and new text: never a 500.
    let client = reqwest::Client::new();
    let r = client
        .put(format!("http://{addr}/v1/documents/fresh"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"id": "fresh", "title": "Fresh", "text": "A zqfresh text."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    for q in ["zqfresh", "nested"] {
        let r = client
            .get(format!("http://{addr}/v1/search?q={q}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{q}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            v["hits"][0]["citation"]["doc_id"],
            q.trim_start_matches("zq"),
            "{v}"
        );
    }
    stop(&mut child);
}

#[tokio::test]
async fn the_cli_refuses_to_write_an_index_a_server_writes() {
    let (corpus, idx, mut child, addr) = nested_corpus_server().await;
    let extra = tempfile::tempdir().unwrap();
    let file = extra.path().join("extra.md");
    std::fs::write(&file, "---\nid: extra\n---\nAn extra zqextra note.\n").unwrap();
    let add = || {
        super::support::verbatim_cmd(&["add", file.to_str().unwrap()], corpus.path(), idx.path())
            .env("VERBATIM_VECTORS", "off")
            .output()
            .unwrap()
    };
    let out = add();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("index busy") && stderr.contains(&child.id().to_string()),
        "{stderr}"
    );
    assert!(!corpus.path().join("extra.md").exists());
    // The server is untouched and still answers every search.
    let client = reqwest::Client::new();
    for q in ["nested", "zqextra"] {
        let r = client
            .get(format!("http://{addr}/v1/search?q={q}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    stop(&mut child);
    // Once the server is gone, the same command writes.
    let out = add();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn every_request_is_logged_once_at_info_and_every_log_line_is_json() {
    let corpus = super::support::corpus_of(&[("a.md", "Robots build chips.")]);
    let idx = tempfile::tempdir().unwrap();
    let env = [("VERBATIM_VECTORS", "off")];
    let (mut child, addr, log) =
        super::support::spawn_serve_logged(corpus.path(), idx.path(), &env).await;
    let r = reqwest::get(format!("http://{addr}/v1/search?q=robots"))
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(r.status(), 200);
    let line = {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = log
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains(&id))
                .cloned();
            match found {
                Some(l) => break l,
                None if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                None => panic!("no log line for request {id}"),
            }
        }
    };
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["level"], "INFO", "{line}");
    assert_eq!(v["fields"]["status"], 200, "{line}");
    assert!(v["fields"]["latency"].is_string(), "{line}");
    assert_eq!(v["span"]["route"], "/v1/search", "{line}");
    assert_eq!(v["span"]["method"], "GET", "{line}");
    let _ = child.kill();
    let _ = child.wait();
    let lines = log.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l.contains("rebuilt the index")),
        "{lines:?}"
    );
    for l in &lines {
        assert!(
            serde_json::from_str::<serde_json::Value>(l).is_ok(),
            "not JSON: {l}"
        );
        assert!(!l.contains("\"ERROR\""), "{l}");
    }
}

#[test]
fn a_closed_pipe_ends_the_cli_quietly() {
    let idx = tempfile::tempdir().unwrap();
    let mut child = super::support::verbatim_cmd(
        &["search", "AI", "--limit", "20"],
        &default_corpus(),
        idx.path(),
    )
    .env("VERBATIM_VECTORS", "off")
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // The reader goes away before anything is written (`| head -0`).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

/// A write its deadline abandons is never applied: the client hears 408
/// `timeout`, "not applied", and the document never appears, even after
/// the slow step (here a PDF extractor that takes 3 s, against a 1 s
/// request timeout) has finished. Before, the 408 came from the router
/// while the write went on and committed behind it. A retry is then a
/// plain write.
#[tokio::test]
async fn a_write_answered_408_is_never_applied() {
    let corpus = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    std::fs::write(corpus.path().join("note.md"), "A first note.\n").unwrap();
    let helper = idx.path().join("slow-extractor.sh");
    super::support::write_script(
        &helper,
        &format!(
            "/bin/sleep 3\nexec '{}' \"$@\"\n",
            env!("CARGO_BIN_EXE_verbatim")
        ),
    );
    let env = [
        ("VERBATIM_TOKEN", TOKEN),
        ("VERBATIM_VECTORS", "off"),
        ("VERBATIM_REQUEST_TIMEOUT_MS", "1000"),
        ("VERBATIM_PDF_HELPER", helper.to_str().unwrap()),
    ];
    let (mut child, addr) = spawn_serve(corpus.path(), idx.path(), &env).await;
    let client = reqwest::Client::new();
    let mut body = b"--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Slow Report.pdf\"\r\n\r\n".to_vec();
    body.extend(super::pdf::pdf(&["A zqslow page about robots."]));
    body.extend(b"\r\n--XB--\r\n");
    let r = client
        .post(format!("http://{addr}/v1/documents"))
        .bearer_auth(TOKEN)
        .header("content-type", "multipart/form-data; boundary=XB")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 408);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "timeout", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not applied"),
        "{v}"
    );
    // Past the extractor's 3 s, and then some: still nothing applied.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let found = get_json(&client, &format!("http://{addr}/v1/search?q=zqslow")).await;
    assert_eq!(found["total"], 0, "{found}");
    let docs = get_json(&client, &format!("http://{addr}/v1/documents")).await;
    assert_eq!(docs["documents"].as_array().unwrap().len(), 1, "{docs}");
    assert!(!corpus.path().join("Slow Report.pdf").exists());
    // The server goes on taking writes.
    let r = client
        .put(format!("http://{addr}/v1/documents/quick"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"text": "A zqquick note."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    stop(&mut child);
}
