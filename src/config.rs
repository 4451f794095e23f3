//! One `Config`, resolved once and passed down.
//!
//! Precedence, highest first: command-line flags, `VERBATIM_*` environment
//! variables, the config file (`--config FILE`, else `./verbatim.toml` when
//! it exists), then the defaults below.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Default address: loopback only.
pub(crate) const DEFAULT_ADDR: &str = "127.0.0.1:7310";

/// Settings as any one source gives them: everything optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Corpus directory.
    pub corpus: Option<PathBuf>,
    /// Index directory.
    pub index: Option<PathBuf>,
    /// Listen address.
    pub addr: Option<String>,
    /// `text` or `json`.
    pub log_format: Option<LogFormat>,
    /// Largest request body, in bytes.
    pub max_body_bytes: Option<usize>,
    /// Longest query or question, in chars.
    pub max_query_chars: Option<usize>,
    /// Request timeout, in milliseconds.
    pub request_timeout_ms: Option<u64>,
    /// Requests served at once before answering 503 `overloaded`.
    pub max_concurrency: Option<usize>,
    /// Open connections accepted at once; more wait in the listen backlog.
    pub max_connections: Option<usize>,
    /// Time a client has to send a request's headers, in milliseconds (also
    /// how long an idle keep-alive connection is kept).
    pub header_timeout_ms: Option<u64>,
    /// Time a response may make no progress (the client reads nothing)
    /// before its connection is closed, in milliseconds.
    pub write_timeout_ms: Option<u64>,
    /// Time requests in flight get to finish after a shutdown signal, in
    /// milliseconds; connections still open then are closed.
    pub drain_timeout_ms: Option<u64>,
    /// Origins allowed by CORS; empty means CORS is off.
    pub cors_origins: Option<Vec<String>>,
    /// The address readers reach this server at (scheme, host, optional
    /// port and path prefix): the base of absolute links in exports.
    pub public_url: Option<String>,
    /// Bearer token for the write routes (also `VERBATIM_TOKEN`); none turns writes off.
    pub token: Option<String>,
    /// `auto`, `on` or `off`: passage and sentence vectors (see [`VectorMode`]).
    pub vectors: Option<VectorMode>,
    /// `on` or `off`: the answer reader model (see [`ReaderMode`]).
    pub reader: Option<ReaderMode>,
    /// Longest a PDF's text extraction may run, in milliseconds.
    pub pdf_timeout_ms: Option<u64>,
    /// Most memory (address space) the PDF extractor may use, in MB.
    pub pdf_max_memory_mb: Option<u64>,
    /// Most text one PDF may yield, in MB (0 refuses every PDF).
    pub pdf_max_text_mb: Option<u64>,
    /// The program that extracts PDFs (`PROGRAM extract-pdf`).
    pub pdf_helper: Option<PathBuf>,
    /// The languages OCR reads scans in, Tesseract's names joined by `+`
    /// (`eng+chi_sim`); unset: English, and Japanese when installed.
    pub ocr_languages: Option<String>,
}

