//! Command-line flags, their resolution into [`Config`], and the commands.
//! `main.rs` only parses, sets up logging and maps errors to exit codes.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, LogFormat, RawConfig, ReaderMode, VectorMode};
use crate::engine::{Engine, Writer};
use crate::index::IndexState;
use crate::ingest;
use crate::quote::{DiffOp, Verdict};
use crate::search::{Filters, SearchMode, SearchRequest};
use crate::wire::SearchResponse;

/// verbatim: answers from your sources, in their own words, with citations.
#[derive(Debug, Parser)]
#[command(name = "verbatim", version, about)]
pub struct Flags {
    /// Settings shared by every command.
    #[command(flatten)]
    pub global: GlobalFlags,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub struct GlobalFlags {
    /// Corpus directory [default: corpus].
    #[arg(long, global = true, env = "VERBATIM_CORPUS", value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Index directory [default: index].
    #[arg(long, global = true, env = "VERBATIM_INDEX", value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// Config file [default: ./verbatim.toml when it exists].
    #[arg(long, global = true, env = "VERBATIM_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(
        long,
        global = true,
        env = "VERBATIM_LOG_FORMAT",
        value_name = "FORMAT"
    )]
    pub log_format: Option<LogFormat>,
    /// Passage and sentence vectors: auto (on up to 50,000 passages), on, or off (lexical only).
    #[arg(long, global = true, env = "VERBATIM_VECTORS", value_name = "MODE")]
    pub vectors: Option<VectorMode>,
    /// The answer reader model in `ask`: on or off (default off; needs vectors).
    #[arg(long, global = true, env = "VERBATIM_READER", value_name = "MODE")]
    pub reader: Option<ReaderMode>,
    /// Longest one PDF's text extraction may run, in milliseconds [default: 30000].
    #[arg(
        long,
        global = true,
        env = "VERBATIM_PDF_TIMEOUT_MS",
        value_name = "MS"
    )]
    pub pdf_timeout_ms: Option<u64>,
    /// Most memory the PDF extractor may use, in MB [default: 4096].
    #[arg(
        long,
        global = true,
        env = "VERBATIM_PDF_MAX_MEMORY_MB",
        value_name = "MB"
    )]
    pub pdf_max_memory_mb: Option<u64>,
    /// Most text one PDF may yield, in MB [default: 256].
    #[arg(
        long,
        global = true,
        env = "VERBATIM_PDF_MAX_TEXT_MB",
        value_name = "MB"
    )]
    pub pdf_max_text_mb: Option<u64>,
    /// The PDF extractor program, run as `PROGRAM extract-pdf` [default: this binary].
    #[arg(
        long,
        global = true,
        env = "VERBATIM_PDF_HELPER",
        value_name = "PROGRAM"
    )]
    pub pdf_helper: Option<PathBuf>,
    /// The languages OCR reads scans in, Tesseract's names joined by `+`
    /// [default: eng, and jpn when installed].
    #[arg(
        long,
        global = true,
        env = "VERBATIM_OCR_LANGUAGES",
        value_name = "LANGS"
    )]
    pub ocr_languages: Option<String>,
}

