//! The labelled corpus: news items with the tags a person gave them, one JSON object per line.
//!
//! The model is trained on it (`mirsad train`) and the quality test measures on it. A row is
//! `{"id", "title", "summary", "labels": [...]}` with optional `url`, `outlet`, `provenance`,
//! `kind` and `why`; keys it does not know are ignored, so corpus tools can add their own. The
//! corpus is split by outlet (`tune`, `validation`), so `outlet` is what cross-validation groups
//! folds by.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::taxonomy::{SUBTOPICS, UMBRELLA};

/// The corpus `mirsad train` uses without `--corpus`: the tune split, compiled in so an
/// installed binary can retrain without the source tree (about 1 MB of text).
pub const BUILTIN_CORPUS: &str = include_str!("../../tests/fixtures/tagging/tune.jsonl");
/// What [`BUILTIN_CORPUS`] is called in messages and in the model file.
pub const BUILTIN_CORPUS_NAME: &str = "builtin:tests/fixtures/tagging/tune.jsonl";

/// One labelled item.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LabelledItem {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// `ai-infra` and its subtopics, or nothing for an item that is not AI infrastructure.
    pub labels: Vec<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub outlet: Option<String>,
    /// A URL, or `"written"` for an item written to fill a gap.
    #[serde(default)]
    pub provenance: Option<String>,
    /// What sort of item (e.g. `"hard-negative"`), as the corpus tools say.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub why: Option<String>,
}

impl LabelledItem {
    /// Whether the item is labelled with `tag`.
    pub fn has(&self, tag: &str) -> bool {
        self.labels.iter().any(|l| l == tag)
    }

    /// What cross-validation keeps together in one fold: the outlet, else the URL's host, else the
    /// item itself (an item of unknown origin is its own group).
    pub fn group(&self) -> String {
        if let Some(outlet) = self.outlet.as_deref().filter(|o| !o.trim().is_empty()) {
            return format!("outlet:{}", outlet.trim().to_lowercase());
        }
        let host = self
            .url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_owned())
            });
        match host {
            Some(host) => format!("outlet:{host}"),
            None => format!("item:{}", self.id),
        }
    }
}

/// Why a corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read the corpus {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:{line}: {message}")]
    Row {
        origin: String,
        line: usize,
        message: String,
    },
}

/// Parses a corpus in JSON Lines; `origin` names it in errors. Blank lines are skipped; the
/// first bad row is reported with its line number.
pub fn parse_corpus(text: &str, origin: &str) -> Result<Vec<LabelledItem>, CorpusError> {
    let mut items = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| CorpusError::Row {
            origin: origin.to_owned(),
            line: index + 1,
            message,
        };
        let item: LabelledItem =
            serde_json::from_str(line).map_err(|e| bad(format!("not a labelled item ({e})")))?;
        if let Some(label) = item
            .labels
            .iter()
            .find(|l| *l != UMBRELLA && !SUBTOPICS.contains(&l.as_str()))
        {
            return Err(bad(format!(
                "unknown label {label:?} in item {:?}: the labels are {UMBRELLA}, {}",
                item.id,
                SUBTOPICS.join(", ")
            )));
        }
        let subtopics = item.labels.iter().filter(|l| *l != UMBRELLA).count();
        if item.has(UMBRELLA) != (subtopics > 0) {
            return Err(bad(format!(
                "item {:?}: {UMBRELLA} goes with at least one subtopic, and a subtopic with {UMBRELLA}",
                item.id
            )));
        }
        items.push(item);
    }
    Ok(items)
}

/// Reads and parses a corpus file.
pub fn load_corpus(path: &Path) -> Result<Vec<LabelledItem>, CorpusError> {
    let text = std::fs::read_to_string(path).map_err(|source| CorpusError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_corpus(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_with_optional_fields_and_unknown_keys_ignored() {
        let text = concat!(
            r#"{"id":"a","title":"t","summary":"s","labels":["ai-infra","ai-infra/chips"],"outlet":"x.com","extra":1}"#,
            "\n\n",
            r#"{"id":"b","title":"t2","labels":[]}"#,
            "\n"
        );
        let items = parse_corpus(text, "c.jsonl").unwrap();
        assert_eq!(items.len(), 2);
        assert!(items[0].has("ai-infra/chips"));
        assert_eq!(items[0].outlet.as_deref(), Some("x.com"));
        assert_eq!(items[1].summary, "");
        assert_eq!(items[1].group(), "item:b");
    }

    #[test]
    fn a_bad_row_is_reported_with_its_line_number() {
        let text = "{\"id\":\"a\",\"title\":\"t\",\"labels\":[]}\n\n{\"id\": 3}\n";
        let err = parse_corpus(text, "c.jsonl").unwrap_err().to_string();
        assert!(err.starts_with("c.jsonl:3: "), "{err}");
        let text = r#"{"id":"a","title":"t","labels":["ai-infra/gpus","ai-infra"]}"#;
        let err = parse_corpus(text, "c.jsonl").unwrap_err().to_string();
        assert!(
            err.contains("c.jsonl:1: unknown label \"ai-infra/gpus\""),
            "{err}"
        );
        let text = r#"{"id":"a","title":"t","labels":["ai-infra"]}"#;
        let err = parse_corpus(text, "c.jsonl").unwrap_err().to_string();
        assert!(err.contains("at least one subtopic"), "{err}");
    }

    #[test]
    fn items_group_by_outlet_then_by_url_host() {
        let mut item = LabelledItem {
            id: "a".into(),
            title: String::new(),
            summary: String::new(),
            labels: vec![],
            url: Some("https://www.aitnews.com/2025/x".into()),
            outlet: None,
            provenance: None,
            kind: None,
            why: None,
        };
        assert_eq!(item.group(), "outlet:aitnews.com");
        item.outlet = Some("AlArabiya.net".into());
        assert_eq!(item.group(), "outlet:alarabiya.net");
    }
}
