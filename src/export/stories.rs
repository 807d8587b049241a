//! `export --stories`: one entry per story instead of one per item.
//!
//! A story entry is written by the same Atom, RSS, JSONL and CSV writers as an item: it is an
//! [`ExportItem`] made from the story's representative (earliest) report, whose content lists
//! every outlet's report with its link. Its id is derived from the representative's identity,
//! so the entry keeps its id when a later report joins the story, and `mirsad restory`
//! (which renumbers stories) does not make readers see it as new.

use std::collections::BTreeMap;

use super::ExportError;
use crate::store::{ExportFeed, ExportItem, ExportTag, ItemFilter, Store, StoryRow};

/// One entry per story with an item matching `filter`, latest report first.
pub fn story_entries(store: &Store, filter: &ItemFilter) -> Result<Vec<ExportItem>, ExportError> {
    let mut entries = Vec::new();
    for story in store.stories(filter)? {
        let items = store.export_story_items(story.id)?;
        if let Some(entry) = story_entry(&story, items) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// Folds a story's items (earliest report first) into one entry; `None` for an empty story.
fn story_entry(story: &StoryRow, items: Vec<ExportItem>) -> Option<ExportItem> {
    let mut reports = items.into_iter();
    let representative = reports.next()?;
    let others: Vec<ExportItem> = reports.collect();
    let all = || std::iter::once(&representative).chain(others.iter());

    let mut feeds: Vec<ExportFeed> = Vec::new();
    for feed in all().flat_map(|item| item.feeds.iter()) {
        if !feeds.iter().any(|known| known.url == feed.url) {
            feeds.push(feed.clone());
        }
    }
    // A tag of any report is a tag of the story, at its strongest score.
    let mut tags: BTreeMap<&str, &ExportTag> = BTreeMap::new();
    for tag in all().flat_map(|item| item.tags.iter()) {
        let strongest = tags.entry(&tag.tag).or_insert(tag);
        if tag.score > strongest.score {
            *strongest = tag;
        }
    }
    let tags: Vec<ExportTag> = tags.into_values().cloned().collect();
    let outlet_names: Vec<&str> = feeds.iter().map(ExportFeed::display_name).collect();
    let summary = format!(
        "{} ({}: {})",
        representative.summary.trim(),
        outlets_in_arabic(feeds.len()),
        outlet_names.join("، ")
    );
    let content_html = reports_html(all());
    let last_report = all()
        .map(|item| item.published_at.as_str())
        .max()
        .map(str::to_owned);

    Some(ExportItem {
        identity: format!("story:{}", representative.identity),
        identity_kind: "story".to_owned(),
        title_html: None,
        summary: summary.trim_start().to_owned(),
        summary_html: None,
        content_html: Some(content_html),
        body_text: String::new(),
        first_seen_at: story.first_seen_at.clone(),
        updated_at: last_report.filter(|last| *last > representative.published_at),
        feeds,
        tags,
        ..representative
    })
}

/// An HTML list of the reports: outlet, title and link of each.
fn reports_html<'a>(reports: impl Iterator<Item = &'a ExportItem>) -> String {
    let mut html = String::from("<ul>");
    for item in reports {
        let outlet = item
            .feeds
            .first()
            .map(ExportFeed::display_name)
            .unwrap_or("");
        let title = escape(&item.title);
        let link = [item.url.as_deref(), item.canonical_url.as_deref()]
            .into_iter()
            .flatten()
            .find_map(super::sanitize::http_link);
        let line = match link {
            Some(url) => format!("<a href=\"{}\">{title}</a>", escape(url)),
            None => title,
        };
        html.push_str(&format!(
            "<li><b>{}</b>: {line} <small>{}</small></li>",
            escape(outlet),
            escape(&item.published_at)
        ));
    }
    html.push_str("</ul>");
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "N outlets" as Arabic counts them: the noun after a number is dual, plural (3–10) or
/// singular (11 and up) by the number's last two digits.
fn outlets_in_arabic(n: usize) -> String {
    match (n, n % 100) {
        (1, _) => "مصدر واحد".to_owned(),
        (2, _) => "مصدران".to_owned(),
        (_, 3..=10) => format!("{n} مصادر"),
        (_, 11..=99) => format!("{n} مصدرًا"),
        _ => format!("{n} مصدر"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: i64, feed: &str, published: &str, tag: Option<(&str, f64)>) -> ExportItem {
        ExportItem {
            id,
            identity: format!("link:https://{feed}/{id}"),
            identity_kind: "link".into(),
            url: Some(format!("https://{feed}/{id}?a=1&b=2")),
            canonical_url: None,
            guid: None,
            title: format!("إنفيديا <{id}>"),
            title_html: None,
            summary: "ملخص".into(),
            summary_html: None,
            content_html: None,
            body_text: "نص".into(),
            author: None,
            categories: serde_json::json!([]),
            enclosures: serde_json::json!([]),
            published_at: published.into(),
            published_estimated: false,
            upstream_updated_at: None,
            first_seen_at: published.into(),
            updated_at: None,
            language: Some("ar".into()),
            direction: "rtl".into(),
            content_hash: "h".into(),
            feeds: vec![ExportFeed {
                url: format!("https://{feed}/feed"),
                name: Some(feed.into()),
                title: None,
                site_link: None,
            }],
            tags: tag
                .map(|(tag, score)| ExportTag {
                    tag: tag.into(),
                    score,
                    evidence: serde_json::json!([]),
                    taxonomy_version: "v".into(),
                    tagged_at: published.into(),
                    origin: "tagger".into(),
                })
                .into_iter()
                .collect(),
        }
    }

    fn story() -> StoryRow {
        StoryRow {
            id: 7,
            title: String::new(),
            url: None,
            representative_item: Some(1),
            first_seen_at: "2026-11-20T08:00:00Z".into(),
            last_seen_at: "2026-11-20T11:00:00Z".into(),
            items: 3,
            feeds: Vec::new(),
            outlets: Vec::new(),
            tags: Vec::new(),
        }
    }

    #[test]
    fn a_story_entry_lists_every_report_and_unites_feeds_and_tags() {
        let items = vec![
            report(
                1,
                "a.example",
                "2026-11-20T08:00:00Z",
                Some(("ai-infra", 0.5)),
            ),
            report(
                2,
                "b.example",
                "2026-11-20T11:00:00Z",
                Some(("ai-infra", 0.9)),
            ),
            report(
                3,
                "a.example",
                "2026-11-20T09:00:00Z",
                Some(("ai-infra/chips", 0.7)),
            ),
        ];
        let entry = story_entry(&story(), items).unwrap();
        assert_eq!(entry.id, 1);
        assert_eq!(entry.identity, "story:link:https://a.example/1");
        assert_eq!(entry.title, "إنفيديا <1>");
        let feeds: Vec<&str> = entry.feeds.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(feeds, ["https://a.example/feed", "https://b.example/feed"]);
        let tags: Vec<(&str, f64)> = entry
            .tags
            .iter()
            .map(|t| (t.tag.as_str(), t.score))
            .collect();
        assert_eq!(tags, [("ai-infra", 0.9), ("ai-infra/chips", 0.7)]);
        let html = entry.content_html.unwrap();
        assert_eq!(html.matches("<li>").count(), 3);
        assert!(
            html.contains(r#"<a href="https://b.example/2?a=1&amp;b=2">إنفيديا &lt;2&gt;</a>"#)
        );
        assert!(entry.summary.contains("(مصدران: a.example، b.example)"));
        assert_eq!(entry.updated_at.as_deref(), Some("2026-11-20T11:00:00Z"));
    }

    #[test]
    fn outlets_are_counted_in_arabic() {
        assert_eq!(outlets_in_arabic(1), "مصدر واحد");
        assert_eq!(outlets_in_arabic(2), "مصدران");
        assert_eq!(outlets_in_arabic(7), "7 مصادر");
        assert_eq!(outlets_in_arabic(15), "15 مصدرًا");
        assert_eq!(outlets_in_arabic(100), "100 مصدر");
        assert_eq!(outlets_in_arabic(103), "103 مصادر");
    }

    #[test]
    fn an_empty_story_gives_no_entry() {
        assert!(story_entry(&story(), Vec::new()).is_none());
    }
}
