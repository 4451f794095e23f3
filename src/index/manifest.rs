//! The manifest written beside each generation, and the corpus fingerprint
//! that decides whether a generation is fresh. Both belong to the index: the
//! fingerprint is salted with the analysis and schema versions, which only
//! the index knows to depend on.
//!
//! A manifest has two halves. Its header (fingerprint, counts, versions and
//! the length of the file log) is the payload of the generation's latest
//! Tantivy commit, so it stays a few hundred bytes however large the
//! corpus. Its file records live in the generation's append-only file log
//! (`files_log.rs`), of which the header vouches for a prefix: a write
//! appends one line, not the whole list.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::files_log::{self, FileChange};
use crate::ingest::FileRecord;

/// Bump when the schema changes: it invalidates built indexes.
/// 2: nothing stored, and no `passage_id`, `title`, `section`, `start` or
/// `end` field (nothing read them).
/// 3: file records in the file log, not in the commit payload; the
/// fingerprint a sum of per-file digests.
pub(super) const SCHEMA_VERSION: u32 = 3;

/// Written beside each generation: what it was built from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Corpus fingerprint (files, sizes, hashes, analysis and schema versions).
    pub fingerprint: String,
    /// Number of documents indexed.
    pub documents: usize,
    /// Number of passages indexed.
    pub passages: usize,
    /// Unix time of the build, in seconds.
    pub built_at: u64,
    /// `ANALYSIS_VERSION` the generation was built with.
    #[serde(default)]
    pub analysis_version: u32,
    /// `SCHEMA_VERSION` the generation was built with.
    #[serde(default)]
    pub schema_version: u32,
    /// Bytes of the generation's file log this commit vouches for (a
    /// longer log holds an interrupted write's line, never read).
    #[serde(default)]
    pub files_log: u64,
    /// A record per corpus file, to find what changed without a rebuild
    /// (replayed from the file log, never in the payload).
    #[serde(skip)]
    pub files: BTreeMap<String, FileRecord>,
}

impl Manifest {
    /// A manifest for the current versions.
    pub fn new(
        fingerprint: &str,
        documents: usize,
        passages: usize,
        files: BTreeMap<String, FileRecord>,
    ) -> Self {
        Manifest {
            fingerprint: fingerprint.to_string(),
            documents,
            passages,
            built_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            analysis_version: crate::analysis::ANALYSIS_VERSION,
            schema_version: SCHEMA_VERSION,
            files_log: 0,
            files,
        }
    }

    /// The fingerprint once `changes` apply (no IO): the fingerprint is a
    /// sum of per-file digests, so a write moves it by its own files
    /// without reading every record.
    pub(crate) fn fingerprint_after(&self, changes: &[FileChange]) -> String {
        let mut sum = Digest32::parse(&self.fingerprint);
        let mut now: HashMap<&str, Option<&FileRecord>> = HashMap::new();
        for c in changes {
            let old = now
                .get(c.path.as_str())
                .copied()
                .unwrap_or_else(|| self.files.get(&c.path));
            if let Some(old) = old {
                sum.toggle(&file_digest(&c.path, old));
            }
            if let Some(new) = &c.record {
                sum.toggle(&file_digest(&c.path, new));
            }
            now.insert(&c.path, c.record.as_ref());
        }
        sum.hex()
    }

    /// A copy of the header alone (no records): the payload of a commit.
    pub(crate) fn header(&self) -> Manifest {
        Manifest {
            fingerprint: self.fingerprint.clone(),
            documents: self.documents,
            passages: self.passages,
            built_at: self.built_at,
            analysis_version: self.analysis_version,
            schema_version: self.schema_version,
            files_log: self.files_log,
            files: BTreeMap::new(),
        }
    }

    /// Applies file changes to the records, in order (no IO).
    pub(crate) fn apply_changes(&mut self, changes: Vec<FileChange>) {
        for c in changes {
            files_log::apply(&mut self.files, c);
        }
    }

    /// Takes the header of a later commit (everything but the records).
    pub(crate) fn take_header(&mut self, header: Manifest) {
        let files = std::mem::take(&mut self.files);
        *self = Manifest { files, ..header };
    }

    /// Whether the generation was built with this binary's analysis and schema.
    pub fn is_current_version(&self) -> bool {
        self.analysis_version == crate::analysis::ANALYSIS_VERSION
            && self.schema_version == SCHEMA_VERSION
    }

