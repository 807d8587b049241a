//! Training the model on a labelled corpus: features, K-fold cross-validation grouped by outlet,
//! thresholds, and the model file.
//!
//! 1. Every item is read once: the rules score it and its words are collected (module
//!    `features`); features seen in fewer than two items are dropped.
//! 2. The items are split into K folds, never putting one outlet in two folds; for each fold a
//!    model is fitted on the others and predicts the fold, so every item gets a probability from
//!    a model that never saw its outlet.
//! 3. From those out-of-fold probabilities, each tag's threshold is the one with the best F1
//!    (subtopics under the same decision rule the tagger applies), and the same predictions give
//!    the cross-validated precision and recall reported to the user.
//! 4. A last model is fitted on every item, its tiny weights are dropped, and it is written with
//!    those thresholds. Nothing is random and everything runs in a fixed order: the same corpus
//!    gives the same file, byte for byte.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::Serialize;

use super::corpus::LabelledItem;
use super::features::{self, Collected, GramSpec, Key, Row, Signals, Space};
use super::logistic::{self, FitOptions};
use super::model::{MODEL_TAGS, Model, decide};
use super::model_file::{self, ModelText};
use super::{Tagger, Taxonomy};

/// Weights smaller than this are dropped (in the fold models too, so the cross-validated figures
/// are those of the pruned model): word features weigh about 1/√n, so such a weight moves the
/// log-odds by less than 0.02, and the file stays a few hundred kilobytes.
const PRUNE_BELOW: f64 = 0.1;
/// A feature must occur in at least this many items to be learned.
const MIN_DOCUMENT_FREQUENCY: usize = 2;

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Folds of cross-validation (fewer when the corpus has fewer outlets).
    pub folds: usize,
    /// The L2 penalty λ of every tag; `None` for each tag's own, chosen by cross-validation.
    pub l2: Option<f64>,
    /// What the corpus is called in the model file's comments.
    pub corpus_name: String,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            folds: 5,
            l2: None,
            corpus_name: "corpus".to_owned(),
        }
    }
}

/// The L2 penalty of a tag without its own (see [`Fitting`]).
pub const DEFAULT_L2: f64 = 0.3;

/// Why training could not run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("the corpus has no items: nothing to train on")]
    Empty,
    #[error(
        "cross-validation needs at least 2 folds and 2 outlets; the corpus has {groups} outlet(s) and {folds} fold(s) were asked"
    )]
    TooFewFolds { folds: usize, groups: usize },
    #[error("the trained model does not load back: {0}")]
    Invalid(#[from] super::model::ModelError),
}

/// Counts of one tag's decisions against the labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl Confusion {
    pub fn add(&mut self, predicted: bool, labelled: bool) {
        match (predicted, labelled) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }

    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// An empty denominator counts as perfect: nothing to find, or nothing claimed.
fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

/// Per-tag counts over a set of items, for [`MODEL_TAGS`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evaluation {
    pub tags: [Confusion; 7],
}

impl Evaluation {
    /// Adds one item: the tags given and the tags labelled.
    pub fn add(&mut self, given: &[bool; 7], labelled: &[bool; 7]) {
        for ((c, &g), &l) in self.tags.iter_mut().zip(given).zip(labelled) {
            c.add(g, l);
        }
    }

    /// The counts of `tag` (one of [`MODEL_TAGS`]).
    pub fn of(&self, tag: &str) -> Confusion {
        MODEL_TAGS
            .iter()
            .position(|t| *t == tag)
            .and_then(|i| self.tags.get(i))
            .copied()
            .unwrap_or_default()
    }

    /// Mean F1 over the six subtopics.
    pub fn subtopic_macro_f1(&self) -> f64 {
        self.tags.iter().skip(1).map(Confusion::f1).sum::<f64>() / 6.0
    }

    /// A table: one line per tag with precision, recall, F1 and counts, then the macro-F1.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "tag                    precision  recall     F1    TP    FP    FN    TN\n",
        );
        for (tag, c) in MODEL_TAGS.iter().zip(&self.tags) {
            out.push_str(&format!(
                "{tag:<22} {:>9.3} {:>7.3} {:>6.3} {:>5} {:>5} {:>5} {:>5}\n",
                c.precision(),
                c.recall(),
                c.f1(),
                c.tp,
                c.fp,
                c.fn_,
                c.tn
            ));
        }
        out.push_str(&format!(
            "macro-F1 over the six subtopics: {:.3}\n",
            self.subtopic_macro_f1()
        ));
        out
    }
}

