//! Tokenization and typographic folding, shared by the index, search,
//! answers and quote checks. Pure: no IO.
//!
//! Folding changes what *matches*, never what is stored: every token keeps
//! the byte offsets of the original text it came from.
//!
//! The rules:
//! - a word is a run of letters, digits and combining marks;
//! - soft hyphens and zero-width characters inside a word are dropped;
//! - apostrophes, quotes, hyphens and dashes of every kind separate words, so
//!   `Japan’s` and `Japan's` both give `japan`, `s`, and `AI-enabled` and
//!   `AI–enabled` both give `ai`, `enabled`;
//! - `.` and `,` between two digits stay inside a number (`6.3`, `1,000`);
//!   thousands commas are folded away, so `1,000` matches `1000`;
//! - each word is NFKC-normalized and lowercased;
//! - Han, kana and hangul runs give overlapping character bigrams (a lone
//!   character gives itself), as Elasticsearch's `cjk` analyzer does.

use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, TextAnalyzer, Token as TantivyToken, TokenStream, Tokenizer,
};
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

use crate::model::CacheStats;

mod spelling;

/// Bump when tokenization or folding changes: it invalidates built indexes.
/// 2: British and American spellings fold in the stemmed field.
/// 3: hyphenated compounds are also indexed closed (`home-grown` gives
/// `homegrown` too) in the stemmed fields.
pub(crate) const ANALYSIS_VERSION: u32 = 3;

/// Name of the stemmed analyzer registered with Tantivy.
pub(crate) const STEMMED: &str = "verbatim_stem";
/// Name of the unstemmed analyzer registered with Tantivy.
pub(crate) const EXACT: &str = "verbatim_exact";

/// Words that scale a number, folded ("6.3 billion", "40 percent"): part
/// of an amount in answers, and a number in quote notes.
pub(crate) const NUMBER_SCALES: &[&str] = &[
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "trillion",
    "trillions",
    "percent",
];

/// English month names and abbreviations, folded (dates in answers and quote notes).
pub(crate) const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

/// A word of the original text with its folded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the first char in the original text.
    pub start: usize,
    /// Byte offset one past the last char in the original text.
    pub end: usize,
    /// Folded (NFKC, lowercased) form used for matching.
    pub text: String,
}

/// Where a word lies in its text, in bytes: all that finding hyphenated
/// compounds reads, whether the word comes with its folded form
/// ([`Token`]) or as an id of a page's words.
pub(crate) trait Located {
    /// Byte offset of its first char.
    fn start(&self) -> usize;
    /// Byte offset one past its last char.
    fn end(&self) -> usize;
}

impl Located for Token {
    fn start(&self) -> usize {
        self.start
    }
    fn end(&self) -> usize {
        self.end
    }
}

/// Chars that are invisible inside a word and never change its meaning.
pub(crate) fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// Chars of scripts written without spaces, indexed as bigrams.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // hiragana, katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0xAC00..=0xD7AF // hangul syllables
        | 0x1100..=0x11FF // hangul jamo
        | 0xFF66..=0xFF9F // half-width katakana
        | 0x20000..=0x2FA1F)
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    (c.is_alphanumeric() || is_combining_mark(c)) && !is_cjk(c)
}

/// Folds one raw word: drops ignorables and digit-group commas, NFKC, lowercase.
fn fold(raw: &str) -> String {
    let mut out = String::new();
    fold_into(raw, &mut out);
    out
}

/// [`fold`] into `out`, which is cleared first and keeps its allocation.
fn fold_into(raw: &str, out: &mut String) {
    out.clear();
    // Fast path (most words): ASCII is its own NFKC and has no ignorables.
    if raw.is_ascii() {
        out.extend(
            raw.bytes()
                .filter(|&b| b != b',')
                .map(|b| char::from(b.to_ascii_lowercase())),
        );
        return;
    }
    let kept: String = raw
        .chars()
        .filter(|&c| !is_ignorable(c) && c != ',')
        .collect();
    if unicode_normalization::is_nfkc_quick(kept.chars())
        == unicode_normalization::IsNormalized::Yes
    {
        out.extend(kept.chars().flat_map(char::to_lowercase));
    } else {
        out.extend(kept.nfkc().flat_map(char::to_lowercase));
    }
}