/// A secret that never appears in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: String) -> Self {
        Secret(s)
    }

    /// Compares with `other` in time independent of where they differ.
    pub fn matches(&self, other: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), other.as_bytes());
        let mut diff = a.len() ^ b.len();
        for i in 0..a.len().max(b.len()) {
            diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
        }
        diff == 0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl RawConfig {
    /// Fills unset fields from `lower` (a lower-precedence source).
    pub fn or(self, lower: RawConfig) -> RawConfig {
        RawConfig {
            corpus: self.corpus.or(lower.corpus),
            index: self.index.or(lower.index),
            addr: self.addr.or(lower.addr),
            log_format: self.log_format.or(lower.log_format),
            max_body_bytes: self.max_body_bytes.or(lower.max_body_bytes),
            max_query_chars: self.max_query_chars.or(lower.max_query_chars),
            request_timeout_ms: self.request_timeout_ms.or(lower.request_timeout_ms),
            max_concurrency: self.max_concurrency.or(lower.max_concurrency),
            max_connections: self.max_connections.or(lower.max_connections),
            header_timeout_ms: self.header_timeout_ms.or(lower.header_timeout_ms),
            write_timeout_ms: self.write_timeout_ms.or(lower.write_timeout_ms),
            drain_timeout_ms: self.drain_timeout_ms.or(lower.drain_timeout_ms),
            cors_origins: self.cors_origins.or(lower.cors_origins),
            public_url: self.public_url.or(lower.public_url),
            token: self.token.or(lower.token),
            vectors: self.vectors.or(lower.vectors),
            reader: self.reader.or(lower.reader),
            pdf_timeout_ms: self.pdf_timeout_ms.or(lower.pdf_timeout_ms),
            pdf_max_memory_mb: self.pdf_max_memory_mb.or(lower.pdf_max_memory_mb),
            pdf_max_text_mb: self.pdf_max_text_mb.or(lower.pdf_max_text_mb),
            pdf_helper: self.pdf_helper.or(lower.pdf_helper),
            ocr_languages: self.ocr_languages.or(lower.ocr_languages),
        }
    }

    /// Reads a TOML config file.
    pub fn from_file(path: &Path) -> Result<RawConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Whether passages and sentences get vectors from the embedding model
/// (hybrid search, semantic answer features).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VectorMode {
    /// On for corpora up to [`AUTO_VECTOR_PASSAGES`] passages, off above.
    #[default]
    Auto,
    /// On at any size (a large corpus is embedded in the background).
    On,
    /// Lexical only: the model is not even loaded.
    Off,
}

/// Whether `ask` runs the answer reader (a cross-encoder) over its best
/// candidates, to reorder them and decide answerability. Off by default:
/// at its operating point it refuses far more unanswerable questions but
/// answers fewer answerable ones, at a tenth of the speed (README,
/// *Answers*; BENCHMARKS.md). It needs vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReaderMode {
    /// The ranker, the cosines and the answerability model decide.
    #[default]
    Off,
    /// The reader reranks the best candidates and decides answerability
    /// (when vectors are on).
    On,
}

/// The largest corpus `auto` embeds. On two idle cores, SciFact's 5,183
/// abstracts (52,817 passage and sentence texts) take about 320 s to embed
/// (BENCHMARKS.md), about 0.06 s a passage of abstract length with its
/// sentences: 50,000 such passages are under an hour of background work,
/// so beyond that vectors are an explicit choice. Shorter passages cost
/// proportionally less.
pub(crate) const AUTO_VECTOR_PASSAGES: usize = 50_000;

/// The limits of PDF text extraction, which runs in a child process.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfLimits {
    /// Longest one PDF's extraction may run; a malformed file can send the
    /// extractor into a loop.
    pub timeout: Duration,
    /// Most memory (address space) the extractor child may use, in MB.
    pub max_memory_mb: u64,
    /// Most text one PDF may yield, in MB: a small file can decompress into
    /// far more text than any real document holds.
    pub max_text_mb: u64,
    /// The extractor program; `None` is this binary itself.
    pub helper: Option<PathBuf>,
}

impl Default for PdfLimits {
    fn default() -> Self {
        PdfLimits {
            timeout: Duration::from_secs(30),
            max_memory_mb: 4096,
            max_text_mb: 256,
            helper: None,
        }
    }
}

