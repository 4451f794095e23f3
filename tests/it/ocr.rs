//! Scans: image files and PDF pages without a text layer are read by OCR
//! (Tesseract, which `scripts/test.sh` installs), cited with their page,
//! and sliced exactly; without Tesseract they are skipped with the package
//! to install, and the rest of the corpus is indexed.
//!
//! The fixtures in `tests/data/ocr/` are made by `make.sh` beside them.

use std::path::Path;

use verbatim::{Engine, NoteKind, SearchRequest, Verdict};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ocr")
        .join(name)
}

fn scanned_corpus() -> tempfile::TempDir {
    let corpus = super::support::corpus_of(&[("note.md", "# Note\n\nRobots build cars.")]);
    for f in ["memo.png", "pages.tif", "scan.pdf"] {
        std::fs::copy(fixture(f), corpus.path().join(f)).unwrap();
    }
    corpus
}

fn tesseract_installed() -> bool {
    std::process::Command::new("tesseract")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn scans_are_read_cited_with_their_page_and_sliced_exactly() {
    assert!(
        tesseract_installed(),
        "these tests need Tesseract and pdftoppm: run scripts/test.sh, which installs them, or apt-get install tesseract-ocr tesseract-ocr-jpn poppler-utils"
    );
    let corpus = scanned_corpus();
    let idx = tempfile::tempdir().unwrap();
    let (e, _, problems) =
        Engine::open_reporting(corpus.path(), idx.path(), verbatim::VectorMode::Off).unwrap();
    assert!(
        problems.is_empty(),
        "{:?}",
        problems
            .iter()
            .map(|p| p.error.to_string())
            .collect::<Vec<_>>()
    );
    for (id, pages) in [("memo", 1), ("pages", 2), ("scan", 2)] {
        let d = e.document(id).unwrap_or_else(|| panic!("{id} is indexed"));
        let summary = verbatim::wire::DocumentSummary::from(d);
        assert_eq!(summary.ocr_confidence.len(), pages, "{id}");
        assert!(summary.ocr_confidence.iter().all(Option::is_some), "{id}");
        assert!(
            d.text
                .contains("The harbour authority approved 412 new cranes on 3 March 2025."),
            "{id}: {}",
            &*d.text
        );
    }
    assert_eq!(e.document("memo").unwrap().meta.kind, "scan");
    assert_eq!(e.document("scan").unwrap().meta.kind, "document");
    assert!(e.document("note").unwrap().meta.ocr_pages.is_empty());
    // The second page of the TIFF and of the text-less PDF is cited as p. 2.
    let page = e
        .search(&SearchRequest {
            query: "\"cranes arrive in May\"".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let mut docs: Vec<String> = Vec::new();
    for hit in super::support::assert_hits_slice(&page, "an OCR hit") {
        assert_eq!(hit.citation.page, Some(2), "{}", hit.doc_id);
        let confidence = hit.citation.ocr_confidence.expect("an OCR'd page says so");
        assert!(confidence >= 80, "{}: {confidence}", hit.doc_id);
        assert!(
            hit.citation.label.contains("p. 2"),
            "{}",
            hit.citation.label
        );
        docs.push(hit.doc_id.clone());
        docs.extend(hit.similar.iter().map(|s| s.doc_id.clone()));
    }
    docs.sort();
    assert_eq!(docs, ["pages", "scan"], "both two-page scans");
    // A quote of the scan is found word for word, in the OCR's text.
    let check = e
        .check_quote("the harbour authority approved 412 new cranes on 3 March 2025")
        .unwrap();
    assert_eq!(check.verdict, Verdict::Verbatim);
    let m = check.matched.expect("a match");
    assert!(m.doc.text[m.bytes.clone()].contains("approved 412 new cranes"));
    assert!(
        m.notes.iter().all(|n| n.kind != NoteKind::ScanText),
        "a verbatim quote needs no warning"
    );
    // A quote that differs from a scan's text says the difference may be
    // OCR's, with the page and how sure OCR was.
    let check = e
        .check_quote("the harbour authority approved 413 new cranes on 3 March 2025")
        .unwrap();
    assert_eq!(check.verdict, Verdict::Altered);
    let m = check.matched.expect("a match");
    let note = m
        .notes
        .iter()
        .find(|n| n.kind == NoteKind::ScanText)
        .expect("a scan note");
    assert!(
        note.text
            .contains("read by OCR (p. 1, mean word confidence"),
        "{}",
        note.text
    );
    // Read once: a rebuild takes the scans' documents back from the
    // index's document store, so it runs no Tesseract.
    drop(e);
    let out = super::support::verbatim_cmd(&["index", "--force"], corpus.path(), idx.path())
        .env("VERBATIM_TESSERACT", "/nonexistent/tesseract")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
}

/// `verbatim index` over the scanned corpus with `env` set: it succeeds,
/// indexes the one text document, and reports every scan as skipped on a
/// line holding each of `reason`.
fn every_scan_is_skipped(env: (&str, &str), reason: &[&str]) {
    let corpus = scanned_corpus();
    let idx = tempfile::tempdir().unwrap();
    let out = super::support::verbatim_cmd(&["index"], corpus.path(), idx.path())
        .env(env.0, env.1)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for f in ["memo.png", "pages.tif", "scan.pdf"] {
        let line = stderr
            .lines()
            .find(|l| l.contains(&format!("skipped {f}")))
            .unwrap_or_else(|| panic!("{f} is not reported: {stderr}"));
        assert!(reason.iter().all(|r| line.contains(r)), "{line}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("indexed 1 documents"), "{stdout}");
}

#[test]
fn without_tesseract_scans_are_skipped_with_the_package_to_install() {
    every_scan_is_skipped(
        ("VERBATIM_TESSERACT", "/nonexistent/tesseract"),
        &["install the Debian packages tesseract-ocr"],
    );
}

/// The languages OCR reads come from the configuration: a language whose
/// data is not installed skips each scan with the package that has it (the
/// rest of the corpus is indexed), and an installed one reads them.
#[test]
fn scans_are_read_in_the_configured_languages() {
    assert!(
        tesseract_installed(),
        "needs Tesseract: run scripts/test.sh"
    );
    every_scan_is_skipped(
        ("VERBATIM_OCR_LANGUAGES", "eng+zzz_none"),
        &[
            "no data for zzz_none",
            "install the Debian package tesseract-ocr-zzz-none",
        ],
    );
    // One index: read in English, then in English and Japanese (the three
    // scans are read again and applied in place; the note is not), then
    // unchanged (fresh).
    let corpus = scanned_corpus();
    let idx = tempfile::tempdir().unwrap();
    let index_in = |languages: &str| {
        let out = super::support::verbatim_cmd(
            &["index", "--ocr-languages", languages],
            corpus.path(),
            idx.path(),
        )
        .output()
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success() && !stderr.contains("skipped"),
            "{stderr}"
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(index_in("eng").contains("indexed 4 documents"));
    let again = index_in("eng+jpn");
    assert!(
        again.contains("3 changed or new and 0 removed file(s) applied in place"),
        "{again}"
    );
    let same = index_in("eng+jpn");
    assert!(same.contains("index is up to date"), "{same}");
    let bad = super::support::verbatim_cmd(
        &["index", "--ocr-languages", "eng;rm"],
        corpus.path(),
        idx.path(),
    )
    .output()
    .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid ocr_languages"));
}

#[test]
fn a_scan_is_read_by_ocr_once_and_then_from_the_text_cache() {
    assert!(
        tesseract_installed(),
        "needs Tesseract: run scripts/test.sh"
    );
    // A Tesseract that logs each call, then runs the real one (children
    // get no PATH, so both are named by absolute path).
    let real = std::process::Command::new("sh")
        .args(["-c", "command -v tesseract"])
        .output()
        .unwrap();
    let real = String::from_utf8(real.stdout).unwrap().trim().to_string();
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("calls.log");
    let wrapper = bin.path().join("tesseract");
    super::support::write_script(
        &wrapper,
        &format!("echo \"$*\" >> '{}'\nexec '{real}' \"$@\"\n", log.display()),
    );
    let ocr_calls = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("stdin"))
            .count()
    };
    let corpus = scanned_corpus();
    let idx = tempfile::tempdir().unwrap();
    let index = |force: bool| {
        let args: &[&str] = if force {
            &["index", "--force"]
        } else {
            &["index"]
        };
        let out = super::support::verbatim_cmd(args, corpus.path(), idx.path())
            .env("VERBATIM_TESSERACT", &wrapper)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("skipped"), "{stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = index(false);
    assert!(first.contains("indexed 4 documents"), "{first}");
    let read = ocr_calls();
    // memo.png, pages.tif (one call for its pages) and scan.pdf's pages.
    assert!(read >= 3, "OCR ran {read} times");
    // Without the document store, a rebuild reads every file again: the
    // scans come from the text cache, not from Tesseract.
    std::fs::remove_file(idx.path().join("docs.store")).unwrap();
    let second = index(true);
    assert!(second.contains("indexed 4 documents"), "{second}");
    assert_eq!(ocr_calls(), read, "a cached scan was read by OCR again");
}
