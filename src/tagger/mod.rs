//! Tags items about AI infrastructure: the umbrella `ai-infra` and six subtopics (data centres,
//! chips, compute, energy, cloud, investment), each with the evidence that earned it.
//!
//! The rules live in a [`Taxonomy`] that an editor maintains as TOML (`config/taxonomy.toml`,
//! documented in `docs/taxonomy.md`). A [`Tagger`] reads an item's title and body once: words
//! are normalized and stemmed with [`crate::arabic`], every taxonomy phrase is found by one
//! automaton (module `matcher`), and module `score` weighs the matches against each rule's
//! context.
//!
//! ```text
//! title, body ─▶ words ─▶ word ids ─▶ automaton ─▶ occurrences ─▶ rules ─▶ scores ─▶ Tagging
//! ```

mod compile;
pub mod corpus;
mod features;
mod format;
mod lexicon;
mod logistic;
mod matcher;
mod model;
mod model_file;
mod score;
mod tag_name;
mod taxonomy;
pub mod train;

use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use corpus::{
    BUILTIN_CORPUS, BUILTIN_CORPUS_NAME, CorpusError, LabelledItem, load_corpus, parse_corpus,
};
pub use model::{MODEL_RULE_PREFIX, MODEL_TAGS, Model, ModelError};
pub use tag_name::{UnknownTag, parse_tag};
pub use taxonomy::{Problem, SUBTOPICS, Taxonomy, TaxonomyError, UMBRELLA};

use matcher::ScannedField;

/// Where in an item a phrase was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Body,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Body => "body",
        }
    }
}

/// One match that counted for (or against) a tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The rule, as `"<subtopic>:<rule name>"` (e.g. `"chips:ai-chip-words"`).
    pub rule: String,
    /// The words as the item spells them.
    pub matched: String,
    pub field: Field,
    /// Index of the first matched word in its field.
    pub position: usize,
    /// What this match adds to the tag's score (the rule's weight times the field's weight).
    pub weight: f64,
    /// The `near` (or `with`) phrase that let the match count, as the item spells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// One tag with its score and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagResult {
    pub tag: String,
    pub score: f64,
    pub evidence: Vec<Evidence>,
}

/// The outcome of tagging one item.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tagging {
    /// Given tags: `ai-infra` first (when any subtopic is given), then subtopics in
    /// [`SUBTOPICS`] order.
    pub tags: Vec<TagResult>,
    /// Subtopics with some positive evidence whose score stayed below the threshold (for
    /// `explain`), in [`SUBTOPICS`] order.
    pub near_misses: Vec<TagResult>,
}

impl Tagging {
    /// The names of the given tags.
    pub fn tag_names(&self) -> Vec<&str> {
        self.tags.iter().map(|t| t.tag.as_str()).collect()
    }

    /// Whether `tag` was given.
    pub fn has(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.tag == tag)
    }
}

/// Applies a taxonomy's rules and a model to items.
#[derive(Debug, Clone)]
pub struct Tagger {
    taxonomy: Taxonomy,
    model: Option<Model>,
    version: String,
}

impl Tagger {
    /// The rules of `taxonomy` with the model built into the binary.
    pub fn new(taxonomy: Taxonomy) -> Tagger {
        Tagger::with_model(taxonomy, Some(Model::builtin()))
    }

    /// The rules alone: a subtopic is given when its rule score reaches its threshold.
    pub fn rules_only(taxonomy: Taxonomy) -> Tagger {
        Tagger::with_model(taxonomy, None)
    }

    /// The rules of `taxonomy` with `model` deciding (or the rules alone without one).
    pub fn with_model(taxonomy: Taxonomy, model: Option<Model>) -> Tagger {
        let version = match &model {
            None => taxonomy.version().to_owned(),
            Some(model) => {
                let digest = Sha256::digest(
                    format!("taxonomy {} model {}", taxonomy.version(), model.version()).as_bytes(),
                );
                digest.iter().take(8).fold(String::new(), |mut s, b| {
                    let _ = write!(s, "{b:02x}");
                    s
                })
            }
        };
        Tagger {
            taxonomy,
            model,
            version,
        }
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// What stored tags were made with (16 hex digits): the taxonomy's version alone, or a hash
    /// of the taxonomy's and the model's. `retag` redoes tags stored under another version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Tags one item. `body` is the plain text of its summary and content (no markup).
    pub fn tag(&self, title: &str, body: &str) -> Tagging {
        self.tag_with(title, body, true)
    }

    /// The given tags of an item, without near misses: what is stored. It spares building the
    /// evidence of subtopics that were not given (only `tag --explain` shows them).
    pub fn tag_given(&self, title: &str, body: &str) -> Tagging {
        self.tag_with(title, body, false)
    }

    fn tag_with(&self, title: &str, body: &str, near_misses: bool) -> Tagging {
        let Some(model) = &self.model else {
            let mut tagging = self.read(title, body, &mut |_, _, _| {}).0;
            if !near_misses {
                tagging.near_misses.clear();
            }
            return tagging;
        };
        let mut collected = features::Collected::default();
        let (rules, title_words, body_words) = self.read(title, body, &mut |field, token, key| {
            collected.push(
                field,
                token,
                key,
                &mut |key| model.key_id(key),
                &mut |_, _| {},
            );
        });
        let item = model::ItemWords {
            title,
            body,
            title_words: &title_words,
            body_words: &body_words,
            title_ids: &collected.title_ids,
            body_ids: &collected.body_ids,
            grams: &collected.grams,
            title_tokens: &collected.title_tokens,
            body_tokens: &collected.body_tokens,
        };
        model.tag(rules, &item, &self.taxonomy.rule_thresholds(), near_misses)
    }

    /// Scores an item by the rules alone, handing every normalized token of the title and of the
    /// body, with its match key, to the visitor as the matcher reads it.
    pub(crate) fn read(
        &self,
        title: &str,
        body: &str,
        on_token: &mut impl FnMut(Field, &str, &str),
    ) -> (Tagging, ScannedField, ScannedField) {
        let matcher = &self.taxonomy.matcher;
        let title_words = matcher.scan_with(title, &mut |t: &str, k: &str| {
            on_token(Field::Title, t, k);
        });
        let body_words = matcher.scan_with(body, &mut |t: &str, k: &str| {
            on_token(Field::Body, t, k);
        });
        let mut found = Vec::new();
        matcher.find(&title_words, Field::Title, &mut found);
        matcher.find(&body_words, Field::Body, &mut found);
        let item = score::Item {
            title,
            body,
            title_words: &title_words,
            body_words: &body_words,
        };
        let tagging = score::score(&self.taxonomy, &item, found);
        (tagging, title_words, body_words)
    }
}

#[cfg(test)]
mod tests;
