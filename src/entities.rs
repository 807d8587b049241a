//! The knowledge base of the field: the companies, funds, clusters, campuses and reactors of AI
//! infrastructure, each under every spelling Arabic outlets use and its Latin names
//! (`config/entities.toml`, compiled in; format in `docs/taxonomy.md`).
//!
//! The tagger, the stories clusterer and search all read names from here, so a name added once
//! is known everywhere. Spellings are normalized with [`crate::arabic::normalize`] and split with
//! [`crate::arabic::tokens`], so hamza, alef and teh-marbuta variants need not be listed; letter
//! variants the normalizer keeps apart (جوجل/غوغل) are. A name is found in a normalized token
//! sequence with its proclitics (`لإنفيديا`, `وبمايكروسوفت`, `والصندوق`): every spelling's first
//! word is indexed as written and behind each proclitic, and the later words of a name are
//! compared without their article.

use std::fmt;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::arabic::{normalize, tokens};

const BUILTIN_TEXT: &str = include_str!("../config/entities.toml");

/// Proclitics a name's first word may carry, as the stories lexicon reads them: the article
/// and its fused forms, the conjunctions and prepositions, and و before a preposition.
const PROCLITICS: [&str; 14] = [
    "وال", "بال", "كال", "فال", "لل", "ال", "وب", "ول", "فب", "و", "ب", "ل", "ف", "ك",
];

/// The article and the clitics fused with it, stripped from the later words of a name.
const ARTICLES: [&str; 6] = ["وال", "بال", "كال", "فال", "لل", "ال"];

/// What kind of actor or thing an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The largest cloud and data-centre builders (Microsoft, Google, Amazon, Meta, Oracle).
    Hyperscaler,
    /// Other cloud providers.
    Cloud,
    /// GPU clouds ("neoclouds") that rent accelerators.
    Neocloud,
    /// Data-centre operators and developers.
    Datacenter,
    /// Chip and accelerator designers.
    Chips,
    Foundry,
    Memory,
    /// Chip-making equipment and materials.
    Equipment,
    /// Servers, networking, cooling and power gear for data centres.
    Hardware,
    /// Power companies and reactor developers in AI deals.
    Energy,
    /// Funds, asset managers and sovereign investors.
    Investor,
    /// Sovereign-AI firms, government AI bodies and regional technology groups.
    Sovereign,
    Telecom,
    /// AI model developers that buy compute at scale.
    Lab,
    /// Named clusters, campuses, projects, plants and reactors.
    Project,
    /// Products and model families (chips, clouds, chatbots).
    Product,
    /// Names outside the field that the stories clusterer still needs (airlines, carmakers).
    Other,
}

