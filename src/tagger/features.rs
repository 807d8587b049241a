//! What the model sees of an item: its words, word pairs and the rules' verdicts, as a sparse
//! vector of numbered features.
//!
//! The words are the ones the matcher already read (module `matcher` hands each normalized token
//! to a visitor while it scans), keyed by their light stem ([`super::lexicon::match_key`]), so the
//! model and the rules agree on what a word is and nothing is normalized twice.
//!
//! Feature families, with the names the model file uses:
//!
//! | name | value |
//! | --- | --- |
//! | `w:<stem>` | the word occurs in the title or body |
//! | `t:<stem>` | the word occurs in the title |
//! | `b:<stem> <stem>` | the two words occur next to each other (within one field) |
//! | `g:<letters>` | some word's stem, written between `<` and `>`, contains these letters (off: see [`GRAMS`]) |
//! | `rule:<subtopic>` | the subtopic's rule score over its threshold, clamped to [-1, 3] |
//! | `rule:<subtopic>=pass` / `=near` | the rules give the subtopic / have positive evidence below the threshold |
//! | `rule:any=pass` | the rules give some subtopic |
//! | `entity:<id>` | the item names an entity of the knowledge base ([`crate::entities`]) |
//! | `entity-signals:<subtopic>` | some named entity points to the subtopic |
//! | `entity-signals:<subtopic>+alone` | an entity that alone makes an item AI infrastructure points to it |
//!
//! Word features weigh `1/√n` for an item of `n` words, so a long article's many words do not add
//! up to a large score by themselves. Named features (rules, entities) are listed by
//! [`Signals::named`]; the model learns whatever names it is given.

use super::lexicon;
use super::taxonomy::SUBTOPICS;
use super::{Field, Tagging, UMBRELLA};

/// A word the model does not know (at tagging time) or that has no id yet.
pub(crate) const NO_WORD: u32 = u32::MAX;

/// Features of one family, keyed by word ids or by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key<'a> {
    Word(u32),
    Title(u32),
    Bigram(u32, u32),
    /// A character n-gram, by its [`gram_hash`].
    Gram(u64),
    Named(&'a str),
}

/// Maps feature keys to columns: at training time every new key gets one; at tagging time only
/// the model's own features have one.
pub(crate) trait Space {
    fn column(&mut self, key: Key<'_>) -> Option<u32>;
}

/// The form of a token that word features use: its light stem, or the token itself where the
/// stem would be too short to tell words apart (the lexicon's rule).
pub(crate) fn word_key(token: &str) -> &str {
    lexicon::match_key(token)
}

/// Which character n-grams of a stem are features, and what they weigh beside words.
///
/// Why: an unseen inflection or spelling (`الحوسبية`, `جيجاوات`) shares most of its letter
/// sequences with words the corpus has, so it inherits their weight where a whole-word feature
/// would be unknown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GramSpec {
    /// Shortest and longest n-gram, in characters (the `<` and `>` marking the ends count).
    pub min: usize,
    pub max: usize,
    /// Multiplies the n-gram family's values (as [`extract`] scales them).
    pub weight: f64,
}

/// The n-grams the shipped model is trained and applied with: none. On the tune corpus
/// (5-fold cross-validation grouped by outlet) 3–4-grams moved the subtopic macro-F1 from 0.830
/// to 0.835 and the `ai-infra` recall from 0.940 to 0.937 at precision 0.96, within noise, for
/// two more hash lookups per letter of every word; a weight above 0 turns them on.
pub(crate) const GRAMS: GramSpec = GramSpec {
    min: 3,
    max: 4,
    weight: 0.0,
};

impl Default for GramSpec {
    fn default() -> GramSpec {
        GRAMS
    }
}

/// Reusable buffers for [`grams`], so a word costs no allocation.
#[derive(Debug, Default)]
pub(crate) struct GramScratch {
    padded: String,
    starts: Vec<usize>,
}

/// Hands every n-gram of `key` (a word key, see [`word_key`]) to `out` as its hash and text.
/// Numbers and one-letter words give none: their letter sequences mean nothing across words.
pub(crate) fn grams(
    key: &str,
    spec: &GramSpec,
    scratch: &mut GramScratch,
    out: &mut impl FnMut(u64, &str),
) {
    if spec.weight <= 0.0
        || spec.max == 0
        || key.chars().nth(1).is_none()
        || key.bytes().all(|b| b.is_ascii_digit())
    {
        return;
    }
    let GramScratch { padded, starts } = scratch;
    padded.clear();
    padded.push('<');
    padded.push_str(key);
    padded.push('>');
    starts.clear();
    starts.extend(padded.char_indices().map(|(i, _)| i));
    starts.push(padded.len());
    let chars = starts.len() - 1;
    for n in spec.min.max(1)..=spec.max.min(chars) {
        for from in 0..=chars - n {
            if let (Some(&a), Some(&b)) = (starts.get(from), starts.get(from + n))
                && let Some(gram) = padded.get(a..b)
            {
                out(gram_hash(gram), gram);
            }
        }
    }
}

