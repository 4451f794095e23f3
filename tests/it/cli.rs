//! The binary's commands, as a user runs them.

use std::process::{Command, Output};

use super::support::{default_corpus, verbatim_cmd};

fn run(args: &[&str]) -> Output {
    static INDEX: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let idx = INDEX.get_or_init(|| tempfile::tempdir().unwrap());
    Command::new(env!("CARGO_BIN_EXE_verbatim"))
        .args(args)
        .arg("--corpus")
        .arg(default_corpus())
        .arg("--index")
        .arg(idx.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn search_prints_marked_passages_and_citations() {
    let o = run(&["search", "\"sovereign AI\""]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert!(out.contains("homegrown “**sovereign AI**” model"), "{out}");
    assert!(
        out.contains("Japan’s Massive AI Experiment Begins, ¶2"),
        "{out}"
    );
    assert!(
        out.contains("japan-ai-experiment:p3 · chars 298-400"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&run(&["search", "\"sovereign AI\"", "--json"]).stdout).unwrap();
    assert_eq!(json["total"], 2);
}

#[test]
fn check_exit_status_says_whether_every_quote_was_verbatim() {
    let ok = run(&["check", "Japan is losing workers fast"]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(stdout(&ok).starts_with("VERBATIM"));
    let bad = run(&[
        "check",
        "Japan has approved about $9.3 billion for a homegrown",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let out = stdout(&bad);
    assert!(
        out.contains("[-6.3-] {+9.3+}"),
        "NO_COLOR gives a plain word diff: {out}"
    );
    assert!(!out.contains('\x1b'), "no escape codes under NO_COLOR");
    let json: serde_json::Value =
        serde_json::from_slice(&run(&["check", "Japan is losing workers fast", "--json"]).stdout)
            .unwrap();
    assert_eq!(json["verdict"], "verbatim");
    let err = run(&["check", ""]);
    assert_eq!(err.status.code(), Some(2), "an invalid quote is an error");
}

#[test]
fn check_draft_checks_every_quotation() {
    let dir = tempfile::tempdir().unwrap();
    let draft = dir.path().join("draft.txt");
    std::fs::write(
        &draft,
        "They said “Japan is losing workers fast” and “Japan is gaining workers fast today”.",
    )
    .unwrap();
    let o = run(&["check", "--draft", draft.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("VERBATIM") && out.contains("ALTERED"), "{out}");
    let missing = run(&["check", "--draft", "/no/such/file"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn verify_rechecks_stored_citations_line_by_line() {
    // A citation as `search --json` gives it, kept with its text.
    let hits: serde_json::Value =
        serde_json::from_slice(&run(&["search", "\"sovereign AI\"", "--json"]).stdout).unwrap();
    let hit = &hits["hits"][0];
    let mut exact = hit["citation"].clone();
    exact["text"] = hit["text"].clone();
    let mut gone = exact.clone();
    gone["doc_id"] = "no-such-document".into();
    gone["text"] = "Words that no source of this corpus holds anywhere, zebra quartz.".into();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("citations.jsonl");
    std::fs::write(&file, format!("{exact}\n{gone}\n")).unwrap();
    let o = run(&["verify", file.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["status"], "exact");
    assert_eq!(lines[0]["text"], hit["text"]);
    assert_eq!(lines[1]["status"], "gone");
    std::fs::write(&file, format!("{exact}\n")).unwrap();
    assert_eq!(
        run(&["verify", file.to_str().unwrap()]).status.code(),
        Some(0)
    );
    std::fs::write(&file, "{not json\n").unwrap();
    let bad = run(&["verify", file.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 1"));
}

#[test]
fn a_bad_corpus_is_reported_with_file_and_line() {
    let corpus = super::support::corpus_of(&[("bad.md", "+++\nid = \"x\"\ntitle = = 1\n+++\n")]);
    let idx = tempfile::tempdir().unwrap();
    let index = |extra: &[&str]| {
        let args: Vec<&str> = std::iter::once("index")
            .chain(extra.iter().copied())
            .collect();
        verbatim_cmd(&args, corpus.path(), idx.path())
            .output()
            .unwrap()
    };
    // By default the file is reported and skipped; the rest indexes.
    let o = index(&[]);
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("WARN") && err.contains("skipped bad.md:3"),
        "{err}"
    );
    // --strict makes it an error.
    let o = index(&["--strict"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.md:3"));
}

#[test]
fn add_and_remove_documents_from_the_command_line() {
    let corpus = super::support::corpus_of(&[("a.md", "Robots build cars.")]);
    let idx = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let page = files.path().join("Field Report.html");
    std::fs::write(
        &page,
        "<html><title>Report</title><body><p>Drones inspect bridges.</p></body></html>",
    )
    .unwrap();
    let run = |args: &[&str]| {
        verbatim_cmd(args, corpus.path(), idx.path())
            .output()
            .unwrap()
    };
    let o = run(&["add", page.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(corpus.path().join("field-report.html").exists());
    let o = run(&["search", "drones", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"], 1);
    assert!(run(&["remove", "field-report"]).status.success());
    let v: serde_json::Value =
        serde_json::from_slice(&run(&["search", "drones", "--json"]).stdout).unwrap();
    assert_eq!(v["total"], 0);
    assert_eq!(run(&["remove", "field-report"]).status.code(), Some(2));
}

/// `verbatim mcp --help` says what the command serves and how to point a
/// client at it.
#[test]
fn mcp_help_documents_the_command() {
    let o = Command::new(env!("CARGO_BIN_EXE_verbatim"))
        .args(["mcp", "--help"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = stdout(&o);
    for needle in [
        "Model Context\nProtocol",
        "check_quote",
        "verbatim://documents/{doc_id}",
        "mcpServers",
        "Nothing is written",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
}

/// `verbatim add` and `remove` write through the index alone: a file put
/// in the corpus behind verbatim's back stays unread by them (the next
/// open picks it up), and the passage counts they commit agree with the
/// index, so that open finds the index fresh instead of rebuilding it.
#[test]
fn command_line_writes_go_through_the_index_alone() {
    let corpus = super::support::corpus_of(&[("a.md", "Robots build cars.")]);
    let idx = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let o = verbatim_cmd(args, corpus.path(), idx.path())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    run(&["index"]);
    // Unknown to the index until an engine opens the corpus.
    std::fs::write(corpus.path().join("behind.md"), "Ferries cross the strait.").unwrap();
    let note = files.path().join("note.md");
    std::fs::write(&note, "Drones inspect bridges.\n\nCranes lift steel.").unwrap();
    run(&["add", note.to_str().unwrap()]);
    // Replaced with three passages: the two it had are counted out.
    std::fs::write(
        &note,
        "Drones inspect bridges.\n\nCranes lift steel.\n\nTugs pull barges.",
    )
    .unwrap();
    run(&["add", note.to_str().unwrap()]);
    let open = verbatim::open_index(idx.path()).unwrap();
    let manifest = open.manifest().unwrap();
    assert_eq!((manifest.documents, manifest.passages), (2, 4));
    assert!(
        !manifest.files.contains_key("behind.md"),
        "add read the corpus"
    );
    drop(manifest);
    drop(open);
    // Opening now applies behind.md in place; the counts add/remove left
    // agree with the index, or this would rebuild.
    let (engine, state) = verbatim::Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(
        matches!(state, verbatim::IndexState::Updated(_)),
        "{state:?}"
    );
    assert_eq!((engine.document_count(), engine.passage_count()), (3, 5));
    drop(engine);
    run(&["remove", "note"]);
    let (engine, state) = verbatim::Engine::open(corpus.path(), idx.path()).unwrap();
    assert!(matches!(state, verbatim::IndexState::Fresh), "{state:?}");
    assert_eq!((engine.document_count(), engine.passage_count()), (2, 2));
}
