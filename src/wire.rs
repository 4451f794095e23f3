//! Types that go on the wire: the JSON of the HTTP API and of `--json`.
//! Built from domain types; field names here are the public contract.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::answer::{Answer, AskResult, AskStatus, HighlightKind, QuestionKind};
use crate::model::{self, Citation, Document, Passage, PassageKind, Span};
use crate::quote::{DiffOp, DraftCheck, NoteKind, QuoteCheck, QuoteMatch, Verdict};
use crate::search::{Hit, SearchMode, SearchPage};

/// A highlighted range, in char offsets into the document text.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Highlight {
    /// First char, counted in Unicode scalar values from the start of the document text.
    pub start: usize,
    /// One past the last char, in the same document offsets.
    pub end: usize,
}

impl From<Span> for Highlight {
    fn from(s: Span) -> Self {
        Highlight {
            start: s.start,
            end: s.end,
        }
    }
}

/// One search hit: a passage.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    /// `{doc_id}:p{n}`.
    pub passage_id: String,
    /// Document id.
    pub doc_id: String,
    /// Document title.
    pub title: String,
    /// Document kind.
    pub kind: String,
    /// Heading above the passage.
    pub section: Option<String>,
    /// BM25 score; comparable only within one query.
    pub score: f32,
    /// The passage text, exactly as in the document.
    pub text: String,
    /// Matched terms, as char offsets (Unicode scalar values) into the
    /// whole document text, not into `text`: subtract `citation.start` to
    /// index the passage.
    pub highlights: Vec<Highlight>,
    /// Where the passage is.
    pub citation: Citation,
    /// Passages of this page with near-identical text ("n more like
    /// this"), ranked below this one and folded under it; each is a whole
    /// hit. Empty for most hits, and in answers and quote candidates.
    #[serde(default)]
    #[schema(no_recursion)]
    pub similar: Vec<SearchHit>,
}

impl From<&Hit<'_>> for SearchHit {
    fn from(h: &Hit<'_>) -> Self {
        SearchHit {
            passage_id: model::passage_id(&h.doc.meta.id, h.passage.number),
            doc_id: h.doc.meta.id.clone(),
            title: h.doc.meta.title.clone(),
            kind: h.doc.meta.kind.clone(),
            section: h.doc.section(&h.passage).map(str::to_string),
            score: h.score,
            text: h.doc.passage_text(&h.passage).to_string(),
            highlights: h.highlights.iter().copied().map(Highlight::from).collect(),
            citation: h.doc.cite(&h.passage, h.passage.span),
            similar: Vec::new(),
        }
    }
}

/// A page of search results.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse {
    /// The query as received.
    pub query: String,
    /// Exact number of matching passages (all pages).
    pub total: usize,
    /// Milliseconds spent searching.
    pub took_ms: u64,
    /// Page size used.
    pub limit: usize,
    /// Hits skipped.
    pub offset: usize,
    /// How the hits were ranked: `lexical` (BM25) or `hybrid` (BM25's best
    /// 100 reordered with the cosine of query and passage vectors).
    pub mode: SearchMode,
    /// How the query was read, in the query syntax, when any of it was read
    /// as an operator or dropped (`Honda NOT Sony` → `Honda -Sony`); null
    /// when it is plain words and phrases, read as typed.
    pub read_as: Option<String>,
    /// What the query parser dropped: empty phrases, stray parentheses,
    /// signs or `NOT` with nothing after them, empty filters.
    pub dropped: Vec<String>,
    /// This page, best first, near-duplicates folded under the best-ranked
    /// of them (`similar`). `offset` and `limit` count every passage, folded
    /// or not.
    pub hits: Vec<SearchHit>,
}

impl SearchResponse {
    /// Builds the response for one page.
    pub fn new(
        query: &str,
        page: &SearchPage<'_>,
        took_ms: u64,
        limit: usize,
        offset: usize,
    ) -> Self {
        SearchResponse {
            query: query.to_string(),
            total: page.total,
            took_ms,
            limit,
            offset,
            mode: page.mode,
            read_as: page.read_as.clone(),
            dropped: page.dropped.clone(),
            hits: page
                .groups
                .iter()
                .map(|(lead, more)| SearchHit {
                    similar: more
                        .iter()
                        .map(|&i| SearchHit::from(&page.hits[i]))
                        .collect(),
                    ..SearchHit::from(&page.hits[*lead])
                })
                .collect(),
        }
    }
}