/// FNV-1a over the gram's bytes: stable across Rust and crate versions, so a model file's
/// `g:` lines always mean the same columns.
pub(crate) fn gram_hash(gram: &str) -> u64 {
    gram.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `rule:<short>`, `rule:<short>=pass`, `rule:<short>=near` for each subtopic, in [`SUBTOPICS`]
/// order.
const RULE_FEATURES: [[&str; 3]; 6] = [
    [
        "rule:datacenters",
        "rule:datacenters=pass",
        "rule:datacenters=near",
    ],
    ["rule:chips", "rule:chips=pass", "rule:chips=near"],
    ["rule:compute", "rule:compute=pass", "rule:compute=near"],
    ["rule:energy", "rule:energy=pass", "rule:energy=near"],
    ["rule:cloud", "rule:cloud=pass", "rule:cloud=near"],
    [
        "rule:investment",
        "rule:investment=pass",
        "rule:investment=near",
    ],
];
const ANY_PASS: &str = "rule:any=pass";

/// `entity-signals:<short>` and `entity-signals:<short>+alone`, in [`SUBTOPICS`] order.
const ENTITY_SIGNAL_FEATURES: [[&str; 2]; 6] = [
    [
        "entity-signals:datacenters",
        "entity-signals:datacenters+alone",
    ],
    ["entity-signals:chips", "entity-signals:chips+alone"],
    ["entity-signals:compute", "entity-signals:compute+alone"],
    ["entity-signals:energy", "entity-signals:energy+alone"],
    ["entity-signals:cloud", "entity-signals:cloud+alone"],
    [
        "entity-signals:investment",
        "entity-signals:investment+alone",
    ],
];

/// Bounds of the numeric rule feature, in multiples of the threshold.
const RULE_SCORE_RANGE: (f64, f64) = (-1.0, 3.0);

/// What the item says besides its words: the rules' scores and the entities it names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Signals {
    /// Score over threshold per subtopic, in [`SUBTOPICS`] order (0 without evidence).
    pub rule_ratio: [f64; 6],
    pub rule_pass: [bool; 6],
    pub rule_near: [bool; 6],
    /// `entity:<id>` of every entity named, in order of first mention.
    pub entities: Vec<String>,
    /// Per subtopic: some entity points to it, and some entity that signals alone does.
    pub entity_signal: [bool; 6],
    pub entity_alone: [bool; 6],
}

impl Signals {
    /// The rules' verdicts as [`Tagging`] reports them; `thresholds` in [`SUBTOPICS`] order.
    pub fn from_rules(rules: &Tagging, thresholds: &[f64; 6]) -> Signals {
        let mut signals = Signals::default();
        for (result, given) in rules
            .tags
            .iter()
            .map(|t| (t, true))
            .chain(rules.near_misses.iter().map(|t| (t, false)))
        {
            if result.tag == UMBRELLA {
                continue;
            }
            let Some(i) = SUBTOPICS.iter().position(|s| *s == result.tag) else {
                continue;
            };
            let threshold = thresholds.get(i).copied().unwrap_or(1.0);
            let ratio = if threshold > 0.0 {
                result.score / threshold
            } else {
                result.score
            };
            if let (Some(r), Some(p), Some(n)) = (
                signals.rule_ratio.get_mut(i),
                signals.rule_pass.get_mut(i),
                signals.rule_near.get_mut(i),
            ) {
                *r = ratio.clamp(RULE_SCORE_RANGE.0, RULE_SCORE_RANGE.1);
                *p = given;
                *n = !given && result.score > 0.0;
            }
        }
        signals
    }

    /// Adds the entities of the knowledge base named in `fields` (normalized words).
    pub fn add_entities(&mut self, fields: &[&FieldWords]) {
        let knowledge = crate::entities::builtin();
        for field in fields {
            let words = field.words();
            for found in knowledge.find(&words) {
                let entity = found.entity;
                let name = format!("entity:{}", entity.id);
                if !self.entities.contains(&name) {
                    self.entities.push(name);
                }
                for signal in &entity.signals {
                    if let Some(i) = SUBTOPICS.iter().position(|s| *s == signal.tag()) {
                        if let Some(slot) = self.entity_signal.get_mut(i) {
                            *slot = true;
                        }
                        if let Some(slot) = self.entity_alone.get_mut(i) {
                            *slot |= entity.alone;
                        }
                    }
                }
            }
        }
    }

