//! Checks a parsed taxonomy file and compiles it into a [`Taxonomy`].
//!
//! Every mistake an editor can make is reported with its line and column, all at once: unknown
//! tags and sets, bad weights and windows, terms that normalize to nothing, and duplicate terms.
//! Terms are normalized and tokenized with [`crate::arabic`] (the same functions that read the
//! texts) and every phrase of every rule goes into one automaton ([`super::matcher`]). The
//! version is a hash of the compiled rules, so comments and layout do not change it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;

use sha2::{Digest, Sha256};
use toml::Spanned;

use super::format::{CliticsSpec, FileSpec, RuleSpec, line_column};
use super::lexicon::{self, Clitics};
use super::matcher::{MatcherBuilder, PatternUse, Role};
use super::taxonomy::{Problem, Rule, SUBTOPICS, Subtopic, Taxonomy};
use crate::arabic;

/// Largest accepted `window`, in words.
const MAX_WINDOW: i64 = 50;
/// Largest accepted absolute `weight`.
const MAX_WEIGHT: f64 = 10.0;
/// Longest accepted phrase, in words.
const MAX_PHRASE_WORDS: usize = 8;

/// Checks and compiles `spec`, parsed from `text`; the taxonomy's origin is left empty.
pub(super) fn compile(text: &str, spec: &FileSpec) -> Result<Taxonomy, Vec<Problem>> {
    let mut compiler = Compiler {
        text,
        problems: Vec::new(),
    };
    match compiler.compile(spec) {
        Some(taxonomy) if compiler.problems.is_empty() => Ok(taxonomy),
        _ => Err(compiler.problems),
    }
}

/// Checks a parsed file and compiles it, collecting every problem.
struct Compiler<'t> {
    text: &'t str,
    problems: Vec<Problem>,
}

/// What compiling the rules builds up, rule after rule.
#[derive(Default)]
struct RulesState {
    builder: MatcherBuilder,
    rules: Vec<Rule>,
    /// Rule names seen, per subtopic (`None`: unknown tag).
    names: HashSet<(Option<usize>, String)>,
    /// Terms written literally, per subtopic, with where they were first written.
    literal_terms: HashMap<(usize, String), usize>,
    canonical: String,
}

/// A phrase as normalized words, with where it was written.
struct Phrase {
    words: Vec<String>,
    written: String,
    span: Range<usize>,
    literal: bool,
}