/// Splits `text` into folded tokens with original byte offsets.
pub fn tokenize(text: &str) -> Vec<Token> {
    if text.is_ascii() {
        return tokenize_ascii(text.as_bytes());
    }
    tokenize_unicode(text)
}

/// [`tokenize`] for ASCII text (most text, and the hot path of indexing and
/// highlighting): the same rules on bytes. ASCII has no ignorable or CJK
/// chars and is its own NFKC, so a word is a run of letters and digits,
/// with `.` or `,` kept between two digits.
fn tokenize_ascii(b: &[u8]) -> Vec<Token> {
    let mut out = Vec::with_capacity(b.len() / 5);
    each_ascii(b, &mut |start, end, text: &str| {
        out.push(Token {
            start,
            end,
            text: text.to_string(),
        })
    });
    out
}

/// [`tokenize`]'s tokens one by one, each folded form lent to `each` for
/// the call only: no `String` per token for ASCII text (a page of hits
/// meets each of its words once this way, [`crate::search`]).
pub(crate) fn each_token(text: &str, mut each: impl FnMut(usize, usize, &str)) {
    if text.is_ascii() {
        each_ascii(text.as_bytes(), &mut each);
    } else {
        each_unicode(text, &mut each);
    }
}

/// [`tokenize_ascii`]'s tokens, lent to `each` from one buffer.
fn each_ascii(b: &[u8], each: &mut impl FnMut(usize, usize, &str)) {
    let mut text = String::with_capacity(32);
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        text.clear();
        text.push(char::from(b[i].to_ascii_lowercase()));
        i += 1;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_alphanumeric() {
                text.push(char::from(c.to_ascii_lowercase()));
                i += 1;
                end = i;
            } else if (c == b'.' || c == b',')
                && end == i
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                if c == b'.' {
                    text.push('.');
                }
                i += 1;
            } else {
                break;
            }
        }
        each(start, end, &text);
        i = end;
    }
}

fn tokenize_unicode(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    each_unicode(text, &mut |start, end, folded: &str| {
        out.push(Token {
            start,
            end,
            text: folded.to_string(),
        })
    });
    out
}

/// [`tokenize_unicode`]'s tokens, lent to `each` from one buffer (a word
/// with a char outside ASCII still allocates while it is folded).
fn each_unicode(text: &str, each: &mut impl FnMut(usize, usize, &str)) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let mut folded = String::with_capacity(32);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if is_cjk(c) {
            let run_start = i;
            while i < chars.len() && is_cjk(chars[i].1) {
                i += 1;
            }
            if i - run_start == 1 {
                let (s, e) = (chars[run_start].0, end_of(run_start + 1));
                fold_into(&text[s..e], &mut folded);
                each(s, e, &folded);
            } else {
                for (k, &(s, _)) in chars.iter().enumerate().take(i - 1).skip(run_start) {
                    let e = end_of(k + 2);
                    fold_into(&text[s..e], &mut folded);
                    each(s, e, &folded);
                }
            }
            continue;
        }
        if !is_word_char(c) {
            i += 1;
            continue;
        }
        let start = i;
        let mut last_word = i; // index of the last char that belongs to the word
        i += 1;
        while i < chars.len() {
            let c = chars[i].1;
            if is_word_char(c) {
                last_word = i;
                i += 1;
            } else if is_ignorable(c)
                || ((c == '.' || c == ',')
                    && chars[last_word].1.is_ascii_digit()
                    && last_word + 1 == i
                    && chars.get(i + 1).is_some_and(|&(_, d)| d.is_ascii_digit()))
            {
                i += 1;
            } else {
                break;
            }
        }
        let (s, e) = (chars[start].0, end_of(last_word + 1));
        fold_into(&text[s..e], &mut folded);
        if !folded.is_empty() {
            each(s, e, &folded);
        }
        i = last_word + 1;
    }
}

/// Chars that join the parts of a hyphenated compound: the hyphen-minus,
/// the hyphen and the non-breaking hyphen (dashes separate, never join).
const COMPOUND_HYPHENS: [char; 3] = ['-', '\u{2010}', '\u{2011}'];

/// A hyphenated compound of a text (`home-grown`, `state-of-the-art`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Compound {
    /// Its parts, as a range of the tokens it was found in.
    pub parts: std::ops::Range<usize>,
    /// Byte offset of its first char.
    pub start: usize,
    /// Byte offset one past its last char.
    pub end: usize,
    /// Its closed form, folded (`homegrown`): how the same word is written
    /// without the hyphens.
    pub joined: String,
}

