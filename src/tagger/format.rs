//! The taxonomy file as written: TOML tables and keys, with the position of every value so that
//! a problem can be reported at its line. `docs/taxonomy.md` describes the format for editors;
//! [`super::taxonomy`] checks and compiles it.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSpec {
    pub scoring: ScoringSpec,
    #[serde(default)]
    pub clitics: Option<CliticsSpec>,
    #[serde(default)]
    pub sets: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    pub tags: Spanned<BTreeMap<Spanned<String>, TagSpec>>,
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
}

/// `[scoring]`: how matches turn into scores.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScoringSpec {
    pub title_weight: Spanned<f64>,
    pub body_weight: Spanned<f64>,
    pub window: Spanned<i64>,
}

/// `[clitics]`: one-letter words written attached to the next word.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CliticsSpec {
    pub prefixes: Vec<Spanned<String>>,
    pub min_rest: Spanned<i64>,
    #[serde(default)]
    pub keep_whole: Vec<Spanned<String>>,
}

/// `[tags."ai-infra/…"]`: one subtopic.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagSpec {
    pub threshold: Spanned<f64>,
    #[serde(default)]
    pub about: String,
}

/// `[[rule]]`: one rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    pub tag: Spanned<String>,
    pub name: Spanned<String>,
    pub weight: Spanned<f64>,
    pub terms: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub near: Vec<Spanned<String>>,
    #[serde(default)]
    pub unless: Vec<Spanned<String>>,
    #[serde(default)]
    pub with: Vec<Spanned<String>>,
    #[serde(default)]
    pub window: Option<Spanned<i64>>,
    #[serde(default)]
    pub why: String,
}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_lines_and_characters_from_one() {
        let text = "a = 1\nتاج = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        let equals = text.rfind('=').unwrap();
        assert_eq!(line_column(text, equals), (2, 5));
        assert_eq!(line_column(text, 999), (3, 1));
    }
}
