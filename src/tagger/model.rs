//! The learned layer: one logistic regression per tag (`ai-infra` and the six subtopics) over the
//! item's words, word pairs and the rules' verdicts (module `features`).
//!
//! The model decides: `ai-infra` is given when its probability reaches its threshold, then each
//! subtopic whose probability reaches its own; when none does, the most probable one (an
//! AI-infrastructure item always has a subtopic). The rules are features of the model, so their
//! evidence still explains a tag, beside a `model:<tag>` evidence that lists the features that
//! weighed most, in the item's own words.
//!
//! The weights live in a text file (module `model_file`), trained by `mirsad train` (module
//! `train`) and compiled in as the default (`config/model.tsv`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::features::{self, FieldWords, ItemIds, Key, NO_WORD, Row, Signals, Space};
use super::matcher::ScannedField;
use super::taxonomy::{Problem, SUBTOPICS, UMBRELLA};
use super::{Evidence, Field, TagResult, Tagging};

pub use super::model_file::ModelError;

/// The tags the model scores: the umbrella, then the subtopics.
pub const MODEL_TAGS: [&str; 7] = [
    UMBRELLA,
    SUBTOPICS[0],
    SUBTOPICS[1],
    SUBTOPICS[2],
    SUBTOPICS[3],
    SUBTOPICS[4],
    SUBTOPICS[5],
];

/// Features listed in a tag's `model:` evidence.
const EVIDENCE_FEATURES: usize = 5;

const BUILTIN_TEXT: &str = include_str!("../../config/model.tsv");

/// What a column of the model is, for explaining it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Column {
    Word(u32),
    Title(u32),
    Bigram(u32, u32),
    /// A character n-gram, as written.
    Gram(Box<str>),
    Named(Box<str>),
}

/// A loaded model.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) origin: String,
    pub(crate) version: String,
    pub(crate) thresholds: [f64; 7],
    pub(crate) bias: [f64; 7],
    /// Stem → word id.
    pub(crate) words: FxHashMap<Box<str>, u32>,
    /// Word id → stem.
    pub(crate) word_names: Vec<Box<str>>,
    /// Word id → column of `w:` and of `t:` ([`NO_WORD`] for none).
    pub(crate) unigram: Vec<(u32, u32)>,
    pub(crate) bigrams: FxHashMap<(u32, u32), u32>,
    /// [`features::gram_hash`] of an n-gram → its column.
    pub(crate) grams: FxHashMap<u64, u32>,
    pub(crate) named: FxHashMap<Box<str>, u32>,
    pub(crate) columns: Vec<Column>,
    /// Per column, its weight for each of [`MODEL_TAGS`].
    pub(crate) weights: Vec<[f64; 7]>,
}