impl Compiler<'_> {
    fn problem(&mut self, span: Range<usize>, message: String) {
        let (line, column) = line_column(self.text, span.start);
        self.problems.push(Problem {
            line,
            column,
            message,
        });
    }

    fn compile(&mut self, spec: &FileSpec) -> Option<Taxonomy> {
        let title_weight = self.positive(&spec.scoring.title_weight, "title_weight");
        let body_weight = self.positive(&spec.scoring.body_weight, "body_weight");
        let default_window = self.window(&spec.scoring.window);
        let clitics = spec
            .clitics
            .as_ref()
            .map(|c| self.clitics(c))
            .unwrap_or_default();
        let subtopics = self.subtopics(spec);
        let sets = self.sets(spec);

        // The canonical text of the compiled rules, hashed into the version.
        let mut state = RulesState {
            canonical: format!(
                "scoring {title_weight:?} {body_weight:?} {default_window}\nclitics {:?} {} {:?}\n",
                clitics.prefixes,
                clitics.min_rest,
                clitics.keep_whole.iter().collect::<BTreeSet<_>>()
            ),
            ..RulesState::default()
        };
        for s in &subtopics {
            let _ = writeln!(state.canonical, "tag {} {:?}", s.tag, s.threshold);
        }
        for rule in &spec.rule {
            self.rule(rule, &sets, default_window, &mut state);
        }
        if state.rules.is_empty() && self.problems.is_empty() {
            self.problem(
                0..0,
                "the taxonomy has no [[rule]]: add at least one".to_owned(),
            );
        }
        if !self.problems.is_empty() {
            return None;
        }
        let matcher = match state.builder.build(clitics) {
            Ok(matcher) => matcher,
            Err(message) => {
                self.problem(0..0, message);
                return None;
            }
        };
        let digest = Sha256::digest(state.canonical.as_bytes());
        let version = digest.iter().take(8).fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        Some(Taxonomy {
            origin: String::new(),
            version,
            title_weight,
            body_weight,
            subtopics,
            rules: state.rules,
            matcher,
        })
    }

    /// Checks one `[[rule]]` and, when its tag is known, adds it to `state`.
    fn rule(
        &mut self,
        spec: &RuleSpec,
        sets: &HashMap<String, Vec<Phrase>>,
        default_window: usize,
        state: &mut RulesState,
    ) {
        // A rule with an unknown tag is still checked, so that all its problems show at once.
        let subtopic = self.rule_subtopic(spec);
        let name = spec.name.get_ref().trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            self.problem(
                spec.name.span(),
                format!(
                    "rule name {name:?} must be a word of a-z, 0-9 and '-', e.g. \"ai-chip-words\""
                ),
            );
        } else if !state.names.insert((subtopic, name.to_owned())) {
            self.problem(
                spec.name.span(),
                format!(
                    "a second rule named {name:?} in {}: give each rule of a tag its own name",
                    spec.tag.get_ref()
                ),
            );
        }
        let weight = *spec.weight.get_ref();
        if !weight.is_finite() || weight == 0.0 || weight.abs() > MAX_WEIGHT {
            self.problem(
                spec.weight.span(),
                format!("weight {weight} must be a non-zero number between -{MAX_WEIGHT} and {MAX_WEIGHT}"),
            );
        }
        let window = spec
            .window
            .as_ref()
            .map_or(default_window, |w| self.window(w));
        if spec.terms.get_ref().is_empty() {
            self.problem(
                spec.terms.span(),
                "a rule needs at least one term in `terms`".to_owned(),
            );
        }
        let lists = [
            (Role::Term, self.phrases(spec.terms.get_ref(), sets)),
            (Role::Near, self.phrases(&spec.near, sets)),
            (Role::Unless, self.phrases(&spec.unless, sets)),
            (Role::With, self.phrases(&spec.with, sets)),
        ];
        let Some(subtopic) = subtopic else {
            return;
        };
        if let Some((_, terms)) = lists.first() {
            self.check_term_duplicates(terms, subtopic, &mut state.literal_terms);
        }
        let short = SUBTOPICS
            .get(subtopic)
            .and_then(|t| t.strip_prefix("ai-infra/"))
            .unwrap_or("?");
        let rule_index = state.rules.len();
        let _ = writeln!(state.canonical, "rule {short}:{name} {weight:?} {window}");
        for (role, phrases) in &lists {
            for phrase in phrases {
                let _ = writeln!(state.canonical, "  {role:?} {}", phrase.words.join(" "));
                for words in with_collapsed_acronym(&phrase.words) {
                    let pattern_use = PatternUse {
                        rule: rule_index,
                        role: *role,
                    };
                    state.builder.add(&words, pattern_use);
                }
            }
        }
        state.rules.push(Rule {
            subtopic,
            id: format!("{short}:{name}"),
            weight,
            window,
            needs_near: !spec.near.is_empty(),
            needs_with: !spec.with.is_empty(),
            why: spec.why.trim().to_owned(),
        });
    }

    fn positive(&mut self, value: &Spanned<f64>, key: &str) -> f64 {
        let v = *value.get_ref();
        if !(v.is_finite() && v > 0.0) {
            self.problem(
                value.span(),
                format!("{key} must be a positive number, not {v}"),
            );
        }
        v
    }

    fn window(&mut self, value: &Spanned<i64>) -> usize {
        let v = *value.get_ref();
        match usize::try_from(v) {
            Ok(w) if v <= MAX_WINDOW => w,
            _ => {
                self.problem(
                    value.span(),
                    format!("window {v} must be a number of words from 0 to {MAX_WINDOW}"),
                );
                0
            }
        }
    }

    fn clitics(&mut self, spec: &CliticsSpec) -> Clitics {
        let mut prefixes = Vec::new();
        for p in &spec.prefixes {
            let normalized = arabic::normalize(p.get_ref());
            let letters = normalized.chars().count();
            if !(1..=2).contains(&letters) || !normalized.chars().all(char::is_alphabetic) {
                self.problem(
                    p.span(),
                    format!(
                        "clitic prefix {:?} must be one or two letters, e.g. \"ب\" or \"وب\"",
                        p.get_ref()
                    ),
                );
            } else {
                prefixes.push(normalized);
            }
        }
        // Longest first, so وب is tried before و.
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
        let min_rest = match usize::try_from(*spec.min_rest.get_ref()) {
            Ok(n) if n >= 2 => n,
            _ => {
                self.problem(
                    spec.min_rest.span(),
                    "min_rest must be at least 2 letters".to_owned(),
                );
                2
            }
        };
        let keep_whole = spec
            .keep_whole
            .iter()
            .map(|w| arabic::normalize(w.get_ref()))
            .collect();
        Clitics {
            prefixes,
            min_rest,
            keep_whole,
        }
    }

    fn subtopics(&mut self, spec: &FileSpec) -> Vec<Subtopic> {
        for name in spec.tags.get_ref().keys() {
            if !SUBTOPICS.contains(&name.get_ref().as_str()) {
                self.problem(
                    name.span(),
                    format!(
                        "unknown tag {:?}: the tags are {}",
                        name.get_ref(),
                        SUBTOPICS.join(", ")
                    ),
                );
            }
        }
        let mut out = Vec::new();
        for tag in SUBTOPICS {
            match spec.tags.get_ref().get(tag) {
                Some(t) => {
                    let threshold = self.positive(&t.threshold, "threshold");
                    out.push(Subtopic {
                        tag,
                        threshold,
                        about: t.about.trim().to_owned(),
                    });
                }
                None => self.problem(
                    spec.tags.span(),
                    format!(
                        "[tags] has no entry for {tag:?}: add [tags.\"{tag}\"] with a threshold"
                    ),
                ),
            }
        }
        out
    }

    fn sets(&mut self, spec: &FileSpec) -> HashMap<String, Vec<Phrase>> {
        let mut sets = HashMap::new();
        for (name, entries) in &spec.sets {
            if !name
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                self.problem(
                    name.span(),
                    format!(
                        "set name {:?} must be a word of a-z, 0-9 and '-'",
                        name.get_ref()
                    ),
                );
            }
            let mut phrases = Vec::new();
            let mut seen = HashMap::new();
            for entry in entries {
                if entry.get_ref().trim_start().starts_with('@') {
                    self.problem(
                        entry.span(),
                        format!("set {:?} refers to {:?}: a set lists words, it cannot include another set", name.get_ref(), entry.get_ref()),
                    );
                    continue;
                }
                if let Some(phrase) = self.phrase(entry)
                    && self.is_new(&mut seen, &phrase, &format!("set {:?}", name.get_ref()))
                {
                    phrases.push(phrase);
                }
            }
            if entries.is_empty() {
                self.problem(
                    name.span(),
                    format!(
                        "set {:?} is empty: list at least one word or remove it",
                        name.get_ref()
                    ),
                );
            }
            sets.insert(name.get_ref().clone(), phrases);
        }
        sets
    }

    fn rule_subtopic(&mut self, spec: &RuleSpec) -> Option<usize> {
        let tag = spec.tag.get_ref();
        let found = SUBTOPICS.iter().position(|t| t == tag);
        if found.is_none() {
            self.problem(
                spec.tag.span(),
                format!(
                    "unknown tag {tag:?} in rule {:?}: use one of {}",
                    spec.name.get_ref(),
                    SUBTOPICS.join(", ")
                ),
            );
        }
        found
    }

    /// Compiles one list (`terms`, `near`, …), expanding `@set` references.
    fn phrases(
        &mut self,
        entries: &[Spanned<String>],
        sets: &HashMap<String, Vec<Phrase>>,
    ) -> Vec<Phrase> {
        let mut out = Vec::new();
        for entry in entries {
            let written = entry.get_ref().trim();
            if let Some(set) = written.strip_prefix('@') {
                match sets.get(set) {
                    Some(phrases) => out.extend(phrases.iter().map(|p| Phrase {
                        words: p.words.clone(),
                        written: p.written.clone(),
                        span: entry.span(),
                        literal: false,
                    })),
                    None => self.problem(
                        entry.span(),
                        format!("unknown set {written:?}: define it under [sets] or fix the name"),
                    ),
                }
            } else if let Some(phrase) = self.phrase(entry) {
                out.push(phrase);
            }
        }
        out
    }

    fn phrase(&mut self, entry: &Spanned<String>) -> Option<Phrase> {
        let normalized = arabic::normalize(entry.get_ref());
        let words: Vec<String> = arabic::tokens(&normalized).map(str::to_owned).collect();
        if words.is_empty() {
            self.problem(
                entry.span(),
                format!("term {:?} has no letters or digits once normalized: remove it or write the word", entry.get_ref()),
            );
            return None;
        }
        if words.len() > MAX_PHRASE_WORDS {
            self.problem(
                entry.span(),
                format!(
                    "term {:?} has {} words; split it, a term has at most {MAX_PHRASE_WORDS}",
                    entry.get_ref(),
                    words.len()
                ),
            );
            return None;
        }
        Some(Phrase {
            words,
            written: entry.get_ref().clone(),
            span: entry.span(),
            literal: true,
        })
    }

    /// A term may not repeat within its rule, nor be written literally twice in one tag (use a
    /// set to share a term between rules on purpose).
    fn check_term_duplicates(
        &mut self,
        terms: &[Phrase],
        subtopic: usize,
        literal_terms: &mut HashMap<(usize, String), usize>,
    ) {
        let mut in_rule = HashMap::new();
        let tag = SUBTOPICS.get(subtopic).copied().unwrap_or("?");
        for term in terms {
            if !self.is_new(&mut in_rule, term, "the same rule") || !term.literal {
                continue;
            }
            let key = (subtopic, match_key(&term.words));
            if let Some(&first) = literal_terms.get(&key) {
                let (line, column) = line_column(self.text, first);
                self.problem(
                    term.span.clone(),
                    format!("term {:?} is already a term of {tag} (line {line}:{column}); to use it in two rules on purpose, put it in a [sets] list", term.written),
                );
            } else {
                literal_terms.insert(key, term.span.start);
            }
        }
    }

    /// Records `phrase` in `seen`; reports it (and returns false) when an equal phrase is there.
    fn is_new(&mut self, seen: &mut HashMap<String, usize>, phrase: &Phrase, place: &str) -> bool {
        let key = match_key(&phrase.words);
        if let Some(&first) = seen.get(&key) {
            let (line, column) = line_column(self.text, first);
            self.problem(
                phrase.span.clone(),
                format!("{:?} repeats an entry of {place} (line {line}:{column}) once normalized: forms with ال, و, ب, ل, plural or feminine endings match already, so remove it", phrase.written),
            );
            return false;
        }
        seen.insert(key, phrase.span.start);
        true
    }
}

/// The form two spellings share when the matcher treats them as the same phrase.
fn match_key(words: &[String]) -> String {
    words
        .iter()
        .map(|w| lexicon::match_key(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The phrase, plus its letters written together when it spells an acronym letter by letter
/// (`إكس إيه آي` → `اكسايهاي`, `أوبن إيه آي` → `اوبنايهاي`): outlets write both.
fn with_collapsed_acronym(words: &[String]) -> Vec<Vec<String>> {
    let mut out = vec![words.to_vec()];
    let arabic_letters = |w: &String| w.chars().all(|c| ('\u{0621}'..='\u{064A}').contains(&c));
    let short = |w: &&String| w.chars().count() <= 3;
    if words.len() >= 2
        && words.iter().all(arabic_letters)
        && words.iter().skip(1).all(|w| short(&w))
    {
        out.push(vec![words.concat()]);
    }
    out
}