/// The labels of an item as flags over [`MODEL_TAGS`].
pub fn label_flags(item: &LabelledItem) -> [bool; 7] {
    MODEL_TAGS.map(|t| item.has(t))
}

/// The tags a tagger gives an item, as flags over [`MODEL_TAGS`].
pub fn given_flags(tagger: &Tagger, title: &str, body: &str) -> [bool; 7] {
    let tagging = tagger.tag_given(title, body);
    MODEL_TAGS.map(|t| tagging.has(t))
}

/// How `tagger` does on `items`.
pub fn evaluate(tagger: &Tagger, items: &[LabelledItem]) -> Evaluation {
    let mut evaluation = Evaluation::default();
    for item in items {
        let given = given_flags(tagger, &item.title, &item.summary);
        evaluation.add(&given, &label_flags(item));
    }
    evaluation
}

/// What training produced.
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// The model file's text.
    pub text: String,
    pub model: Model,
    /// Out-of-fold figures of the new model, at its thresholds.
    pub cross_validated: Evaluation,
    pub thresholds: [f64; 7],
    pub items: usize,
    pub outlets: usize,
    pub folds: usize,
    /// Features learned (after dropping rare ones), and weights written.
    pub features: usize,
    pub weights: usize,
    pub seconds: f64,
}

/// Steps of training, for a progress bar: `(done, total)`.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

// One tag index runs through labels, predictions, biases and weights at once.
#[allow(clippy::needless_range_loop)]
/// Trains a model on `corpus` plus `extra` items (an analyst's judgements), scoring rules with
/// `taxonomy`.
pub fn train(
    taxonomy: &Taxonomy,
    corpus: &[LabelledItem],
    extra: &[LabelledItem],
    options: &TrainOptions,
    progress: Progress<'_>,
) -> Result<TrainReport, TrainError> {
    let started = Instant::now();
    let items: Vec<&LabelledItem> = corpus.iter().chain(extra).collect();
    if items.is_empty() {
        return Err(TrainError::Empty);
    }
    let data = Dataset::build(taxonomy, &items, &features::GRAMS);
    let outlets = data.group_count;
    let folds = options.folds.min(outlets);
    if folds < 2 {
        return Err(TrainError::TooFewFolds {
            folds: options.folds,
            groups: outlets,
        });
    }
    let fitting = match options.l2 {
        Some(l2) => Fitting {
            l2: [l2; 7],
            ..Fitting::default()
        },
        None => Fitting::default(),
    };
    let total = folds * MODEL_TAGS.len() + MODEL_TAGS.len();
    let mut done = 0;
    let mut step = || {
        done += 1;
        progress(done, total);
    };
    let out_of_fold = cross_validate(&data, folds, &fitting, &mut step);
    let thresholds = choose_thresholds(&out_of_fold, &data.labels);
    let mut cross_validated = Evaluation::default();
    for (p, labels) in out_of_fold.iter().zip(&data.labels) {
        cross_validated.add(&decide(p, &thresholds), labels);
    }

    let all: Vec<usize> = (0..data.rows.len()).collect();
    let mut bias = [0.0; 7];
    let mut weights: Vec<[f64; 7]> = vec![[0.0; 7]; data.names.len()];
    for tag in 0..MODEL_TAGS.len() {
        let fit = fit_tag(&data, &all, tag, &fitting);
        bias[tag] = fit.bias;
        for (slot, w) in weights.iter_mut().zip(&fit.weights) {
            slot[tag] = *w;
        }
        step();
    }
    let named: Vec<(String, [f64; 7])> = data
        .names
        .iter()
        .cloned()
        .zip(weights)
        .filter(|(_, w)| w.iter().any(|x| *x != 0.0))
        .collect();
    let positives = items.iter().filter(|i| i.has(MODEL_TAGS[0])).count();
    let comments = vec![
        format!(
            "trained by `mirsad train` on {} items ({positives} ai-infra) from {outlets} outlets: {}{}",
            items.len(),
            options.corpus_name,
            if extra.is_empty() {
                String::new()
            } else {
                format!(" and {} judgements", extra.len())
            }
        ),
        format!(
            "taxonomy {}; {}; {} features seen in at least {MIN_DOCUMENT_FREQUENCY} items; thresholds by {folds}-fold cross-validation grouped by outlet",
            taxonomy.version(),
            fitting.describe(),
            data.names.len()
        ),
        "lines: threshold<TAB>tag<TAB>probability, bias<TAB>tag<TAB>b, then tag<TAB>feature<TAB>weight".to_owned(),
    ];
    let text = model_file::write(&ModelText {
        comments,
        thresholds,
        bias,
        weights: &named,
    });
    let model = Model::from_text(&text, "trained model")?;
    let weights_written = text.lines().filter(|l| l.starts_with("ai-infra")).count();
    Ok(TrainReport {
        model,
        cross_validated,
        thresholds,
        items: items.len(),
        outlets,
        folds,
        features: data.names.len(),
        weights: weights_written,
        seconds: started.elapsed().as_secs_f64(),
        text,
    })
}

