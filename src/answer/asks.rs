//! What a question asks for, in the reader's terms (its kind and its focus:
//! "which minister" → minister, "how many employees" → employees), and the
//! plain sentence a `no_answer` carries, built from a template and the
//! question's own words. Pure: whether the sources hold a phrase comes in
//! as a function.
//!
//! The explanation states only what can be checked against the sources: a
//! phrase it says the sources mention occurs in them word for word (the
//! caller's `mentions` checks it), a word it says none uses occurs in
//! no passage in any form; the rest ("no passage found says when") is what
//! the search did, not a claim about the world.

use serde::{Deserialize, Serialize};

use crate::analysis::{tokenize, Token};

use super::question::{is_stopword, QTerm};

/// The kind of question, from its wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Who, whom, whose: a person or an organisation.
    Who,
    /// When, what year, what date: a time.
    When,
    /// Where: a place.
    Where,
    /// How many: a count.
    HowMany,
    /// How much, how big, how long, how old…: an amount or a measure.
    HowMuch,
    /// Which X: one of a kind of thing.
    Which,
    /// What X, or what is…: a thing or a definition.
    What,
    /// Why: a reason.
    Why,
    /// How (not of amount): a way or a process.
    How,
    /// Any other wording (a yes/no question, a bare phrase).
    Other,
}

/// What a question asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asks {
    /// Its kind.
    pub kind: QuestionKind,
    /// The thing asked for, in the question's own words ("Japanese
    /// carmaker" in "Which Japanese carmaker is a partner?"), when the
    /// wording names one.
    pub focus: Option<String>,
    /// The asking phrase in the question's own words, from the question
    /// word through the focus ("which Japanese carmaker", "how many
    /// employees", "when"), first letter lowercased; `None` for
    /// [`QuestionKind::Other`].
    phrase: Option<String>,
    /// Token indices (into [`tokenize`] of the question) of the asking
    /// phrase: never part of the topic the explanation names.
    head: std::ops::Range<usize>,
}

/// Words after "how" that ask for an amount or a measure.
const HOW_MEASURES: &[&str] = &[
    "big",
    "large",
    "long",
    "old",
    "far",
    "often",
    "high",
    "tall",
    "wide",
    "deep",
    "fast",
    "heavy",
    "small",
    "expensive",
    "much",
];
/// Words that end a focus: verbs that carry the question on, prepositions
/// and articles ("which minister *is*", "how many employees *does*").
const FOCUS_ENDS: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "do", "does", "did", "has", "have", "had", "will",
    "would", "can", "could", "should", "may", "might", "must", "of", "in", "on", "at", "for", "to",
    "by", "with", "from", "about", "into", "as", "than", "that", "the", "a", "an", "and", "or",
    "not", "there",
];
/// Words that open a noun phrase: the word before one is no part of a focus.
const ARTICLES: &[&str] = &[
    "the", "a", "an", "its", "their", "this", "these", "his", "her",
];
/// Most words a focus runs to.
const FOCUS_WORDS: usize = 3;
/// Most question words the topic search reads (a question is short).
const TOPIC_WINDOW: usize = 24;
/// Most phrases the topic search checks against the sources.
const MENTION_CHECKS: usize = 48;

/// Works out what `question` asks for.
pub(super) fn analyse(question: &str) -> Asks {
    let toks = tokenize(question);
    let w = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
    // A focus ends before a word that carries the question on: a verb or
    // preposition of FOCUS_ENDS, or a word an article follows ("which
    // minister *leads* the…"), which is a verb far more often than a noun.
    let focus_after = |from: usize| -> std::ops::Range<usize> {
        let mut end = from;
        while end < toks.len()
            && end - from < FOCUS_WORDS
            && !FOCUS_ENDS.contains(&w(end))
            && !(end > from && ARTICLES.contains(&w(end + 1)))
        {
            end += 1;
        }
        from..end
    };
    let Some(at) = toks.iter().position(|t| {
        matches!(
            t.text.as_str(),
            "who" | "whom" | "whose" | "when" | "where" | "which" | "what" | "why" | "how"
        )
    }) else {
        return Asks {
            kind: QuestionKind::Other,
            focus: None,
            phrase: None,
            head: 0..0,
        };
    };
    let (kind, focus) = match w(at) {
        "who" | "whom" | "whose" => (QuestionKind::Who, at + 1..at + 1),
        "when" => (QuestionKind::When, at + 1..at + 1),
        "where" => (QuestionKind::Where, at + 1..at + 1),
        "why" => (QuestionKind::Why, at + 1..at + 1),
        "how" if w(at + 1) == "many" => (QuestionKind::HowMany, focus_after(at + 2)),
        "how" if w(at + 1) == "much" => (QuestionKind::HowMuch, focus_after(at + 2)),
        "how" if HOW_MEASURES.contains(&w(at + 1)) => (QuestionKind::HowMuch, at + 2..at + 2),
        "how" => (QuestionKind::How, at + 1..at + 1),
        wh => {
            let f = focus_after(at + 1);
            let time = f.clone().any(|i| {
                matches!(
                    w(i),
                    "year" | "date" | "day" | "month" | "century" | "decade" | "time"
                )
            });
            match (wh, f.is_empty()) {
                (_, false) if time => (QuestionKind::When, f),
                ("which", _) => (QuestionKind::Which, f),
                _ => (QuestionKind::What, f),
            }
        }
    };
    let raw = |r: std::ops::Range<usize>| -> Option<String> {
        (!r.is_empty()).then(|| question[toks[r.start].start..toks[r.end - 1].end].to_string())
    };
    let head = at..focus.end.max(at + 1);
    let phrase = raw(head.clone()).map(|p| lower_first(&p));
    Asks {
        kind,
        focus: raw(focus),
        phrase,
        head,
    }
}

