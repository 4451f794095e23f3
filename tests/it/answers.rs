//! Answers: golden questions a reader would ask about the seed article,
//! abstention, question types, and the slice invariant over many questions.

use verbatim::wire::AskResponse;
use verbatim::Span;
use verbatim::{AskRequest, AskStatus, HighlightKind};

use super::support::{corpus_words, engine};

/// Words that make a sentence lean on the one before (README: such a
/// sentence is answered together with it).
const LEANING: &[&str] = &[
    "it", "its", "this", "these", "they", "their", "he", "she", "his", "her", "that", "those",
];

fn ask(q: &str, limit: usize) -> AskResponse {
    ask_on(engine(), q, limit)
}

/// [`ask`] on another engine: every answer checked to be the slice it
/// cites, with the sentence it leans on and its highlights inside it.
fn ask_on(e: &verbatim::Engine, q: &str, limit: usize) -> AskResponse {
    let r = e
        .ask(&AskRequest {
            question: q.into(),
            limit,
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{q}: {e}"));
    let resp = AskResponse::new(q, &r);
    // Folded answers are answers too: each is checked like the others.
    let folded = resp.answers.iter().flat_map(|a| &a.similar);
    for a in resp.answers.iter().chain(folded) {
        let doc = e.document(&a.doc_id).unwrap();
        let span = Span {
            start: a.citation.start,
            end: a.citation.end,
        };
        assert_eq!(
            doc.slice_chars(span),
            Some(a.text.as_str()),
            "{q}: answer is not the cited slice"
        );
        // A sentence that opens with a pronoun comes with the one it leans on.
        let (_, passage) = e.passage(&a.passage_id).unwrap();
        let first = verbatim::tokenize(&a.text)
            .first()
            .map(|t| t.text.clone())
            .unwrap_or_default();
        assert!(
            !LEANING.contains(&first.as_str()) || a.citation.start == passage.span.start,
            "{q}: {:?} leans on a sentence it leaves out",
            a.text
        );
        for h in &a.highlights {
            assert!(
                h.start >= span.start && h.end <= span.end && h.start < h.end,
                "{q}: highlight outside the answer"
            );
        }
    }
    resp
}

/// `(question, passage the top answer must come from, text the top answer must contain)`.
const GOLDEN: &[(&str, &str, &str)] = &[
    (
        "How much money has Japan approved for its own AI model?",
        "p3",
        "$6.3 billion",
    ),
    (
        "How much has the Japanese government committed to domestic AI and chips in yen?",
        "p7",
        "1 trillion yen",
    ),
    (
        "Which companies are behind the new AI venture?",
        "p4",
        "SoftBank, Sony, NEC, and Honda",
    ),
    (
        "How many parameters will the foundation model have?",
        "p9",
        "1 trillion parameters",
    ),
    (
        "When was the joint venture formally set up?",
        "p9",
        "April 2026",
    ),
    (
        "What is the joint venture often called?",
        "p9",
        "Japan AI Platform Model Development",
    ),
    (
        "How many robots could Japan deploy by 2040?",
        "p5",
        "10 million AI-enabled robots",
    ),
    (
        "By when does Japan hope to have one of its largest foundation models?",
        "p8",
        "2027",
    ),
    (
        "Why is Japan investing in AI and robotics?",
        "p2",
        "aging population, labor shortages",
    ),
    (
        "What is the physical AI model trained on?",
        "p10",
        "physics data, digital twins, and robot movements",
    ),
    (
        "How many fewer workers will Japan have by 2040?",
        "p11",
        "more than 10 million fewer",
    ),
    (
        "What does the AI Promotion Act favor?",
        "p12",
        "favors innovation over strict control",
    ),
    (
        "Where is the AI Strategy Headquarters placed?",
        "p12",
        "inside the Cabinet",
    ),
    (
        "Does the law impose heavy fines on companies?",
        "p12",
        "avoids heavy fines",
    ),
    (
        "Is there a technical paper for the trillion-parameter model?",
        "p13",
        "do not yet show a detailed technical paper",
    ),
    (
        "Where does the figure of 10 million robots come from?",
        "p13",
        "media and social posts",
    ),
    (
        "What failed AI project did Japan try in the 1980s?",
        "p14",
        "Fifth Generation Computer",
    ),
    (
        "What threats does the sovereign AI push face?",
        "p14",
        "export controls",
    ),
    (
        "Who controls rare earth minerals needed for robot motors?",
        "p14",
        "China’s grip on rare earth minerals",
    ),
    (
        "In which industries could AI-powered robots play a larger role?",
        "p8",
        "manufacturing, logistics, and elder care",
    ),
    (
        "How does Japan want to protect factory and sensor data?",
        "p10",
        "domestic AI stack",
    ),
    (
        "What does the law ask companies to do with government guidance?",
        "p12",
        "“cooperate” with government guidance",
    ),
];

#[test]
fn golden_questions_about_the_seed_article() {
    let mut failures = Vec::new();
    for (q, passage, must) in GOLDEN {
        let r = ask(q, 3);
        let top = r.answers.first();
        let ok = r.status == AskStatus::Answered
            && top.is_some_and(|a| {
                a.passage_id == format!("japan-ai-experiment:{passage}") && a.text.contains(must)
            });
        if !ok {
            failures.push(format!(
                "{q}\n   got {:?}: {:?}",
                r.status,
                top.map(|a| (&a.passage_id, &a.text))
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden questions failed:\n{}",
        failures.len(),
        GOLDEN.len(),
        failures.join("\n")
    );
}

#[test]
fn unanswerable_questions_say_so_with_unmatched_terms() {
    let cases: &[(&str, &[&str])] = &[
        (
            "How many robots does South Korea plan to build?",
            &["South", "Korea"],
        ),
        ("What is the capital of France?", &["capital", "France"]),
        (
            "Who won the football world cup in 1998?",
            &["won", "football", "cup", "1998"],
        ), // "world" is in the article
        ("How tall is Mount Fuji?", &["tall", "Mount", "Fuji"]),
    ];
    for (q, unmatched) in cases {
        let r = ask(q, 3);
        assert_eq!(
            r.status,
            AskStatus::NoAnswer,
            "{q}: {:?}",
            r.answers.first().map(|a| &a.text)
        );
        assert!(r.answers.is_empty());
        for u in *unmatched {
            assert!(
                r.unmatched_terms.iter().any(|t| t == u),
                "{q}: {u} not in {:?}",
                r.unmatched_terms
            );
        }
    }
    // Related passages may be offered, but never as answers.
    let r = ask("How many robots does South Korea plan to build?", 3);
    assert!(!r.related.is_empty());
}

/// The “quoted” phrases of `s`.
fn quoted(s: &str) -> Vec<&str> {
    s.split('“')
        .skip(1)
        .filter_map(|p| p.split_once('”').map(|(q, _)| q))
        .collect()
}

/// How many passages a search finds.
fn hits(query: &str) -> usize {
    engine()
        .search(&verbatim::SearchRequest {
            query: query.into(),
            limit: 1,
            ..Default::default()
        })
        .map_or(0, |p| p.total)
}

#[test]
fn no_answer_explanations_claim_only_what_the_sources_hold() {
    // Questions of every kind, on the topic and off it, built from the
    // corpus's own words and from words it lacks.
    let words = corpus_words();
    let kinds = [
        "Who leads {}?",
        "When did {} start?",
        "Where is {} based?",
        "How many {} are there?",
        "How much did {} cost?",
        "Which minister oversees {}?",
        "What year did {} begin?",
        "Why did {} fail in Peru?",
        "How does {} work in Norway?",
        "Is {} a zeppelin?",
    ];
    let mut explained = 0;
    for (i, w) in words.iter().step_by(7).take(60).enumerate() {
        let next = &words[(i * 13 + 5) % words.len()];
        let q = kinds[i % kinds.len()].replace("{}", &format!("{w} {next}"));
        let r = ask(&q, 3);
        match r.status {
            AskStatus::Answered => assert!(r.explanation.is_none(), "{q}"),
            AskStatus::NoAnswer => {
                let why = r.explanation.as_deref().unwrap_or_else(|| panic!("{q}"));
                explained += 1;
                let (absent, rest) = match why.split_once(". The sources mention ") {
                    Some((a, m)) => (a, m),
                    None if why.starts_with("No source uses") => (why, ""),
                    None => ("", why),
                };
                // Every word said to be in no source is the question's and
                // in no passage, in any form.
                for word in quoted(absent) {
                    assert!(q.contains(word), "{q}: {word} is not the question's");
                    assert_eq!(hits(word), 0, "{q}: “{word}” is in the sources: {why}");
                }
                // Every phrase said to be mentioned is the question's and
                // in a passage word for word.
                for phrase in quoted(rest) {
                    assert!(q.contains(phrase), "{q}: {phrase} is not the question's");
                    assert!(
                        hits(&format!("\"{phrase}\"")) > 0,
                        "{q}: “{phrase}” is not in the sources: {why}"
                    );
                }
            }
        }
    }
    assert!(explained > 10, "only {explained} questions went unanswered");
    let r = ask("Which Japanese carmaker is a partner in the venture?", 3);
    assert_eq!(r.asks.kind, verbatim::QuestionKind::Which);
    assert_eq!(r.asks.focus.as_deref(), Some("Japanese carmaker"));
}

#[test]
fn answer_spans_follow_the_question_type() {
    let cases: &[(&str, &str)] = &[
        ("When was the joint venture set up?", "April 2026"),
        (
            "How much money did Japan approve for a sovereign AI model?",
            "$6.3 billion",
        ),
        ("How many AI-enabled robots by 2040?", "10 million"),
        (
            "Which companies are leading the new venture?",
            "SoftBank, Sony, NEC, and Honda",
        ),
        (
            "When did Japan try the Fifth Generation Computer effort?",
            "1980s",
        ),
    ];
    for (q, span) in cases {
        let r = ask(q, 1);
        let a = &r.answers[0];
        let doc = engine().document(&a.doc_id).unwrap();
        let spans: Vec<&str> = a
            .highlights
            .iter()
            .filter(|h| h.kind == HighlightKind::Answer)
            .map(|h| {
                doc.slice_chars(Span {
                    start: h.start,
                    end: h.end,
                })
                .unwrap()
            })
            .collect();
        assert!(spans.contains(span), "{q}: answer spans {spans:?}");
        assert!(
            a.highlights.iter().any(|h| h.kind == HighlightKind::Term),
            "{q}: question terms are highlighted"
        );
    }
}

#[test]
fn repeated_facts_are_not_repeated_answers() {
    let r = ask(
        "Which firms are SoftBank, Sony, NEC and Honda working with?",
        10,
    );
    let mut texts: Vec<&str> = r.answers.iter().map(|a| a.text.as_str()).collect();
    let n = texts.len();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), n, "no sentence is returned twice");
}

/// The distinct folded words of `text`.
fn word_set(text: &str) -> std::collections::HashSet<String> {
    verbatim::tokenize(text)
        .into_iter()
        .map(|t| t.text)
        .collect()
}

#[test]
fn templated_lines_and_copies_fold_into_one_answer() {
    // Every note lists the article's sources in one templated line; a
    // question about them gets that line once, the others folded under it.
    for q in [
        "Which sources does the article list?",
        "Who wrote the article?",
        "Does the article list x.com among its sources?",
    ] {
        let r = ask(q, 5);
        for (i, a) in r.answers.iter().enumerate() {
            for b in &r.answers[i + 1..] {
                let (x, y) = (word_set(&a.text), word_set(&b.text));
                let jaccard = x.intersection(&y).count() as f64 / x.union(&y).count().max(1) as f64;
                assert!(
                    jaccard < 0.7,
                    "{q}: {:?} and {:?} both answer",
                    a.text,
                    b.text
                );
            }
        }
        let lists: Vec<_> = r
            .answers
            .iter()
            .filter(|a| a.text.contains("among its sources"))
            .collect();
        assert!(
            lists.len() <= 1,
            "{q}: the templated line answers {} times",
            lists.len()
        );
        for a in lists {
            assert!(a.similar.len() >= 3, "{q}: {} folded", a.similar.len());
            assert!(a
                .similar
                .iter()
                .all(|s| s.text.contains("among its sources") && s.doc_id != a.doc_id));
        }
    }
    // Related passages fold the same way, answered or not: the nearest
    // passages of this question include the templated lines.
    let r = ask("Who published the article?", 3);
    assert!(r.related.len() >= 2, "{:?}", r.related.len());
    for (i, a) in r.related.iter().enumerate() {
        for b in &r.related[i + 1..] {
            assert_ne!(a.hit.text, b.hit.text, "a copy is listed twice");
        }
    }
}

#[test]
fn answers_are_exact_slices_for_many_questions() {
    let words = corpus_words();
    let mut asked = 0;
    for (i, w) in words.iter().enumerate() {
        let other = &words[(i * 11 + 5) % words.len()];
        for q in [
            format!("What about {w}?"),
            format!("How many {w} {other}?"),
            format!("When did {other} {w}?"),
            format!("Who {w}"),
        ] {
            ask(&q, 3);
            asked += 1;
        }
    }
    assert!(asked > 800);
}

#[test]
fn bad_questions_are_clear_errors() {
    let e = engine()
        .ask(&AskRequest {
            question: " ?! ".into(),
            limit: 3,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.code(), verbatim::ErrorCode::InvalidQuery);
    let e = engine()
        .ask(&AskRequest {
            question: "robots".into(),
            limit: 0,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.code(), verbatim::ErrorCode::InvalidParameter);
    // A question of stopwords only is not an error: there is just nothing to answer.
    assert_eq!(ask("Who is it?", 3).status, AskStatus::NoAnswer);
}

/// With the reader on (`reader = "on"`), every answer is still the exact
/// slice it cites, its `answerability` is the reader's probability (0.5 at
/// the operating point) and `strong` says whether it reaches it; a
/// question counts as answered only with a strong answer. The golden
/// questions and the unanswerable ones above are asked, with the classes
/// issue 34 names (an attribute the sources never give).
#[test]
fn the_reader_keeps_answers_exact_and_its_verdict_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = verbatim::Engine::open(&super::support::default_corpus(), dir.path()).unwrap();
    let e = e.with_reader(verbatim::ReaderMode::On).unwrap();
    let questions = GOLDEN.iter().map(|g| g.0).chain([
        "What is the capital of France?",
        "Who is the chief executive of the joint venture?",
        "Which Japanese carmaker is a partner in the venture?",
        "How big is the government's budget for homegrown AI?",
    ]);
    for q in questions {
        let resp = ask_on(&e, q, 3);
        for a in &resp.answers {
            let p = a.answerability.expect("the reader scores every answer");
            assert!((0.0..=1.0).contains(&p), "{q}: {p}");
            // The wire rounds to 3 decimals.
            assert!(
                if a.strong { p >= 0.4995 } else { p <= 0.5005 },
                "{q}: strong is the operating point ({p}, {})",
                a.strong
            );
        }
        if resp.status == AskStatus::Answered {
            assert!(
                resp.answers.iter().any(|a| a.strong),
                "{q}: answered on weak answers only"
            );
        }
    }
}
