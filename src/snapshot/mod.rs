//! One consistent view of an index generation: the documents and the
//! searcher taken at the same moment, so every hit resolves against the
//! documents it was found in. Search, answers and quote checks all read
//! through a `Snapshot`; none of them opens the index or the corpus.
//!
//! Hit → passage resolution happens here and only here, with one policy: a
//! hit whose passage the snapshot does not know is an internal error, logged
//! and returned, never skipped and never a panic.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tantivy::collector::TopDocs;
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::Query;
use tantivy::{DocAddress, Searcher};

use crate::embed;
use crate::error::{Error, Result};
use crate::index::{self, Fields, OpenIndex};
use crate::model::{parse_passage_id, Document, Passage};
use crate::vectors::{key_of, Key, Semantic, Vector, Vectors};

mod table;

use table::{DocTable, Slot};

/// A passage found by the index, with its BM25 score (comparable within one
/// query only).
#[derive(Debug, Clone)]
pub(crate) struct Scored<'a> {
    /// BM25 score of the passage for the query that found it.
    pub(crate) score: f32,
    /// Its document.
    pub(crate) doc: &'a Document,
    /// The passage.
    pub(crate) passage: Passage,
}

/// One segment's passages by document: the segment's fast columns, with its
/// document ids read out once. Segments never change, so a later snapshot
/// reuses the tables of the segments it shares.
struct SegmentIds {
    /// Which segment this is (what a later snapshot matches on).
    id: tantivy::index::SegmentId,
    /// The `doc_id` column: each passage's ordinal in `ids`.
    ords: StrColumn,
    /// The document ids of the segment, by ordinal.
    ids: Vec<Box<str>>,
    /// The `paragraph` column: each passage's number in its document.
    numbers: Column<u64>,
    /// Index docs in the segment, deleted ones included.
    max_doc: tantivy::DocId,
    /// The sorted index docs of the segment's caption passages, found the
    /// first time a search needs them and kept with the segment, so a live
    /// write costs only its own new segment this work.
    captions: OnceLock<Vec<tantivy::DocId>>,
}

impl SegmentIds {
    /// Opens a segment's columns and reads its document ids.
    fn read(segment: &tantivy::SegmentReader) -> Result<SegmentIds> {
        let fast = segment.fast_fields();
        let ords = fast
            .str("doc_id")?
            .ok_or_else(|| Error::IndexUnusable("a segment has no doc_id column".into()))?;
        let mut ids = Vec::with_capacity(ords.num_terms());
        let mut terms = ords
            .dictionary()
            .stream()
            .map_err(|e| Error::IndexUnusable(format!("reading the document ids: {e}")))?;
        while terms.advance() {
            if terms.term_ord() as usize != ids.len() {
                return Err(Error::IndexUnusable(
                    "the document ids are out of order".into(),
                ));
            }
            let id = std::str::from_utf8(terms.key())
                .map_err(|_| Error::IndexUnusable("a document id is not UTF-8".into()))?;
            ids.push(id.into());
        }
        Ok(SegmentIds {
            id: segment.segment_id(),
            ords,
            ids,
            numbers: fast.u64("paragraph")?,
            max_doc: segment.max_doc(),
            captions: OnceLock::new(),
        })
    }
}

/// Documents and searcher of one moment. Writes build a new snapshot and
/// swap it in; requests in flight keep theirs.
pub(crate) struct Snapshot {
    /// Documents in corpus order, by id; every hit resolves against
    /// these. Shared with the snapshot before a write, all but what the
    /// write changed.
    docs: DocTable,
    /// The open index (shared by every snapshot of this process).
    index: Arc<OpenIndex>,
    /// The searcher of this snapshot; never reloaded, so it matches `docs`.
    searcher: Searcher,
    /// Per segment of `searcher`, what a hit resolves through: no hit reads
    /// its stored fields or the id column's compressed dictionary.
    segments: Vec<Arc<SegmentIds>>,
    /// The embedding model and the vectors; `None` when vectors are off.
    semantic: Option<Arc<Semantic>>,
    /// (document slot, passage, content key) of every passage, computed on
    /// the first nearest-by-meaning query.
    passage_keys: OnceLock<Vec<(Slot, usize, Key)>>,
    /// Fact filter name → (document slot, folded words of the value) of
    /// every fact line, computed on the first query naming a fact.
    facts: OnceLock<FactTable>,
    /// Per segment, the sorted index doc ids of caption passages (which
    /// rank below the text around them), gathered on the first search from
    /// the segments' own lists; `None` when no segment holds a caption.
    captions: OnceLock<Option<Arc<CaptionDocs>>>,
}

