//! HTML: the main text of a page, as Markdown-like text whose offsets the
//! citations use. Pure.
//!
//! The title comes from `<title>`, else the first `<h1>`. The text comes
//! from `<main>` or `<article>` when there is one, else `<body>`. Scripts,
//! styles, navigation, headers, footers, asides, forms and templates are not
//! text. Headings become `#` lines (so they become sections), list items
//! `- ` lines, and every block is separated by a blank line.

use scraper::{ElementRef, Html, Node, Selector};

/// Elements whose content is never text.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "button", "svg", "iframe", "select",
];
/// Elements that start a new block.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "table",
    "tr",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "br",
    "hr",
    "address",
    "details",
    "summary",
];

/// Extracts `(title, text)` from an HTML page.
pub(crate) fn extract(html: &str) -> (Option<String>, String) {
    let doc = Html::parse_document(html);
    let sel = |s: &str| Selector::parse(s).expect("static selector");
    let clean = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let title = doc
        .select(&sel("title"))
        .next()
        .map(|t| clean(t.text().collect()))
        .filter(|t| !t.is_empty())
        .or_else(|| {
            doc.select(&sel("h1"))
                .next()
                .map(|h| clean(h.text().collect()))
        });
    let root = doc
        .select(&sel("main"))
        .next()
        .or_else(|| doc.select(&sel("article")).next())
        .or_else(|| doc.select(&sel("body")).next())
        .unwrap_or_else(|| doc.root_element());
    let mut blocks: Vec<String> = Vec::new();
    let mut current = String::new();
    walk(root, &mut blocks, &mut current, 0);
    flush(&mut blocks, &mut current, "");
    (title, blocks.join("\n\n"))
}

fn flush(blocks: &mut Vec<String>, current: &mut String, prefix: &str) {
    let text = current.split_whitespace().collect::<Vec<_>>().join(" ");
    if !text.is_empty() {
        blocks.push(format!("{prefix}{text}"));
    }
    current.clear();
}

/// Elements nested deeper than this below the text's root are read as flat
/// text ([`flat_text`]), without recursion: a page of tens of thousands of
/// nested `<div>`s once overflowed the stack (issue 35, item 6). Browsers
/// cap nesting too (Blink at 512).
const MAX_DEPTH: usize = 256;

/// Appends the text under `el` to `current` in document order, skipping
/// [`SKIP`] elements and separating blocks by a space, with an explicit
/// cursor instead of recursion, so any depth costs no stack.
fn flat_text(el: ElementRef<'_>, current: &mut String) {
    let root = *el;
    let mut node = root.first_child();
    while let Some(n) = node {
        let mut descend = true;
        match n.value() {
            Node::Text(t) => current.push_str(t),
            Node::Element(e) if SKIP.contains(&e.name()) => descend = false,
            Node::Element(e) if BLOCKS.contains(&e.name()) => current.push(' '),
            _ => {}
        }
        node = descend.then(|| n.first_child()).flatten().or_else(|| {
            // Up until a node with a next sibling, never above the root.
            let mut up = Some(n);
            while let Some(u) = up {
                if u == root {
                    return None;
                }
                if let Some(s) = u.next_sibling() {
                    return Some(s);
                }
                up = u.parent();
            }
            None
        });
    }
}

fn walk(el: ElementRef<'_>, blocks: &mut Vec<String>, current: &mut String, depth: usize) {
    if depth >= MAX_DEPTH {
        flat_text(el, current);
        return;
    }
    for child in el.children() {
        match child.value() {
            Node::Text(t) => current.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if SKIP.contains(&name) {
                    continue;
                }
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                if let Some(level) = name
                    .strip_prefix('h')
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| (1..=6).contains(n))
                {
                    flush(blocks, current, "");
                    let mut inner = String::new();
                    walk(child_el, &mut Vec::new(), &mut inner, depth + 1);
                    flush(blocks, &mut inner, &format!("{} ", "#".repeat(level)));
                } else if name == "li" {
                    flush(blocks, current, "");
                    let mut inner_blocks = Vec::new();
                    let mut inner = String::new();
                    walk(child_el, &mut inner_blocks, &mut inner, depth + 1);
                    flush(&mut inner_blocks, &mut inner, "");
                    for (i, b) in inner_blocks.into_iter().enumerate() {
                        blocks.push(if i == 0 { format!("- {b}") } else { b });
                    }
                } else if BLOCKS.contains(&name) {
                    flush(blocks, current, "");
                    walk(child_el, blocks, current, depth + 1);
                    flush(blocks, current, "");
                } else {
                    walk(child_el, blocks, current, depth + 1);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nesting far past [`MAX_DEPTH`] (which once overflowed the stack) is
    /// read as flat text, skipped elements still skipped; nesting within it
    /// keeps its blocks.
    #[test]
    fn deep_nesting_costs_no_stack() {
        let n = 30_000;
        let html = format!(
            "<body><p>Top.</p>{}Deep <b>words</b><script>no</script> here.{}</body>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        let (_, text) = extract(&html);
        assert_eq!(text, "Top.\n\nDeep words here.");
        let shallow = format!(
            "{}<p>One.</p><p>Two.</p>{}",
            "<div>".repeat(10),
            "</div>".repeat(10)
        );
        assert_eq!(extract(&shallow).1, "One.\n\nTwo.");
    }

    #[test]
    fn main_text_without_chrome() {
        let html = r#"<html><head><title>Robots &amp; AI</title><style>p{}</style><script>var x="no";</script></head>
            <body><nav><a href="/">Home</a></nav><header>Site name</header>
            <main><h1>Japan bets on robots</h1><p>Japan is   investing <b>billions</b>.</p>
            <ul><li>One item</li><li>Two item</li></ul><p>Last.</p></main><footer>© 2026</footer></body></html>"#;
        let (title, text) = extract(html);
        assert_eq!(title.as_deref(), Some("Robots & AI"));
        assert_eq!(text, "# Japan bets on robots\n\nJapan is investing billions.\n\n- One item\n\n- Two item\n\nLast.");
    }
}