/// A document's metadata, as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentSummary {
    /// Document id.
    pub doc_id: String,
    /// Title.
    pub title: String,
    /// Kind (`article`, `source-note`, ...).
    pub kind: String,
    /// Publisher.
    pub source: Option<String>,
    /// Where the original lives.
    pub url: Option<String>,
    /// Publication date.
    pub published: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// Number of passages.
    pub passages: usize,
    /// Short hash of the document text.
    pub doc_version: String,
    /// Length of the text in chars.
    pub chars: usize,
    /// The first body paragraph, exactly as in the document (what the
    /// document is about; never a caption).
    pub lead: Option<String>,
    /// Its `Key: value` fact lines as metadata (`Publisher`, `Country`):
    /// each value is the document text at `start..end`.
    pub facts: Vec<FactView>,
    /// Questions the document answers, from its front matter (`questions`):
    /// the page's example questions.
    pub questions: Vec<String>,
    /// For a scan, per page, OCR's mean word confidence (0-100), `null`
    /// for a page with a text layer; absent when no page was read by OCR.
    /// The text of an OCR'd page is what OCR read: check low figures
    /// against the scan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ocr_confidence: Vec<Option<u8>>,
}

/// One fact line of a document, as metadata.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FactView {
    /// The key as written (`Publisher`).
    pub key: String,
    /// The search filter that matches it (`publisher:"Insider Paper"`).
    pub filter: String,
    /// The value, exactly as in the document (without a closing period).
    pub value: String,
    /// Char offset of the value in the document text.
    pub start: usize,
    /// Char offset one past the value.
    pub end: usize,
    /// The passage holding the fact line.
    pub passage_id: String,
}

/// Where one passage lies in its document: the outline a document view
/// numbers its paragraphs by.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PassageOutline {
    /// `{doc_id}:p{n}`.
    pub passage_id: String,
    /// What it is.
    pub kind: PassageKind,
    /// The ¶ number a reader counts; `null` for a caption.
    pub paragraph: Option<usize>,
    /// Heading above it.
    pub section: Option<String>,
    /// Char offset in the document text.
    pub start: usize,
    /// Char offset one past the passage.
    pub end: usize,
}

impl PassageOutline {
    /// The outline of every passage of `doc`, in order.
    pub fn of(doc: &Document) -> Vec<Self> {
        doc.passages()
            .map(|p| PassageOutline {
                passage_id: model::passage_id(&doc.meta.id, p.number),
                kind: p.kind,
                paragraph: p.paragraph,
                section: doc.section(&p).map(str::to_string),
                start: p.span.start,
                end: p.span.end,
            })
            .collect()
    }
}

impl From<&Document> for DocumentSummary {
    fn from(d: &Document) -> Self {
        DocumentSummary {
            doc_id: d.meta.id.clone(),
            title: d.meta.title.clone(),
            kind: d.meta.kind.clone(),
            source: d.meta.source.clone(),
            url: d.meta.url.clone(),
            published: d.meta.published.clone(),
            author: d.meta.author.clone(),
            language: d.meta.language.clone(),
            passages: d.segments.len(),
            doc_version: d.version.clone(),
            chars: d.chars,
            lead: d.lead().map(|p| d.passage_text(&p).to_string()),
            facts: d
                .facts
                .iter()
                .map(|f| FactView {
                    key: f.key.clone(),
                    filter: f.filter.clone(),
                    value: d.fact_value(f).to_string(),
                    start: f.span.start,
                    end: f.span.end,
                    passage_id: model::passage_id(&d.meta.id, f.passage),
                })
                .collect(),
            questions: d.meta.questions.clone(),
            ocr_confidence: d.meta.ocr_pages.clone(),
        }
    }
}

