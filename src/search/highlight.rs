//! Highlights: every place a query's patterns occur in a text, as char
//! spans. The one rule for search hits and for answers' question terms:
//! stemmed words in any form that stems alike (stem exceptions such as
//! `dying` for `die` included), folded spellings, hyphenated compounds by
//! their closed form, and exact phrases as written. Pure.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::analysis::{Located, Token, MAX_TOKEN_BYTES};
use crate::model::Span;
#[cfg(test)]
use crate::model::{Document, Passage};

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
/// worked out once, and each distinct word of the page is looked at once.
/// A word gets an id the first time it is seen, with what it is to the
/// query (its stem when that can match, the patterns that can start at
/// it), so a word met again costs one hash of its text and nothing more;
/// the ids serve the page's near-duplicate groups too
/// ([`Highlighter::page_words`]).
pub(crate) struct Highlighter<'p> {
    /// The query's positive terms and phrases.
    patterns: &'p [Pattern],
    /// The first two chars of every stemmed pattern token and of every
    /// word aliased to one: a word with other first chars cannot match.
    heads: FxHashSet<(Option<char>, Option<char>)>,
    /// The patterns (their indexes) by their first token, so a word is
    /// checked against the few that can start at it, not against all.
    starts: FxHashMap<&'p str, Vec<usize>>,
    /// The closed forms of hyphenated query words, matched as one word.
    joined: FxHashSet<&'p str>,
    /// The stems a hyphenated compound of the text matches by its closed
    /// form: the closed forms, and every one-word stemmed pattern
    /// (`homegrown` highlights `home-grown`).
    closed: FxHashSet<&'p str>,
    /// Each distinct folded word of the page so far → its id.
    ids: FxHashMap<String, u32>,
    /// What each word (by id) is to the query.
    words: Vec<Word>,
    /// Whether each word (by id) can start a highlight: a pattern starts
    /// at it or it is a closed form. Most words cannot, and this compact
    /// copy lets a passage skip them without reading their [`Word`].
    active: Vec<bool>,
    /// Whether any word so far is longer than the analyzers keep (until
    /// one is, a passage's words need no filtering).
    any_long: bool,
    /// Stems of the closed forms of the page's hyphenated compounds.
    closed_stems: FxHashMap<String, String>,
}

/// A word of a passage on a page: where it is, and its id among the
/// page's words ([`Highlighter::page_words`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageWord {
    /// Byte offset of its first char in the passage text.
    pub(crate) start: usize,
    /// Byte offset one past its last char.
    pub(crate) end: usize,
    /// Its folded form's id on the page: equal words, equal ids.
    pub(crate) id: u32,
}

impl Located for PageWord {
    fn start(&self) -> usize {
        self.start
    }
    fn end(&self) -> usize {
        self.end
    }
}

