//! Clients that stop reading, against a real server over real sockets: a
//! stalled export holds no CPU permit, a stalled response frees its
//! connection slot after the write timeout, and SIGTERM ends the process
//! by its drain deadline however many clients have stopped reading.
//!
//! Every wait here is a hang guard, not a speed check.

use std::process::Command;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::support::{default_corpus, spawn_serve, stop};

/// Hits of `robot` in the generated document: its export (about 250
/// bytes a row) is far larger than any socket buffer a stalled client
/// leaves room for.
const ROBOT_PARAGRAPHS: usize = 40_000;

/// The default corpus plus one document with [`ROBOT_PARAGRAPHS`] hits.
fn big_corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(default_corpus()).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    let mut text = String::from("# Robot roll call\n\n");
    for i in 0..ROBOT_PARAGRAPHS {
        text.push_str(&format!(
            "Robot unit {i} reports for duty at the harbour.\n\n"
        ));
    }
    std::fs::write(dir.path().join("roll-call.md"), text).unwrap();
    dir
}

/// A client that asks for the whole `robot` export, reads the status line,
/// and then reads nothing more, with a receive buffer as small as the
/// kernel allows.
async fn stalled_export(addr: &str) -> TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(1024).unwrap();
    let mut s = sock.connect(addr.parse().unwrap()).await.unwrap();
    s.write_all(b"GET /v1/search/export?q=robot HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "{}", String::from_utf8_lossy(&head));
    s
}

/// A client that gives up after 60 s: a guard against hangs.
fn guarded_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Waits for `child` to exit, at most `bound`; its status, or `None`.
fn exited_within(
    child: &mut std::process::Child,
    bound: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[tokio::test]
async fn clients_that_stop_reading_hold_neither_permits_nor_slots_nor_shutdown() {
    let corpus = big_corpus();
    let index = tempfile::tempdir().unwrap();
    let client = guarded_client();

    // 1. Two stalled exports against two CPU permits: questions are still
    //    answered (before, both permits waited on the stalled clients and
    //    every ask timed out). The request timeout is long so that a
    //    starved ask fails as a 408, not as a race.
    let (mut child, addr) = spawn_serve(
        corpus.path(),
        index.path(),
        &[
            ("VERBATIM_VECTORS", "off"),
            ("VERBATIM_MAX_CONCURRENCY", "2"),
            ("VERBATIM_REQUEST_TIMEOUT_MS", "45000"),
        ],
    )
    .await;
    let stalled = [stalled_export(&addr).await, stalled_export(&addr).await];
    // Time for both exports to fill every buffer between them and their
    // clients and block.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r = client
        .post(format!("http://{addr}/v1/ask"))
        .json(&serde_json::json!({"question": "How many robots could Japan deploy by 2040?"}))
        .send()
        .await
        .expect("an ask beside two stalled exports is answered");
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("http://{addr}/v1/search?q=harbour"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(stalled);
    stop(&mut child);

    // 2. Two stalled exports against two connection slots: after the write
    //    timeout their connections are closed and a third client is served.
    let (mut child, addr) = spawn_serve(
        corpus.path(),
        index.path(),
        &[
            ("VERBATIM_VECTORS", "off"),
            ("VERBATIM_MAX_CONNECTIONS", "2"),
            ("VERBATIM_WRITE_TIMEOUT_MS", "1000"),
        ],
    )
    .await;
    let mut stalled = [stalled_export(&addr).await, stalled_export(&addr).await];
    let r = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("healthz is answered once the stalled responses time out");
    assert_eq!(r.status(), 200);
    // One closed connection was enough for healthz; give the other time to
    // reach its own deadline (its rows may still have been computing), so
    // reading it now cannot revive it.
    tokio::time::sleep(Duration::from_secs(5)).await;
    for s in &mut stalled {
        // The server cut the response off: the stream ends (or is reset)
        // before the export's last row.
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut rest))
            .await
            .expect("a stalled connection was never closed");
        if read.is_ok() {
            let rows = rest.iter().filter(|&&b| b == b'\n').count();
            assert!(rows < ROBOT_PARAGRAPHS, "the whole export arrived");
        }
    }
    stop(&mut child);

    // 3. SIGTERM with clients that never read: the process exits once the
    //    drain deadline passes (the write timeout is far longer).
    let (mut child, addr) = spawn_serve(
        corpus.path(),
        index.path(),
        &[
            ("VERBATIM_VECTORS", "off"),
            ("VERBATIM_WRITE_TIMEOUT_MS", "600000"),
            ("VERBATIM_DRAIN_TIMEOUT_MS", "1000"),
        ],
    )
    .await;
    let stalled = [stalled_export(&addr).await, stalled_export(&addr).await];
    tokio::time::sleep(Duration::from_secs(1)).await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = exited_within(&mut child, Duration::from_secs(60));
    drop(stalled);
    if exit.is_none() {
        stop(&mut child);
    }
    let exit = exit.expect("the server outlived its drain deadline");
    assert!(exit.success(), "exit status {exit:?}");
}