/// How each tag's model is fitted; the defaults were chosen by outlet-grouped cross-validation
/// on the tune corpus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fitting {
    /// The L2 penalty λ of each of [`MODEL_TAGS`].
    pub l2: [f64; 7],
    /// A subtopic's positives weigh `(negatives / positives)^balance` in its loss: rare
    /// subtopics (cloud, compute) are not drowned by the items that are not about them.
    pub balance: f64,
    /// Subtopic models learn only from items labelled `ai-infra`: the tagger asks for a subtopic
    /// only once `ai-infra` is given, so that is the question they answer.
    pub conditional: bool,
}

impl Default for Fitting {
    fn default() -> Fitting {
        Fitting {
            l2: [DEFAULT_L2; 7],
            balance: 0.0,
            conditional: false,
        }
    }
}

impl Fitting {
    /// One line for the model file's comment.
    fn describe(&self) -> String {
        // The plain fit reads as it always has, so its files do not change.
        if self.l2.iter().all(|l| *l == self.l2[0]) && self.balance == 0.0 && !self.conditional {
            return format!("L2 {}", self.l2[0]);
        }
        let l2: Vec<String> = self.l2.iter().map(|l| format!("{l}")).collect();
        format!(
            "L2 {} (per tag); positive weight (negatives/positives)^{}; subtopics learnt from {}",
            l2.join("/"),
            self.balance,
            if self.conditional {
                "ai-infra items"
            } else {
                "all items"
            }
        )
    }
}

/// Fits one tag on the items `train` (indices into `data`), pruned as the written model is.
fn fit_tag(data: &Dataset, train: &[usize], tag: usize, fitting: &Fitting) -> logistic::Fit {
    let chosen: Vec<usize> = if fitting.conditional && tag > 0 {
        train
            .iter()
            .copied()
            .filter(|&i| data.labels.get(i).is_some_and(|l| l[0]))
            .collect()
    } else {
        train.to_vec()
    };
    let rows: Vec<&Row> = chosen.iter().filter_map(|&i| data.rows.get(i)).collect();
    let labels: Vec<bool> = chosen
        .iter()
        .map(|&i| data.labels.get(i).is_some_and(|l| l[tag]))
        .collect();
    let positives = labels.iter().filter(|&&l| l).count().max(1);
    let negatives = labels.len().saturating_sub(positives).max(1);
    let positive_weight = if tag > 0 {
        (negatives as f64 / positives as f64).powf(fitting.balance)
    } else {
        1.0
    };
    let options = FitOptions {
        l2: fitting.l2.get(tag).copied().unwrap_or(DEFAULT_L2),
        positive_weight,
        ..FitOptions::default()
    };
    let mut fit = logistic::fit(&rows, &labels, data.names.len(), options);
    prune(&mut fit.weights);
    fit
}

/// Out-of-fold probabilities: each item scored by models fitted on the folds without its outlet.
fn cross_validate(
    data: &Dataset,
    folds: usize,
    fitting: &Fitting,
    step: &mut impl FnMut(),
) -> Vec<[f64; 7]> {
    let fold_of = assign_folds(&data.groups, folds);
    let mut out_of_fold = vec![[0.0; 7]; data.rows.len()];
    for fold in 0..folds {
        let train_idx: Vec<usize> = (0..data.rows.len())
            .filter(|&i| fold_of[i] != fold)
            .collect();
        for tag in 0..MODEL_TAGS.len() {
            let fit = fit_tag(data, &train_idx, tag, fitting);
            let held_out = data
                .rows
                .iter()
                .zip(out_of_fold.iter_mut())
                .zip(&fold_of)
                .filter(|(_, f)| **f == fold);
            for ((row, probabilities), _) in held_out {
                if let Some(p) = probabilities.get_mut(tag) {
                    *p = predict(&fit.weights, fit.bias, row);
                }
            }
            step();
        }
    }
    out_of_fold
}

