//! PDFs: the text layer is indexed with page numbers, and a broken PDF is
//! reported and skipped.

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};
use std::path::Path;

use verbatim::{Engine, SearchRequest};

/// A PDF with one line of text per page, made with lopdf.
pub(super) fn pdf(pages: &[&str]) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(
        dictionary! {"Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica"},
    );
    let resources_id = doc.add_object(dictionary! {"Font" => dictionary! {"F1" => font_id}});
    let kids: Vec<Object> = pages
        .iter()
        .map(|text| {
            let content = Content {
                operations: vec![
                    Operation::new("BT", vec![]),
                    Operation::new("Tf", vec!["F1".into(), 12.into()]),
                    Operation::new("Td", vec![72.into(), 720.into()]),
                    Operation::new("Tj", vec![Object::string_literal(*text)]),
                    Operation::new("ET", vec![]),
                ],
            };
            let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
            doc.add_object(
                dictionary! {"Type" => "Page", "Parent" => pages_id, "Contents" => content_id},
            )
            .into()
        })
        .collect();
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn pdf_text_is_cited_with_its_page() {
    let corpus = tempfile::tempdir().unwrap();
    std::fs::write(
        corpus.path().join("Ministry Report.pdf"),
        pdf(&[
            "Robot subsidies grow this year.",
            "Factories adopt humanoid robots.",
        ]),
    )
    .unwrap();
    std::fs::write(
        corpus.path().join("broken.pdf"),
        b"%PDF-1.5 this is not really a pdf",
    )
    .unwrap();
    let idx = tempfile::tempdir().unwrap();
    let (e, _, problems) =
        Engine::open_reporting(corpus.path(), idx.path(), verbatim::VectorMode::Auto).unwrap();
    assert_eq!(problems.len(), 1, "the broken PDF is reported");
    assert!(
        problems[0]
            .error
            .to_string()
            .starts_with("broken.pdf: unreadable PDF"),
        "{}",
        problems[0].error
    );
    let page = e
        .search(&SearchRequest {
            query: "humanoid".into(),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    let hit = verbatim::wire::SearchHit::from(&page.hits[0]);
    assert_eq!(hit.doc_id, "ministry-report");
    assert!(
        hit.text.contains("Factories adopt humanoid robots."),
        "{}",
        hit.text
    );
    assert_eq!(hit.citation.page, Some(2));
    assert!(
        hit.citation.label.contains("p. 2"),
        "{}",
        hit.citation.label
    );
    let first = e
        .search(&SearchRequest {
            query: "subsidies".into(),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        verbatim::wire::SearchHit::from(&first.hits[0])
            .citation
            .page,
        Some(1)
    );
}

/// A 914-byte PDF (found by cargo-fuzz) on which pdf-extract never returns.
/// The `verbatim` binary extracts PDFs in a child process that it kills
/// after `VERBATIM_PDF_TIMEOUT_MS`, so the build skips that file, names it,
/// and indexes the rest.
#[test]
fn a_looping_pdf_costs_one_file_not_the_build() {
    let corpus = super::support::corpus_of(&[("note.md", "# Note\n\nRobots build cars.")]);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/looping.pdf"),
        corpus.path().join("looping.pdf"),
    )
    .unwrap();
    std::fs::write(corpus.path().join("good.pdf"), pdf(&["Page one text."])).unwrap();
    let index = tempfile::tempdir().unwrap();
    let out = super::support::verbatim_cmd(&["index"], corpus.path(), index.path())
        .env("VERBATIM_PDF_TIMEOUT_MS", "1000")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("looping.pdf") && stderr.contains("took longer than 1000 ms"),
        "{stderr}"
    );
    // (Read the index directly: opening an Engine here would extract the
    // PDFs in this test process, where no helper binary is used.)
    let open = verbatim::open_index(index.path()).unwrap();
    assert_eq!(
        open.manifest().unwrap().documents,
        2,
        "good.pdf and note.md"
    );
}

/// Indexes `note.md` and `good.pdf` with the binary at `exe` and `env`;
/// returns its stderr and the documents the index holds.
fn index_with(exe: &Path, env: &[(&str, &str)]) -> (String, usize) {
    let corpus = super::support::corpus_of(&[("note.md", "# Note\n\nRobots build cars.")]);
    std::fs::write(corpus.path().join("good.pdf"), pdf(&["Page one text."])).unwrap();
    let index = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(exe)
        .args(["index", "--vectors", "off", "--corpus"])
        .arg(corpus.path())
        .arg("--index")
        .arg(index.path())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let docs = verbatim::open_index(index.path())
        .unwrap()
        .manifest()
        .unwrap()
        .documents;
    (stderr, docs)
}

/// The binary names itself as the extractor, so a renamed copy still
/// extracts in a child (with its limits), not in-process.
#[test]
fn a_renamed_binary_still_extracts_in_a_child() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("vbt");
    std::fs::copy(env!("CARGO_BIN_EXE_verbatim"), &renamed).unwrap();
    // A text bound of 0 MB refuses any text: only the child applies it.
    let (stderr, docs) = index_with(&renamed, &[("VERBATIM_PDF_MAX_TEXT_MB", "0")]);
    assert!(
        stderr.contains("good.pdf") && stderr.contains("larger than 0 MB"),
        "{stderr}"
    );
    assert_eq!(docs, 1, "note.md only");
    let (stderr, docs) = index_with(&renamed, &[]);
    assert_eq!(docs, 2, "{stderr}");
}

