//! Crash safety: `verbatim index` and `verbatim serve` are SIGKILLed at
//! pseudo-random points, during rebuilds and during live writes; after each
//! kill the index must open, every acknowledged document must be present
//! and searchable, and no half-written document may be visible.
//!
//! CI runs a few rounds of each; `VERBATIM_CRASH_ROUNDS=200 cargo test
//! --release crash` runs many (the figures in issue notes come from that).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::support::{get_json, spawn_serve, verbatim_cmd};

const TOKEN: &str = "crash-test-token-0123456789";

fn rounds(default: usize) -> usize {
    std::env::var("VERBATIM_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift64: reproducible kill points without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn sigkill(child: &mut Child) {
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
}

/// A document's text, a function of its id, so a reader can tell a whole
/// document from a half-written one.
fn text_of(id: &str, version: usize) -> String {
    let mut t = format!(
        "# Note {id}\n\nMarker zq{}v{version} opens this note.",
        id.replace('-', "")
    );
    for i in 0..40 {
        t.push_str(&format!(
            "\n\nParagraph {i} of {id}: robots, chips and the {version} budget line."
        ));
    }
    t
}

fn write_corpus(dir: &Path, docs: usize, version: usize) {
    for i in 0..docs {
        let id = format!("doc-{i}");
        let front = format!("---\nid: {id}\n---\n");
        std::fs::write(dir.join(format!("{id}.md")), front + &text_of(&id, version)).unwrap();
    }
}

fn index_cmd(corpus: &Path, idx: &Path) -> Command {
    let mut c = verbatim_cmd(&["index", "--force"], corpus, idx);
    // These rounds are about the index build; every round's text is new,
    // and embedding it would only slow the rounds down.
    c.env("VERBATIM_VECTORS", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    c
}

/// The live generation opens and is whole: its manifest's counts are what
/// Tantivy holds. Returns the passage count.
fn assert_index_whole(idx: &Path, docs: usize) -> usize {
    let open = verbatim::open_index(idx).expect("the index opens after a kill");
    let searcher = open.reader.searcher();
    let manifest = open.manifest().unwrap();
    assert_eq!(manifest.documents, docs, "manifest document count");
    assert_eq!(
        searcher.num_docs() as usize,
        manifest.passages,
        "a partial build is visible"
    );
    manifest.passages
}

#[test]
fn sigkilled_rebuilds_never_leave_a_broken_index() {
    let corpus = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    let docs = 150;
    write_corpus(corpus.path(), docs, 0);
    let t = Instant::now();
    assert!(index_cmd(corpus.path(), idx.path())
        .status()
        .unwrap()
        .success());
    let full = t.elapsed().as_millis() as u64;
    let passages = assert_index_whole(idx.path(), docs);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let n = rounds(8);
    for round in 1..=n {
        write_corpus(corpus.path(), docs, round);
        let mut child = index_cmd(corpus.path(), idx.path()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.below(full + full / 4)));
        sigkill(&mut child);
        assert_eq!(assert_index_whole(idx.path(), docs), passages);
    }
    // A later build finishes and serves the newest text.
    assert!(index_cmd(corpus.path(), idx.path())
        .status()
        .unwrap()
        .success());
    let (engine, _) = verbatim::Engine::open(corpus.path(), idx.path()).unwrap();
    let page = engine
        .search(&verbatim::SearchRequest {
            query: format!("zqdoc0v{n}"),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.total, 1);
    eprintln!("survived {n} SIGKILLs of `verbatim index` (build takes ~{full} ms)");
}

async fn post(client: &reqwest::Client, addr: &str, id: &str, text: &str) -> Option<u16> {
    let r = client
        .post(format!("http://{addr}/v1/documents"))
        .bearer_auth(TOKEN)
        .json(&json!({"id": id, "text": text}))
        .send()
        .await
        .ok()?;
    Some(r.status().as_u16())
}

/// The crashed servers' settings: writes on; vectors off, so a write is
/// quick enough for many to land between kills (embedding a 41-paragraph
/// note takes seconds; that path is covered in `semantic.rs`).
const SERVE_ENV: &[(&str, &str)] = &[("VERBATIM_TOKEN", TOKEN), ("VERBATIM_VECTORS", "off")];

#[tokio::test]
async fn sigkilled_server_keeps_every_acknowledged_write() {
    let corpus = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    write_corpus(corpus.path(), 20, 0);
    let client = reqwest::Client::new();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    // id -> text of every acknowledged write
    let mut acked: BTreeMap<String, String> = BTreeMap::new();
    let n = rounds(5);
    let mut writes = 0;
    for round in 0..n {
        let (mut child, addr) = spawn_serve(corpus.path(), idx.path(), SERVE_ENV).await;
        check_server(&client, &addr, &acked).await;
        // Write until the kill lands at a pseudo-random point.
        let kill_after = Duration::from_millis(50 + rng.below(600));
        let started = Instant::now();
        let mut k = 0;
        let writer = async {
            loop {
                let id = format!("w{round}x{k}");
                let text = text_of(&id, 1);
                if post(&client, &addr, &id, &text).await == Some(201) {
                    acked.insert(id, text);
                    writes += 1;
                }
                k += 1;
            }
        };
        tokio::select! {
            () = writer => {},
            () = tokio::time::sleep_until((started + kill_after).into()) => {},
        }
        sigkill(&mut child);
    }
    let (mut child, addr) = spawn_serve(corpus.path(), idx.path(), SERVE_ENV).await;
    check_server(&client, &addr, &acked).await;
    sigkill(&mut child);
    assert!(writes > 0, "no write was acknowledged before a kill");
    eprintln!(
        "survived {n} SIGKILLs of `verbatim serve`; {writes} acknowledged writes all present"
    );
}

/// Every acknowledged document is present, whole and searchable, and every
/// visible document is whole.
async fn check_server(client: &reqwest::Client, addr: &str, acked: &BTreeMap<String, String>) {
    // Every page of the list: a fast machine acknowledges more writes
    // than one page holds.
    let mut visible: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("http://{addr}/v1/documents?limit=50");
        if let Some(c) = &cursor {
            url += &format!("&cursor={c}");
        }
        let list: Value = get_json(client, &url).await;
        visible.extend(
            list["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["doc_id"].as_str().unwrap().to_string()),
        );
        match list["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        visible.len(),
        visible
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        "a document listed twice"
    );
    for id in acked.keys() {
        assert!(visible.contains(id), "acknowledged {id} is missing");
    }
    for id in &visible {
        let d: Value = get_json(client, &format!("http://{addr}/v1/documents/{id}")).await;
        let text = d["text"].as_str().unwrap();
        let expected = if id.starts_with("doc-") {
            text_of(id, 0)
        } else {
            text_of(id, 1)
        };
        assert_eq!(text, expected, "{id} is not whole");
    }
    for id in acked.keys() {
        let marker = format!("zq{}v1", id.replace('-', ""));
        let r: Value = get_json(
            client,
            &format!("http://{addr}/v1/search?q={marker}&limit=1"),
        )
        .await;
        assert_eq!(r["total"], 1, "acknowledged {id} is not searchable");
        assert_eq!(r["hits"][0]["doc_id"], id.as_str());
    }
}