/// A sentence with its offsets.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SentenceView {
    /// `{doc_id}:p{n}.s{m}`.
    pub sentence_id: String,
    /// The sentence text, exactly as in the document.
    pub text: String,
    /// Char offset in the document text.
    pub start: usize,
    /// Char offset one past the sentence.
    pub end: usize,
}

/// A passage in context: its sentences and neighbours.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PassageView {
    /// `{doc_id}:p{n}`.
    pub passage_id: String,
    /// Document id.
    pub doc_id: String,
    /// Heading above the passage.
    pub section: Option<String>,
    /// What it is (`paragraph`, `item`, `caption`, `fact`).
    pub kind: PassageKind,
    /// The passage text.
    pub text: String,
    /// Where it is.
    pub citation: Citation,
    /// Its sentences.
    pub sentences: Vec<SentenceView>,
    /// The passage before, if any.
    pub previous: Option<String>,
    /// The passage after, if any.
    pub next: Option<String>,
}

impl PassageView {
    /// Builds the view of passage `p` of `doc`.
    pub fn new(doc: &Document, p: &Passage) -> Self {
        let id = &doc.meta.id;
        PassageView {
            passage_id: model::passage_id(id, p.number),
            doc_id: id.clone(),
            section: doc.section(p).map(str::to_string),
            kind: p.kind,
            text: doc.passage_text(p).to_string(),
            citation: doc.cite(p, p.span),
            sentences: doc
                .sentences(p)
                .map(|s| SentenceView {
                    sentence_id: model::sentence_id(id, p.number, s.number),
                    text: doc.text[s.bytes.clone()].to_string(),
                    start: s.span.start,
                    end: s.span.end,
                })
                .collect(),
            previous: (p.number > 1).then(|| model::passage_id(id, p.number - 1)),
            next: (p.number < doc.segments.len()).then(|| model::passage_id(id, p.number + 1)),
        }
    }
}

/// One step of a word diff between a quote and its source.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DiffOpView {
    /// `equal`, `insert` (words only in the quote), `delete` (source words the quote leaves out) or `replace`.
    pub op: DiffOp,
    /// The quote's words, as typed.
    pub quote: String,
    /// The source's words, exactly as in the document.
    pub source: String,
}

/// One note on a quote's match.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoteView {
    /// What changed (a fixed set; README lists them).
    pub kind: NoteKind,
    /// The note for people, naming the words.
    pub text: String,
}

/// The closest source span of a quote.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuoteMatchView {
    /// The source span exactly as in the document, at the citation's offsets.
    pub text: String,
    /// Dice similarity of the words: 2 × equal words / (quote words + source words), 0 to 1.
    pub similarity: f64,
    /// Where the span is (the passage where it starts).
    pub citation: Citation,
    /// Word-level diff, quote against source.
    pub diff: Vec<DiffOpView>,
    /// What changed, each note with its kind: omissions, insertions,
    /// numbers, dates, negations, reversals, tense, names, breaks crossed,
    /// case, editorial marks.
    pub notes: Vec<NoteView>,
}

/// A citation to re-check, as verbatim returned it (extra fields of a
/// returned `citation`, such as `label` or `passage_id`, are ignored).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CitationToVerify {
    /// Document id.
    pub doc_id: String,
    /// Char offset of the cited text.
    pub start: usize,
    /// Char offset one past it.
    pub end: usize,
    /// The document version the offsets referred to.
    #[serde(default)]
    pub doc_version: Option<String>,
    /// The cited text, when kept: with it, the check finds where the text
    /// went; without it, only `doc_version` and the offsets decide.
    #[serde(default)]
    pub text: Option<String>,
}

impl From<CitationToVerify> for crate::citations::StoredCitation {
    fn from(c: CitationToVerify) -> Self {
        crate::citations::StoredCitation {
            doc_id: c.doc_id,
            start: c.start,
            end: c.end,
            doc_version: c.doc_version,
            text: c.text,
        }
    }
}