/// The extractor child parses untrusted files, so it inherits nothing: a
/// stand-in extractor (`VERBATIM_PDF_HELPER`) records its environment,
/// which holds neither the write token nor any other variable of the
/// parent, only its memory limit.
#[test]
fn the_extractor_child_gets_no_token_and_no_environment() {
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("env.txt");
    let helper = dir.path().join("extractor.sh");
    super::support::write_script(
        &helper,
        &format!(
            "env > '{}'\ncat > /dev/null\nprintf '{{\"pages\": [\"Page one text.\"]}}'\n",
            seen.display()
        ),
    );
    let (stderr, docs) = index_with(
        Path::new(env!("CARGO_BIN_EXE_verbatim")),
        &[
            ("VERBATIM_PDF_HELPER", helper.to_str().unwrap()),
            ("VERBATIM_TOKEN", "secret-token-0123456789"),
            ("CANARY_OF_THE_PARENT", "1"),
        ],
    );
    assert_eq!(docs, 2, "{stderr}");
    let env = std::fs::read_to_string(&seen).unwrap();
    assert!(!env.contains("secret-token"), "{env}");
    assert!(!env.contains("CANARY_OF_THE_PARENT"), "{env}");
    assert!(env.contains("VERBATIM_PDF_MAX_MEMORY_MB=4096"), "{env}");
}

/// The extractor runs under its memory limit: past it, the one file is
/// skipped and named, and the build goes on.
#[test]
fn the_extractor_runs_under_a_memory_limit() {
    let (stderr, docs) = index_with(
        Path::new(env!("CARGO_BIN_EXE_verbatim")),
        &[("VERBATIM_PDF_MAX_MEMORY_MB", "1")],
    );
    // (How it fails under the limit varies: an allocation or a thread that
    // cannot be had; each costs the file, never the build.)
    assert!(
        stderr.contains("skipped good.pdf: unreadable PDF"),
        "{stderr}"
    );
    assert_eq!(docs, 1, "note.md only: 1 MB is too little to read any PDF");
}

/// An unchanged PDF is extracted once: its pages are kept by content hash
/// in `index/pdf-text/` and read back on the next start. The test proves
/// the read-back by rewriting the kept entry: the next start's document
/// text is the entry's, not the file's. The document store
/// (`index/docs.store`, tested in `docstore.rs`) sits in front of this
/// cache, so the test removes it before each start it means to reach the
/// cache. A changed PDF is extracted again, and the entries of PDFs that
/// left the corpus are removed.
#[test]
fn an_unchanged_pdf_is_extracted_once() {
    use sha2::{Digest, Sha256};
    let corpus = tempfile::tempdir().unwrap();
    let bytes = pdf(&["Robot subsidies grow this year."]);
    std::fs::write(corpus.path().join("report.pdf"), &bytes).unwrap();
    let idx = tempfile::tempdir().unwrap();
    let text_of = |e: &Engine| e.document("report").unwrap().text.to_string();
    let forget_store = || std::fs::remove_file(idx.path().join("docs.store")).unwrap();

    let (e, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(text_of(&e).contains("Robot subsidies"), "{}", text_of(&e));
    drop(e);
    let hash = hex::encode(Sha256::digest(&bytes));
    let entry = idx.path().join("pdf-text").join(format!("{hash}.json"));
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
    assert!(
        kept["pages"][0]
            .as_str()
            .unwrap()
            .contains("Robot subsidies"),
        "{kept}"
    );

    // The next start reads the kept pages instead of extracting.
    let mut marked = kept.clone();
    marked["pages"] = serde_json::json!(["Read back from the cache."]);
    std::fs::write(&entry, marked.to_string()).unwrap();
    // With the document store in place the PDF is not even looked at: the
    // text is the store's, parsed on the first start.
    let (e, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(text_of(&e).contains("Robot subsidies"), "{}", text_of(&e));
    drop(e);
    forget_store();
    let (e, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert_eq!(text_of(&e), "Read back from the cache.");
    drop(e);

    // A kept entry that no longer parses is a miss, never an error.
    std::fs::write(&entry, b"{not json").unwrap();
    forget_store();
    let (e, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(text_of(&e).contains("Robot subsidies"));
    drop(e);

    // A changed PDF is extracted again; the old entry goes.
    let changed = pdf(&["Factories adopt humanoid robots."]);
    std::fs::write(corpus.path().join("report.pdf"), &changed).unwrap();
    let (e, _) = Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(text_of(&e).contains("humanoid"), "{}", text_of(&e));
    drop(e);
    let names: Vec<String> = std::fs::read_dir(idx.path().join("pdf-text"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [format!("{}.json", hex::encode(Sha256::digest(&changed)))]
    );
}
