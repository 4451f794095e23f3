//! The short text each tool result carries beside its JSON: what a model
//! reads. Source text is quoted exactly, each with its citation label, passage
//! id and char offsets; "no answer in these sources" is said in those words.

use std::fmt::Write;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::tools::Tool;
use crate::answer::AskStatus;
use crate::citations::CitationStatus;
use crate::http::documents::{DocumentList, DocumentText};
use crate::model::Citation;
use crate::quote::Verdict;
use crate::wire::{
    AskResponse, DraftResponse, PassageView, QuoteCheckResponse, SearchHit, SearchResponse,
    VerifyResponse,
};

/// The text rendering of `json`, the route's response for `tool`.
pub(super) fn render(tool: Tool, json: &Value) -> Result<String, serde_json::Error> {
    Ok(match tool {
        Tool::Search => search(&parse(json)?),
        Tool::Ask => ask(&parse(json)?),
        Tool::CheckQuote => check(&parse(json)?),
        Tool::CheckDraft => draft(&parse(json)?),
        Tool::VerifyCitations => verified(&parse(json)?),
        Tool::GetPassage => passage(&parse(json)?),
        Tool::GetDocument => document(&parse(json)?),
        Tool::ListDocuments => documents(&parse(json)?),
    })
}

fn parse<T: DeserializeOwned>(json: &Value) -> Result<T, serde_json::Error> {
    T::deserialize(json)
}

/// `— label [passage_id, chars start–end]`: enough to find the spot again.
fn cite(c: &Citation) -> String {
    format!(
        "— {} [{}, chars {}–{}]",
        c.label, c.passage_id, c.start, c.end
    )
}

/// A numbered list of passages, each quoted and cited.
fn hits(out: &mut String, hits: &[SearchHit], first: usize) {
    for (i, h) in hits.iter().enumerate() {
        let _ = writeln!(out, "{}. “{}” {}", first + i, h.text, cite(&h.citation));
        for s in &h.similar {
            let _ = writeln!(out, "   near-identical: “{}” {}", s.text, cite(&s.citation));
        }
    }
}

fn search(r: &SearchResponse) -> String {
    let mut out = String::new();
    let mode = match r.mode {
        crate::search::SearchMode::Lexical => "lexical",
        crate::search::SearchMode::Hybrid => "hybrid",
    };
    if let Some(read_as) = &r.read_as {
        let _ = writeln!(out, "Query read as: {read_as}");
        if !r.dropped.is_empty() {
            let _ = writeln!(out, "Ignored: {}", r.dropped.join(" "));
        }
    }
    if r.hits.is_empty() {
        let _ = writeln!(
            out,
            "{} passages match “{}”; none on this page (offset {}).",
            r.total, r.query, r.offset
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{} passages match “{}” ({mode} ranking); passages {}–{}, exact text:",
        r.total,
        r.query,
        r.offset + 1,
        r.offset + r.hits.iter().map(|h| 1 + h.similar.len()).sum::<usize>()
    );
    hits(&mut out, &r.hits, r.offset + 1);
    out
}

fn ask(r: &AskResponse) -> String {
    let mut out = String::new();
    match r.status {
        AskStatus::Answered => {
            let _ = writeln!(
                out,
                "Answers from the sources to “{}”, best first, exact text:",
                r.question
            );
            for (i, a) in r.answers.iter().enumerate() {
                // A weak answer is a passage to read, not an answer to repeat.
                let weak = if a.strong {
                    ""
                } else {
                    " (weak match: may not answer the question)"
                };
                let _ = writeln!(out, "{}. “{}” {}{weak}", i + 1, a.text, cite(&a.citation));
                for s in &a.similar {
                    let _ = writeln!(out, "   near-identical: “{}” {}", s.text, cite(&s.citation));
                }
            }
        }
        AskStatus::NoAnswer => {
            let _ = writeln!(out, "No answer in these sources to “{}”.", r.question);
            if let Some(why) = &r.explanation {
                let _ = writeln!(out, "{why}");
            }
            if !r.related.is_empty() {
                let _ = writeln!(
                    out,
                    "Nearest passages, none confirmed as an answer (for orientation only; \
                     \"possibly relevant\" ones may hold it, the others do NOT answer):"
                );
                for (i, h) in r.related.iter().enumerate() {
                    let label = if h.possibly_relevant {
                        "possibly relevant, not confirmed"
                    } else {
                        "not an answer"
                    };
                    let _ = writeln!(out, "{}. [{label}]", i + 1);
                    hits(&mut out, std::slice::from_ref(&h.hit), i + 1);
                }
            }
        }
    }
    if !r.unmatched_terms.is_empty() && r.explanation.is_none() {
        let _ = writeln!(
            out,
            "Words of the question found nowhere in the sources: {}.",
            r.unmatched_terms.join(", ")
        );
    }
    out
}

/// One quote's verdict, its source text and what differs.
fn verdict(out: &mut String, c: &QuoteCheckResponse) {
    match (c.verdict, &c.matched) {
        (Verdict::Verbatim, Some(m)) => {
            let _ = writeln!(
                out,
                "Verbatim: the quote is word for word in the sources. Source text: “{}” {}",
                m.text,
                cite(&m.citation)
            );
        }
        (Verdict::Altered, Some(m)) if !c.pieces.is_empty() => {
            let _ = writeln!(
                out,
                "Altered: the quote is NOT one passage of the sources; it joins {} pieces from different places:",
                c.pieces.len()
            );
            for p in &c.pieces {
                let _ = writeln!(
                    out,
                    "- “{}” {}{}",
                    p.text,
                    cite(&p.citation),
                    if p.verbatim {
                        ""
                    } else {
                        " (not word for word)"
                    }
                );
            }
            let notes: Vec<&str> = m.notes.iter().map(|n| n.text.as_str()).collect();
            let _ = writeln!(out, "Notes: {}", notes.join("; "));
        }
        (Verdict::Altered, Some(m)) => {
            let _ = writeln!(
                out,
                "Altered: the quote is NOT word for word. Closest source text (similarity {}): “{}” {}",
                m.similarity,
                m.text,
                cite(&m.citation)
            );
            let _ = writeln!(out, "Differences (source → quote): {}", c.summary());
            if !m.notes.is_empty() {
                let notes: Vec<&str> = m.notes.iter().map(|n| n.text.as_str()).collect();
                let _ = writeln!(out, "Notes: {}", notes.join("; "));
            }
        }
        (Verdict::NotChecked, _) => {
            let _ = writeln!(out, "Not checked: the quotation is too long to check.");
        }
        _ => {
            let _ = writeln!(out, "Not found: no source text is close to this quote.");
            if !c.candidates.is_empty() {
                let _ = writeln!(out, "Nearest passages (not a match):");
                hits(out, &c.candidates, 1);
            }
        }
    }
}

fn check(c: &QuoteCheckResponse) -> String {
    let mut out = String::new();
    verdict(&mut out, c);
    out
}

fn draft(d: &DraftResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} quotations found in the draft.", d.quotes.len());
    for (i, q) in d.quotes.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{}. “{}” (draft chars {}–{})",
            i + 1,
            q.check.quote,
            q.start,
            q.end
        );
        verdict(&mut out, &q.check);
    }
    out
}

