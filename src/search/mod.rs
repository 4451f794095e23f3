//! Search: the query language compiled to Tantivy, hits with highlights as
//! absolute char offsets into their document.

mod highlight;
pub(crate) mod hybrid;
mod order;
pub(crate) mod query;
mod similar;

use std::collections::HashSet;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur as TOccur, PhraseQuery, Query,
    TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use crate::error::{Error, Result};
use crate::index::Fields;
use crate::model::{Document, Passage, Span};
use crate::snapshot::{Scored, Snapshot};
#[cfg(test)]
use highlight::highlight;
use highlight::PageWord;
pub(crate) use highlight::{Analysis, Highlighter, Pattern};
pub(crate) use order::Order;
use order::{captions_below, CAPTION_WEIGHT};
use query::{Clause, Node, Occur, Parsed};

/// A query ready to run, plus what to highlight.
pub(crate) struct Compiled {
    /// The Tantivy query.
    pub query: Box<dyn Query>,
    /// Positive terms and phrases, for highlighting.
    pub patterns: Vec<Pattern>,
    /// Whether the query starts from every passage (filters or exclusions
    /// alone), so its work is bounded by the corpus, not by its terms.
    pub scans_all: bool,
    /// For plain words, the query split in two: the words with the filters
    /// (what matches, and the BM25 that top-k pruning can bound) and the
    /// proximity clause (which changes no match, only the ranking).
    pub rescore: Option<Rescore>,
}

impl Compiled {
    /// How its pages are ordered: by relevance when it has words or
    /// phrases, by passage when it is filters alone (every score ties).
    pub(crate) fn order(&self) -> Order {
        if self.patterns.is_empty() {
            Order::Position
        } else {
            Order::Relevance
        }
    }
}

/// A plain-word query in the two parts [`run_rescored`] runs apart.
pub(crate) struct Rescore {
    /// The words and the filters: the same matches as the whole query.
    pub core: Box<dyn Query>,
    /// The proximity clause, added to the score of the passages it matches.
    pub near: Box<dyn Query>,
}

/// Filters added outside the query string (CLI flags, API parameters).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Keep only this document.
    pub doc: Option<String>,
    /// Keep only this kind.
    pub kind: Option<String>,
}

fn terms_of(analysis: Analysis, text: &str) -> Vec<String> {
    let tokens = match analysis {
        Analysis::Stemmed => crate::analysis::stemmed(text),
        Analysis::Exact => crate::analysis::exact(text),
    };
    tokens.into_iter().map(|t| t.text).collect()
}

fn token_query(field: tantivy::schema::Field, tokens: &[String]) -> Box<dyn Query> {
    let terms: Vec<Term> = tokens
        .iter()
        .map(|t| Term::from_field_text(field, t))
        .collect();
    if terms.len() == 1 {
        Box::new(TermQuery::new(
            terms[0].clone(),
            IndexRecordOption::WithFreqs,
        ))
    } else {
        Box::new(PhraseQuery::new(terms))
    }
}

/// Compiles one node; `None` when it has no searchable tokens.
fn compile_node(
    node: &Node,
    fields: &Fields,
    positive: bool,
    patterns: &mut Vec<Pattern>,
) -> Option<Box<dyn Query>> {
    let (analysis, field, text) = match node {
        Node::Term(w) => (Analysis::Stemmed, fields.body, w),
        Node::Phrase(p) => (Analysis::Exact, fields.exact, p),
        Node::Group(clauses) => return compile_clauses(clauses, fields, positive, patterns),
    };
    let tokens = terms_of(analysis, text);
    if tokens.is_empty() {
        return None;
    }
    let joined = match node {
        Node::Term(w) if tokens.len() > 1 => closed_stem(w, tokens.len()),
        _ => None,
    };
    let q = token_query(field, &tokens);
    // A hyphenated word matches as written or closed up: the index holds
    // every hyphenated compound's closed form too, so the closed term finds
    // both spellings.
    let q = match &joined {
        Some(j) => Box::new(BooleanQuery::new(vec![
            (TOccur::Should, q),
            (TOccur::Should, token_query(field, std::slice::from_ref(j))),
        ])),
        None => q,
    };
    if positive {
        patterns.push(Pattern {
            analysis,
            tokens,
            joined,
        });
    }
    Some(q)
}

/// The stem of a query word's closed form when the whole word is one
/// hyphenated compound of `parts` analyzed tokens (`home-grown` gives
/// `homegrown`).
fn closed_stem(word: &str, parts: usize) -> Option<String> {
    let tokens = crate::analysis::tokenize(word);
    match crate::analysis::compounds(word, &tokens).as_slice() {
        [c] if c.parts == (0..tokens.len()) && tokens.len() == parts => {
            Some(crate::analysis::stem(&c.joined))
        }
        _ => None,
    }
}