/// `--mode`: `lexical` or `hybrid` (the search module's own reading, so
/// the flag and the HTTP parameter cannot disagree).
fn parse_search_mode(s: &str) -> Result<SearchMode, String> {
    SearchMode::parse(s).map_err(|e| e.to_string())
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the index from the corpus (atomically; skipped when fresh unless --force).
    Index {
        /// Rebuild even when the index matches the corpus.
        #[arg(long)]
        force: bool,
        /// Fail (exit 2) when any corpus file cannot be read, instead of skipping it.
        #[arg(long)]
        strict: bool,
    },
    /// Search passages: words, "exact phrases", +required, -excluded, AND, OR, doc:ID, kind:KIND.
    Search(SearchFlags),
    /// Serve the HTTP API and the web page.
    Serve(ServeFlags),
    /// Add or replace documents from files (.md, .txt, .html, .jsonl), durably.
    Add {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Remove a document by id.
    Remove {
        /// The document id.
        id: String,
    },
    /// Ask a plain question; answers are sentences cut from the sources, cited.
    Ask(AskFlags),
    /// Check a quote (or every quotation in a draft) against the sources.
    /// Exit status: 0 when every quote is verbatim, 1 when any is not, 2 on error.
    Check(CheckFlags),
    /// Re-check stored citations against the sources as they are now. FILE
    /// holds JSON Lines, one citation per line as verbatim returned it
    /// (`doc_id`, `start`, `end`, and `doc_version` and/or the cited `text`);
    /// each gets one JSON line out: `exact`, `moved`, `changed` or `gone`.
    /// Exit status: 0 when every citation is exact, 1 when any is not, 2 on
    /// error.
    Verify {
        /// The JSON Lines file of citations (`-` for stdin).
        file: PathBuf,
    },
    /// Serve the read-only API to an AI assistant over the Model Context
    /// Protocol, on stdin and stdout.
    ///
    /// Tools: search, ask, check_quote, check_draft, verify_citations,
    /// get_passage, get_document and list_documents, each returning the HTTP API's JSON
    /// (citations included) and a short text that quotes the exact source
    /// text with its citation. Resources: every document, as
    /// verbatim://documents/{doc_id}. Nothing is written. Logs go to stderr;
    /// stdout carries only the protocol. Ends when the client closes stdin.
    ///
    /// A client's configuration, for example:
    ///   {"mcpServers": {"verbatim": {"command": "verbatim",
    ///     "args": ["mcp", "--corpus", "/path/to/corpus", "--index", "/path/to/index"]}}}
    #[command(verbatim_doc_comment)]
    Mcp,
    /// Internal: extract one PDF's text (stdin → JSON on stdout), run by
    /// the corpus reader in a child process so a looping extractor can be killed.
    #[command(name = "extract-pdf", hide = true)]
    ExtractPdf,
    /// Measure quality and speed on public benchmark data.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// Flags of `verbatim search`.
#[derive(Debug, Args)]
pub struct SearchFlags {
    /// The query.
    pub query: String,
    /// Hits per page (at most 100).
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Hits to skip.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Only this document.
    #[arg(long)]
    pub doc: Option<String>,
    /// Only this kind of document.
    #[arg(long)]
    pub kind: Option<String>,
    /// Ranking: lexical or hybrid [default: hybrid for plain words when vectors are on].
    #[arg(long, value_name = "MODE", value_parser = parse_search_mode)]
    pub mode: Option<SearchMode>,
    /// Print the JSON the HTTP API returns.
    #[arg(long)]
    pub json: bool,
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Quote verdicts on a SQuAD perturbation set: precision and recall per verdict, checks per second.
    Quotes {
        /// Path of SQuAD v1.1 dev (e.g. ../shared/bench/squad/dev-v1.1.json).
        #[arg(long)]
        data: PathBuf,
        /// Seed of the perturbation set.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Check the quotes (drawn from `--data`) against the paragraphs of
        /// this file instead: the same articles and paragraphs in other
        /// text, such as the OCR'd copy `benches/ocr.py --squad-out` writes.
        #[arg(long, value_name = "FILE")]
        corpus_data: Option<PathBuf>,
    },
    /// Search ranking on BEIR SciFact: nDCG@10 and Recall@100 (trec_eval definitions), queries per second.
    Scifact {
        /// The BEIR scifact folder (e.g. ../shared/bench/beir/scifact).
        #[arg(long)]
        data: PathBuf,
        /// `test` (report) or `train` (tune).
        #[arg(long, default_value = "test")]
        split: String,
        /// Run the peers' SciFact script from this folder in the same run (needs PEERS_VENV).
        #[arg(long, value_name = "DIR")]
        peers: Option<PathBuf>,
        /// Instead: grid-search BM25's k1 and b on the train split (rescoring), then test the best once.
        #[arg(long)]
        tune_bm25: bool,
        /// Instead: rerank BM25's top 100 with the local embedding model, fit the mix on train, test once.
        #[arg(long)]
        hybrid: bool,
    },
    /// Embedding throughput of the local model on SciFact abstracts (passages, then sentences).
    Embed {
        /// The BEIR scifact folder (e.g. ../shared/bench/beir/scifact).
        #[arg(long)]
        data: PathBuf,
        /// Documents to embed (the first N).
        #[arg(long, default_value_t = 500)]
        limit: usize,
        /// Texts per forward pass (at most; long texts go fewer, within a word-piece budget).
        #[arg(long, default_value_t = 32)]
        batch: usize,
    },
    /// Generate a large corpus of real text (recombined SciFact sentences, or a corpus folder's) as JSON Lines.
    #[command(group(clap::ArgGroup::new("source").required(true).args(["scifact", "from_corpus"])))]
    Generate {
        /// Path of the SciFact corpus (e.g. ../shared/bench/beir/scifact/corpus.jsonl).
        #[arg(long)]
        scifact: Option<PathBuf>,
        /// Take the sentences from the documents of this corpus folder
        /// instead (the default corpus makes a corpus the tests can build).
        #[arg(long)]
        from_corpus: Option<PathBuf>,
        /// About how many passages to make.
        #[arg(long, default_value_t = 1_000_000)]
        passages: usize,
        /// Folder to write the .jsonl files into.
        #[arg(long)]
        out: PathBuf,
        /// Seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Answer ranking on SQuAD: answer-sentence and paragraph top-k, abstention, questions per second.
    Squad {
        /// Path of SQuAD v1.1 dev (e.g. ../shared/bench/squad/dev-v1.1.json).
        #[arg(long)]
        data: PathBuf,
        /// Fit the cosine weights and the answerability model on the tuning split (articles 0-23) and report with them.
        #[arg(long)]
        fit: bool,
        /// Also refit the lexical ranker (31 features and the residual network) on the tuning split.
        #[arg(long)]
        fit_lexical: bool,
        /// Give each paragraph its article's title (topic-naming; the headline figures use neutral titles); reports the ranking table only.
        #[arg(long)]
        titled: bool,
        /// Run the peers' answer-sentence script from this folder in the same run (needs PEERS_VENV).
        #[arg(long, value_name = "DIR")]
        peers: Option<PathBuf>,
        /// Write the tuning split's leave-gold-out evidence to this TSV file (for analysis; held-out rows are never written).
        #[arg(long, value_name = "FILE")]
        dump_evidence: Option<PathBuf>,
    },
    /// Answers and "no answer" end to end on SQuAD 2.0's unanswerable questions and SQuAD v1.1's held-out ones, reader on and off.
    Squad2 {
        /// Path of SQuAD v1.1 dev (the corpus: ../shared/bench/squad/dev-v1.1.json).
        #[arg(long)]
        data: PathBuf,
        /// Path of the SQuAD 2.0 tuning articles (../shared/bench/squad2/dev-v2.0-tune.json).
        #[arg(long)]
        squad2: PathBuf,
        /// Give each paragraph its article's title (topic-naming; the headline figures use neutral titles).
        #[arg(long)]
        titled: bool,
        /// Instead of measuring, write every tuning question's served candidates (articles 0-23 only) to this JSON Lines file: the reader's training data.
        #[arg(long, value_name = "FILE")]
        export_candidates: Option<PathBuf>,
        /// Measure the two validation articles only (where the reader's operating point is chosen).
        #[arg(long)]
        validation_only: bool,
        /// Measure the tuning articles only, never the held-out ones (for iterating on a change).
        #[arg(long, conflicts_with = "validation_only")]
        tune_only: bool,
        /// Which reader settings to measure, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "on,off")]
        readers: Vec<ReaderMode>,
    },
}

/// Flags of `verbatim ask`.
#[derive(Debug, Args)]
pub struct AskFlags {
    /// The question.
    pub question: String,
    /// Answers wanted (1 to 10).
    #[arg(long, default_value_t = 3)]
    pub limit: usize,
    /// Print the JSON the HTTP API returns.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `verbatim check`.
#[derive(Debug, Args)]
pub struct CheckFlags {
    /// The quote to check.
    #[arg(required_unless_present = "draft", conflicts_with = "draft")]
    pub quote: Option<String>,
    /// Check every quotation in this draft file instead.
    #[arg(long, value_name = "FILE")]
    pub draft: Option<PathBuf>,
    /// In a draft, also check quotations of one or two words.
    #[arg(long)]
    pub include_short: bool,
    /// Print the JSON the HTTP API returns.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `verbatim serve`.
#[derive(Debug, Args)]
pub struct ServeFlags {
    /// Listen address [default: 127.0.0.1:7310].
    #[arg(long, env = "VERBATIM_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Largest request body in bytes [default: 1048576].
    #[arg(long, env = "VERBATIM_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Longest query or question in chars [default: 2000].
    #[arg(long, env = "VERBATIM_MAX_QUERY_CHARS")]
    pub max_query_chars: Option<usize>,
    /// Request timeout in milliseconds [default: 10000].
    #[arg(long, env = "VERBATIM_REQUEST_TIMEOUT_MS")]
    pub request_timeout_ms: Option<u64>,
    /// Requests in flight before answering 503 overloaded [default: 256].
    #[arg(long, env = "VERBATIM_MAX_CONCURRENCY")]
    pub max_concurrency: Option<usize>,
    /// Open connections before new ones wait in the backlog [default: 1024].
    #[arg(long, env = "VERBATIM_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Time to send request headers, and idle keep-alive time, in
    /// milliseconds [default: 10000].
    #[arg(long, env = "VERBATIM_HEADER_TIMEOUT_MS")]
    pub header_timeout_ms: Option<u64>,
    /// Time a response may make no progress before its connection is
    /// closed, in milliseconds [default: 30000].
    #[arg(long, env = "VERBATIM_WRITE_TIMEOUT_MS")]
    pub write_timeout_ms: Option<u64>,
    /// Time requests in flight get to finish after SIGTERM, in
    /// milliseconds [default: 10000].
    #[arg(long, env = "VERBATIM_DRAIN_TIMEOUT_MS")]
    pub drain_timeout_ms: Option<u64>,
    /// The address readers reach this server at, for absolute links in
    /// exports (e.g. https://verbatim.newsroom.example) [default: the
    /// request's Host, over http].
    #[arg(long, env = "VERBATIM_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl Flags {
    /// Merges flags (and the environment, via clap) over the config file.
    pub fn resolve(&self) -> Result<Config, String> {
        let g = &self.global;
        let mut raw = RawConfig {
            corpus: g.corpus.clone(),
            index: g.index.clone(),
            log_format: g.log_format,
            vectors: g.vectors,
            reader: g.reader,
            pdf_timeout_ms: g.pdf_timeout_ms,
            pdf_max_memory_mb: g.pdf_max_memory_mb,
            pdf_max_text_mb: g.pdf_max_text_mb,
            pdf_helper: g.pdf_helper.clone(),
            ocr_languages: g.ocr_languages.clone(),
            ..Default::default()
        };
        if let Command::Serve(s) = &self.command {
            raw.addr = s.addr.clone();
            raw.max_body_bytes = s.max_body_bytes;
            raw.max_query_chars = s.max_query_chars;
            raw.request_timeout_ms = s.request_timeout_ms;
            raw.max_concurrency = s.max_concurrency;
            raw.max_connections = s.max_connections;
            raw.header_timeout_ms = s.header_timeout_ms;
            raw.write_timeout_ms = s.write_timeout_ms;
            raw.drain_timeout_ms = s.drain_timeout_ms;
            raw.public_url = s.public_url.clone();
        }
        raw.token = std::env::var("VERBATIM_TOKEN")
            .ok()
            .filter(|t| !t.is_empty());
        let file = match &g.config {
            Some(p) => RawConfig::from_file(p)?,
            None if std::path::Path::new("verbatim.toml").exists() => {
                RawConfig::from_file("verbatim.toml".as_ref())?
            }
            None => RawConfig::default(),
        };
        Config::resolve(raw.or(file))
    }
}

/// Whether to colour output: a terminal, and `NO_COLOR` unset.
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Logs the corpus files that were skipped, as warnings.
fn report_problems(problems: &[ingest::Problem]) {
    for p in problems {
        tracing::warn!("skipped {}", p.error);
    }
}

/// `verbatim index`.
pub fn index(config: &Config, force: bool, strict: bool) -> anyhow::Result<()> {
    let t = Instant::now();
    // A running server is this index's one writer.
    let _claim = crate::index::claim_writer(&config.index_dir)?;
    // One open of the live generation: its file records decide whether
    // anything changed and which files need reading, and the sync starts
    // from it, so the file log is parsed once.
    let opened = crate::index::open(&config.index_dir).ok();
    let corpus = {
        let held = opened.as_ref().and_then(|g| g.manifest().ok());
        if let Some(m) = held.as_ref().filter(|m| !force && !strict && m.updatable()) {
            if ingest::unchanged(&config.corpus_dir, &m.files)? {
                println!(
                    "index is up to date: {} documents, {} passages ({:.2}s)",
                    m.documents,
                    m.passages,
                    t.elapsed().as_secs_f64()
                );
                return Ok(());
            }
        }
        crate::engine::read_corpus(
            &config.corpus_dir,
            &config.index_dir,
            held.as_ref().map(|m| &m.files),
        )?
    };
    report_problems(&corpus.problems);
    if strict && !corpus.problems.is_empty() {
        anyhow::bail!(
            "{} corpus file(s) could not be read (--strict)",
            corpus.problems.len()
        );
    }
    let passages: usize = corpus.documents.iter().map(|d| d.segments.len()).sum();
    let bytes: usize = corpus.documents.iter().map(|d| d.text.len()).sum();
    let bar = indicatif::ProgressBar::new(corpus.documents.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} documents, {per_sec}, eta {eta}",
        )
        .expect("static template"),
    );
    let (state, _) = crate::index::sync(&corpus, &config.index_dir, force, opened, &mut |n| {
        bar.set_position(n as u64);
        Ok(())
    })?;
    bar.finish_and_clear();
    corpus.keep(&config.index_dir);
    let t_vectors = Instant::now();
    if let Some(embedded) =
        crate::engine::embed_corpus(&corpus.documents, &config.index_dir, config.vectors)?
    {
        tracing::info!(
            embedded,
            seconds = t_vectors.elapsed().as_secs_f64(),
            "passage and sentence vectors ready"
        );
    }
    let secs = t.elapsed().as_secs_f64();
    let docs = corpus.documents.len();
    match state {
        IndexState::Fresh => println!("index is up to date: {docs} documents, {passages} passages ({secs:.2}s)"),
        IndexState::Rebuilt(why) | IndexState::Updated(why) => println!(
            "indexed {docs} documents, {passages} passages ({:.1} MB of text) into {} in {secs:.2}s, {:.1} MB/s ({why})",
            bytes as f64 / 1e6,
            config.index_dir.display(),
            bytes as f64 / 1e6 / secs.max(1e-9)
        ),
    }
    Ok(())
}

/// How a command opens the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// The caller holds the writer claim (`serve`, `add`, `remove`): the
    /// index is built or updated from the corpus as needed.
    Owner,
    /// A read command (`search`, `ask`, `check`, `mcp`): it claims the
    /// index for the open when it can, so it may update it; when another
    /// process (a running server) holds the claim, the index is read as it
    /// is and never written ([`Engine::open_read_only`]).
    Reader,
}

/// Opens the engine as `access` allows (see [`Access`]).
fn open_with(config: &Config, access: Access) -> anyhow::Result<Engine> {
    match access {
        Access::Owner => open_engine(config),
        Access::Reader => match crate::index::claim_writer(&config.index_dir) {
            Ok(claim) => {
                let engine = open_engine(config);
                drop(claim);
                engine
            }
            Err(crate::error::Error::IndexBusy(_)) => {
                let holder = crate::index::writer_pid(&config.index_dir);
                tracing::warn!(
                    index = %config.index_dir.display(),
                    "process {holder} writes this index; reading it read-only, as that process last committed it"
                );
                let (engine, problems) =
                    Engine::open_read_only(&config.corpus_dir, &config.index_dir, config.vectors)?;
                report_problems(&problems);
                Ok(engine.with_reader(config.reader)?)
            }
            Err(e) => Err(e.into()),
        },
    }
}

/// Opens the engine, saying on stderr when the index had to be rebuilt.
/// The caller holds the writer claim.
pub fn open_engine(config: &Config) -> anyhow::Result<Engine> {
    let (engine, state, problems) =
        Engine::open_reporting(&config.corpus_dir, &config.index_dir, config.vectors)?;
    let engine = engine.with_reader(config.reader)?;
    report_problems(&problems);
    let dir = config.index_dir.display();
    match state {
        IndexState::Rebuilt(why) => {
            tracing::info!(index = %dir, reason = %why, "rebuilt the index")
        }
        IndexState::Updated(why) => {
            tracing::info!(index = %dir, reason = %why, "updated the index")
        }
        IndexState::Fresh => {}
    }
    Ok(engine)
}

/// Marks `ranges` (byte ranges into `text`) for a terminal or a plain pipe.
pub fn mark(text: &str, ranges: &[(usize, usize)], color: bool) -> String {
    let (open, close) = if color {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("**", "**")
    };
    let mut out = String::with_capacity(text.len() + ranges.len() * 8);
    let mut at = 0;
    for &(s, e) in ranges {
        if s < at || e > text.len() {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(open);
        out.push_str(&text[s..e]);
        out.push_str(close);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// Byte ranges of `text` for spans given in document chars, where `text`
/// starts at document char `base`. Spans outside the text are dropped.
fn byte_ranges(
    text: &str,
    base: usize,
    spans: impl Iterator<Item = (usize, usize)>,
) -> Vec<(usize, usize)> {
    let starts: Vec<usize> = text
        .char_indices()
        .map(|(b, _)| b)
        .chain([text.len()])
        .collect();
    spans
        .filter_map(|(s, e)| {
            Some((
                *starts.get(s.checked_sub(base)?)?,
                *starts.get(e.checked_sub(base)?)?,
            ))
        })
        .collect()
}

/// `verbatim search`.
pub fn search(config: &Config, f: &SearchFlags) -> anyhow::Result<()> {
    let mode = f.mode;
    let engine = open_with(config, Access::Reader)?;
    let t = Instant::now();
    let req = SearchRequest {
        query: f.query.clone(),
        limit: f.limit,
        offset: f.offset,
        filters: Filters {
            doc: f.doc.clone(),
            kind: f.kind.clone(),
        },
        mode,
    };
    let page = engine.search(&req)?;
    let resp = SearchResponse::new(
        &f.query,
        &page,
        t.elapsed().as_millis() as u64,
        f.limit,
        f.offset,
    );
    let mut out = std::io::stdout().lock();
    if f.json {
        write_json(&mut out, &resp)?;
        return Ok(());
    }
    let color = use_color();
    if resp.total == 0 {
        writeln!(out, "no passage matches {:?}", f.query)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} passage{} match {:?}; showing {}-{}\n",
        resp.total,
        if resp.total == 1 { "" } else { "s" },
        f.query,
        f.offset + 1.min(resp.hits.len()),
        f.offset + resp.hits.iter().map(|h| 1 + h.similar.len()).sum::<usize>()
    )?;
    for (i, hit) in resp.hits.iter().enumerate() {
        // Highlights are document char offsets; turn them into byte ranges of the hit text.
        let ranges = byte_ranges(
            &hit.text,
            hit.citation.start,
            hit.highlights.iter().map(|h| (h.start, h.end)),
        );
        writeln!(out, "{}. {}", f.offset + i + 1, hit.citation.label)?;
        if let Some(s) = &hit.section {
            writeln!(out, "   section: {s}")?;
        }
        for line in mark(&hit.text, &ranges, color).lines() {
            writeln!(out, "   {line}")?;
        }
        writeln!(
            out,
            "   [{} · chars {}-{} · doc_version {} · score {:.2}]\n",
            hit.passage_id,
            hit.citation.start,
            hit.citation.end,
            hit.citation.doc_version,
            hit.score
        )?;
        if !hit.similar.is_empty() {
            let ids: Vec<&str> = hit.similar.iter().map(|s| s.passage_id.as_str()).collect();
            writeln!(
                out,
                "   + {} more like this (near-identical text): {}\n",
                ids.len(),
                ids.join(", ")
            )?;
        }
    }
    Ok(())
}

/// Opens the engine on the blocking pool and hands it to `state` (which
/// answers `not_ready` until then), logging `ready` with its size.
fn open_in_background(
    config: &Config,
    state: &crate::http::AppState,
    ready: &'static str,
    access: Access,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    let (state, config) = (state.clone(), config.clone());
    tokio::task::spawn_blocking(move || {
        let engine = open_with(&config, access)?;
        tracing::info!(
            documents = engine.document_count(),
            passages = engine.passage_count(),
            "{ready}"
        );
        state.set_engine(engine);
        release_freed_memory();
        Ok(())
    })
}

/// Hands the memory start-up freed back to the system. Opening allocates
/// far more than it keeps (every document parsed or decoded, collected,
/// then moved into the snapshot), and mimalloc (the binary's allocator)
/// keeps the pages freed by threads that then go idle, such as the loading
/// pool's, until they allocate again: at 1M passages that was about half
/// of the server's heap (BENCHMARKS.md). Only ever a cost of time, never of
/// correctness, and a no-op for pages in use.
fn release_freed_memory() {
    // SAFETY: `mi_collect` takes no pointers and may be called from any
    // thread at any time; it only returns free pages to the system.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// `verbatim serve`: binds, becomes ready once the index is open, and
/// shuts down gracefully on SIGINT or SIGTERM.
pub fn serve(config: &Config) -> anyhow::Result<()> {
    // The one writer of this index while it serves (a CLI `add` beside it
    // is refused rather than changing the index under it).
    let _claim = crate::index::claim_writer(&config.index_dir)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
        let addr = listener.local_addr()?;
        let mut state = crate::http::AppState::starting(config.limits.clone());
        state.cors_origins = config.cors_origins.clone();
        state.public_url = config.public_url.clone();
        state.token = config.token.clone();
        let live = crate::live::Live {
            corpus_dir: config.corpus_dir.clone(),
            index_dir: config.index_dir.clone(),
        };
        // This process holds the writer claim, so no write is under way.
        live.remove_stale_temporaries();
        state.live = Some(live);
        tracing::info!(%addr, "listening on http://{addr}");
        let opening = open_in_background(config, &state, "index open; ready", Access::Owner);
        let server = tokio::spawn(crate::http::run(
            listener,
            state,
            crate::http::shutdown_signal(),
        ));
        match opening.await? {
            Ok(()) => {}
            Err(e) => {
                server.abort();
                return Err(e);
            }
        }
        server.await??;
        tracing::info!("stopped");
        Ok(())
    })
}

/// `verbatim mcp`: MCP over stdio. The index opens in the background, as
/// for `serve`, so the client's handshake is answered at once; tools answer
/// `not_ready` until it is open. A failed open ends the command.
pub fn mcp(config: &Config) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let result = rt.block_on(async {
        let state = crate::http::AppState::starting(config.limits.clone());
        let opening = open_in_background(
            config,
            &state,
            "index open; MCP tools ready",
            Access::Reader,
        );
        let mut serving = tokio::spawn(crate::mcp::serve_stdio(state));
        tokio::select! {
            opened = opening => {
                opened??;
                (&mut serving).await??;
            }
            served = &mut serving => served??,
        }
        Ok(())
    });
    // Stdin is read on a blocking thread that only EOF ends; do not wait for it.
    rt.shutdown_background();
    result
}

/// Renders a word diff: `[-source-]{+quote+}` on a pipe, red and green on a terminal.
pub fn render_diff(diff: &[crate::wire::DiffOpView], color: bool) -> String {
    let (del, ins, end) = if color {
        ("\x1b[9;31m", "\x1b[1;32m", "\x1b[0m")
    } else {
        ("[-", "{+", "")
    };
    let (del_end, ins_end) = if color { (end, end) } else { ("-]", "+}") };
    let mut out = Vec::new();
    for d in diff {
        out.push(match d.op {
            DiffOp::Equal => d.source.clone(),
            DiffOp::Insert => format!("{ins}{}{ins_end}", d.quote),
            DiffOp::Delete => format!("{del}{}{del_end}", d.source),
            DiffOp::Replace => format!("{del}{}{del_end} {ins}{}{ins_end}", d.source, d.quote),
        });
    }
    out.join(" ")
}

fn print_check(
    out: &mut impl Write,
    c: &crate::wire::QuoteCheckResponse,
    color: bool,
) -> std::io::Result<()> {
    writeln!(out, "{}: “{}”", c.verdict.as_str().to_uppercase(), c.quote)?;
    match &c.matched {
        Some(m) => {
            writeln!(
                out,
                "  source: {} [{} · chars {}-{}]",
                m.citation.label, m.citation.passage_id, m.citation.start, m.citation.end
            )?;
            writeln!(out, "  similarity: {:.3}", m.similarity)?;
            if !c.pieces.is_empty() {
                for p in &c.pieces {
                    writeln!(
                        out,
                        "  piece: “{}” [{} · {} · chars {}-{}]{}",
                        p.text,
                        p.citation.label,
                        p.citation.passage_id,
                        p.citation.start,
                        p.citation.end,
                        if p.verbatim { "" } else { " not word for word" }
                    )?;
                    if !p.verbatim {
                        writeln!(out, "    diff: {}", render_diff(&p.diff, color))?;
                    }
                }
            } else if c.verdict != Verdict::Verbatim || m.diff.iter().any(|d| d.op != DiffOp::Equal)
            {
                writeln!(out, "  diff: {}", render_diff(&m.diff, color))?;
            }
            for n in &m.notes {
                writeln!(out, "  note: {}", n.text)?;
            }
        }
        None => {
            writeln!(out, "  no source span is close enough")?;
            for h in &c.candidates {
                writeln!(
                    out,
                    "  nearest passage (not a match): {} [{}]",
                    h.citation.label, h.passage_id
                )?;
            }
        }
    }
    Ok(())
}

/// `verbatim check`: returns whether every quote was verbatim.
pub fn check(config: &Config, f: &CheckFlags) -> anyhow::Result<bool> {
    let engine = open_with(config, Access::Reader)?;
    let color = use_color();
    let mut out = std::io::stdout().lock();
    if let Some(path) = &f.draft {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let resp = crate::wire::DraftResponse::from(&engine.check_draft(&text, f.include_short)?);
        if f.json {
            write_json(&mut out, &resp)?;
        } else {
            if resp.quotes.is_empty() {
                writeln!(out, "no quotations found in {}", path.display())?;
            }
            for q in &resp.quotes {
                write!(out, "[chars {}-{}] ", q.start, q.end)?;
                print_check(&mut out, &q.check, color)?;
                writeln!(out)?;
            }
        }
        return Ok(resp
            .quotes
            .iter()
            .all(|q| q.check.verdict == Verdict::Verbatim));
    }
    let quote = f.quote.as_deref().unwrap_or_default();
    let c = crate::wire::QuoteCheckResponse::new(quote, &engine.check_quote(quote)?);
    if f.json {
        write_json(&mut out, &c)?;
    } else {
        print_check(&mut out, &c, color)?;
    }
    Ok(c.verdict == Verdict::Verbatim)
}

/// `verbatim verify`: one result line per citation line; `Ok(true)` when
/// every citation is exact.
pub fn verify(config: &Config, file: &std::path::Path) -> anyhow::Result<bool> {
    let input = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
    };
    let mut cited = Vec::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let c: crate::wire::CitationToVerify = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{} line {}: {e}", file.display(), i + 1))?;
        cited.push(crate::citations::StoredCitation::from(c));
    }
    let engine = open_with(config, Access::Reader)?;
    let mut all_exact = true;
    let mut out = std::io::stdout().lock();
    // In chunks of the API's limit, so a long file is no error.
    for chunk in cited.chunks(crate::citations::MAX_CITATIONS) {
        for v in engine.verify_citations(chunk)? {
            all_exact &= v.status == crate::citations::CitationStatus::Exact;
            serde_json::to_writer(&mut out, &crate::wire::VerifiedView::from(&v))?;
            writeln!(out)?;
        }
    }
    Ok(all_exact)
}

