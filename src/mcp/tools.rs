//! The tools: each is one read route of the HTTP API, with the name,
//! title and description an assistant sees.

use axum::http::Method;

/// The tools: each is one read route of the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tool {
    Search,
    Ask,
    CheckQuote,
    CheckDraft,
    VerifyCitations,
    GetPassage,
    GetDocument,
    ListDocuments,
}

impl Tool {
    /// Every tool, in the order `tools/list` gives them.
    pub(super) const ALL: [Tool; 8] = [
        Tool::Search,
        Tool::Ask,
        Tool::CheckQuote,
        Tool::CheckDraft,
        Tool::VerifyCitations,
        Tool::GetPassage,
        Tool::GetDocument,
        Tool::ListDocuments,
    ];

    /// The name an assistant calls it by.
    pub(super) fn name(self) -> &'static str {
        match self {
            Tool::Search => "search",
            Tool::Ask => "ask",
            Tool::CheckQuote => "check_quote",
            Tool::CheckDraft => "check_draft",
            Tool::VerifyCitations => "verify_citations",
            Tool::GetPassage => "get_passage",
            Tool::GetDocument => "get_document",
            Tool::ListDocuments => "list_documents",
        }
    }

    pub(super) fn parse(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The route it calls: method and path, `{name}` marking a path parameter.
    pub(super) fn route(self) -> (Method, &'static str) {
        match self {
            Tool::Search => (Method::GET, "/v1/search"),
            Tool::Ask => (Method::POST, "/v1/ask"),
            Tool::CheckQuote => (Method::POST, "/v1/quotes/check"),
            Tool::CheckDraft => (Method::POST, "/v1/quotes/check-draft"),
            Tool::VerifyCitations => (Method::POST, "/v1/citations/verify"),
            Tool::GetPassage => (Method::GET, "/v1/passages/{passage_id}"),
            Tool::GetDocument => (Method::GET, "/v1/documents/{doc_id}"),
            Tool::ListDocuments => (Method::GET, "/v1/documents"),
        }
    }

    /// Query-string parameters of the route the tool does not take
    /// (`format=csv` would change the response's type).
    pub(super) fn hidden_parameters(self) -> &'static [&'static str] {
        match self {
            Tool::CheckDraft | Tool::VerifyCitations => &["format"],
            _ => &[],
        }
    }

    pub(super) fn title(self) -> &'static str {
        match self {
            Tool::Search => "Search the sources",
            Tool::Ask => "Answer from the sources",
            Tool::CheckQuote => "Check a quote",
            Tool::CheckDraft => "Check every quotation in a draft",
            Tool::VerifyCitations => "Re-check stored citations",
            Tool::GetPassage => "Read a passage in context",
            Tool::GetDocument => "Read a whole document",
            Tool::ListDocuments => "List the documents",
        }
    }

    /// What an assistant needs to pick the tool and read its result.
    pub(super) fn description(self) -> &'static str {
        match self {
            Tool::Search => "Find passages of the source documents. The query language: words, \"exact phrases\", +required, -excluded, AND, OR, doc:ID, kind:KIND. Each hit is a passage exactly as in its document, with highlights and a citation (label, passage id, char offsets). `total` is the exact number of matching passages; page with `limit` and `offset`.",
            Tool::Ask => "Answer a plain question with sentences cut exactly from the sources, best first, each cited. When the sources do not answer it, `status` is `no_answer` and `answers` is empty: then say the sources do not answer, and do not treat `related` passages as an answer: one with `possibly_relevant` true may hold it and is worth reading to the user as a passage, never as the answer. `unmatched_terms` lists words of the question found nowhere in the sources.",
            Tool::CheckQuote => "Check whether a quote appears word for word in the sources. `verdict` is `verbatim`, `altered` (with the closest source text, a word diff and typed notes: omissions, changed numbers, dates, names, negations, reversals, tense) or `not_found` (with the nearest passages, which are not a match). Quotation marks, `…`, `[...]`, `[words]` and `[sic]` are understood.",
            Tool::CheckDraft => "Find every quotation in a draft and check each one as `check_quote` does. Offsets `start`/`end` locate each quotation in the draft (chars).",
            Tool::VerifyCitations => "Re-check citations verbatim gave earlier against the sources as they are now. Give each citation's `doc_id`, `start`, `end` and the cited `text` (or its `doc_version`). Each result's `status` is `exact` (still there), `moved` (the same text at new `citations`, nearest first), `changed` (the place now reads `text`, with a word diff and notes such as `number_changed`) or `gone` (no longer in the sources). Cite only what `exact` or `moved` returns as the source's words.",
            Tool::GetPassage => "Read one passage by id (`{doc_id}:p{n}`, as citations give it): its text, sentences with offsets, and the ids of the passages before and after it.",
            Tool::GetDocument => "Read one document by id: its metadata (title, kind, source, URL, date) and its whole text, which every citation's char offsets index into.",
            Tool::ListDocuments => "List the source documents: id, title, kind, source, URL, date, passage count and lead passage.",
        }
    }
}
