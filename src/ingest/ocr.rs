//! Scanned images as documents: Tesseract reads the words on each page, and
//! those words, as this module lays them out, are the document's text. The
//! exact-slice promise holds over that text like any other: citations slice
//! it at their offsets, and passages know their page.
//!
//! Tesseract runs as a bounded child ([`super::child`]): no environment but
//! its own thread limit, killed past [`TIMEOUT`], its output read up to
//! [`MAX_TSV_BYTES`], its memory capped as the PDF extractor's is
//! (`VERBATIM_PDF_MAX_MEMORY_MB`), one child per core at most. Its answer is kept by the
//! image's content hash in the index's text cache, so a scan is read once,
//! not at every start. Without Tesseract, an image is skipped with the
//! reason and the package to install; nothing else changes.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::Document;

use super::paged::{cached_or_read, paged_document, Pages, TextCache};

/// The program run, unless `VERBATIM_TESSERACT` names another (read once).
const PROGRAM: &str = "tesseract";

/// Longest one image's OCR may run (a multi-page TIFF is one image):
/// Tesseract reads a clean 300-DPI page in one to three seconds on a core.
const TIMEOUT: Duration = Duration::from_secs(300);

/// Most TSV one image may yield: about 64 bytes a word, so some 250,000
/// words, far more than any scan of real pages holds.
const MAX_TSV_BYTES: u64 = 16 << 20;

/// The languages read by default, in Tesseract's `-l` spelling: English
/// and Japanese when both are installed, else English.
const LANGUAGES: [&str; 2] = ["eng", "jpn"];

/// The languages configured (`ocr_languages`), set once at start by
/// [`read_scans_in`]; unset, [`LANGUAGES`].
static CONFIGURED: OnceLock<Vec<String>> = OnceLock::new();

/// Sets the languages OCR reads scans in, from the configuration; `None`
/// keeps the default. Call before anything is read.
pub fn read_scans_in(languages: Option<Vec<String>>) {
    if let Some(l) = languages {
        let _ = CONFIGURED.set(l);
    }
}

/// The `-l` argument OCR runs with now (`eng+jpn`), or `None` when
/// Tesseract cannot run: what a file's record keeps of how its scans were
/// read.
pub(crate) fn languages_now() -> Option<String> {
    tesseract().as_ref().ok().map(|t| t.languages.clone())
}

/// The `-l` languages to run with, given what was configured (`None`: the
/// default) and what `tesseract --list-langs` listed. Every configured
/// language must be installed; by default English must be, and Japanese
/// is added when it is. `Err` names what is missing and the package that
/// has it.
fn choose_languages(
    configured: Option<&[String]>,
    listed: &str,
) -> std::result::Result<Vec<String>, String> {
    let installed = |l: &str| listed.lines().any(|x| x.trim() == l);
    let package = |l: &str| format!("tesseract-ocr-{}", l.to_lowercase().replace('_', "-"));
    match configured {
        Some(wanted) => {
            let missing: Vec<&String> = wanted.iter().filter(|l| !installed(l)).collect();
            if missing.is_empty() {
                Ok(wanted.to_vec())
            } else {
                Err(format!(
                    "OCR is set to read {}, but Tesseract has no data for {}; install the Debian package{} {}",
                    wanted.join("+"),
                    missing.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", "),
                    if missing.len() > 1 { "s" } else { "" },
                    missing.iter().map(|l| package(l)).collect::<Vec<_>>().join(" ")
                ))
            }
        }
        None if !installed("eng") => Err(
            "OCR needs Tesseract 5 with its English data, which is not installed; install the Debian packages tesseract-ocr and tesseract-ocr-jpn".into(),
        ),
        None => Ok(LANGUAGES
            .into_iter()
            .filter(|l| installed(l))
            .map(String::from)
            .collect()),
    }
}

/// The Tesseract this process runs: its program, version and languages,
/// found once. `Err` says why there is none.
fn tesseract() -> &'static std::result::Result<Tesseract, String> {
    static FOUND: OnceLock<std::result::Result<Tesseract, String>> = OnceLock::new();
    FOUND.get_or_init(Tesseract::find)
}

/// A Tesseract found on this machine.
#[derive(Debug)]
struct Tesseract {
    /// The program to run.
    program: String,
    /// `-l` argument: the configured languages, else the installed
    /// [`LANGUAGES`].
    languages: String,
    /// What its answers are kept under in the text cache: its version and
    /// languages, so another Tesseract reads every image again.
    extractor: String,
}

