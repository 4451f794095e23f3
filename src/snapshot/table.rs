//! The documents of a snapshot, shared between snapshots. A live write
//! makes the next snapshot's table by copying only the chunks and the id
//! shards it touches, so its cost follows the write, not the corpus: at
//! 150,000 documents a whole copy cost tens of milliseconds per write.
//!
//! Pure: no IO.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use rustc_hash::FxBuildHasher;

use crate::model::Document;

/// Slots per chunk: what a write copies to change one slot.
const CHUNK: usize = 1024;

/// Id shards: a write copies the shards of the ids it changes, each about
/// 1/`SHARDS` of the ids.
const SHARDS: usize = 256;

/// Where a document sits: its slot, stable until the table is compacted.
pub(crate) type Slot = usize;

/// The ids' hasher, for picking a shard and within it: deterministic, so a
/// table is laid out the same way on every run, and fast (SipHash was a
/// twelfth of a 10M-passage start). Ids come from the corpus's owner or
/// an authenticated write, so collision flooding is not a concern here.
type IdHasher = FxBuildHasher;

/// A document as a map key: hashed and compared by its id, which it
/// lends (`Borrow<str>`), so a map looks it up by `&str`.
#[derive(Clone)]
struct IdKey(Arc<Document>);

impl std::borrow::Borrow<str> for IdKey {
    fn borrow(&self) -> &str {
        &self.0.meta.id
    }
}

impl std::hash::Hash for IdKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // As `str` hashes, which `Borrow` requires.
        self.0.meta.id.as_str().hash(state);
    }
}

impl PartialEq for IdKey {
    fn eq(&self, other: &IdKey) -> bool {
        self.0.meta.id == other.0.meta.id
    }
}

impl Eq for IdKey {}

/// Documents in insertion order, by slot and by id. Cloning is cheap (a
/// pointer per chunk and per shard), and changes copy on write.
#[derive(Clone, Default)]
pub(crate) struct DocTable {
    /// Slots in order, `CHUNK` per chunk; a removed document leaves its
    /// slot empty, so the slots of the others never move.
    chunks: Vec<Arc<Vec<Option<Arc<Document>>>>>,
    /// Document id → slot, split by the id's hash into `SHARDS` maps
    /// (empty until the first document). Keyed by the document itself, so
    /// the id is not held a second time.
    shards: Vec<Arc<HashMap<IdKey, Slot, IdHasher>>>,
    /// Slots taken, empty ones included: where the next document goes.
    slots: usize,
    /// Documents held.
    len: usize,
    /// Passages of the documents held, kept as they change.
    passages: usize,
    /// Text bytes of the documents held, [mapped, on the heap]: what
    /// `/metrics` reports of where the corpus's text lives.
    text_bytes: [usize; 2],
}

impl DocTable {
    /// A table of `docs`, in their order; a later document with an id
    /// already seen replaces the earlier one.
    pub(crate) fn new(docs: impl IntoIterator<Item = Arc<Document>>) -> DocTable {
        let docs = docs.into_iter();
        let mut t = DocTable::default();
        // Room for them all at once, so no shard rehashes as it fills.
        let expect = docs.size_hint().0;
        if expect > 0 {
            t.shards = (0..SHARDS)
                .map(|_| {
                    Arc::new(HashMap::with_capacity_and_hasher(
                        expect / SHARDS + expect / SHARDS / 8 + 1,
                        IdHasher::default(),
                    ))
                })
                .collect();
            t.chunks.reserve(expect.div_ceil(CHUNK));
        }
        for d in docs {
            t.insert(d);
        }
        t
    }

    /// The next table: `remove` ids dropped, then `add` documents put at
    /// the end (one already held by id is replaced, and moves to the end).
    /// `self` is unchanged, and shares every chunk and shard the change
    /// does not touch.
    pub(crate) fn with_changes(&self, add: Vec<Arc<Document>>, remove: &[String]) -> DocTable {
        let mut t = self.clone();
        for id in remove {
            t.remove(id);
        }
        for d in add {
            t.insert(d);
        }
        // Empty slots come only from writes; once they outnumber the
        // documents, one copy of the whole table (amortized over those
        // writes) packs them.
        if t.slots - t.len > t.len.max(CHUNK) {
            t = DocTable::new(t.iter().map(|(_, d)| d.clone()));
        }
        t
    }

    /// Number of documents.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Number of passages of all documents.
    pub(crate) fn passages(&self) -> usize {
        self.passages
    }