impl Kind {
    pub const ALL: [Kind; 17] = [
        Kind::Hyperscaler,
        Kind::Cloud,
        Kind::Neocloud,
        Kind::Datacenter,
        Kind::Chips,
        Kind::Foundry,
        Kind::Memory,
        Kind::Equipment,
        Kind::Hardware,
        Kind::Energy,
        Kind::Investor,
        Kind::Sovereign,
        Kind::Telecom,
        Kind::Lab,
        Kind::Project,
        Kind::Product,
        Kind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Hyperscaler => "hyperscaler",
            Kind::Cloud => "cloud",
            Kind::Neocloud => "neocloud",
            Kind::Datacenter => "datacenter",
            Kind::Chips => "chips",
            Kind::Foundry => "foundry",
            Kind::Memory => "memory",
            Kind::Equipment => "equipment",
            Kind::Hardware => "hardware",
            Kind::Energy => "energy",
            Kind::Investor => "investor",
            Kind::Sovereign => "sovereign",
            Kind::Telecom => "telecom",
            Kind::Lab => "lab",
            Kind::Project => "project",
            Kind::Product => "product",
            Kind::Other => "other",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A subtopic of AI infrastructure an entity points to (the tags `ai-infra/<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Datacenters,
    Chips,
    Compute,
    Energy,
    Cloud,
    Investment,
}

impl Signal {
    /// The tag this signal points to, as the taxonomy names it.
    pub fn tag(self) -> &'static str {
        match self {
            Signal::Datacenters => "ai-infra/datacenters",
            Signal::Chips => "ai-infra/chips",
            Signal::Compute => "ai-infra/compute",
            Signal::Energy => "ai-infra/energy",
            Signal::Cloud => "ai-infra/cloud",
            Signal::Investment => "ai-infra/investment",
        }
    }
}

/// One entity of the knowledge base, as the file writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// Stable key (lower-case ASCII), used in features and evidence.
    pub id: String,
    pub kind: Kind,
    /// Arabic spellings as outlets write them.
    pub ar: Vec<String>,
    /// Latin names, as written in English and inside Arabic text.
    pub latin: Vec<String>,
    /// The subtopics a mention points to.
    #[serde(default)]
    pub signals: Vec<Signal>,
    /// Whether a mention alone makes an item AI infrastructure (a data-centre operator), or only
    /// with other evidence (a hyperscaler, an asset manager).
    pub alone: bool,
    /// The entity this one is a part or programme of (AWS of Amazon, Stargate UAE of Stargate):
    /// outlets name either for the same news, so the stories clusterer counts them as one.
    #[serde(default)]
    pub part_of: Option<String>,
    /// Every spelling, normalized and split into words (filled when the file is loaded).
    #[serde(skip)]
    forms: Vec<Vec<String>>,
}

impl Entity {
    /// Every spelling of the entity, Arabic then Latin, each as its normalized words. A name
    /// that normalizes to a single letter (`e&`) is kept for display but never matched.
    pub fn forms(&self) -> &[Vec<String>] {
        &self.forms
    }
}

/// An entity found in a token sequence: which one, and the words it spans.
#[derive(Debug, Clone, Copy)]
pub struct EntityMatch<'e> {
    pub entity: &'e Entity,
    /// The entity's position in the knowledge base (see [`Entities::get`]).
    pub index: u16,
    /// Index of the first word of the mention.
    pub start: usize,
    /// Number of words the mention spans.
    pub len: usize,
}

/// Why the knowledge base could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum EntitiesError {
    #[error("the entities file is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("the entities file has {count} entities, more than {max}", max = u16::MAX)]
    TooMany { count: usize },
}

/// The knowledge base, indexed for lookup.
#[derive(Debug)]
pub struct Entities {
    list: Vec<Entity>,
    /// A trie over words; node 0 is the root. The root holds every first word under each
    /// proclitic, so reading a word that starts no name costs one hash lookup.
    nodes: Vec<Node>,
}

#[derive(Debug, Default)]
struct Node {
    children: FxHashMap<Box<str>, u32>,
    /// The entity a name ending here spells, and whether it was reached without a proclitic
    /// (a name as written beats another name behind a proclitic).
    entity: Option<(u16, bool)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    entity: Vec<Entity>,
}

/// The built-in knowledge base, parsed on first use.
pub fn builtin() -> &'static Entities {
    static BUILTIN: LazyLock<Entities> = LazyLock::new(|| {
        // The text is compiled in and a unit test loads and checks it, so this cannot fail at
        // run time.
        Entities::parse(BUILTIN_TEXT)
            .unwrap_or_else(|e| panic!("the builtin config/entities.toml is invalid: {e}"))
    });
    &BUILTIN
}

impl Entities {
    /// Parses and indexes an entities file.
    pub fn parse(text: &str) -> Result<Entities, EntitiesError> {
        let file: File = toml::from_str(text)?;
        let count = file.entity.len();
        if u16::try_from(count).is_err() {
            return Err(EntitiesError::TooMany { count });
        }
        let mut entities = Entities {
            list: file.entity,
            nodes: vec![Node::default()],
        };
        for entity in &mut entities.list {
            entity.forms = entity
                .ar
                .iter()
                .chain(&entity.latin)
                .map(|name| words(name))
                .filter(|form| !is_single_letter(form))
                .collect();
        }
        // Names as written first, so that they keep their node against a proclitic form.
        let mut spellings = Vec::new();
        for (index, entity) in (0u16..).zip(&entities.list) {
            for form in &entity.forms {
                spellings.push((index, form.clone()));
            }
        }
        for (index, form) in &spellings {
            let key = match_key(form);
            entities.insert(&key, *index, true);
        }
        for (index, form) in &spellings {
            let key = match_key(form);
            let Some((first, rest)) = key.split_first() else {
                continue;
            };
            if first.chars().nth(1).is_none() {
                continue;
            }
            for proclitic in PROCLITICS {
                let mut prefixed = Vec::with_capacity(key.len());
                prefixed.push(format!("{proclitic}{first}"));
                prefixed.extend(rest.iter().cloned());
                entities.insert(&prefixed, *index, false);
            }
        }
        Ok(entities)
    }

    fn insert(&mut self, key: &[String], index: u16, as_written: bool) {
        let mut node = 0usize;
        for word in key {
            let next = self
                .nodes
                .get(node)
                .and_then(|n| n.children.get(word.as_str()).copied());
            node = match next {
                Some(child) => child as usize,
                None => {
                    let child = self.nodes.len();
                    let Ok(id) = u32::try_from(child) else {
                        return;
                    };
                    self.nodes.push(Node::default());
                    if let Some(parent) = self.nodes.get_mut(node) {
                        parent.children.insert(word.as_str().into(), id);
                    }
                    child
                }
            };
        }
        if let Some(end) = self.nodes.get_mut(node) {
            match end.entity {
                None => end.entity = Some((index, as_written)),
                Some((_, false)) if as_written => end.entity = Some((index, as_written)),
                Some(_) => {}
            }
        }
    }

    /// All entities, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Entity> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn get(&self, index: u16) -> Option<&Entity> {
        self.list.get(usize::from(index))
    }

    /// The entity `entity` is a part of, if any.
    pub fn parent(&self, entity: &Entity) -> Option<&Entity> {
        entity.part_of.as_deref().and_then(|id| self.by_id(id))
    }

    /// The entity with this id.
    pub fn by_id(&self, id: &str) -> Option<&Entity> {
        self.list.iter().find(|e| e.id == id)
    }

    /// The longest name starting at `words[0]` (normalized words), if any.
    ///
    /// Hot path (every word of every item): one hash lookup for a word that starts no name, one
    /// more per further word of a name, no allocation.
    pub fn at<'e>(&'e self, words: &[&str]) -> Option<EntityMatch<'e>> {
        let mut node = self.nodes.first()?;
        let mut best = None;
        for (depth, word) in words.iter().enumerate() {
            let key: &str = if depth == 0 {
                word
            } else {
                strip_article(word)
            };
            let Some(&child) = node.children.get(key) else {
                break;
            };
            let Some(next) = self.nodes.get(child as usize) else {
                break;
            };
            node = next;
            if let Some((index, _)) = node.entity {
                best = Some((index, depth + 1));
            }
        }
        let (index, len) = best?;
        Some(EntityMatch {
            entity: self.get(index)?,
            index,
            start: 0,
            len,
        })
    }

    /// Every mention in `words` (normalized words), left to right, longest first, not
    /// overlapping.
    pub fn find<'e, 'w>(
        &'e self,
        words: &'w [&'w str],
    ) -> impl Iterator<Item = EntityMatch<'e>> + 'w
    where
        'e: 'w,
    {
        let mut start = 0;
        std::iter::from_fn(move || {
            while let Some(rest) = words.get(start..).filter(|r| !r.is_empty()) {
                if let Some(found) = self.at(rest) {
                    let found = EntityMatch { start, ..found };
                    start += found.len;
                    return Some(found);
                }
                start += 1;
            }
            None
        })
    }
}

/// A text normalized and split into words.
fn words(text: &str) -> Vec<String> {
    tokens(&normalize(text)).map(str::to_owned).collect()
}

/// A spelling as the trie stores it: the first word without its article (the proclitic forms,
/// the article among them, are added beside it), the later words without theirs.
fn match_key(form: &[String]) -> Vec<String> {
    form.iter().map(|w| strip_article(w).to_owned()).collect()
}

fn is_single_letter(form: &[String]) -> bool {
    match form {
        [] => true,
        [only] => only.chars().nth(1).is_none(),
        _ => false,
    }
}

/// A word without its article (ال and the clitics fused with it), if two letters remain.
fn strip_article(word: &str) -> &str {
    ARTICLES
        .iter()
        .find_map(|p| word.strip_prefix(p).filter(|r| r.chars().nth(1).is_some()))
        .unwrap_or(word)
}

#[cfg(test)]
mod tests;