impl Model {
    /// The model shipped in the binary (`config/model.tsv`), parsed once per process.
    pub fn builtin() -> Model {
        static BUILTIN: OnceLock<Model> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                // Compiled in and loaded by a unit test, so this cannot fail at run time.
                Model::from_text(BUILTIN_TEXT, "builtin:config/model.tsv")
                    .unwrap_or_else(|e| panic!("the builtin model is invalid: {e}"))
            })
            .clone()
    }

    /// Parses a model file; `origin` names it in error messages.
    pub fn from_text(text: &str, origin: &str) -> Result<Model, ModelError> {
        super::model_file::parse(text, origin)
    }

    /// Reads a model file.
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Read {
            path: PathBuf::from(path),
            source,
        })?;
        Model::from_text(&text, &path.display().to_string())
    }

    /// Hash of the file's content lines (16 hex digits): a new model makes stored tags stale.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Where the model came from (a path, or `builtin:…`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The threshold of one of [`MODEL_TAGS`].
    pub fn threshold(&self, tag: &str) -> Option<f64> {
        let i = MODEL_TAGS.iter().position(|t| *t == tag)?;
        self.thresholds.get(i).copied()
    }

    /// Number of weighted features.
    pub fn feature_count(&self) -> usize {
        self.columns.len()
    }

    /// The word id of a word key ([`features::word_key`]), or [`NO_WORD`].
    ///
    /// Hot path: called for every word of every item.
    pub(crate) fn key_id(&self, key: &str) -> u32 {
        self.words.get(key).copied().unwrap_or(NO_WORD)
    }

    /// The features of an item the model knows.
    pub(crate) fn row(&self, item: ItemIds<'_>, signals: &Signals) -> Row {
        features::extract(&mut Lookup(self), item, features::GRAMS.weight, signals)
    }

    /// The probability of each of [`MODEL_TAGS`].
    pub(crate) fn probabilities(&self, row: &Row) -> [f64; 7] {
        let mut z = self.bias;
        for &(column, value) in row {
            if let Some(weights) = self.weights.get(column as usize) {
                for (z, w) in z.iter_mut().zip(weights) {
                    *z += w * value;
                }
            }
        }
        z.map(sigmoid)
    }

    /// Combines the rules' verdicts with the model's into the item's tags.
    pub(crate) fn tag(
        &self,
        rules: Tagging,
        item: &ItemWords<'_>,
        rule_thresholds: &[f64; 6],
        near_misses: bool,
    ) -> Tagging {
        let mut signals = Signals::from_rules(&rules, rule_thresholds);
        signals.add_entities(&[item.title_tokens, item.body_tokens]);
        let ids = ItemIds {
            title: item.title_ids,
            body: item.body_ids,
            grams: item.grams,
        };
        let row = self.row(ids, &signals);
        let p = self.probabilities(&row);
        let given = decide(&p, &self.thresholds);

        // The rules' evidence per subtopic, given or not.
        let mut rule_evidence: Vec<Vec<Evidence>> = vec![Vec::new(); SUBTOPICS.len()];
        for result in rules.tags.into_iter().chain(rules.near_misses) {
            if let Some(i) = SUBTOPICS.iter().position(|s| *s == result.tag)
                && let Some(list) = rule_evidence.get_mut(i)
            {
                *list = result.evidence;
            }
        }
        let mut tagging = Tagging::default();
        for (i, tag) in SUBTOPICS.iter().enumerate() {
            let (Some(&prob), Some(&is_given), Some(&threshold), Some(evidence)) = (
                p.get(i + 1),
                given.get(i + 1),
                self.thresholds.get(i + 1),
                rule_evidence.get_mut(i),
            ) else {
                continue;
            };
            let shows = is_given
                || near_misses && evidence.iter().any(|e| e.weight > 0.0)
                || prob >= threshold * NEAR_MISS_SHARE;
            if !shows {
                continue;
            }
            let mut evidence = std::mem::take(evidence);
            evidence.push(self.evidence(i + 1, prob, threshold, &row, item));
            let result = TagResult {
                tag: (*tag).to_owned(),
                score: round(prob),
                evidence,
            };
            if is_given {
                tagging.tags.push(result);
            } else {
                tagging.near_misses.push(result);
            }
        }
        if given.first() == Some(&true) {
            let (prob, threshold) = (p[0], self.thresholds[0]);
            let mut evidence = vec![self.evidence(0, prob, threshold, &row, item)];
            evidence.extend(tagging.tags.iter().flat_map(|t| {
                t.evidence
                    .iter()
                    .filter(|e| e.weight > 0.0 && !e.rule.starts_with(MODEL_RULE_PREFIX))
                    .cloned()
            }));
            tagging.tags.insert(
                0,
                TagResult {
                    tag: UMBRELLA.to_owned(),
                    score: round(prob),
                    evidence,
                },
            );
        }
        tagging
    }

    /// The `model:<tag>` evidence: the features that pushed the tag's probability up most, in
    /// the item's own words.
    fn evidence(
        &self,
        tag: usize,
        prob: f64,
        threshold: f64,
        row: &Row,
        item: &ItemWords<'_>,
    ) -> Evidence {
        let mut contributions: Vec<(f64, u32)> = row
            .iter()
            .filter_map(|&(column, value)| {
                let w = self.weights.get(column as usize)?.get(tag)?;
                let c = w * value;
                (c > 0.0).then_some((c, column))
            })
            .collect();
        // Largest first, ties by column so the evidence never depends on anything but the row.
        let order = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if contributions.len() > EVIDENCE_FEATURES {
            // A long article has thousands of features; only the top few are sorted.
            contributions.select_nth_unstable_by(EVIDENCE_FEATURES, order);
            contributions.truncate(EVIDENCE_FEATURES);
        }
        contributions.sort_by(order);
        let mut matched = String::new();
        let mut first_place: Option<(Field, usize)> = None;
        for (c, column) in &contributions {
            let (words, place) = self.describe(*column, item);
            if first_place.is_none() {
                first_place = place;
            }
            if !matched.is_empty() {
                matched.push_str(" · ");
            }
            let _ = write!(matched, "{words} {c:+.2}");
        }
        if matched.is_empty() {
            matched.push_str("(no feature for this tag)");
        }
        let (field, position) = first_place.unwrap_or((Field::Body, 0));
        Evidence {
            rule: format!(
                "{MODEL_RULE_PREFIX}{}",
                MODEL_TAGS.get(tag).copied().unwrap_or("?")
            ),
            matched,
            field,
            position,
            weight: round(prob),
            context: Some(format!("probability {prob:.2}, threshold {threshold:.2}")),
        }
    }

    /// A column in words: the item's spelling of its word(s), or what the rules said.
    fn describe(&self, column: u32, item: &ItemWords<'_>) -> (String, Option<(Field, usize)>) {
        let Some(key) = self.columns.get(column as usize) else {
            return ("?".to_owned(), None);
        };
        match key {
            Column::Word(w) => match item.find(&[*w], false) {
                Some((field, at, text)) => (format!("«{text}»"), Some((field, at))),
                None => (format!("«{}»", self.word_name(*w)), None),
            },
            Column::Title(w) => match item.find(&[*w], true) {
                Some((field, at, text)) => (format!("«{text}» in the title"), Some((field, at))),
                None => (format!("«{}» in the title", self.word_name(*w)), None),
            },
            Column::Bigram(a, b) => match item.find(&[*a, *b], false) {
                Some((field, at, text)) => (format!("«{text}»"), Some((field, at))),
                None => (
                    format!("«{} {}»", self.word_name(*a), self.word_name(*b)),
                    None,
                ),
            },
            Column::Gram(gram) => match item.find_gram(gram) {
                Some((field, at, text)) => {
                    (format!("«{text}» (letters «{gram}»)"), Some((field, at)))
                }
                None => (format!("letters «{gram}»"), None),
            },
            Column::Named(name) => (describe_named(name), None),
        }
    }

    fn word_name(&self, word: u32) -> &str {
        self.word_names.get(word as usize).map_or("?", |w| w)
    }
}

