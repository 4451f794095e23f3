//! Quote checking: a table of cases over the seed article, and properties
//! over every passage of the default corpus.

use proptest::prelude::*;
use verbatim::wire::{DraftResponse, QuoteCheckResponse};
use verbatim::{DiffOp, Verdict};

use super::support::engine;

fn check(quote: &str) -> QuoteCheckResponse {
    let c = engine()
        .check_quote(quote)
        .unwrap_or_else(|e| panic!("{quote}: {e}"));
    let r = QuoteCheckResponse::new(quote, &c);
    // The invariant: the match text is the document sliced at the citation.
    if let Some(m) = &r.matched {
        let doc = engine().document(&m.citation.doc_id).unwrap();
        let span = verbatim::Span {
            start: m.citation.start,
            end: m.citation.end,
        };
        assert_eq!(doc.slice_chars(span), Some(m.text.as_str()), "{quote}");
    }
    for p in &r.pieces {
        let doc = engine().document(&p.citation.doc_id).unwrap();
        let span = verbatim::Span {
            start: p.citation.start,
            end: p.citation.end,
        };
        assert_eq!(doc.slice_chars(span), Some(p.text.as_str()), "{quote}");
        assert!(quote.contains(&p.quote), "{quote}: piece {:?}", p.quote);
    }
    r
}

/// `(quote, verdict, a fragment every listed note or diff must contain)`.
const CASES: &[(&str, &str, &[&str])] = &[
    // Verbatim, in curly and straight typography, any case, with marks.
    ("Japan has approved about $6.3 billion for a homegrown “sovereign AI” model", "verbatim", &[]),
    ("Japan has approved about $6.3 billion for a homegrown \"sovereign AI\" model", "verbatim", &[]),
    ("to build a 1–trillion–parameter AI model for ‘physical AI’", "verbatim", &[]),
    ("JAPAN IS LOSING WORKERS FAST", "verbatim", &["letter case differs"]),
    ("Their goal is to create one of Japan’s largest foundation models … and then plug it into factories", "verbatim", &["leaves out “by around 2027”"]),
    ("Their goal is to create one of Japan’s largest foundation models [...] and then plug it into factories", "verbatim", &["leaves out"]),
    ("[The companies’] goal is to create one of Japan’s largest foundation models", "verbatim", &["editorial insertion"]),
    ("The law avoids heavy fines, instead asking [firms] to “cooperate” with government guidance", "verbatim", &["substitution for “companies”"]),
    ("Those gaps matter because they make it hard to judge [sic] making it difficult to evaluate", "verbatim", &[]),
    ("con\u{00AD}trol their own artificial\u{200B} intelligence", "verbatim", &[]),
    // Altered: a number, a date, a negation, a name, a rephrased clause.
    ("Japan has approved about $8.3 billion for a homegrown sovereign AI model", "altered", &["number changed: source “6.3” → quote “8.3”"]),
    ("deploy up to 10 million AI-enabled robots by 2050 as Japan searches", "altered", &["number changed", "2050"]),
    ("was formally set up in March 2026 by SoftBank, NEC, Sony, and Honda", "altered", &["date changed"]),
    ("The law does not avoid heavy fines", "altered", &["negation added"]),
    ("Public sources already show a detailed technical paper for the 1-trillion-parameter model", "altered", &[]),
    ("SoftBank, Sony, NEC, and Toyota are leading a new venture", "altered", &["name changed", "Toyota"]),
    ("Japan is losing workers fast, and sees AI robots as a way to keep its economy running", "altered", &[]),
    // Each kind of note, named right.
    ("deploy up to ten million AI-enabled robots by 2040", "altered", &["NumberStyle", "the same number, written another way"]),
    ("a homegrown \"sovereign AI\" model tied to chips", "altered", &["Omission", "left out “robotics and”"]),
    ("Japan has approved about $6.3 billion for a homegrown model tied to robotics and chips", "altered", &["Omission", "left out “sovereign AI”"]),
    ("The law imposes heavy fines, instead asking companies to “cooperate” with government guidance", "altered", &["Reversal", "“avoids” → quote “imposes”"]),
    ("Supporters said this “physical AI” focus sets Japan apart from Western efforts", "altered", &["TenseChanged", "“say” → quote “said”"]),
    ("shrinking workforce.\n\nJapan’s push raises big questions", "verbatim", &["CrossesBreak", "across a paragraph break"]),
    // Stitched from two places: altered, with the join named.
    ("Japan’s plan is framed as national self-help, designed to compete with leading global foundation models", "altered", &["Stitched", "joins ¶", "without an ellipsis: each piece is verbatim"]),
    ("Their goal is to create one of Japan’s largest foundation models … designed to compete with leading global foundation models", "altered", &["Stitched", "with an ellipsis"]),
    ("Japan’s plan is framed as national self-help and the Japanese government has committed roughly 1 trillion yen", "altered", &["Stitched", "words in no piece of the sources: “and”"]),
    // Fabricated.
    ("The moon is made of cheese and robots dance at night", "not_found", &[]),
    ("Honda will build ten thousand humanoid factories in Osaka next year", "not_found", &[]),
];

