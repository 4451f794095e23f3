//! PDF: the text layer, page by page. The document text is the pages'
//! text joined by a blank line and a form feed (U+000C), so every passage
//! knows the page it starts on: one plus the form feeds before it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use super::paged::{cached_or_read, paged_document, Pages, TextCache};
use crate::config::PdfLimits;
use crate::error::{Error, Result};
use crate::model::Document;

/// Names the extractor whose output an entry holds; an entry of another
/// is extracted again. It must name the version in Cargo.lock (a unit test
/// checks), so an upgrade of the extractor never serves text it did not
/// extract.
const EXTRACTOR: &str = "pdf-extract 0.12.1";

/// The hidden subcommand of the `verbatim` binary that extracts one PDF:
/// the file on stdin, `{"pages": [...]}` or `{"error": "..."}` on stdout.
pub(crate) const HELPER_COMMAND: &str = "extract-pdf";

pub use super::child::limit_pdfs;
use super::child::limits;

/// How the binary said PDFs are extracted ([`extract_pdfs_with`],
/// [`extract_no_pdfs`]).
static HELPER: OnceLock<Extractor> = OnceLock::new();

/// Where PDF text comes from.
#[derive(Debug, Clone)]
enum Extractor {
    /// A child process running this program's `extract-pdf`.
    Child(PathBuf),
    /// Nowhere: the binary could not name itself, and parsing untrusted
    /// files in the server's own process is what the child exists to
    /// avoid. Every PDF is skipped with this reason.
    Unavailable(String),
}

/// Makes this process extract every PDF in a child, `exe extract-pdf`. The
/// `verbatim` binary names itself at start, whatever its file is called;
/// a program that never calls this (the library inside the tests) extracts
/// in-process.
pub fn extract_pdfs_with(exe: PathBuf) {
    let _ = HELPER.set(Extractor::Child(exe));
}

/// Makes this process skip every PDF, saying `why`: for a binary that
/// cannot name itself (`current_exe` failed) and so has no child to run,
/// unless `VERBATIM_PDF_HELPER` names one.
pub fn extract_no_pdfs(why: String) {
    let _ = HELPER.set(Extractor::Unavailable(why));
}

/// How PDFs are extracted: what the binary said (the configured helper,
/// else itself). `None` extracts in-process (a program that said nothing).
fn helper() -> Option<Extractor> {
    HELPER.get().cloned()
}

/// The memory limit the child is given (it reads no configuration).
const MEMORY_VAR: &str = "VERBATIM_PDF_MAX_MEMORY_MB";

/// Each page's text, extracted in this process. The extractor can panic on
/// malformed files; the panic is caught and reported as an error.
pub(crate) fn pages_in_process(bytes: &[u8]) -> std::result::Result<Vec<String>, String> {
    std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes))
        .map_err(|_| "the text layer could not be parsed".to_string())?
        .map_err(|e| e.to_string())
}

/// Each page's text, extracted by `exe extract-pdf` in a child process that
/// is killed after `timeout`: a looping or crashing extractor costs one
/// file, never the index build or the server.
fn pages_in_child(
    exe: &Path,
    bytes: &[u8],
    timeout: Duration,
) -> std::result::Result<Vec<String>, String> {
    let max_text = limits().max_text_mb << 20;
    let mut command = Command::new(exe);
    command
        .arg(HELPER_COMMAND)
        // The child parses untrusted files: it gets no environment (no
        // token, no settings) beyond its own memory limit.
        .env_clear()
        .env(MEMORY_VAR, limits().max_memory_mb.to_string());
    let super::child::Ran { status, out } =
        super::child::run(&mut command, bytes, timeout, max_text)
            .map_err(|e| format!("the extractor could not start: {e}"))?;
    let Some(status) = status else {
        return Err(format!(
            "extracting its text took longer than {} ms",
            timeout.as_millis()
        ));
    };
    if out.len() as u64 > max_text {
        return Err(format!(
            "its text is larger than {} MB (VERBATIM_PDF_MAX_TEXT_MB)",
            max_text >> 20
        ));
    }
    if !status.success() {
        // (A file it cannot parse is answered in JSON with success; failing
        // means a crash, or the memory limit.)
        return Err(format!(
            "the extractor crashed or ran out of its {} MB of memory (VERBATIM_PDF_MAX_MEMORY_MB)",
            limits().max_memory_mb
        ));
    }
    pages_of_answer(out)
}

/// The pages of the child's answer, or why there are none. Read straight
/// into the pages, and the bytes dropped as soon as they are: the text is
/// held at most twice here (the bytes while the pages are read), not as
/// bytes, a JSON tree, its copy and the pages.
fn pages_of_answer(out: Vec<u8>) -> std::result::Result<Vec<String>, String> {
    let unreadable = || "the extractor gave no readable answer".to_string();
    let answer: HelperAnswer = serde_json::from_slice(&out).map_err(|_| unreadable())?;
    drop(out);
    match answer {
        HelperAnswer { error: Some(e), .. } => Err(e),
        HelperAnswer {
            pages: Some(pages), ..
        } => Ok(pages),
        _ => Err(unreadable()),
    }
}

