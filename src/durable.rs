//! What every durable file write shares: hidden temporary names that say
//! which process wrote them, the fsync of a directory after a rename, and
//! replacing a file whole ([`replace`]). One copy, so every writer names
//! and recognises temporaries alike.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `.{name}.tmp-{pid}` beside `path`: hidden, so no reader lists it, and
/// named by this process, so a later one can tell whether its writer is
/// gone.
pub(crate) fn temporary_for(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let dir = path.parent().unwrap_or(Path::new("."));
    dir.join(format!(".{name}.tmp-{}", std::process::id()))
}

/// The process that wrote the temporary file `name`, when `name` is one
/// (`.{…}.tmp-{pid}`).
pub(crate) fn temporary_writer(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let (_, pid) = name.rsplit_once(".tmp-")?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` is gone, so its temporary files are litter (on
/// Linux: it has no `/proc` entry). This process never is.
pub(crate) fn writer_gone(pid: u32) -> bool {
    pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
}

/// Removes the hidden temporaries of `file_name` in `dir` (see
/// [`temporary_for`]) that this process or a gone one left: a write that
/// failed, or a process killed in the middle of one.
pub(crate) fn remove_stale_temporaries(dir: &Path, file_name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{file_name}.tmp-");
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix) {
            continue;
        }
        let Some(pid) = temporary_writer(&name) else {
            continue;
        };
        if pid == std::process::id() || writer_gone(pid) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Replaces `path` whole with what `write` writes: first to a hidden
/// temporary beside it (the stale temporaries of earlier writes removed),
/// synced, then renamed over `path`, and the directory synced. A failure
/// before the rename removes the temporary and leaves `path` as it was, so
/// a crash at any point leaves the old file or the new one. Returns the
/// new file, open for reading (to map it).
pub(crate) fn replace(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<File> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
        remove_stale_temporaries(dir, name);
    }
    let tmp = temporary_for(path);
    let written = (|| -> std::io::Result<File> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        write(&mut out)?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(file)
    })();
    let file = match written {
        Ok(f) => f,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::io(&tmp, e));
        }
    };
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    sync_dir(dir)?;
    Ok(file)
}

/// Makes the renames in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_are_named_and_recognised_alike() {
        let tmp = temporary_for(Path::new("/corpus/notes/a.md"));
        assert_eq!(tmp.parent(), Some(Path::new("/corpus/notes")));
        let name = tmp.file_name().unwrap().to_str().unwrap();
        assert_eq!(temporary_writer(name), Some(std::process::id()));
        assert!(!writer_gone(std::process::id()));
        assert_eq!(temporary_writer(".x.json.3.tmp-42"), Some(42));
        for not in [
            "note.md.tmp-4242",
            ".note.md.tmp-",
            ".x.tmp-12a",
            ".hidden.md",
        ] {
            assert_eq!(temporary_writer(not), None, "{not}");
        }
    }
}
