//! The taxonomy: which words and phrases make an item one of the six AI-infrastructure
//! subtopics, loaded from a TOML file that an editor maintains (`config/taxonomy.toml`, format in
//! `docs/taxonomy.md`).
//!
//! Loading parses the file ([`super::format`]), then checks and compiles it
//! ([`super::compile`]), reporting every problem at once with its file, line and column.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::compile;
use super::format::{FileSpec, line_column};
use super::matcher::Matcher;

/// The umbrella tag, given exactly when at least one subtopic is.
pub const UMBRELLA: &str = "ai-infra";

/// The subtopics, in the order results are reported.
pub const SUBTOPICS: [&str; 6] = [
    "ai-infra/datacenters",
    "ai-infra/chips",
    "ai-infra/compute",
    "ai-infra/energy",
    "ai-infra/cloud",
    "ai-infra/investment",
];

const BUILTIN_TEXT: &str = include_str!("../../config/taxonomy.toml");

/// Why a taxonomy could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("cannot read the taxonomy file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render_problems(origin, problems))]
    Invalid {
        origin: String,
        problems: Vec<Problem>,
    },
}

/// One mistake in a taxonomy file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

fn render_problems(origin: &str, problems: &[Problem]) -> String {
    let mut out = format!(
        "the taxonomy {origin} has {} problem(s); fix them and load it again:",
        problems.len()
    );
    for p in problems {
        let _ = write!(out, "\n  {origin}:{}:{}: {}", p.line, p.column, p.message);
    }
    out
}

/// One compiled subtopic.
#[derive(Debug, Clone)]
pub(crate) struct Subtopic {
    pub tag: &'static str,
    pub threshold: f64,
    pub about: String,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub subtopic: usize,
    /// `"<subtopic>:<name>"`, e.g. `"chips:ai-chip-words"`: what evidence shows.
    pub id: String,
    pub weight: f64,
    pub window: usize,
    pub needs_near: bool,
    pub needs_with: bool,
    pub why: String,
}

/// A loaded, checked and compiled taxonomy.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub(super) origin: String,
    pub(super) version: String,
    pub(crate) title_weight: f64,
    pub(crate) body_weight: f64,
    pub(crate) subtopics: Vec<Subtopic>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) matcher: Matcher,
}

impl Taxonomy {
    /// The taxonomy shipped in the binary (`config/taxonomy.toml`), parsed once per process.
    pub fn builtin() -> Taxonomy {
        static BUILTIN: OnceLock<Taxonomy> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                // The text is compiled in and a unit test loads it, so this cannot fail at run time.
                Taxonomy::from_toml(BUILTIN_TEXT, "builtin:config/taxonomy.toml")
                    .unwrap_or_else(|e| panic!("the builtin taxonomy is invalid: {e}"))
            })
            .clone()
    }

    /// Parses, checks and compiles a taxonomy; `origin` names it in error messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Taxonomy, TaxonomyError> {
        let invalid = |problems| TaxonomyError::Invalid {
            origin: origin.to_owned(),
            problems,
        };
        let spec: FileSpec = toml::from_str(text).map_err(|e| {
            let (line, column) = line_column(text, e.span().map_or(0, |s| s.start));
            invalid(vec![Problem {
                line,
                column,
                message: e.message().trim().to_owned(),
            }])
        })?;
        let mut taxonomy = compile::compile(text, &spec).map_err(invalid)?;
        taxonomy.origin = origin.to_owned();
        tracing::debug!(
            origin,
            version = %taxonomy.version,
            rules = taxonomy.rules.len(),
            words = taxonomy.matcher.word_count(),
            phrases = taxonomy.matcher.pattern_count(),
            "taxonomy loaded"
        );
        Ok(taxonomy)
    }

    /// Reads and compiles a taxonomy file.
    pub fn load(path: &Path) -> Result<Taxonomy, TaxonomyError> {
        let text = std::fs::read_to_string(path).map_err(|source| TaxonomyError::Read {
            path: path.to_owned(),
            source,
        })?;
        Taxonomy::from_toml(&text, &path.display().to_string())
    }

    /// Hash of the compiled rules (16 hex digits): changes when what the rules match or how they
    /// score changes, not when comments or layout do.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Where the taxonomy came from (a path, or `builtin:…`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The umbrella tag, then the six subtopics.
    pub fn tags(&self) -> Vec<&str> {
        std::iter::once(UMBRELLA)
            .chain(self.subtopics.iter().map(|s| s.tag))
            .collect()
    }

    /// Number of rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// A tag's threshold (`None` for the umbrella and unknown tags).
    pub fn threshold(&self, tag: &str) -> Option<f64> {
        self.subtopics
            .iter()
            .find(|s| s.tag == tag)
            .map(|s| s.threshold)
    }

    /// The thresholds of the six subtopics, in [`SUBTOPICS`] order.
    pub(crate) fn rule_thresholds(&self) -> [f64; 6] {
        let mut out = [1.0; 6];
        for (slot, subtopic) in out.iter_mut().zip(&self.subtopics) {
            *slot = subtopic.threshold;
        }
        out
    }

    /// What a subtopic covers, as the taxonomy's `about` says (`None` for unknown tags).
    pub fn about(&self, tag: &str) -> Option<&str> {
        self.subtopics
            .iter()
            .find(|s| s.tag == tag)
            .map(|s| s.about.as_str())
    }

    /// The `why` an editor wrote for a rule, by its evidence name (`"chips:ai-chip-words"`).
    pub fn rule_why(&self, rule: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.id == rule)
            .map(|r| r.why.as_str())
    }
}

#[cfg(test)]
#[path = "taxonomy_tests.rs"]
mod tests;
