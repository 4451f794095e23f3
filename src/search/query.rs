//! The query language journalists type, parsed into a small AST. Pure.
//!
//! - bare words are ranked and optional (`japan robots`);
//! - `"exact phrase"` must appear word for word (unstemmed);
//! - `+word` requires, `-word` excludes (also on phrases and groups);
//! - `a AND b` requires both sides, `a OR b` keeps both optional;
//! - `( ... )` groups;
//! - `doc:ID` and `kind:KIND` filter (several of one field are OR-ed;
//!   `-doc:ID` excludes).
//!
//! Reading is lenient: an unclosed quote runs to the end, unbalanced
//! parentheses are ignored, nesting deeper than [`MAX_DEPTH`] is flattened.

/// How a clause takes part in the match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Occur {
    /// Optional; adds to the score.
    Should,
    /// Required.
    Must,
    /// Excluded.
    MustNot,
}

/// A query node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// A bare word (may analyze to several tokens, e.g. `AI-enabled`).
    Term(String),
    /// A quoted phrase.
    Phrase(String),
    /// A parenthesized group.
    Group(Vec<Clause>),
}

/// A node with its occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    /// Should, must or must not.
    pub occur: Occur,
    /// What to match.
    pub node: Node,
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// Top-level clauses.
    pub clauses: Vec<Clause>,
    /// `doc:` values to keep (any of).
    pub docs: Vec<String>,
    /// `kind:` values to keep (any of).
    pub kinds: Vec<String>,
    /// `-doc:` values to drop.
    pub not_docs: Vec<String>,
    /// `-kind:` values to drop.
    pub not_kinds: Vec<String>,
}

/// Deepest parenthesis nesting honoured; deeper parentheses are ignored.
pub(crate) const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lex {
    Word(String),
    Phrase(String),
    Open,
    Close,
    And,
    Or,
    Plus,
    Minus,
}

fn lex(input: &str) -> Vec<Lex> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    let is_quote = |c: char| matches!(c, '"' | '“' | '”' | '„' | '«' | '»');
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if is_quote(c) {
            chars.next();
            let mut s = String::new();
            for c in chars.by_ref() {
                if is_quote(c) {
                    break;
                }
                s.push(c);
            }
            // `""` or `" "` asks for nothing: no clause.
            if !s.trim().is_empty() {
                out.push(Lex::Phrase(s));
            }
        } else if c == '(' {
            chars.next();
            out.push(Lex::Open);
        } else if c == ')' {
            chars.next();
            out.push(Lex::Close);
        } else if c == '+' || c == '-' {
            chars.next();
            match chars.peek() {
                Some(&n) if !n.is_whitespace() => {
                    out.push(if c == '+' { Lex::Plus } else { Lex::Minus })
                }
                _ => {}
            }
        } else {
            let mut s = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '(' || c == ')' || is_quote(c) {
                    break;
                }
                s.push(c);
                chars.next();
            }
            out.push(match s.as_str() {
                "AND" | "&&" => Lex::And,
                "OR" | "||" => Lex::Or,
                _ => Lex::Word(s),
            });
        }
    }
    out
}

/// Parses a query string; never fails (see the module docs for leniency).
pub(crate) fn parse(input: &str) -> Parsed {
    let toks = lex(input);
    let mut pos = 0;
    let mut parsed = Parsed::default();
    parsed.clauses = parse_list(&toks, &mut pos, 0, &mut parsed);
    parsed
}

