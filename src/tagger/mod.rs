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
mod format;
mod lexicon;
mod matcher;
mod score;
mod taxonomy;

use serde::Serialize;

pub use taxonomy::{Problem, SUBTOPICS, Taxonomy, TaxonomyError, UMBRELLA};

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

/// Applies a taxonomy to items.
#[derive(Debug, Clone)]
pub struct Tagger {
    taxonomy: Taxonomy,
}

impl Tagger {
    pub fn new(taxonomy: Taxonomy) -> Tagger {
        Tagger { taxonomy }
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// Tags one item. `body` is the plain text of its summary and content (no markup).
    pub fn tag(&self, title: &str, body: &str) -> Tagging {
        let matcher = &self.taxonomy.matcher;
        let title_words = matcher.scan(title);
        let body_words = matcher.scan(body);
        let mut found = Vec::new();
        matcher.find(&title_words, Field::Title, &mut found);
        matcher.find(&body_words, Field::Body, &mut found);
        let item = score::Item {
            title,
            body,
            title_words: &title_words,
            body_words: &body_words,
        };
        score::score(&self.taxonomy, &item, found)
    }
}

#[cfg(test)]
mod tests;
