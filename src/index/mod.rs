//! The on-disk index: atomic builds into generations, the manifest with the
//! corpus fingerprint, and opening the current generation.
//!
//! Layout of the index directory:
//! - `CURRENT`: the name of the live generation, replaced atomically;
//! - `gen-<n>/`: a complete Tantivy index plus `verbatim.json` (the manifest);
//! - `.build-<pid>-<n>/`: a build in progress, renamed to `gen-<n>` when done.
//!
//! A build never touches the live generation, so an interrupted build leaves
//! the previous index intact, and a running server keeps reading its own
//! generation until it reopens. The previous generation is kept on disk so a
//! process that still has it open is never left with missing files.

pub mod schema;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};

use crate::error::{Error, Result};
use crate::ingest::FileRecord;
use crate::model::{passage_id, Document};
pub use schema::Fields;

/// Bump when the schema changes: it invalidates built indexes.
pub const SCHEMA_VERSION: u32 = 1;

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
            built_at: (now_nanos() / 1_000_000_000) as u64,
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
}

/// An opened generation: one reader per process, searchers per request.
pub struct OpenIndex {
    /// The Tantivy index.
    pub index: Index,
    /// The process-wide reader.
    pub reader: IndexReader,
    /// Field handles.
    pub fields: Fields,
    /// What the generation was built from.
    pub manifest: Manifest,
    /// Directory of the generation (for size reporting).
    pub dir: PathBuf,
}

const CURRENT: &str = "CURRENT";
const MANIFEST: &str = "verbatim.json";

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Writes `bytes` to `path` durably: temp file, fsync, rename, fsync dir.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let mut f = fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
    f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Takes the index directory's build lock (blocking until other builders
/// finish). Builds are serialized across processes; readers never lock.
/// The lock is released when the returned file is dropped.
pub fn lock(index_dir: &Path) -> Result<fs::File> {
    fs::create_dir_all(index_dir).map_err(|e| Error::io(index_dir, e))?;
    let path = index_dir.join(".lock");
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    f.lock().map_err(|e| Error::io(&path, e))?;
    Ok(f)
}

/// The live generation's directory, if there is one.
pub fn current_generation(index_dir: &Path) -> Option<PathBuf> {
    let name = fs::read_to_string(index_dir.join(CURRENT)).ok()?;
    let name = name.trim();
    let valid = name.starts_with("gen-") && !name.contains(['/', '\\']);
    valid.then(|| index_dir.join(name))
}

/// Reads the live generation's manifest without opening Tantivy.
pub fn current_manifest(index_dir: &Path) -> Option<Manifest> {
    let dir = current_generation(index_dir)?;
    serde_json::from_slice(&fs::read(dir.join(MANIFEST)).ok()?).ok()
}

/// Opens the live generation.
pub fn open(index_dir: &Path) -> Result<OpenIndex> {
    let dir = current_generation(index_dir)
        .ok_or_else(|| Error::IndexUnusable(format!("no index in {}", index_dir.display())))?;
    let manifest: Manifest = fs::read(dir.join(MANIFEST))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            Error::IndexUnusable(format!("{} has no readable manifest", dir.display()))
        })?;
    let index = Index::open_in_dir(&dir)?;
    schema::register_analyzers(&index);
    let fields = schema::fields_of(&index.schema())?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok(OpenIndex {
        index,
        reader,
        fields,
        manifest,
        dir,
    })
}

/// Progress callback of a build: called after each document with the count
/// so far; returning an error aborts the build (used for cancellation and to
/// test interrupted builds).
pub type Progress<'a> = &'a mut dyn FnMut(usize) -> Result<()>;

/// Adds one document's passages to a writer.
pub fn add_document(
    writer: &tantivy::IndexWriter,
    fields: &Fields,
    d: &Document,
) -> tantivy::Result<()> {
    for p in &d.passages {
        let mut td = TantivyDocument::default();
        td.add_text(fields.passage_id, passage_id(&d.meta.id, p.number));
        td.add_text(fields.doc_id, &d.meta.id);
        td.add_text(fields.kind, &d.meta.kind);
        let text = d.passage_text(p);
        td.add_text(fields.body, text);
        td.add_text(fields.exact, text);
        td.add_text(fields.title, &d.meta.title);
        if let Some(s) = &p.section {
            td.add_text(fields.section, s);
        }
        td.add_u64(fields.paragraph, p.number as u64);
        td.add_u64(fields.start, p.span.start as u64);
        td.add_u64(fields.end, p.span.end as u64);
        writer.add_document(td)?;
    }
    Ok(())
}