/// `s` with its first char lowercased.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// The sentence a `no_answer` carries: which of the question's words no
/// source uses, which of its phrases the sources do mention, and that no
/// passage found says what was asked. `mentions` tells whether the sources
/// hold a run of folded words as an exact phrase.
pub(super) fn explain(
    question: &str,
    asks: &Asks,
    terms: &[QTerm],
    mentions: &mut dyn FnMut(&[&str]) -> bool,
) -> String {
    let missing: Vec<&str> = terms
        .iter()
        .filter(|t| t.doc_freq == 0)
        .map(|t| t.raw.as_str())
        .collect();
    let mut out = String::new();
    if !missing.is_empty() {
        out.push_str(&format!(
            "No source uses the word{} {} or any form of {}.",
            if missing.len() == 1 { "" } else { "s" },
            quoted_list(&missing, "or"),
            if missing.len() == 1 { "it" } else { "them" },
        ));
    }
    let says = match (&asks.kind, &asks.phrase) {
        (QuestionKind::Other | QuestionKind::What, _) if asks.focus.is_none() => None,
        (_, Some(p)) => Some(p.as_str()),
        _ => None,
    };
    let topics = topics(question, asks, terms, mentions);
    let named: Vec<&str> = topics.iter().map(String::as_str).collect();
    let tail = match (named.is_empty(), says) {
        (false, Some(p)) => format!(
            "The sources mention {}, but no passage found says {p}.",
            quoted_list(&named, "and")
        ),
        (false, None) => format!(
            "The sources mention {}, but no passage found answers the question.",
            quoted_list(&named, "and")
        ),
        (true, Some(p)) if missing.is_empty() => format!("No passage found says {p}."),
        (true, _) if missing.is_empty() => "No passage found answers the question.".to_string(),
        (true, _) => String::new(),
    };
    if !tail.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&tail);
    }
    out
}

/// `“a”, “b” or “c”`.
fn quoted_list(words: &[&str], last: &str) -> String {
    let q: Vec<String> = words.iter().map(|w| format!("“{w}”")).collect();
    match q.split_last() {
        Some((l, rest)) if !rest.is_empty() => format!("{} {last} {l}", rest.join(", ")),
        Some((l, _)) => l.clone(),
        None => String::new(),
    }
}

/// Most phrases an explanation names as mentioned.
const TOPICS: usize = 3;