fn parse_list(toks: &[Lex], pos: &mut usize, depth: usize, parsed: &mut Parsed) -> Vec<Clause> {
    let mut clauses: Vec<Clause> = Vec::new();
    let mut pending_and = false;
    // Parentheses opened past MAX_DEPTH: ignored, as are their closers.
    let mut ignored_opens = 0usize;
    while *pos < toks.len() {
        let mut occur = Occur::Should;
        match &toks[*pos] {
            Lex::Close => {
                *pos += 1;
                if ignored_opens > 0 {
                    ignored_opens -= 1;
                    continue;
                }
                if depth > 0 {
                    return clauses;
                }
                continue; // stray `)`
            }
            Lex::And => {
                *pos += 1;
                if let Some(last) = clauses.last_mut() {
                    if last.occur == Occur::Should {
                        last.occur = Occur::Must;
                    }
                    pending_and = true;
                }
                continue;
            }
            Lex::Or => {
                *pos += 1;
                pending_and = false;
                continue;
            }
            Lex::Plus => {
                occur = Occur::Must;
                *pos += 1;
            }
            Lex::Minus => {
                occur = Occur::MustNot;
                *pos += 1;
            }
            _ => {}
        }
        let Some(tok) = toks.get(*pos) else { break };
        *pos += 1;
        let node = match tok {
            Lex::Word(w) => {
                if let Some((field, value)) = w.split_once(':') {
                    let target = match (field.to_ascii_lowercase().as_str(), occur) {
                        ("doc", Occur::MustNot) => Some(&mut parsed.not_docs),
                        ("doc", _) => Some(&mut parsed.docs),
                        ("kind", Occur::MustNot) => Some(&mut parsed.not_kinds),
                        ("kind", _) => Some(&mut parsed.kinds),
                        _ => None,
                    };
                    if let Some(t) = target {
                        if !value.is_empty() {
                            t.push(value.to_string());
                        }
                        continue;
                    }
                }
                Node::Term(w.clone())
            }
            Lex::Phrase(p) => Node::Phrase(p.clone()),
            Lex::Open if depth >= MAX_DEPTH => {
                ignored_opens += 1;
                continue;
            }
            Lex::Open => Node::Group(parse_list(toks, pos, depth + 1, parsed)),
            // `+` or `-` followed by an operator: ignore the sign.
            Lex::Close | Lex::And | Lex::Or | Lex::Plus | Lex::Minus => {
                *pos -= 1;
                continue;
            }
        };
        if pending_and && occur == Occur::Should {
            occur = Occur::Must;
        }
        pending_and = false;
        clauses.push(Clause { occur, node });
    }
    clauses
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(w: &str) -> Node {
        Node::Term(w.into())
    }
    fn c(occur: Occur, node: Node) -> Clause {
        Clause { occur, node }
    }

    #[test]
    fn syntax() {
        use Occur::*;
        let cases: Vec<(&str, Vec<Clause>)> = vec![
            (
                "japan robots",
                vec![c(Should, t("japan")), c(Should, t("robots"))],
            ),
            (
                "\"sovereign AI\" -chips +Sony",
                vec![
                    c(Should, Node::Phrase("sovereign AI".into())),
                    c(MustNot, t("chips")),
                    c(Must, t("Sony")),
                ],
            ),
            (
                "a AND b OR c",
                vec![c(Must, t("a")), c(Must, t("b")), c(Should, t("c"))],
            ),
            (
                "(a OR b) AND c",
                vec![
                    c(
                        Must,
                        Node::Group(vec![c(Should, t("a")), c(Should, t("b"))]),
                    ),
                    c(Must, t("c")),
                ],
            ),
            (
                "“unclosed phrase",
                vec![c(Should, Node::Phrase("unclosed phrase".into()))],
            ),
            (
                ")) a ((",
                vec![
                    c(Should, t("a")),
                    c(Should, Node::Group(vec![c(Should, Node::Group(vec![]))])),
                ],
            ),
            (
                "1-trillion-parameter",
                vec![c(Should, t("1-trillion-parameter"))],
            ),
        ];
        for (input, expect) in cases {
            assert_eq!(parse(input).clauses, expect, "input: {input}");
        }
    }

    #[test]
    fn filters() {
        let p = parse("robots doc:article kind:source-note -doc:x");
        assert_eq!(p.docs, vec!["article"]);
        assert_eq!(p.kinds, vec!["source-note"]);
        assert_eq!(p.not_docs, vec!["x"]);
        assert_eq!(p.clauses.len(), 1);
    }

    #[test]
    fn deep_nesting_is_flattened() {
        let q = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
        let p = parse(&q);
        assert!(!p.clauses.is_empty());
    }
}