    /// Text bytes of all documents: (in the mapped store, on the heap).
    pub(crate) fn text_bytes(&self) -> (usize, usize) {
        (self.text_bytes[0], self.text_bytes[1])
    }

    /// The document with `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Arc<Document>> {
        let slot = *self.shards.get(shard_of(id))?.get(id)?;
        self.at(slot)
    }

    /// The document in `slot`, if the slot holds one.
    pub(crate) fn at(&self, slot: Slot) -> Option<&Arc<Document>> {
        self.chunks.get(slot / CHUNK)?.get(slot % CHUNK)?.as_ref()
    }

    /// Every document with its slot, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Slot, &Arc<Document>)> + '_ {
        self.chunks.iter().enumerate().flat_map(|(c, chunk)| {
            chunk
                .iter()
                .enumerate()
                .filter_map(move |(i, d)| Some((c * CHUNK + i, d.as_ref()?)))
        })
    }

    /// The documents from `from` on, with their slots, in order (a page
    /// starts where the last one ended, without walking the slots before).
    pub(crate) fn iter_from(
        &self,
        from: Slot,
    ) -> impl Iterator<Item = (Slot, &Arc<Document>)> + '_ {
        let first = from / CHUNK;
        self.chunks
            .iter()
            .enumerate()
            .skip(first)
            .flat_map(move |(c, chunk)| {
                let skip = if c == first { from % CHUNK } else { 0 };
                chunk
                    .iter()
                    .enumerate()
                    .skip(skip)
                    .filter_map(move |(i, d)| Some((c * CHUNK + i, d.as_ref()?)))
            })
    }

    /// The slot of the document with `id`.
    pub(crate) fn slot_of(&self, id: &str) -> Option<Slot> {
        self.shards.get(shard_of(id))?.get(id).copied()
    }

    /// Puts `d` at the end, replacing the document with its id.
    fn insert(&mut self, d: Arc<Document>) {
        if self.shards.is_empty() {
            self.shards = (0..SHARDS).map(|_| Arc::default()).collect();
        }
        let slot = self.slots;
        let shard = Arc::make_mut(&mut self.shards[shard_of(&d.meta.id)]);
        // The key goes too: it holds the replaced document.
        let replaced = shard.remove_entry(d.meta.id.as_str()).map(|(_, old)| old);
        shard.insert(IdKey(d.clone()), slot);
        if let Some(old) = replaced {
            self.clear(old);
        }
        if slot.is_multiple_of(CHUNK) {
            self.chunks.push(Arc::new(Vec::with_capacity(CHUNK)));
        }
        let last = self.chunks.last_mut().expect("a chunk was just ensured");
        self.passages += d.segments.len();
        self.text_bytes[usize::from(!d.text.is_mapped())] += d.text.len();
        Arc::make_mut(last).push(Some(d));
        self.slots += 1;
        self.len += 1;
    }

    /// Empties `slot`, whose id the caller took out of its shard.
    fn clear(&mut self, slot: Slot) {
        let chunk = Arc::make_mut(&mut self.chunks[slot / CHUNK]);
        if let Some(d) = chunk[slot % CHUNK].take() {
            self.passages -= d.segments.len();
            self.text_bytes[usize::from(!d.text.is_mapped())] -= d.text.len();
            self.len -= 1;
        }
    }

    /// Drops the document with `id`, if held.
    fn remove(&mut self, id: &str) {
        let Some(shard) = self.shards.get_mut(shard_of(id)) else {
            return;
        };
        if !shard.contains_key(id) {
            return;
        }
        let slot = Arc::make_mut(shard).remove(id).expect("just seen");
        self.clear(slot);
    }
}

