//! Loading SQuAD v1.1 into documents (one per paragraph).

use std::path::Path;

use serde::Deserialize;

use crate::ingest::document_from_text;
use crate::model::{DocMeta, Document};
use crate::segment::Markup;

/// The parts of the SQuAD file the benchmarks use.
#[derive(Debug, Deserialize)]
pub(crate) struct Squad {
    /// Articles.
    pub data: Vec<Article>,
}

/// A Wikipedia article.
#[derive(Debug, Deserialize)]
pub(crate) struct Article {
    /// Its title.
    pub title: String,
    /// Its paragraphs.
    pub paragraphs: Vec<Paragraph>,
}

/// A paragraph and its questions.
#[derive(Debug, Deserialize)]
pub(crate) struct Paragraph {
    /// The paragraph text.
    pub context: String,
    /// Questions asked on it.
    pub qas: Vec<Qa>,
}

/// A question with gold answers.
#[derive(Debug, Deserialize)]
pub(crate) struct Qa {
    /// The question.
    pub question: String,
    /// Gold answer spans.
    pub answers: Vec<Answer>,
}

/// A gold answer.
#[derive(Debug, Deserialize)]
pub(crate) struct Answer {
    /// The answer text (a substring of the context).
    pub text: String,
}

/// Reads a SQuAD JSON file.
pub(crate) fn load(path: &Path) -> anyhow::Result<Squad> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// The id of paragraph `p` of article `a`.
pub(crate) fn doc_id(a: usize, p: usize) -> String {
    format!("squad-a{a}-p{p}")
}

/// One document per paragraph of the selected articles. Titled, each gets
/// its article's title, which names the topic the questions were written
/// about (a leak the peers, indexing bare text, do not get); otherwise a
/// neutral title, its id.
pub(crate) fn documents(
    squad: &Squad,
    articles: impl Fn(usize) -> bool,
    titled: bool,
) -> Vec<Document> {
    let mut docs = Vec::new();
    for (a, art) in squad.data.iter().enumerate().filter(|(a, _)| articles(*a)) {
        for (p, para) in art.paragraphs.iter().enumerate() {
            let meta = DocMeta {
                id: doc_id(a, p),
                title: if titled {
                    art.title.replace('_', " ")
                } else {
                    doc_id(a, p)
                },
                kind: "squad".into(),
                ..Default::default()
            };
            docs.push(document_from_text(
                meta,
                format!("squad:{a}:{p}"),
                para.context.clone(),
                Markup::Markdown,
            ));
        }
    }
    docs
}