/// Drops weights too small to matter, and keeps the file short.
fn prune(weights: &mut [f64]) {
    for w in weights.iter_mut().filter(|w| w.abs() < PRUNE_BELOW) {
        *w = 0.0;
    }
}

fn predict(weights: &[f64], bias: f64, row: &Row) -> f64 {
    let z = bias
        + row
            .iter()
            .map(|&(c, v)| weights.get(c as usize).copied().unwrap_or(0.0) * v)
            .sum::<f64>();
    super::model::sigmoid(z)
}

/// Every item's features, labels and outlet group.
struct Dataset {
    rows: Vec<Row>,
    labels: Vec<[bool; 7]>,
    groups: Vec<usize>,
    group_count: usize,
    /// Column → feature name as the model file writes it.
    names: Vec<String>,
}

impl Dataset {
    fn build(taxonomy: &Taxonomy, items: &[&LabelledItem], grams: &GramSpec) -> Dataset {
        let rules = Tagger::rules_only(taxonomy.clone());
        let thresholds = taxonomy.rule_thresholds();
        let mut space = Growing::default();
        let mut rows = Vec::with_capacity(items.len());
        let mut group_ids: BTreeMap<String, usize> = BTreeMap::new();
        let mut groups = Vec::with_capacity(items.len());
        for item in items {
            let mut collected = Collected::with_grams(*grams);
            let (tagging, _, _) =
                rules.read(&item.title, &item.summary, &mut |field, token, key| {
                    collected.push(
                        field,
                        token,
                        key,
                        &mut |key| space.vocabulary.word(key),
                        &mut |hash, gram| {
                            space
                                .gram_names
                                .entry(hash)
                                .or_insert_with(|| gram.to_owned());
                        },
                    );
                });
            let mut signals = Signals::from_rules(&tagging, &thresholds);
            signals.add_entities(&[&collected.title_tokens, &collected.body_tokens]);
            rows.push(features::extract(
                &mut space,
                collected.ids(),
                grams.weight,
                &signals,
            ));
            let next = group_ids.len();
            groups.push(*group_ids.entry(item.group()).or_insert(next));
        }
        // Drop rare features and number the rest by name, so columns do not depend on the
        // order the items came in.
        let mut frequency = vec![0usize; space.names.len()];
        for row in &rows {
            for &(c, _) in row {
                if let Some(f) = frequency.get_mut(c as usize) {
                    *f += 1;
                }
            }
        }
        let mut kept: Vec<(String, u32)> = space
            .names
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                frequency
                    .get(*i)
                    .is_some_and(|&f| f >= MIN_DOCUMENT_FREQUENCY)
            })
            .filter_map(|(i, n)| Some((n.clone(), u32::try_from(i).ok()?)))
            .collect();
        kept.sort();
        let mut remap: HashMap<u32, u32> = HashMap::with_capacity(kept.len());
        for (new, (_, old)) in kept.iter().enumerate() {
            if let Ok(new) = u32::try_from(new) {
                remap.insert(*old, new);
            }
        }
        let rows = rows
            .into_iter()
            .map(|row| {
                let mut row: Row = row
                    .into_iter()
                    .filter_map(|(c, v)| Some((*remap.get(&c)?, v)))
                    .collect();
                row.sort_by_key(|&(c, _)| c);
                row
            })
            .collect();
        Dataset {
            rows,
            labels: items.iter().map(|i| label_flags(i)).collect(),
            groups,
            group_count: group_ids.len(),
            names: kept.into_iter().map(|(n, _)| n).collect(),
        }
    }
}

/// Gives every word and every feature a number as it is first seen.
#[derive(Default)]
struct Growing {
    vocabulary: Vocabulary,
    /// Hash → text of every n-gram seen.
    gram_names: HashMap<u64, String>,
    columns: HashMap<String, u32>,
    names: Vec<String>,
}

/// Word keys ([`features::word_key`]) and their ids.
#[derive(Default)]
struct Vocabulary {
    word_ids: HashMap<String, u32>,
    words: Vec<String>,
}

