//! Vectors of passages and sentences, computed once by the embedding model
//! and kept by content (a SHA-256 of the text), so an unchanged passage or
//! sentence is never embedded again: not on an incremental update, not on a
//! rebuild, not when another engine of the same process holds it.
//!
//! Two places hold them:
//! - in memory, one [`Vectors`] per process and model folder, shared by
//!   every engine and snapshot (entries are only ever added, so a snapshot
//!   taken earlier never loses one it used);
//! - on disk, one append-only [`VectorLog`] per index directory, read at
//!   open and appended to (then fsynced) after every batch, so a crash in
//!   the middle of a long fill resumes where it stopped.
//!
//! The log is a cache, never a source of truth: each record carries a
//! checksum, and a torn or damaged record is dropped and its text embedded
//! again. Vectors are unit length and stored as f16 (768 bytes each).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use half::f16;
use sha2::{Digest, Sha256};

use crate::cancel::Cancel;
use crate::embed::reader::Reader;
use crate::embed::{Embedder, DIM};
use crate::error::{Error, Result};
use crate::model::{CacheStats, Document};

/// A text's content key: the first 16 bytes of its SHA-256.
pub(crate) type Key = [u8; 16];

/// A unit vector, full precision (what scoring uses).
pub(crate) type Vector = [f32; DIM];

/// The content key of `text`.
pub(crate) fn key_of(text: &str) -> Key {
    let digest = Sha256::digest(text.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&digest[..16]);
    k
}

/// Query vectors kept (about 1.6 MB).
const RECENT_QUERIES: usize = 1024;

/// Texts embedded per model call (at most; long texts go fewer to a call,
/// see `Embedder::embed_all`).
const BATCH: usize = 32;

/// Texts embedded between two appends to the log: enough batches to keep
/// every core busy, few enough that a crash loses little (each append is
/// fsynced) and progress shows often.
const APPEND_EVERY: usize = 512;

/// Every text of a document that gets a vector: each passage, then each of
/// its sentences (a one-sentence passage is the same text, so one vector).
pub(crate) fn texts_of(doc: &Document) -> impl Iterator<Item = &str> {
    doc.passages().flat_map(move |p| {
        std::iter::once(&doc.text[p.bytes.clone()])
            .chain(doc.sentences(&p).map(move |s| &doc.text[s.bytes]))
    })
}