/// Evidence rules of the model start with this (`model:ai-infra/energy`).
pub const MODEL_RULE_PREFIX: &str = "model:";

/// A subtopic not given shows as a near miss when its probability reaches this share of its
/// threshold (or the rules found positive evidence for it).
const NEAR_MISS_SHARE: f64 = 0.5;

/// A named feature in words.
fn describe_named(name: &str) -> String {
    if let Some(id) = name.strip_prefix("entity:") {
        return format!("the item names {id}");
    }
    if let Some(rest) = name.strip_prefix("entity-signals:") {
        return match rest.strip_suffix("+alone") {
            Some(subtopic) => format!("a name that alone means {subtopic}"),
            None => format!("a name that points to {rest}"),
        };
    }
    let Some(rest) = name.strip_prefix("rule:") else {
        return name.to_owned();
    };
    match rest.split_once('=') {
        Some(("any", "pass")) => "the rules give a subtopic".to_owned(),
        Some((subtopic, "pass")) => format!("the rules give {subtopic}"),
        Some((subtopic, "near")) => format!("the rules nearly give {subtopic}"),
        _ => format!("the rules' {rest} score"),
    }
}

/// The tags given for these probabilities: `ai-infra` at its threshold, then every subtopic at
/// its own, or the most probable one when none reaches it.
pub(crate) fn decide(p: &[f64; 7], thresholds: &[f64; 7]) -> [bool; 7] {
    let mut given = [false; 7];
    if p[0] < thresholds[0] {
        return given;
    }
    given[0] = true;
    let mut any = false;
    for i in 1..7 {
        if p[i] >= thresholds[i] {
            given[i] = true;
            any = true;
        }
    }
    if !any {
        // The first of equals wins, so the choice does not depend on anything but p.
        let mut best = 1;
        for i in 2..7 {
            if p[i] > p[best] {
                best = i;
            }
        }
        given[best] = true;
    }
    given
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Probabilities are reported with four decimals, like rule scores.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The model's columns, looked up (never added) while an item is tagged.
struct Lookup<'m>(&'m Model);

impl Space for Lookup<'_> {
    fn column(&mut self, key: Key<'_>) -> Option<u32> {
        let model = self.0;
        let found = match key {
            Key::Word(w) => model.unigram.get(w as usize).map(|c| c.0),
            Key::Title(w) => model.unigram.get(w as usize).map(|c| c.1),
            Key::Bigram(a, b) => model.bigrams.get(&(a, b)).copied(),
            Key::Gram(hash) => model.grams.get(&hash).copied(),
            Key::Named(name) => model.named.get(name).copied(),
        };
        found.filter(|&c| c != NO_WORD)
    }
}