fn compile_clauses(
    clauses: &[Clause],
    fields: &Fields,
    positive: bool,
    patterns: &mut Vec<Pattern>,
) -> Option<Box<dyn Query>> {
    let mut subs: Vec<(TOccur, Box<dyn Query>)> = Vec::new();
    let mut has_positive = false;
    for c in clauses {
        let occur = match c.occur {
            Occur::Should => TOccur::Should,
            Occur::Must => TOccur::Must,
            Occur::MustNot => TOccur::MustNot,
        };
        let pos = positive && c.occur != Occur::MustNot;
        if let Some(q) = compile_node(&c.node, fields, pos, patterns) {
            has_positive |= occur != TOccur::MustNot;
            subs.push((occur, q));
        }
    }
    if subs.is_empty() {
        return None;
    }
    if !has_positive {
        subs.push((TOccur::Must, Box::new(AllQuery)));
    }
    Some(Box::new(BooleanQuery::new(subs)))
}

fn any_of(field: tantivy::schema::Field, values: &[String]) -> Box<dyn Query> {
    let subs = values
        .iter()
        .map(|v| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ));
            (TOccur::Should, q)
        })
        .collect();
    Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(subs)), 0.0))
}

/// Most moves between a plain query's words, in order, for the proximity
/// clause to count them as standing together.
const PROXIMITY_SLOP: u32 = 2;
/// Weight of the proximity clause beside the words' own BM25.
const PROXIMITY_BOOST: f32 = 1.0;
/// Longest plain query (in analyzed words) given a proximity clause; a
/// longer one (a pasted claim or question) seldom holds its words together.
const PROXIMITY_MAX_WORDS: usize = 8;

/// For a query of bare words only: a sloppy phrase of all its words, in
/// order, as an optional clause. It changes no match, only the ranking:
/// passages where the words stand together rank above passages where they
/// are scattered. `patterns` are the query's positive words, already
/// analyzed, in order.
fn proximity(parsed: &Parsed, patterns: &[Pattern], fields: &Fields) -> Option<Box<dyn Query>> {
    let bare_words = parsed
        .clauses
        .iter()
        .filter(|c| c.occur != Occur::MustNot)
        .all(|c| matches!(c.node, Node::Term(_)));
    let tokens: Vec<&String> = patterns.iter().flat_map(|p| &p.tokens).collect();
    if !bare_words || !(2..=PROXIMITY_MAX_WORDS).contains(&tokens.len()) {
        return None;
    }
    let terms = tokens
        .iter()
        .map(|t| Term::from_field_text(fields.body, t))
        .collect();
    let mut phrase = PhraseQuery::new(terms);
    phrase.set_slop(PROXIMITY_SLOP);
    Some(Box::new(BoostQuery::new(Box::new(phrase), PROXIMITY_BOOST)))
}

/// A query's fact filters, resolved to the documents they name.
#[derive(Debug, Clone, Default)]
pub(crate) struct FactDocs {
    /// Per fact filter to keep, the documents that have it (all must hold).
    pub keep: Vec<Vec<String>>,
    /// Documents that have a fact filter to drop.
    pub drop: Vec<String>,
}

impl FactDocs {
    /// Resolves the fact filters of `parsed` against a snapshot's documents.
    pub(crate) fn resolve(snap: &Snapshot, parsed: &Parsed) -> FactDocs {
        FactDocs {
            keep: parsed
                .facts
                .iter()
                .map(|(k, v)| snap.documents_with_fact(k, v))
                .collect(),
            drop: parsed
                .not_facts
                .iter()
                .flat_map(|(k, v)| snap.documents_with_fact(k, v))
                .collect(),
        }
    }
}

/// Parses a query, reading the snapshot's fact keys as filters.
pub(crate) fn parse_for(snap: &Snapshot, query: &str) -> Parsed {
    query::parse_with(query, &|name| snap.is_fact_filter(name))
}

/// Compiles a parsed query and extra filters into a Tantivy query.
pub(crate) fn compile(
    parsed: &Parsed,
    filters: &Filters,
    fields: &Fields,
    facts: &FactDocs,
) -> Result<Compiled> {
    let mut patterns = Vec::new();
    let core = compile_clauses(&parsed.clauses, fields, true, &mut patterns);
    let has_filter = !(parsed.docs.is_empty()
        && parsed.kinds.is_empty()
        && facts.keep.is_empty()
        && filters.doc.is_none()
        && filters.kind.is_none());
    let scans_all = core.is_none();
    let mut split: Option<(Box<dyn Query>, Box<dyn Query>)> = None;
    let core = match core {
        Some(q) => match proximity(parsed, &patterns, fields) {
            Some(near) => {
                split = Some((q.box_clone(), near.box_clone()));
                Box::new(BooleanQuery::new(vec![
                    (TOccur::Must, q),
                    (TOccur::Should, near),
                ]))
            }
            None => q,
        },
        None if has_filter
            || !(parsed.not_docs.is_empty()
                && parsed.not_kinds.is_empty()
                && parsed.not_facts.is_empty()) =>
        {
            Box::new(AllQuery)
        }
        None => {
            return Err(Error::InvalidQuery(
                "the query has no searchable words".into(),
            ))
        }
    };
    let mut top: Vec<(TOccur, Box<dyn Query>)> = vec![(TOccur::Must, core)];
    for (field, values) in [(fields.doc_id, &parsed.docs), (fields.kind, &parsed.kinds)] {
        if !values.is_empty() {
            top.push((TOccur::Must, any_of(field, values)));
        }
    }
    // A fact filter no document has matches nothing (an empty `any_of`).
    for docs in &facts.keep {
        top.push((TOccur::Must, any_of(fields.doc_id, docs)));
    }
    if !facts.drop.is_empty() {
        top.push((TOccur::MustNot, any_of(fields.doc_id, &facts.drop)));
    }
    for (field, value) in [(fields.doc_id, &filters.doc), (fields.kind, &filters.kind)] {
        if let Some(v) = value {
            top.push((TOccur::Must, any_of(field, std::slice::from_ref(v))));
        }
    }
    for (field, values) in [
        (fields.doc_id, &parsed.not_docs),
        (fields.kind, &parsed.not_kinds),
    ] {
        if !values.is_empty() {
            top.push((TOccur::MustNot, any_of(field, values)));
        }
    }
    let rescore = split.map(|(words, near)| {
        let mut parts: Vec<(TOccur, Box<dyn Query>)> =
            top.iter().map(|(o, q)| (*o, q.box_clone())).collect();
        parts[0].1 = words;
        Rescore {
            core: if parts.len() == 1 {
                parts.pop().expect("one clause").1
            } else {
                Box::new(BooleanQuery::new(parts))
            },
            near,
        }
    });
    let query: Box<dyn Query> = if top.len() == 1 {
        top.pop().expect("one clause").1
    } else {
        Box::new(BooleanQuery::new(top))
    };
    Ok(Compiled {
        query,
        patterns,
        scans_all,
        rescore,
    })
}