impl Tesseract {
    fn find() -> std::result::Result<Tesseract, String> {
        let program = std::env::var("VERBATIM_TESSERACT").unwrap_or_else(|_| PROGRAM.into());
        let missing = |e: String| {
            format!(
                "OCR needs Tesseract 5, which could not be run ({e}); install the Debian packages tesseract-ocr and tesseract-ocr-jpn"
            )
        };
        let out = |args: &[&str]| {
            Command::new(&program)
                .args(args)
                .env_clear()
                .output()
                .map_err(|e| missing(e.to_string()))
        };
        let version = out(&["--version"])?;
        let version = String::from_utf8_lossy(&version.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        if !version.starts_with("tesseract ") {
            return Err(missing(format!("`{program} --version` said `{version}`")));
        }
        let listed = out(&["--list-langs"])?;
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        let languages = choose_languages(CONFIGURED.get().map(Vec::as_slice), &listed)?.join("+");
        Ok(Tesseract {
            extractor: format!("{version} -l {languages} tsv words"),
            program,
            languages,
        })
    }

    /// Each page's text and mean word confidence, read from the image
    /// `bytes` by a child.
    fn pages(&self, bytes: &[u8]) -> std::result::Result<Pages, String> {
        let mut command = Command::new(&self.program);
        command
            .args(["stdin", "stdout", "-l", &self.languages, "tsv"])
            .env_clear()
            // One thread per child: children already run one per core.
            .env("OMP_THREAD_LIMIT", "1");
        super::child::limit_memory(&mut command, super::child::limits().max_memory_mb);
        let _slot = super::child::ChildSlot::take();
        let ran = super::child::run(&mut command, bytes, TIMEOUT, MAX_TSV_BYTES)
            .map_err(|e| format!("Tesseract could not start: {e}"))?;
        let Some(status) = ran.status else {
            return Err(format!("OCR took longer than {} s", TIMEOUT.as_secs()));
        };
        if ran.out.len() as u64 > MAX_TSV_BYTES {
            return Err(format!(
                "OCR found more than {} MB of words",
                MAX_TSV_BYTES >> 20
            ));
        }
        if !status.success() {
            return Err(
                "Tesseract could not read the image (not an image it knows, or damaged)".into(),
            );
        }
        Ok(pages_of_tsv(&String::from_utf8_lossy(&ran.out)))
    }
}

/// The pages of Tesseract's TSV answer (no IO). A page's text is its
/// paragraphs (Tesseract's blocks and paragraphs) separated by a blank
/// line; a paragraph is its lines separated by a newline; a line is its
/// words separated by a space. Words Tesseract found no text in are left
/// out. Pages are numbered from 1; a page with no word is empty, so every
/// later page keeps its number. A page's confidence is the mean of its
/// words' (Tesseract's 0-100), rounded; `None` for a page with no word.
/// The words under [`UNCLEAR_CONFIDENCE`] are kept as byte ranges of their
/// page's text.
pub(crate) fn pages_of_tsv(tsv: &str) -> Pages {
    let mut pages: Vec<String> = Vec::new();
    let mut unclear: Vec<Vec<(u32, u32)>> = Vec::new();
    // Per page, the sum of its words' confidences and their count.
    let mut confidence: Vec<(f64, u32)> = Vec::new();
    // The (page, block, paragraph, line) of the last word written.
    let mut last: Option<(usize, u32, u32, u32)> = None;
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let word = cols[11].trim();
        if word.is_empty() {
            continue;
        }
        let num = |i: usize| cols[i].parse::<u32>().unwrap_or(0);
        let page = (num(1) as usize).max(1);
        let at = (page, num(2), num(3), num(4));
        while pages.len() < page {
            pages.push(String::new());
            confidence.push((0.0, 0));
            unclear.push(Vec::new());
        }
        let conf = cols[10].parse::<f64>().ok().filter(|c| *c >= 0.0);
        if let Some(c) = conf {
            confidence[page - 1].0 += c.min(100.0);
            confidence[page - 1].1 += 1;
        }
        let text = &mut pages[page - 1];
        match last {
            Some((p, b, par, line)) if p == page => {
                if (b, par) != (at.1, at.2) {
                    text.push_str("\n\n");
                } else if line != at.3 {
                    text.push('\n');
                } else {
                    text.push(' ');
                }
            }
            _ => {}
        }
        let start = text.len();
        text.push_str(word);
        if conf.is_some_and(|c| c < UNCLEAR_CONFIDENCE) {
            if let (Ok(s), Ok(e)) = (u32::try_from(start), u32::try_from(text.len())) {
                unclear[page - 1].push((s, e));
            }
        }
        last = Some(at);
    }
    let ocr = confidence
        .into_iter()
        .map(|(sum, n)| (n > 0).then(|| (sum / f64::from(n)).round() as u8))
        .collect();
    Pages {
        text: pages,
        ocr,
        unclear,
    }
}

