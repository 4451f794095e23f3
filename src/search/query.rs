//! The query language journalists type, parsed into a small AST. Pure.
//!
//! - bare words are ranked and optional (`japan robots`);
//! - `"exact phrase"` must appear word for word (unstemmed);
//! - `+word` requires, `-word` and `NOT word` exclude (also on phrases and
//!   groups);
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
    /// Fact filters to keep (all of): (filter name, value), as in
    /// `country:Japan` or `publisher:"Insider Paper"`.
    pub facts: Vec<(String, String)>,
    /// Fact filters to drop (`-country:Japan`).
    pub not_facts: Vec<(String, String)>,
    /// Whether any word or mark was read as an operator (`AND`, `OR`,
    /// `NOT`, `+`, `-`, parentheses, a filter).
    pub operators: bool,
    /// What was typed but dropped: empty phrases, stray parentheses, a sign
    /// with nothing after it, an empty filter.
    pub dropped: Vec<String>,
}

impl Parsed {
    /// How the query was read, in the syntax itself (`Honda -Sony` for
    /// `Honda NOT Sony`), when any of it was read as an operator or
    /// dropped; `None` for plain words and phrases, which read as typed.
    pub(crate) fn read_as(&self) -> Option<String> {
        if !self.operators && self.dropped.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        render(&self.clauses, &mut out);
        let filters = [
            ("doc:", &self.docs),
            ("kind:", &self.kinds),
            ("-doc:", &self.not_docs),
            ("-kind:", &self.not_kinds),
        ];
        for (prefix, values) in filters {
            out.extend(values.iter().map(|v| format!("{prefix}{v}")));
        }
        let quoted = |v: &str| {
            if v.contains(char::is_whitespace) {
                format!("\"{v}\"")
            } else {
                v.to_string()
            }
        };
        out.extend(self.facts.iter().map(|(k, v)| format!("{k}:{}", quoted(v))));
        out.extend(
            self.not_facts
                .iter()
                .map(|(k, v)| format!("-{k}:{}", quoted(v))),
        );
        Some(out.join(" "))
    }
}

fn render(clauses: &[Clause], out: &mut Vec<String>) {
    for c in clauses {
        let sign = match c.occur {
            Occur::Should => "",
            Occur::Must => "+",
            Occur::MustNot => "-",
        };
        let body = match &c.node {
            Node::Term(t) => t.clone(),
            Node::Phrase(p) => format!("\"{p}\""),
            Node::Group(g) => {
                let mut inner = Vec::new();
                render(g, &mut inner);
                format!("({})", inner.join(" "))
            }
        };
        out.push(format!("{sign}{body}"));
    }
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

/// Tokens, and what the lexer dropped.
fn lex(input: &str) -> (Vec<Lex>, Vec<String>) {
    let mut out = Vec::new();
    let mut dropped = Vec::new();
    // Where the last `NOT` was lexed: one that ends the query excludes nothing.
    let mut last_not = None;
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
            if s.trim().is_empty() {
                dropped.push(format!("{c}{s}{c}"));
            } else {
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
                _ => dropped.push(c.to_string()),
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
                "NOT" => {
                    last_not = Some(out.len());
                    Lex::Minus
                }
                _ => Lex::Word(s),
            });
        }
    }
    if last_not.is_some_and(|i| i + 1 == out.len()) {
        out.pop();
        dropped.push("NOT".into());
    }
    (out, dropped)
}

/// Parses a query string; never fails (see the module docs for leniency).
/// No word is read as a fact filter.
pub(crate) fn parse(input: &str) -> Parsed {
    parse_with(input, &|_| false)
}

