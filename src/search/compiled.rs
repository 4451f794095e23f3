//! The query language compiled to Tantivy: the query, what to highlight,
//! and for plain words the two parts that run apart (pure but for the
//! snapshot it reads the schema and facts from).

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur as TOccur, PhraseQuery, Query,
    TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use super::highlight::{Analysis, Pattern};
use super::order::Order;
use super::query;
use super::query::{Clause, Node, Occur, Parsed};
use crate::error::{Error, Result};
use crate::index::Fields;
use crate::snapshot::Snapshot;

/// Filters added outside the query string (CLI flags, API parameters).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Keep only this document.
    pub doc: Option<String>,
    /// Keep only this kind.
    pub kind: Option<String>,
}

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

pub(super) fn terms_of(analysis: Analysis, text: &str) -> Vec<String> {
    let tokens = match analysis {
        Analysis::Stemmed => crate::analysis::stemmed(text),
        Analysis::Exact => crate::analysis::exact(text),
    };
    tokens.into_iter().map(|t| t.text).collect()
}

pub(super) fn token_query(field: tantivy::schema::Field, tokens: &[String]) -> Box<dyn Query> {
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
pub(super) fn compile_node(
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
pub(super) fn closed_stem(word: &str, parts: usize) -> Option<String> {
    let tokens = crate::analysis::tokenize(word);
    match crate::analysis::compounds(word, &tokens).as_slice() {
        [c] if c.parts == (0..tokens.len()) && tokens.len() == parts => {
            Some(crate::analysis::stem(&c.joined))
        }
        _ => None,
    }
}

pub(super) fn compile_clauses(
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

pub(super) fn any_of(field: tantivy::schema::Field, values: &[String]) -> Box<dyn Query> {
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
pub(super) const PROXIMITY_SLOP: u32 = 2;
/// Weight of the proximity clause beside the words' own BM25.
pub(super) const PROXIMITY_BOOST: f32 = 1.0;
/// Longest plain query (in analyzed words) given a proximity clause; a
/// longer one (a pasted claim or question) seldom holds its words together.
pub(super) const PROXIMITY_MAX_WORDS: usize = 8;

/// For a query of bare words only: a sloppy phrase of all its words, in
/// order, as an optional clause. It changes no match, only the ranking:
/// passages where the words stand together rank above passages where they
/// are scattered. `patterns` are the query's positive words, already
/// analyzed, in order.
pub(super) fn proximity(
    parsed: &Parsed,
    patterns: &[Pattern],
    fields: &Fields,
) -> Option<Box<dyn Query>> {
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