/// Largest page a search may ask for.
pub const MAX_LIMIT: usize = 100;

/// What a search asks for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The query string in verbatim's syntax.
    pub query: String,
    /// Page size (1..=[`MAX_LIMIT`], or 0 for the total only).
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Extra filters.
    pub filters: Filters,
    /// Lexical or hybrid ranking; `None` chooses (see [`SearchMode`]).
    pub mode: Option<SearchMode>,
}

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

/// One hit, resolved against the corpus.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    /// Its document.
    pub doc: &'a Document,
    /// Its passage.
    pub passage: Passage,
    /// BM25 score, or in hybrid mode the mixed score (0 to 1).
    pub score: f32,
    /// Matched terms, as absolute char spans into the document.
    pub highlights: Vec<Span>,
}

impl<'a> Hit<'a> {
    /// A hit shown without highlights (nearest passages, exports).
    pub(crate) fn plain(s: Scored<'a>) -> Self {
        Hit {
            doc: s.doc,
            passage: s.passage,
            score: s.score,
            highlights: Vec::new(),
        }
    }
}

/// A page of search results.
#[derive(Debug, Clone)]
pub struct SearchPage<'a> {
    /// Exact number of matching passages.
    pub total: usize,
    /// This page's hits, best first.
    pub hits: Vec<Hit<'a>>,
    /// The page's near-duplicates: for each group in rank order, the index
    /// in `hits` of its best-ranked passage and of the passages like it
    /// (near-identical text, often in other documents). Every index of
    /// `hits` is in exactly one group.
    pub groups: Vec<(usize, Vec<usize>)>,
    /// How they were ranked.
    pub mode: SearchMode,
    /// How the query was read, in its own syntax, when part of it was an
    /// operator or was dropped (`Honda NOT Sony` → `Honda -Sony`).
    pub read_as: Option<String>,
    /// What the parser dropped (empty phrases, stray parentheses, signs
    /// with nothing after them).
    pub dropped: Vec<String>,
}

/// Postings a search may read and still run on the async runtime's thread
/// rather than the blocking pool: at tens of nanoseconds a posting, about
/// 100 µs of work, less than handing it to another thread costs in latency.
const QUICK_POSTINGS: u64 = 4_000;
/// Hits a page may hold and still run on the runtime's thread: each is
/// resolved, tokenized, highlighted and grouped, a few µs for a short
/// passage. The default page; a passage's length is not counted.
const QUICK_HITS: usize = 10;

/// A search parsed and compiled, not yet run: what it will cost is known
/// before it is given a thread.
pub(crate) struct Prepared {
    /// The query as parsed (for `read_as` and `dropped`).
    parsed: Parsed,
    /// The query as compiled.
    compiled: Compiled,
    /// How the page is ordered.
    order: Order,
    /// Whether to rank hybrid.
    hybrid: bool,
    /// The query's vector when the model has already read this query
    /// (hybrid only); otherwise the model runs when the search does.
    vector: Option<crate::vectors::Vector>,
    /// The page size asked for (part of the cost).
    limit: usize,
}

/// Parses and compiles a search.
pub(crate) fn prepare(snap: &Snapshot, req: &SearchRequest) -> Result<Prepared> {
    check_limit(req)?;
    let parsed = parse_for(snap, &req.query);
    let facts = FactDocs::resolve(snap, &parsed);
    prepare_parsed(snap, req, parsed, &facts)
}