/// Parses a query string, reading `name:value` and `name:"a phrase"` as a
/// fact filter for every `name` that `is_fact` accepts (the corpus's fact
/// keys, such as `country` or `publisher`).
pub(crate) fn parse_with(input: &str, is_fact: &dyn Fn(&str) -> bool) -> Parsed {
    let (toks, dropped) = lex(input);
    let mut pos = 0;
    let mut parsed = Parsed {
        operators: toks
            .iter()
            .any(|t| !matches!(t, Lex::Word(_) | Lex::Phrase(_))),
        dropped,
        ..Parsed::default()
    };
    parsed.clauses = parse_list(&toks, &mut pos, 0, &mut parsed, is_fact);
    parsed
}

fn parse_list(
    toks: &[Lex],
    pos: &mut usize,
    depth: usize,
    parsed: &mut Parsed,
    is_fact: &dyn Fn(&str) -> bool,
) -> Vec<Clause> {
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
                parsed.dropped.push(")".into()); // stray `)`
                continue;
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
                    let name = field.to_ascii_lowercase();
                    if is_fact(&name) {
                        parsed.operators = true;
                        // `name:"a phrase"`: the phrase is the value.
                        let value = match toks.get(*pos) {
                            Some(Lex::Phrase(p)) if value.is_empty() => {
                                *pos += 1;
                                p.clone()
                            }
                            _ => value.to_string(),
                        };
                        if value.trim().is_empty() {
                            parsed.dropped.push(w.clone());
                        } else if occur == Occur::MustNot {
                            parsed.not_facts.push((name, value));
                        } else {
                            parsed.facts.push((name, value));
                        }
                        continue;
                    }
                    let target = match (name.as_str(), occur) {
                        ("doc", Occur::MustNot) => Some(&mut parsed.not_docs),
                        ("doc", _) => Some(&mut parsed.docs),
                        ("kind", Occur::MustNot) => Some(&mut parsed.not_kinds),
                        ("kind", _) => Some(&mut parsed.kinds),
                        _ => None,
                    };
                    if let Some(t) = target {
                        parsed.operators = true;
                        if value.is_empty() {
                            parsed.dropped.push(w.clone());
                        } else {
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
            Lex::Open => Node::Group(parse_list(toks, pos, depth + 1, parsed, is_fact)),
            // `+` or `-` followed by an operator: ignore the sign.
            Lex::Close | Lex::And | Lex::Or | Lex::Plus | Lex::Minus => {
                *pos -= 1;
                parsed
                    .dropped
                    .push(if occur == Occur::Must { "+" } else { "-" }.into());
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
            (
                "Honda NOT Sony",
                vec![c(Should, t("Honda")), c(MustNot, t("Sony"))],
            ),
            (
                "robots NOT (Sony OR \"physical AI\")",
                vec![
                    c(Should, t("robots")),
                    c(
                        MustNot,
                        Node::Group(vec![
                            c(Should, t("Sony")),
                            c(Should, Node::Phrase("physical AI".into())),
                        ]),
                    ),
                ],
            ),
            // Lower-case `not` is a word, as `and` and `or` are.
            ("not sony", vec![c(Should, t("not")), c(Should, t("sony"))]),
        ];
        for (input, expect) in cases {
            assert_eq!(parse(input).clauses, expect, "input: {input}");
        }
    }

    #[test]
    fn how_the_query_was_read() {
        let cases = [
            ("japan robots", None, vec![]),
            ("\"sovereign AI\" chips", None, vec![]),
            ("Honda NOT Sony", Some("Honda -Sony"), vec![]),
            ("a AND b OR c", Some("+a +b c"), vec![]),
            (
                "robots doc:article kind:",
                Some("robots doc:article"),
                vec!["kind:"],
            ),
            ("a ) \"\" b -", Some("a b"), vec!["\"\"", "-", ")"]),
            ("NOT", Some(""), vec!["NOT"]),
            ("Honda NOT", Some("Honda"), vec!["NOT"]),
        ];
        for (input, read_as, dropped) in cases {
            let p = parse(input);
            let mut got = p.dropped.clone();
            got.sort();
            let mut want: Vec<String> = dropped.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(
                (p.read_as().as_deref(), got),
                (read_as, want),
                "input: {input}"
            );
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