    /// Every named feature with its value.
    pub fn named(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        let rules = RULE_FEATURES
            .iter()
            .enumerate()
            .flat_map(move |(i, names)| {
                let [score, pass, near] = *names;
                let ratio = self.rule_ratio.get(i).copied().unwrap_or(0.0);
                let given = self.rule_pass.get(i).copied().unwrap_or(false);
                let close = self.rule_near.get(i).copied().unwrap_or(false);
                [
                    (score, ratio),
                    (pass, f64::from(u8::from(given))),
                    (near, f64::from(u8::from(close))),
                ]
            });
        let any = self.rule_pass.iter().any(|&p| p);
        let signals = ENTITY_SIGNAL_FEATURES
            .iter()
            .zip(self.entity_signal.iter().zip(&self.entity_alone))
            .flat_map(|([signal, alone], (&s, &a))| {
                [
                    (*signal, f64::from(u8::from(s))),
                    (*alone, f64::from(u8::from(a))),
                ]
            });
        rules
            .chain(std::iter::once((ANY_PASS, f64::from(u8::from(any)))))
            .chain(signals)
            .chain(self.entities.iter().map(|e| (e.as_str(), 1.0)))
            .filter(|(_, v)| *v != 0.0)
    }
}

/// The normalized words of one field in one buffer, for the knowledge base to read without an
/// allocation per word.
#[derive(Debug, Default)]
pub(crate) struct FieldWords {
    text: String,
    ends: Vec<usize>,
}

impl FieldWords {
    pub fn push(&mut self, token: &str) {
        self.text.push_str(token);
        self.ends.push(self.text.len());
    }

    pub fn words(&self) -> Vec<&str> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let word = self.text.get(start..end).unwrap_or("");
                start = end;
                word
            })
            .collect()
    }
}

/// What the model gathers from the matcher's tokens of one item, as they are read.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub title_ids: Vec<u32>,
    pub body_ids: Vec<u32>,
    /// The normalized words, for the knowledge base.
    pub title_tokens: FieldWords,
    pub body_tokens: FieldWords,
    /// Hashes of every word's n-grams ([`GRAMS`]).
    pub grams: Vec<u64>,
    spec: GramSpec,
    scratch: GramScratch,
}

impl Collected {
    /// Collects n-grams by `spec` rather than [`GRAMS`] (cross-validation compares specs).
    pub fn with_grams(spec: GramSpec) -> Collected {
        Collected {
            spec,
            ..Collected::default()
        }
    }

    /// Takes one token of `field` and its key ([`word_key`], as the matcher computed it):
    /// `word_id` maps the key to an id, and `on_gram` sees each of its n-grams (training names
    /// them).
    pub fn push(
        &mut self,
        field: Field,
        token: &str,
        key: &str,
        word_id: &mut impl FnMut(&str) -> u32,
        on_gram: &mut impl FnMut(u64, &str),
    ) {
        let id = word_id(key);
        let (ids, tokens) = match field {
            Field::Title => (&mut self.title_ids, &mut self.title_tokens),
            Field::Body => (&mut self.body_ids, &mut self.body_tokens),
        };
        ids.push(id);
        tokens.push(token);
        let grams = &mut self.grams;
        self::grams(key, &self.spec, &mut self.scratch, &mut |hash, gram| {
            grams.push(hash);
            on_gram(hash, gram);
        });
    }

    /// The word ids and n-grams, for [`extract`].
    pub fn ids(&self) -> ItemIds<'_> {
        ItemIds {
            title: &self.title_ids,
            body: &self.body_ids,
            grams: &self.grams,
        }
    }
}

/// One item's features: `(column, value)` sorted by column, each column once.
pub(crate) type Row = Vec<(u32, f64)>;

/// The words of one item as the model reads them.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ItemIds<'a> {
    /// Word ids of the title and body ([`NO_WORD`] for unknown ones).
    pub title: &'a [u32],
    pub body: &'a [u32],
    /// Hashes of the n-grams of every word ([`grams`]), repeats included.
    pub grams: &'a [u64],
}