impl Vocabulary {
    /// The id of a word key.
    fn word(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.word_ids.get(key) {
            return id;
        }
        let id = u32::try_from(self.words.len()).unwrap_or(features::NO_WORD);
        self.word_ids.insert(key.to_owned(), id);
        self.words.push(key.to_owned());
        id
    }

    fn name(&self, id: u32) -> &str {
        self.words.get(id as usize).map_or("", String::as_str)
    }
}

impl Space for Growing {
    fn column(&mut self, key: Key<'_>) -> Option<u32> {
        let words = &self.vocabulary;
        let name = match key {
            Key::Word(w) => format!("w:{}", words.name(w)),
            Key::Title(w) => format!("t:{}", words.name(w)),
            Key::Bigram(a, b) => format!("b:{} {}", words.name(a), words.name(b)),
            Key::Gram(hash) => format!("g:{}", self.gram_names.get(&hash)?),
            Key::Named(name) => name.to_owned(),
        };
        if let Some(&c) = self.columns.get(&name) {
            return Some(c);
        }
        let c = u32::try_from(self.names.len()).ok()?;
        self.columns.insert(name.clone(), c);
        self.names.push(name);
        Some(c)
    }
}

/// A fold for every item, keeping each group in one fold: groups go, largest first (then by
/// first appearance), to the fold with the fewest items so far.
fn assign_folds(groups: &[usize], folds: usize) -> Vec<usize> {
    let group_count = groups.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; group_count];
    for &g in groups {
        sizes[g] += 1;
    }
    let mut order: Vec<usize> = (0..group_count).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let mut fold_size = vec![0usize; folds.max(1)];
    let mut fold_of_group = vec![0usize; group_count];
    for g in order {
        let (fold, _) = fold_size
            .iter()
            .enumerate()
            .min_by_key(|&(i, &size)| (size, i))
            .unwrap_or((0, &0));
        fold_of_group[g] = fold;
        fold_size[fold] += sizes[g];
    }
    groups.iter().map(|&g| fold_of_group[g]).collect()
}

/// The threshold with the best F1 when `scores` at or above it are called positive: halfway
/// between two neighbouring distinct scores, within [0.01, 0.99]; 0.5 without positives.
pub(crate) fn best_threshold(scores: &[f64], labels: &[bool]) -> f64 {
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 || scores.is_empty() {
        return 0.5;
    }
    let mut order: Vec<usize> = (0..scores.len().min(labels.len())).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut best = (f64::NEG_INFINITY, 0.5);
    for (k, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let next = order.get(k + 1).map(|&j| scores[j]);
        if next == Some(scores[i]) {
            continue;
        }
        let f1 = 2.0 * tp as f64 / (tp + positives + fp) as f64;
        let threshold = match next {
            Some(s) => (scores[i] + s) / 2.0,
            None => scores[i] / 2.0,
        };
        if f1 > best.0 + 1e-12 {
            best = (f1, threshold);
        }
    }
    best.1.clamp(0.01, 0.99)
}

/// The lowest threshold whose precision stays at or above `min_precision` (the most recall for
/// that precision), halfway between neighbouring distinct scores; the best-F1 threshold when no
/// cut is that precise.
pub(crate) fn threshold_for_precision(scores: &[f64], labels: &[bool], min_precision: f64) -> f64 {
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 || scores.is_empty() {
        return 0.5;
    }
    let mut order: Vec<usize> = (0..scores.len().min(labels.len())).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut found = None;
    for (k, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let next = order.get(k + 1).map(|&j| scores[j]);
        if next == Some(scores[i]) {
            continue;
        }
        if tp as f64 / (tp + fp) as f64 >= min_precision {
            found = Some(match next {
                Some(s) => (scores[i] + s) / 2.0,
                None => scores[i] / 2.0,
            });
        }
    }
    match found {
        Some(t) => t.clamp(0.01, 0.99),
        None => best_threshold(scores, labels),
    }
}

/// The precision `ai-infra` is held to when its threshold is chosen: a reader sees few wrong
/// items, and within that the threshold buys as much recall as it can.
pub const UMBRELLA_MIN_PRECISION: f64 = 0.96;