/// Dot product of a full-precision vector with a stored one (the cosine,
/// both being unit length).
fn dot(query: &Vector, stored: &[f16]) -> f32 {
    use half::slice::HalfFloatSliceExt;
    // Eight lanes, each converted and summed on its own, so the compiler
    // can use vector instructions (one running sum forces a serial order).
    const LANES: usize = 8;
    let mut sums = [0f32; LANES];
    let mut wide = [0f32; LANES];
    let (q, x) = (query.chunks_exact(LANES), stored.chunks_exact(LANES));
    let tail: f32 = q
        .remainder()
        .iter()
        .zip(x.remainder())
        .map(|(q, x)| q * x.to_f32())
        .sum();
    for (q, x) in q.zip(x) {
        x.convert_to_f32_slice(&mut wide);
        for lane in 0..LANES {
            sums[lane] += q[lane] * wide[lane];
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// Vectors by key, packed.
#[derive(Default)]
struct Memo {
    /// Key to slot (the slot's vector is `data[slot * DIM..][..DIM]`).
    slots: HashMap<Key, u32>,
    /// All vectors, back to back.
    data: Vec<f16>,
}

impl Memo {
    fn insert(&mut self, key: Key, v: &[f16]) {
        if self.slots.contains_key(&key) {
            return;
        }
        let slot = (self.data.len() / DIM) as u32;
        self.data.extend_from_slice(v);
        self.slots.insert(key, slot);
    }

    fn get(&self, key: &Key) -> Option<&[f16]> {
        let slot = *self.slots.get(key)? as usize;
        Some(&self.data[slot * DIM..(slot + 1) * DIM])
    }
}

/// The embedding model and every vector this process knows.
pub(crate) struct Vectors {
    /// Computes the vectors that are missing, and query vectors.
    embedder: Embedder,
    /// The answer reader, loaded on first use (`reader = "on"`).
    reader: OnceLock<Reader>,
    /// Vectors by content key; only ever grows.
    memo: RwLock<Memo>,
    /// Recent query vectors by text: paging through a search, or the same
    /// question from many readers, embeds once. Cleared when full.
    queries: Mutex<HashMap<String, Vector>>,
    /// Query vectors found among the recent ones (`recent_query`), since
    /// start (`/metrics`: whether the cache pays).
    query_hits: AtomicU64,
    /// Query vectors `embed_query` had the model compute, since start.
    query_misses: AtomicU64,
    /// Texts a running fill has still to embed (0 when every text of every
    /// open corpus has its vector): for `/metrics`, status and the choice
    /// between hybrid and lexical.
    pending: AtomicUsize,
}

impl Vectors {
    /// The process's vectors for the model in `model_dir`, loading the
    /// model on first use (it is checked against its pinned hashes).
    pub(crate) fn shared(model_dir: &Path) -> Result<Arc<Vectors>> {
        static ALL: OnceLock<Mutex<HashMap<PathBuf, Arc<Vectors>>>> = OnceLock::new();
        let mut all = ALL
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(v) = all.get(model_dir) {
            return Ok(v.clone());
        }
        let v = Arc::new(Vectors {
            embedder: Embedder::load(model_dir)?,
            reader: OnceLock::new(),
            memo: RwLock::default(),
            queries: Mutex::default(),
            query_hits: AtomicU64::new(0),
            query_misses: AtomicU64::new(0),
            pending: AtomicUsize::new(0),
        });
        all.insert(model_dir.to_path_buf(), v.clone());
        Ok(v)
    }

    /// The answer reader, loaded (and checked against its pinned hashes)
    /// on first use.
    pub(crate) fn reader(&self) -> Result<&Reader> {
        if let Some(r) = self.reader.get() {
            return Ok(r);
        }
        let r = Reader::load_default()?;
        Ok(self.reader.get_or_init(|| r))
    }

    /// The vector of a query the model read recently, without running it.
    pub(crate) fn recent_query(&self, text: &str) -> Option<Vector> {
        let v = self
            .queries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(text)
            .copied();
        if v.is_some() {
            self.query_hits.fetch_add(1, Ordering::Relaxed);
        }
        v
    }

    /// The vector of a query or question (kept among the recent ones,
    /// never persisted).
    pub(crate) fn embed_query(&self, text: &str) -> Result<Vector> {
        if let Some(v) = self.recent_query(text) {
            return Ok(v);
        }
        self.query_misses.fetch_add(1, Ordering::Relaxed);
        let v = self
            .embedder
            .embed(&[text])?
            .pop()
            .ok_or_else(|| Error::Embedding("the model returned no vector".into()))?;
        let mut q = self.queries.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= RECENT_QUERIES {
            q.clear();
        }
        q.insert(text.to_string(), v);
        Ok(v)
    }

    /// The recent query vectors held, and how many look-ups found theirs
    /// there and how many ran the model, since start.
    pub(crate) fn query_cache(&self) -> CacheStats {
        CacheStats {
            held: self.queries.lock().unwrap_or_else(|e| e.into_inner()).len(),
            hits: self.query_hits.load(Ordering::Relaxed),
            misses: self.query_misses.load(Ordering::Relaxed),
        }
    }

    /// Vectors of many texts, computed now in length-sorted batches, never
    /// stored (for benchmarks that ask many questions).
    pub(crate) fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vector>> {
        self.embedder.embed_all(texts, BATCH)
    }

    /// Cosine of a unit query vector with the stored vector of `text`, or
    /// `None` when `text` has none yet.
    pub(crate) fn cosine(&self, query: &Vector, text: &str) -> Option<f32> {
        let memo = self.memo.read().unwrap_or_else(|e| e.into_inner());
        Some(dot(query, memo.get(&key_of(text))?))
    }

    /// Cosines of a unit query vector with the stored vectors of `keys`
    /// (`None` where a key has none), under one lock.
    pub(crate) fn cosines<'k>(
        &self,
        query: &Vector,
        keys: impl Iterator<Item = &'k Key>,
    ) -> Vec<Option<f32>> {
        let memo = self.memo.read().unwrap_or_else(|e| e.into_inner());
        keys.map(|k| Some(dot(query, memo.get(k)?))).collect()
    }

    /// The stored vector of `text`, if it has one.
    pub(crate) fn get(&self, text: &str) -> Option<Vector> {
        let memo = self.memo.read().unwrap_or_else(|e| e.into_inner());
        let v = memo.get(&key_of(text))?;
        Some(std::array::from_fn(|i| v[i].to_f32()))
    }

    /// Texts still waiting for a vector in a running fill.
    pub(crate) fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// Vectors held in memory.
    pub(crate) fn len(&self) -> usize {
        self.memo
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .slots
            .len()
    }

    /// Reads `log`'s records into memory; returns how many it held.
    pub(crate) fn load(&self, log: &VectorLog) -> Result<usize> {
        let records = log.read()?;
        let mut memo = self.memo.write().unwrap_or_else(|e| e.into_inner());
        for (key, v) in &records {
            memo.insert(*key, v);
        }
        Ok(records.len())
    }

    /// Gives `log` a vector for every text of `texts` it lacks: copied
    /// when this process already has it, else embedded, batch by batch,
    /// each batch appended before the next. `pending` counts down as it
    /// goes; progress is logged about every ten seconds. Returns the number
    /// of texts embedded; stops with [`Error::Cancelled`] between model
    /// calls once `cancel` is up (what was appended stays: vectors are kept
    /// by content).
    pub(crate) fn fill(&self, log: &VectorLog, texts: &[&str], cancel: &Cancel) -> Result<usize> {
        let lacking = log.lacking(texts.iter().copied());
        let (known, todo): (Vec<(Key, Vec<f16>)>, Vec<&str>) = {
            let memo = self.memo.read().unwrap_or_else(|e| e.into_inner());
            let mut known = Vec::new();
            let mut todo = Vec::new();
            for t in lacking {
                let k = key_of(t);
                match memo.get(&k) {
                    Some(v) => known.push((k, v.to_vec())),
                    None => todo.push(t),
                }
            }
            (known, todo)
        };
        for chunk in known.chunks(1024) {
            log.append(chunk)?;
        }
        if todo.is_empty() {
            return Ok(0);
        }
        self.pending.fetch_add(todo.len(), Ordering::Relaxed);
        metrics::gauge!("verbatim_vectors_pending").set(self.pending() as f64);
        let mut done = 0;
        let result = self.fill_batches(log, &todo, &mut done, cancel);
        if result.is_err() {
            // What was not embedded is no longer pending: it is missing,
            // and the next fill picks it up.
            self.pending.fetch_sub(todo.len() - done, Ordering::Relaxed);
        }
        metrics::gauge!("verbatim_vectors_pending").set(self.pending() as f64);
        result.map(|()| done)
    }

    fn fill_batches(
        &self,
        log: &VectorLog,
        todo: &[&str],
        done: &mut usize,
        cancel: &Cancel,
    ) -> Result<()> {
        // Similar lengths in one batch waste little padding.
        let mut order: Vec<&str> = todo.to_vec();
        order.sort_by_key(|t| t.len());
        let started = Instant::now();
        let mut last_report = Instant::now();
        for batch in order.chunks(APPEND_EVERY) {
            // One model call at a time, so a cancelled write stops within
            // one call, not one append.
            let mut vectors = Vec::with_capacity(batch.len());
            for call in batch.chunks(BATCH) {
                cancel.check()?;
                vectors.extend(self.embedder.embed_all(call, BATCH)?);
            }
            let packed: Vec<(Key, Vec<f16>)> = batch
                .iter()
                .zip(&vectors)
                .map(|(t, v)| (key_of(t), v.iter().map(|x| f16::from_f32(*x)).collect()))
                .collect();
            log.append(&packed)?;
            {
                let mut memo = self.memo.write().unwrap_or_else(|e| e.into_inner());
                for (k, v) in &packed {
                    memo.insert(*k, v);
                }
            }
            *done += batch.len();
            self.pending.fetch_sub(batch.len(), Ordering::Relaxed);
            metrics::counter!("verbatim_vectors_embedded_total").increment(batch.len() as u64);
            metrics::gauge!("verbatim_vectors_pending").set(self.pending() as f64);
            if last_report.elapsed().as_secs() >= 10 {
                last_report = Instant::now();
                tracing::info!(
                    done = *done,
                    total = todo.len(),
                    elapsed_s = started.elapsed().as_secs(),
                    "embedding passages and sentences"
                );
            }
        }
        Ok(())
    }
}

/// The vectors of one index directory: the process's [`Vectors`] and the
/// directory's log, opened together so every fill is persisted.
pub(crate) struct Semantic {
    /// The model and the in-memory vectors (shared process-wide).
    vectors: Arc<Vectors>,
    /// Where this index directory's vectors persist.
    log: VectorLog,
}

impl Semantic {
    /// Loads the model from `model_dir` and the vectors already in
    /// `index_dir`'s log.
    pub(crate) fn open(model_dir: &Path, index_dir: &Path) -> Result<Semantic> {
        let vectors = Vectors::shared(model_dir)?;
        let log = VectorLog::new(index_dir);
        let n = vectors.load(&log)?;
        tracing::debug!(records = n, "vector log loaded");
        Ok(Semantic { vectors, log })
    }

    /// The vectors (for scoring).
    pub(crate) fn vectors(&self) -> &Vectors {
        &self.vectors
    }

    /// How many texts of `docs` this index's log lacks.
    pub(crate) fn missing<'d>(&self, docs: impl Iterator<Item = &'d Document>) -> usize {
        self.log.lacking(docs.flat_map(texts_of)).len()
    }

    /// Embeds (and persists) every text of `docs` that has no vector.
    pub(crate) fn fill<'d>(&self, docs: impl Iterator<Item = &'d Document>) -> Result<usize> {
        self.fill_until(docs, &Cancel::never())
    }

    /// [`Semantic::fill`], stopping with [`Error::Cancelled`] between model
    /// calls once `cancel` is up (a write whose request gave up).
    pub(crate) fn fill_until<'d>(
        &self,
        docs: impl Iterator<Item = &'d Document>,
        cancel: &Cancel,
    ) -> Result<usize> {
        let texts: Vec<&str> = docs.flat_map(texts_of).collect();
        self.vectors.fill(&self.log, &texts, cancel)
    }
}

