//! The generation's file log (`files.log`): the manifest's file records as
//! an append-only list of changes, one JSON line each. A full build writes
//! one line per file; a live write or an in-place update appends a line per
//! file it changes (the new record, or none for a removed file), fsynced
//! before the commit whose payload records the log's new length.
//!
//! The commit is the one atomic point. Bytes past the committed length are
//! an interrupted write's, never read, and cut off by the next append, so a
//! crash between the append and the commit leaves the previous state.
//! Readers of an older commit read the prefix its payload names; appends
//! never change earlier bytes.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::FileRecord;

/// The log's name inside a generation's directory.
const FILE: &str = "files.log";

/// One line: a file's record, or its removal.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct FileChange {
    /// The corpus-relative path, as the manifest keys it.
    pub(crate) path: String,
    /// Its new record; `None` when the file left the corpus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) record: Option<FileRecord>,
}

/// Where a generation keeps its log.
pub(super) fn path_in(generation: &Path) -> PathBuf {
    generation.join(FILE)
}

/// The changes `old` → `new` (no IO): a line for every file whose record
/// differs or appeared, and a removal for every file gone.
pub(crate) fn diff(
    old: &BTreeMap<String, FileRecord>,
    new: &BTreeMap<String, FileRecord>,
) -> Vec<FileChange> {
    let changed = new
        .iter()
        .filter(|(p, r)| old.get(*p) != Some(*r))
        .map(|(p, r)| FileChange {
            path: p.clone(),
            record: Some(r.clone()),
        });
    let removed = old
        .keys()
        .filter(|p| !new.contains_key(*p))
        .map(|p| FileChange {
            path: p.clone(),
            record: None,
        });
    changed.chain(removed).collect()
}

/// Applies one change to `files` (no IO): the record set, or removed.
pub(crate) fn apply(files: &mut BTreeMap<String, FileRecord>, change: FileChange) {
    match change.record {
        Some(r) => files.insert(change.path, r),
        None => files.remove(&change.path),
    };
}

/// The lines for `changes` (no IO).
pub(super) fn encode<'a>(changes: impl IntoIterator<Item = &'a FileChange>) -> Vec<u8> {
    let mut out = Vec::new();
    for c in changes {
        serde_json::to_writer(&mut out, c).expect("a file change serializes");
        out.push(b'\n');
    }
    out
}

/// Applies the lines of `bytes` to `files` (no IO); `what` names the log
/// in the error for a line that does not parse.
pub(super) fn replay(
    bytes: &[u8],
    files: &mut BTreeMap<String, FileRecord>,
    what: &Path,
) -> Result<()> {
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let change: FileChange = serde_json::from_slice(line)
            .map_err(|e| Error::IndexUnusable(format!("{} line {}: {e}", what.display(), i + 1)))?;
        apply(files, change);
    }
    Ok(())
}

/// Reads bytes `from..to` of the log of `generation`: the lines a commit
/// vouches for beyond what the reader already holds.
pub(super) fn read(generation: &Path, from: u64, to: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    if to <= from {
        return Ok(Vec::new());
    }
    let path = path_in(generation);
    let mut f = fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
    f.seek(SeekFrom::Start(from))
        .map_err(|e| Error::io(&path, e))?;
    let mut bytes = Vec::with_capacity((to - from) as usize);
    f.take(to - from)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(&path, e))?;
    if (bytes.len() as u64) < to - from {
        return Err(Error::IndexUnusable(format!(
            "{} is shorter ({} bytes) than its commit records ({to})",
            path.display(),
            from + bytes.len() as u64
        )));
    }
    Ok(bytes)
}

/// Appends `bytes` to the log of `generation` after its committed
/// `length` (cutting off an interrupted write's tail first) and fsyncs it;
/// returns the new length, for the commit to record. Callers hold the
/// index lock: one appender at a time.
pub(super) fn append(generation: &Path, length: u64, bytes: &[u8]) -> Result<u64> {
    let path = path_in(generation);
    let mut f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    let io = |e| Error::io(&path, e);
    f.set_len(length).map_err(io)?;
    f.seek(SeekFrom::Start(length)).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_data().map_err(io)?;
    Ok(length + bytes.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sha: &str) -> FileRecord {
        FileRecord {
            size: 1,
            mtime_ns: 2,
            sha256: sha.into(),
            hashed_at_ns: 3,
            doc_ids: vec![format!("doc-{sha}")],
            ocr: None,
        }
    }

    fn map(entries: &[(&str, &str)]) -> BTreeMap<String, FileRecord> {
        entries
            .iter()
            .map(|(p, s)| (p.to_string(), record(s)))
            .collect()
    }

    #[test]
    fn replaying_a_diff_gives_the_new_records() {
        let old = map(&[("a.md", "1"), ("b.md", "2"), ("c.md", "3")]);
        let new = map(&[("a.md", "1"), ("b.md", "9"), ("d.md", "4")]);
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 3, "b changed, d new, c removed; a kept");
        let mut files = old.clone();
        replay(&encode(&changes), &mut files, Path::new("files.log")).unwrap();
        assert_eq!(files, new);
    }

    #[test]
    fn an_interrupted_append_is_cut_off_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let first = encode(&diff(&BTreeMap::new(), &map(&[("a.md", "1")])));
        let committed = append(dir.path(), 0, &first).unwrap();
        // A write appended its line, then crashed before its commit.
        let torn = encode(&diff(&BTreeMap::new(), &map(&[("x.md", "7")])));
        append(dir.path(), committed, &torn[..torn.len() / 2]).unwrap();
        // Readers of the commit see only what it vouches for.
        let mut files = BTreeMap::new();
        let bytes = read(dir.path(), 0, committed).unwrap();
        replay(&bytes, &mut files, Path::new("files.log")).unwrap();
        assert_eq!(files, map(&[("a.md", "1")]));
        // The next append starts at the committed length.
        let next = encode(&diff(&files, &map(&[("a.md", "1"), ("b.md", "2")])));
        let length = append(dir.path(), committed, &next).unwrap();
        let bytes = read(dir.path(), 0, length).unwrap();
        assert_eq!(fs::metadata(path_in(dir.path())).unwrap().len(), length);
        let mut files = BTreeMap::new();
        replay(&bytes, &mut files, Path::new("files.log")).unwrap();
        assert_eq!(files, map(&[("a.md", "1"), ("b.md", "2")]));
        // A log shorter than its commit says is an error, not a guess.
        assert!(read(dir.path(), 0, length + 10).is_err());
    }
}
