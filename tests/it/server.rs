//! A real server on 127.0.0.1:0: start, wait for readiness, query, SIGTERM,
//! clean exit.

use std::process::Command;
use std::time::{Duration, Instant};

use super::support::{default_corpus, spawn_serve};

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