/// The hyphenated compounds of `text`, given tokens that keep its offsets
/// ([`tokenize`]'s, or an analyzer's; only offsets are read): runs of two or
/// more words of letters, each joined to the next by one hyphen and
/// nothing else. Numbers never join (`2019-2020`, `COVID-19`).
pub(crate) fn compounds(text: &str, tokens: &[Token]) -> Vec<Compound> {
    compound_runs(text, tokens)
        .into_iter()
        .map(|parts| Compound {
            start: tokens[parts.start].start,
            end: tokens[parts.end - 1].end,
            joined: closed_form(text, &tokens[parts.clone()]),
            parts,
        })
        .collect()
}

/// The closed form of a compound's parts: their folded words, joined.
pub(crate) fn closed_form<T: Located>(text: &str, parts: &[T]) -> String {
    parts
        .iter()
        .map(|t| fold(&text[t.start()..t.end()]))
        .collect()
}

/// The token ranges of the hyphenated compounds of [`compounds`], found
/// without building their closed forms (for callers that can rule most of
/// them out first).
pub(crate) fn compound_runs<T: Located>(text: &str, tokens: &[T]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    // Cheap tests first (this runs on every highlighted passage): one
    // hyphen between two tokens, by its byte length, then the letters of
    // the few parts that pass.
    let joined_to_next = |i: usize| {
        let (a, b) = (&tokens[i], &tokens[i + 1]);
        match b.start().checked_sub(a.end()) {
            Some(1) => text.as_bytes()[a.end()] == b'-',
            Some(3) => text
                .get(a.end()..b.start())
                .and_then(|s| s.chars().next())
                .is_some_and(|c| COMPOUND_HYPHENS.contains(&c)),
            _ => false,
        }
    };
    let letters = |t: &T| {
        text.get(t.start()..t.end())
            .is_some_and(|w| w.chars().all(|c| c.is_alphabetic() || is_ignorable(c)))
    };
    let mut i = 0;
    while i + 1 < tokens.len() {
        if !joined_to_next(i) {
            i += 1;
            continue;
        }
        // A chain of joined tokens, i..=j; its compounds are its longest
        // runs of words of letters.
        let mut j = i + 1;
        while j + 1 < tokens.len() && joined_to_next(j) {
            j += 1;
        }
        let mut start = i;
        let ends = tokens[i..=j]
            .iter()
            .enumerate()
            .filter(|(_, t)| !letters(t))
            .map(|(k, _)| i + k)
            .chain(std::iter::once(j + 1));
        for end in ends {
            if end - start >= 2 {
                out.push(start..end);
            }
            start = end + 1;
        }
        i = j + 1;
    }
    out
}

/// The Tantivy tokenizer that wraps [`tokenize`].
#[derive(Clone, Default)]
pub(crate) struct VerbatimTokenizer {
    /// Reused between calls to avoid reallocating.
    tokens: Vec<TantivyToken>,
    /// Whether each hyphenated compound also gives its closed form, at its
    /// first part's position (the index's stemmed fields, so `homegrown`
    /// finds `home-grown`).
    closed_compounds: bool,
}

/// Stream over the tokens [`VerbatimTokenizer`] collected.
pub(crate) struct VerbatimTokenStream<'a> {
    /// The collected tokens.
    tokens: &'a mut Vec<TantivyToken>,
    /// Index of the current token plus one (0 before the first advance).
    next: usize,
}