fn verified(r: &VerifyResponse) -> String {
    let mut out = String::new();
    for (i, v) in r.results.iter().enumerate() {
        let _ = match (v.status, v.citations.first(), &v.text) {
            (CitationStatus::Exact, Some(c), Some(t)) => {
                writeln!(out, "{}. exact: still “{t}” {}", i + 1, cite(c))
            }
            (CitationStatus::Moved, Some(c), Some(t)) => writeln!(
                out,
                "{}. moved: “{t}” is now at {} ({} place(s))",
                i + 1,
                cite(c),
                v.citations.len()
            ),
            (CitationStatus::Changed, Some(c), Some(t)) => {
                let notes: Vec<&str> = v.notes.iter().map(|n| n.text.as_str()).collect();
                writeln!(
                    out,
                    "{}. changed: the place now reads “{t}” {}{}",
                    i + 1,
                    cite(c),
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", notes.join("; "))
                    }
                )
            }
            _ => writeln!(out, "{}. gone: no longer in the sources", i + 1),
        };
    }
    out
}

fn passage(p: &PassageView) -> String {
    let mut out = format!("“{}” {}\n", p.text, cite(&p.citation));
    let _ = writeln!(
        out,
        "Previous passage: {}. Next passage: {}.",
        p.previous.as_deref().unwrap_or("none"),
        p.next.as_deref().unwrap_or("none")
    );
    out
}

fn document(d: &DocumentText) -> String {
    let s = &d.summary;
    let mut about = vec![s.kind.clone()];
    about.extend(s.source.clone());
    about.extend(s.published.clone());
    about.extend(s.url.clone());
    format!(
        "{} [{}] ({}; {} passages, {} chars, version {})\n\n{}\n",
        s.title,
        s.doc_id,
        about.join(", "),
        s.passages,
        s.chars,
        s.doc_version,
        d.text
    )
}

fn documents(l: &DocumentList) -> String {
    let mut out = if l.documents.len() == l.total {
        format!("{} documents:\n", l.total)
    } else {
        format!("{} of {} documents:\n", l.documents.len(), l.total)
    };
    for d in &l.documents {
        let mut about = vec![d.kind.clone()];
        about.extend(d.source.clone());
        about.extend(d.published.clone());
        let _ = writeln!(
            out,
            "- {}: {} ({}; {} passages)",
            d.doc_id,
            d.title,
            about.join(", "),
            d.passages
        );
    }
    if let Some(c) = &l.next_cursor {
        let _ = writeln!(out, "More: call again with cursor \"{c}\".");
    }
    out
}