/// Builds a new generation from `docs` and makes it live atomically.
/// Callers hold [`lock`] so concurrent builders cannot remove each other's
/// generations.
pub fn build(
    index_dir: &Path,
    docs: &[Document],
    files: &BTreeMap<String, FileRecord>,
    fingerprint: &str,
    progress: Progress,
) -> Result<Manifest> {
    fs::create_dir_all(index_dir).map_err(|e| Error::io(index_dir, e))?;
    remove_abandoned_builds(index_dir);
    let stamp = now_nanos();
    let tmp = index_dir.join(format!(".build-{}-{stamp}", std::process::id()));
    fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let result = build_into(&tmp, docs, files, fingerprint, progress);
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let gen_name = format!("gen-{stamp}");
    let gen_dir = index_dir.join(&gen_name);
    fs::rename(&tmp, &gen_dir).map_err(|e| Error::io(&gen_dir, e))?;
    sync_dir(index_dir)?;
    let previous = current_generation(index_dir);
    write_atomic(&index_dir.join(CURRENT), gen_name.as_bytes())?;
    remove_old_generations(index_dir, &gen_dir, previous.as_deref());
    Ok(manifest)
}

fn build_into(
    dir: &Path,
    docs: &[Document],
    files: &BTreeMap<String, FileRecord>,
    fingerprint: &str,
    progress: Progress,
) -> Result<Manifest> {
    let (schema, fields) = schema::schema();
    let index = Index::create_in_dir(dir, schema)?;
    schema::register_analyzers(&index);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let mut writer: tantivy::IndexWriter =
        index.writer_with_num_threads(threads, 64_000_000 * threads)?;
    let mut passages = 0;
    for (i, d) in docs.iter().enumerate() {
        add_document(&writer, &fields, d)?;
        passages += d.passages.len();
        progress(i + 1)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let manifest = Manifest::new(fingerprint, docs.len(), passages, files.clone());
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    write_atomic(&dir.join(MANIFEST), &json)?;
    Ok(manifest)
}

/// Applies a change to the live generation in place: removes the
/// documents `remove`, adds `add` (replacing any with the same id), commits
/// (atomically, as every Tantivy commit is), then records `manifest`.
/// Callers hold [`lock`].
pub fn update(
    index_dir: &Path,
    remove: &[String],
    add: &[&Document],
    manifest: &Manifest,
) -> Result<()> {
    let dir = current_generation(index_dir)
        .ok_or_else(|| Error::IndexUnusable("no index to update".into()))?;
    let index = Index::open_in_dir(&dir)?;
    schema::register_analyzers(&index);
    let fields = schema::fields_of(&index.schema())?;
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 50_000_000)?;
    for id in remove.iter().chain(add.iter().map(|d| &d.meta.id)) {
        writer.delete_term(tantivy::Term::from_field_text(fields.doc_id, id));
    }
    for d in add {
        add_document(&writer, &fields, d)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let json = serde_json::to_vec_pretty(manifest).expect("manifest serializes");
    write_atomic(&dir.join(MANIFEST), &json)
}

/// Removes `.build-*` directories whose process is gone.
pub fn remove_abandoned_builds(index_dir: &Path) {
    let Ok(entries) = fs::read_dir(index_dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".build-") else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        let alive = pid != std::process::id().to_string() && Path::new("/proc").join(pid).exists();
        if !alive {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Keeps the new and the previous generation; removes older ones.
fn remove_old_generations(index_dir: &Path, keep: &Path, previous: Option<&Path>) {
    let Ok(entries) = fs::read_dir(index_dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let is_gen = e.file_name().to_string_lossy().starts_with("gen-");
        if is_gen && p != keep && Some(p.as_path()) != previous {
            let _ = fs::remove_dir_all(&p);
        }
    }
}

/// Total size in bytes of the files in a directory (not recursive).
pub fn dir_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|es| {
            es.flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