/// Thresholds for [`MODEL_TAGS`] from out-of-fold probabilities: the umbrella's for the most
/// recall at [`UMBRELLA_MIN_PRECISION`],
/// then each subtopic's by the F1 of the tagger's whole decision (which gives the most probable
/// subtopic when none passes), refined twice in turn.
pub(crate) fn choose_thresholds(p: &[[f64; 7]], labels: &[[bool; 7]]) -> [f64; 7] {
    let mut t = [0.5; 7];
    let umbrella: Vec<f64> = p.iter().map(|x| x[0]).collect();
    let umbrella_labels: Vec<bool> = labels.iter().map(|l| l[0]).collect();
    t[0] = threshold_for_precision(&umbrella, &umbrella_labels, UMBRELLA_MIN_PRECISION);
    let called: Vec<usize> = (0..p.len()).filter(|&i| p[i][0] >= t[0]).collect();
    for tag in 1..7 {
        let scores: Vec<f64> = called.iter().map(|&i| p[i][tag]).collect();
        let tag_labels: Vec<bool> = called.iter().map(|&i| labels[i][tag]).collect();
        t[tag] = best_threshold(&scores, &tag_labels);
    }
    for _round in 0..2 {
        for tag in 1..7 {
            let mut candidates: Vec<f64> = called.iter().map(|&i| p[i][tag]).collect();
            candidates.sort_by(f64::total_cmp);
            candidates.dedup();
            let mut cuts: Vec<f64> = candidates.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
            cuts.push(t[tag]);
            let mut best = (f1_of(p, labels, &t, tag), t[tag]);
            for cut in cuts {
                let cut = cut.clamp(0.01, 0.99);
                let mut trial = t;
                trial[tag] = cut;
                let f1 = f1_of(p, labels, &trial, tag);
                if f1 > best.0 + 1e-12 {
                    best = (f1, cut);
                }
            }
            t[tag] = best.1;
        }
    }
    t
}

