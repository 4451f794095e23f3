//! The run strategies: hybrid, export (every hit in batches), plain
//! (Tantivy's top-k), and rescored (plain words, proximity added to a
//! pruned pool), each returning the ranked passage addresses of a page.

use std::collections::HashSet;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::Query;

use super::compiled::{compile, parse_for, FactDocs, Filters, Rescore};
use super::hybrid;
use super::order::{self, captions_below, Order, CAPTION_WEIGHT};
use super::query::{Node, Occur, Parsed};
use crate::error::{Error, Result};
use crate::snapshot::{Scored, Snapshot};

/// How hits are ranked. The set of hits and the total are the same in both
/// modes: a passage matches by its words or not at all; only the order of
/// the best [`RERANK`] differs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// BM25 alone.
    Lexical,
    /// BM25's best [`RERANK`] reordered by a mix of BM25 and the cosine of
    /// query and passage vectors ([`hybrid::fuse`]). The default for plain
    /// words when vectors are on; query syntax (phrases, `+`/`-`, groups,
    /// `doc:`/`kind:`) stays lexical unless hybrid is asked for.
    Hybrid,
}

impl SearchMode {
    /// Parses `lexical` or `hybrid`.
    pub fn parse(s: &str) -> Result<SearchMode> {
        match s {
            "lexical" => Ok(SearchMode::Lexical),
            "hybrid" => Ok(SearchMode::Hybrid),
            other => Err(Error::InvalidParameter(format!(
                "mode must be `lexical` or `hybrid`, not `{other}`"
            ))),
        }
    }
}

/// How many of BM25's best passages hybrid ranking reorders.
pub(crate) const RERANK: usize = 100;

/// Whether to rank hybrid: as asked, else for plain words when vectors are on.
pub(super) fn wants_hybrid(
    snap: &Snapshot,
    mode: Option<SearchMode>,
    parsed: &Parsed,
) -> Result<bool> {
    match mode {
        Some(SearchMode::Lexical) => Ok(false),
        Some(SearchMode::Hybrid) if snap.vectors().is_none() => Err(Error::VectorsOff(
            "this server runs lexical only; search with mode=lexical".into(),
        )),
        Some(SearchMode::Hybrid) => Ok(true),
        None => Ok(snap.vectors().is_some() && is_plain_words(parsed)),
    }
}

/// Plain words: no phrases, no `+`/`-`, no groups, no filters.
pub(super) fn is_plain_words(parsed: &Parsed) -> bool {
    parsed.docs.is_empty()
        && parsed.kinds.is_empty()
        && parsed.not_docs.is_empty()
        && parsed.not_kinds.is_empty()
        && parsed.facts.is_empty()
        && parsed.not_facts.is_empty()
        && parsed
            .clauses
            .iter()
            .all(|c| c.occur == Occur::Should && matches!(c.node, Node::Term(_)))
}

/// A page of hybrid ranking: BM25's best [`RERANK`] reordered by the mix
/// of BM25 and cosine; a page beyond them continues in BM25 order. Falls
/// back to lexical (and says so) when a candidate has no vector yet (a
/// background fill is still running).
pub(super) fn run_hybrid<'a>(
    snap: &'a Snapshot,
    query: &dyn Query,
    text: &str,
    vector: Option<crate::vectors::Vector>,
    limit: usize,
    offset: usize,
) -> Result<(usize, Vec<Scored<'a>>, SearchMode)> {
    let lexical = || -> Result<(usize, Vec<Scored<'a>>, SearchMode)> {
        let (total, found) = run(snap, query, limit, offset, Order::Relevance)?;
        Ok((total, found, SearchMode::Lexical))
    };
    let Some(vectors) = snap.vectors() else {
        return lexical();
    };
    if limit == 0 || offset >= RERANK {
        let (total, found) = run(snap, query, limit, offset, Order::Relevance)?;
        return Ok((total, found, SearchMode::Hybrid));
    }
    // Embedded before BM25 runs, so a query the model cannot read costs
    // one BM25 run, not two.
    let qv = match vector {
        Some(v) => v,
        None => match snap.embed_query(text)? {
            Some(v) => v,
            None => return lexical(),
        },
    };
    let (total, mut top) = run(snap, query, RERANK, 0, Order::Relevance)?;
    let cosines: Option<Vec<f32>> = top
        .iter()
        .map(|s| vectors.cosine(&qv, s.doc.passage_text(&s.passage)))
        .collect();
    let Some(cosines) = cosines else {
        return lexical();
    };
    let lex: Vec<f32> = top.iter().map(|s| s.score).collect();
    let mixed = hybrid::fuse(&lex, &cosines, hybrid::ALPHA);
    for (s, m) in top.iter_mut().zip(&mixed) {
        s.score = *m;
    }
    // Stable: equal mixes keep BM25's order.
    top.sort_by(|a, b| b.score.total_cmp(&a.score));
    let reranked = top.len();
    let mut page: Vec<Scored<'a>> = top.into_iter().skip(offset).take(limit).collect();
    if offset + limit > reranked && total > reranked {
        let (_, more) = run(
            snap,
            query,
            offset + limit - reranked.max(offset),
            reranked.max(offset),
            Order::Relevance,
        )?;
        page.extend(more);
    }
    Ok((total, page, SearchMode::Hybrid))
}

