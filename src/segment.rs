//! Splits a document's text into passages (paragraphs and bullet items) and
//! passages into sentences, with exact offsets. Pure: no IO.
//!
//! Invariants, checked by property tests:
//! - every passage and sentence range lies on char boundaries, is non-empty
//!   and has no leading or trailing whitespace;
//! - passages are in document order and never overlap;
//! - sentences lie inside their passage, in order, never overlapping.

use std::ops::Range;

use crate::model::{CharMap, Fact, PassageKind, PassageParts, Segmentation, SegmentationBuilder};

/// How a text's block structure is marked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// Markdown: `#` headings; headings are never guessed.
    Markdown,
    /// Plain text: `#` headings, plus short title-case lines standing alone.
    Plain,
}

/// A passage before ids and char offsets are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// Byte range of the passage text.
    pub bytes: Range<usize>,
    /// The heading above it.
    pub section: Option<String>,
    /// What it is.
    pub kind: PassageKind,
}

/// Segments `text` into passages with sentences and both kinds of offsets.
pub fn segment(text: &str, markup: Markup) -> Segmentation {
    let map = CharMap::new(text);
    let mut counted = 0;
    let mut out = SegmentationBuilder::default();
    for b in blocks(text, markup) {
        let paragraph = b.kind.counted().then(|| {
            counted += 1;
            counted
        });
        let sentences = split_sentences(&text[b.bytes.clone()])
            .into_iter()
            .map(|r| {
                let bytes = b.bytes.start + r.start..b.bytes.start + r.end;
                (bytes.clone(), map.span(&bytes))
            });
        out.push(
            PassageParts {
                kind: b.kind,
                paragraph,
                heading: b.section.as_deref(),
                page: None,
                span: map.span(&b.bytes),
                bytes: b.bytes.clone(),
            },
            sentences,
        );
    }
    out.finish()
}

/// The first heading of a text, or else its first non-blank line.
pub(crate) fn first_heading_or_line(text: &str, markup: Markup) -> Option<String> {
    let lines = lines(text);
    for l in &lines {
        if let Some(h) = atx_heading(&text[l.clone()]) {
            return Some(h.to_string());
        }
    }
    let _ = markup;
    lines
        .iter()
        .map(|l| text[l.clone()].trim())
        .find(|l| !l.is_empty())
        .map(|l| strip_bullet(l).map_or(l, |(_, rest)| rest).to_string())
}

/// Byte ranges of each line, without the line break (`\n` or `\r\n`).
fn lines(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            let end = if text[start..i].ends_with('\r') {
                i - 1
            } else {
                i
            };
            out.push(start..end);
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// `# Title` → `Title`.
fn atx_heading(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &t[hashes..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let h = rest.trim().trim_end_matches('#').trim();
    (!h.is_empty()).then_some(h)
}

/// A bullet or numbered-list marker at the start of a line: returns the
/// byte offset where the item text starts, and the item text.
fn strip_bullet(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start().len();
    let t = &line[indent..];
    let mut chars = t.char_indices();
    let (_, first) = chars.next()?;
    let marker_end = if matches!(first, '•' | '◦' | '▪' | '‣' | '●' | '-' | '*' | '+' | '–')
    {
        first.len_utf8()
    } else if first.is_ascii_digit() {
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 3 || !matches!(t.as_bytes().get(digits), Some(b'.' | b')')) {
            return None;
        }
        digits + 1
    } else {
        return None;
    };
    let after = &t[marker_end..];
    let body = after.trim_start();
    if body.is_empty() || body.len() == after.len() {
        return None; // a marker must be followed by a space and some text
    }
    let start = indent + marker_end + (after.len() - body.len());
    Some((start, &line[start..]))
}

/// A line made only of `-`, `*`, `_` or `=` (a rule), which is no text.
fn is_rule(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3 && t.chars().all(|c| matches!(c, '-' | '*' | '_' | '='))
}

/// A short title-case line standing alone, such as `Story Snapshot`.
fn looks_like_plain_heading(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() || t.chars().count() > 100 {
        return false;
    }
    let last = t.chars().last().unwrap_or(' ');
    if matches!(
        last,
        '.' | '!' | '?' | ',' | ';' | '"' | '”' | '’' | ')' | '…'
    ) && !t.ends_with("?”")
    {
        return false;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.len() > 10 {
        return false;
    }
    let long: Vec<&str> = words
        .iter()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 4)
        .collect();
    if long.is_empty() {
        return words
            .iter()
            .any(|w| w.chars().next().is_some_and(char::is_uppercase));
    }
    let upper = long
        .iter()
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_numeric())
        })
        .count();
    upper * 3 >= long.len() * 2
}