/// Request limits of the HTTP API.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest request body; larger gets 413.
    pub max_body_bytes: usize,
    /// Longest query or question; longer gets 400.
    pub max_query_chars: usize,
    /// Slowest request; slower gets 408.
    pub request_timeout: Duration,
    /// Requests in flight; more get 503 `overloaded`.
    pub max_concurrency: usize,
    /// Open connections; more wait in the kernel's listen backlog, so idle
    /// or slow clients cannot exhaust file descriptors.
    pub max_connections: usize,
    /// Time to send a request's headers, and to keep an idle keep-alive
    /// connection; slower clients are disconnected (slowloris).
    pub header_timeout: Duration,
    /// Time a response may make no progress before its connection is
    /// closed, so a client that stops reading frees its slot.
    pub write_timeout: Duration,
    /// Time a shutdown waits for requests in flight, so SIGTERM ends the
    /// process even when a client never finishes reading.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_query_chars: 2_000,
            request_timeout: Duration::from_secs(10),
            max_concurrency: 256,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where corpus files are read from.
    pub corpus_dir: PathBuf,
    /// Where the index is built.
    pub index_dir: PathBuf,
    /// Where the server listens.
    pub addr: SocketAddr,
    /// Log format.
    pub log_format: LogFormat,
    /// HTTP limits.
    pub limits: Limits,
    /// CORS origins; empty means CORS is off.
    pub cors_origins: Vec<String>,
    /// The base of absolute links (`https://host/prefix`, no trailing
    /// `/`); `None` builds them from the request's `Host` over http.
    pub public_url: Option<String>,
    /// Write token; `None` turns the write routes off.
    pub token: Option<Secret>,
    /// Passage and sentence vectors.
    pub vectors: VectorMode,
    /// The answer reader.
    pub reader: ReaderMode,
    /// PDF extraction.
    pub pdf: PdfLimits,
    /// The languages OCR reads, as configured; `None` is the default
    /// (English, and Japanese when its data is installed).
    pub ocr_languages: Option<Vec<String>>,
}

/// Most languages one OCR setting may name: Tesseract slows with each.
const MAX_OCR_LANGUAGES: usize = 8;

/// `ocr_languages` checked: Tesseract language names (letters, digits and
/// `_`, as `chi_sim`), joined by `+`, each once, at most
/// [`MAX_OCR_LANGUAGES`]. Whether each is installed is OCR's to find out,
/// when it first runs.
fn ocr_languages(raw: Option<String>) -> Result<Option<Vec<String>>, String> {
    let Some(raw) = raw else { return Ok(None) };
    let names: Vec<String> = raw.split('+').map(|s| s.trim().to_string()).collect();
    let bad = |why: &str| {
        Err(format!(
            "invalid ocr_languages `{raw}`: {why}; expected Tesseract language names joined by `+`, such as eng+jpn"
        ))
    };
    if names.len() > MAX_OCR_LANGUAGES {
        return bad(&format!("more than {MAX_OCR_LANGUAGES} languages"));
    }
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return bad(&format!("`{n}` is not a language name"));
        }
        if names[..i].contains(n) {
            return bad(&format!("`{n}` is named twice"));
        }
    }
    Ok(Some(names))
}

/// Whether `host` is a host with an optional port (`newsroom.example`,
/// `127.0.0.1:7310`, `[::1]:7310`): nothing a link could be bent by.
pub(crate) fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// `public_url` checked: `http(s)://host[:port]` and an optional path
/// prefix, kept without its trailing `/`.
fn public_url(raw: Option<String>) -> Result<Option<String>, String> {
    let Some(u) = raw else { return Ok(None) };
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or("");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path_ok = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~' | '%'));
    if !is_host(host) || !path_ok {
        return Err(format!(
            "invalid public_url `{u}`: expected an address such as https://verbatim.newsroom.example (scheme, host, optional port and path; no query)"
        ));
    }
    Ok(Some(u.trim_end_matches('/').to_string()))
}

/// Checks CORS origins as a browser sends them: `*` alone (any origin; no
/// credentials are ever allowed), or each `http://` or `https://` with a
/// host and no path, query or trailing slash. A bad origin is reported,
/// never dropped: a dropped origin would leave the page that needs it
/// failing without a word.
fn cors_origins(list: Vec<String>) -> Result<Vec<String>, String> {
    if list.iter().any(|o| o == "*") {
        return if list.len() == 1 {
            Ok(list)
        } else {
            Err("cors_origins: `*` allows every origin and cannot be listed with others".into())
        };
    }
    for o in &list {
        let rest = o
            .strip_prefix("https://")
            .or_else(|| o.strip_prefix("http://"));
        let ok = rest.is_some_and(is_host);
        if !ok {
            return Err(format!(
                "invalid CORS origin `{o}`: expected `*` or an origin such as https://newsroom.example (scheme and host, optional port, no path)"
            ));
        }
    }
    Ok(list)
}