fn f1_of(p: &[[f64; 7]], labels: &[[bool; 7]], thresholds: &[f64; 7], tag: usize) -> f64 {
    let mut c = Confusion::default();
    for (x, l) in p.iter().zip(labels) {
        c.add(decide(x, thresholds)[tag], l[tag]);
    }
    c.f1()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_separates_scores_at_the_best_f1() {
        let scores = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1];
        let labels = [true, true, true, false, false, false];
        assert!((best_threshold(&scores, &labels) - 0.5).abs() < 1e-12);
        // One positive scored low: catching it would cost three false positives.
        let scores = [0.9, 0.8, 0.6, 0.5, 0.4, 0.1];
        let labels = [true, true, false, false, false, true];
        assert!((best_threshold(&scores, &labels) - 0.7).abs() < 1e-12);
    }

    #[test]
    fn the_precision_threshold_buys_the_most_recall_at_that_precision() {
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3];
        let labels = [true, true, true, false, true, false, false];
        // At 0.55 precision is 4/5 = 0.8; at 0.65 it is 1.0 with recall 3/4.
        assert!((threshold_for_precision(&scores, &labels, 0.8) - 0.45).abs() < 1e-12);
        assert!((threshold_for_precision(&scores, &labels, 0.9) - 0.65).abs() < 1e-12);
    }

    #[test]
    fn ties_are_never_split_and_no_positives_gives_one_half() {
        let scores = [0.6, 0.6, 0.2];
        let labels = [true, false, false];
        assert!((best_threshold(&scores, &labels) - 0.4).abs() < 1e-12);
        assert_eq!(best_threshold(&[0.3, 0.2], &[false, false]), 0.5);
    }

    #[test]
    fn subtopic_thresholds_account_for_the_fallback_to_the_most_probable() {
        // Two items called ai-infra; chips is the most probable subtopic of both but only the
        // first is labelled chips, and the second is labelled energy at a low probability.
        let p = [
            [0.9, 0.1, 0.6, 0.1, 0.1, 0.1, 0.1],
            [0.9, 0.1, 0.5, 0.1, 0.45, 0.1, 0.1],
            [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
        ];
        let l = [
            [true, false, true, false, false, false, false],
            [true, false, false, false, true, false, false],
            [false; 7],
        ];
        let t = choose_thresholds(&p, &l);
        assert!(t[0] > 0.1 && t[0] < 0.9, "{t:?}");
        for (x, labels) in p.iter().zip(&l) {
            assert_eq!(&decide(x, &t), labels, "{t:?}");
        }
    }

    /// Compares feature and fitting variants by 5-fold outlet-grouped cross-validation on the
    /// built-in tune corpus (never validation). Slow; run by hand:
    /// `cargo test --locked --lib tagger::train::tests::compare_variants -- --ignored --nocapture`
    /// with `MIRSAD_VARIANTS` naming the experiment (grams, fitting, l2).
    #[test]
    #[ignore]
    fn compare_variants() {
        let corpus = super::super::parse_corpus(
            super::super::BUILTIN_CORPUS,
            super::super::BUILTIN_CORPUS_NAME,
        )
        .unwrap();
        let items: Vec<&LabelledItem> = corpus.iter().collect();
        let taxonomy = Taxonomy::builtin();
        let which = std::env::var("MIRSAD_VARIANTS").unwrap_or_default();
        let gram = |min, max, weight| GramSpec { min, max, weight };
        let run = |name: &str, spec: GramSpec, fitting: Fitting| {
            let started = Instant::now();
            let data = Dataset::build(&taxonomy, &items, &spec);
            let p = cross_validate(&data, 5, &fitting, &mut || {});
            let t = choose_thresholds(&p, &data.labels);
            let mut e = Evaluation::default();
            for (x, l) in p.iter().zip(&data.labels) {
                e.add(&decide(x, &t), l);
            }
            let u = e.of(MODEL_TAGS[0]);
            let f1s: Vec<String> = e.tags[1..]
                .iter()
                .map(|c| format!("{:.3}", c.f1()))
                .collect();
            // Per tag, how well its probabilities rank on their own: the best F1 of the umbrella
            // over all items, of a subtopic over the items labelled ai-infra.
            let alone: Vec<String> = (0..7)
                .map(|tag| {
                    let idx: Vec<usize> = (0..p.len())
                        .filter(|&i| tag == 0 || data.labels[i][0])
                        .collect();
                    let scores: Vec<f64> = idx.iter().map(|&i| p[i][tag]).collect();
                    let labels: Vec<bool> = idx.iter().map(|&i| data.labels[i][tag]).collect();
                    let cut = best_threshold(&scores, &labels);
                    let mut c = Confusion::default();
                    for (s, l) in scores.iter().zip(&labels) {
                        c.add(*s >= cut, *l);
                    }
                    format!("{:.3}", c.f1())
                })
                .collect();
            println!(
                "{name:<28} P {:.3} R {:.3} macroF1 {:.3} [{}] alone [{}] cols {} {:.1}s",
                u.precision(),
                u.recall(),
                e.subtopic_macro_f1(),
                f1s.join(" "),
                alone.join(" "),
                data.names.len(),
                started.elapsed().as_secs_f64()
            );
        };
        let base = Fitting::default();
        let off = gram(3, 5, 0.0);
        if which.contains("grams") {
            run("no grams", off, base);
            run("grams 3-5 w1", gram(3, 5, 1.0), base);
            run("grams 3-4 w1", gram(3, 4, 1.0), base);
            run("grams 3-5 w0.5", gram(3, 5, 0.5), base);
            run("grams 3-5 w2", gram(3, 5, 2.0), base);
            run("grams 2-4 w1", gram(2, 4, 1.0), base);
        }
        let spec = features::GRAMS;
        if which.contains("fitting") {
            for balance in [0.0, 0.25, 0.5] {
                for conditional in [false, true] {
                    run(
                        &format!("balance {balance} cond {conditional}"),
                        spec,
                        Fitting {
                            balance,
                            conditional,
                            ..base
                        },
                    );
                }
            }
        }
        if which.contains("l2") {
            for l2 in [0.03, 0.1, 0.3, 1.0, 3.0] {
                run(
                    &format!("l2 {l2}"),
                    spec,
                    Fitting {
                        l2: [l2; 7],
                        ..Fitting::default()
                    },
                );
            }
        }
        if which.contains("final") {
            run("final", spec, Fitting::default());
        }
    }

    #[test]
    fn folds_keep_each_outlet_whole_and_balance_sizes() {
        let groups = [0, 0, 0, 1, 1, 2, 2, 3, 4, 4];
        let folds = assign_folds(&groups, 3);
        for (g, f) in groups.iter().zip(&folds) {
            for (g2, f2) in groups.iter().zip(&folds) {
                if g == g2 {
                    assert_eq!(f, f2);
                }
            }
        }
        let mut sizes = [0; 3];
        folds.iter().for_each(|&f| sizes[f] += 1);
        assert!(sizes.iter().all(|&s| (3..=4).contains(&s)), "{sizes:?}");
        assert_eq!(assign_folds(&groups, 3), folds);
    }
}