/// [`prepare`] when both preparing and running the search are cheap enough
/// for the caller's thread ([`Prepared::is_quick`]); `None` when it belongs
/// on the blocking pool, whole. A query naming a fact goes there: the first
/// one builds the snapshot's fact table from every document, and each
/// resolves against every document that has the fact.
pub(crate) fn prepare_quick(snap: &Snapshot, req: &SearchRequest) -> Result<Option<Prepared>> {
    check_limit(req)?;
    if req.limit > QUICK_HITS {
        return Ok(None);
    }
    let unknown = std::cell::Cell::new(false);
    let parsed = query::parse_with(&req.query, &|name| {
        snap.is_known_fact_filter(name).unwrap_or_else(|| {
            unknown.set(true);
            false
        })
    });
    if unknown.get() || !(parsed.facts.is_empty() && parsed.not_facts.is_empty()) {
        return Ok(None);
    }
    let prepared = prepare_parsed(snap, req, parsed, &FactDocs::default())?;
    Ok(prepared.is_quick(snap).then_some(prepared))
}

fn check_limit(req: &SearchRequest) -> Result<()> {
    if req.limit > MAX_LIMIT {
        return Err(Error::InvalidParameter(format!(
            "limit must be at most {MAX_LIMIT}"
        )));
    }
    Ok(())
}

/// Compiles a parsed search whose fact filters are resolved.
fn prepare_parsed(
    snap: &Snapshot,
    req: &SearchRequest,
    parsed: Parsed,
    facts: &FactDocs,
) -> Result<Prepared> {
    let compiled = compile(&parsed, &req.filters, snap.fields(), facts)?;
    let order = compiled.order();
    let hybrid = wants_hybrid(snap, req.mode, &parsed)? && order == Order::Relevance;
    let vector = match snap.vectors() {
        Some(v) if hybrid => v.recent_query(&req.query),
        _ => None,
    };
    Ok(Prepared {
        parsed,
        compiled,
        order,
        hybrid,
        vector,
        limit: req.limit,
    })
}

impl Prepared {
    /// Whether the search is small enough to run where it is asked, without
    /// a hop to the blocking pool: no model run, at most [`QUICK_POSTINGS`]
    /// postings to read and at most [`QUICK_HITS`] hits to show.
    fn is_quick(&self, snap: &Snapshot) -> bool {
        self.limit <= QUICK_HITS
            && self
                .postings(snap)
                .is_some_and(|postings| postings <= QUICK_POSTINGS)
    }

    /// How many postings the search reads at most (every passage when it
    /// starts from all of them), or `None` when it must run the model.
    fn postings(&self, snap: &Snapshot) -> Option<u64> {
        if self.hybrid && self.vector.is_none() {
            return None;
        }
        let searcher = snap.searcher();
        let mut postings = if self.compiled.scans_all {
            snap.passage_count() as u64
        } else {
            0
        };
        self.compiled.query.query_terms(&mut |term, _| {
            postings = postings.saturating_add(searcher.doc_freq(term).unwrap_or(u64::MAX));
        });
        Some(postings)
    }
}

/// Runs a search: one page of hits with highlights, and the exact total.
pub(crate) fn search<'a>(snap: &'a Snapshot, req: &SearchRequest) -> Result<SearchPage<'a>> {
    run_prepared(snap, req, prepare(snap, req)?)
}

/// Runs a prepared search (see [`search`]).
pub(crate) fn run_prepared<'a>(
    snap: &'a Snapshot,
    req: &SearchRequest,
    prepared: Prepared,
) -> Result<SearchPage<'a>> {
    let Prepared {
        parsed,
        compiled,
        order,
        hybrid,
        vector,
        ..
    } = prepared;
    let q = compiled.query.as_ref();
    let (total, found, mode) = if hybrid {
        run_hybrid(snap, q, &req.query, vector, req.limit, req.offset)?
    } else {
        let (total, found) = match &compiled.rescore {
            Some(r) if order == Order::Relevance => {
                run_rescored(snap, r, q, req.limit, req.offset)?
            }
            _ => run(snap, q, req.limit, req.offset, order)?,
        };
        (total, found, SearchMode::Lexical)
    };
    // Each hit's passage is tokenized once, each word meeting the
    // highlighter once: its id then serves the highlights and the
    // near-duplicate groups, which compare ids instead of text.
    let mut highlighter = Highlighter::new(&compiled.patterns);
    let words: Vec<Vec<PageWord>> = found
        .iter()
        .map(|s| highlighter.page_words(s.doc.passage_text(&s.passage)))
        .collect();
    let hits: Vec<Hit> = found
        .into_iter()
        .zip(&words)
        .map(|(s, w)| {
            let text = s.doc.passage_text(&s.passage);
            Hit {
                highlights: highlighter.spans_of_words(text, s.passage.span.start, w),
                ..Hit::plain(s)
            }
        })
        .collect();
    let ids: Vec<Vec<u32>> = words
        .iter()
        .map(|w| w.iter().map(|w| w.id).collect())
        .collect();
    Ok(SearchPage {
        total,
        groups: similar::group_ids(&ids, highlighter.word_count()),
        hits,
        mode,
        read_as: parsed.read_as(),
        dropped: parsed.dropped,
    })
}

/// `items` (best first, each given with its folded words) folded into
/// near-duplicate groups by search's rule ([`similar::group`]): each
/// group's best-ranked item with the others, in rank order.
pub(crate) fn fold_similar<T>(items: Vec<T>, words: &[Vec<&str>]) -> Vec<(T, Vec<T>)> {
    let groups = similar::group(words);
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    groups
        .into_iter()
        .filter_map(|(lead, more)| {
            let lead = slots[lead].take()?;
            Some((
                lead,
                more.into_iter().filter_map(|i| slots[i].take()).collect(),
            ))
        })
        .collect()
}