impl Config {
    /// Validates a merged raw config, applying defaults.
    pub fn resolve(raw: RawConfig) -> Result<Config, String> {
        let d = Limits::default();
        let addr_s = raw.addr.unwrap_or_else(|| DEFAULT_ADDR.to_string());
        let addr = addr_s.parse().map_err(|_| {
            format!("invalid address `{addr_s}`: expected HOST:PORT such as {DEFAULT_ADDR}")
        })?;
        let positive = |name: &str, v: Option<usize>, default: usize| match v {
            Some(0) => Err(format!("{name} must be greater than 0")),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        let millis = |name: &str, v: Option<u64>, default: Duration| match v {
            Some(0) => Err(format!("{name} must be greater than 0")),
            Some(ms) => Ok(Duration::from_millis(ms)),
            None => Ok(default),
        };
        Ok(Config {
            corpus_dir: raw.corpus.unwrap_or_else(|| "corpus".into()),
            index_dir: raw.index.unwrap_or_else(|| "index".into()),
            addr,
            log_format: raw.log_format.unwrap_or_default(),
            limits: Limits {
                max_body_bytes: positive("max_body_bytes", raw.max_body_bytes, d.max_body_bytes)?,
                max_query_chars: positive(
                    "max_query_chars",
                    raw.max_query_chars,
                    d.max_query_chars,
                )?,
                request_timeout: millis(
                    "request_timeout_ms",
                    raw.request_timeout_ms,
                    d.request_timeout,
                )?,
                max_concurrency: positive(
                    "max_concurrency",
                    raw.max_concurrency,
                    d.max_concurrency,
                )?,
                max_connections: positive(
                    "max_connections",
                    raw.max_connections,
                    d.max_connections,
                )?,
                header_timeout: millis(
                    "header_timeout_ms",
                    raw.header_timeout_ms,
                    d.header_timeout,
                )?,
                write_timeout: millis("write_timeout_ms", raw.write_timeout_ms, d.write_timeout)?,
                drain_timeout: millis("drain_timeout_ms", raw.drain_timeout_ms, d.drain_timeout)?,
            },
            cors_origins: cors_origins(raw.cors_origins.unwrap_or_default())?,
            public_url: public_url(raw.public_url)?,
            token: match raw.token {
                Some(t) if t.len() < 16 => {
                    return Err("the write token must be at least 16 characters".into())
                }
                Some(t) => Some(Secret::new(t)),
                None => None,
            },
            vectors: raw.vectors.unwrap_or_default(),
            reader: raw.reader.unwrap_or_default(),
            pdf: {
                let d = PdfLimits::default();
                PdfLimits {
                    timeout: millis("pdf_timeout_ms", raw.pdf_timeout_ms, d.timeout)?,
                    max_memory_mb: match raw.pdf_max_memory_mb {
                        Some(0) => return Err("pdf_max_memory_mb must be greater than 0".into()),
                        Some(n) => n,
                        None => d.max_memory_mb,
                    },
                    max_text_mb: raw.pdf_max_text_mb.unwrap_or(d.max_text_mb),
                    helper: raw.pdf_helper,
                }
            },
            ocr_languages: ocr_languages(raw.ocr_languages)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_sets_are_read_as_their_enums() {
        let raw: RawConfig =
            toml::from_str("log_format = \"json\"\nvectors = \"off\"\nreader = \"on\"\n").unwrap();
        let c = Config::resolve(raw).unwrap();
        assert_eq!(
            (c.log_format, c.vectors, c.reader),
            (LogFormat::Json, VectorMode::Off, ReaderMode::On)
        );
        let d = Config::resolve(RawConfig::default()).unwrap();
        assert_eq!(
            (d.log_format, d.vectors, d.reader),
            (LogFormat::Text, VectorMode::Auto, ReaderMode::Off)
        );
        let err = toml::from_str::<RawConfig>("vectors = \"bogus\"").unwrap_err();
        assert!(err.message().contains("`auto`, `on`, `off`"), "{err}");
    }

    #[test]
    fn ocr_languages_are_checked_names() {
        let with = |s: &str| {
            Config::resolve(RawConfig {
                ocr_languages: Some(s.into()),
                ..Default::default()
            })
            .map(|c| c.ocr_languages)
        };
        assert_eq!(
            with("eng+chi_sim").unwrap(),
            Some(vec!["eng".to_string(), "chi_sim".to_string()])
        );
        assert_eq!(with(" jpn ").unwrap(), Some(vec!["jpn".to_string()]));
        assert_eq!(
            Config::resolve(RawConfig::default()).unwrap().ocr_languages,
            None
        );
        for bad in [
            "",
            "eng+",
            "eng;rm",
            "eng+eng",
            "../eng",
            "a+b+c+d+e+f+g+h+i",
        ] {
            let err = with(bad).unwrap_err();
            assert!(err.contains("ocr_languages"), "{bad}: {err}");
        }
    }

    #[test]
    fn pdf_limits_come_from_the_configuration() {
        let raw: RawConfig = toml::from_str(
            "pdf_timeout_ms = 500\npdf_max_memory_mb = 64\npdf_max_text_mb = 0\npdf_helper = \"/opt/x\"\n",
        )
        .unwrap();
        let p = Config::resolve(raw).unwrap().pdf;
        assert_eq!(
            p,
            PdfLimits {
                timeout: Duration::from_millis(500),
                max_memory_mb: 64,
                max_text_mb: 0,
                helper: Some("/opt/x".into()),
            }
        );
        assert_eq!(
            Config::resolve(RawConfig::default()).unwrap().pdf,
            PdfLimits::default()
        );
        let zero = RawConfig {
            pdf_max_memory_mb: Some(0),
            ..Default::default()
        };
        assert!(Config::resolve(zero)
            .unwrap_err()
            .contains("pdf_max_memory_mb"));
    }

    #[test]
    fn public_url_is_checked_and_kept_without_its_slash() {
        let resolve = |u: &str| {
            Config::resolve(RawConfig {
                public_url: Some(u.into()),
                ..Default::default()
            })
            .map(|c| c.public_url)
        };
        assert_eq!(
            resolve("https://verbatim.newsroom.example/"),
            Ok(Some("https://verbatim.newsroom.example".into()))
        );
        assert_eq!(
            resolve("http://127.0.0.1:7310/tools/verbatim"),
            Ok(Some("http://127.0.0.1:7310/tools/verbatim".into()))
        );
        for bad in [
            "javascript:alert(1)",
            "ftp://host.example",
            "https://",
            "https://host.example/?q=1",
            "https://host example",
            "https://evil.example\"><script>",
        ] {
            let err = resolve(bad).unwrap_err();
            assert!(err.contains("public_url"), "{bad}: {err}");
        }
    }

    #[test]
    fn cors_origins_are_checked_not_dropped() {
        let resolve = |o: &[&str]| {
            Config::resolve(RawConfig {
                cors_origins: Some(o.iter().map(|s| s.to_string()).collect()),
                ..Default::default()
            })
            .map(|c| c.cors_origins)
        };
        assert_eq!(resolve(&["*"]).unwrap(), ["*"]);
        assert_eq!(
            resolve(&["https://a.example", "http://127.0.0.1:8080"]).unwrap(),
            ["https://a.example", "http://127.0.0.1:8080"]
        );
        for bad in [
            &["*", "https://a.example"][..],
            &["a.example"],
            &["https://a.example/"],
            &["https://a.example/page"],
            &["ftp://a.example"],
            &["https://"],
            &["https://a.example\n"],
        ] {
            let err = resolve(bad).unwrap_err();
            assert!(
                err.contains("CORS") || err.contains("cors_origins"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn precedence_and_validation() {
        let flags = RawConfig {
            addr: Some("127.0.0.1:9".into()),
            ..Default::default()
        };
        let file = RawConfig {
            addr: Some("127.0.0.1:8".into()),
            corpus: Some("c".into()),
            ..Default::default()
        };
        let c = Config::resolve(flags.or(file)).unwrap();
        assert_eq!(c.addr.port(), 9);
        assert_eq!(c.corpus_dir, PathBuf::from("c"));
        assert_eq!(c.index_dir, PathBuf::from("index"));
        assert!(Config::resolve(RawConfig {
            addr: Some("nope".into()),
            ..Default::default()
        })
        .is_err());
        assert!(Config::resolve(RawConfig {
            max_body_bytes: Some(0),
            ..Default::default()
        })
        .is_err());
    }
}
