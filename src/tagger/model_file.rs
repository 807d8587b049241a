//! The model file: versioned, human-readable text that `mirsad train` writes and a config's
//! `model = "path"` reads (format in `docs/taxonomy.md`).
//!
//! ```text
//! mirsad-model 1
//! # comments start with #
//! threshold<TAB>ai-infra<TAB>0.4812
//! bias<TAB>ai-infra<TAB>-3.10250
//! ai-infra<TAB>rule:any=pass<TAB>2.71830
//! ai-infra/energy<TAB>b:مركز بيان<TAB>0.93120
//! ```
//!
//! Every tag of [`MODEL_TAGS`] needs one `threshold` (strictly between 0 and 1) and one `bias`
//! line; every other line is one weight. Feature names are those of module `features`
//! (`w:`, `t:`, `b:` words and named features such as `rule:…`). Problems are reported all at
//! once, each with its line.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use super::features::NO_WORD;
use super::model::{Column, MODEL_TAGS, Model, problem};
use super::taxonomy::Problem;

/// The first line of every model file.
pub const HEADER: &str = "mirsad-model 1";

/// Prefixes of named features a model may weigh (entity features come from the knowledge base).
const NAMED_PREFIXES: [&str; 3] = ["rule:", "entity:", "entity-signals:"];

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read the model file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render(origin, problems))]
    Invalid {
        origin: String,
        problems: Vec<Problem>,
    },
}

fn render(origin: &str, problems: &[Problem]) -> String {
    let mut out = format!(
        "the model {origin} has {} problem(s); fix them or train a new one with `mirsad train`:",
        problems.len()
    );
    for p in problems.iter().take(20) {
        let _ = write!(out, "\n  {origin}:{}: {}", p.line, p.message);
    }
    if problems.len() > 20 {
        let _ = write!(out, "\n  … and {} more", problems.len() - 20);
    }
    out
}

/// Builds a [`Model`] line by line.
struct Reader {
    model: Model,
    problems: Vec<Problem>,
    thresholds_seen: [bool; 7],
    bias_seen: [bool; 7],
    weights_seen: HashSet<(usize, String)>,
    columns: FxHashMap<Column, u32>,
}

pub(crate) fn parse(text: &str, origin: &str) -> Result<Model, ModelError> {
    let mut reader = Reader {
        model: Model {
            origin: origin.to_owned(),
            version: String::new(),
            thresholds: [0.5; 7],
            bias: [0.0; 7],
            words: FxHashMap::default(),
            word_names: Vec::new(),
            unigram: Vec::new(),
            bigrams: FxHashMap::default(),
            grams: FxHashMap::default(),
            named: FxHashMap::default(),
            columns: Vec::new(),
            weights: Vec::new(),
        },
        problems: Vec::new(),
        thresholds_seen: [false; 7],
        bias_seen: [false; 7],
        weights_seen: HashSet::new(),
        columns: FxHashMap::default(),
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim_end() == HEADER => {}
        Some((_, first)) => reader.problems.push(problem(
            1,
            format!(
                "the first line must be {HEADER:?}, not {:?}: is this a mirsad model file?",
                first.chars().take(40).collect::<String>()
            ),
        )),
        None => reader.problems.push(problem(
            1,
            format!("the file is empty: it must start with {HEADER:?}"),
        )),
    }
    let mut canonical = String::from(HEADER);
    for (index, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        canonical.push('\n');
        canonical.push_str(line);
        reader.line(index + 1, line);
    }
    for (i, tag) in MODEL_TAGS.iter().enumerate() {
        let line = text.lines().count().max(1);
        if !reader.thresholds_seen.get(i).copied().unwrap_or(false) {
            reader.problems.push(problem(
                line,
                format!("no threshold for {tag}: add `threshold<TAB>{tag}<TAB>0.5`"),
            ));
        }
        if !reader.bias_seen.get(i).copied().unwrap_or(false) {
            reader.problems.push(problem(
                line,
                format!("no bias for {tag}: add `bias<TAB>{tag}<TAB>0`"),
            ));
        }
    }
    if !reader.problems.is_empty() {
        return Err(ModelError::Invalid {
            origin: origin.to_owned(),
            problems: reader.problems,
        });
    }
    let digest = Sha256::digest(canonical.as_bytes());
    reader.model.version = digest.iter().take(8).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    tracing::debug!(origin, version = %reader.model.version, features = reader.model.columns.len(), "model loaded");
    Ok(reader.model)
}