/// What became of one citation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerifiedView {
    /// `exact`, `moved`, `changed` or `gone`.
    pub status: crate::citations::CitationStatus,
    /// Where the text is now: the same place (`exact`), every new place,
    /// nearest the old offsets first, at most 5 (`moved`), the changed
    /// place (`changed`); empty when `gone`.
    pub citations: Vec<Citation>,
    /// The current text at the first of `citations`, exactly as in the
    /// document; null when `gone`.
    pub text: Option<String>,
    /// For `changed` with the cited text: the word diff, cited text
    /// against the current text.
    pub diff: Vec<DiffOpView>,
    /// For `changed` with the cited text: what changed (`number_changed`,
    /// `negation_added`, …), as the quote checker reports it.
    pub notes: Vec<NoteView>,
}

impl From<&crate::citations::Verified<'_>> for VerifiedView {
    fn from(v: &crate::citations::Verified<'_>) -> Self {
        let m = v.matched.as_ref();
        VerifiedView {
            status: v.status,
            citations: v
                .places
                .iter()
                .map(|p| p.doc.cite(&p.passage, p.span))
                .collect(),
            text: v
                .places
                .first()
                .and_then(|p| p.doc.slice_chars(p.span))
                .map(str::to_string),
            diff: m.map(|m| diff_view(&m.diff)).unwrap_or_default(),
            notes: m.map(|m| notes_view(&m.notes)).unwrap_or_default(),
        }
    }
}

/// The verdicts on stored citations, one per citation, in order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerifyResponse {
    /// One result per citation of the request, in its order.
    pub results: Vec<VerifiedView>,
}

/// The verdict on one quote.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuoteCheckResponse {
    /// The quote as received.
    pub quote: String,
    /// `verbatim`, `altered` or `not_found`; in a draft, `not_checked` for a quotation over the word limit.
    pub verdict: Verdict,
    /// The closest source span; null when not found.
    #[serde(rename = "match")]
    pub matched: Option<QuoteMatchView>,
    /// Nearest passages when not found; never a match.
    pub candidates: Vec<SearchHit>,
    /// A stitched quote's pieces, in quote order (then `match` is the
    /// longest piece); empty for every other quote.
    #[serde(default)]
    pub pieces: Vec<PieceView>,
}

/// One piece of a stitched quote: some of its words, found in one place.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PieceView {
    /// The quote's words for this piece, as typed.
    pub quote: String,
    /// The source span exactly as in the document, at the citation's offsets.
    pub text: String,
    /// Where the piece is.
    pub citation: Citation,
    /// Whether the piece is word for word its source span.
    pub verbatim: bool,
    /// Word-level diff of the piece against its span.
    pub diff: Vec<DiffOpView>,
}

fn match_view(m: &QuoteMatch<'_>) -> QuoteMatchView {
    QuoteMatchView {
        text: m.doc.text[m.bytes.clone()].to_string(),
        similarity: thousandths(m.similarity),
        citation: m.doc.cite(&m.passage, m.span),
        diff: diff_view(&m.diff),
        notes: notes_view(&m.notes),
    }
}

fn notes_view(notes: &[crate::quote::Note]) -> Vec<NoteView> {
    notes
        .iter()
        .map(|n| NoteView {
            kind: n.kind,
            text: n.text.clone(),
        })
        .collect()
}

fn diff_view(diff: &[crate::quote::DiffPart]) -> Vec<DiffOpView> {
    diff.iter()
        .map(|d| DiffOpView {
            op: d.op,
            quote: d.quote.clone(),
            source: d.source.clone(),
        })
        .collect()
}

impl QuoteCheckResponse {
    /// Builds the response for a check.
    pub fn new(quote: &str, c: &QuoteCheck<'_>) -> Self {
        QuoteCheckResponse {
            quote: quote.to_string(),
            verdict: c.verdict,
            matched: c.matched.as_ref().map(match_view),
            candidates: c
                .candidates
                .iter()
                .map(|(doc, passage)| {
                    SearchHit::from(&Hit {
                        doc,
                        passage: passage.clone(),
                        score: 0.0,
                        highlights: Vec::new(),
                    })
                })
                .collect(),
            pieces: c
                .pieces
                .iter()
                .map(|p| PieceView {
                    quote: quote[p.quote.clone()].to_string(),
                    text: p.matched.doc.text[p.matched.bytes.clone()].to_string(),
                    citation: p.matched.doc.cite(&p.matched.passage, p.matched.span),
                    verbatim: p.verbatim,
                    diff: diff_view(&p.matched.diff),
                })
                .collect(),
        }
    }

