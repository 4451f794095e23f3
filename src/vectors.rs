//! Vectors of passages and sentences, computed once by the embedding model
//! and kept by content (a SHA-256 of the text), so an unchanged passage or
//! sentence is never embedded again: not on an incremental update, not on a
//! rebuild, not when another engine of the same process holds it.
//!
//! Two places hold them:
//! - in memory, one [`Vectors`] per process and model folder, shared by
//!   every engine and snapshot (entries are only ever added, so a snapshot
//!   taken earlier never loses one it used);
//! - on disk, one append-only [`VectorLog`] per index directory, appended
//!   to (then fsynced) after every batch, so a crash in the middle of a
//!   long fill resumes where it stopped.
//!
//! The process reads the vectors its logs held at open in place, from the
//! mapped file (page cache, not heap: the heap holds a key and a place per
//! vector); vectors embedded since are in its own blocks.
//!
//! The log is a cache, never a source of truth: each record carries a
//! checksum, and a torn or damaged record is dropped and its text embedded
//! again. Vectors are unit length and stored as f16 (768 bytes each).
//!
//! An engine opening a corpus loads only the vectors of the corpus's texts
//! ([`Semantic::open_for`]); when the others (texts removed or changed
//! since, repeated records) are at least [`COMPACT_SHARE`] of the log, the
//! log is rewritten without them, so it no longer grows with every edit.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use half::f16;
use memmap2::{Mmap, UncheckedAdvice};
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

/// Vectors per block of the memo's own storage (3 MiB): it grows a block at
/// a time and never moves what it holds, where one doubling vector would
/// hold two copies of every vector while it grows.
const BLOCK: usize = 4096;

/// Records verified between two releases of the mapping's pages at load
/// (about 12 MiB), so a load's resident memory never holds the whole log.
const VERIFY_WINDOW: usize = 16 * 1024;

// Vectors are read in place from the mapped log, whose f16 values are
// little-endian.
const _: () = assert!(
    cfg!(target_endian = "little"),
    "the vector log is little-endian"
);

/// Where a memo slot's vector is.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// The n-th vector of the memo's own blocks (embedded by this process,
    /// or copied from a mapping it let go).
    Block(u32),
    /// Record `record` of mapping `map` (a vector log as it was at load).
    Mapped { map: u32, record: u32 },
}

/// Every vector this process knows, by key: most in place in the mapped
/// vector logs (page cache, not heap), the rest in the memo's blocks.
#[derive(Default)]
struct Memo {
    /// Key to slot: a dense number per key, by which a log notes what it
    /// holds ([`Slots`]).
    slots: HashMap<Key, u32>,
    /// Where each slot's vector is.
    places: Vec<Place>,
    /// The memo's own vectors, back to back, [`BLOCK`] to a block; only the
    /// last block has room.
    blocks: Vec<Vec<f16>>,
    /// Vectors in `blocks`.
    in_blocks: usize,
    /// Mapped vector logs, by [`Place::Mapped`]'s `map`; `None` once no
    /// slot reads it (a compaction replaced it).
    maps: Vec<Option<Mmap>>,
}

impl Memo {
    /// Adds `key`'s vector to the blocks unless it is held; returns its slot.
    fn insert(&mut self, key: Key, v: &[f16]) -> u32 {
        if let Some(&slot) = self.slots.get(&key) {
            return slot;
        }
        let place = self.push_block(v);
        self.add(key, place)
    }

    fn push_block(&mut self, v: &[f16]) -> Place {
        let n = self.in_blocks;
        if n.is_multiple_of(BLOCK) {
            self.blocks.push(Vec::with_capacity(BLOCK * DIM));
        }
        self.blocks
            .last_mut()
            .expect("pushed above")
            .extend_from_slice(v);
        self.in_blocks += 1;
        Place::Block(n as u32)
    }

    /// A new slot for `key` (not held) at `place`.
    fn add(&mut self, key: Key, place: Place) -> u32 {
        let slot = self.places.len() as u32;
        self.places.push(place);
        self.slots.insert(key, slot);
        slot
    }

    fn get(&self, key: &Key) -> Option<&[f16]> {
        Some(self.at(*self.slots.get(key)?))
    }