/// Hits an export resolves at a time: the window of its walk.
pub(crate) const EXPORT_BATCH: usize = order::WINDOW;

/// Hands every hit of a query to `each` in the pages' order, without
/// highlights, in batches of at most `window` (for export), until `each`
/// answers false. Memory follows the window, not the hit count: the head a
/// page ranks apart (the rescored pool, or hybrid's reranked best) comes
/// first, then the rest of the one-pass order through [`order::walk`].
pub(crate) fn export<'a>(
    snap: &'a Snapshot,
    query: &str,
    filters: &Filters,
    mode: Option<SearchMode>,
    window: usize,
    each: &mut dyn FnMut(Vec<Scored<'a>>) -> bool,
) -> Result<()> {
    let parsed = parse_for(snap, query);
    let facts = FactDocs::resolve(snap, &parsed);
    let compiled = compile(&parsed, filters, snap.fields(), &facts)?;
    let q = compiled.query.as_ref();
    let order = compiled.order();
    let hybrid = wants_hybrid(snap, mode, &parsed)? && order == Order::Relevance;
    let (head, skip) = if hybrid {
        let (_, head, _) = run_hybrid(snap, q, query, None, RERANK, 0)?;
        let lexical = top(snap, q, order, RERANK, 0, &HashSet::new())?;
        (head, lexical.into_iter().map(|(_, a)| a).collect())
    } else if let (Some(r), Order::Relevance) = (&compiled.rescore, order) {
        let pool = rescored_pool(snap, r)?;
        let skip = pool.iter().map(|(_, a)| *a).collect();
        (snap.resolve(pool)?, skip)
    } else {
        (Vec::new(), HashSet::new())
    };
    if !head.is_empty() && !each(head) {
        return Ok(());
    }
    order::walk(snap, q, order, &skip, window, &mut |batch| {
        Ok(each(snap.resolve(batch)?))
    })
}

/// Runs a compiled query: the exact total and one page of resolved hits.
pub(crate) fn run<'a>(
    snap: &'a Snapshot,
    query: &dyn Query,
    limit: usize,
    offset: usize,
    order: Order,
) -> Result<(usize, Vec<Scored<'a>>)> {
    let searcher = snap.searcher();
    // Counting first bounds the work of a far-off page by the hit count, so
    // no offset can make the collector allocate more than the corpus holds.
    let (top, total) = if limit == 0 || offset > 0 || order == Order::Position {
        let total = searcher.search(query, &Count)?;
        if limit == 0 || offset >= total {
            return Ok((total, Vec::new()));
        }
        let n = limit.min(total - offset);
        (top(snap, query, order, n, offset, &HashSet::new())?, total)
    } else {
        let page = TopDocs::with_limit(limit);
        match snap.caption_docs() {
            None => searcher.search(query, &(page.order_by_score(), Count))?,
            Some(c) => searcher.search(query, &(page.tweak_score(captions_below(c)), Count))?,
        }
    };
    Ok((total, snap.resolve(top)?))
}

/// How many of the words' best passages (by BM25 alone) the proximity
/// clause rescores, for pages that end within them.
pub(crate) const RESCORE_POOL: usize = 100;

/// A plain-word page in two passes that can each prune: the exact total
/// from a count of the words (the proximity clause changes no match), and
/// the words' [`RESCORE_POOL`] best passages by BM25 (a union of terms,
/// which Tantivy's top-k collection bounds without scoring every match),
/// each given the proximity clause's score where it matches, then ranked.
/// The scores are the whole query's; only a passage outside the words'
/// best 100 could have ranked higher with its proximity score.
///
/// One order serves every page, so paging reaches every hit exactly once:
/// those 100, ranked, then every other match in the order of `whole` (the
/// one-pass query), which a page past the first 100 runs.
pub(crate) fn run_rescored<'a>(
    snap: &'a Snapshot,
    r: &Rescore,
    whole: &dyn Query,
    limit: usize,
    offset: usize,
) -> Result<(usize, Vec<Scored<'a>>)> {
    let searcher = snap.searcher();
    let total = searcher.search(r.core.as_ref(), &Count)?;
    if limit == 0 || offset >= total {
        return Ok((total, Vec::new()));
    }
    let cands = rescored_pool(snap, r)?;
    let end = offset.saturating_add(limit).min(total);
    let mut page: Vec<_> = cands.iter().skip(offset).take(limit).copied().collect();
    if end > cands.len() {
        // Past the pool: the other matches, in the one-pass order.
        let pooled: HashSet<tantivy::DocAddress> = cands.iter().map(|(_, a)| *a).collect();
        let from = offset.max(cands.len());
        page.extend(top(
            snap,
            whole,
            Order::Relevance,
            end - from,
            from - cands.len(),
            &pooled,
        )?);
    }
    Ok((total, snap.resolve(page)?))
}