/// Whether to rank hybrid: as asked, else for plain words when vectors are on.
fn wants_hybrid(snap: &Snapshot, mode: Option<SearchMode>, parsed: &Parsed) -> Result<bool> {
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
fn is_plain_words(parsed: &Parsed) -> bool {
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
fn run_hybrid<'a>(
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
fn rescored_pool(snap: &Snapshot, r: &Rescore) -> Result<Vec<(f32, tantivy::DocAddress)>> {
    use tantivy::query::{EnableScoring, Scorer};
    use tantivy::DocSet;
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
        while i < cands.len() && cands[i].1.segment_ord == ord {
            let (score, addr) = &mut cands[i];
            if scorer.doc() <= addr.doc_id && scorer.seek(addr.doc_id) == addr.doc_id {
                *score += scorer.score();
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
fn top(
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::analysis::{analyze, stemmed_analyzer};

    /// The default corpus, indexed without vectors, in a temporary folder.
    fn seed_engine() -> (crate::Engine, tempfile::TempDir) {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let docs = crate::ingest::load_corpus(&corpus).unwrap().documents;
        let dir = tempfile::tempdir().unwrap();
        let engine = crate::Engine::build(docs, dir.path(), crate::VectorMode::Off).unwrap();
        (engine, dir)
    }

    /// A query compiled with no filters.
    fn compiled(snap: &Snapshot, q: &str) -> Compiled {
        compile(
            &query::parse(q),
            &Filters::default(),
            snap.fields(),
            &FactDocs::default(),
        )
        .unwrap()
    }

    /// The two-pass plain-word page ranks exactly as the one-pass query
    /// when the words' best [`RESCORE_POOL`] hold every match (the seed
    /// corpus), captions included, at every offset, with the same total.
    #[test]
    fn rescored_pages_rank_as_the_whole_query() {
        let (engine, _dir) = seed_engine();
        let snap = engine.snapshot();
        let mut checked = 0;
        for q in [
            "robots",
            "japan robots",
            "sovereign ai model",
            "labor shortages",
            "humanoid robot",
            "10 million robots",
            "japan ai strategy",
            "foundation model",
            "arxiv sources",
            "honda sony nec",
            "data graphs",
            "aging population workforce",
        ] {
            let c = compiled(snap, q);
            let Some(r) = &c.rescore else { continue };
            for (limit, offset) in [(10, 0), (5, 3), (1, 0), (0, 0)] {
                let (t1, a) = run(snap, c.query.as_ref(), limit, offset, Order::Relevance).unwrap();
                let (t2, b) = run_rescored(snap, r, c.query.as_ref(), limit, offset).unwrap();
                assert_eq!(t1, t2, "{q}: total");
                let key = |v: &[Scored<'_>]| -> Vec<(String, usize)> {
                    v.iter()
                        .map(|s| (s.doc.meta.id.clone(), s.passage.number))
                        .collect()
                };
                assert_eq!(key(&a), key(&b), "{q} at {offset}+{limit}");
                for (x, y) in a.iter().zip(&b) {
                    assert!(
                        (x.score - y.score).abs() < 1e-4,
                        "{q}: {} vs {}",
                        x.score,
                        y.score
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 30, "{checked} pages compared");
    }

    /// What the caller's thread may prepare: small plain searches, never
    /// one that names a fact (the first such builds the fact table from
    /// every document, so it must not run on the async runtime) nor a large
    /// page; and the result is the same search the pool would prepare.
    #[test]
    fn quick_preparation_leaves_document_walks_to_the_pool() {
        let (engine, _dir) = seed_engine();
        let snap = engine.snapshot();
        let req = |q: &str, limit: usize| SearchRequest {
            limit,
            ..request(q)
        };
        for q in [
            "country:japan",
            "sources -country:japan",
            "robots publisher:x",
        ] {
            assert!(prepare_quick(snap, &req(q, 10)).unwrap().is_none(), "{q}");
        }
        assert_eq!(snap.is_known_fact_filter("country"), None, "no table built");
        assert!(prepare_quick(snap, &req("robots", 100)).unwrap().is_none());
        let quick = prepare_quick(snap, &req("robots", 10))
            .unwrap()
            .expect("quick");
        let here = run_prepared(snap, &req("robots", 10), quick).unwrap();
        let pooled = search(snap, &req("robots", 10)).unwrap();
        assert_eq!(cited(&here), cited(&pooled));
        assert!(here.total > 0);
        // Once a pooled search has built the table, a name that is no fact
        // stays a word on the caller's thread; a fact still goes to the pool.
        search(snap, &req("country:japan", 10)).unwrap();
        assert_eq!(snap.is_known_fact_filter("country"), Some(true));
        assert!(prepare_quick(snap, &req("note: robots", 10))
            .unwrap()
            .is_some());
        assert!(prepare_quick(snap, &req("country:japan", 10))
            .unwrap()
            .is_none());
        assert!(matches!(
            prepare_quick(snap, &req("robots", MAX_LIMIT + 1)),
            Err(Error::InvalidParameter(_))
        ));
    }

    /// The windowed walk reads a ranking exactly as one top-k pass does,
    /// ties and captions included, whatever its window, so a deep page and
    /// an export list the hits the pages list, each once, in their order.
    #[test]
    fn windowed_walk_ranks_as_one_pass() {
        let (seed, _seed_dir) = seed_engine();
        // Every passage of the tie corpus scores alike for `robots`.
        let docs = (0..23)
            .map(|i| {
                let text = if i % 5 == 0 {
                    format!("Note {i}.\n\nRobots build robots near factories.")
                } else {
                    "Robots build robots.\n\nFactories wait.".to_string()
                };
                crate::ingest::parse_document(Path::new(&format!("t{i}.txt")), &text).unwrap()
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let ties = crate::Engine::build(docs, dir.path(), crate::VectorMode::Off).unwrap();
        let none = HashSet::new();
        let mut checked = 0;
        for (engine, queries) in [
            (
                &seed,
                &["robots", "japan robots", "kind:article", "-robots"][..],
            ),
            (
                &ties,
                &["robots", "factories robots", "doc:t5 OR doc:t7"][..],
            ),
        ] {
            let snap = engine.snapshot();
            for q in queries {
                let c = compiled(snap, q);
                let order = c.order();
                let total = snap.searcher().search(c.query.as_ref(), &Count).unwrap();
                assert!(total > 3, "{q}: {total} hits");
                let one = top(snap, c.query.as_ref(), order, total, 0, &none).unwrap();
                assert_eq!(one.len(), total, "{q}");
                let skip: HashSet<_> = one.iter().step_by(3).map(|(_, a)| *a).collect();
                let kept: Vec<_> = one.iter().filter(|(_, a)| !skip.contains(a)).collect();
                for window in [1, 2, 3, 7, 100] {
                    let mut walked = Vec::new();
                    order::walk(snap, c.query.as_ref(), order, &none, window, &mut |b| {
                        assert!(!b.is_empty() && b.len() <= window);
                        walked.extend(b);
                        Ok(true)
                    })
                    .unwrap();
                    assert_eq!(walked, one, "{q}: window {window}");
                    let mut rest = Vec::new();
                    order::walk(snap, c.query.as_ref(), order, &skip, window, &mut |b| {
                        rest.extend(b);
                        Ok(true)
                    })
                    .unwrap();
                    assert_eq!(rest.iter().collect::<Vec<_>>(), kept, "{q}: skip");
                    for (n, offset) in [(5, 0), (3, 4), (10, total - 2), (2, total)] {
                        let page =
                            order::ranked(snap, c.query.as_ref(), order, n, offset, &none, window)
                                .unwrap();
                        let want: Vec<_> = one.iter().skip(offset).take(n).copied().collect();
                        assert_eq!(page, want, "{q}: {n} at {offset}, window {window}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked >= 100, "{checked} pages compared");
    }

    /// An export lists every hit once, in the order the pages list them,
    /// however small its batches.
    #[test]
    fn export_lists_the_pages_order() {
        let (engine, _dir) = seed_engine();
        let snap = engine.snapshot();
        for q in [
            "robots",
            "japan robots",
            "\"sovereign AI\"",
            "kind:source-note",
            "robot*",
        ] {
            let req = SearchRequest {
                limit: 100,
                ..request(q)
            };
            let page = search(snap, &req).unwrap();
            let want: Vec<(String, usize)> = page
                .hits
                .iter()
                .map(|h| (h.doc.meta.id.clone(), h.passage.number))
                .collect();
            assert!(page.total <= 100 && !want.is_empty(), "{q}: {}", page.total);
            for window in [1, 4, 1000] {
                let mut got = Vec::new();
                export(
                    snap,
                    q,
                    &Filters::default(),
                    Some(SearchMode::Lexical),
                    window,
                    &mut |b| {
                        got.extend(b.iter().map(|s| (s.doc.meta.id.clone(), s.passage.number)));
                        true
                    },
                )
                .unwrap();
                assert_eq!(got, want, "{q}: window {window}");
            }
            let mut batches = 0;
            export(
                snap,
                q,
                &Filters::default(),
                Some(SearchMode::Lexical),
                1,
                &mut |_| {
                    batches += 1;
                    false
                },
            )
            .unwrap();
            assert_eq!(batches, 1, "{q}: a batch refused ends the export");
        }
    }

    /// Past the rescored pool, pages continue in the one-pass order without
    /// repeating a pooled hit: every hit is reached exactly once.
    #[test]
    fn rescored_paging_reaches_every_hit_once() {
        let docs = (0..260)
            .map(|i| {
                let text = format!(
                    "Passage {i} says robots {} and factories {}.",
                    if i % 3 == 0 {
                        "near factories"
                    } else {
                        "far away"
                    },
                    "x ".repeat(i % 7)
                );
                crate::ingest::parse_document(Path::new(&format!("d{i}.txt")), &text).unwrap()
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let engine = crate::Engine::build(docs, dir.path(), crate::VectorMode::Off).unwrap();
        let snap = engine.snapshot();
        let c = compiled(snap, "robots factories");
        let r = c.rescore.as_ref().expect("plain words are rescored");
        let (total, _) = run_rescored(snap, r, c.query.as_ref(), 0, 0).unwrap();
        assert_eq!(total, 260);
        let mut seen = std::collections::HashSet::new();
        for offset in (0..total).step_by(30) {
            let (_, page) = run_rescored(snap, r, c.query.as_ref(), 30, offset).unwrap();
            for s in page {
                assert!(
                    seen.insert(s.doc.meta.id.clone()),
                    "{} twice",
                    s.doc.meta.id
                );
            }
        }
        assert_eq!(seen.len(), total);
        let (_, all) = run_rescored(snap, r, c.query.as_ref(), total, 0).unwrap();
        assert_eq!(all.len(), total);
    }

    /// A page's hits as (document, passage, highlights).
    fn cited(page: &SearchPage<'_>) -> Vec<(String, usize, Vec<Span>)> {
        page.hits
            .iter()
            .map(|h| {
                (
                    h.doc.meta.id.clone(),
                    h.passage.number,
                    h.highlights.clone(),
                )
            })
            .collect()
    }

    fn request(query: &str) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            limit: 10,
            ..Default::default()
        }
    }

    /// A one-word search reads exactly the word's postings, which is how
    /// many passages it finds, and a ten-hit page of it runs inline on the
    /// seed corpus, a full page does not; a search made of filters alone
    /// starts from every passage; either way the page is the one `search`
    /// returns.
    #[test]
    fn a_search_knows_its_cost_before_it_runs() {
        let (engine, _dir) = seed_engine();
        let snap = engine.snapshot();
        for word in ["robots", "Japan", "sovereign", "nowordlikethis"] {
            let req = request(word);
            let prepared = prepare(snap, &req).unwrap();
            let total = search(snap, &req).unwrap().total as u64;
            assert_eq!(prepared.postings(snap), Some(total), "{word}");
            assert!(prepared.is_quick(snap));
        }
        let mut page = request("robots");
        page.limit = MAX_LIMIT;
        assert!(
            !prepare(snap, &page).unwrap().is_quick(snap),
            "a page of {MAX_LIMIT} hits goes to the pool"
        );
        let req = request("-kind:note");
        let prepared = prepare(snap, &req).unwrap();
        assert!(prepared.postings(snap).unwrap() >= snap.passage_count() as u64);
        let want = cited(&search(snap, &req).unwrap());
        let got = cited(&run_prepared(snap, &req, prepared).unwrap());
        assert_eq!(got, want);
    }

    /// A page on a large corpus is too much work for the runtime's thread:
    /// past [`QUICK_POSTINGS`] the search goes to the blocking pool.
    #[test]
    fn a_search_over_many_postings_is_not_quick() {
        let text: String = (0..QUICK_POSTINGS + 10)
            .map(|i| format!("Robots number {i} work here.\n\n"))
            .collect();
        let doc = crate::ingest::parse_document(Path::new("many.txt"), &text).unwrap();
        assert!(doc.segments.len() as u64 > QUICK_POSTINGS);
        let dir = tempfile::tempdir().unwrap();
        let engine = crate::Engine::build(vec![doc], dir.path(), crate::VectorMode::Off).unwrap();
        let snap = engine.snapshot();
        let many = prepare(snap, &request("robots")).unwrap();
        assert!(many.postings(snap).unwrap() > QUICK_POSTINGS);
        assert!(!many.is_quick(snap));
        let one = prepare(snap, &request("\"number 17\"")).unwrap();
        assert!(!one.is_quick(snap), "a phrase reads each word's postings");
    }

    /// A page's words are [`crate::analysis::tokenize`]'s, at the same
    /// offsets, with ids equal exactly when the folded forms are; and the
    /// highlights read from them are the ones the tokens give.
    #[test]
    fn page_words_are_the_tokens_with_ids() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let docs = crate::ingest::load_corpus(&corpus).unwrap().documents;
        let long = "x".repeat(crate::analysis::MAX_TOKEN_BYTES + 1);
        let extra = [
            format!("Ünïcode Straße, 東京の工場 and home-grown AI; {long} robots."),
            "3.14 and 1,000 units: well-being, WELL-BEING, state-of-the-art.".to_string(),
        ];
        let texts: Vec<&str> = docs
            .iter()
            .flat_map(|d| d.passages().map(|p| d.passage_text(&p)).collect::<Vec<_>>())
            .chain(extra.iter().map(String::as_str))
            .collect();
        let patterns = vec![
            Pattern::word("robot"),
            Pattern {
                analysis: Analysis::Exact,
                tokens: vec!["home".into(), "grown".into()],
                joined: None,
            },
            Pattern {
                analysis: Analysis::Stemmed,
                tokens: vec!["homegrown".into()],
                joined: None,
            },
            Pattern::word("japan"),
        ];
        let mut page = Highlighter::new(&patterns);
        let mut by_id: std::collections::HashMap<u32, String> = Default::default();
        let mut lit = 0;
        for text in texts {
            let tokens = crate::analysis::tokenize(text);
            let words = page.page_words(text);
            assert_eq!(words.len(), tokens.len());
            for (w, t) in words.iter().zip(&tokens) {
                assert_eq!((w.start, w.end), (t.start, t.end));
                let seen = by_id.entry(w.id).or_insert_with(|| t.text.clone());
                assert_eq!(*seen, t.text, "one id, two words");
            }
            let mut alone = Highlighter::new(&patterns);
            let spans = page.spans_of_words(text, 7, &words);
            assert_eq!(spans, alone.spans_in(text, 7, &tokens));
            lit += spans.len();
        }
        assert!(lit > 10, "the patterns light up the corpus ({lit} spans)");
        let distinct: HashSet<&String> = by_id.values().collect();
        assert_eq!(distinct.len(), by_id.len(), "one word, two ids");
    }

    /// Highlighting stems only words that share their first two chars with a
    /// query stem; this checks it against stemming every word, for every word
    /// of the corpus as a query and every passage.
    #[test]
    fn highlights_match_the_full_stemming_reference() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let docs = crate::ingest::load_corpus(&corpus).unwrap().documents;
        let mut words: Vec<String> = docs
            .iter()
            .flat_map(|d| {
                d.text
                    .split(|c: char| !c.is_alphanumeric())
                    .map(str::to_lowercase)
                    .collect::<Vec<_>>()
            })
            .filter(|w| w.len() > 2)
            .collect();
        words.sort();
        words.dedup();
        let mut checked = 0;
        for w in &words {
            let tokens: Vec<String> = analyze(&mut stemmed_analyzer(), w)
                .into_iter()
                .map(|t| t.text)
                .collect();
            let pattern = Pattern {
                analysis: Analysis::Stemmed,
                tokens: tokens.clone(),
                joined: None,
            };
            for d in &docs {
                for p in d.passages() {
                    let text = d.passage_text(&p);
                    let reference: Vec<(usize, usize)> = analyze(&mut stemmed_analyzer(), text)
                        .windows(tokens.len())
                        .filter(|win| win.iter().zip(&tokens).all(|(a, b)| &a.text == b))
                        .map(|win| (win[0].start, win[win.len() - 1].end))
                        .collect();
                    let got = highlight(
                        d,
                        &p,
                        &crate::analysis::tokenize(text),
                        std::slice::from_ref(&pattern),
                    );
                    let got_bytes: Vec<String> = got
                        .iter()
                        .map(|s| d.slice_chars(*s).unwrap().to_string())
                        .collect();
                    let want: Vec<String> = reference
                        .iter()
                        .map(|&(a, b)| text[a..b].to_string())
                        .collect();
                    assert_eq!(
                        got_bytes, want,
                        "query {w:?} in {}:p{}",
                        d.meta.id, p.number
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000);
    }

    /// Every word whose stem changes its first letters: the stemmer's
    /// exceptions and the British spellings (and the American ones they
    /// fold to), set at a random place in random filler, searched by any
    /// word of the same stem.
    fn irregular_words() -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = crate::analysis::STEMMER_EXCEPTIONS
            .iter()
            .map(|w| (w.to_string(), w.to_string()))
            .collect();
        for (b, a) in crate::analysis::spelling_variants() {
            out.push((b.to_string(), a.to_string()));
            out.push((a.to_string(), b.to_string()));
            if !b.ends_with('s') {
                out.push((format!("{b}s"), a.to_string()));
            }
        }
        out.push(("dying".into(), "die".into()));
        out.push(("lying".into(), "lie".into()));
        out.push(("tying".into(), "tie".into()));
        out
    }

    proptest::proptest! {
        #[test]
        fn highlights_are_right_for_every_irregular_stem(
            pick in proptest::sample::select(irregular_words()),
            before in proptest::collection::vec("[a-z]{3,8}", 0..6),
            after in proptest::collection::vec("[a-z]{3,8}", 0..6),
            capital in proptest::bool::ANY,
        ) {
            let (word, query) = pick;
            let shown = if capital {
                let mut c = word.chars();
                c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
            } else {
                word.clone()
            };
            let text = format!("{} {shown} {}.", before.join(" "), after.join(" "));
            let doc = crate::ingest::parse_document(Path::new("t.txt"), &text).unwrap();
            let tokens: Vec<String> = analyze(&mut stemmed_analyzer(), &query)
                .into_iter()
                .map(|t| t.text)
                .collect();
            let pattern = Pattern { analysis: Analysis::Stemmed, tokens: tokens.clone(), joined: None };
            let p = &doc.passage(1).unwrap();
            let words = crate::analysis::tokenize(doc.passage_text(p));
            let got: Vec<&str> = highlight(&doc, p, &words, std::slice::from_ref(&pattern))
                .iter()
                .map(|s| doc.slice_chars(*s).unwrap())
                .collect();
            // The reference: every window of the passage that the full
            // analyzer stems to the query's tokens.
            let text = doc.passage_text(p);
            let want: Vec<&str> = analyze(&mut stemmed_analyzer(), text)
                .windows(tokens.len())
                .filter(|w| w.iter().zip(&tokens).all(|(a, b)| &a.text == b))
                .map(|w| &text[w[0].start..w[w.len() - 1].end])
                .collect();
            proptest::prop_assert!(want.contains(&shown.as_str()), "{word} ~ {query}: {want:?}");
            proptest::prop_assert_eq!(got, want);
        }
    }
}
