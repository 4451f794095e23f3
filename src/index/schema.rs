//! The Tantivy schema and its field handles, in one place.
//!
//! One Tantivy document per passage.

use tantivy::schema::{
    IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::Index;

use crate::analysis::{exact_analyzer, stemmed_index_analyzer, EXACT, STEMMED};

/// Handles of every field, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `{doc}:p{n}`: how a hit finds its passage in the corpus.
    pub passage_id: tantivy::schema::Field,
    /// Document id: filter `doc:` and per-document deletes.
    pub doc_id: tantivy::schema::Field,
    /// Document kind: filter `kind:`.
    pub kind: tantivy::schema::Field,
    /// Passage text, stemmed, with positions: ranked search.
    pub body: tantivy::schema::Field,
    /// Passage text, unstemmed, with positions: exact phrases.
    pub exact: tantivy::schema::Field,
    /// Document title, stemmed.
    pub title: tantivy::schema::Field,
    /// Heading above the passage, stemmed.
    pub section: tantivy::schema::Field,
    /// Passage number within the document.
    pub paragraph: tantivy::schema::Field,
    /// Char offset of the passage in the document.
    pub start: tantivy::schema::Field,
    /// Char offset one past the passage.
    pub end: tantivy::schema::Field,
}

fn text_field(analyzer: &str, stored: bool) -> TextOptions {
    let opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        opts.set_stored()
    } else {
        opts
    }
}

/// Builds the schema and its field handles.
pub(super) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        passage_id: b.add_text_field("passage_id", STRING | STORED),
        doc_id: b.add_text_field("doc_id", STRING | STORED | FAST),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        body: b.add_text_field("body", text_field(STEMMED, false)),
        exact: b.add_text_field("exact", text_field(EXACT, false)),
        title: b.add_text_field("title", text_field(STEMMED, true)),
        section: b.add_text_field("section", text_field(STEMMED, true)),
        paragraph: b.add_u64_field("paragraph", INDEXED | STORED | FAST),
        start: b.add_u64_field("start", STORED),
        end: b.add_u64_field("end", STORED),
    };
    (b.build(), fields)
}

/// Resolves field handles from an opened index's schema.
pub(super) fn fields_of(schema: &Schema) -> tantivy::Result<Fields> {
    let f = |name: &str| schema.get_field(name);
    Ok(Fields {
        passage_id: f("passage_id")?,
        doc_id: f("doc_id")?,
        kind: f("kind")?,
        body: f("body")?,
        exact: f("exact")?,
        title: f("title")?,
        section: f("section")?,
        paragraph: f("paragraph")?,
        start: f("start")?,
        end: f("end")?,
    })
}

/// Registers verbatim's analyzers on an index (needed after every open).
pub(super) fn register_analyzers(index: &Index) {
    index
        .tokenizers()
        .register(STEMMED, stemmed_index_analyzer());
    index.tokenizers().register(EXACT, exact_analyzer());
}