impl Reader {
    fn line(&mut self, line: usize, text: &str) {
        let fields: Vec<&str> = text.split('\t').collect();
        let [first, second, third] = fields.as_slice() else {
            self.problems.push(problem(
                line,
                format!(
                    "expected three fields separated by tabs, found {}: {:?}",
                    fields.len(),
                    text.chars().take(60).collect::<String>()
                ),
            ));
            return;
        };
        let value = match third.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                self.problems
                    .push(problem(line, format!("{third:?} is not a finite number")));
                return;
            }
        };
        match *first {
            "threshold" | "bias" => {
                let Some(tag) = self.tag(line, second) else {
                    return;
                };
                let (seen, slot) = if *first == "threshold" {
                    if !(value > 0.0 && value < 1.0) {
                        self.problems.push(problem(
                            line,
                            format!(
                                "threshold {value} must be a probability strictly between 0 and 1"
                            ),
                        ));
                        return;
                    }
                    (&mut self.thresholds_seen, &mut self.model.thresholds)
                } else {
                    (&mut self.bias_seen, &mut self.model.bias)
                };
                if let (Some(seen), Some(slot)) = (seen.get_mut(tag), slot.get_mut(tag)) {
                    if *seen {
                        self.problems
                            .push(problem(line, format!("a second {first} for {second}")));
                    }
                    *seen = true;
                    *slot = value;
                }
            }
            _ => {
                let Some(tag) = self.tag(line, first) else {
                    return;
                };
                self.weight(line, tag, second, value);
            }
        }
    }

    fn tag(&mut self, line: usize, name: &str) -> Option<usize> {
        let found = MODEL_TAGS.iter().position(|t| *t == name);
        if found.is_none() {
            self.problems.push(problem(
                line,
                format!(
                    "unknown tag {name:?}: a line is `threshold`, `bias` or a weight of one of {}",
                    MODEL_TAGS.join(", ")
                ),
            ));
        }
        found
    }

    fn weight(&mut self, line: usize, tag: usize, feature: &str, value: f64) {
        let Some(column) = self.column(line, feature) else {
            return;
        };
        if !self.weights_seen.insert((tag, feature.to_owned())) {
            self.problems.push(problem(
                line,
                format!(
                    "a second weight of {feature:?} for {}",
                    MODEL_TAGS.get(tag).copied().unwrap_or("?")
                ),
            ));
            return;
        }
        if let Some(slot) = self
            .model
            .weights
            .get_mut(column as usize)
            .and_then(|w| w.get_mut(tag))
        {
            *slot = value;
        }
    }

    /// The column of a feature name, added on first sight.
    fn column(&mut self, line: usize, feature: &str) -> Option<u32> {
        let bad = |message: &str| problem(line, format!("feature {feature:?}: {message}"));
        let one_word = |w: &str| !w.is_empty() && !w.chars().any(char::is_whitespace);
        let key = if let Some(word) = feature.strip_prefix("w:") {
            if !one_word(word) {
                self.problems.push(bad("`w:` takes one word"));
                return None;
            }
            Column::Word(self.word(word))
        } else if let Some(word) = feature.strip_prefix("t:") {
            if !one_word(word) {
                self.problems.push(bad("`t:` takes one word"));
                return None;
            }
            Column::Title(self.word(word))
        } else if let Some(pair) = feature.strip_prefix("b:") {
            match pair.split_once(' ') {
                Some((a, b)) if one_word(a) && one_word(b) => {
                    Column::Bigram(self.word(a), self.word(b))
                }
                _ => {
                    self.problems
                        .push(bad("`b:` takes two words separated by one space"));
                    return None;
                }
            }
        } else if let Some(gram) = feature.strip_prefix("g:") {
            if !one_word(gram) {
                self.problems.push(bad("`g:` takes letters without spaces"));
                return None;
            }
            let hash = super::features::gram_hash(gram);
            if let Some(&other) = self.model.grams.get(&hash)
                && self.model.columns.get(other as usize) != Some(&Column::Gram(gram.into()))
            {
                // Never seen for real n-grams (64-bit hash), but two grams must not share weights.
                self.problems.push(bad(
                    "its hash equals another n-gram's: drop one of the two lines",
                ));
                return None;
            }
            Column::Gram(gram.into())
        } else if NAMED_PREFIXES.iter().any(|p| feature.starts_with(p)) && one_word(feature) {
            Column::Named(feature.into())
        } else {
            self.problems.push(bad(
                "a feature is `w:word`, `t:word`, `b:word word`, `g:letters`, `rule:…`, `entity:…` or `entity-signals:…`",
            ));
            return None;
        };
        if let Some(&column) = self.columns.get(&key) {
            return Some(column);
        }
        let column = u32::try_from(self.model.columns.len()).ok()?;
        match &key {
            Column::Word(w) => set_unigram(&mut self.model.unigram, *w, column, true),
            Column::Title(w) => set_unigram(&mut self.model.unigram, *w, column, false),
            Column::Bigram(a, b) => {
                self.model.bigrams.insert((*a, *b), column);
            }
            Column::Gram(gram) => {
                self.model
                    .grams
                    .insert(super::features::gram_hash(gram), column);
            }
            Column::Named(name) => {
                self.model.named.insert(name.clone(), column);
            }
        }
        self.columns.insert(key.clone(), column);
        self.model.columns.push(key);
        self.model.weights.push([0.0; 7]);
        Some(column)
    }

    fn word(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.model.words.get(word) {
            return id;
        }
        let id = u32::try_from(self.model.word_names.len()).unwrap_or(NO_WORD);
        self.model.words.insert(word.into(), id);
        self.model.word_names.push(word.into());
        self.model.unigram.push((NO_WORD, NO_WORD));
        id
    }
}