/// Trims whitespace off a byte range of `text`.
fn trim_range(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead == s.len() {
        return r.start..r.start;
    }
    r.start + lead..r.end - trail
}

/// Splits `text` into passage blocks, tracking the current section heading.
pub(crate) fn blocks(text: &str, markup: Markup) -> Vec<Block> {
    let all = lines(text);
    let mut out: Vec<Block> = Vec::new();
    let mut section: Option<String> = None;
    let mut current: Option<(Range<usize>, PassageKind)> = None;
    let mut i = 0;

    let flush = |cur: &mut Option<(Range<usize>, PassageKind)>,
                 out: &mut Vec<Block>,
                 section: &Option<String>| {
        if let Some((r, kind)) = cur.take() {
            let r = trim_range(text, r);
            if !r.is_empty() {
                let kind = if kind == PassageKind::Paragraph && is_caption(&text[r.clone()]) {
                    PassageKind::Caption
                } else {
                    kind
                };
                out.push(Block {
                    bytes: r,
                    section: section.clone(),
                    kind,
                });
            }
        }
    };

    while i < all.len() {
        let lr = all[i].clone();
        let line = &text[lr.clone()];
        if line.trim().is_empty() || is_rule(line) {
            flush(&mut current, &mut out, &section);
            i += 1;
            continue;
        }
        if let Some(h) = atx_heading(line) {
            flush(&mut current, &mut out, &section);
            section = Some(h.to_string());
            i += 1;
            continue;
        }
        let stands_alone = current.is_none()
            && all
                .get(i + 1)
                .is_none_or(|n| text[n.clone()].trim().is_empty());
        if markup == Markup::Plain
            && stands_alone
            && strip_bullet(line).is_none()
            && !has_caption_mark(line)
            && looks_like_plain_heading(line)
        {
            section = Some(line.trim().to_string());
            i += 1;
            continue;
        }
        if let Some((off, _)) = strip_bullet(line) {
            flush(&mut current, &mut out, &section);
            current = Some((lr.start + off..lr.end, PassageKind::Item));
        } else {
            match &mut current {
                Some((r, _)) => r.end = lr.end,
                None => current = Some((lr.clone(), PassageKind::Paragraph)),
            }
        }
        i += 1;
    }
    flush(&mut current, &mut out, &section);
    mark_facts(text, &mut out);
    out
}

/// Line prefixes that say a line describes a picture.
const CAPTION_MARKS: &[&str] = &[
    "photo:",
    "photo by",
    "photograph:",
    "image:",
    "image credit",
    "picture:",
    "pictured:",
    "caption:",
    "illustration:",
    "credit:",
];

/// A line that says it describes a picture: `Photo: …`, a Markdown image.
fn has_caption_mark(line: &str) -> bool {
    let t = line.trim();
    let lower = t.to_lowercase();
    CAPTION_MARKS.iter().any(|m| lower.starts_with(m)) || (t.starts_with("![") && t.ends_with(')'))
}

