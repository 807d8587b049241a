//! Every unknown key of a config at once, each with its line and the nearest valid key.
//!
//! serde's `deny_unknown_fields` stops at the first unknown key, so a config with three typos
//! took three runs of `mirsad check` to fix. This pass walks the parsed document first and names
//! them all; serde's check stays behind it as a backstop.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The keys of each table, as the `Raw*` structs in the parent module declare them.
const TOP: &[&str] = &[
    "database", "taxonomy", "model", "fetch", "feeds", "stories", "export", "exports", "http",
];
const FETCH: &[&str] = &[
    "concurrency",
    "per_host",
    "timeout",
    "connect_timeout",
    "max_body",
    "min_interval",
    "max_interval",
    "max_backoff",
    "user_agent",
    "allow_private_redirects",
];
const FEED: &[&str] = &["url", "name", "interval", "enabled", "user_agent"];
const STORIES: &[&str] = &["enabled", "window", "threshold"];
const EXPORT: &[&str] = &["title", "public_url"];
const EXPORTS: &[&str] = &["path", "format", "tag", "limit", "title"];
const HTTP: &[&str] = &["listen", "token"];

/// One unknown key: where it starts (a byte offset) and what to say about it.
pub(super) struct UnknownKey {
    pub(super) offset: usize,
    pub(super) message: String,
}

/// The unknown keys of `text`, in the order they appear; empty when it does not parse (the
/// parse error is reported instead).
pub(super) fn unknown_keys(text: &str) -> Vec<UnknownKey> {
    let Ok(document) = DeTable::parse(text) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    check_table(document.get_ref(), "", TOP, &mut found);
    for (key, value) in document.get_ref() {
        let (keys, array) = match key.get_ref().as_ref() {
            "fetch" => (FETCH, false),
            "stories" => (STORIES, false),
            "export" => (EXPORT, false),
            "http" => (HTTP, false),
            "feeds" => (FEED, true),
            "exports" => (EXPORTS, true),
            _ => continue,
        };
        let table = key.get_ref();
        match value.get_ref() {
            DeValue::Table(inner) if !array => check_table(inner, table, keys, &mut found),
            DeValue::Array(items) if array => {
                for item in items {
                    if let DeValue::Table(inner) = item.get_ref() {
                        check_table(inner, table, keys, &mut found);
                    }
                }
            }
            _ => {}
        }
    }
    found.sort_by_key(|k| k.offset);
    found
}

fn check_table(table: &DeTable<'_>, name: &str, known: &[&str], found: &mut Vec<UnknownKey>) {
    for key in table.keys() {
        let text: &str = key.get_ref();
        if known.contains(&text) {
            continue;
        }
        found.push(unknown(key, name, known));
    }
}

fn unknown(key: &Spanned<std::borrow::Cow<'_, str>>, table: &str, known: &[&str]) -> UnknownKey {
    let text: &str = key.get_ref();
    let place = if table.is_empty() {
        "at the top level".to_owned()
    } else {
        format!("in [{table}]")
    };
    let mut message = format!("unknown key `{text}` {place}");
    let nearest = known
        .iter()
        .map(|k| (strsim::jaro_winkler(text, k), *k))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match nearest {
        Some((_, key)) => message.push_str(&format!("; did you mean `{key}`?")),
        None => message.push_str(&format!("; valid keys: {}", known.join(", "))),
    }
    UnknownKey {
        offset: key.span().start,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unknown_key_is_found_with_a_suggestion() {
        let text = "databse = \"x\"\n[fetch]\nconcurency = 2\n[[feeds]]\nurl = \"https://a/\"\n\
                    intervl = \"1h\"\n[[exports]]\npath = \"a\"\nformat = \"atom\"\ntagg = \"x\"\n";
        let found = unknown_keys(text);
        let messages: Vec<&str> = found.iter().map(|k| k.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].contains("`databse` at the top level; did you mean `database`"));
        assert!(messages[1].contains("`concurency` in [fetch]; did you mean `concurrency`"));
        assert!(messages[2].contains("`intervl` in [feeds]; did you mean `interval`"));
        assert!(messages[3].contains("`tagg` in [exports]; did you mean `tag`"));
        assert_eq!(
            text.get(found[1].offset..found[1].offset + 10),
            Some("concurency")
        );
    }

    #[test]
    fn a_valid_config_has_none() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/mirsad.toml");
        let text = std::fs::read_to_string(path).unwrap();
        assert!(unknown_keys(&text).is_empty());
    }
}