fn set_unigram(unigram: &mut [(u32, u32)], word: u32, column: u32, whole: bool) {
    if let Some(slot) = unigram.get_mut(word as usize) {
        if whole {
            slot.0 = column;
        } else {
            slot.1 = column;
        }
    }
}

/// What a model file holds, ready to be written.
pub(crate) struct ModelText<'a> {
    /// Comment lines (without `#`), written after the header.
    pub comments: Vec<String>,
    pub thresholds: [f64; 7],
    pub bias: [f64; 7],
    /// `(feature name, weight per tag)`; zero weights are not written.
    pub weights: &'a [(String, [f64; 7])],
}

/// Formats a model file: the header, comments, thresholds, biases, then one weight per line, by
/// tag and then by feature name, so that the same model is always the same bytes.
pub(crate) fn write(model: &ModelText<'_>) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for comment in &model.comments {
        let _ = writeln!(out, "# {comment}");
    }
    for (tag, t) in MODEL_TAGS.iter().zip(model.thresholds) {
        let _ = writeln!(out, "threshold\t{tag}\t{t:.4}");
    }
    for (tag, b) in MODEL_TAGS.iter().zip(model.bias) {
        let _ = writeln!(out, "bias\t{tag}\t{}", number(b));
    }
    let mut sorted: Vec<&(String, [f64; 7])> = model.weights.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, tag) in MODEL_TAGS.iter().enumerate() {
        for (name, weights) in &sorted {
            let w = weights.get(i).copied().unwrap_or(0.0);
            if number(w) != number(0.0) {
                let _ = writeln!(out, "{tag}\t{name}\t{}", number(w));
            }
        }
    }
    out
}