/// One item as the model reads it: its text, the matcher's tokens and the model's word ids.
pub(crate) struct ItemWords<'t> {
    pub title: &'t str,
    pub body: &'t str,
    pub title_words: &'t ScannedField,
    pub body_words: &'t ScannedField,
    pub title_ids: &'t [u32],
    pub body_ids: &'t [u32],
    /// Hashes of every word's n-grams.
    pub grams: &'t [u64],
    /// The normalized words, for the knowledge base.
    pub title_tokens: &'t FieldWords,
    pub body_tokens: &'t FieldWords,
}

impl ItemWords<'_> {
    /// The first word whose stem has the n-gram `gram`, as the item spells it.
    fn find_gram(&self, gram: &str) -> Option<(Field, usize, String)> {
        let fields = [
            (
                Field::Title,
                self.title,
                self.title_words,
                self.title_tokens,
            ),
            (Field::Body, self.body, self.body_words, self.body_tokens),
        ];
        for (field, text, words, tokens) in fields {
            let at = tokens.words().into_iter().position(|token| {
                let key = features::word_key(token);
                let (head, tail) = (gram.starts_with('<'), gram.ends_with('>'));
                let core = gram.trim_start_matches('<').trim_end_matches('>');
                match (head, tail) {
                    (true, true) => key == core,
                    (true, false) => key.starts_with(core),
                    (false, true) => key.ends_with(core),
                    (false, false) => key.contains(core),
                }
            });
            if let Some(at) = at {
                return Some((field, at, words.original(text, at, at + 1).to_owned()));
            }
        }
        None
    }

    /// The first place where `ids` occur in a row, with the words as the item spells them.
    fn find(&self, ids: &[u32], title_only: bool) -> Option<(Field, usize, String)> {
        let fields = [
            (Field::Title, self.title, self.title_words, self.title_ids),
            (Field::Body, self.body, self.body_words, self.body_ids),
        ];
        let count = if title_only { 1 } else { 2 };
        for (field, text, words, field_ids) in fields.into_iter().take(count) {
            if ids.is_empty() {
                break;
            }
            if let Some(at) = field_ids.windows(ids.len()).position(|w| w == ids) {
                return Some((
                    field,
                    at,
                    words.original(text, at, at + ids.len()).to_owned(),
                ));
            }
        }
        None
    }
}

/// One problem of a model file.
pub(crate) fn problem(line: usize, message: String) -> Problem {
    Problem {
        line,
        column: 1,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_model_loads() {
        let model = Model::builtin();
        assert_eq!(model.version().len(), 16);
        assert!(model.feature_count() > 0);
        assert!(
            model
                .threshold(UMBRELLA)
                .is_some_and(|t| t > 0.0 && t < 1.0)
        );
    }

    #[test]
    fn umbrella_below_its_threshold_gives_nothing() {
        let t = [0.5; 7];
        assert_eq!(decide(&[0.4, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], &t), [false; 7]);
    }

    #[test]
    fn subtopics_at_their_thresholds_are_given_with_the_umbrella() {
        let t = [0.5, 0.5, 0.3, 0.5, 0.5, 0.5, 0.5];
        let given = decide(&[0.6, 0.1, 0.3, 0.7, 0.0, 0.0, 0.0], &t);
        assert_eq!(given, [true, false, true, true, false, false, false]);
    }

    #[test]
    fn without_a_subtopic_over_its_threshold_the_most_probable_is_given() {
        let t = [0.5; 7];
        let given = decide(&[0.6, 0.1, 0.2, 0.45, 0.0, 0.45, 0.0], &t);
        assert_eq!(given, [true, false, false, true, false, false, false]);
    }

    #[test]
    fn sigmoid_is_stable_at_the_extremes() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(800.0) <= 1.0 && sigmoid(800.0) > 0.999);
        assert!(sigmoid(-800.0) >= 0.0 && sigmoid(-800.0) < 0.001);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn named_features_read_as_sentences() {
        assert_eq!(describe_named("rule:energy=pass"), "the rules give energy");
        assert_eq!(describe_named("rule:any=pass"), "the rules give a subtopic");
        assert_eq!(describe_named("rule:cloud"), "the rules' cloud score");
        assert_eq!(describe_named("entity:nvidia"), "the item names nvidia");
        assert_eq!(
            describe_named("entity-signals:compute+alone"),
            "a name that alone means compute"
        );
    }
}
