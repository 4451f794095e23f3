//! Fault injection on the write path. For every [`FailPoint`], a server
//! acknowledges one write, then crashes at exactly that point of the next
//! write or removal (`VERBATIM_FAILPOINT=NAME@2`, a `failpoints` build).
//! After a restart:
//! - every acknowledged write is present, whole and searchable;
//! - the crashed change is wholly applied or wholly absent, as the write
//!   path's design says for that point (never half-visible);
//! - the index holds exactly the passages its manifest records;
//! - every search answers 200, and a new write succeeds.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use verbatim::FailPoint;

use super::support::{spawn_serve, verbatim_cmd};

const TOKEN: &str = "fault-test-token-0123456789";

fn text_of(id: &str) -> String {
    let mut t = format!(
        "# Note {id}\n\nMarker zq{} opens this note.",
        id.replace('-', "")
    );
    for i in 0..6 {
        t.push_str(&format!("\n\nParagraph {i} of {id}: robots and chips."));
    }
    t
}

fn marker(id: &str) -> String {
    format!("zq{}", id.replace('-', ""))
}

/// Whether the crashed change is visible after the restart, by the design
/// of `src/live.rs`: a write shows once its file is renamed into place; a
/// removal is undone until its file is unlinked.
fn applied_after_crash(p: FailPoint) -> bool {
    match p {
        FailPoint::VectorsStored
        | FailPoint::FileWritten
        | FailPoint::FileSynced
        | FailPoint::FilesLogged
        | FailPoint::IndexPrepared
        | FailPoint::Committed => false,
        FailPoint::Renamed | FailPoint::DirSynced => true,
        FailPoint::RemoveCommitted => false,
        FailPoint::Unlinked => true,
    }
}

async fn get(client: &reqwest::Client, url: String) -> (u16, Value) {
    let r = client.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The document `id` is either whole and found by its marker, or absent
/// everywhere; returns whether it is present.
async fn whole_or_absent(client: &reqwest::Client, addr: &str, id: &str) -> bool {
    let (status, doc) = get(client, format!("http://{addr}/v1/documents/{id}")).await;
    let (s, found) = get(
        client,
        format!("http://{addr}/v1/search?q={}&limit=5", marker(id)),
    )
    .await;
    assert_eq!(s, 200, "search for {id}");
    match status {
        200 => {
            assert_eq!(
                doc["text"].as_str(),
                Some(text_of(id).as_str()),
                "{id} is not whole"
            );
            assert_eq!(found["total"], 1, "{id} is listed but not searchable");
            assert_eq!(found["hits"][0]["doc_id"], id);
            true
        }
        404 => {
            assert_eq!(found["total"], 0, "{id} is searchable but not listed");
            false
        }
        other => panic!("GET {id}: {other}"),
    }
}

fn assert_index_agrees(idx: &Path) {
    let open = verbatim::open_index(idx).expect("the index opens after the crash");
    assert_eq!(
        open.reader.searcher().num_docs() as usize,
        open.manifest().unwrap().passages,
        "index and manifest disagree"
    );
}

async fn crash_at(point: FailPoint) {
    let corpus = tempfile::tempdir().unwrap();
    let idx = tempfile::tempdir().unwrap();
    for id in ["base-a", "base-b"] {
        std::fs::write(
            corpus.path().join(format!("{id}.md")),
            format!("---\nid: {id}\n---\n{}", text_of(id)),
        )
        .unwrap();
    }
    // Built beforehand, so the crashing server opens a fresh index and
    // passes the index's points only in the writes below.
    let built = verbatim_cmd(&["index"], corpus.path(), idx.path())
        .env("VERBATIM_VECTORS", "off")
        .output()
        .unwrap();
    assert!(built.status.success());
    let spec = format!("{}@2", point.name());
    let env = [
        ("VERBATIM_TOKEN", TOKEN),
        ("VERBATIM_VECTORS", "off"),
        ("VERBATIM_FAILPOINT", spec.as_str()),
    ];
    let (mut child, addr) = spawn_serve(corpus.path(), idx.path(), &env).await;
    let client = reqwest::Client::new();
    let post = |id: &str| {
        client
            .post(format!("http://{addr}/v1/documents"))
            .bearer_auth(TOKEN)
            .json(&json!({"id": id, "text": text_of(id)}))
            .send()
    };
    let delete = |id: &str| {
        client
            .delete(format!("http://{addr}/v1/documents/{id}"))
            .bearer_auth(TOKEN)
            .send()
    };
    // One acknowledged change passes the point once, then the crash.
    let (victim, acked) = if point.is_removal() {
        let r = delete("base-b")
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", point.name()));
        assert_eq!(r.status(), 200, "{}: the first removal", point.name());
        (
            "base-a",
            delete("base-a").await.map(|r| r.status().as_u16()).ok(),
        )
    } else {
        let r = post("acked")
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", point.name()));
        assert_eq!(r.status(), 201, "{}: the first write", point.name());
        (
            "crashed",
            post("crashed").await.map(|r| r.status().as_u16()).ok(),
        )
    };
    assert_eq!(
        acked,
        None,
        "{}: the crashing request got an answer",
        point.name()
    );
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        !status.success(),
        "{}: the server did not crash",
        point.name()
    );
    assert_index_agrees(idx.path());

    let env = [("VERBATIM_TOKEN", TOKEN), ("VERBATIM_VECTORS", "off")];
    let (mut child, addr) = spawn_serve(corpus.path(), idx.path(), &env).await;
    assert_index_agrees(idx.path());
    if point.is_removal() {
        assert!(
            !whole_or_absent(&client, &addr, "base-b").await,
            "acknowledged removal undone"
        );
    } else {
        assert!(
            whole_or_absent(&client, &addr, "acked").await,
            "acknowledged write lost"
        );
        assert!(whole_or_absent(&client, &addr, "base-b").await);
    }
    let present = whole_or_absent(&client, &addr, victim).await;
    let applied = if point.is_removal() {
        !present
    } else {
        present
    };
    assert_eq!(
        applied,
        applied_after_crash(point),
        "{}: {victim} is {}",
        point.name(),
        if present { "present" } else { "absent" }
    );
    let (s, _) = get(
        &client,
        format!("http://{addr}/v1/search?q=robots&limit=50"),
    )
    .await;
    assert_eq!(s, 200);
    // The writer works again, and its write is seen.
    let r = client
        .post(format!("http://{addr}/v1/documents"))
        .bearer_auth(TOKEN)
        .json(&json!({"id": "after", "text": text_of("after")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(whole_or_absent(&client, &addr, "after").await);
    let _ = child.kill();
    let _ = child.wait();
    // The restart removed the crashed write's hidden temporary file.
    let stray: Vec<String> = std::fs::read_dir(corpus.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(stray.is_empty(), "{}: {stray:?}", point.name());
}

#[tokio::test]
async fn a_crash_at_every_write_step_loses_no_acknowledged_write() {
    for point in FailPoint::ALL {
        tokio::time::timeout(Duration::from_secs(120), crash_at(point))
            .await
            .unwrap_or_else(|_| panic!("{}: timed out", point.name()));
    }
}