/// `verbatim ask`.
pub fn ask(config: &Config, f: &AskFlags) -> anyhow::Result<()> {
    let engine = open_with(config, Access::Reader)?;
    let req = crate::answer::AskRequest {
        question: f.question.clone(),
        limit: f.limit,
        filters: Filters::default(),
    };
    let resp = crate::wire::AskResponse::new(&f.question, &engine.ask(&req)?);
    let mut out = std::io::stdout().lock();
    if f.json {
        write_json(&mut out, &resp)?;
        return Ok(());
    }
    let color = use_color();
    if resp.status == crate::answer::AskStatus::NoAnswer {
        writeln!(out, "No answer in these sources.")?;
        if let Some(why) = &resp.explanation {
            writeln!(out, "{why}")?;
        }
        for r in &resp.related {
            let label = if r.possibly_relevant {
                "possibly relevant, not confirmed as an answer"
            } else {
                "NOT an answer"
            };
            let h = &r.hit;
            writeln!(
                out,
                "\n  nearest passage ({label}): {} [{}]",
                h.citation.label, h.passage_id
            )?;
            writeln!(out, "  {}", h.text.replace('\n', " "))?;
        }
        return Ok(());
    }
    for (i, a) in resp.answers.iter().enumerate() {
        let answer_spans = a
            .highlights
            .iter()
            .filter(|h| h.kind == crate::answer::HighlightKind::Answer)
            .map(|h| (h.start, h.end));
        let ranges = byte_ranges(&a.text, a.citation.start, answer_spans);
        writeln!(
            out,
            "{}. {}",
            i + 1,
            mark(&a.text, &ranges, color).replace('\n', " ")
        )?;
        writeln!(
            out,
            "   — {} [{} · chars {}-{}]",
            a.citation.label, a.passage_id, a.citation.start, a.citation.end
        )?;
        if !a.similar.is_empty() {
            let ids: Vec<&str> = a.similar.iter().map(|s| s.passage_id.as_str()).collect();
            writeln!(
                out,
                "   {} more like this: {}",
                a.similar.len(),
                ids.join(", ")
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The index opened for a CLI write: directly when it is up to date, else
/// after an engine has opened it (building or updating it from the corpus).
fn open_writer(config: &Config) -> anyhow::Result<Writer> {
    if let Some(w) = Writer::open(&config.index_dir, config.vectors)? {
        return Ok(w);
    }
    drop(open_engine(config)?);
    Writer::open(&config.index_dir, config.vectors)?
        .ok_or_else(|| anyhow::anyhow!("the index could not be opened for writing"))
}

/// `verbatim add`. Through an index opened for writing alone when it is
/// up to date, so adding one file costs that file, not the corpus; else the
/// engine opens first, building or updating the index.
pub fn add(config: &Config, files: &[PathBuf]) -> anyhow::Result<()> {
    let _claim = crate::index::claim_writer(&config.index_dir)?;
    let live = crate::live::Live {
        corpus_dir: config.corpus_dir.clone(),
        index_dir: config.index_dir.clone(),
    };
    let writer = open_writer(config)?;
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        let name = crate::live::safe_file_name(&f.display().to_string())?;
        let ids = live.add_file(writer.target(), &name, bytes)?;
        println!("added {} as corpus/{name}: {}", f.display(), ids.join(", "));
    }
    Ok(())
}

/// `verbatim remove`, like [`add`] through an index opened for writing.
pub fn remove(config: &Config, id: &str) -> anyhow::Result<()> {
    let _claim = crate::index::claim_writer(&config.index_dir)?;
    let live = crate::live::Live {
        corpus_dir: config.corpus_dir.clone(),
        index_dir: config.index_dir.clone(),
    };
    let writer = open_writer(config)?;
    live.remove_document(writer.target(), id)?;
    println!("removed {id}");
    Ok(())
}

/// `--json` output: the value as the HTTP API returns it, pretty, one newline.
fn write_json(out: &mut impl Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// The body of `verbatim extract-pdf`, the PDF extractor child: a PDF on
/// stdin, its pages (or the error) as JSON on stdout. Needs no config.
pub fn run_pdf_helper() -> std::io::Result<()> {
    crate::ingest::pdf::run_helper()
}

/// Runs the command: `Ok(false)` when a check found a quote that is not
/// verbatim (exit status 1), `Err` for any failure (exit status 2).
pub fn run(flags: &Flags, config: &Config) -> anyhow::Result<bool> {
    match &flags.command {
        Command::ExtractPdf => run_pdf_helper().map(|()| true).map_err(Into::into),
        Command::Index { force, strict } => index(config, *force, *strict).map(|()| true),
        Command::Search(f) => search(config, f).map(|()| true),
        Command::Serve(_) => serve(config).map(|()| true),
        Command::Mcp => mcp(config).map(|()| true),
        Command::Check(f) => check(config, f),
        Command::Verify { file } => verify(config, file),
        Command::Ask(f) => ask(config, f).map(|()| true),
        Command::Add { files } => add(config, files).map(|()| true),
        Command::Remove { id } => remove(config, id).map(|()| true),
        Command::Bench(BenchCommand::Quotes {
            data,
            seed,
            corpus_data,
        }) => crate::bench::quotes::run(data, *seed, corpus_data.as_deref()).map(|()| true),
        Command::Bench(BenchCommand::Scifact {
            tune_bm25: true,
            data,
            ..
        }) => crate::bench::scifact::tune_bm25(data).map(|()| true),
        Command::Bench(BenchCommand::Scifact {
            hybrid: true, data, ..
        }) => crate::bench::scifact::hybrid(data).map(|()| true),
        Command::Bench(BenchCommand::Scifact {
            data, split, peers, ..
        }) => crate::bench::scifact::run(data, split, config.vectors, peers.clone()).map(|()| true),
        Command::Bench(BenchCommand::Embed { data, limit, batch }) => {
            crate::bench::embed::run(data, *limit, *batch).map(|()| true)
        }
        Command::Bench(BenchCommand::Generate {
            scifact,
            from_corpus,
            passages,
            out,
            seed,
        }) => {
            let source = match (scifact, from_corpus) {
                (Some(p), _) => crate::bench::generate::Source::SciFact(p),
                (None, Some(d)) => crate::bench::generate::Source::Corpus(d),
                (None, None) => anyhow::bail!("give --scifact or --from-corpus"),
            };
            crate::bench::generate::run(source, *passages, out, *seed).map(|()| true)
        }
        Command::Bench(BenchCommand::Squad {
            data,
            fit,
            fit_lexical,
            titled,
            peers,
            dump_evidence,
        }) => crate::bench::answers::run(&crate::bench::answers::SquadRun {
            data,
            seed_corpus: &config.corpus_dir,
            fit_lexical: *fit_lexical,
            fit: *fit,
            titled: *titled,
            vectors: config.vectors,
            peers: peers.clone(),
            dump_evidence: dump_evidence.clone(),
        })
        .map(|()| true),
        Command::Bench(BenchCommand::Squad2 {
            data,
            squad2,
            titled,
            export_candidates,
            validation_only,
            tune_only,
            readers,
        }) => crate::bench::squad2::run(
            data,
            squad2,
            *titled,
            config.vectors,
            export_candidates.as_deref(),
            crate::bench::squad2::Sets {
                validation_only: *validation_only,
                tune_only: *tune_only,
                readers: readers.clone(),
            },
        )
        .map(|()| true),
    }
}
