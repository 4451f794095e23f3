//! Finding the quotations in a draft. Pure.
//!
//! Recognizes “curly”, "straight", «guillemet» and „low-high“ double quotes.
//! Single quotes nested inside are part of the quotation. A quotation left
//! open at a paragraph break is dropped (it cannot be told from a stray
//! mark). Quotations of one or two words (scare quotes) are skipped unless
//! asked for.

use std::ops::Range;

/// Words a quotation needs to be checked when short ones are skipped.
pub(crate) const MIN_WORDS: usize = 3;

/// Byte ranges (into `draft`) of the text inside each quotation, trimmed.
pub(crate) fn find_quotes(draft: &str, include_short: bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut open: Option<(usize, char)> = None; // content start, expected closer
    for (i, c) in draft.char_indices() {
        match open {
            None => {
                let closer = match c {
                    '“' => Some('”'),
                    '"' => Some('"'),
                    '«' => Some('»'),
                    '„' => Some('“'),
                    _ => None,
                };
                if let Some(cl) = closer {
                    open = Some((i + c.len_utf8(), cl));
                }
            }
            Some((start, closer)) => {
                let is_close = c == closer || (closer == '“' && c == '”');
                if is_close {
                    push(draft, start..i, include_short, &mut out);
                    open = None;
                } else if c == '\n'
                    && draft[i + 1..]
                        .trim_start_matches([' ', '\t', '\r'])
                        .starts_with('\n')
                {
                    open = None; // paragraph break: unclosed quotation
                }
            }
        }
    }
    out
}

fn push(draft: &str, r: Range<usize>, include_short: bool, out: &mut Vec<Range<usize>>) {
    let s = &draft[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    if t.is_empty() {
        return;
    }
    let words = crate::analysis::tokenize(t).len();
    if words == 0 || (!include_short && words < MIN_WORDS) {
        return;
    }
    out.push(r.start + lead..r.start + lead + t.len());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes(d: &str, short: bool) -> Vec<&str> {
        find_quotes(d, short).into_iter().map(|r| &d[r]).collect()
    }

    #[test]
    fn finds_quotations() {
        let d = "He said “the plan is ‘bold’ and real” and called it a \"sovereign AI\" push. \"Up to 10 million robots,\" she said.";
        assert_eq!(
            quotes(d, false),
            vec!["the plan is ‘bold’ and real", "Up to 10 million robots,"]
        );
        assert_eq!(quotes(d, true).len(), 3);
        assert_eq!(
            quotes("“open quote\n\nnext para “one two three”", false),
            vec!["one two three"]
        );
        assert_eq!(
            quotes("„drei vier fünf“ und «un deux trois»", false),
            vec!["drei vier fünf", "un deux trois"]
        );
    }
}
