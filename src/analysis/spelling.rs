//! British and American spellings fold together for ranked search
//! (`labour` finds `labor`). Pure.
//!
//! The table pairs whole words; they are compared by stem, after the
//! English stemmer, so inflections fold too (`labours`, `organised`,
//! `organising` → the American stem). Only the stemmed field folds: exact
//! phrases and quote checks still tell `labour` from `labor`, since a quote
//! that changes a spelling is not word for word.

use std::collections::HashMap;
use std::sync::OnceLock;

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// `(British, American)`: common spellings of news and policy text.
pub(crate) const VARIANTS: &[(&str, &str)] = &[
    // -our / -or
    ("labour", "labor"),
    ("colour", "color"),
    ("honour", "honor"),
    ("favour", "favor"),
    ("favourite", "favorite"),
    ("behaviour", "behavior"),
    ("neighbour", "neighbor"),
    ("harbour", "harbor"),
    ("rumour", "rumor"),
    ("humour", "humor"),
    ("flavour", "flavor"),
    ("vigour", "vigor"),
    ("endeavour", "endeavor"),
    ("armour", "armor"),
    ("vapour", "vapor"),
    ("odour", "odor"),
    ("tumour", "tumor"),
    ("saviour", "savior"),
    // -re / -er
    ("centre", "center"),
    ("theatre", "theater"),
    ("metre", "meter"),
    ("litre", "liter"),
    ("fibre", "fiber"),
    ("calibre", "caliber"),
    ("spectre", "specter"),
    ("sombre", "somber"),
    // -ise / -ize, -yse / -yze
    ("organise", "organize"),
    ("organisation", "organization"),
    ("realise", "realize"),
    ("recognise", "recognize"),
    ("apologise", "apologize"),
    ("criticise", "criticize"),
    ("emphasise", "emphasize"),
    ("prioritise", "prioritize"),
    ("privatise", "privatize"),
    ("privatisation", "privatization"),
    ("modernise", "modernize"),
    ("modernisation", "modernization"),
    ("specialise", "specialize"),
    ("summarise", "summarize"),
    ("utilise", "utilize"),
    ("minimise", "minimize"),
    ("maximise", "maximize"),
    ("optimise", "optimize"),
    ("authorise", "authorize"),
    ("authorisation", "authorization"),
    ("legalise", "legalize"),
    ("mobilise", "mobilize"),
    ("stabilise", "stabilize"),
    ("subsidise", "subsidize"),
    ("globalisation", "globalization"),
    ("digitise", "digitize"),
    ("digitisation", "digitization"),
    ("industrialise", "industrialize"),
    ("industrialisation", "industrialization"),
    ("commercialise", "commercialize"),
    ("finalise", "finalize"),
    ("characterise", "characterize"),
    ("jeopardise", "jeopardize"),
    ("standardise", "standardize"),
    ("analyse", "analyze"),
    ("paralyse", "paralyze"),
    // -ence / -ense, -mme, -gue
    ("defence", "defense"),
    ("offence", "offense"),
    ("licence", "license"),
    ("pretence", "pretense"),
    ("programme", "program"),
    ("catalogue", "catalog"),
    ("dialogue", "dialog"),
    ("analogue", "analog"),
    // doubled l
    ("travelled", "traveled"),
    ("travelling", "traveling"),
    ("traveller", "traveler"),
    ("cancelled", "canceled"),
    ("cancelling", "canceling"),
    ("modelling", "modeling"),
    ("modelled", "modeled"),
    ("labelled", "labeled"),
    ("labelling", "labeling"),
    ("fuelled", "fueled"),
    ("signalling", "signaling"),
    ("counselling", "counseling"),
    ("enrol", "enroll"),
    ("fulfil", "fulfill"),
    ("instalment", "installment"),
    ("skilful", "skillful"),
    ("wilful", "willful"),
    // ae, oe
    ("paediatric", "pediatric"),
    ("anaemia", "anemia"),
    ("haemorrhage", "hemorrhage"),
    ("leukaemia", "leukemia"),
    ("orthopaedic", "orthopedic"),
    ("encyclopaedia", "encyclopedia"),
    ("oestrogen", "estrogen"),
    ("foetus", "fetus"),
    ("manoeuvre", "maneuver"),
    // others
    ("judgement", "judgment"),
    ("sceptical", "skeptical"),
    ("sceptic", "skeptic"),
    ("grey", "gray"),
    ("tyre", "tire"),
    ("aluminium", "aluminum"),
    ("plough", "plow"),
    ("mould", "mold"),
    ("smoulder", "smolder"),
    ("jewellery", "jewelry"),
    ("pyjamas", "pajamas"),
    ("moustache", "mustache"),
    ("sulphur", "sulfur"),
    ("artefact", "artifact"),
    ("cosy", "cozy"),
    ("draught", "draft"),
];

/// British stem → American stem, both from `stem` (the stemmer without
/// this fold); pairs that already stem alike are left out.
fn stem_map(stem: impl Fn(&str) -> String) -> HashMap<String, String> {
    VARIANTS
        .iter()
        .map(|(b, a)| (stem(b), stem(a)))
        .filter(|(b, a)| b != a)
        .collect()
}

/// The English (Snowball) stem of one lowercase word, what Tantivy's
/// `Stemmer` gives it: the table's stems here, and the stemmed analyzer's
/// (cached) in the parent module.
pub(super) fn english_stem(word: &str) -> String {
    thread_local! {
        static STEMMER: frostem::Stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
    }
    STEMMER.with(|s| s.stem(word).into_owned())
}

/// The American stem for a British stem, if the table has one.
fn american(stem: &str) -> Option<&'static str> {
    static MAP: OnceLock<HashMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| stem_map(english_stem))
        .get(stem)
        .map(String::as_str)
}

/// The Tantivy filter: after the stemmer, a British stem becomes American.
#[derive(Clone, Copy, Default)]
pub(crate) struct SpellingFilter;

impl TokenFilter for SpellingFilter {
    type Tokenizer<T: Tokenizer> = SpellingTokenizer<T>;
    fn transform<T: Tokenizer>(self, tokenizer: T) -> SpellingTokenizer<T> {
        SpellingTokenizer(tokenizer)
    }
}

/// The tokenizer [`SpellingFilter`] wraps.
#[derive(Clone)]
pub(crate) struct SpellingTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for SpellingTokenizer<T> {
    type TokenStream<'a> = SpellingStream<T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SpellingStream(self.0.token_stream(text))
    }
}

/// The stream [`SpellingTokenizer`] yields.
pub(crate) struct SpellingStream<S>(S);

impl<S: TokenStream> TokenStream for SpellingStream<S> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let t = self.0.token_mut();
        if let Some(a) = american(&t.text) {
            t.text.clear();
            t.text.push_str(a);
        }
        true
    }
    fn token(&self) -> &Token {
        self.0.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}
