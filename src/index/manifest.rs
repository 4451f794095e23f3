//! The manifest written beside each generation, and the corpus fingerprint
//! that decides whether a generation is fresh. Both belong to the index: the
//! fingerprint is salted with the analysis and schema versions, which only
//! the index knows to depend on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ingest::FileRecord;

/// Bump when the schema changes: it invalidates built indexes.
/// 2: nothing stored, and no `passage_id`, `title`, `section`, `start` or
/// `end` field (nothing read them).
pub(super) const SCHEMA_VERSION: u32 = 2;

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
    /// A record per corpus file, to find what changed without a rebuild.
    #[serde(default)]
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
            files,
        }
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
/// and content hash, plus the analysis and schema versions.
pub fn fingerprint(files: &BTreeMap<String, FileRecord>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "verbatim corpus; analysis v{}; schema v{}\n",
        crate::analysis::ANALYSIS_VERSION,
        SCHEMA_VERSION
    ));
    for (path, r) in files {
        hasher.update(format!("{path}\t{}\t{}\n", r.size, r.sha256));
    }
    hex::encode(hasher.finalize())
}