impl Tokenizer for VerbatimTokenizer {
    type TokenStream<'a> = VerbatimTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.tokens.clear();
        let tokens = tokenize(text);
        let mut closed = if self.closed_compounds {
            compounds(text, &tokens)
        } else {
            Vec::new()
        }
        .into_iter()
        .peekable();
        for (position, t) in tokens.into_iter().enumerate() {
            self.tokens.push(TantivyToken {
                offset_from: t.start,
                offset_to: t.end,
                position,
                text: t.text,
                position_length: 1,
            });
            if let Some(c) = closed.next_if(|c| c.parts.start == position) {
                self.tokens.push(TantivyToken {
                    offset_from: c.start,
                    offset_to: c.end,
                    position,
                    text: c.joined,
                    position_length: c.parts.len(),
                });
            }
        }
        VerbatimTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for VerbatimTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &TantivyToken {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut TantivyToken {
        &mut self.tokens[self.next - 1]
    }
}

/// Longest token kept in the index; longer ones are noise (hashes, base64).
pub(crate) const MAX_TOKEN_BYTES: usize = 64;

/// The stemmed analyzer, for ranked search: British spellings fold into
/// American ones after stemming ([`spelling`]).
pub(crate) fn stemmed_analyzer() -> TextAnalyzer {
    stemmed_with(VerbatimTokenizer::default())
}

/// The stemmed analyzer the index's stemmed fields are written with:
/// [`stemmed_analyzer`], plus each hyphenated compound's closed form, so a
/// query of either form finds both (`homegrown` finds `home-grown`; a
/// hyphenated query word looks up its closed form itself).
pub(crate) fn stemmed_index_analyzer() -> TextAnalyzer {
    stemmed_with(VerbatimTokenizer {
        closed_compounds: true,
        ..Default::default()
    })
}

fn stemmed_with(tokenizer: VerbatimTokenizer) -> TextAnalyzer {
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(CachedStemmer)
        .filter(spelling::SpellingFilter)
        .build()
}

/// Words an analyzer keeps the stems of before starting over: about
/// 10 MB at most, per analyzer copy (one per indexing thread and field).
const STEM_CACHE_WORDS: usize = 100_000;

/// Tantivy's English [`Stemmer`], with each analyzer copy remembering the
/// stems it computed: words repeat (the English stemmer was about a fifth
/// of a build's profile), and a stem is a pure function of the word, so
/// the tokens are the ones the stemmer gives (a test checks it).
#[derive(Clone, Copy)]
struct CachedStemmer;

impl tantivy::tokenizer::TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerTokenizer<T>;
    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerTokenizer<T> {
        CachedStemmerTokenizer {
            inner: tokenizer,
            stems: std::collections::HashMap::new(),
        }
    }
}

/// The tokenizer [`CachedStemmer`] wraps, and its stems so far.
#[derive(Clone)]
struct CachedStemmerTokenizer<T> {
    /// The tokenizer whose tokens are stemmed.
    inner: T,
    /// Word → stem, for the words this copy has seen.
    stems: std::collections::HashMap<String, String>,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerTokenizer<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        if self.stems.len() > STEM_CACHE_WORDS {
            self.stems.clear();
        }
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stems: &mut self.stems,
        }
    }
}

/// The stream [`CachedStemmerTokenizer`] yields.
struct CachedStemmerStream<'a, S> {
    /// The tokens to stem.
    tail: S,
    /// The tokenizer's stems.
    stems: &'a mut std::collections::HashMap<String, String>,
}

impl<S: TokenStream> TokenStream for CachedStemmerStream<'_, S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.stems.get(token.text.as_str()) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        let stem = spelling::english_stem(&token.text);
        let word = std::mem::replace(&mut token.text, stem.clone());
        self.stems.insert(word, stem);
        true
    }
    fn token(&self) -> &TantivyToken {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut TantivyToken {
        self.tail.token_mut()
    }
}

/// The British and American spelling pairs that fold (README lists them).
#[cfg(test)]
pub(crate) fn spelling_variants() -> &'static [(&'static str, &'static str)] {
    spelling::VARIANTS
}

/// Words the English stemmer treats as exceptions (Snowball's list): they
/// are not stemmed by suffix rules, and some change their first letters
/// (`dying` → `die`).
pub(crate) const STEMMER_EXCEPTIONS: &[&str] = &[
    "skis", "skies", "dying", "lying", "tying", "idly", "gently", "ugly", "early", "only",
    "singly", "sky", "news", "howe", "atlas", "cosmos", "bias", "andes", "inning", "innings",
    "outing", "outings", "canning", "cannings", "herring", "herrings", "earring", "earrings",
    "proceed", "exceed", "succeed",
];