#[test]
fn case_table() {
    for (quote, verdict, fragments) in CASES {
        let r = check(quote);
        assert_eq!(
            r.verdict.as_str(),
            *verdict,
            "{quote}: {}",
            serde_json::to_string_pretty(&r).unwrap()
        );
        let m = r.matched.as_ref();
        let text = m
            .map(|m| format!("{:?} {}", m.notes, r.summary()))
            .unwrap_or_default();
        for f in *fragments {
            assert!(text.contains(f), "{quote}: expected {f:?} in {text}");
        }
        if *verdict == "not_found" {
            assert!(m.is_none());
        } else {
            assert!(m.is_some_and(|m| !m.diff.is_empty()));
        }
    }
}

#[test]
fn a_stitched_quote_cites_each_piece_where_it_is() {
    let quote = "Japan’s plan is framed as national self-help, designed to compete with leading global foundation models";
    let r = check(quote);
    assert_eq!(r.verdict, Verdict::Altered);
    let got: Vec<(&str, &str, bool)> = r
        .pieces
        .iter()
        .map(|p| (p.quote.as_str(), p.text.as_str(), p.verbatim))
        .collect();
    assert_eq!(
        got,
        [
            (
                "Japan’s plan is framed as national self-help",
                "Japan’s plan is framed as national self-help",
                true
            ),
            (
                "designed to compete with leading global foundation models",
                "designed to compete with leading global foundation models",
                true
            ),
        ]
    );
    assert!(r.pieces[0].citation.paragraph != r.pieces[1].citation.paragraph);
    // The note names the pieces by the ¶ their citations give (it used to
    // give block numbers: "joins ¶10 and ¶14" for pieces cited ¶9 and ¶13).
    let paras: Vec<String> = r
        .pieces
        .iter()
        .map(|p| format!("¶{}", p.citation.paragraph.unwrap()))
        .collect();
    let note = &r.matched.as_ref().unwrap().notes[0].text;
    assert!(
        note.starts_with(&format!("joins {} and {} ", paras[0], paras[1])),
        "{note} (pieces cited {paras:?})"
    );
    assert!(r
        .pieces
        .iter()
        .all(|p| p.diff.iter().all(|d| d.op == DiffOp::Equal)));
    // The match is the longest piece, and the notes start with the join.
    let m = r.matched.as_ref().unwrap();
    assert_eq!(m.text, r.pieces[1].text);
    assert_eq!(m.notes[0].kind, verbatim::NoteKind::Stitched);
    assert!(
        r.summary().starts_with("stitched from “Japan’s plan"),
        "{}",
        r.summary()
    );
    // A word changed at a piece's edge: the word the sources lack is named.
    let r = check("Japan’s plan is framed as national self-reliance, designed to compete with leading global foundation models");
    assert_eq!((r.verdict, r.pieces.len()), (Verdict::Altered, 2));
    let notes = &r.matched.as_ref().unwrap().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.text == "words in no piece of the sources: “reliance”"),
        "{notes:?}"
    );
    // A word changed inside a piece: that piece is not verbatim, and says so.
    let r = check("Japan’s plan is framed as national self-help, but it still centers power in large corporations, designed to compete with leading global foundation models");
    assert_eq!(r.verdict, Verdict::Altered);
    let flags: Vec<bool> = r.pieces.iter().map(|p| p.verbatim).collect();
    assert_eq!(flags, [false, true], "{r:?}");
    assert!(r.pieces[0]
        .diff
        .iter()
        .any(|d| d.op == DiffOp::Replace && d.source == "big" && d.quote == "large"));
    // Single-span edits never come back as pieces.
    for q in [
        "a homegrown \"sovereign AI\" model tied to chips",
        "The law imposes heavy fines, instead asking companies to “cooperate” with government guidance",
        "Japan has approved about $8.3 billion for a homegrown sovereign AI model",
    ] {
        assert!(check(q).pieces.is_empty(), "{q}");
    }
}