/// Whether a paragraph is a picture's caption: one line that says so
/// (`Photo: …`, a Markdown image), or one line of 4 to 30 plain words
/// with no punctuation to end or divide it, starting with a capital
/// (`A humanoid robot interacting with a digital interface`), which is how
/// captions survive a copy from a web page. Lists of names or addresses
/// (`insiderpaper.com, asia.nikkei.com`) and numbers are not captions.
fn is_caption(block: &str) -> bool {
    if block.contains('\n') {
        return false;
    }
    let t = block.trim();
    if has_caption_mark(t) {
        return true;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if !(4..=30).contains(&words.len())
        || !t.chars().next().is_some_and(char::is_uppercase)
        || !t.chars().last().is_some_and(char::is_alphanumeric)
        || t.contains(['.', '!', '?', ';', ':', '“', '”', '"', '(', ')', '—'])
        || t.matches(',').count() > 2
    {
        return false;
    }
    let plain = words
        .iter()
        .filter(|w| {
            w.trim_end_matches(',')
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, '-' | '’' | '\''))
        })
        .count();
    plain * 4 >= words.len() * 3
}

/// A `Key: value` list item: the key 1 to 3 words, starting with a capital,
/// and a value. Returns the value's byte range within `item` (without a
/// closing period).
fn fact_parts(item: &str) -> Option<(&str, Range<usize>)> {
    if item.contains('\n') {
        return None;
    }
    let (key, rest) = item.split_once(": ")?;
    let words = key.split_whitespace().count();
    if !(1..=3).contains(&words)
        || !key.chars().next().is_some_and(char::is_uppercase)
        || !key
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
    {
        return None;
    }
    let start = key.len() + 2;
    let value = rest.trim_end().trim_end_matches('.').trim_end();
    let lead = rest.len() - rest.trim_start().len();
    (!value.trim().is_empty()).then(|| (key, start + lead..start + value.len()))
}

/// Marks runs of two or more adjacent `Key: value` list items as facts.
fn mark_facts(text: &str, blocks: &mut [Block]) {
    let is_fact =
        |b: &Block| b.kind == PassageKind::Item && fact_parts(&text[b.bytes.clone()]).is_some();
    let mut i = 0;
    while i < blocks.len() {
        let mut j = i;
        while j < blocks.len() && is_fact(&blocks[j]) && blocks[j].section == blocks[i].section {
            j += 1;
        }
        if j - i >= 2 {
            for b in &mut blocks[i..j] {
                b.kind = PassageKind::Fact;
            }
        }
        i = j.max(i + 1);
    }
}

/// Filter names the query language keeps for itself; a fact key equal to
/// one is named `fact-{key}`.
const RESERVED_FILTERS: &[&str] = &["doc", "kind"];

/// The facts of a segmented text, in order.
pub(crate) fn facts(text: &str, passages: &Segmentation) -> Vec<Fact> {
    let map = CharMap::new(text);
    passages
        .iter()
        .filter(|p| p.kind == PassageKind::Fact)
        .filter_map(|p| {
            let (key, r) = fact_parts(&text[p.bytes.clone()])?;
            let bytes = p.bytes.start + r.start..p.bytes.start + r.end;
            let name = key
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("-");
            let filter = if RESERVED_FILTERS.contains(&name.as_str()) {
                format!("fact-{name}")
            } else {
                name
            };
            Some(Fact {
                key: key.to_string(),
                filter,
                span: map.span(&bytes),
                bytes,
                passage: p.number,
            })
        })
        .collect()
}

/// Words before a period that do not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "inc", "ltd", "co", "corp",
    "vs", "e.g", "i.e", "cf", "no", "nos", "fig", "figs", "gen", "gov", "sen", "rep", "rev", "hon",
    "capt", "col", "lt", "sgt", "cmdr", "adm", "jan", "feb", "apr", "aug", "sep", "sept", "oct",
    "nov", "dec", "approx", "dept", "est", "al", "vol", "pp", "op", "ed", "eds",
];

/// Closing punctuation that may follow a sentence terminator.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | ')' | ']' | '»' | '」' | '』' | '）' | '】'
    )
}

/// Opening punctuation that may precede a sentence's first word.
fn is_opener(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '‘' | '(' | '[' | '«' | '¿' | '¡')
}