    fn at(&self, slot: u32) -> &[f16] {
        match self.places[slot as usize] {
            Place::Block(n) => {
                let (block, i) = (n as usize / BLOCK, n as usize % BLOCK);
                &self.blocks[block][i * DIM..(i + 1) * DIM]
            }
            Place::Mapped { map, record } => {
                let map = self.maps[map as usize]
                    .as_ref()
                    .expect("a mapping some slot reads is kept");
                bytemuck::cast_slice(vector_bytes(map, record as usize))
            }
        }
    }

    /// Maps `log` and takes its intact records in place, verifying each
    /// (the pages read are released as it goes, so the log is never
    /// resident whole); with `keep`, only the records of its keys. Sets
    /// which slots the log holds.
    fn load(&mut self, log: &VectorLog, keep: Option<&HashSet<Key>>) -> Result<Loaded> {
        let Some((map, torn)) = log.map()? else {
            *log.held.lock().unwrap_or_else(|e| e.into_inner()) = Slots::default();
            return Ok(Loaded {
                intact: 0,
                unused: 0,
            });
        };
        let map_id = self.maps.len() as u32;
        let records = records_in_len(map.len());
        self.slots
            .reserve(keep.map_or(records, |k| k.len().min(records)));
        let mut held = Slots::default();
        let (mut intact, mut unused, mut mapped, mut damaged) = (0, 0, 0, torn);
        for window in (0..records).step_by(VERIFY_WINDOW) {
            let end = (window + VERIFY_WINDOW).min(records);
            for record in window..end {
                let Some(key) = intact_key(&map, record) else {
                    damaged += 1;
                    continue;
                };
                intact += 1;
                if keep.is_some_and(|k| !k.contains(&key)) {
                    unused += 1;
                    continue;
                }
                let slot = match self.slots.get(&key) {
                    Some(&slot) => slot,
                    None => {
                        mapped += 1;
                        self.add(
                            key,
                            Place::Mapped {
                                map: map_id,
                                record: record as u32,
                            },
                        )
                    }
                };
                if !held.insert(slot) {
                    unused += 1; // a repeated record
                }
            }
            release(
                &map,
                record_offset(window),
                record_offset(end) - record_offset(window),
            );
        }
        if mapped > 0 {
            self.maps.push(Some(map));
        }
        if damaged > 0 {
            tracing::warn!(
                path = %log.path.display(),
                damaged,
                "vector log records dropped; their texts will be embedded again"
            );
        }
        *log.held.lock().unwrap_or_else(|e| e.into_inner()) = held;
        Ok(Loaded {
            intact,
            unused: unused + damaged,
        })
    }

    /// Rewrites `log` with the records of `keys` it holds and no other, in
    /// slot order (the order they were loaded and appended in), then reads
    /// them from the new file: the old one's space is freed once nothing
    /// reads it (a slot still reading it, from an earlier load of the same
    /// log, is copied to the blocks first). Returns how many it kept.
    fn compact(&mut self, log: &VectorLog, keys: &HashSet<Key>) -> Result<usize> {
        let mut keep: Vec<(u32, Key)> = {
            let held = log.held.lock().unwrap_or_else(|e| e.into_inner());
            keys.iter()
                .filter_map(|k| {
                    let slot = *self.slots.get(k)?;
                    held.contains(slot).then_some((slot, *k))
                })
                .collect()
        };
        keep.sort_unstable_by_key(|&(slot, _)| slot);
        let written = log.rewrite(keep.iter().map(|&(slot, k)| (k, self.at(slot))))?;
        let mut held = Slots::default();
        for &(slot, _) in &keep {
            held.insert(slot);
        }
        *log.held.lock().unwrap_or_else(|e| e.into_inner()) = held;
        // Read the kept vectors from the new file, and let go of the
        // mappings they were read from when nothing else reads them.
        let map_id = self.maps.len() as u32;
        let old: HashSet<u32> = keep
            .iter()
            .filter_map(|&(slot, _)| match self.places[slot as usize] {
                Place::Mapped { map, .. } => Some(map),
                Place::Block(_) => None,
            })
            .collect();
        for (record, &(slot, _)) in keep.iter().enumerate() {
            self.places[slot as usize] = Place::Mapped {
                map: map_id,
                record: record as u32,
            };
        }
        self.maps.push(Some(written));
        for slot in 0..self.places.len() {
            if let Place::Mapped { map, .. } = self.places[slot] {
                if old.contains(&map) {
                    let v = self.at(slot as u32).to_vec();
                    self.places[slot] = self.push_block(&v);
                }
            }
        }
        for m in old {
            self.maps[m as usize] = None;
        }
        Ok(keep.len())
    }
}