/// Bytes of one log record: key, vector, checksum.
const RECORD: usize = 16 + DIM * 2 + 4;

/// First bytes of a log, naming the format and the model (a log written by
/// another model is ignored, never mixed in).
const MAGIC: &[u8; 16] = b"verbatim-vec-v1\n";

/// The model the vectors come from (its weights' pinned hash, shortened).
const MODEL_TAG: &str = "minilm-l6-v2-0a1a8cce";

/// The append-only file of one index directory's vectors.
pub(crate) struct VectorLog {
    /// `vectors-<model>.bin` in the index directory.
    path: PathBuf,
    /// Appends are serialized (a background fill and a live write may both
    /// append); `None` until the first append opens the file.
    file: Mutex<Option<File>>,
    /// Keys the log holds (read at load, added to on append): a text this
    /// process already has a vector for still goes into this index's log,
    /// so the next process finds it there.
    keys: Mutex<std::collections::HashSet<Key>>,
}

fn checksum(key: &Key, v: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(key);
    h.update(v);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl VectorLog {
    /// The log of `index_dir` (nothing is read or created yet).
    pub(crate) fn new(index_dir: &Path) -> VectorLog {
        VectorLog {
            path: index_dir.join(format!("vectors-{MODEL_TAG}.bin")),
            file: Mutex::new(None),
            keys: Mutex::default(),
        }
    }

    /// Every intact record. A record that fails its checksum, or a torn
    /// tail, is skipped (its text will be embedded again); a log of another
    /// format is ignored.
    fn read(&self) -> Result<Vec<(Key, Vec<f16>)>> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        let Some(body) = bytes.strip_prefix(MAGIC.as_slice()) else {
            tracing::warn!(path = %self.path.display(), "vector log of another format ignored");
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(body.len() / RECORD);
        let mut damaged = 0usize;
        for rec in body.chunks(RECORD) {
            if rec.len() < RECORD {
                damaged += 1;
                continue;
            }
            let (key, rest) = rec.split_at(16);
            let (v, sum) = rest.split_at(DIM * 2);
            let key: Key = key.try_into().expect("16 bytes");
            if checksum(&key, v) != sum {
                damaged += 1;
                continue;
            }
            let v = v
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]))
                .collect();
            out.push((key, v));
        }
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(out.iter().map(|(k, _)| *k));
        if damaged > 0 {
            tracing::warn!(
                path = %self.path.display(),
                damaged,
                "vector log records dropped; their texts will be embedded again"
            );
        }
        Ok(out)
    }

    /// Appends records and fsyncs, holding an exclusive lock on the file
    /// (processes sharing an index directory append in turn). A torn tail
    /// from an earlier crash is cut off first, so records stay aligned.
    fn append(&self, records: &[(Key, Vec<f16>)]) -> Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            if let Some(dir) = self.path.parent() {
                fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            let f = OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&self.path)
                .map_err(|e| Error::io(&self.path, e))?;
            *guard = Some(f);
        }
        let f = guard.as_mut().expect("opened above");
        let mut buf = Vec::with_capacity(records.len() * RECORD);
        for (key, v) in records {
            let start = buf.len();
            buf.extend_from_slice(key);
            for x in v {
                buf.extend_from_slice(&x.to_le_bytes());
            }
            let sum = checksum(key, &buf[start + 16..]);
            buf.extend_from_slice(&sum);
        }
        f.lock().map_err(|e| Error::io(&self.path, e))?;
        let result = append_locked(f, &buf).map_err(|e| Error::io(&self.path, e));
        let _ = f.unlock();
        if result.is_ok() {
            self.keys
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(records.iter().map(|(k, _)| *k));
        }
        result
    }

    /// The distinct texts among `texts` this log lacks.
    fn lacking<'t>(&self, texts: impl Iterator<Item = &'t str>) -> Vec<&'t str> {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let mut seen = std::collections::HashSet::new();
        texts
            .filter(|t| {
                let k = key_of(t);
                !keys.contains(&k) && seen.insert(k)
            })
            .collect()
    }
}