/// What one distinct word of a page is to the query.
struct Word {
    /// Its folded form.
    text: Box<str>,
    /// Whether it is longer than the analyzers keep (it then matches
    /// nothing, and is not there for phrases either).
    long: bool,
    /// Its stem, when its first two chars let it stem to a pattern token
    /// (every other word's stem cannot match, so it is never computed).
    stem: Option<String>,
    /// The patterns that can start at it: those whose first token is its
    /// text, then those whose first token is its stem.
    starts: Vec<usize>,
    /// Whether its stem is the closed form of a hyphenated query word.
    joined: bool,
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
            starts,
            joined,
            closed,
            ids: FxHashMap::default(),
            words: Vec::new(),
            active: Vec::new(),
            any_long: false,
            closed_stems: FxHashMap::default(),
        }
    }

    /// The id of a folded word, seen before or not.
    fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        // Long tokens are dropped by both analyzers: they match nothing.
        let word = if text.len() > MAX_TOKEN_BYTES {
            Word {
                text: text.into(),
                long: true,
                stem: None,
                starts: Vec::new(),
                joined: false,
            }
        } else {
            let stem = self
                .heads
                .contains(&head(text))
                .then(|| crate::analysis::stem(text));
            let by = |key: &str| self.starts.get(key).map_or(&[][..], Vec::as_slice);
            let mut starts = by(text).to_vec();
            if let Some(s) = stem.as_deref().filter(|s| *s != text) {
                starts.extend_from_slice(by(s));
            }
            let joined = stem.as_deref().is_some_and(|s| self.joined.contains(s));
            Word {
                text: text.into(),
                long: false,
                stem,
                starts,
                joined,
            }
        };
        let id = self.words.len() as u32;
        self.active.push(!word.starts.is_empty() || word.joined);
        self.any_long |= word.long;
        self.words.push(word);
        self.ids.insert(text.to_string(), id);
        id
    }

    /// How many distinct words the page has had: every id is below it.
    pub(crate) fn word_count(&self) -> usize {
        self.words.len()
    }

    /// The words of a passage's `text`, tokenized as
    /// [`crate::analysis::tokenize`] does, each with its id on the page:
    /// one hash of each word's folded form, and no `String` per word.
    pub(crate) fn page_words(&mut self, text: &str) -> Vec<PageWord> {
        let mut out = Vec::with_capacity(text.len() / 6);
        crate::analysis::each_token(text, |start, end, folded| {
            let id = self.id(folded);
            out.push(PageWord { start, end, id });
        });
        out
    }

    /// Every occurrence of every pattern in a passage (`tokens` are its
    /// words, [`crate::analysis::tokenize`]d), as absolute, merged char
    /// spans into the document.
    #[cfg(test)]
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
        let words: Vec<PageWord> = tokens
            .iter()
            .map(|t| PageWord {
                start: t.start,
                end: t.end,
                id: self.id(&t.text),
            })
            .collect();
        self.spans_of_words(text, char_base, &words)
    }

    /// [`Highlighter::spans_in`] for a passage's [`Highlighter::page_words`].
    pub(crate) fn spans_of_words(
        &mut self,
        text: &str,
        char_base: usize,
        all: &[PageWord],
    ) -> Vec<Span> {
        // The passage's words as both analyzers see them (long tokens are
        // dropped by both).
        let kept: Vec<PageWord>;
        let words: &[PageWord] = if self.any_long {
            kept = all
                .iter()
                .copied()
                .filter(|w| !self.words[w.id as usize].long)
                .collect();
            &kept
        } else {
            all
        };
        let stem_of = |id: u32| self.words[id as usize].stem.as_deref();
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for w in 0..words.len() {
            let token = words[w];
            if !self.active[token.id as usize] {
                continue;
            }
            let word = &self.words[token.id as usize];
            for &i in &word.starts {
                let p = &self.patterns[i];
                let n = p.tokens.len();
                if w + n > words.len() {
                    continue;
                }
                let matches = (0..n).all(|k| {
                    let id = words[w + k].id;
                    match p.analysis {
                        Analysis::Exact => *self.words[id as usize].text == *p.tokens[k],
                        Analysis::Stemmed => stem_of(id) == Some(p.tokens[k].as_str()),
                    }
                });
                if matches {
                    ranges.push((token.start, words[w + n - 1].end));
                }
            }
            if word.joined {
                ranges.push((token.start, token.end));
            }
        }
        // A hyphenated compound of the text matches a one-word pattern by
        // its closed form (`homegrown` in `home-grown`).
        if !self.closed.is_empty() {
            for run in crate::analysis::compound_runs(text, all) {
                let parts = &all[run];
                // The closed form starts as its first part does: most
                // compounds are ruled out by their first two chars.
                let folded = |k: usize| &*self.words[parts[k].id as usize].text;
                let mut first = folded(0).chars();
                let h = match (first.next(), first.next()) {
                    (c, Some(d)) => (c, Some(d)),
                    (c, None) => (c, folded(1).chars().next()),
                };
                if !self.heads.contains(&h) {
                    continue;
                }
                let joined = crate::analysis::closed_form(text, parts);
                let closed = self
                    .closed_stems
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