/// A word OCR read with less confidence than this (Tesseract's 0-100) is
/// one it was unsure of: a quote that differs from the text only at such
/// words says the difference is probably a misreading. A round figure,
/// not fitted: Tesseract gives clean print 90 and more.
pub(crate) const UNCLEAR_CONFIDENCE: f64 = 60.0;

/// A PDF page whose text layer holds fewer non-space characters than this
/// is a scan, read by OCR: a scanner's stamp ("p. 3", a Bates number) is
/// not the page's text. OCR's words replace the layer's only when there
/// are more of them.
const SCANNED_PAGE_CHARS: usize = 16;

/// The resolution a scanned PDF page is rendered at for OCR (Tesseract
/// reads best at about 300 DPI).
const RENDER_DPI: &str = "300";

/// Longest one page's rendering may run.
const RENDER_TIMEOUT: Duration = Duration::from_secs(60);

/// Largest rendered page: a 300-DPI grey PNG of a letter page is about
/// 1 MB; a page built to be huge stops here.
const MAX_PAGE_IMAGE_BYTES: u64 = 64 << 20;

/// What a PDF's pages are kept under in the text cache: the text layer's
/// extractor, and the OCR's when Tesseract is found (so pages read without
/// OCR are read again once it is installed).
pub(super) fn pdf_extractor(text_layer: &str) -> String {
    match tesseract() {
        Ok(t) => format!("{text_layer}; {}", t.extractor),
        Err(_) => text_layer.to_string(),
    }
}

