//! What a question asks for, and which of its words carry content. Pure.

/// The kind of answer a question expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QType {
    /// When, what year, what date: a date or year.
    When,
    /// How many, how much, what percentage: a number or amount.
    Quantity,
    /// Who, whom, whose, which person or company: a name.
    Who,
    /// Where: a place (a name).
    Where,
    /// Anything else.
    Other,
}

/// Function words ignored when matching questions (they carry no content).
pub(super) const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "kind",
    "many",
    "me",
    "more",
    "most",
    "much",
    "my",
    "myself",
    "name",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "s",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "type",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "according",
    "called",
    "did",
    "does",
    "known",
    "use",
    "used",
    "say",
    "said",
    "says",
];

/// Whether a folded word is a stopword.
pub(super) fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

/// Classifies a question by its wording.
pub(super) fn classify(question: &str) -> QType {
    let q = question.to_lowercase();
    let words: Vec<&str> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    let pair = |a: &str, b: &str| words.windows(2).any(|p| p[0] == a && p[1] == b);
    if has("when")
        || pair("what", "year")
        || pair("which", "year")
        || pair("what", "date")
        || pair("what", "day")
        || pair("what", "month")
        || pair("what", "century")
        || pair("what", "decade")
        || pair("which", "century")
    {
        QType::When
    } else if pair("how", "many")
        || pair("how", "much")
        || pair("how", "long")
        || pair("how", "old")
        || pair("how", "far")
        || pair("how", "large")
        || pair("how", "big")
        || pair("what", "percentage")
        || pair("what", "percent")
        || pair("what", "amount")
        || pair("what", "number")
        || pair("how", "often")
    {
        QType::Quantity
    } else if has("who")
        || has("whom")
        || has("whose")
        || pair("which", "company")
        || pair("which", "companies")
        || pair("which", "person")
        || pair("what", "company")
        || pair("which", "firms")
    {
        QType::Who
    } else if has("where")
        || pair("what", "country")
        || pair("which", "country")
        || pair("what", "city")
        || pair("which", "city")
    {
        QType::Where
    } else {
        QType::Other
    }
}

/// A question term with its weight.
#[derive(Debug, Clone)]
pub(crate) struct QTerm {
    /// Stemmed form.
    pub(crate) stem: String,
    /// Folded, unstemmed form.
    pub(crate) exact: String,
    /// The word as the reader typed it.
    pub(crate) raw: String,
    /// BM25 IDF over passages (highest when the corpus lacks the word).
    pub(crate) idf: f64,
    /// Passages holding it.
    pub(crate) doc_freq: u64,
}

/// The analyzed question.
#[derive(Debug, Clone)]
pub(crate) struct Question {
    /// What kind of answer it wants.
    pub(crate) qtype: QType,
    /// Distinct content terms.
    pub(crate) terms: Vec<QTerm>,
    /// Every folded word of the question (for answer spans).
    pub(crate) words: Vec<String>,
}

impl Question {
    /// The stemmed tokens of `text` as this question reads them: a
    /// hyphenated compound of the text whose closed form is one of the
    /// question's terms (`homegrown`, typed closed or hyphenated) reads as
    /// that one word ([`crate::analysis::close_compounds`]).
    pub(crate) fn stems_of(&self, text: &str) -> Vec<crate::analysis::Token> {
        let mut stems = crate::analysis::stemmed(text);
        crate::analysis::close_compounds(text, &mut stems, &|s| {
            self.terms.iter().any(|t| t.stem == s)
        });
        stems
    }

    /// The question's whole IDF weight.
    pub(crate) fn total_idf(&self) -> f64 {
        self.terms.iter().map(|t| t.idf).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(classify("When was the venture set up?"), QType::When);
        assert_eq!(
            classify("In what year will robots be deployed?"),
            QType::When
        );
        assert_eq!(
            classify("How much money did Japan approve?"),
            QType::Quantity
        );
        assert_eq!(classify("How many robots by 2040?"), QType::Quantity);
        assert_eq!(classify("Who leads the venture?"), QType::Who);
        assert_eq!(classify("Which companies lead the venture?"), QType::Who);
        assert_eq!(classify("Where is Super Bowl 50?"), QType::Where);
        assert_eq!(classify("Why does Japan want robots?"), QType::Other);
    }
}
