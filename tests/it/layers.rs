//! The architecture rule, checked: imports point down the layers of
//! ARCHITECTURE.md, and no modules of `src/` import each other in a circle.
//!
//! It reads every `src/**/*.rs` file (a file is a module), finds the paths it
//! names (`crate::a::b`, `super::x`, and a parent's `child::x`), resolves each
//! to the module file it reaches, and checks two things:
//! - across top-level modules, an import only reaches a lower layer;
//! - across all files, the import graph has no cycle.
//!
//! Unit tests (`#[cfg(test)]` to the end of a file) are not counted: a test
//! may reach anywhere to set up its case.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom up. A module may import only modules
/// in an earlier row; modules of one row never import each other.
const LAYERS: &[&[&str]] = &[
    &["error", "failpoint"],
    &["model", "config", "cancel", "durable"],
    &["analysis"],
    &["segment"],
    &["embed", "docstore"],
    &["ingest"],
    &["index", "vectors"],
    &["snapshot"],
    &["search", "draft"],
    &["answer"],
    &["quote"],
    &["citations"],
    &["wire"],
    &["engine"],
    &["live", "web"],
    &["http", "bench", "fuzz"],
    &["mcp"],
    &["cli"],
    &["crate"],
];

fn layer_of(top: &str) -> usize {
    LAYERS
        .iter()
        .position(|row| row.contains(&top))
        .unwrap_or_else(|| {
            panic!("module `{top}` is in no layer: add it to LAYERS and ARCHITECTURE.md")
        })
}

/// Module path of a source file: `src/a/b.rs` → `a::b`, `src/a/mod.rs` → `a`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        return "crate".into();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's code without unit tests, comments and string literals (so a
/// path in a doc comment or a message is not an import).
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if text[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal such as '"' or '\n'.
            let end = text[i + 1..].find('\'').map_or(b.len(), |e| i + 2 + e);
            i = end;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Every `prefix::a::b` path in `code`, flattening `use prefix::{a, b::c}` groups.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        expand(rest, Vec::new(), &mut out);
    }
    out
}

/// Reads one path (or `{...}` group) at the start of `s`, appending whole paths.
fn expand(s: &str, base: Vec<String>, out: &mut Vec<Vec<String>>) {
    let s = s.trim_start();
    if let Some(inner) = s.strip_prefix('{') {
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    expand(&inner[start..i], base.clone(), out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], base.clone(), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let ident: String = s
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if ident.is_empty() {
        if !base.is_empty() {
            out.push(base);
        }
        return;
    }
    let mut path = base;
    path.push(ident.clone());
    match s[ident.len()..].strip_prefix("::") {
        Some(more) => expand(more, path, out),
        None => out.push(path),
    }
}

/// The longest prefix of `path` (relative to the crate root) that is a module.
fn resolve(modules: &BTreeSet<String>, path: &[String]) -> String {
    for n in (1..=path.len()).rev() {
        let m = path[..n].join("::");
        if modules.contains(&m) {
            return m;
        }
    }
    "crate".into()
}

fn parent(m: &str) -> String {
    m.rsplit_once("::")
        .map_or("crate".into(), |(p, _)| p.to_string())
}

fn top(m: &str) -> &str {
    m.split("::").next().unwrap()
}

/// Module → the modules its code imports.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let files: Vec<(String, PathBuf)> = files
        .into_iter()
        .filter(|f| !f.ends_with("main.rs"))
        .map(|f| (module_of(&src, &f), f))
        .collect();
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut graph = BTreeMap::new();
    for (m, f) in &files {
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        let mut targets = BTreeSet::new();
        for p in paths_after(&code, "crate::") {
            targets.insert(resolve(&modules, &p));
        }
        let here: Vec<String> = if m == "crate" {
            Vec::new()
        } else {
            m.split("::").map(String::from).collect()
        };
        for p in paths_after(&code, "super::") {
            let mut full: Vec<String> = here[..here.len().saturating_sub(1)].to_vec();
            full.extend(p);
            targets.insert(resolve(&modules, &full));
        }
        // A parent naming its own child modules (`use child::x;`, `child::f()`).
        for child in modules.iter().filter(|c| parent(c) == *m) {
            let name = child.rsplit("::").next().unwrap();
            if !paths_after(&code, &format!("{name}::")).is_empty() {
                targets.insert(child.clone());
            }
        }
        targets.remove(m);
        graph.insert(m.clone(), targets);
    }
    graph
}

#[test]
fn imports_point_down_the_layers() {
    let graph = import_graph();
    let mut wrong = Vec::new();
    for (from, tos) in &graph {
        for to in tos {
            let (a, b) = (top(from), top(to));
            if a == "crate" || a == b {
                continue;
            }
            if b == "crate" || layer_of(b) >= layer_of(a) {
                wrong.push(format!("{from} imports {to}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that do not point down (see ARCHITECTURE.md):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let graph = import_graph();
    // Depth-first search with colours; a grey target closes a cycle.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(m, 1);
        stack.push(m);
        for to in graph.get(m).into_iter().flatten() {
            match state.get(to.as_str()) {
                Some(1) => {
                    let from = stack.iter().position(|s| *s == to).unwrap();
                    cycles.push(format!("{} → {to}", stack[from..].join(" → ")));
                }
                Some(_) => {}
                None => visit(to, graph, state, stack, cycles),
            }
        }
        stack.pop();
        state.insert(m, 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for m in graph.keys() {
        if !state.contains_key(m.as_str()) {
            visit(m, &graph, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "import circles:\n{}", cycles.join("\n"));
}

#[test]
fn the_check_sees_imports() {
    // A check that finds nothing would pass for the wrong reason.
    let graph = import_graph();
    assert!(
        graph["engine"].contains("snapshot"),
        "{:?}",
        graph["engine"]
    );
    assert!(graph["answer"].contains("answer::features"));
    assert!(graph["answer::features"].contains("answer::question"));
    assert!(graph["http::search"].contains("search"));
    assert!(graph.len() > 40, "{}", graph.len());
}
