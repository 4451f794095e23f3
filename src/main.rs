//! The `verbatim` binary: flags → config → command. Everything else lives
//! in the library.

use clap::Parser;

/// Indexing, highlighting and answering allocate many small strings; glibc's
/// malloc took about a fifth of a search request's CPU time (perf, see
/// BENCHMARKS.md). mimalloc is built for exactly that pattern.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use verbatim::cli::{self, Flags};
use verbatim::LogFormat;

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn main() -> std::process::ExitCode {
    // Candle runs the embedding model on `RAYON_NUM_THREADS` threads; left
    // unset, it looks the core count up in /proc/cpuinfo on every matrix
    // product (a few per cent of a query's time). Fixed here, before any
    // thread exists, to the cores this process may use.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::env::set_var("RAYON_NUM_THREADS", cores.to_string());
    }
    let flags = Flags::parse();
    // The PDF extractor child reads stdin and writes stdout, nothing else:
    // no configuration file, no settings, no logging.
    if matches!(flags.command, cli::Command::ExtractPdf) {
        return match cli::run_pdf_helper() {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(_) => std::process::ExitCode::from(2),
        };
    }
    let config = match flags.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing(config.log_format);
    // PDFs are extracted by a child, within the configured time, output and
    // memory limits: the configured program, else this binary (it has the
    // `extract-pdf` command). When it cannot name itself, PDFs are skipped
    // with the reason, never parsed in this process.
    verbatim::limit_pdfs(config.pdf.clone());
    // Scans are read in the configured languages (checked installed when
    // OCR first runs; a missing one skips each scan with the package).
    verbatim::read_scans_in(config.ocr_languages.clone());
    match config
        .pdf
        .helper
        .clone()
        .map_or_else(std::env::current_exe, Ok)
    {
        Ok(exe) => verbatim::extract_pdfs_with(exe),
        Err(e) => {
            verbatim::extract_no_pdfs(format!("this binary could not find its own file: {e}"))
        }
    }
    // Exit status: 0 success, 1 a check found a quote that is not verbatim, 2 an error.
    let result = cli::run(&flags, &config);
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        // A reader that stopped reading (`verbatim search AI | head -2`)
        // is not a failure: what it wanted was written.
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            match config.log_format {
                LogFormat::Json => tracing::error!(error = %format!("{e:#}"), "command failed"),
                LogFormat::Text => eprintln!("error: {e:#}"),
            }
            std::process::ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
