//! PDF: the text layer, page by page. The document text is the pages'
//! text joined by a blank line and a form feed (U+000C), so every passage
//! knows the page it starts on: one plus the form feeds before it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::config::PdfLimits;
use crate::error::{Error, Result};
use crate::model::{DocMeta, Document};
use crate::segment::Markup;

/// Separates pages in the document text.
pub(crate) const PAGE_BREAK: &str = "\n\n\u{c}\n\n";

/// The hidden subcommand of the `verbatim` binary that extracts one PDF:
/// the file on stdin, `{"pages": [...]}` or `{"error": "..."}` on stdout.
pub(crate) const HELPER_COMMAND: &str = "extract-pdf";

/// The limits this process extracts PDFs within ([`limit_pdfs`]).
static LIMITS: OnceLock<PdfLimits> = OnceLock::new();

/// Sets the limits of PDF extraction, from the configuration; a program
/// that never calls this (the library inside the tests) has the defaults.
pub fn limit_pdfs(limits: PdfLimits) {
    let _ = LIMITS.set(limits);
}

fn limits() -> PdfLimits {
    LIMITS.get().cloned().unwrap_or_default()
}

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

/// Extractor children running at once, at most: each may use
/// `VERBATIM_PDF_MAX_MEMORY_MB`, so an index build over a folder of PDFs
/// (read on every core) or a burst of uploads cannot multiply that by the
/// number of files.
fn max_children() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The places for extractor children: how many run now, and a condition
/// to wait on for a free one.
static CHILDREN: (std::sync::Mutex<usize>, std::sync::Condvar) =
    (std::sync::Mutex::new(0), std::sync::Condvar::new());

/// A place for one extractor child, given back when dropped.
struct ChildSlot;