#[test]
fn limits() {
    assert_eq!(
        engine().check_quote("").unwrap_err().code(),
        verbatim::ErrorCode::InvalidQuote
    );
    assert_eq!(
        engine().check_quote(" … [sic] ").unwrap_err().code(),
        verbatim::ErrorCode::InvalidQuote
    );
    let long = "word ".repeat(verbatim::MAX_QUOTE_WORDS + 1);
    assert_eq!(
        engine().check_quote(&long).unwrap_err().code(),
        verbatim::ErrorCode::QuoteTooLong
    );
}

/// Every (passage, start word, length) run of 5 to 12 words.
fn runs() -> Vec<String> {
    let mut out = Vec::new();
    for d in engine().documents() {
        for p in d.passages() {
            let text = d.passage_text(&p);
            let toks = verbatim::tokenize(text);
            for len in [5, 8, 12] {
                for s in (0..toks.len().saturating_sub(len - 1)).step_by(3) {
                    out.push(text[toks[s].start..toks[s + len - 1].end].to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_run_of_five_or_more_words_is_verbatim() {
    let runs = runs();
    assert!(runs.len() > 500, "{}", runs.len());
    for q in &runs {
        assert_eq!(check(q).verdict, Verdict::Verbatim, "{q}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn changing_one_number_makes_it_altered(pick in 0usize..10_000, bump in 1u64..9) {
        let with_numbers: Vec<String> = runs().into_iter().filter(|r| {
            verbatim::tokenize(r).iter().any(|t| t.text.chars().all(|c| c.is_ascii_digit()))
        }).collect();
        let q = &with_numbers[pick % with_numbers.len()];
        let toks = verbatim::tokenize(q);
        let t = toks.iter().find(|t| t.text.chars().all(|c| c.is_ascii_digit())).unwrap();
        let n: u64 = t.text.parse().unwrap();
        let changed = format!("{}{}{}", &q[..t.start], n + bump, &q[t.end..]);
        let r = check(&changed);
        prop_assert_eq!(r.verdict, Verdict::Altered, "{}", changed);
        let m = r.matched.unwrap();
        prop_assert!(m.diff.iter().any(|d| d.op == DiffOp::Replace && d.quote.contains(&(n + bump).to_string())), "{:?}", m.diff);
        prop_assert!(m.notes.iter().any(|n| n.kind == verbatim::NoteKind::NumberChanged && n.text.starts_with("number changed")), "{:?}", m.notes);
    }
}

/// A draft check stops between quotations once its flag is raised (the
/// server raises it when the request timed out), rather than check every
/// quotation for no one.
#[test]
fn a_cancelled_draft_check_stops() {
    let draft = "She said “Japan is losing workers fast” and “the plan is funded by the state”.";
    let cancel = verbatim::Cancel::never();
    assert_eq!(
        engine()
            .check_draft_until(draft, false, &cancel)
            .unwrap()
            .quotes
            .len(),
        2
    );
    cancel.cancel();
    let err = engine()
        .check_draft_until(draft, false, &cancel)
        .unwrap_err();
    assert_eq!(err.code(), verbatim::ErrorCode::Timeout, "{err}");
}

/// A citation re-check stops between citations the same way.
#[test]
fn a_cancelled_citation_recheck_stops() {
    let doc = engine().documents().next().unwrap();
    let cited = vec![
        verbatim::StoredCitation {
            doc_id: doc.meta.id.clone(),
            start: 0,
            end: 5,
            doc_version: Some(doc.version.clone()),
            text: None,
        };
        3
    ];
    let cancel = verbatim::Cancel::never();
    let done = engine().verify_citations_until(&cited, &cancel).unwrap();
    assert!(done
        .iter()
        .all(|v| v.status == verbatim::CitationStatus::Exact));
    cancel.cancel();
    let err = engine()
        .verify_citations_until(&cited, &cancel)
        .unwrap_err();
    assert_eq!(err.code(), verbatim::ErrorCode::Timeout, "{err}");
}

#[test]
fn drafts_check_each_quotation_with_offsets() {
    let draft = "Officials said Japan “has committed roughly 1 trillion yen” to the effort. \
                 Critics call it a \"moonshot\". One report said \"up to 12 million AI-enabled robots by 2040\" \
                 would be deployed, and an analyst said “robots will replace every worker in Tokyo by Friday.”";
    let resp = DraftResponse::from(&engine().check_draft(draft, false).unwrap());
    let verdicts: Vec<Verdict> = resp.quotes.iter().map(|q| q.check.verdict).collect();
    assert_eq!(
        verdicts,
        vec![Verdict::Verbatim, Verdict::Altered, Verdict::NotFound]
    );
    let chars: Vec<char> = draft.chars().collect();
    for q in &resp.quotes {
        assert_eq!(
            chars[q.start..q.end].iter().collect::<String>(),
            q.check.quote
        );
    }
    assert_eq!(
        engine().check_draft(draft, true).unwrap().quotes.len(),
        4,
        "scare quotes on request"
    );
}

/// The sentences the citation-drift property edits: plain prose with
/// numbers and names, as sources have.
const DRIFT_SENTENCES: &[&str] = &[
    "The plant employs 1,200 workers in Osaka.",
    "It opened in 2019 after a long delay.",
    "Sales rose by 8 percent last year.",
    "Honda and Sony lead the new venture.",
    "The ministry did not approve the plan.",
    "Robots will help in elder care by 2040.",
];

/// Documents of random sentences, and the same documents after random
/// edits: a paragraph inserted, a sentence changed, a number changed, a
/// sentence or a document removed.
/// Documents as sentence indices, and edits as `(document, kind, place)`.
type DriftCase = (Vec<Vec<usize>>, Vec<(usize, u8, usize)>);

fn drift_case() -> impl Strategy<Value = DriftCase> {
    (
        prop::collection::vec(prop::collection::vec(0..DRIFT_SENTENCES.len(), 1..5), 1..4),
        prop::collection::vec((0usize..4, 0u8..5, 0usize..6), 0..4),
    )
}

fn drift_engine(docs: &[Vec<String>]) -> (verbatim::Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let parsed: Vec<verbatim::Document> = docs
        .iter()
        .enumerate()
        .map(|(i, paras)| {
            verbatim::parse_document(
                std::path::Path::new(&format!("d{i}.md")),
                &format!("# D{i}\n\n{}", paras.join("\n\n")),
            )
            .unwrap()
        })
        .collect();
    let e = verbatim::Engine::build(parsed, dir.path(), verbatim::VectorMode::Off).unwrap();
    (e, dir)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// After random edits, every `exact` citation slices to its text at its
    /// offsets, every `moved` one's new offsets slice to the cited text, and
    /// every `changed` one's text is the document's at its place.
    #[test]
    fn citations_hold_after_random_edits((docs, edits) in drift_case()) {
        let before: Vec<Vec<String>> = docs
            .iter()
            .map(|d| d.iter().map(|&i| DRIFT_SENTENCES[i].to_string()).collect())
            .collect();
        let (old, _dir) = drift_engine(&before);
        // Every sentence of every paragraph, cited as verbatim cites it.
        let mut cited = Vec::new();
        for d in old.documents() {
            for p in d.passages() {
                for s in d.sentences(&p) {
                    cited.push(verbatim::StoredCitation {
                        doc_id: d.meta.id.clone(),
                        start: s.span.start,
                        end: s.span.end,
                        doc_version: Some(d.version.clone()),
                        text: Some(d.text[s.bytes.clone()].to_string()),
                    });
                }
            }
        }
        let mut after = before.clone();
        for &(doc, kind, arg) in &edits {
            let Some(paras) = after.get_mut(doc % before.len()) else { continue };
            let at = arg % paras.len().max(1);
            match kind {
                0 => paras.insert(at, "A new paragraph goes here.".into()),
                1 if !paras.is_empty() => paras[at] = paras[at].replace("the", "a"),
                2 if !paras.is_empty() => paras[at] = paras[at].replace('1', "7"),
                3 if paras.len() > 1 => { paras.remove(at); }
                4 => paras.clear(),
                _ => {}
            }
        }
        let after: Vec<Vec<String>> = after
            .into_iter()
            .map(|d| if d.is_empty() { vec!["Nothing is left.".to_string()] } else { d })
            .collect();
        let (new, _dir2) = drift_engine(&after);
        let verified = new.verify_citations(&cited).unwrap();
        prop_assert_eq!(verified.len(), cited.len());
        for (c, v) in cited.iter().zip(&verified) {
            let text = c.text.as_deref().unwrap();
            match v.status {
                verbatim::CitationStatus::Exact | verbatim::CitationStatus::Moved => {
                    prop_assert!(!v.places.is_empty());
                    for p in &v.places {
                        prop_assert_eq!(p.doc.slice_chars(p.span), Some(text), "{:?}", v.status);
                    }
                    if v.status == verbatim::CitationStatus::Exact {
                        prop_assert_eq!((v.places[0].span.start, v.places[0].span.end), (c.start, c.end));
                    }
                }
                verbatim::CitationStatus::Changed => {
                    let p = &v.places[0];
                    prop_assert!(p.doc.slice_chars(p.span).is_some());
                    prop_assert!(p.doc.slice_chars(p.span) != Some(text));
                }
                verbatim::CitationStatus::Gone => prop_assert!(v.places.is_empty()),
            }
        }
    }
}
