//! The path `benches/scale.sh` measures, at a size CI can afford: a
//! corpus of 100,000 generated passages (sentences of the default corpus,
//! recombined), built by `verbatim index`, served over a real socket, then
//! a search with its exact total, a question, a quote check and a live
//! write, every hit checked as an exact slice of its document.

use std::process::Command;

use super::support::{default_corpus, get_json, spawn_serve, stop, urlencode};

const PASSAGES: usize = 100_000;
const TOKEN: &str = "scale-test-token-0123456789";

/// The document text `hit` cites, sliced at its char offsets.
async fn cited(client: &reqwest::Client, addr: &str, hit: &serde_json::Value) -> String {
    let c = &hit["citation"];
    let doc = get_json(
        client,
        &format!(
            "http://{addr}/v1/documents/{}",
            c["doc_id"].as_str().unwrap()
        ),
    )
    .await;
    let (start, end) = (
        c["start"].as_u64().unwrap() as usize,
        c["end"].as_u64().unwrap() as usize,
    );
    doc["text"]
        .as_str()
        .unwrap()
        .chars()
        .skip(start)
        .take(end - start)
        .collect()
}

#[tokio::test]
async fn a_hundred_thousand_generated_passages_build_serve_and_take_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let (gen, idx) = (dir.path().join("gen"), dir.path().join("index"));
    let o = Command::new(env!("CARGO_BIN_EXE_verbatim"))
        .args(["bench", "generate", "--passages", &PASSAGES.to_string()])
        .arg("--from-corpus")
        .arg(default_corpus())
        .arg("--out")
        .arg(&gen)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = super::support::verbatim_cmd(&["--vectors", "off", "index"], &gen, &idx)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains(&format!("{PASSAGES} passages")), "{said}");

    let env = [("VERBATIM_TOKEN", TOKEN), ("VERBATIM_VECTORS", "off")];
    let (mut child, addr) = spawn_serve(&gen, &idx, &env).await;
    let client = reqwest::Client::new();

    // A common phrase: many matches, counted exactly; the page holds at
    // most ten hits (recombined sentences repeat, so near-duplicates
    // collapse into groups under the best-ranked).
    let v = get_json(
        &client,
        &format!(
            "http://{addr}/v1/search?limit=10&q={}",
            urlencode("sovereign AI")
        ),
    )
    .await;
    let total = v["total"].as_u64().unwrap();
    let hits = v["hits"].as_array().unwrap();
    assert!(total > 100, "{total}");
    assert!((1..=10).contains(&hits.len()), "{} hits", hits.len());
    for h in hits {
        assert_eq!(cited(&client, &addr, h).await, h["text"].as_str().unwrap());
    }
    // The total is exact: the count alone gives the same number.
    let n = get_json(
        &client,
        &format!(
            "http://{addr}/v1/search?limit=0&q={}",
            urlencode("sovereign AI")
        ),
    )
    .await;
    assert_eq!(n["total"].as_u64(), Some(total));

    // A sentence of the default corpus is in the generated text word for word.
    let quote = "Japan is investing billions in homegrown AI and robotics as it looks to address its aging population, labor shortages, and dependence on foreign technology.";
    let r = client
        .post(format!("http://{addr}/v1/quotes/check"))
        .json(&serde_json::json!({ "quote": quote }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["verdict"], "verbatim", "{v}");

    let r = client
        .post(format!("http://{addr}/v1/ask"))
        .json(&serde_json::json!({ "question": "Who is investing in robotics?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    for a in v["answers"].as_array().unwrap() {
        assert_eq!(cited(&client, &addr, a).await, a["text"].as_str().unwrap());
    }

    // A live write into the large corpus is searchable when acknowledged.
    let r = client
        .post(format!("http://{addr}/v1/documents"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "id": "scale-note", "text": "Zqxmarker ferries cross the strait." }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v = get_json(&client, &format!("http://{addr}/v1/search?q=zqxmarker")).await;
    assert_eq!(v["total"], 1);
    assert_eq!(v["hits"][0]["citation"]["doc_id"], "scale-note");
    stop(&mut child);
}