    /// A one-line account of the differences, for spreadsheets and terminals.
    pub fn summary(&self) -> String {
        let Some(m) = &self.matched else {
            return "no close source span".into();
        };
        if !self.pieces.is_empty() {
            let pieces: Vec<String> = self
                .pieces
                .iter()
                .map(|p| {
                    format!(
                        "“{}” ({}{})",
                        p.text,
                        p.citation.label,
                        if p.verbatim {
                            ""
                        } else {
                            ", not word for word"
                        }
                    )
                })
                .collect();
            return format!("stitched from {}", pieces.join(" + "));
        }
        let changes: Vec<String> = m
            .diff
            .iter()
            .filter(|d| d.op != DiffOp::Equal)
            .map(|d| match d.op {
                DiffOp::Insert => format!("added “{}”", d.quote),
                DiffOp::Delete => format!("left out “{}”", d.source),
                DiffOp::Equal | DiffOp::Replace => format!("“{}” → “{}”", d.source, d.quote),
            })
            .collect();
        if changes.is_empty() {
            "no differences".into()
        } else {
            changes.join("; ")
        }
    }
}

/// One quotation found in a draft, with its check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DraftQuote {
    /// Char offset of the quotation (inside its quote marks) in the draft.
    pub start: usize,
    /// Char offset one past it.
    pub end: usize,
    /// The check, as for a single quote.
    #[serde(flatten)]
    pub check: QuoteCheckResponse,
}

/// Every quotation of a draft, checked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DraftResponse {
    /// In draft order.
    pub quotes: Vec<DraftQuote>,
}

impl From<&DraftCheck<'_>> for DraftResponse {
    fn from(d: &DraftCheck<'_>) -> Self {
        DraftResponse {
            quotes: d
                .quotes
                .iter()
                .map(|q| DraftQuote {
                    start: q.span.start,
                    end: q.span.end,
                    check: match &q.check {
                        Some(c) => QuoteCheckResponse::new(&q.quote, c),
                        None => QuoteCheckResponse {
                            quote: q.quote.clone(),
                            verdict: Verdict::NotChecked,
                            matched: None,
                            candidates: Vec::new(),
                            pieces: Vec::new(),
                        },
                    },
                })
                .collect(),
        }
    }
}

/// A highlighted range of an answer: a question `term` or the `answer` span.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnswerHighlight {
    /// First char (document offset).
    pub start: usize,
    /// One past the last char.
    pub end: usize,
    /// `term` (a word of the question) or `answer` (the date, amount or names asked for).
    pub kind: HighlightKind,
}

/// One answer: sentences cut exactly from a document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnswerView {
    /// The answering sentence(s), exactly the document text at `citation.start..citation.end`.
    pub text: String,
    /// Ranking score; comparable only within one question.
    pub score: f64,
    /// Share of the question's IDF weight the answer covers (0 to 1).
    pub coverage: f64,
    /// The passage holding the answer.
    pub passage_id: String,
    /// Document id.
    pub doc_id: String,
    /// Where the answer is.
    pub citation: Citation,
    /// The whole passage around the answer.
    pub context: String,
    /// Question terms and the answer span, in document char offsets.
    pub highlights: Vec<AnswerHighlight>,
    /// The answerability model's probability that this sentence answers
    /// the question (0 to 1; `null` when vectors are off).
    pub answerability: Option<f64>,
    /// `true` when the passage holds up as an answer on its own; `false`
    /// for a weak one, which the page labels and gives no answer span.
    pub strong: bool,
    /// Answers with near-identical words ("n more like this": a templated
    /// line naming another source, a note restating this sentence),
    /// ranked below this one and folded under it; each is a whole answer.
    /// Empty for most answers.
    #[serde(default)]
    #[schema(no_recursion)]
    pub similar: Vec<AnswerView>,
}

