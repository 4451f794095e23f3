//! Bounded child processes for reading untrusted files (the PDF extractor,
//! OCR): at most one per core at once, killed past a deadline, their output
//! read up to a bound. A child that loops, crashes or floods costs one
//! file, never the index build or the server.

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::config::PdfLimits;

/// The limits this process's extraction children run within
/// ([`limit_pdfs`]): the PDF extractor's, whose memory cap OCR's children
/// share.
static LIMITS: OnceLock<PdfLimits> = OnceLock::new();

/// Sets the limits of PDF extraction, from the configuration; a program
/// that never calls this (the library inside the tests) has the defaults.
pub fn limit_pdfs(limits: PdfLimits) {
    let _ = LIMITS.set(limits);
}

/// The limits set by [`limit_pdfs`], or the defaults.
pub(super) fn limits() -> PdfLimits {
    LIMITS.get().cloned().unwrap_or_default()
}

/// Children running at once, at most: each may use a lot of memory, so an
/// index build over a folder of scans (read on every core) or a burst of
/// uploads cannot multiply that by the number of files.
fn max_children() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The places for children: how many run now, and a condition to wait on
/// for a free one.
static CHILDREN: (std::sync::Mutex<usize>, std::sync::Condvar) =
    (std::sync::Mutex::new(0), std::sync::Condvar::new());

/// A place for one child, given back when dropped.
pub(super) struct ChildSlot;

impl ChildSlot {
    /// Waits for a free place.
    pub(super) fn take() -> ChildSlot {
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

/// Caps the address space of the child `command` starts at `mb` MB: past
/// it an allocation fails and the child ends, costing one file. For a
/// program that cannot cap itself (Tesseract, `pdftoppm`); the PDF
/// extractor, this binary, caps its own.
pub(super) fn limit_memory(command: &mut Command, mb: u64) {
    use std::os::unix::process::CommandExt;
    let bytes = mb << 20;
    // SAFETY: between fork and exec the closure makes one system call,
    // setrlimit, which is async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            rustix::process::setrlimit(
                rustix::process::Resource::As,
                rustix::process::Rlimit {
                    current: Some(bytes),
                    maximum: Some(bytes),
                },
            )
            .map_err(std::io::Error::from)
        });
    }
}

/// How a child ended.
pub(super) struct Ran {
    /// Its exit status; `None` when it was killed at the deadline.
    pub(super) status: Option<ExitStatus>,
    /// What it wrote on stdout, up to one byte past the bound (so a caller
    /// can tell output that reached the bound from output that passed it).
    pub(super) out: Vec<u8>,
}

/// Runs `command` with `input` on its stdin, killed after `timeout`, its
/// stdout read up to `max_out` bytes (plus one); stderr is dropped. Errs
/// only when the child cannot start.
pub(super) fn run(
    command: &mut Command,
    input: &[u8],
    timeout: Duration,
    max_out: u64,
) -> std::io::Result<Ran> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    // Scoped threads borrow the input rather than copy it, and the answer
    // is read once into one buffer.
    Ok(std::thread::scope(|scope| {
        scope.spawn(move || {
            let _ = stdin.write_all(input);
        });
        // Reads at most one byte past the bound, then closes the pipe: a
        // child still writing then fails on it and exits.
        let reader = scope.spawn(move || {
            let mut out = Vec::new();
            let _ = stdout.take(max_out + 1).read_to_end(&mut out);
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
        Ran {
            status,
            out: reader.join().unwrap_or_default(),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child past its memory cap fails; under it, it runs as usual.
    #[test]
    fn a_child_cannot_allocate_past_its_memory_cap() {
        let alloc = |mb: u64| {
            let mut c = Command::new("python3");
            c.args(["-c", "x = bytearray(300 << 20); print('ok')"]);
            limit_memory(&mut c, mb);
            run(&mut c, b"", Duration::from_secs(30), 1 << 10).unwrap()
        };
        let capped = alloc(100);
        assert!(
            !capped.status.unwrap().success(),
            "300 MB under a 100 MB cap"
        );
        let roomy = alloc(2048);
        assert!(roomy.status.unwrap().success());
        assert_eq!(roomy.out, b"ok\n");
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
}