/// Words whose stem does not start with the word's own first two chars:
/// stemmer exceptions and British spellings folded to American ones, as
/// `(word, stem)`. Everything else the stemmer does rewrites endings only,
/// which lets highlighting skip words that cannot match.
pub(crate) fn stem_aliases() -> &'static [(String, String)] {
    static ALIASES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    ALIASES.get_or_init(|| {
        STEMMER_EXCEPTIONS
            .iter()
            .copied()
            .chain(spelling::VARIANTS.iter().map(|(b, _)| *b))
            .map(|w| (w.to_string(), stem(w)))
            .filter(|(w, s)| w.chars().take(2).ne(s.chars().take(2)))
            .collect()
    })
}

thread_local! {
    /// Each thread's analyzers, built once: a query or a highlight analyzes
    /// a few words, and building an analyzer costs more than that.
    static ANALYZERS: std::cell::RefCell<(TextAnalyzer, TextAnalyzer)> =
        std::cell::RefCell::new((stemmed_analyzer(), exact_analyzer()));
}

/// The stemmed analyzer's tokens of `text`, through this thread's analyzer.
pub(crate) fn stemmed(text: &str) -> Vec<Token> {
    ANALYZERS.with(|a| analyze(&mut a.borrow_mut().0, text))
}

/// The exact analyzer's tokens of `text`, through this thread's analyzer.
pub(crate) fn exact(text: &str) -> Vec<Token> {
    ANALYZERS.with(|a| analyze(&mut a.borrow_mut().1, text))
}

/// Rewrites the stemmed tokens of `text` so that each hyphenated compound
/// whose closed form's stem `wanted` accepts reads as that one word: its
/// first part's token takes the closed stem and the whole compound's span
/// (the other parts stay). Used where a question's closed term must meet
/// the hyphenated form in the text (`homegrown` in `home-grown`).
pub(crate) fn close_compounds(text: &str, stems: &mut [Token], wanted: &dyn Fn(&str) -> bool) {
    // The stemmed tokens keep the text's offsets, which is all the runs
    // read.
    for run in compound_runs(text, stems) {
        let closed = stem(&closed_form(text, &stems[run.clone()]));
        if wanted(&closed) {
            let end = stems[run.end - 1].end;
            let first = &mut stems[run.start];
            first.text = closed;
            first.end = end;
        }
    }
}

/// The English stem of one folded word (what search matches it by),
/// through the process's [`StemCache`].
pub(crate) fn stem(word: &str) -> String {
    if let Some(stem) = STEM_CACHE.get(word) {
        return stem;
    }
    let stem = stemmed(word)
        .into_iter()
        .next()
        .map_or_else(|| word.to_string(), |t| t.text);
    STEM_CACHE.insert(word, &stem);
    stem
}

/// Words [`stem`]'s cache keeps before starting over: a few MB.
const STEM_CACHE_CAPACITY: usize = 50_000;

/// The process's cache of [`stem`]. Highlighting asks for the stems of
/// each page's words again on every search, and one word's stem through
/// the analyzer runs its tokenizer and every filter and builds a token
/// vector; the analyzer's own cache ([`CachedStemmer`], one per thread)
/// saves only the stemmer's part. A stem is a pure function of the word,
/// so a cached one is the one the analyzer gives (a test checks it).
static STEM_CACHE: std::sync::LazyLock<StemCache> = std::sync::LazyLock::new(StemCache::default);

/// A bounded word → stem map shared by every thread, with its counts.
#[derive(Default)]
struct StemCache {
    /// Word → stem; emptied when it reaches [`STEM_CACHE_CAPACITY`]
    /// (simplest bound: the words a corpus's searches need come back at
    /// once).
    stems: std::sync::Mutex<rustc_hash::FxHashMap<Box<str>, Box<str>>>,
    /// Look-ups answered from the map.
    hits: std::sync::atomic::AtomicU64,
    /// Look-ups that ran the analyzer.
    misses: std::sync::atomic::AtomicU64,
}

impl StemCache {
    /// The map, whatever another thread did: a poisoned lock only means
    /// a thread panicked while inserting a pure value.
    fn map(&self) -> std::sync::MutexGuard<'_, rustc_hash::FxHashMap<Box<str>, Box<str>>> {
        self.stems.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, word: &str) -> Option<String> {
        use std::sync::atomic::Ordering::Relaxed;
        let stem = self.map().get(word).map(|s| s.to_string());
        let count = if stem.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        count.fetch_add(1, Relaxed);
        stem
    }

    fn insert(&self, word: &str, stem: &str) {
        let mut map = self.map();
        if map.len() >= STEM_CACHE_CAPACITY {
            map.clear();
        }
        map.insert(word.into(), stem.into());
    }
}