impl ChildSlot {
    /// Waits for a free place.
    fn take() -> ChildSlot {
        let (running, freed) = &CHILDREN;
        let mut n = running.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= max_children() {
            n = freed.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        ChildSlot
    }
}

impl Drop for ChildSlot {
    fn drop(&mut self) {
        let (running, freed) = &CHILDREN;
        *running.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        freed.notify_one();
    }
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
    let mut child = Command::new(exe)
        .arg(HELPER_COMMAND)
        // The child parses untrusted files: it gets no environment (no
        // token, no settings) beyond its own memory limit.
        .env_clear()
        .env(MEMORY_VAR, limits().max_memory_mb.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("the extractor could not start: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let max_text = limits().max_text_mb << 20;
    // Scoped threads borrow the PDF rather than copy it, and the answer is
    // read once into one buffer.
    let (status, out) = std::thread::scope(|scope| {
        scope.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        // Reads at most one byte past the bound, then closes the pipe: a
        // child still writing then fails on it and exits.
        let reader = scope.spawn(move || {
            let mut out = Vec::new();
            let _ = stdout.take(max_text + 1).read_to_end(&mut out);
            out
        });
        let deadline = Instant::now() + timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                _ => {
                    // Killing it closes both pipes, so both threads end.
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        (status, reader.join().unwrap_or_default())
    });
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

/// Extracted page texts kept by the PDF's content hash, so an unchanged
/// PDF is never extracted twice: a start-up, a sync or a rebuild reads its
/// pages back instead of running the extractor again. One JSON file per
/// PDF (`{sha256}.json`, `{"extractor": …, "pages": […]}`), written to a
/// hidden name and renamed, so a crash leaves no half file. A file that
/// does not parse, or was written by another extractor version, is a miss.
/// Only successful extractions are kept: a timeout may not recur.
#[derive(Debug, Clone)]
pub(crate) struct TextCache {
    /// The directory holding the entries (the caller's choice).
    dir: PathBuf,
}

/// Names the extractor whose output an entry holds; an entry of another
/// is extracted again. It must name the version in Cargo.lock (a unit test
/// checks), so an upgrade of the extractor never serves text it did not
/// extract.
const EXTRACTOR: &str = "pdf-extract 0.12.1";

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    /// [`EXTRACTOR`] when written.
    extractor: String,
    /// Each page's text, as the extractor gave it.
    pages: Vec<String>,
}

impl TextCache {
    /// A cache in `dir` (created on the first write).
    pub(crate) fn new(dir: PathBuf) -> Self {
        TextCache { dir }
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        // A hash is hex; anything else never names a file.
        (!sha256.is_empty() && sha256.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.dir.join(format!("{sha256}.json")))
    }

    /// The pages kept for content `sha256`, if any.
    pub(crate) fn get(&self, sha256: &str) -> Option<Vec<String>> {
        let bytes = std::fs::read(self.path(sha256)?).ok()?;
        let e: Entry = serde_json::from_slice(&bytes).ok()?;
        (e.extractor == EXTRACTOR).then_some(e.pages)
    }

    /// Keeps `pages` for content `sha256`. Best effort: a cache that cannot
    /// be written costs the next start an extraction, nothing else.
    pub(crate) fn put(&self, sha256: &str, pages: &[String]) {
        let Some(path) = self.path(sha256) else {
            return;
        };
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            // Unique per write: two threads may keep the same content.
            static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = self
                .dir
                .join(format!(".{sha256}.json.{n}.tmp-{}", std::process::id()));
            let entry = Entry {
                extractor: EXTRACTOR.into(),
                pages: pages.to_vec(),
            };
            std::fs::write(&tmp, serde_json::to_vec(&entry)?)?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!(error = %e, dir = %self.dir.display(), "could not keep a PDF's extracted text");
        }
    }

    /// Removes every entry whose hash is not in `keep` (PDFs gone or
    /// changed), and any temporary file a crash left.
    pub(crate) fn retain(&self, keep: &std::collections::HashSet<&str>) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            // A temporary file is another process's write under way,
            // unless that process is gone.
            let stale_tmp =
                crate::durable::temporary_writer(&name).is_some_and(crate::durable::writer_gone);
            let dropped = !name.starts_with('.')
                && name
                    .strip_suffix(".json")
                    .is_none_or(|hash| !keep.contains(hash));
            if stale_tmp || dropped {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Each page's text, by `extractor` (see [`helper`]).
fn pages_by(
    extractor: Option<Extractor>,
    bytes: &[u8],
) -> std::result::Result<Vec<String>, String> {
    match extractor {
        Some(Extractor::Child(exe)) => {
            let _slot = ChildSlot::take();
            pages_in_child(&exe, bytes, limits().timeout)
        }
        Some(Extractor::Unavailable(why)) => Err(format!(
            "no PDF extractor could be started ({why}); set VERBATIM_PDF_HELPER to a verbatim binary"
        )),
        None => pages_in_process(bytes),
    }
}

/// The pages' trimmed text, joined by [`PAGE_BREAK`]. Each page is dropped
/// once copied, so the text is held about once, not twice.
fn join_pages(pages: Vec<String>) -> String {
    let len = pages
        .iter()
        .map(|p| p.trim().len() + PAGE_BREAK.len())
        .sum();
    let mut text = String::with_capacity(len);
    for (i, page) in pages.into_iter().enumerate() {
        if i > 0 {
            text.push_str(PAGE_BREAK);
        }
        text.push_str(page.trim());
    }
    text
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
    let pages = match cached.and_then(|(cache, hash)| cache.get(hash)) {
        Some(pages) => pages,
        None => {
            let pages = pages_by(helper(), bytes).map_err(unreadable)?;
            if let Some((cache, hash)) = cached {
                cache.put(hash, &pages);
            }
            pages
        }
    };
    let text = join_pages(pages);
    if text.trim_matches(|c: char| c.is_whitespace()).is_empty() {
        return Err(unreadable("it has no text layer (a scanned image?)".into()));
    }
    if text.len() > crate::model::MAX_TEXT_BYTES {
        return Err(unreadable("its text is 4 GiB or more; split it".into()));
    }
    let stem = rel
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("document");
    let meta = DocMeta {
        id: super::doc::slug(stem),
        title: crate::segment::first_heading_or_line(&text, Markup::Plain)
            .unwrap_or_else(|| stem.to_string()),
        kind: "document".into(),
        ..Default::default()
    };
    let mut doc =
        super::doc::document_from_text(meta, rel.display().to_string(), text, Markup::Plain);
    // Page n starts after the (n - 1)th page break.
    let breaks: Vec<usize> = doc.text.match_indices('\u{c}').map(|(i, _)| i).collect();
    doc.segments = doc
        .segments
        .with_pages(|start| 1 + breaks.partition_point(|&b| b < start));
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pages join as they always did (trimmed, one page break between),
    /// while each page is dropped as soon as it is copied.
    #[test]
    fn pages_join_trimmed_with_one_break_between() {
        let pages = vec!["  One.\n".to_string(), String::new(), "\tTwo ".into()];
        let want = pages
            .iter()
            .map(|p| p.trim())
            .collect::<Vec<_>>()
            .join(PAGE_BREAK);
        let got = join_pages(pages);
        assert_eq!(got, want);
        assert_eq!(
            got.capacity(),
            got.len() + PAGE_BREAK.len(),
            "one allocation"
        );
        assert_eq!(join_pages(Vec::new()), "");
    }

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

    /// However many threads extract at once, no more children run than
    /// the bound.
    #[test]
    fn extractor_children_are_bounded() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NOW: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let threads: Vec<_> = (0..4 * max_children())
            .map(|_| {
                std::thread::spawn(|| {
                    let _slot = ChildSlot::take();
                    let n = NOW.fetch_add(1, Ordering::SeqCst) + 1;
                    MOST.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(10));
                    NOW.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let most = MOST.load(Ordering::SeqCst);
        assert!(most >= 1 && most <= max_children(), "{most} at once");
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