/// Appends `buf` to a log whose lock the caller holds: writes the header
/// when the file is empty, torn in it or of another format; cuts a torn
/// record off the end; then writes and syncs.
fn append_locked(f: &mut File, buf: &[u8]) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let len = f.metadata()?.len();
    let mut head = [0u8; 16];
    let valid_head = len >= 16 && {
        f.seek(SeekFrom::Start(0))?;
        f.read_exact(&mut head).is_ok() && &head == MAGIC
    };
    if !valid_head {
        f.set_len(0)?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(MAGIC)?;
    } else {
        let whole = 16 + (len - 16) / RECORD as u64 * RECORD as u64;
        if whole != len {
            f.set_len(whole)?;
        }
    }
    f.seek(SeekFrom::End(0))?;
    f.write_all(buf)?;
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The laned dot product is the plain one, up to float rounding.
        #[test]
        fn dot_is_the_plain_sum(
            q in proptest::collection::vec(-1f32..1.0, DIM),
            x in proptest::collection::vec(-1f32..1.0, DIM),
        ) {
            let mut query = [0f32; DIM];
            query.copy_from_slice(&q);
            let stored: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
            let plain: f32 = query.iter().zip(&stored).map(|(q, x)| q * x.to_f32()).sum();
            proptest::prop_assert!((dot(&query, &stored) - plain).abs() < 1e-4);
        }
    }

    fn records(n: usize) -> Vec<(Key, Vec<f16>)> {
        (0..n)
            .map(|i| {
                let v = (0..DIM)
                    .map(|d| f16::from_f32((i * d) as f32 / 1e3))
                    .collect();
                (key_of(&format!("text {i}")), v)
            })
            .collect()
    }

    #[test]
    fn the_log_reads_back_what_was_appended() {
        let dir = tempfile::tempdir().unwrap();
        let log = VectorLog::new(dir.path());
        log.append(&records(3)).unwrap();
        log.append(&records(5)[3..]).unwrap();
        assert_eq!(log.read().unwrap(), records(5));
        // A fresh handle (a restarted process) appends after them.
        let again = VectorLog::new(dir.path());
        again.append(&records(6)[5..]).unwrap();
        assert_eq!(again.read().unwrap(), records(6));
    }

    #[test]
    fn a_torn_tail_and_a_damaged_record_are_dropped_and_appending_realigns() {
        let dir = tempfile::tempdir().unwrap();
        let log = VectorLog::new(dir.path());
        log.append(&records(3)).unwrap();
        let mut bytes = fs::read(&log.path).unwrap();
        // Damage record 1 and tear half a record onto the end.
        bytes[16 + RECORD + 20] ^= 0xff;
        bytes.extend_from_slice(&[7u8; RECORD / 2]);
        fs::write(&log.path, &bytes).unwrap();
        let read = log.read().unwrap();
        let want = records(3);
        assert_eq!(read, vec![want[0].clone(), want[2].clone()]);
        let again = VectorLog::new(dir.path());
        again.append(&records(4)[3..]).unwrap();
        assert_eq!(again.read().unwrap().len(), 3);
    }

    #[test]
    fn a_log_of_another_format_is_ignored_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let log = VectorLog::new(dir.path());
        fs::write(&log.path, b"something else entirely, not vectors").unwrap();
        assert!(log.read().unwrap().is_empty());
        log.append(&records(1)).unwrap();
        assert_eq!(log.read().unwrap(), records(1));
    }
}
