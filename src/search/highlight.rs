//! Highlights: every place a query's patterns occur in a text, as char
//! spans. The one rule for search hits and for answers' question terms:
//! stemmed words in any form that stems alike (stem exceptions such as
//! `dying` for `die` included), folded spellings, hyphenated compounds by
//! their closed form, and exact phrases as written. Pure.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::analysis::{Token, MAX_TOKEN_BYTES};
use crate::model::{Document, Passage, Span};

/// Which analysis a highlight pattern is matched with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Analysis {
    /// Stemmed, as bare words are searched.
    Stemmed,
    /// Unstemmed, as quoted phrases are searched.
    Exact,
}

/// A token sequence to highlight wherever it occurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    /// How the passage must be analyzed to compare.
    pub analysis: Analysis,
    /// Consecutive analyzed tokens.
    pub tokens: Vec<String>,
    /// For a hyphenated query word (`home-grown`), the stem of its closed
    /// form (`homegrown`), which matches too, closed or hyphenated.
    pub joined: Option<String>,
}

impl Pattern {
    /// One stemmed word, matched in any form that stems alike (an answer's
    /// question term).
    pub(crate) fn word(stem: &str) -> Pattern {
        Pattern {
            analysis: Analysis::Stemmed,
            tokens: vec![stem.to_string()],
            joined: None,
        }
    }
}

/// Finds every occurrence of every pattern in a passage; returns absolute,
/// merged char spans into the document.
#[cfg(test)]
pub(crate) fn highlight(
    doc: &Document,
    passage: &Passage,
    tokens: &[Token],
    patterns: &[Pattern],
) -> Vec<Span> {
    Highlighter::new(patterns).spans(doc, passage, tokens)
}

/// Highlights the hits of one page: what depends on the query alone is
/// worked out once, and each distinct word of the page is stemmed once.
pub(crate) struct Highlighter<'p> {
    /// The query's positive terms and phrases.
    patterns: &'p [Pattern],
    /// The first two chars of every stemmed pattern token and of every
    /// word aliased to one: a word with other first chars cannot match.
    heads: FxHashSet<(Option<char>, Option<char>)>,
    /// Stems of the page's words seen so far.
    stems: FxHashMap<String, String>,
    /// The patterns (their indexes) by their first token, so a word is
    /// checked against the few that can start at it, not against all.
    starts: FxHashMap<&'p str, Vec<usize>>,
    /// The closed forms of hyphenated query words, matched as one word.
    joined: FxHashSet<&'p str>,
    /// The stems a hyphenated compound of the text matches by its closed
    /// form: the closed forms, and every one-word stemmed pattern
    /// (`homegrown` highlights `home-grown`).
    closed: FxHashSet<&'p str>,
}

/// The first two chars of a word.
fn head(w: &str) -> (Option<char>, Option<char>) {
    let mut c = w.chars();
    (c.next(), c.next())
}