/// Byte offset of record `record` in a log.
fn record_offset(record: usize) -> usize {
    MAGIC.len() + record * RECORD
}

/// Whole records in a log of `len` bytes.
fn records_in_len(len: usize) -> usize {
    len.saturating_sub(MAGIC.len()) / RECORD
}

/// The key of record `record` when its checksum holds.
fn intact_key(map: &[u8], record: usize) -> Option<Key> {
    let rec = &map[record_offset(record)..record_offset(record + 1)];
    let (key, rest) = rec.split_at(16);
    let (v, sum) = rest.split_at(DIM * 2);
    let key: Key = key.try_into().expect("16 bytes");
    (checksum(&key, v) == sum).then_some(key)
}

/// The vector bytes of record `record` (little-endian f16).
fn vector_bytes(map: &[u8], record: usize) -> &[u8] {
    let at = record_offset(record) + 16;
    &map[at..at + DIM * 2]
}

/// Drops `len` bytes of `map` from `offset` out of this process's
/// resident memory (they are read again from the file when next used).
fn release(map: &Mmap, offset: usize, len: usize) {
    // SAFETY: the mapping is read-only and never written through, so
    // nothing is lost by dropping its pages: the next access maps them
    // again from the file, whose bytes at these offsets never change (the
    // log is appended to, or replaced by a rename, never rewritten in
    // place).
    if let Err(e) = unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, offset, len) } {
        tracing::debug!(error = %e, "could not release the vector log's pages");
    }
}

/// What loading a log found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loaded {
    /// Intact records read.
    intact: usize,
    /// Records not kept: texts not asked for, repeats, damaged records.
    unused: usize,
}

/// The share of a log's records left unused at load ([`Loaded`]) from
/// which it is rewritten without them. Each rewrite then frees at least a
/// third of what it writes, so the rewrites of a log cost a constant
/// factor of its appends, while a log of a corpus that changes little is
/// left alone.
const COMPACT_SHARE: f64 = 0.25;

impl Loaded {
    fn worth_compacting(&self) -> bool {
        self.unused > 0 && self.unused as f64 >= COMPACT_SHARE * (self.intact + self.unused) as f64
    }
}

/// A set of memo slots, a bit each.
#[derive(Default)]
struct Slots(Vec<u64>);

impl Slots {
    /// Adds `slot`; whether it was new.
    fn insert(&mut self, slot: u32) -> bool {
        let (word, bit) = (slot as usize / 64, 1u64 << (slot % 64));
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        let new = self.0[word] & bit == 0;
        self.0[word] |= bit;
        new
    }

    fn contains(&self, slot: u32) -> bool {
        let (word, bit) = (slot as usize / 64, 1u64 << (slot % 64));
        self.0.get(word).is_some_and(|w| w & bit != 0)
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

    /// Streams `log` into memory ([`Memo::load`]).
    fn load(&self, log: &VectorLog, keep: Option<&HashSet<Key>>) -> Result<Loaded> {
        let mut memo = self.memo.write().unwrap_or_else(|e| e.into_inner());
        memo.load(log, keep)
    }

    /// Rewrites `log` with the records of `keys` it holds ([`Memo::compact`]).
    fn compact(&self, log: &VectorLog, keys: &HashSet<Key>) -> Result<usize> {
        let mut memo = self.memo.write().unwrap_or_else(|e| e.into_inner());
        memo.compact(log, keys)
    }

    /// How many of `keys` have no record in `log`.
    fn lacking_keys<'k>(&self, log: &VectorLog, keys: impl Iterator<Item = &'k Key>) -> usize {
        let memo = self.memo.read().unwrap_or_else(|e| e.into_inner());
        let held = log.held.lock().unwrap_or_else(|e| e.into_inner());
        keys.filter(|k| !memo.slots.get(*k).is_some_and(|&s| held.contains(s)))
            .count()
    }