/// The shard an id lives in.
fn shard_of(id: &str) -> usize {
    // Bits 32-39: a shard's own map indexes its buckets by the low bits and
    // tags them by the top seven, so the shard must not fix either.
    ((IdHasher::default().hash_one(id) >> 32) % SHARDS as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DocMeta;
    use proptest::prelude::*;

    fn doc(id: &str, version: u32) -> Arc<Document> {
        let meta = DocMeta {
            id: id.into(),
            title: id.into(),
            kind: "document".into(),
            ..Default::default()
        };
        let text = format!("Version {version} of {id}.\n\nA second paragraph.");
        Arc::new(crate::ingest::document_from_text(
            meta,
            format!("{id}.md"),
            text,
            crate::segment::Markup::Markdown,
        ))
    }

    /// One step of a write sequence: documents added (by id number and
    /// version) and ids removed.
    #[derive(Debug, Clone)]
    struct Step {
        add: Vec<(u8, u32)>,
        remove: Vec<u8>,
    }

    fn step() -> impl Strategy<Value = Step> {
        (
            prop::collection::vec((0u8..40, 0u32..5), 0..6),
            prop::collection::vec(0u8..40, 0..4),
        )
            .prop_map(|(add, remove)| Step { add, remove })
    }

    proptest! {
        /// After any sequence of writes the table holds exactly what a
        /// plain list, rebuilt at every write, holds, in the same order;
        /// and every earlier table is unchanged by the later writes.
        #[test]
        fn writes_match_a_rebuilt_list(steps in prop::collection::vec(step(), 0..30)) {
            let mut table = DocTable::new((0..10u8).map(|i| doc(&format!("d{i}"), 0)));
            let mut model: Vec<Arc<Document>> = table.iter().map(|(_, d)| d.clone()).collect();
            let mut history = vec![(table.clone(), model.clone())];
            for s in &steps {
                let add: Vec<Arc<Document>> =
                    s.add.iter().map(|(i, v)| doc(&format!("d{i}"), *v)).collect();
                let remove: Vec<String> = s.remove.iter().map(|i| format!("d{i}")).collect();
                table = table.with_changes(add.clone(), &remove);
                model.retain(|d| !remove.contains(&d.meta.id));
                for d in add {
                    model.retain(|m| m.meta.id != d.meta.id);
                    model.push(d);
                }
                history.push((table.clone(), model.clone()));
            }
            for (t, m) in &history {
                let held: Vec<&str> = t.iter().map(|(_, d)| d.meta.id.as_str()).collect();
                let want: Vec<&str> = m.iter().map(|d| d.meta.id.as_str()).collect();
                prop_assert_eq!(&held, &want);
                prop_assert_eq!(t.len(), m.len());
                prop_assert_eq!(t.passages(), m.iter().map(|d| d.segments.len()).sum::<usize>());
                for d in m {
                    let got = t.get(&d.meta.id).expect("held by id");
                    prop_assert!(Arc::ptr_eq(got, d));
                }
                for (slot, d) in t.iter() {
                    prop_assert!(Arc::ptr_eq(t.at(slot).expect("held by slot"), d));
                    prop_assert_eq!(t.slot_of(&d.meta.id), Some(slot));
                    // A page from any slot is the rest of the whole walk.
                    let rest: Vec<Slot> = t.iter().map(|(s, _)| s).filter(|&s| s >= slot).collect();
                    let page: Vec<Slot> = t.iter_from(slot).map(|(s, _)| s).collect();
                    prop_assert_eq!(page, rest);
                }
                prop_assert_eq!(t.iter_from(usize::MAX / 2).count(), 0);
                prop_assert!(t.get("d99").is_none());
            }
        }
    }

    #[test]
    fn a_write_shares_what_it_does_not_touch() {
        let table = DocTable::new((0..5000).map(|i| doc(&format!("d{i}"), 0)));
        let next = table.with_changes(vec![doc("d7", 1)], &["d4000".into()]);
        let shared = |a: &DocTable, b: &DocTable| {
            a.chunks
                .iter()
                .zip(&b.chunks)
                .filter(|(x, y)| Arc::ptr_eq(x, y))
                .count()
        };
        // Five chunks: the first (d7 left it) and the fourth (d4000) are
        // copied, the last (d7 appended) too; two stay shared.
        assert_eq!(table.chunks.len(), 5);
        assert_eq!(shared(&table, &next), 2);
        let shards = table
            .shards
            .iter()
            .zip(&next.shards)
            .filter(|(x, y)| Arc::ptr_eq(x, y))
            .count();
        assert!(shards >= SHARDS - 2, "{shards} shards shared");
        assert_eq!(next.len(), 4999);
        assert_eq!(
            next.iter().last().map(|(_, d)| d.meta.id.as_str()),
            Some("d7")
        );
        assert!(table.get("d4000").is_some() && next.get("d4000").is_none());
    }

    #[test]
    fn empty_slots_are_packed_once_they_outnumber_documents() {
        let mut table = DocTable::new((0..10).map(|i| doc(&format!("d{i}"), 0)));
        for v in 0..3000 {
            table = table.with_changes(vec![doc("d3", v)], &[]);
        }
        assert_eq!(table.len(), 10);
        assert!(table.slots <= 10 + 2 * CHUNK, "{} slots", table.slots);
        assert_eq!(table.iter().count(), 10);
    }
}
