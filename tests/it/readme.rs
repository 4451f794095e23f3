//! README.md's `curl` lines, pasted as they are, against a real server: each
//! must run (curl exit 0, HTTP status under 400) and return JSON.

use std::process::Command;

use verbatim::Engine;
use verbatim::{serve as run, AppState};

use super::support::{contract_limits, default_corpus};

/// The `curl` command lines of the README's `sh` blocks.
fn readme_curls() -> Vec<String> {
    let readme = include_str!("../../README.md");
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = t == "```sh";
            continue;
        }
        if in_sh && t.starts_with("curl ") {
            out.push(t.to_string());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_readme_curl_line_works_when_pasted() {
    let lines = readme_curls();
    assert!(lines.len() >= 5, "the README's curl examples: {lines:?}");
    let idx = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(&default_corpus(), idx.path()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(run(
        listener,
        AppState::ready(engine, contract_limits()),
        std::future::pending(),
    ));
    for line in lines {
        assert!(
            line.contains("127.0.0.1:7310"),
            "a curl line names the default address: {line}"
        );
        // The line as pasted, aimed at this server; `-sS` keeps errors,
        // `-w` appends the status on its own line.
        let cmd = format!(
            "{} -sS -w '\\n%{{http_code}}'",
            line.replace("127.0.0.1:7310", &addr)
        );
        let out =
            tokio::task::spawn_blocking(move || Command::new("sh").arg("-c").arg(&cmd).output())
                .await
                .unwrap()
                .expect("curl is missing: run `bash scripts/test.sh`, which installs it");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{line}\nexit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        let (body, status) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
        let status: u16 = status.trim().parse().unwrap_or(0);
        assert!(
            (200..400).contains(&status),
            "{line}\nHTTP {status}: {body}"
        );
        let json: serde_json::Value =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{line}\nnot JSON ({e}): {body}"));
        assert!(json.get("error").is_none(), "{line}\n{json}");
    }
}

#[test]
fn readme_urls_hold_no_raw_space() {
    // What issue 18 found: curl rejects a URL holding a raw space. The
    // README's lines encode instead; none pastes a raw space into a URL.
    for line in readme_curls() {
        let url = line.split('\'').nth(1).unwrap_or("");
        assert!(!url.contains(' '), "a raw space in a README URL: {line}");
    }
}