    /// The distinct texts of `texts` that `log` has no record of: those
    /// this process has a vector for (their keys and slots), and those it
    /// must embed.
    fn sort_out<'t>(
        &self,
        log: &VectorLog,
        texts: impl Iterator<Item = &'t str>,
    ) -> (Vec<(Key, u32)>, Vec<&'t str>) {
        let memo = self.memo.read().unwrap_or_else(|e| e.into_inner());
        let held = log.held.lock().unwrap_or_else(|e| e.into_inner());
        let mut seen = HashSet::new();
        let (mut known, mut todo) = (Vec::new(), Vec::new());
        for t in texts {
            let k = key_of(t);
            match memo.slots.get(&k) {
                Some(&slot) if held.contains(slot) => {}
                Some(&slot) => {
                    if seen.insert(k) {
                        known.push((k, slot));
                    }
                }
                None => {
                    if seen.insert(k) {
                        todo.push(t);
                    }
                }
            }
        }
        (known, todo)
    }

    /// Gives `log` a vector for every text of `texts` it lacks: copied
    /// when this process already has it, else embedded, batch by batch,
    /// each batch appended before the next. `pending` counts down as it
    /// goes; progress is logged about every ten seconds. Returns the number
    /// of texts embedded; stops with [`Error::Cancelled`] between model
    /// calls once `cancel` is up (what was appended stays: vectors are kept
    /// by content).
    pub(crate) fn fill(&self, log: &VectorLog, texts: &[&str], cancel: &Cancel) -> Result<usize> {
        let (known, todo) = self.sort_out(log, texts.iter().copied());
        for chunk in known.chunks(1024) {
            let records: Vec<(Key, Vec<f16>)> = {
                let memo = self.memo.read().unwrap_or_else(|e| e.into_inner());
                chunk
                    .iter()
                    .map(|&(k, slot)| (k, memo.at(slot).to_vec()))
                    .collect()
            };
            log.append(&records)?;
            log.hold(chunk.iter().map(|&(_, slot)| slot));
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
            let slots: Vec<u32> = {
                let mut memo = self.memo.write().unwrap_or_else(|e| e.into_inner());
                packed.iter().map(|(k, v)| memo.insert(*k, v)).collect()
            };
            log.hold(slots);
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
    /// Loads the model from `model_dir` and every vector of `index_dir`'s
    /// log (for a writer, which reads no corpus).
    pub(crate) fn open(model_dir: &Path, index_dir: &Path) -> Result<Semantic> {
        let vectors = Vectors::shared(model_dir)?;
        let log = VectorLog::new(index_dir);
        let loaded = vectors.load(&log, None)?;
        tracing::debug!(records = loaded.intact, "vector log loaded");
        Ok(Semantic { vectors, log })
    }

    /// Loads the model from `model_dir` and, of `index_dir`'s log, the
    /// vectors of `docs`' texts alone. When the others are at least
    /// [`COMPACT_SHARE`] of the log, rewrites it without them (a failure
    /// to is logged: the log stays as it was). Returns it with how many
    /// distinct texts of `docs` have no vector in the log.
    pub(crate) fn open_for<'d>(
        model_dir: &Path,
        index_dir: &Path,
        docs: impl Iterator<Item = &'d Document>,
    ) -> Result<(Semantic, usize)> {
        let vectors = Vectors::shared(model_dir)?;
        let log = VectorLog::new(index_dir);
        let live: HashSet<Key> = docs.flat_map(texts_of).map(key_of).collect();
        let loaded = vectors.load(&log, Some(&live))?;
        tracing::debug!(
            records = loaded.intact,
            unused = loaded.unused,
            "vector log loaded"
        );
        if loaded.worth_compacting() {
            match vectors.compact(&log, &live) {
                Ok(kept) => tracing::info!(
                    kept,
                    dropped = loaded.unused,
                    "vector log rewritten without the vectors of texts no longer in the corpus"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "vector log not compacted; it keeps its unused vectors")
                }
            }
        }
        let missing = vectors.lacking_keys(&log, live.iter());
        Ok((Semantic { vectors, log }, missing))
    }

    /// The vectors (for scoring).
    pub(crate) fn vectors(&self) -> &Vectors {
        &self.vectors
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
    /// append); `None` until the first append opens the file, and again
    /// after a rewrite replaced it.
    file: Mutex<Option<File>>,
    /// The memo slots this log holds a record of (set at load, added to on
    /// append): a text this process already has a vector for still goes
    /// into this index's log, so the next process finds it there. Slots,
    /// not keys, so each key is held once, by the memo.
    held: Mutex<Slots>,
}

