//! Bad corpus files give errors that name the file and, where possible, the line.

use verbatim::ingest::load_corpus;

use super::support::corpus_of;

fn error_of(files: &[(&str, &str)]) -> String {
    let dir = corpus_of(files);
    load_corpus(dir.path()).map(|_| ()).unwrap_err().to_string()
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
    ];
    for (name, text, want) in cases {
        let dir = corpus_of(&[(name, text)]);
        match load_corpus(dir.path()) {
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
    let e = load_corpus(dir.path()).unwrap_err().to_string();
    assert!(e.starts_with("latin1.txt:2") && e.contains("UTF-8"), "{e}");
}

#[test]
fn defaults_without_front_matter() {
    let dir = corpus_of(&[("My Notes (draft).md", "# The Heading\n\nBody text.")]);
    let c = load_corpus(dir.path()).unwrap();
    let d = &c.documents[0];
    assert_eq!(d.meta.id, "my-notes-draft");
    assert_eq!(d.meta.title, "The Heading");
    assert_eq!(d.passages.len(), 1);
    assert_eq!(d.passages[0].section.as_deref(), Some("The Heading"));
}
