//! JSON Lines: one object per item with every stored field, its feeds and its tags with scores
//! and evidence, for pipelines. The fields are a contract, documented in docs/schema.md
//! ("JSONL export"); HTML fields are exported as the feed sent them, not sanitized.

use std::io::Write;

use serde::Serialize;

use super::sanitize::clean_title;
use super::{ExportError, entry_id};
use crate::store::ExportItem;

/// One line: the stable entry id, then the item's stored fields.
#[derive(Serialize)]
struct Line<'a> {
    entry_id: String,
    #[serde(flatten)]
    item: &'a ExportItem,
}

pub(super) fn write(items: &[ExportItem], out: &mut dyn Write) -> Result<(), ExportError> {
    let mut out = std::io::BufWriter::new(out);
    for item in items {
        // Links that are not http(s) are removed, as in every export.
        let item = &*super::sanitize::safe_links(item);
        // Only the title and author change: bidi overrides are removed, as in every export.
        let cleaned;
        let author_needs_cleaning = item
            .author
            .as_deref()
            .is_some_and(|a| a.chars().any(is_bidi_control));
        let item = if item.title.chars().any(is_bidi_control) || author_needs_cleaning {
            cleaned = ExportItem {
                title: clean_title(&item.title),
                author: item.author.as_deref().map(clean_title),
                ..item.clone()
            };
            &cleaned
        } else {
            item
        };
        let line = Line {
            entry_id: entry_id(&item.identity),
            item,
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::item;
    use super::*;

    #[test]
    fn one_parseable_object_per_item_with_feeds_and_tag_evidence() {
        let mut buf = Vec::new();
        write(&[item("a", &["ai-infra"]), item("b", &[])], &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        let a = &lines[0];
        assert!(
            a["entry_id"]
                .as_str()
                .unwrap()
                .starts_with("urn:mirsad:item:")
        );
        assert_eq!(a["title"], "إنفيديا a");
        assert_eq!(a["feeds"][0]["name"], "أخبار");
        assert_eq!(a["tags"][0]["evidence"][0]["matched"], "رقاقات");
        assert_eq!(a["tags"][0]["score"], 2.5);
        assert_eq!(a["categories"][0], "تقنية");
        assert_eq!(lines[1]["tags"], serde_json::json!([]));
    }

    #[test]
    fn bidi_controls_leave_the_author_too() {
        let mut item = item("https://a.example/1", &[]);
        item.author = Some("\u{202E}كاتب".into());
        let mut out = Vec::new();
        write(&[item], &mut out).unwrap();
        let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(line["author"], "كاتب");
    }
}
