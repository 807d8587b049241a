//! Reading items back whole, for exports: every stored column, the feeds that carried the item
//! and its tags with scores and evidence. Also the named export cursors that let a cron job
//! export only what it has not exported before.

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};
use serde::Serialize;

use super::query::{ItemFilter, push_filter, push_limit};
use super::{Store, StoreError};

/// Schema for export cursors; appended to the migrations as its own version.
pub(super) const MIGRATION_EXPORT: &str = r#"
-- Named export cursors: the highest items.id each `mirsad export --cursor NAME` has written.
CREATE TABLE export_cursors (
    name         TEXT PRIMARY KEY,
    last_item_id INTEGER NOT NULL,
    updated_at   TEXT NOT NULL
) WITHOUT ROWID;
"#;

/// A feed that carried an exported item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportFeed {
    /// The configured URL: the feed's identity.
    pub url: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub site_link: Option<String>,
}

impl ExportFeed {
    /// What to call the feed: its configured name, else its own title, else its URL.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.title.as_deref())
            .unwrap_or(&self.url)
    }
}

/// One tag of an exported item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportTag {
    pub tag: String,
    pub score: f64,
    /// The evidence array as stored (parsed JSON).
    pub evidence: serde_json::Value,
    pub taxonomy_version: String,
    pub tagged_at: String,
    /// `tagger`, or `hand` for a tag the analyst set (`mirsad label`).
    pub origin: String,
}

/// Everything the store knows about one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportItem {
    pub id: i64,
    pub identity: String,
    pub identity_kind: String,
    pub url: Option<String>,
    pub canonical_url: Option<String>,
    pub guid: Option<String>,
    pub title: String,
    pub title_html: Option<String>,
    pub summary: String,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub body_text: String,
    pub author: Option<String>,
    pub categories: serde_json::Value,
    pub enclosures: serde_json::Value,
    pub published_at: String,
    pub published_estimated: bool,
    pub upstream_updated_at: Option<String>,
    pub first_seen_at: String,
    pub updated_at: Option<String>,
    pub language: Option<String>,
    pub direction: String,
    pub content_hash: String,
    /// In the order mirsad first saw the item in them.
    pub feeds: Vec<ExportFeed>,
    /// In tag order (`ai-infra` first).
    pub tags: Vec<ExportTag>,
}

const SELECT_EXPORT: &str = "SELECT i.id, i.identity, i.identity_kind, i.url, i.canonical_url,
    i.guid, i.title, i.title_html, i.summary, i.summary_html, i.content_html, i.body_text,
    i.author, i.categories, i.enclosures, i.published_at, i.published_estimated,
    i.upstream_updated_at, i.first_seen_at, i.updated_at, i.language, i.direction,
    i.content_hash
    FROM items i";