/// What `extract-pdf` writes on stdout: the pages, or why there are none.
#[derive(serde::Deserialize)]
struct HelperAnswer {
    /// Each page's text, in order.
    pages: Option<Vec<String>>,
    /// Why the file could not be read.
    error: Option<String>,
}

/// The body of `verbatim extract-pdf`: reads a PDF on stdin, writes its
/// pages (or the error) as JSON on stdout.
pub(crate) fn run_helper() -> std::io::Result<()> {
    // The extractor may be fed a file built to exhaust memory: past the
    // limit an allocation fails and the process aborts, costing one file.
    let max = std::env::var(MEMORY_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PdfLimits::default().max_memory_mb)
        << 20;
    rustix::process::setrlimit(
        rustix::process::Resource::As,
        rustix::process::Rlimit {
            current: Some(max),
            maximum: Some(max),
        },
    )?;
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes)?;
    let answer = match pages_in_process(&bytes) {
        Ok(pages) => serde_json::json!({ "pages": pages }),
        Err(e) => serde_json::json!({ "error": e }),
    };
    std::io::stdout().write_all(answer.to_string().as_bytes())
}

/// Each page's text, by `extractor` (see [`helper`]).
fn pages_by(
    extractor: Option<Extractor>,
    bytes: &[u8],
) -> std::result::Result<Vec<String>, String> {
    match extractor {
        Some(Extractor::Child(exe)) => {
            let _slot = super::child::ChildSlot::take();
            pages_in_child(&exe, bytes, limits().timeout)
        }
        Some(Extractor::Unavailable(why)) => Err(format!(
            "no PDF extractor could be started ({why}); set VERBATIM_PDF_HELPER to a verbatim binary"
        )),
        None => pages_in_process(bytes),
    }
}

/// Reads a PDF's text layer into a document with page numbers. With a
/// cache and the file's content hash, pages extracted before are read back.
pub(crate) fn document(
    rel: &Path,
    bytes: &[u8],
    cached: Option<(&TextCache, &str)>,
) -> Result<Document> {
    let unreadable = |why: String| Error::Corpus {
        file: rel.to_path_buf(),
        line: None,
        message: format!("unreadable PDF: {why}"),
    };
    let extractor = super::ocr::pdf_extractor(EXTRACTOR);
    let pages = cached_or_read(cached, &extractor, || {
        let mut pages = Pages {
            text: pages_by(helper(), bytes).map_err(unreadable)?,
            ocr: Vec::new(),
            unclear: Vec::new(),
        };
        // Pages with (almost) no text layer are scans: read by OCR. A
        // failure keeps the text pages and is not kept in the cache, so
        // the next start tries again.
        match super::ocr::read_scanned_pages(bytes, &mut pages) {
            Ok(_) => Ok((pages, true)),
            Err(why) if pages.text.iter().all(|p| p.trim().is_empty()) => Err(unreadable(format!(
                "it has no text layer (a scanned image?), and {why}"
            ))),
            Err(why) => {
                tracing::warn!(file = %rel.display(), reason = %why, "a PDF's scanned pages were not read");
                Ok((pages, false))
            }
        }
    })?;
    paged_document(
        rel,
        pages,
        "document",
        "it has no text layer (a scanned image?)",
    )
    .map_err(unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The child's answer is read into the pages directly; an error or an
    /// answer with neither is refused with a reason.
    #[test]
    fn the_helper_answer_is_pages_or_a_reason() {
        let answer = |s: &str| pages_of_answer(s.as_bytes().to_vec());
        assert_eq!(answer(r#"{"pages":["a","b"]}"#).unwrap(), ["a", "b"]);
        assert_eq!(answer(r#"{"error":"bad xref"}"#).unwrap_err(), "bad xref");
        let unreadable = "the extractor gave no readable answer";
        assert_eq!(answer("{}").unwrap_err(), unreadable);
        assert_eq!(answer("not json").unwrap_err(), unreadable);
    }

    /// A binary that could not name itself used to parse PDFs in its own
    /// process, silently; now each is refused with the reason and the
    /// setting that fixes it.
    #[test]
    fn without_an_extractor_a_pdf_is_refused_with_the_reason() {
        let why = "this binary could not find its own file: gone".to_string();
        let err = pages_by(Some(Extractor::Unavailable(why)), b"%PDF-1.5").unwrap_err();
        assert!(
            err.contains("could not find its own file") && err.contains("VERBATIM_PDF_HELPER"),
            "{err}"
        );
    }

    /// The cache key said `pdf-extract 0.9` while 0.12 was built: cached
    /// text outlived the extractor that made it.
    #[test]
    fn the_cache_key_names_the_locked_extractor() {
        let lock = include_str!("../../Cargo.lock");
        let at = lock
            .find("name = \"pdf-extract\"\nversion = \"")
            .expect("pdf-extract is locked");
        let version = lock[at..].split('"').nth(3).expect("a version");
        assert_eq!(EXTRACTOR, format!("pdf-extract {version}"));
    }
}