/// Caption passages by segment: sorted doc ids within each.
pub(crate) type CaptionDocs = HashMap<tantivy::index::SegmentId, Vec<tantivy::DocId>>;

/// Fact filter name → (document slot, folded words of the value) of every
/// fact line.
type FactTable = HashMap<String, Vec<(Slot, Vec<String>)>>;

impl Snapshot {
    /// A snapshot of `docs` with a fresh searcher of `index`; the segments
    /// it shares with `previous` are not read again.
    pub(crate) fn new(
        docs: Vec<Arc<Document>>,
        index: Arc<OpenIndex>,
        semantic: Option<Arc<Semantic>>,
    ) -> Result<Snapshot> {
        Snapshot::with_table(DocTable::new(docs), index, semantic, None)
    }

    /// A snapshot of `docs` with a fresh searcher of `index`; the segments
    /// it shares with `previous` are not read again.
    fn with_table(
        docs: DocTable,
        index: Arc<OpenIndex>,
        semantic: Option<Arc<Semantic>>,
        previous: Option<&Snapshot>,
    ) -> Result<Snapshot> {
        let searcher = index.reader.searcher();
        let known: HashMap<tantivy::index::SegmentId, &Arc<SegmentIds>> = previous
            .map(|p| p.segments.iter().map(|s| (s.id, s)).collect())
            .unwrap_or_default();
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|segment| match known.get(&segment.segment_id()) {
                Some(&ids) => Ok(ids.clone()),
                None => SegmentIds::read(segment).map(Arc::new),
            })
            .collect::<Result<_>>()?;
        Ok(Snapshot {
            docs,
            index,
            searcher,
            segments,
            semantic,
            passage_keys: OnceLock::new(),
            facts: OnceLock::new(),
            captions: OnceLock::new(),
        })
    }

    /// A new snapshot after a committed write: `replace` documents added or
    /// replaced (they move to the end), `remove` ids dropped. Reloads the
    /// reader first. Its cost follows the write, not the corpus: the
    /// document table and the segments' tables are shared with `self`
    /// except where the write changed them.
    pub(crate) fn with_changes(
        &self,
        replace: Vec<Document>,
        remove: &[String],
    ) -> Result<Snapshot> {
        self.index.reader.reload()?;
        let docs = self
            .docs
            .with_changes(replace.into_iter().map(Arc::new).collect(), remove);
        Snapshot::with_table(docs, self.index.clone(), self.semantic.clone(), Some(self))
    }

    /// The model and vectors, when vectors are on.
    pub(crate) fn semantic(&self) -> Option<&Semantic> {
        self.semantic.as_deref()
    }

    /// The vectors, when vectors are on.
    pub(crate) fn vectors(&self) -> Option<&Vectors> {
        self.semantic.as_deref().map(Semantic::vectors)
    }

    /// The vector of `text` (a query or question), when vectors are on and
    /// the model reads its script ([`embed::reads`]).
    pub(crate) fn embed_query(&self, text: &str) -> Result<Option<Vector>> {
        if !embed::reads(text) {
            return Ok(None);
        }
        self.vectors().map(|v| v.embed_query(text)).transpose()
    }

    /// This snapshot's searcher (term statistics, counting, collectors).
    pub(crate) fn searcher(&self) -> &Searcher {
        &self.searcher
    }

    /// The index's field handles.
    pub(crate) fn fields(&self) -> &Fields {
        &self.index.fields
    }

    /// All documents, in corpus order.
    pub(crate) fn documents(&self) -> impl Iterator<Item = &Arc<Document>> + '_ {
        self.docs.iter().map(|(_, d)| d)
    }

    /// The documents from slot `from` on, with their slots, in order.
    pub(crate) fn documents_from(
        &self,
        from: Slot,
    ) -> impl Iterator<Item = (Slot, &Arc<Document>)> + '_ {
        self.docs.iter_from(from)
    }

    /// The slot of the document with `id` (a place in the documents'
    /// order, stable across writes until the table is compacted).
    pub(crate) fn slot_of(&self, id: &str) -> Option<Slot> {
        self.docs.slot_of(id)
    }

    /// The document in `slot`, if the slot holds one.
    pub(crate) fn document_at(&self, slot: Slot) -> Option<&Arc<Document>> {
        self.docs.at(slot)
    }

    /// Number of documents.
    pub(crate) fn document_count(&self) -> usize {
        self.docs.len()
    }

    /// Every fact line by filter name: (document index, folded words of
    /// the value).
    fn fact_table(&self) -> &FactTable {
        self.facts.get_or_init(|| {
            let mut table = FactTable::new();
            for (i, d) in self.docs.iter() {
                for f in &d.facts {
                    let words = crate::analysis::tokenize(d.fact_value(f))
                        .into_iter()
                        .map(|t| t.text)
                        .collect();
                    table.entry(f.filter.clone()).or_default().push((i, words));
                }
            }
            table
        })
    }

    /// Where the caption passages sit in the index, by segment; `None` when
    /// there are none (searches then rank by BM25 alone).
    pub(crate) fn caption_docs(&self) -> Option<Arc<CaptionDocs>> {
        self.captions
            .get_or_init(|| {
                let by_segment: CaptionDocs = self
                    .segments
                    .iter()
                    .map(|s| (s.id, self.segment_captions(s).to_vec()))
                    .filter(|(_, docs)| !docs.is_empty())
                    .collect();
                (!by_segment.is_empty()).then(|| Arc::new(by_segment))
            })
            .clone()
    }

    /// One segment's caption docs, worked out once per segment: only a
    /// segment whose documents have captions is scanned.
    fn segment_captions<'s>(&self, s: &'s SegmentIds) -> &'s [tantivy::DocId] {
        s.captions.get_or_init(|| {
            // Per document ordinal of the segment, its captions' numbers.
            let captions: Vec<Vec<u64>> = s
                .ids
                .iter()
                .map(|id| {
                    self.document(id).map_or_else(Vec::new, |d| {
                        d.passages()
                            .filter(|p| p.kind == crate::model::PassageKind::Caption)
                            .map(|p| p.number as u64)
                            .collect()
                    })
                })
                .collect();
            if captions.iter().all(Vec::is_empty) {
                return Vec::new();
            }
            (0..s.max_doc)
                .filter(|&doc| {
                    let ord = s.ords.term_ords(doc).next();
                    let n = s.numbers.first(doc);
                    ord.zip(n).is_some_and(|(ord, n)| {
                        captions.get(ord as usize).is_some_and(|c| c.contains(&n))
                    })
                })
                .collect()
        })
    }

    /// Whether `name` is the filter name of some fact line.
    pub(crate) fn is_fact_filter(&self, name: &str) -> bool {
        self.fact_table().contains_key(name)
    }

    /// Whether `name` is a fact filter, when that is known without reading
    /// every document (`None` until the first query naming a fact has
    /// built the table).
    pub(crate) fn is_known_fact_filter(&self, name: &str) -> Option<bool> {
        self.facts.get().map(|t| t.contains_key(name))
    }

    /// The ids of the documents with a fact `name` whose value holds the
    /// words of `value`, in order (folded: `country:japan` matches
    /// "Country: Japan.").
    pub(crate) fn documents_with_fact(&self, name: &str, value: &str) -> Vec<String> {
        let want: Vec<String> = crate::analysis::tokenize(value)
            .into_iter()
            .map(|t| t.text)
            .collect();
        let Some(rows) = self.fact_table().get(name) else {
            return Vec::new();
        };
        let mut out: Vec<String> = rows
            .iter()
            .filter(|(_, words)| {
                !want.is_empty() && words.windows(want.len()).any(|w| w == want.as_slice())
            })
            .filter_map(|(i, _)| Some(self.docs.at(*i)?.meta.id.clone()))
            .collect();
        out.dedup();
        out
    }

    /// The generation this snapshot reads (live writes commit through it).
    pub(crate) fn open_index(&self) -> &OpenIndex {
        &self.index
    }

    /// Total passages in the corpus.
    pub(crate) fn passage_count(&self) -> usize {
        self.docs.passages()
    }

    /// Text bytes of all documents: (in the mapped document store, on the
    /// heap).
    pub(crate) fn text_bytes(&self) -> (usize, usize) {
        self.docs.text_bytes()
    }

    /// Bytes on disk of the open index generation.
    pub(crate) fn index_size_bytes(&self) -> u64 {
        index::dir_size(&self.index.dir)
    }

    /// A document by id.
    pub(crate) fn document(&self, id: &str) -> Option<&Document> {
        self.docs.get(id).map(Arc::as_ref)
    }

    /// A passage by id (`{doc}:p{n}`).
    pub(crate) fn passage(&self, passage_id: &str) -> Option<(&Document, Passage)> {
        let (doc_id, n) = parse_passage_id(passage_id)?;
        let doc = self.document(doc_id)?;
        Some((doc, doc.passage(n)?))
    }

    /// The best `limit` passages for `query`, by BM25.
    pub(crate) fn retrieve(&self, query: &dyn Query, limit: usize) -> Result<Vec<Scored<'_>>> {
        let top = self
            .searcher
            .search(query, &TopDocs::with_limit(limit).order_by_score())?;
        self.resolve(top)
    }

    /// The `k` passages nearest to a query vector by cosine (the score),
    /// over the whole corpus, best first; those without a vector yet are
    /// skipped. A linear scan over the passages' content keys (hashed once
    /// per snapshot, on first use); its cost grows with the corpus and has
    /// not been measured beyond SQuAD's 2,067 passages.
    pub(crate) fn nearest(
        &self,
        query: &Vector,
        k: usize,
        keep: impl Fn(&Document) -> bool,
    ) -> Vec<Scored<'_>> {
        let Some(vectors) = self.vectors() else {
            return Vec::new();
        };
        let keys = self.passage_keys.get_or_init(|| {
            self.docs
                .iter()
                .flat_map(|(d, doc)| {
                    doc.passages()
                        .enumerate()
                        .map(move |(p, passage)| (d, p, key_of(doc.passage_text(&passage))))
                })
                .collect()
        });
        let scores = vectors.cosines(query, keys.iter().map(|(_, _, key)| key));
        let mut best: Vec<(f32, usize)> = scores
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| Some((s?, i)))
            .filter(|&(_, i)| self.docs.at(keys[i].0).is_some_and(|d| keep(d)))
            .collect();
        best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        best.truncate(k);
        best.into_iter()
            .filter_map(|(score, i)| {
                let (d, p, _) = keys[i];
                let doc = self.docs.at(d)?.as_ref();
                Some(Scored {
                    score,
                    doc,
                    passage: doc.segments.get(p)?,
                })
            })
            .collect()
    }

    /// Resolves index hits to passages, in the order given.
    pub(crate) fn resolve(&self, hits: Vec<(f32, DocAddress)>) -> Result<Vec<Scored<'_>>> {
        hits.into_iter()
            .map(|(score, addr)| {
                let (doc, passage) = self.resolve_one(addr)?;
                Ok(Scored {
                    score,
                    doc,
                    passage,
                })
            })
            .collect()
    }

    /// The passage of one hit, read from the segment's fast columns.
    fn resolve_one(&self, addr: DocAddress) -> Result<(&Document, Passage)> {
        let segment = self
            .segments
            .get(addr.segment_ord as usize)
            .ok_or_else(|| Error::IndexUnusable("a hit names an unknown segment".into()))?;
        let (Some(ord), Some(n)) = (
            segment.ords.term_ords(addr.doc_id).next(),
            segment.numbers.first(addr.doc_id),
        ) else {
            return Err(Error::IndexUnusable(
                "a passage has no document id or number in the index".into(),
            ));
        };
        let id: &str = usize::try_from(ord)
            .ok()
            .and_then(|ord| segment.ids.get(ord))
            .ok_or_else(|| Error::IndexUnusable("a passage's document id is missing".into()))?;
        let found = self
            .document(id)
            .and_then(|d| Some((d, d.passage(usize::try_from(n).ok()?)?)));
        found.ok_or_else(|| {
            tracing::error!(
                doc_id = %id,
                passage = n,
                "the index names a passage the snapshot does not hold"
            );
            Error::IndexUnusable(format!("index names unknown passage {id}:p{n}"))
        })
    }
}
