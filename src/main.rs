//! The `verbatim` binary: flags → config → command. Everything else lives
//! in the library.

use clap::Parser;

/// Indexing, highlighting and answering allocate many small strings; glibc's
/// malloc took about a fifth of a search request's CPU time (perf, see
/// BENCHMARKS.md). mimalloc is built for exactly that pattern.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use verbatim::cli::{self, Command, Flags};
use verbatim::config::LogFormat;

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
    let flags = Flags::parse();

    let config = match flags.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing(config.log_format);
    // Exit status: 0 success, 1 a check found a quote that is not verbatim, 2 an error.
    let result = match &flags.command {
        Command::ExtractPdf => verbatim::ingest::pdf::run_helper()
            .map(|()| true)
            .map_err(Into::into),
        Command::Index { force, strict } => cli::index(&config, *force, *strict).map(|()| true),
        Command::Search(f) => cli::search(&config, f).map(|()| true),
        Command::Serve(_) => cli::serve(&config).map(|()| true),
        Command::Check(f) => cli::check(&config, f),
        Command::Ask(f) => cli::ask(&config, f).map(|()| true),
        Command::Add { files } => cli::add(&config, files).map(|()| true),
        Command::Remove { id } => cli::remove(&config, id).map(|()| true),
        Command::Bench(cli::BenchCommand::Quotes { data, seed }) => {
            verbatim::bench::quotes::run(data, *seed).map(|()| true)
        }
        Command::Bench(cli::BenchCommand::Scifact {
            tune_bm25: true,
            data,
            ..
        }) => verbatim::bench::scifact::tune_bm25(data).map(|()| true),
        Command::Bench(cli::BenchCommand::Scifact {
            data, split, peers, ..
        }) => verbatim::bench::scifact::run(data, split, peers.clone()).map(|()| true),
        Command::Bench(cli::BenchCommand::Generate {
            scifact,
            passages,
            out,
            seed,
        }) => verbatim::bench::generate::run(scifact, *passages, out, *seed).map(|()| true),
        Command::Bench(cli::BenchCommand::Squad { data, fit, peers }) => {
            verbatim::bench::answers::run(data, &config.corpus_dir, *fit, peers.clone())
                .map(|()| true)
        }
    };
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
