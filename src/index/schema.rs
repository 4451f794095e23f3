//! The Tantivy schema and its field handles, in one place.
//!
//! One Tantivy document per passage. Nothing is stored: a hit resolves to
//! its passage through the `doc_id` and `paragraph` columns, and the text
//! comes from the documents, so the index holds only what search reads.

use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STRING};
use tantivy::Index;

use crate::analysis::{exact_analyzer, stemmed_index_analyzer, EXACT, STEMMED};

/// Handles of every field, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Document id: filter `doc:`, per-document deletes, and (its column)
    /// which document a hit is in.
    pub doc_id: tantivy::schema::Field,
    /// Document kind: filter `kind:`.
    pub kind: tantivy::schema::Field,
    /// Passage text, stemmed, with positions: ranked search.
    pub body: tantivy::schema::Field,
    /// Passage text, unstemmed, with positions: exact phrases.
    pub exact: tantivy::schema::Field,
    /// Passage number within the document (a column): which passage a
    /// hit is, and the order of filter-only pages.
    pub paragraph: tantivy::schema::Field,
}

fn text_field(analyzer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

/// Builds the schema and its field handles.
pub(super) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        doc_id: b.add_text_field("doc_id", STRING | FAST),
        kind: b.add_text_field("kind", STRING | FAST),
        body: b.add_text_field("body", text_field(STEMMED)),
        exact: b.add_text_field("exact", text_field(EXACT)),
        paragraph: b.add_u64_field("paragraph", FAST),
    };
    (b.build(), fields)
}

/// Resolves field handles from an opened index's schema.
pub(super) fn fields_of(schema: &Schema) -> tantivy::Result<Fields> {
    let f = |name: &str| schema.get_field(name);
    Ok(Fields {
        doc_id: f("doc_id")?,
        kind: f("kind")?,
        body: f("body")?,
        exact: f("exact")?,
        paragraph: f("paragraph")?,
    })
}

/// Registers verbatim's analyzers on an index (needed after every open).
pub(super) fn register_analyzers(index: &Index) {
    index
        .tokenizers()
        .register(STEMMED, stemmed_index_analyzer());
    index.tokenizers().register(EXACT, exact_analyzer());
}
