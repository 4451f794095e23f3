//! Bad corpus files give errors that name the file and, where possible, the line.

use verbatim::{load_corpus, load_corpus_strict};

use super::support::corpus_of;

fn error_of(files: &[(&str, &str)]) -> String {
    let dir = corpus_of(files);
    load_corpus_strict(dir.path())
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

#[test]
fn duplicate_ids_name_both_files() {
    let e = error_of(&[
        ("a.md", "+++\nid = \"same\"\n+++\nA"),
        ("sub/b.txt", "---\nid: same\n---\nB"),
    ]);
    assert!(
        e.contains("duplicate document id `same`") && e.contains("a.md") && e.contains("sub/b.txt"),
        "{e}"
    );
    // Without front matter, ids come from file names and can collide too.
    let e = error_of(&[("Report.md", "x"), ("report.txt", "y")]);
    assert!(e.contains("`report`"), "{e}");
}

#[test]
fn malformed_front_matter_names_file_and_line() {
    let cases = [
        (
            "bad.md",
            "+++\nid = \"x\"\ntitle = \"unterminated\n+++\nBody",
            "bad.md:3",
        ),
        ("bad.md", "---\nid: x\ntitle: [a, b\n---\nBody", "bad.md:"),
        ("bad.md", "+++\nid = \"x\"\nno close\n", "bad.md:1"),
        ("bad.md", "+++\nid = \"Not A Slug!\"\n+++\nBody", "bad.md:2"),
        (
            "bad.md",
            "+++\nid = \"x\"\ntitle = 3\nkind = [\"a\"]\n+++\n",
            "bad.md:4",
        ),
        ("bad.txt", "fine\n\u{0}", ""),
        // A source link the page would render live must be http(s).
        (
            "bad.md",
            "+++\nid = \"x\"\nurl = \"javascript:alert(1)\"\n+++\nBody",
            "bad.md:3: url `javascript:alert(1)` is not an http:// or https:// link",
        ),
        (
            "bad.jsonl",
            "{\"id\":\"x\",\"text\":\"Body\",\"url\":\"data:text/html,hi\"}\n",
            "bad.jsonl:1: url",
        ),
    ];
    for (name, text, want) in cases {
        let dir = corpus_of(&[(name, text)]);
        match load_corpus_strict(dir.path()) {
            Err(e) => assert!(
                e.to_string().starts_with(want),
                "{text:?}: got `{e}`, want prefix `{want}`"
            ),
            Ok(_) => assert!(want.is_empty(), "{text:?} should fail"),
        }
    }
}

#[test]
fn invalid_utf8_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("latin1.txt"),
        b"line one\nline two caf\xe9\n",
    )
    .unwrap();
    let e = load_corpus_strict(dir.path()).unwrap_err().to_string();
    assert!(e.starts_with("latin1.txt:2") && e.contains("UTF-8"), "{e}");
}

#[test]
fn defaults_without_front_matter() {
    let dir = corpus_of(&[("My Notes (draft).md", "# The Heading\n\nBody text.")]);
    let c = load_corpus(dir.path()).unwrap();
    let d = &c.documents[0];
    assert_eq!(d.meta.id, "my-notes-draft");
    assert_eq!(d.meta.title, "The Heading");
    assert_eq!(d.segments.len(), 1);
    assert_eq!(d.section(&d.passage(1).unwrap()), Some("The Heading"));
}

#[test]
fn unreadable_files_are_reported_and_skipped_while_the_rest_loads() {
    let dir = corpus_of(&[
        ("good.md", "# Good\n\nRobots everywhere."),
        ("bad.md", "+++\nid = = 1\n+++\nBody"),
        ("dup.txt", "---\nid: good\n---\nSame id."),
        ("bulk.jsonl", "{\"id\":\"j1\",\"title\":\"One\",\"text\":\"First line.\"}\nnot json\n{\"_id\":\"42\",\"text\":\"SciFact style.\"}\n"),
    ]);
    std::fs::write(dir.path().join("latin1.txt"), b"caf\xe9").unwrap();
    let c = load_corpus(dir.path()).unwrap();
    let ids: Vec<&str> = c.documents.iter().map(|d| d.meta.id.as_str()).collect();
    assert_eq!(ids, vec!["j1", "42", "good"]);
    let problems: Vec<String> = c.problems.iter().map(|p| p.error.to_string()).collect();
    assert_eq!(problems.len(), 4, "{problems:?}");
    for want in [
        "bad.md:2",
        "duplicate document id `good`",
        "bulk.jsonl:2",
        "latin1.txt:1",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "{want} not in {problems:?}"
        );
    }
}

#[test]
fn html_pages_index_their_main_text() {
    let dir = corpus_of(&[(
        "page.html",
        "<html><head><title>Robot news</title><script>var hidden = 'no';</script></head><body><nav>Menu</nav>\
         <article><h2>Factories</h2><p>Japan deploys robots.</p></article></body></html>",
    )]);
    let c = load_corpus(dir.path()).unwrap();
    let d = &c.documents[0];
    assert_eq!(d.meta.id, "page");
    assert_eq!(d.meta.title, "Robot news");
    assert_eq!(d.segments.len(), 1);
    let p = d.passage(1).unwrap();
    assert_eq!(d.passage_text(&p), "Japan deploys robots.");
    assert_eq!(d.section(&p), Some("Factories"));
    assert!(!d.text.contains("hidden") && !d.text.contains("Menu"));
}
