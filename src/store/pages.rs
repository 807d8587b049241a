//! Listings for the web face and its API: items and stories page by page after a keyset (the
//! last row of the previous page), so page fifty costs what page one does; one item whole; and
//! the counts `/metrics` reports.

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params_from_iter};
use serde::Serialize;

use super::export::ExportItem;
use super::query::{ItemFilter, ItemRow, SELECT_ITEMS, item_row, push_filter};
use super::stories::{SELECT_STORIES, StoryRow, story_row};
use super::{Store, StoreError};

/// Where a page starts: after the row with this sort time and id (listings are newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub at: String,
    pub id: i64,
}

/// How many items carry one tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagCount {
    pub tag: String,
    pub items: i64,
}

/// What `/metrics` and `/healthz` read from the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCounts {
    pub items: i64,
    /// Items tagged `ai-infra`.
    pub tagged_items: i64,
    /// Feeds whose last fetch failed and that are not disabled.
    pub feeds_failing: i64,
    pub feeds: i64,
    pub size_bytes: i64,
    /// The newest `last_fetch_at` of any feed.
    pub last_fetch_at: Option<String>,
}

fn limit_value(limit: usize) -> Value {
    Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX))
}

impl Store {
    /// Up to `limit` items matching `filter` (its own limit is ignored), newest first, after
    /// `after`.
    pub fn items_page(
        &self,
        filter: &ItemFilter,
        after: Option<&Keyset>,
        limit: usize,
    ) -> Result<Vec<ItemRow>, StoreError> {
        let mut sql = format!("{SELECT_ITEMS} WHERE 1");
        let mut values = Vec::new();
        if let Some(after) = after {
            sql.push_str(" AND (i.published_at, i.id) < (?, ?)");
            values.push(Value::Text(after.at.clone()));
            values.push(Value::Integer(after.id));
        }
        push_filter(filter, &mut sql, &mut values);
        sql.push_str(" ORDER BY i.published_at DESC, i.id DESC LIMIT ?");
        values.push(limit_value(limit));
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` stories with an item matching `filter`, latest report first, after
    /// `after` (a story's `last_seen_at` and id).
    pub fn stories_page(
        &self,
        filter: &ItemFilter,
        after: Option<&Keyset>,
        limit: usize,
    ) -> Result<Vec<StoryRow>, StoreError> {
        let mut sql = format!(
            "{SELECT_STORIES} WHERE s.id IN (SELECT i.story_id FROM items i
               WHERE i.story_id IS NOT NULL"
        );
        let mut values = Vec::new();
        push_filter(filter, &mut sql, &mut values);
        sql.push(')');
        if let Some(after) = after {
            sql.push_str(" AND (s.last_seen_at, s.id) < (?, ?)");
            values.push(Value::Text(after.at.clone()));
            values.push(Value::Integer(after.id));
        }
        sql.push_str(" ORDER BY s.last_seen_at DESC, s.id DESC LIMIT ?");
        values.push(limit_value(limit));
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), story_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One item whole (every column, its feeds, its tags with evidence).
    pub fn export_item(&self, id: i64) -> Result<Option<ExportItem>, StoreError> {
        let one = ItemFilter {
            limit: Some(1),
            ..ItemFilter::default()
        };
        // The cursor one below `id` starts exactly at it.
        let mut items = self.export_items(&one, Some(id.saturating_sub(1)))?;
        Ok(items.pop().filter(|item| item.id == id))
    }

    /// Every tag in use with its number of items, most items first.
    pub fn tag_counts(&self) -> Result<Vec<TagCount>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT tag, count(*) FROM item_tags GROUP BY tag ORDER BY 2 DESC, tag",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(TagCount {
                tag: row.get(0)?,
                items: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The store's counts for `/metrics` and `/healthz`, in one statement.
    pub fn counts(&self) -> Result<StoreCounts, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT (SELECT count(*) FROM items),
                (SELECT count(*) FROM item_tags WHERE tag = 'ai-infra'),
                (SELECT count(*) FROM feeds WHERE disabled = 0 AND error_count > 0),
                (SELECT count(*) FROM feeds),
                (SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()),
                (SELECT max(last_fetch_at) FROM feeds)",
        )?;
        let counts = stmt
            .query_row([], |row| {
                Ok(StoreCounts {
                    items: row.get(0)?,
                    tagged_items: row.get(1)?,
                    feeds_failing: row.get(2)?,
                    feeds: row.get(3)?,
                    size_bytes: row.get(4)?,
                    last_fetch_at: row.get(5)?,
                })
            })
            .optional()?;
        Ok(counts.unwrap_or_default())
    }
}