fn checksum(key: &Key, v: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(key);
    h.update(v);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// Appends one record (key, vector, checksum) to `buf`.
fn encode(buf: &mut Vec<u8>, key: &Key, v: &[f16]) {
    let start = buf.len();
    buf.extend_from_slice(key);
    for x in v {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    let sum = checksum(key, &buf[start + 16..]);
    buf.extend_from_slice(&sum);
}

impl VectorLog {
    /// The log of `index_dir` (nothing is read or created yet).
    pub(crate) fn new(index_dir: &Path) -> VectorLog {
        VectorLog {
            path: index_dir.join(format!("vectors-{MODEL_TAG}.bin")),
            file: Mutex::new(None),
            held: Mutex::default(),
        }
    }

    /// The log's whole records, mapped, and 1 when a torn record follows
    /// them (0 otherwise); `None` when there is no log yet, or one of
    /// another format (ignored, with a warning). The torn part is left out
    /// of the mapping: the next append cuts it off the file.
    fn map(&self) -> Result<Option<(Mmap, usize)>> {
        let io = |e| Error::io(&self.path, e);
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let len = usize::try_from(file.metadata().map_err(io)?.len()).unwrap_or(usize::MAX);
        let mut head = [0u8; MAGIC.len()];
        let head_ok = len >= MAGIC.len() && {
            use std::os::unix::fs::FileExt;
            file.read_exact_at(&mut head, 0).is_ok() && &head == MAGIC
        };
        if !head_ok {
            if len > 0 {
                tracing::warn!(path = %self.path.display(), "vector log of another format ignored");
            }
            return Ok(None);
        }
        let whole = records_in_len(len);
        // SAFETY: verbatim only ever appends to a log, cuts a torn record
        // off its end (past every whole record mapped here), or replaces
        // it by a rename; the mapped bytes never change under us.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .len(record_offset(whole))
                .map(&file)
        }
        .map_err(io)?;
        Ok(Some((map, usize::from(record_offset(whole) != len))))
    }

    /// Notes that the log now holds records of these memo slots.
    fn hold(&self, slots: impl IntoIterator<Item = u32>) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        for s in slots {
            held.insert(s);
        }
    }

    /// The open file, opened (and created) on first use.
    fn opened<'g>(&self, guard: &'g mut Option<File>) -> Result<&'g mut File> {
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
        Ok(guard.as_mut().expect("opened above"))
    }

    /// Whether `f` is no longer the file at the log's path (another
    /// process rewrote the log since this one opened it).
    fn replaced(&self, f: &File) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (f.metadata(), fs::metadata(&self.path)) {
            (Ok(open), Ok(now)) => open.ino() != now.ino() || open.dev() != now.dev(),
            _ => true,
        }
    }

    /// Appends records and fsyncs, holding an exclusive lock on the file
    /// (processes sharing an index directory append in turn). A torn tail
    /// from an earlier crash is cut off first, so records stay aligned. A
    /// log another process rewrote meanwhile is opened again first.
    fn append(&self, records: &[(Key, Vec<f16>)]) -> Result<()> {
        let mut buf = Vec::with_capacity(records.len() * RECORD);
        for (key, v) in records {
            encode(&mut buf, key, v);
        }
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let replaced = {
            let f = self.opened(&mut guard)?;
            f.lock().map_err(|e| Error::io(&self.path, e))?;
            let replaced = self.replaced(f);
            if replaced {
                let _ = f.unlock();
            }
            replaced
        };
        if replaced {
            *guard = None;
            let f = self.opened(&mut guard)?;
            f.lock().map_err(|e| Error::io(&self.path, e))?;
        }
        let f = guard.as_mut().expect("opened above");
        let result = append_locked(f, &buf).map_err(|e| Error::io(&self.path, e));
        let _ = f.unlock();
        result
    }

    /// Replaces the log by one holding `records` alone: written whole
    /// under a hidden temporary name, synced, and renamed over the log
    /// while holding its lock (a process appending meanwhile waits, then
    /// finds the file replaced and appends to the new one). A crash at any
    /// point leaves the old log or the new one, never a mix.
    fn rewrite<'v>(&self, records: impl Iterator<Item = (Key, &'v [f16])>) -> Result<Mmap> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let f = self.opened(&mut guard)?;
        f.lock().map_err(|e| Error::io(&self.path, e))?;
        let result = self.write_replacement(records);
        let _ = f.unlock();
        // The next append opens the new file.
        *guard = None;
        result
    }

    /// Writes the new log and renames it over the old; returns it mapped
    /// (from the file written, so a later rewrite by another process
    /// cannot put another file under it).
    fn write_replacement<'v>(
        &self,
        records: impl Iterator<Item = (Key, &'v [f16])>,
    ) -> Result<Mmap> {
        let file = crate::durable::replace(&self.path, |out| {
            out.write_all(MAGIC)?;
            let mut buf = Vec::with_capacity(RECORD);
            for (key, v) in records {
                buf.clear();
                encode(&mut buf, &key, v);
                out.write_all(&buf)?;
            }
            Ok(())
        })?;
        // SAFETY: this file is appended to or replaced, never rewritten in
        // place (see `VectorLog::map`).
        unsafe { Mmap::map(&file) }.map_err(|e| Error::io(&self.path, e))
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

    /// Every intact record of `log`, in order.
    fn read(log: &VectorLog) -> Vec<(Key, Vec<f16>)> {
        let Some((map, _)) = log.map().unwrap() else {
            return Vec::new();
        };
        (0..records_in_len(map.len()))
            .filter_map(|r| {
                let key = intact_key(&map, r)?;
                let v: &[f16] = bytemuck::cast_slice(vector_bytes(&map, r));
                Some((key, v.to_vec()))
            })
            .collect()
    }

    fn keys(records: &[(Key, Vec<f16>)]) -> HashSet<Key> {
        records.iter().map(|(k, _)| *k).collect()
    }

    #[test]
    fn the_log_reads_back_what_was_appended() {
        let dir = tempfile::tempdir().unwrap();
        let log = VectorLog::new(dir.path());
        log.append(&records(3)).unwrap();
        log.append(&records(5)[3..]).unwrap();
        assert_eq!(read(&log), records(5));
        // A fresh handle (a restarted process) appends after them.
        let again = VectorLog::new(dir.path());
        again.append(&records(6)[5..]).unwrap();
        assert_eq!(read(&again), records(6));
        // Loaded whole, every record is one slot the log holds.
        let mut memo = Memo::default();
        let loaded = memo.load(&again, None).unwrap();
        assert_eq!(
            loaded,
            Loaded {
                intact: 6,
                unused: 0
            }
        );
        for (k, v) in records(6) {
            assert_eq!(memo.get(&k), Some(v.as_slice()));
        }
        assert!((0..6).all(|s| again.held.lock().unwrap().contains(s)));
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
        let want = records(3);
        assert_eq!(read(&log), vec![want[0].clone(), want[2].clone()]);
        let loaded = Memo::default().load(&log, None).unwrap();
        assert_eq!(
            loaded,
            Loaded {
                intact: 2,
                unused: 2
            }
        );
        let again = VectorLog::new(dir.path());
        again.append(&records(4)[3..]).unwrap();
        assert_eq!(read(&again).len(), 3);
    }

    #[test]
    fn a_log_of_another_format_is_ignored_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let log = VectorLog::new(dir.path());
        fs::write(&log.path, b"something else entirely, not vectors").unwrap();
        assert!(read(&log).is_empty());
        log.append(&records(1)).unwrap();
        assert_eq!(read(&log), records(1));
    }

    #[test]
    fn a_load_keeps_the_texts_asked_for_and_compaction_drops_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let log = VectorLog::new(dir.path());
        let all = records(8);
        log.append(&all).unwrap();
        // Two repeats, as a second process embedding the same texts leaves.
        log.append(&all[1..3]).unwrap();
        let live = keys(&all[..5]);
        let mut memo = Memo::default();
        let loaded = memo.load(&log, Some(&live)).unwrap();
        // Three texts not asked for, two repeats.
        assert_eq!(
            loaded,
            Loaded {
                intact: 10,
                unused: 5
            }
        );
        assert!(loaded.worth_compacting());
        assert_eq!(
            memo.slots.len(),
            5,
            "only the texts asked for are in memory"
        );
        assert!(memo.get(&all[6].0).is_none());

        assert!(memo
            .places
            .iter()
            .all(|p| matches!(p, Place::Mapped { map: 0, .. })));
        for (k, v) in &all[..5] {
            assert_eq!(memo.get(k), Some(v.as_slice()), "read in place");
        }

        assert_eq!(memo.compact(&log, &live).unwrap(), 5);
        assert_eq!(read(&log), all[..5].to_vec(), "kept in the order appended");
        // Read from the new file now; the old one's mapping is let go.
        assert!(memo.maps[0].is_none());
        assert!(memo
            .places
            .iter()
            .all(|p| matches!(p, Place::Mapped { map: 1, .. })));
        for (k, v) in &all[..5] {
            assert_eq!(memo.get(k), Some(v.as_slice()));
        }
        // A fresh start finds nothing unused, so leaves the log alone.
        let again = VectorLog::new(dir.path());
        let loaded = Memo::default().load(&again, Some(&live)).unwrap();
        assert_eq!(
            loaded,
            Loaded {
                intact: 5,
                unused: 0
            }
        );
        assert!(!loaded.worth_compacting());
        // The handle that compacted appends to the new file.
        log.append(&records(9)[8..]).unwrap();
        assert_eq!(read(&again).len(), 6);
    }

    #[test]
    fn the_memo_grows_by_blocks_and_never_moves_a_vector() {
        let mut memo = Memo::default();
        let v = |i: usize| vec![f16::from_f32(i as f32 / 8192.0); DIM];
        let key = |i: usize| key_of(&format!("t{i}"));
        assert_eq!(memo.insert(key(0), &v(0)), 0);
        let first = memo.at(0).as_ptr();
        for i in 1..BLOCK + 3 {
            assert_eq!(memo.insert(key(i), &v(i)), i as u32);
        }
        assert_eq!(
            memo.insert(key(7), &v(99)),
            7,
            "a held key keeps its vector"
        );
        assert_eq!(memo.blocks.len(), 2);
        assert_eq!(memo.at(0).as_ptr(), first);
        for i in [0, 7, BLOCK - 1, BLOCK, BLOCK + 2] {
            assert_eq!(memo.get(&key(i)), Some(v(i).as_slice()), "slot {i}");
        }
    }

    #[test]
    fn a_log_with_few_unused_records_is_left_alone() {
        let just_under = Loaded {
            intact: 7,
            unused: 2,
        };
        let at_the_share = Loaded {
            intact: 6,
            unused: 2,
        };
        assert!(!just_under.worth_compacting());
        assert!(at_the_share.worth_compacting());
        assert!(!Loaded {
            intact: 0,
            unused: 0
        }
        .worth_compacting());
    }

    #[test]
    fn an_appender_finds_a_log_another_process_rewrote() {
        let dir = tempfile::tempdir().unwrap();
        let all = records(4);
        // Another process's handle, its file already open.
        let other = VectorLog::new(dir.path());
        other.append(&all[..2]).unwrap();
        // This one rewrites the log with the first record alone.
        let this = VectorLog::new(dir.path());
        let mut memo = Memo::default();
        memo.load(&this, None).unwrap();
        memo.compact(&this, &keys(&all[..1])).unwrap();
        assert_eq!(read(&this), all[..1].to_vec());
        // The vector compaction dropped from the log stays readable here
        // (a snapshot may hold it), copied out of the mapping let go.
        assert!(memo.maps[0].is_none());
        assert_eq!(memo.get(&all[1].0), Some(all[1].1.as_slice()));
        assert!(matches!(memo.places[1], Place::Block(0)));
        // The other appends to the new file, not to the unlinked old one.
        other.append(&all[3..4]).unwrap();
        assert_eq!(read(&this), vec![all[0].clone(), all[3].clone()]);
    }

    #[test]
    fn a_rewrite_clears_the_temporaries_of_a_crashed_one() {
        let dir = tempfile::tempdir().unwrap();
        let log = VectorLog::new(dir.path());
        log.append(&records(2)).unwrap();
        let name = log.path.file_name().unwrap().to_str().unwrap().to_owned();
        // What a process killed in the middle of a rewrite leaves: its
        // temporary (the log itself is untouched until the rename).
        let litter = dir.path().join(format!(".{name}.tmp-999999999"));
        fs::write(&litter, b"half a log").unwrap();
        assert_eq!(read(&log), records(2));
        let mut memo = Memo::default();
        memo.load(&log, None).unwrap();
        memo.compact(&log, &keys(&records(1))).unwrap();
        assert!(!litter.exists());
        assert_eq!(read(&log), records(1));
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "no temporary is left behind");
    }
}
