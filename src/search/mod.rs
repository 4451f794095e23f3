//! Search: the query language compiled to Tantivy (`compiled`), run by one
//! of the strategies (`strategy`), hits with highlights as absolute char offsets
//! into their document.

mod compiled;
mod highlight;
pub(crate) mod hybrid;
mod order;
pub(crate) mod query;
mod similar;
mod strategy;

use tantivy::query::Query;

use crate::error::{Error, Result};
use crate::model::{Document, Passage, Span};
use crate::snapshot::{Scored, Snapshot};
pub use compiled::Filters;
pub(crate) use compiled::{compile, parse_for, Compiled, FactDocs};
#[cfg(test)]
use highlight::highlight;
use highlight::PageWord;
pub(crate) use highlight::{Highlighter, Pattern};
pub(crate) use order::Order;
use query::Parsed;
pub use strategy::SearchMode;
pub(crate) use strategy::{export, run, run_rescored, EXPORT_BATCH};
use strategy::{run_hybrid, wants_hybrid};

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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use tantivy::collector::Count;

    use super::highlight::Analysis;
    use super::strategy::top;
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
    /// when the words' best [`strategy::RESCORE_POOL`] hold every match (the seed
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