/// Stored JSON that does not parse is exported as the string it is rather than failing the
/// whole export.
fn json_column(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

fn export_item(row: &Row<'_>) -> rusqlite::Result<ExportItem> {
    Ok(ExportItem {
        id: row.get(0)?,
        identity: row.get(1)?,
        identity_kind: row.get(2)?,
        url: row.get(3)?,
        canonical_url: row.get(4)?,
        guid: row.get(5)?,
        title: row.get(6)?,
        title_html: row.get(7)?,
        summary: row.get(8)?,
        summary_html: row.get(9)?,
        content_html: row.get(10)?,
        body_text: row.get(11)?,
        author: row.get(12)?,
        categories: json_column(row.get(13)?),
        enclosures: json_column(row.get(14)?),
        published_at: row.get(15)?,
        published_estimated: row.get(16)?,
        upstream_updated_at: row.get(17)?,
        first_seen_at: row.get(18)?,
        updated_at: row.get(19)?,
        language: row.get(20)?,
        direction: row.get(21)?,
        content_hash: row.get(22)?,
        feeds: Vec::new(),
        tags: Vec::new(),
    })
}

impl Store {
    /// Items matching `filter`, whole. Without `after_id`: newest first (by publication time).
    /// With `after_id` (a cursor): only items with a larger id, i.e. first seen later, in the
    /// order they were first seen, so `filter.limit` takes the earliest unexported ones and the
    /// next run continues where this one stopped.
    pub fn export_items(
        &self,
        filter: &ItemFilter,
        after_id: Option<i64>,
    ) -> Result<Vec<ExportItem>, StoreError> {
        let mut sql = format!("{SELECT_EXPORT} WHERE 1");
        let mut values = Vec::new();
        if let Some(after) = after_id {
            sql.push_str(" AND i.id > ?");
            values.push(Value::Integer(after));
        }
        push_filter(filter, &mut sql, &mut values);
        if after_id.is_some() {
            sql.push_str(" ORDER BY i.id");
        } else {
            sql.push_str(" ORDER BY i.published_at DESC, i.id DESC");
        }
        push_limit(filter, &mut sql, &mut values);
        self.load_export_items(&sql, values)
    }

    /// A story's items, whole, earliest report first (for `export --stories`).
    pub fn export_story_items(&self, story_id: i64) -> Result<Vec<ExportItem>, StoreError> {
        let sql = format!(
            "{SELECT_EXPORT} WHERE i.story_id = ? ORDER BY min(i.published_at, i.first_seen_at), i.id"
        );
        self.load_export_items(&sql, vec![Value::Integer(story_id)])
    }

    fn load_export_items(
        &self,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<Vec<ExportItem>, StoreError> {
        let mut items: Vec<ExportItem> = {
            let mut stmt = self.conn().prepare_cached(sql)?;
            let rows = stmt.query_map(params_from_iter(values), export_item)?;
            rows.collect::<Result<_, _>>()?
        };
        for item in &mut items {
            item.feeds = self.export_feeds(item.id)?;
            item.tags = self.export_tags(item.id)?;
        }
        Ok(items)
    }

    fn export_feeds(&self, item_id: i64) -> Result<Vec<ExportFeed>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT f.url, f.name, f.title, f.site_link FROM item_feeds m
             JOIN feeds f ON f.id = m.feed_id WHERE m.item_id = ?1
             ORDER BY m.first_seen_at, f.id",
        )?;
        let rows = stmt.query_map([item_id], |row| {
            Ok(ExportFeed {
                url: row.get(0)?,
                name: row.get(1)?,
                title: row.get(2)?,
                site_link: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn export_tags(&self, item_id: i64) -> Result<Vec<ExportTag>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT tag, score, evidence, taxonomy_version, tagged_at, origin FROM item_tags
             WHERE item_id = ?1 ORDER BY tag",
        )?;
        let rows = stmt.query_map([item_id], |row| {
            Ok(ExportTag {
                tag: row.get(0)?,
                score: row.get(1)?,
                evidence: json_column(row.get(2)?),
                taxonomy_version: row.get(3)?,
                tagged_at: row.get(4)?,
                origin: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The last item id exported under cursor `name`, if the cursor exists.
    pub fn export_cursor(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT last_item_id FROM export_cursors WHERE name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Moves cursor `name` forward to `last_item_id` (never backwards: two overlapping runs
    /// cannot make a third one export items again).
    pub fn set_export_cursor(&self, name: &str, last_item_id: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO export_cursors(name, last_item_id, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET
                last_item_id = max(last_item_id, excluded.last_item_id),
                updated_at = excluded.updated_at",
            params![name, last_item_id, crate::time::now()],
        )?;
        Ok(())
    }

    /// Forgets cursor `name`; returns whether it existed.
    pub fn reset_export_cursor(&self, name: &str) -> Result<bool, StoreError> {
        let removed = self
            .conn()
            .execute("DELETE FROM export_cursors WHERE name = ?1", [name])?;
        Ok(removed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ItemRecord, StoredTag};

    fn record(identity: &str, published: &str) -> ItemRecord {
        ItemRecord {
            url: Some(format!("https://example.com/{identity}")),
            categories: r#"["تقنية"]"#.into(),
            ..ItemRecord::sample(identity, &format!("عنوان {identity}"), published)
        }
    }

    fn store_with_items() -> Store {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let a = w.ensure_feed("https://a.example/feed", Some("A")).unwrap();
        let b = w.ensure_feed("https://b.example/feed", None).unwrap();
        let now = "2026-01-05T00:00:00Z";
        let (x, _) = w
            .upsert_item(&record("x", "2026-01-03T00:00:00Z"), a, now)
            .unwrap();
        w.upsert_item(&record("x", "2026-01-03T00:00:00Z"), b, now)
            .unwrap();
        w.upsert_item(&record("y", "2026-01-04T00:00:00Z"), b, now)
            .unwrap();
        w.upsert_item(&record("z", "2026-01-01T00:00:00Z"), a, now)
            .unwrap();
        let tag = StoredTag {
            tag: "ai-infra".into(),
            score: 2.5,
            evidence: r#"[{"rule":"r","matched":"رقاقات"}]"#.into(),
        };
        w.replace_tags(x, &[tag], "v1", now).unwrap();
        w.commit().unwrap();
        store
    }

    #[test]
    fn export_rows_carry_feeds_tags_and_parsed_json() {
        let store = store_with_items();
        let items = store.export_items(&ItemFilter::default(), None).unwrap();
        let ids: Vec<&str> = items.iter().map(|i| i.identity.as_str()).collect();
        assert_eq!(ids, ["y", "x", "z"], "newest published first");
        let x = &items[1];
        assert_eq!(x.feeds.len(), 2);
        assert_eq!(x.feeds[0].display_name(), "A");
        assert_eq!(x.feeds[1].display_name(), "https://b.example/feed");
        assert_eq!(x.tags[0].tag, "ai-infra");
        assert_eq!(x.tags[0].evidence[0]["matched"], "رقاقات");
        assert_eq!(x.categories[0], "تقنية");
    }

    #[test]
    fn export_uses_the_same_filters_as_items() {
        let store = store_with_items();
        let filter = ItemFilter {
            tag: Some("ai-infra".into()),
            ..ItemFilter::default()
        };
        let items = store.export_items(&filter, None).unwrap();
        assert_eq!(items.len(), 1);
        let filter = ItemFilter {
            feed: Some("A".into()),
            limit: Some(1),
            ..ItemFilter::default()
        };
        let items = store.export_items(&filter, None).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].identity, "x");
    }

    #[test]
    fn after_id_gives_later_items_in_first_seen_order() {
        let store = store_with_items();
        let all = store.export_items(&ItemFilter::default(), Some(0)).unwrap();
        let ids: Vec<i64> = all.iter().map(|i| i.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        let later = store
            .export_items(&ItemFilter::default(), Some(ids[0]))
            .unwrap();
        assert_eq!(later.len(), 2);
    }

    #[test]
    fn cursor_only_moves_forward_and_can_be_reset() {
        let store = store_with_items();
        assert_eq!(store.export_cursor("c").unwrap(), None);
        store.set_export_cursor("c", 5).unwrap();
        store.set_export_cursor("c", 3).unwrap();
        assert_eq!(store.export_cursor("c").unwrap(), Some(5));
        assert!(store.reset_export_cursor("c").unwrap());
        assert!(!store.reset_export_cursor("c").unwrap());
        assert_eq!(store.export_cursor("c").unwrap(), None);
    }
}