    /// Whether the generation can be updated in place: built with this
    /// binary's analysis and schema, from a corpus folder (an in-memory
    /// build records no files, so nothing can be checked against it).
    pub(crate) fn updatable(&self) -> bool {
        self.is_current_version() && !self.files.is_empty()
    }
}

/// The corpus fingerprint from file records (no IO): every file's path, size
/// and content hash, plus the analysis and schema versions. It is the XOR of
/// one digest per file, each salted with the versions, so a write updates
/// it by its own file alone ([`Manifest::change_file`]); paths are unique,
/// so no two digests cancel.
pub fn fingerprint(files: &BTreeMap<String, FileRecord>) -> String {
    let mut sum = Digest32::default();
    for (path, r) in files {
        sum.toggle(&file_digest(path, r));
    }
    sum.hex()
}

/// One file's share of the fingerprint.
fn file_digest(path: &str, r: &FileRecord) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "verbatim corpus; analysis v{}; schema v{}\n{path}\t{}\t{}\n",
        crate::analysis::ANALYSIS_VERSION,
        SCHEMA_VERSION,
        r.size,
        r.sha256
    ));
    // The languages OCR read it in, when it did: scans read again in other
    // languages are another corpus. Absent, the digest is as before.
    if let Some(ocr) = &r.ocr {
        hasher.update(format!("ocr {ocr}\n"));
    }
    hasher.finalize().into()
}

/// The XOR of file digests.
#[derive(Default)]
struct Digest32([u8; 32]);

impl Digest32 {
    /// The sum a fingerprint spells; zero for one that is not 64 hex digits
    /// (an in-memory build's, which no write updates).
    fn parse(hex_digits: &str) -> Digest32 {
        let mut sum = Digest32::default();
        if hex::decode_to_slice(hex_digits, &mut sum.0).is_err() {
            sum = Digest32::default();
        }
        sum
    }

    fn toggle(&mut self, digest: &[u8; 32]) {
        for (a, b) in self.0.iter_mut().zip(digest) {
            *a ^= b;
        }
    }

    fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sha: &str) -> FileRecord {
        FileRecord {
            size: 3,
            mtime_ns: 1,
            sha256: sha.into(),
            hashed_at_ns: 2,
            doc_ids: vec!["a".into()],
            ocr: None,
        }
    }

    /// A record without OCR languages digests as records did before the
    /// field existed (an index built then stays fresh); one read in other
    /// languages is another corpus.
    #[test]
    fn ocr_languages_move_the_fingerprint_only_when_recorded() {
        let mut files = BTreeMap::new();
        files.insert("scan.png".to_string(), record("aa"));
        let plain = fingerprint(&files);
        let mut hasher = Sha256::new();
        hasher.update(format!(
            "verbatim corpus; analysis v{}; schema v{}\nscan.png\t3\taa\n",
            crate::analysis::ANALYSIS_VERSION,
            SCHEMA_VERSION
        ));
        let before: [u8; 32] = hasher.finalize().into();
        assert_eq!(plain, hex::encode(before));
        files.get_mut("scan.png").unwrap().ocr = Some("eng".into());
        let eng = fingerprint(&files);
        files.get_mut("scan.png").unwrap().ocr = Some("eng+jpn".into());
        let both = fingerprint(&files);
        assert!(plain != eng && eng != both && plain != both);
    }

    #[test]
    fn a_changed_file_moves_the_fingerprint_as_a_recount_would() {
        let mut files = BTreeMap::new();
        files.insert("a.md".to_string(), record("aa"));
        files.insert("b.md".to_string(), record("bb"));
        let mut m = Manifest::new(&fingerprint(&files), 2, 2, files.clone());
        let change = |path: &str, sha: Option<&str>| FileChange {
            path: path.into(),
            record: sha.map(record),
        };
        let changes = vec![
            change("b.md", Some("cc")),
            change("c.md", Some("dd")),
            change("a.md", None),
            change("c.md", Some("ee")),
        ];
        let after = m.fingerprint_after(&changes);
        files_log::replay(&files_log::encode(&changes), &mut m.files, "t".as_ref()).unwrap();
        assert_eq!(after, fingerprint(&m.files));
        assert_eq!(m.files.keys().collect::<Vec<_>>(), ["b.md", "c.md"]);
        assert_eq!(m.files["c.md"].sha256, "ee");
        // Back to the start: the same fingerprint as the same records.
        m.fingerprint = after;
        let back = files_log::diff(&m.files, &files);
        assert_eq!(m.fingerprint_after(&back), fingerprint(&files));
        assert_ne!(fingerprint(&files), fingerprint(&BTreeMap::new()));
    }
}
