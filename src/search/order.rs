//! The order pages list hits in, and hits far down it in bounded memory.
//!
//! Tantivy's top-k collector
//! holds twice the hits it is asked for, so a page at offset 10^6, or an
//! export of every hit, would hold memory in proportion to its depth. Here
//! a query's hits are read in the pages' order in windows of at most
//! [`WINDOW`], each window one pass over the matches that keeps only the
//! hits after the previous window's last: memory follows the window, and a
//! ranking of `n` hits costs `n / WINDOW + 1` passes.
//!
//! The order is the pages' order exactly: key descending, then index
//! address ascending, which is how Tantivy's top-k breaks ties; so a page
//! read here and one read by [`TopDocs`] agree hit for hit.

use std::collections::HashSet;
use std::sync::Arc;

use tantivy::collector::{Collector, TopDocs};
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocId, Score, SegmentReader};

use crate::error::Result;
use crate::snapshot::Snapshot;

/// How a page of hits is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Best BM25 score first.
    Relevance,
    /// Passage order (for filter-only queries, where every score ties).
    Position,
}

/// How much of its BM25 score a caption keeps: a picture's caption matches
/// the words of the text it illustrates, in few words, so BM25 alone would
/// rank it above the paragraphs that say the thing (`robots` found the
/// photo line of a robot first).
pub(crate) const CAPTION_WEIGHT: f32 = 0.5;

/// A score tweak that keeps a caption's score at [`CAPTION_WEIGHT`].
pub(crate) fn captions_below(
    captions: std::sync::Arc<crate::snapshot::CaptionDocs>,
) -> impl Fn(&tantivy::SegmentReader) -> Box<dyn Fn(tantivy::DocId, f32) -> f32> + Send + Sync + 'static
{
    move |segment: &tantivy::SegmentReader| captions_below_key(Some(&captions), segment)
}

/// One segment's score tweak of [`captions_below`] (none without captions).
fn captions_below_key(
    captions: Option<&std::sync::Arc<crate::snapshot::CaptionDocs>>,
    segment: &tantivy::SegmentReader,
) -> Box<dyn Fn(tantivy::DocId, f32) -> f32> {
    let docs = captions
        .and_then(|c| c.get(&segment.segment_id()))
        .cloned()
        .unwrap_or_default();
    if docs.is_empty() {
        return Box::new(|_, score| score);
    }
    Box::new(move |doc, score| {
        if docs.binary_search(&doc).is_ok() {
            score * CAPTION_WEIGHT
        } else {
            score
        }
    })
}

/// Hits one pass keeps at most (Tantivy's collector holds twice this): a
/// few MiB, and one pass for every export up to this many hits.
pub(crate) const WINDOW: usize = 1 << 16;

/// A hit's place in the order: its key (the tweaked score, or the negated
/// passage number for [`Order::Position`]) and its address.
type Place = (f64, DocAddress);

/// The hits at ranks `offset..offset + n` of `query` in `order`, leaving out
/// `skip`, with their scores, read in windows of `window` hits ([`WINDOW`];
/// tests use small ones): memory follows `n` and the window, not `offset`.
pub(crate) fn ranked(
    snap: &Snapshot,
    query: &dyn Query,
    order: Order,
    n: usize,
    offset: usize,
    skip: &HashSet<DocAddress>,
    window: usize,
) -> Result<Vec<(f32, DocAddress)>> {
    let mut out = Vec::with_capacity(n.min(window));
    if n == 0 {
        return Ok(out);
    }
    let mut to_skip = offset;
    walk(snap, query, order, skip, window, &mut |batch| {
        let from = to_skip.min(batch.len());
        to_skip -= from;
        out.extend(batch.into_iter().skip(from).take(n - out.len()));
        Ok(out.len() < n)
    })?;
    Ok(out)
}

/// Hands every hit of `query` but `skip` to `each`, in `order`, in batches
/// of at most `window`, until `each` answers false.
pub(crate) fn walk(
    snap: &Snapshot,
    query: &dyn Query,
    order: Order,
    skip: &HashSet<DocAddress>,
    window: usize,
    each: &mut dyn FnMut(Vec<(f32, DocAddress)>) -> Result<bool>,
) -> Result<()> {
    let window = window.max(1);
    let skip = Arc::new(skip.clone());
    let mut after: Option<Place> = None;
    loop {
        let batch = window_after(snap, query, order, after, &skip, window)?;
        let full = batch.len() == window;
        let Some(&(key, addr, _)) = batch.last() else {
            return Ok(());
        };
        after = Some((key, addr));
        let hits = batch
            .into_iter()
            .map(|(_, addr, score)| (score, addr))
            .collect();
        if !each(hits)? || !full {
            return Ok(());
        }
    }
}

/// The best `n` hits after `after` (all of them from the top when `None`):
/// (key, address, score), in order.
fn window_after(
    snap: &Snapshot,
    query: &dyn Query,
    order: Order,
    after: Option<Place>,
    skip: &Arc<HashSet<DocAddress>>,
    n: usize,
) -> Result<Vec<(f64, DocAddress, f32)>> {
    let searcher = snap.searcher();
    let captions = snap.caption_docs();
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    // Segment by segment, each merged into the best so far at once: a
    // search would hold every segment's best `n` until the end.
    let mut found: Vec<(f64, DocAddress)> = Vec::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let ord = ord as u32;
        let (captions, skip) = (captions.clone(), skip.clone());
        let keyed = move |segment: &SegmentReader| -> Box<dyn Fn(DocId, Score) -> f64> {
            let key: Box<dyn Fn(DocId, Score) -> f64> = match order {
                Order::Relevance => {
                    let tweak = captions_below_key(captions.as_ref(), segment);
                    Box::new(move |doc, score| f64::from(tweak(doc, score)))
                }
                Order::Position => {
                    let numbers = segment.fast_fields().u64("paragraph").ok();
                    Box::new(move |doc, _| {
                        let n = numbers.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
                        -(n as f64)
                    })
                }
            };
            let skip = skip.clone();
            Box::new(move |doc, score| {
                let k = key(doc, score);
                let addr = DocAddress::new(ord, doc);
                let done = after.is_some_and(|(ak, aa)| k > ak || (k == ak && addr <= aa));
                if done || skip.contains(&addr) {
                    f64::NEG_INFINITY
                } else {
                    k
                }
            })
        };
        let collector = TopDocs::with_limit(n).tweak_score(keyed);
        let fruit = collector.collect_segment(weight.as_ref(), ord, segment)?;
        found.extend(collector.merge_fruits(vec![fruit])?);
        found.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        found.truncate(n);
    }
    // The hits left out sort last with the lowest key; a window shorter than
    // `n` ends with them.
    let kept = found
        .into_iter()
        .filter(|(k, _)| *k != f64::NEG_INFINITY)
        .map(|(k, addr)| {
            let score = match order {
                Order::Relevance => k as f32,
                Order::Position => 0.0,
            };
            (k, addr, score)
        })
        .collect();
    Ok(kept)
}
