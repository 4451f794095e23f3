//! Crash points on the write path, for tests that need a crash at one
//! exact step rather than wherever a random kill lands.
//!
//! Only a build with the `failpoints` cargo feature (the test command's)
//! looks at `VERBATIM_FAILPOINT`: `NAME` aborts the process the first time
//! it passes that point, `NAME@N` the N-th time (so earlier writes can be
//! acknowledged first), as a power cut or a SIGKILL would stop it: no
//! destructors, no buffered output. In every other build [`hit`] is empty.

/// A step of a write, named after what is already done when it is hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// The new document's vectors are appended to the vector log.
    VectorsStored,
    /// The file's bytes are written under its hidden temporary name.
    FileWritten,
    /// That file is fsynced.
    FileSynced,
    /// The file records are appended to the generation's file log and
    /// fsynced, past the length the last commit vouches for.
    FilesLogged,
    /// The index change is prepared (segments on disk), not yet committed.
    IndexPrepared,
    /// The index change is committed, with the manifest in the commit.
    Committed,
    /// The file is renamed to its real name.
    Renamed,
    /// Its directory is fsynced: the write is about to be acknowledged.
    DirSynced,
    /// A removal's index change is committed.
    RemoveCommitted,
    /// The removed document's file is unlinked.
    Unlinked,
}

impl FailPoint {
    /// Every point, in the order a write passes them.
    pub const ALL: [FailPoint; 10] = [
        FailPoint::VectorsStored,
        FailPoint::FileWritten,
        FailPoint::FileSynced,
        FailPoint::FilesLogged,
        FailPoint::IndexPrepared,
        FailPoint::Committed,
        FailPoint::Renamed,
        FailPoint::DirSynced,
        FailPoint::RemoveCommitted,
        FailPoint::Unlinked,
    ];

    /// The value of `VERBATIM_FAILPOINT` that crashes here.
    pub fn name(self) -> &'static str {
        match self {
            FailPoint::VectorsStored => "vectors-stored",
            FailPoint::FileWritten => "file-written",
            FailPoint::FileSynced => "file-synced",
            FailPoint::FilesLogged => "files-logged",
            FailPoint::IndexPrepared => "index-prepared",
            FailPoint::Committed => "committed",
            FailPoint::Renamed => "renamed",
            FailPoint::DirSynced => "dir-synced",
            FailPoint::RemoveCommitted => "remove-committed",
            FailPoint::Unlinked => "unlinked",
        }
    }

    /// Whether this point is on the removal path (else on the write path).
    pub fn is_removal(self) -> bool {
        matches!(self, FailPoint::RemoveCommitted | FailPoint::Unlinked)
    }
}

/// Passes of the armed point so far.
#[cfg(feature = "failpoints")]
static PASSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Passes `point`: aborts the process when the `failpoints` build was
/// told to crash here.
#[inline]
pub(crate) fn hit(point: FailPoint) {
    #[cfg(feature = "failpoints")]
    {
        let Ok(spec) = std::env::var("VERBATIM_FAILPOINT") else {
            return;
        };
        let (name, nth) = match spec.split_once('@') {
            Some((name, n)) => (name, n.parse().unwrap_or(1)),
            None => (spec.as_str(), 1),
        };
        let passes = || PASSES.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if name == point.name() && passes() == nth {
            std::process::abort();
        }
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = point;
}