/// Extracts the features of an item.
///
/// Hot path: one column lookup per word, pair of words and n-gram; no allocation but the row.
pub(crate) fn extract<S: Space>(
    space: &mut S,
    item: ItemIds<'_>,
    gram_weight: f64,
    signals: &Signals,
) -> Row {
    let ItemIds { title, body, grams } = item;
    let words = title.len() + body.len();
    let scale = 1.0 / (words.max(1) as f64).sqrt();
    let gram_scale = gram_weight / (grams.len().max(1) as f64).sqrt();
    let mut row: Row = Vec::with_capacity(words * 2 + title.len() + 24);
    let mut push = |space: &mut S, key: Key<'_>, value: f64| {
        if let Some(column) = space.column(key) {
            row.push((column, value));
        }
    };
    for field in [title, body] {
        for (i, &word) in field.iter().enumerate() {
            if word == NO_WORD {
                continue;
            }
            push(space, Key::Word(word), scale);
            if let Some(&next) = field.get(i + 1)
                && next != NO_WORD
            {
                push(space, Key::Bigram(word, next), scale);
            }
        }
    }
    for &word in title.iter().filter(|&&w| w != NO_WORD) {
        push(space, Key::Title(word), scale);
    }
    if gram_weight > 0.0 {
        for &gram in grams {
            push(space, Key::Gram(gram), gram_scale);
        }
    }
    for (name, value) in signals.named() {
        push(space, Key::Named(name), value);
    }
    // A column has one value per item, so which duplicate survives does not matter.
    row.sort_unstable_by_key(|&(column, _)| column);
    row.dedup_by_key(|(column, _)| *column);
    row
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::tagger::TagResult;

    /// Gives every key a column, as training does.
    #[derive(Default)]
    struct Growing(HashMap<String, u32>);

    impl Space for Growing {
        fn column(&mut self, key: Key<'_>) -> Option<u32> {
            let next = u32::try_from(self.0.len()).ok()?;
            Some(*self.0.entry(format!("{key:?}")).or_insert(next))
        }
    }

    fn names(space: &Growing, row: &Row) -> Vec<String> {
        let mut out: Vec<String> = row
            .iter()
            .filter_map(|(c, _)| {
                space
                    .0
                    .iter()
                    .find(|(_, v)| *v == c)
                    .map(|(k, _)| k.clone())
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn words_pairs_and_title_words_are_features_once_each() {
        let mut space = Growing::default();
        let item = ItemIds {
            title: &[1, 2],
            body: &[2, 1, 2, NO_WORD, 3],
            grams: &[],
        };
        let row = extract(&mut space, item, 1.0, &Signals::default());
        assert_eq!(
            names(&space, &row),
            [
                "Bigram(1, 2)",
                "Bigram(2, 1)",
                "Title(1)",
                "Title(2)",
                "Word(1)",
                "Word(2)",
                "Word(3)"
            ]
        );
        // Seven words: each word feature weighs 1/√7.
        assert!(
            row.iter()
                .all(|(_, v)| (v - 1.0 / 7f64.sqrt()).abs() < 1e-12)
        );
        assert!(row.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn unknown_words_break_pairs() {
        let mut space = Growing::default();
        let item = ItemIds {
            body: &[1, NO_WORD, 2],
            ..ItemIds::default()
        };
        let row = extract(&mut space, item, 1.0, &Signals::default());
        assert_eq!(names(&space, &row), ["Word(1)", "Word(2)"]);
    }

    #[test]
    fn grams_cover_the_stem_between_end_marks() {
        let mut scratch = GramScratch::default();
        let mut got = Vec::new();
        let spec = GramSpec {
            min: 3,
            max: 4,
            weight: 1.0,
        };
        grams("حوسب", &spec, &mut scratch, &mut |h, g| {
            assert_eq!(h, gram_hash(g));
            got.push(g.to_owned());
        });
        assert_eq!(got, ["<حو", "حوس", "وسب", "سب>", "<حوس", "حوسب", "وسب>"]);
        got.clear();
        for key in ["2025", "x"] {
            grams(key, &spec, &mut scratch, &mut |_, g| got.push(g.to_owned()));
        }
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn grams_weigh_as_a_family_scaled_by_their_count() {
        let mut space = Growing::default();
        let item = ItemIds {
            grams: &[7, 8, 7, 9],
            ..ItemIds::default()
        };
        let row = extract(&mut space, item, 0.5, &Signals::default());
        assert_eq!(names(&space, &row), ["Gram(7)", "Gram(8)", "Gram(9)"]);
        assert!(row.iter().all(|(_, v)| (v - 0.25).abs() < 1e-12), "{row:?}");
    }

    #[test]
    fn rule_verdicts_become_bounded_named_features() {
        let tag = |tag: &str, score: f64| TagResult {
            tag: tag.to_owned(),
            score,
            evidence: vec![],
        };
        let rules = Tagging {
            tags: vec![tag(UMBRELLA, 9.0), tag("ai-infra/chips", 9.0)],
            near_misses: vec![tag("ai-infra/energy", 0.5)],
        };
        let signals = Signals::from_rules(&rules, &[1.0; 6]);
        let named: HashMap<&str, f64> = signals.named().collect();
        assert_eq!(named.get("rule:chips"), Some(&3.0));
        assert_eq!(named.get("rule:chips=pass"), Some(&1.0));
        assert_eq!(named.get("rule:energy"), Some(&0.5));
        assert_eq!(named.get("rule:energy=near"), Some(&1.0));
        assert_eq!(named.get("rule:any=pass"), Some(&1.0));
        assert_eq!(named.get("rule:cloud"), None);
        assert_eq!(named.len(), 5);
    }
}