/// The stem cache's size and counts so far.
pub(crate) fn stem_cache_stats() -> CacheStats {
    use std::sync::atomic::Ordering::Relaxed;
    CacheStats {
        held: STEM_CACHE.map().len(),
        hits: STEM_CACHE.hits.load(Relaxed),
        misses: STEM_CACHE.misses.load(Relaxed),
    }
}

/// The unstemmed analyzer, for exact phrases.
pub(crate) fn exact_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(VerbatimTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .build()
}

/// Runs a Tantivy analyzer and returns its tokens as ours.
pub(crate) fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push(Token {
            start: t.offset_from,
            end: t.offset_to,
            text: t.text.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{Language, Stemmer};

    /// The stemmed analyzer as it was before its stems were cached:
    /// Tantivy's own `Stemmer` in the same place.
    fn uncached_stemmed_analyzer() -> TextAnalyzer {
        TextAnalyzer::builder(VerbatimTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .filter(spelling::SpellingFilter)
            .build()
    }

    proptest::proptest! {
        /// Cached stems are the stemmer's: the same tokens and offsets,
        /// on a first pass (filling the cache) and a second
        /// (reading it), over generated words, the stemmer's exceptions
        /// and British spellings.
        #[test]
        fn cached_stems_are_the_stemmers(
            words in proptest::collection::vec("[a-zé]{1,12}(ing|ed|ies|ly|s|ation|ness)?", 0..40),
            picks in proptest::collection::vec(0usize..1000, 0..20),
        ) {
            let mut text = words.join(" ");
            for p in picks {
                text.push(' ');
                text.push_str(STEMMER_EXCEPTIONS[p % STEMMER_EXCEPTIONS.len()]);
                text.push(' ');
                text.push_str(spelling::VARIANTS[p % spelling::VARIANTS.len()].0);
            }
            let mut cached = stemmed_analyzer();
            let mut reference = uncached_stemmed_analyzer();
            let key = |t: &Token| (t.text.clone(), t.start, t.end);
            let want: Vec<_> = analyze(&mut reference, &text).iter().map(key).collect();
            for _ in 0..2 {
                let got: Vec<_> = analyze(&mut cached, &text).iter().map(key).collect();
                proptest::prop_assert_eq!(&got, &want);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn ascii_tokenizing_agrees_with_the_general_rules(
            text in "[A-Za-z0-9 .,;'\"()\n-]{0,40}"
        ) {
            proptest::prop_assert_eq!(tokenize_ascii(text.as_bytes()), tokenize_unicode(&text));
        }
    }

    /// A stem from the process's cache is the analyzer's, on the first
    /// look-up (which fills it) and on the next (which reads it).
    #[test]
    fn cached_stems_are_the_analyzers() {
        let words = STEMMER_EXCEPTIONS
            .iter()
            .copied()
            .chain(spelling::VARIANTS.iter().flat_map(|(b, a)| [*b, *a]))
            .chain([
                "robots",
                "running",
                "homegrown",
                "japan",
                "6.3",
                "東京",
                "straße",
            ]);
        for w in words {
            let want = stemmed(w)
                .into_iter()
                .next()
                .map_or_else(|| w.to_string(), |t| t.text);
            assert_eq!(stem(w), want, "{w}");
            let before = stem_cache_stats().hits;
            assert_eq!(stem(w), want, "{w}, cached");
            assert!(
                stem_cache_stats().hits > before,
                "{w} was not read from the cache"
            );
        }
        assert!(stem_cache_stats().held > 0);
    }

    /// `fold` without its fast paths: the definition they must agree with.
    fn fold_by_definition(raw: &str) -> String {
        let kept: String = raw
            .chars()
            .filter(|&c| !is_ignorable(c) && c != ',')
            .collect();
        kept.nfkc().flat_map(char::to_lowercase).collect()
    }

    proptest::proptest! {
        #[test]
        fn fast_folding_agrees_with_the_definition(raw in ".{0,12}") {
            proptest::prop_assert_eq!(fold(&raw), fold_by_definition(&raw));
        }

        #[test]
        fn fast_folding_agrees_on_words(raw in "[A-Za-z0-9,.’'ÉéﬁＡ①\u{00AD}\u{200B}]{1,10}") {
            proptest::prop_assert_eq!(fold(&raw), fold_by_definition(&raw));
        }
    }

    fn words(s: &str) -> Vec<String> {
        tokenize(s).into_iter().map(|t| t.text).collect()
    }

    /// Hyphenated compounds of letters, joined by one hyphen each, with
    /// their closed forms; dashes, spaces, numbers and a lone word never
    /// join, and offsets cover the whole compound.
    #[test]
    fn hyphenated_compounds_and_their_closed_forms() {
        let text =
            "Home-grown chips, a state\u{2011}of\u{2011}the\u{2011}art fab, 2019-2020 plans, \
                    COVID-19, the AI – robot gap, re- entry, and non-linear.";
        let found: Vec<(String, &str)> = compounds(text, &tokenize(text))
            .into_iter()
            .map(|c| (c.joined, &text[c.start..c.end]))
            .collect();
        assert_eq!(
            found,
            [
                ("homegrown".to_string(), "Home-grown"),
                (
                    "stateoftheart".to_string(),
                    "state\u{2011}of\u{2011}the\u{2011}art"
                ),
                ("nonlinear".to_string(), "non-linear"),
            ]
        );
        assert!(compounds("plain words only", &tokenize("plain words only")).is_empty());
    }

    /// The index's stemmed analyzer gives a compound's closed form at its
    /// first part's position, spanning all its parts; the query analyzer
    /// does not.
    #[test]
    fn the_index_analyzer_also_gives_closed_compounds() {
        let text = "Japan's home-grown models";
        let stems = |mut a: TextAnalyzer| {
            let mut out = Vec::new();
            let mut stream = a.token_stream(text);
            while stream.advance() {
                let t = stream.token();
                out.push((
                    t.text.clone(),
                    t.position,
                    &text[t.offset_from..t.offset_to],
                ));
            }
            out
        };
        let indexed = stems(stemmed_index_analyzer());
        assert!(
            indexed.contains(&("homegrown".to_string(), 2, "home-grown")),
            "{indexed:?}"
        );
        assert!(
            indexed.contains(&("grown".to_string(), 3, "grown")),
            "{indexed:?}"
        );
        assert!(stems(stemmed_analyzer())
            .iter()
            .all(|(t, _, _)| t != "homegrown"));
    }

    #[test]
    fn folding_makes_typography_match() {
        assert_eq!(words("Japan’s"), words("Japan's"));
        assert_eq!(words("“physical AI”"), words("\"physical AI\""));
        assert_eq!(words("AI-enabled"), words("AI–enabled"));
        assert_eq!(words("AI—enabled"), words("AI‐enabled"));
        assert_eq!(words("con\u{00AD}trol"), vec!["control"]);
        assert_eq!(words("ＡＩ"), vec!["ai"]);
        assert_eq!(words("1,000 and 1000"), vec!["1000", "and", "1000"]);
        assert_eq!(words("$6.3 billion."), vec!["6.3", "billion"]);
        assert_eq!(words("2040. Then"), vec!["2040", "then"]);
    }

    #[test]
    fn offsets_point_at_original_text() {
        let s = "“Physical AI” costs ¥1,000.";
        for t in tokenize(s) {
            assert_eq!(fold(&s[t.start..t.end]), t.text);
        }
    }

    #[test]
    fn cjk_gives_bigrams() {
        assert_eq!(words("日本語"), vec!["日本", "本語"]);
        assert_eq!(words("AI 日"), vec!["ai", "日"]);
    }

    #[test]
    fn every_pair_and_its_inflections_fold_to_one_stem() {
        for (b, a) in super::spelling::VARIANTS {
            assert_eq!(super::stem(b), super::stem(a), "{b}/{a}");
        }
        for (b, a) in [
            ("labours", "labor"),
            ("organised", "organized"),
            ("organising", "organizing"),
            ("centres", "centers"),
            ("programmes", "programs"),
            ("colours", "colors"),
        ] {
            assert_eq!(super::stem(b), super::stem(a), "{b}/{a}");
        }
    }

    #[test]
    fn words_outside_the_table_keep_their_stem() {
        for w in [
            "four", "hour", "our", "tour", "flour", "metro", "centrist", "check",
        ] {
            assert_eq!(super::stem(w), spelling::english_stem(w), "{w}");
        }
    }
}