/// Weights with five decimals, without a negative zero.
fn number(x: f64) -> String {
    let text = format!("{x:.5}");
    if text == "-0.00000" {
        "0.00000".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal(extra: &str) -> String {
        let mut text = String::from("mirsad-model 1\n# a comment\n");
        for tag in MODEL_TAGS {
            text.push_str(&format!("threshold\t{tag}\t0.5\nbias\t{tag}\t-1\n"));
        }
        text.push_str(extra);
        text
    }

    #[test]
    fn a_written_model_reads_back_the_same_and_writes_the_same_bytes() {
        let weights = vec![
            ("w:مركز".to_owned(), [0.5, 1.25, 0.0, 0.0, 0.0, 0.0, -0.125]),
            (
                "b:مركز بيان".to_owned(),
                [0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            ),
            (
                "rule:any=pass".to_owned(),
                [3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            ),
            ("t:رقاق".to_owned(), [0.0, 0.0, 1.5, 0.0, 0.0, 0.0, 0.0]),
            ("g:<حوس".to_owned(), [0.0, 0.0, 0.0, 0.75, 0.0, 0.0, 0.0]),
        ];
        let text = write(&ModelText {
            comments: vec!["trained on 3 items".into()],
            thresholds: [0.4, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3],
            bias: [-2.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.5],
            weights: &weights,
        });
        assert!(
            text.starts_with("mirsad-model 1\n# trained on 3 items\nthreshold\tai-infra\t0.4000\n")
        );
        let model = parse(&text, "m.tsv").unwrap();
        assert_eq!(model.thresholds[6], 0.3);
        assert_eq!(model.bias[0], -2.0);
        assert_eq!(model.columns.len(), 5);
        assert_eq!(
            model.grams.get(&super::super::features::gram_hash("<حوس")),
            Some(&4)
        );
        let back: Vec<(String, [f64; 7])> = model
            .columns
            .iter()
            .zip(&model.weights)
            .map(|(c, w)| {
                let name = match c {
                    Column::Word(w) => format!("w:{}", model.word_names[*w as usize]),
                    Column::Title(w) => format!("t:{}", model.word_names[*w as usize]),
                    Column::Bigram(a, b) => format!(
                        "b:{} {}",
                        model.word_names[*a as usize], model.word_names[*b as usize]
                    ),
                    Column::Gram(g) => format!("g:{g}"),
                    Column::Named(n) => n.to_string(),
                };
                (name, *w)
            })
            .collect();
        let again = write(&ModelText {
            comments: vec!["trained on 3 items".into()],
            thresholds: model.thresholds,
            bias: model.bias,
            weights: &back,
        });
        assert_eq!(again, text);
        assert_eq!(parse(&again, "m.tsv").unwrap().version, model.version);
    }

    #[test]
    fn comments_do_not_change_the_version_but_weights_do() {
        let a = parse(&minimal("ai-infra\tw:x\t1.0\n"), "a").unwrap();
        let b = parse(&minimal("# another comment\nai-infra\tw:x\t1.0\n"), "b").unwrap();
        let c = parse(&minimal("ai-infra\tw:x\t1.5\n"), "c").unwrap();
        assert_eq!(a.version, b.version);
        assert_ne!(a.version, c.version);
    }

    #[test]
    fn problems_are_reported_with_their_lines() {
        let text = minimal(
            "ai-infra\tw:x\tabc\nai-infra/gpus\tw:x\t1\nai-infra\tq:x\t1\nthreshold\tai-infra\t1.5\nai-infra\tw:x\n",
        );
        let err = parse(&text, "m.tsv").unwrap_err().to_string();
        for expected in [
            "m.tsv:17: \"abc\" is not a finite number",
            "m.tsv:18: unknown tag \"ai-infra/gpus\"",
            "m.tsv:19: feature \"q:x\"",
            "m.tsv:20: threshold 1.5 must be a probability",
            "m.tsv:21: expected three fields",
        ] {
            assert!(err.contains(expected), "{expected} in {err}");
        }
        let err = parse("mirsad-model 2\n", "m.tsv").unwrap_err().to_string();
        assert!(err.contains("m.tsv:1: the first line must be"), "{err}");
        assert!(err.contains("no threshold for ai-infra/cloud"), "{err}");
    }

    #[test]
    fn a_weight_given_twice_is_a_problem() {
        let err = parse(&minimal("ai-infra\tw:x\t1\nai-infra\tw:x\t2\n"), "m")
            .unwrap_err()
            .to_string();
        assert!(err.contains("m:18: a second weight of \"w:x\""), "{err}");
    }
}