/// The pool of [`run_rescored`]: the words' best [`RESCORE_POOL`] matches
/// by BM25 (fewer when fewer match), each given the proximity clause's
/// score where it matches, ranked.
pub(super) fn rescored_pool(
    snap: &Snapshot,
    r: &Rescore,
) -> Result<Vec<(f32, tantivy::DocAddress)>> {
    use tantivy::query::{EnableScoring, Scorer};
    use tantivy::{DocSet, SeekDangerResult};
    let searcher = snap.searcher();
    let mut cands: Vec<(f32, tantivy::DocAddress)> = searcher.search(
        r.core.as_ref(),
        &TopDocs::with_limit(RESCORE_POOL).order_by_score(),
    )?;
    cands.sort_by_key(|(_, a)| (a.segment_ord, a.doc_id));
    let near = r
        .near
        .weight(EnableScoring::enabled_from_searcher(searcher))?;
    let captions = snap.caption_docs();
    let mut i = 0;
    while i < cands.len() {
        let ord = cands[i].1.segment_ord;
        let segment = searcher.segment_reader(ord);
        let mut scorer = near.scorer(segment, 1.0)?;
        let caption_ids = captions.as_ref().and_then(|c| c.get(&segment.segment_id()));
        // Each candidate is only asked whether it matches: `seek` would go
        // on to the next match past a candidate that does not, which for a
        // phrase of common words walks their postings far beyond it (17% of
        // a search's profile samples at 1M passages). After a miss the scorer may be
        // left invalid: it is then only asked again, for a later doc, at
        // or past the lower bound it gave.
        let mut next_possible = scorer.doc();
        while i < cands.len() && cands[i].1.segment_ord == ord {
            let (score, addr) = &mut cands[i];
            if addr.doc_id >= next_possible {
                match scorer.seek_danger(addr.doc_id) {
                    SeekDangerResult::Found => {
                        *score += scorer.score();
                        next_possible = addr.doc_id + 1;
                    }
                    SeekDangerResult::SeekLowerBound(bound) => next_possible = bound,
                }
            }
            if caption_ids.is_some_and(|c| c.binary_search(&addr.doc_id).is_ok()) {
                *score *= CAPTION_WEIGHT;
            }
            i += 1;
        }
    }
    cands.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then((a.1.segment_ord, a.1.doc_id).cmp(&(b.1.segment_ord, b.1.doc_id)))
    });
    Ok(cands)
}

/// The hits at ranks `offset..offset + n` of a query in `order`, leaving
/// out `skip` (captions at [`CAPTION_WEIGHT`]). Within the first
/// [`order::WINDOW`] hits, one top-k pass; deeper, the windowed walk, so
/// memory never follows the offset.
pub(super) fn top(
    snap: &Snapshot,
    query: &dyn Query,
    order: Order,
    n: usize,
    offset: usize,
    skip: &HashSet<tantivy::DocAddress>,
) -> Result<Vec<(f32, tantivy::DocAddress)>> {
    let depth = offset.saturating_add(n).saturating_add(skip.len());
    if depth > order::WINDOW {
        return order::ranked(snap, query, order, n, offset, skip, order::WINDOW);
    }
    let page = TopDocs::with_limit(depth.max(1));
    let searcher = snap.searcher();
    let found = match (order, snap.caption_docs()) {
        (Order::Position, _) => searcher
            .search(
                query,
                &page.order_by_fast_field::<u64>("paragraph", tantivy::Order::Asc),
            )?
            .into_iter()
            .map(|(_, addr)| (0.0, addr))
            .collect(),
        (Order::Relevance, None) => searcher.search(query, &page.order_by_score())?,
        (Order::Relevance, Some(c)) => {
            searcher.search(query, &page.tweak_score(captions_below(c)))?
        }
    };
    Ok(found
        .into_iter()
        .filter(|(_, a)| !skip.contains(a))
        .skip(offset)
        .take(n)
        .collect())
}