impl<'p> Highlighter<'p> {
    /// A highlighter for one query's patterns.
    pub(crate) fn new(patterns: &'p [Pattern]) -> Self {
        // The stemmer rewrites suffixes only, but for the few words listed
        // in `stem_aliases` (`dying` → `die`, `foetus` → `fetus`), so a word
        // whose first two chars differ from every stemmed pattern token's,
        // and from every alias of one, cannot stem to it.
        let aliases = crate::analysis::stem_aliases();
        let heads = patterns
            .iter()
            .filter(|p| p.analysis == Analysis::Stemmed)
            .flat_map(|p| p.tokens.iter().chain(&p.joined))
            .flat_map(|t| {
                std::iter::once(head(t)).chain(
                    aliases
                        .iter()
                        .filter(move |(_, s)| s == t)
                        .map(|(w, _)| head(w)),
                )
            })
            .collect();
        let mut starts: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, p) in patterns.iter().enumerate() {
            if let Some(first) = p.tokens.first() {
                starts.entry(first.as_str()).or_default().push(i);
            }
        }
        let joined: FxHashSet<&str> = patterns
            .iter()
            .filter_map(|p| p.joined.as_deref())
            .collect();
        let closed = patterns
            .iter()
            .filter(|p| p.analysis == Analysis::Stemmed && p.tokens.len() == 1)
            .map(|p| p.tokens[0].as_str())
            .chain(joined.iter().copied())
            .collect();
        Highlighter {
            patterns,
            heads,
            stems: FxHashMap::default(),
            starts,
            joined,
            closed,
        }
    }

    /// Every occurrence of every pattern in a passage (`tokens` are its
    /// words, [`crate::analysis::tokenize`]d), as absolute, merged char
    /// spans into the document.
    pub(crate) fn spans(
        &mut self,
        doc: &Document,
        passage: &Passage,
        tokens: &[Token],
    ) -> Vec<Span> {
        self.spans_in(doc.passage_text(passage), passage.span.start, tokens)
    }

    /// Every occurrence of every pattern in `text` (`tokens` are its words,
    /// [`crate::analysis::tokenize`]d), as merged char spans offset by
    /// `char_base` (the text's first char in its document): the one rule
    /// that search hits and answers are highlighted by.
    pub(crate) fn spans_in(&mut self, text: &str, char_base: usize, tokens: &[Token]) -> Vec<Span> {
        // The passage's words, folded, as both analyzers see them (long
        // tokens are dropped by both).
        let words: Vec<&Token> = tokens
            .iter()
            .filter(|t| t.text.len() <= MAX_TOKEN_BYTES)
            .collect();
        // Stem the page's new words that can match (`heads` is empty when
        // no pattern is stemmed); `stems` then holds exactly those.
        if !self.heads.is_empty() {
            for w in &words {
                if !self.stems.contains_key(&w.text) && self.heads.contains(&head(&w.text)) {
                    self.stems
                        .insert(w.text.clone(), crate::analysis::stem(&w.text));
                }
            }
        }
        let stem_of = |w: &Token| self.stems.get(&w.text).map(String::as_str);
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        // Only the patterns starting with a word's text or stem can start
        // at it (a pattern's first token is one or the other).
        for w in 0..words.len() {
            let text = words[w].text.as_str();
            let stem = stem_of(words[w]).filter(|s| *s != text);
            for key in std::iter::once(text).chain(stem) {
                for &i in self.starts.get(key).map_or(&[][..], Vec::as_slice) {
                    let p = &self.patterns[i];
                    let n = p.tokens.len();
                    if w + n > words.len() {
                        continue;
                    }
                    let matches = (0..n).all(|k| match p.analysis {
                        Analysis::Exact => words[w + k].text == p.tokens[k],
                        Analysis::Stemmed => stem_of(words[w + k]) == Some(p.tokens[k].as_str()),
                    });
                    if matches {
                        ranges.push((words[w].start, words[w + n - 1].end));
                    }
                }
            }
            if stem_of(words[w]).is_some_and(|s| self.joined.contains(s)) {
                ranges.push((words[w].start, words[w].end));
            }
        }
        // A hyphenated compound of the text matches a one-word pattern by
        // its closed form (`homegrown` in `home-grown`).
        if !self.closed.is_empty() {
            for run in crate::analysis::compound_runs(text, tokens) {
                let parts = &tokens[run];
                // The closed form starts as its first part does: most
                // compounds are ruled out by their first two chars.
                let mut first = parts[0].text.chars();
                let h = match (first.next(), first.next()) {
                    (c, Some(d)) => (c, Some(d)),
                    (c, None) => (c, parts[1].text.chars().next()),
                };
                if !self.heads.contains(&h) {
                    continue;
                }
                let joined = crate::analysis::closed_form(text, parts);
                let closed = self
                    .stems
                    .entry(joined)
                    .or_insert_with_key(|j| crate::analysis::stem(j));
                if self.closed.contains(closed.as_str()) {
                    ranges.push((parts[0].start, parts[parts.len() - 1].end));
                }
            }
        }
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.0 < last.1 => last.1 = last.1.max(r.1),
                _ => merged.push(r),
            }
        }
        // Byte to char offsets in one pass over the text up to the last
        // span (the spans are sorted and disjoint).
        let (mut byte, mut chars) = (0, char_base);
        let mut to_char = |b: usize| {
            chars += text[byte..b].chars().count();
            byte = b;
            chars
        };
        merged
            .into_iter()
            .map(|(s, e)| Span {
                start: to_char(s),
                end: to_char(e),
            })
            .collect()
    }
}