impl From<&Answer<'_>> for AnswerView {
    fn from(a: &Answer<'_>) -> Self {
        AnswerView {
            text: a.doc.text[a.bytes.clone()].to_string(),
            score: thousandths(a.score),
            coverage: thousandths(a.coverage),
            passage_id: model::passage_id(&a.doc.meta.id, a.passage.number),
            doc_id: a.doc.meta.id.clone(),
            citation: a.doc.cite(&a.passage, a.span),
            context: a.doc.passage_text(&a.passage).to_string(),
            highlights: a
                .highlights
                .iter()
                .map(|(s, k)| AnswerHighlight {
                    start: s.start,
                    end: s.end,
                    kind: *k,
                })
                .collect(),
            answerability: a.answerability.map(thousandths),
            strong: a.strong,
            similar: a.similar.iter().map(AnswerView::from).collect(),
        }
    }
}

/// The response to a question.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AskResponse {
    /// The question as received.
    pub question: String,
    /// `answered`, or `no_answer` when the sources do not answer it.
    pub status: AskStatus,
    /// Answers, best first; empty when `no_answer`.
    pub answers: Vec<AnswerView>,
    /// The nearest passages. Never an answer: when `no_answer`, each is
    /// labelled "possibly relevant" (`possibly_relevant`) or not an answer.
    pub related: Vec<RelatedView>,
    /// Key words of the question that appear nowhere in the corpus.
    pub unmatched_terms: Vec<String>,
    /// What the question asks for.
    pub asks: AsksView,
    /// When `no_answer`: why, in one plain sentence built from a template
    /// and the question's own words. A phrase it says the sources mention
    /// occurs in them word for word; a word it says no source uses occurs
    /// in none, in any form. `null` when answered.
    pub explanation: Option<String>,
}

/// A nearest passage of a question: a passage to read, never an answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RelatedView {
    /// The passage, with any near-identical ones folded under it.
    #[serde(flatten)]
    pub hit: SearchHit,
    /// The best probability, over the passage's sentences, that one answers
    /// the question (the reader's when it ran, else the answerability
    /// model's; 0 to 1); `null` when vectors are off.
    pub answerability: Option<f64>,
    /// `true` when that probability reaches the "possibly relevant"
    /// operating point (chosen on tuning data): the page and the assistants
    /// label the passage "possibly relevant" rather than "not an answer".
    /// It is still not an answer.
    pub possibly_relevant: bool,
}

/// What a question asks for, as worked out from its wording.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AsksView {
    /// `who`, `when`, `where`, `how_many`, `how_much`, `which`, `what`,
    /// `why`, `how`, or `other`.
    pub kind: QuestionKind,
    /// The thing asked for, in the question's own words ("minister" in
    /// "Which minister…?", "employees" in "How many employees…?"), when
    /// the wording names one.
    pub focus: Option<String>,
}

impl AskResponse {
    /// Builds the response for a question's result.
    pub fn new(question: &str, r: &AskResult<'_>) -> Self {
        let answers = if r.status == AskStatus::Answered {
            r.answers.iter().map(AnswerView::from).collect()
        } else {
            Vec::new()
        };
        AskResponse {
            question: question.to_string(),
            status: r.status,
            answers,
            related: r
                .related
                .iter()
                .map(|g| RelatedView {
                    hit: SearchHit {
                        similar: g.similar.iter().map(SearchHit::from).collect(),
                        ..SearchHit::from(&g.hit)
                    },
                    answerability: g.answerability.map(thousandths),
                    possibly_relevant: g.possibly_relevant,
                })
                .collect(),
            unmatched_terms: r.unmatched_terms.clone(),
            asks: AsksView {
                kind: r.asks.kind,
                focus: r.asks.focus.clone(),
            },
            explanation: r.explanation.clone(),
        }
    }
}

/// A score or probability rounded to three decimals for the wire: more
/// digits would promise a precision the models do not have.
fn thousandths(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