/// Longest word (letters, digits and dots) that can be an abbreviation or a
/// dotted initialism: the backward scan stops here, so text such as
/// `a.a.a.…` costs linear time, not quadratic (issue 35, item 8).
const MAX_ABBREVIATION_CHARS: usize = 16;

/// Whether the period at byte `dot` of `text` ends an abbreviation or initial.
fn period_is_abbreviation(text: &str, dot: usize) -> bool {
    let before = &text[..dot];
    let mut word_start = 0;
    let mut seen = 0;
    for (i, c) in before.char_indices().rev() {
        if !(c.is_alphanumeric() || c == '.') {
            word_start = i + c.len_utf8();
            break;
        }
        seen += 1;
        if seen > MAX_ABBREVIATION_CHARS {
            return false;
        }
    }
    let word = &before[word_start..];
    if word.is_empty() {
        return false;
    }
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    let mut chars = word.chars();
    // A single capital letter: an initial, as in `J. Smith`.
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_uppercase() {
            return true;
        }
    }
    // Dotted initialisms such as `U.S` (the final dot is `dot` itself).
    word.contains('.') && word.split('.').all(|p| p.chars().count() <= 2)
}

/// Splits a passage into sentence byte ranges (relative to `text`), trimmed.
pub(crate) fn split_sentences(text: &str) -> Vec<Range<usize>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let (b, c) = chars[i];
        let cjk_end = matches!(c, '。' | '！' | '？');
        if !(cjk_end || matches!(c, '.' | '!' | '?')) {
            i += 1;
            continue;
        }
        // Swallow further terminators and closers: `?!`, `.”`, `.)`.
        let mut j = i + 1;
        while j < chars.len()
            && (matches!(chars[j].1, '.' | '!' | '?' | '。' | '！' | '？') || is_closer(chars[j].1))
        {
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
        let boundary = if cjk_end {
            true
        } else {
            let ws_end = (j..chars.len())
                .find(|&k| !chars[k].1.is_whitespace())
                .unwrap_or(chars.len());
            let has_space = ws_end > j;
            let at_end = ws_end == chars.len();
            let next_starts = chars.get(ws_end).is_some_and(|&(_, n)| {
                n.is_uppercase()
                    || n.is_numeric()
                    || (is_opener(n)
                        && chars
                            .get(ws_end + 1)
                            .is_some_and(|&(_, m)| m.is_uppercase() || m.is_numeric()))
            });
            // The abbreviation check last: only a period that would
            // otherwise end a sentence pays for it.
            at_end
                || (has_space
                    && next_starts
                    && !(c == '.' && j == i + 1 && period_is_abbreviation(text, b)))
        };
        if boundary {
            let r = trim_range(text, start..end);
            if !r.is_empty() {
                out.push(r);
            }
            start = end;
        }
        i = j;
    }
    let r = trim_range(text, start..text.len());
    if !r.is_empty() {
        out.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(s: &str) -> Vec<&str> {
        split_sentences(s).into_iter().map(|r| &s[r]).collect()
    }

    /// Shapes that were quadratic in the abbreviation scan (issue 35, item
    /// 8): each splits as the rules say, over a megabyte-scale input (their
    /// cost is measured by `benches/quadratic.sh`, not asserted here).
    #[test]
    fn long_runs_of_dots_split_by_the_rules() {
        let dots = "a.".repeat(100_000);
        assert_eq!(sentences(&dots), [dots.as_str()]);
        let initials = "A. ".repeat(50_000);
        assert_eq!(sentences(&initials), [initials.trim_end()]);
        let long_word = format!("{}. Next one.", "x".repeat(100_000));
        assert_eq!(sentences(&long_word).len(), 2);
    }

    #[test]
    fn sentence_rules() {
        let cases: &[(&str, &[&str])] = &[
            (
                "It cost $6.3 billion. Then it grew.",
                &["It cost $6.3 billion.", "Then it grew."],
            ),
            (
                "Dr. Sato met U.S. officials. They agreed.",
                &["Dr. Sato met U.S. officials.", "They agreed."],
            ),
            (
                "Sony Group Inc. and NEC. Honda too.",
                &["Sony Group Inc. and NEC.", "Honda too."],
            ),
            (
                "J. R. Smith spoke. Then he left.",
                &["J. R. Smith spoke.", "Then he left."],
            ),
            (
                "He said “stop.” Then he left.",
                &["He said “stop.”", "Then he left."],
            ),
            (
                "Is it real? “Yes,” she said.",
                &["Is it real?", "“Yes,” she said."],
            ),
            ("version 1.2.3 shipped. ok", &["version 1.2.3 shipped. ok"]),
            (
                "日本は投資する。ロボットも！本当？",
                &["日本は投資する。", "ロボットも！", "本当？"],
            ),
            ("No terminator", &["No terminator"]),
        ];
        for (input, expect) in cases {
            assert_eq!(&sentences(input), expect, "input: {input}");
        }
    }

    #[test]
    fn captions_facts_and_reader_numbers() {
        let text = "Big Title Here\n\nA humanoid robot interacting with a digital interface\n\nJapan is investing billions.\n\n- Publisher: Insider Paper.\n- Kind: news outlet.\n\nBetween the lists.\n\n- Note: one item alone is an item.\n\nPhoto: Reuters\n\nSources:\n\ninsiderpaper.com, asia.nikkei.com, x.com, arxiv.org\n";
        let ps = segment(text, Markup::Plain);
        let got: Vec<(&str, PassageKind, Option<usize>)> = ps
            .iter()
            .map(|p| (&text[p.bytes.clone()], p.kind, p.paragraph))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "A humanoid robot interacting with a digital interface",
                    PassageKind::Caption,
                    None
                ),
                (
                    "Japan is investing billions.",
                    PassageKind::Paragraph,
                    Some(1)
                ),
                ("Publisher: Insider Paper.", PassageKind::Fact, Some(2)),
                ("Kind: news outlet.", PassageKind::Fact, Some(3)),
                ("Between the lists.", PassageKind::Paragraph, Some(4)),
                (
                    "Note: one item alone is an item.",
                    PassageKind::Item,
                    Some(5)
                ),
                ("Photo: Reuters", PassageKind::Caption, None),
                (
                    "insiderpaper.com, asia.nikkei.com, x.com, arxiv.org",
                    PassageKind::Paragraph,
                    Some(6)
                ),
            ]
        );
        // Ids count every block, so they keep naming the same text.
        assert_eq!(
            ps.iter().map(|p| p.number).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6, 7, 8]
        );
        let fs = facts(text, &ps);
        let got: Vec<(&str, &str, &str)> = fs
            .iter()
            .map(|f| (f.key.as_str(), f.filter.as_str(), &text[f.bytes.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                ("Publisher", "publisher", "Insider Paper"),
                ("Kind", "fact-kind", "news outlet")
            ]
        );
    }

    #[test]
    fn sentences_are_no_captions() {
        for body in [
            "It rained all day in Tokyo.",
            "Story",
            "Japan 2040 10 million robots",
            "An aging country, a shrinking workforce, a big bet, and a question",
            "Read more: the full report",
        ] {
            assert!(!is_caption(body), "{body}");
        }
        for body in [
            "A humanoid robot interacting with a digital interface displaying data and graphs",
            "Workers assemble cars at a plant near Nagoya",
            "Image: a robot arm",
        ] {
            assert!(is_caption(body), "{body}");
        }
    }

    #[test]
    fn headings_and_bullets() {
        let text = "Title Here\n\nIntro line\nstill intro.\n\n  • one\n  • two\ncontinued\n\n# Head\n\n1. first\n2) second\n";
        let found = blocks(text, Markup::Plain);
        let b: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|b| (&text[b.bytes.clone()], b.section.as_deref()))
            .collect();
        assert_eq!(
            b,
            vec![
                ("Intro line\nstill intro.", Some("Title Here")),
                ("one", Some("Title Here")),
                ("two\ncontinued", Some("Title Here")),
                ("first", Some("Head")),
                ("second", Some("Head")),
            ]
        );
    }
}