/// The phrases of the question, outside its asking phrase, that the
/// sources hold word for word, in the question's order and own words: the
/// longest such phrase (ties to the rarer words), then the longest among
/// the words left, up to [`TOPICS`]. A phrase is a run of the question's
/// words that begins and ends with a content word and holds no word the
/// sources lack.
fn topics(
    question: &str,
    asks: &Asks,
    terms: &[QTerm],
    mentions: &mut dyn FnMut(&[&str]) -> bool,
) -> Vec<String> {
    let toks: Vec<Token> = tokenize(question).into_iter().take(TOPIC_WINDOW).collect();
    let term_of = |t: &Token| terms.iter().find(|q| q.exact == t.text);
    let mut taken = vec![false; toks.len()];
    let mut found: Vec<std::ops::Range<usize>> = Vec::new();
    let mut checks = 0;
    while found.len() < TOPICS {
        let content = |i: usize| !is_stopword(&toks[i].text) && !asks.head.contains(&i);
        // A word the sources lack, the asking phrase, or a phrase already
        // named splits the runs.
        let usable = |i: usize| {
            !asks.head.contains(&i)
                && !taken[i]
                && (!content(i) || term_of(&toks[i]).is_none_or(|t| t.doc_freq > 0))
        };
        let mut best: Option<(usize, f64, std::ops::Range<usize>)> = None;
        let mut i = 0;
        while i < toks.len() {
            if !usable(i) {
                i += 1;
                continue;
            }
            let start = i;
            while i < toks.len() && usable(i) {
                i += 1;
            }
            // Every sub-run starting and ending on a content word, longest first.
            for len in (1..=i - start).rev() {
                for a in start..=i - len {
                    let r = a..a + len;
                    if !content(r.start) || !content(r.end - 1) {
                        continue;
                    }
                    let words = r.clone().filter(|&k| content(k)).count();
                    let rarity: f64 = r
                        .clone()
                        .filter_map(|k| term_of(&toks[k]))
                        .map(|t| t.idf)
                        .sum();
                    if best
                        .as_ref()
                        .is_some_and(|(bw, br, _)| (words, rarity) <= (*bw, *br))
                        || checks == MENTION_CHECKS
                    {
                        continue;
                    }
                    checks += 1;
                    let folded: Vec<&str> = r.clone().map(|k| toks[k].text.as_str()).collect();
                    if mentions(&folded) {
                        best = Some((words, rarity, r));
                    }
                }
            }
        }
        let Some((_, _, r)) = best else { break };
        r.clone().for_each(|k| taken[k] = true);
        found.push(r);
    }
    found.sort_by_key(|r| r.start);
    found
        .into_iter()
        .map(|r| question[toks[r.start].start..toks[r.end - 1].end].to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asks(q: &str) -> (QuestionKind, Option<String>, Option<String>) {
        let a = analyse(q);
        (a.kind, a.focus, a.phrase)
    }

    #[test]
    fn kinds_and_focus() {
        use QuestionKind as K;
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            asks("Which minister leads the AI Strategy Headquarters?"),
            (K::Which, s("minister"), s("which minister"))
        );
        assert_eq!(
            asks("How many employees does Sakana AI have?"),
            (K::HowMany, s("employees"), s("how many employees"))
        );
        assert_eq!(
            asks("Which Japanese carmaker is a partner in the venture?"),
            (
                K::Which,
                s("Japanese carmaker"),
                s("which Japanese carmaker")
            )
        );
        assert_eq!(
            asks("How big is the government's budget for homegrown AI?"),
            (K::HowMuch, None, s("how big"))
        );
        assert_eq!(
            asks("In what year was the act passed?"),
            (K::When, s("year"), s("what year"))
        );
        assert_eq!(asks("When was it set up?"), (K::When, None, s("when")));
        assert_eq!(asks("Who runs it?"), (K::Who, None, s("who")));
        assert_eq!(asks("Where is it based?"), (K::Where, None, s("where")));
        assert_eq!(
            asks("Why does Japan want robots?"),
            (K::Why, None, s("why"))
        );
        assert_eq!(asks("How does the law work?"), (K::How, None, s("how")));
        assert_eq!(
            asks("What is the AI Promotion Act?"),
            (K::What, None, s("what"))
        );
        assert_eq!(asks("Is Japan ahead?"), (K::Other, None, None));
        assert_eq!(
            asks("How much money?"),
            (K::HowMuch, s("money"), s("how much money"))
        );
    }

    fn term(raw: &str, df: u64, idf: f64) -> QTerm {
        QTerm {
            stem: raw.to_lowercase(),
            exact: raw.to_lowercase(),
            raw: raw.to_string(),
            idf,
            doc_freq: df,
        }
    }

    #[test]
    fn explanations_name_only_what_the_sources_hold() {
        let q = "When was the AI Promotion Act passed?";
        let terms = [
            term("AI", 9, 0.1),
            term("Promotion", 2, 2.0),
            term("Act", 2, 2.0),
            term("passed", 1, 3.0),
        ];
        let held = ["ai promotion act", "ai", "promotion", "act", "passed"];
        let mut mentions = |w: &[&str]| held.contains(&w.join(" ").as_str());
        assert_eq!(
            explain(q, &analyse(q), &terms, &mut mentions),
            "The sources mention “AI Promotion Act” and “passed”, but no passage found says when."
        );
        let q = "Which Japanese carmaker is a partner in the venture?";
        let terms = [
            term("Japanese", 3, 1.0),
            term("carmaker", 0, 5.0),
            term("partner", 0, 5.0),
            term("venture", 4, 1.0),
        ];
        let mut mentions = |w: &[&str]| w == ["venture"] || w == ["japanese"];
        assert_eq!(
            explain(q, &analyse(q), &terms, &mut mentions),
            "No source uses the words “carmaker” or “partner” or any form of them. \
             The sources mention “venture”, but no passage found says which Japanese carmaker."
        );
        // Each phrase the sources hold is named, in the question's order.
        let q = "Why did Honda leave the venture?";
        let terms = [
            term("Honda", 2, 2.0),
            term("leave", 1, 3.0),
            term("venture", 4, 1.0),
        ];
        let mut mentions = |w: &[&str]| w.len() == 1;
        assert_eq!(
            explain(q, &analyse(q), &terms, &mut mentions),
            "The sources mention “Honda”, “leave” and “venture”, but no passage found says why."
        );
        let q = "Is it raining?";
        let mut none = |_: &[&str]| false;
        assert_eq!(
            explain(q, &analyse(q), &[term("raining", 0, 5.0)], &mut none),
            "No source uses the word “raining” or any form of it."
        );
        assert_eq!(
            explain("Why?", &analyse("Why?"), &[], &mut none),
            "No passage found says why."
        );
    }

    #[test]
    fn lists_read_as_english() {
        assert_eq!(quoted_list(&["a"], "or"), "“a”");
        assert_eq!(quoted_list(&["a", "b", "c"], "or"), "“a”, “b” or “c”");
    }
}
