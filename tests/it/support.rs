//! Shared fixtures: the repo's default corpus, temporary corpora and engines.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use verbatim::{Engine, SearchPage, Span};

/// Asserts the exact-slice invariant on a page of hits: every hit's text
/// is its document sliced at its citation, and every highlight lies inside
/// it; `what` names the case in a failure. Returns the hits as on the wire.
pub fn assert_hits_slice(page: &SearchPage<'_>, what: &str) -> Vec<verbatim::wire::SearchHit> {
    page.hits
        .iter()
        .map(|h| {
            let hit = verbatim::wire::SearchHit::from(h);
            let span = Span {
                start: hit.citation.start,
                end: hit.citation.end,
            };
            assert_eq!(
                h.doc.slice_chars(span),
                Some(hit.text.as_str()),
                "{what}: citation does not slice the hit"
            );
            for hl in &hit.highlights {
                assert!(
                    hl.start < hl.end && hl.start >= span.start && hl.end <= span.end,
                    "{what}: highlight outside hit"
                );
            }
            hit
        })
        .collect()
}

/// The repository's default corpus.
/// The server limits for tests of the API's contract: the defaults, with a
/// request timeout long enough that a debug build sharing two cores with
/// the rest of the suite (the embedding model included) never answers 408.
/// The timeout itself has its own tests (`http_layers`), with a short one.
pub fn contract_limits() -> verbatim::Limits {
    verbatim::Limits {
        request_timeout: Duration::from_secs(300),
        ..verbatim::Limits::default()
    }
}

pub fn default_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// An engine over the default corpus with its index in a temp dir, shared
/// by every test in the process (it is read-only).
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(Engine, tempfile::TempDir)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let (e, _) = Engine::open(&default_corpus(), dir.path()).unwrap();
            (e, dir)
        })
        .0
}

/// A temporary corpus made of `(file name, contents)` pairs.
pub fn corpus_of(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// Every word of the default corpus texts (lowercased, ASCII letters), for
/// generating queries.
pub fn corpus_words() -> Vec<String> {
    let mut words: Vec<String> = engine()
        .documents()
        .flat_map(|d| {
            d.text
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .filter(|w| w.len() > 2)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// Percent-encodes everything but ASCII letters and digits.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `verbatim ARGS --corpus CORPUS --index INDEX`, ready to run.
pub fn verbatim_cmd(args: &[&str], corpus: &Path, index: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_verbatim"));
    c.args(args)
        .arg("--corpus")
        .arg(corpus)
        .arg("--index")
        .arg(index);
    c
}

/// A spawned `verbatim serve`, killed and reaped when dropped: a test that
/// fails (panics) before it stops its server must not leave the server
/// running, holding the test runner's output pipe open. Derefs to the
/// [`Child`] for `kill`, `wait` and `id`.
pub struct Server(Child);

impl std::ops::Deref for Server {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Both fail harmlessly when the test already stopped it.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `verbatim serve` on 127.0.0.1:0 over `corpus` and `index` with
/// `env` set; returns the server and its address once it answers `/readyz`.
/// Its log is drained in a thread so it never blocks on a full pipe.
pub async fn spawn_serve(corpus: &Path, index: &Path, env: &[(&str, &str)]) -> (Server, String) {
    let (child, addr, _) = spawn_serve_logged(corpus, index, env).await;
    (child, addr)
}

/// [`spawn_serve`], also returning every line the server writes to stderr
/// (JSON logs), as they arrive.
pub async fn spawn_serve_logged(
    corpus: &Path,
    index: &Path,
    env: &[(&str, &str)],
) -> (
    Server,
    String,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let mut child = verbatim_cmd(
        &["serve", "--addr", "127.0.0.1:0", "--log-format", "json"],
        corpus,
        index,
    )
    .env("RUST_LOG", "info")
    .envs(env.iter().copied())
    .stderr(Stdio::piped())
    .spawn()
    .map(Server)
    .unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    // The server logs the address it listens on.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        log.lock().unwrap().push(line.clone());
        if let Some(i) = line.find("http://") {
            let rest = &line[i + 7..];
            break rest[..rest
                .find(|c: char| c == '"' || c.is_whitespace())
                .unwrap_or(rest.len())]
                .to_string();
        }
    };
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match client.get(format!("http://{addr}/readyz")).send().await {
            Ok(r) if r.status() == 200 => break,
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(20)).await,
            other => panic!("server never became ready: {other:?}"),
        }
    }
    (child, addr, log)
}

/// GET `url` and its JSON body (`Null` when it has none).
pub async fn get_json(client: &reqwest::Client, url: &str) -> serde_json::Value {
    client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(serde_json::Value::Null)
}

/// Kills a spawned server and waits for it.
pub fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Writes a shell script to `path` and makes it executable: the stand-ins
/// for the children verbatim runs (PDF extractor, Tesseract), which record
/// how they were called.
pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