fn non_space(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Reads by OCR the pages of `pdf` whose text layer holds almost nothing
/// ([`SCANNED_PAGE_CHARS`]), each rendered by `pdftoppm` in a bounded
/// child. Returns how many were read; `Err` says why they could not be
/// (no Tesseract, no `pdftoppm`, a page that failed), and leaves the pages
/// read so far in place.
pub(super) fn read_scanned_pages(
    pdf: &[u8],
    pages: &mut Pages,
) -> std::result::Result<usize, String> {
    let scanned: Vec<usize> = (0..pages.text.len())
        .filter(|&i| non_space(&pages.text[i]) < SCANNED_PAGE_CHARS)
        .collect();
    if scanned.is_empty() {
        return Ok(0);
    }
    let tesseract = tesseract().as_ref().map_err(Clone::clone)?;
    let program = std::env::var("VERBATIM_PDFTOPPM").unwrap_or_else(|_| "pdftoppm".into());
    for &i in &scanned {
        let page = (i + 1).to_string();
        let mut command = Command::new(&program);
        command
            .args([
                "-r", RENDER_DPI, "-gray", "-png", "-f", &page, "-l", &page, "-",
            ])
            .env_clear();
        super::child::limit_memory(&mut command, super::child::limits().max_memory_mb);
        let ran = {
            let _slot = super::child::ChildSlot::take();
            super::child::run(&mut command, pdf, RENDER_TIMEOUT, MAX_PAGE_IMAGE_BYTES)
        }
        .map_err(|e| {
            format!("rendering its scanned pages needs pdftoppm, which could not be run ({e}); install the Debian package poppler-utils")
        })?;
        let rendered = ran.status.is_some_and(|s| s.success())
            && (ran.out.len() as u64) <= MAX_PAGE_IMAGE_BYTES;
        if !rendered {
            return Err(format!("page {page} could not be rendered for OCR"));
        }
        let read = tesseract.pages(&ran.out)?;
        let text = read.text.into_iter().next().unwrap_or_default();
        if non_space(&text) > non_space(&pages.text[i]) {
            pages.text[i] = text;
            if pages.ocr.len() <= i {
                pages.ocr.resize(i + 1, None);
            }
            pages.ocr[i] = read.ocr.into_iter().next().flatten();
            if pages.unclear.len() <= i {
                pages.unclear.resize(i + 1, Vec::new());
            }
            pages.unclear[i] = read.unclear.into_iter().next().unwrap_or_default();
        }
    }
    Ok(scanned.len())
}

/// Reads a scanned image into a document of kind `scan`, its pages (a
/// multi-page TIFF's) joined as a PDF's are. With a cache and the file's
/// content hash, an image read before is not read again.
pub(crate) fn document(
    rel: &Path,
    bytes: &[u8],
    cached: Option<(&TextCache, &str)>,
) -> Result<Document> {
    let unreadable = |why: String| Error::Corpus {
        file: rel.to_path_buf(),
        line: None,
        message: format!("unreadable scan: {why}"),
    };
    let tesseract = tesseract().as_ref().map_err(|e| unreadable(e.clone()))?;
    let pages = cached_or_read(cached, &tesseract.extractor, || {
        tesseract.pages(bytes).map(|p| (p, true))
    })
    .map_err(unreadable)?;
    paged_document(rel, pages, "scan", "OCR found no words in it").map_err(unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Configured languages must all be installed, and the error names the
    /// package for each missing one; by default English is required and
    /// Japanese added when present.
    #[test]
    fn the_languages_read_are_the_configured_or_installed_ones() {
        let listed = "List of available languages in \"/usr/share/tesseract-ocr/5/tessdata/\" (3):\neng\njpn\nosd\n";
        assert_eq!(choose_languages(None, listed).unwrap(), ["eng", "jpn"]);
        assert_eq!(choose_languages(None, "x:\neng\nosd\n").unwrap(), ["eng"]);
        assert!(choose_languages(None, "x:\njpn\n")
            .unwrap_err()
            .contains("tesseract-ocr"));
        let wanted = ["jpn".to_string()];
        assert_eq!(choose_languages(Some(&wanted), listed).unwrap(), ["jpn"]);
        let wanted = ["eng".to_string(), "chi_sim".to_string(), "Fra".to_string()];
        let err = choose_languages(Some(&wanted), listed).unwrap_err();
        assert!(
            err.contains("chi_sim, Fra")
                && err.contains("packages tesseract-ocr-chi-sim tesseract-ocr-fra"),
            "{err}"
        );
    }

    #[test]
    fn words_ocr_was_unsure_of_are_ranges_of_their_page() {
        let head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n";
        let w = |page: u32, line: u32, conf: &str, text: &str| {
            format!("5\t{page}\t1\t1\t{line}\t1\t0\t0\t1\t1\t{conf}\t{text}\n")
        };
        let tsv = [
            head.to_string(),
            w(1, 1, "96", "The"),
            w(1, 1, "31.2", "rn0del"),
            w(1, 2, "95", "works."),
            w(2, 1, "12", "Blur"),
            w(2, 1, "60", "edge"),
            w(2, 1, "-1", "x"),
        ]
        .concat();
        let pages = pages_of_tsv(&tsv);
        let words = |i: usize| -> Vec<&str> {
            pages.unclear[i]
                .iter()
                .map(|&(s, e)| &pages.text[i][s as usize..e as usize])
                .collect()
        };
        assert_eq!(pages.text, ["The rn0del\nworks.", "Blur edge x"]);
        assert_eq!(words(0), ["rn0del"]);
        assert_eq!(
            words(1),
            ["Blur"],
            "60 is sure enough; no confidence is not unsure"
        );
    }

    #[test]
    fn tsv_words_make_lines_paragraphs_and_pages() {
        let head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n";
        let w = |page: u32, block: u32, par: u32, line: u32, text: &str| {
            format!("5\t{page}\t{block}\t{par}\t{line}\t1\t0\t0\t1\t1\t96.5\t{text}\n")
        };
        let tsv = [
            head.to_string(),
            "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n".into(),
            w(1, 1, 1, 1, "Scanned"),
            w(1, 1, 1, 1, "Memo"),
            w(1, 2, 1, 1, "The"),
            w(1, 2, 1, 1, "cranes"),
            w(1, 2, 1, 2, "arrive."),
            w(1, 2, 1, 2, "  "),
            w(3, 1, 1, 1, "Third"),
        ]
        .concat();
        let pages = pages_of_tsv(&tsv);
        assert_eq!(
            pages.text,
            ["Scanned Memo\n\nThe cranes\narrive.", "", "Third"]
        );
        assert_eq!(pages.ocr, [Some(97), None, Some(97)]);
        assert_eq!(pages_of_tsv(""), Pages::default());
        assert_eq!(pages_of_tsv("level\tgarbage\n5\tx\n"), Pages::default());
    }
}
