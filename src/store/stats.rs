//! Counts for `mirsad stats`: items and tagged items per feed, per tag and per day, and the
//! store's size and time span.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{Store, StoreError};

/// A summary of the whole store.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub items: i64,
    /// Items with at least one tag.
    pub tagged_items: i64,
    /// Size of the database file in bytes (without the WAL).
    pub size_bytes: i64,
    pub oldest_published_at: Option<String>,
    pub newest_published_at: Option<String>,
    /// When mirsad last stored a new item.
    pub last_first_seen_at: Option<String>,
    /// Every stored feed, most items first.
    pub feeds: Vec<FeedStats>,
    /// Every tag in use, most items first.
    pub tags: Vec<TagStats>,
    /// Every day of the window by publication date (UTC), oldest first, days without items
    /// included.
    pub days: Vec<DayStats>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeedStats {
    pub url: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub items: i64,
    pub tagged_items: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagStats {
    pub tag: String,
    pub items: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayStats {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub items: i64,
    pub tagged_items: i64,
}

const TAGGED: &str = "EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = i.id)";

impl Store {
    /// Counts over the whole store, with `days` days (ending today, `now`'s UTC date) per day.
    pub fn stats(&self, now: DateTime<Utc>, days: u32) -> Result<Stats, StoreError> {
        let conn = self.conn();
        let (items, tagged_items, oldest, newest, last_seen) = conn.query_row(
            &format!(
                "SELECT count(*), coalesce(sum({TAGGED}), 0), min(published_at),
                    max(published_at), max(first_seen_at) FROM items i"
            ),
            [],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )?;
        Ok(Stats {
            items,
            tagged_items,
            size_bytes: self.size_bytes()?,
            oldest_published_at: oldest,
            newest_published_at: newest,
            last_first_seen_at: last_seen,
            feeds: self.feed_stats()?,
            tags: self.tag_stats()?,
            days: self.day_stats(now, days)?,
        })
    }

    fn feed_stats(&self) -> Result<Vec<FeedStats>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT f.url, f.name, f.title, count(i.id), coalesce(sum({TAGGED}), 0)
             FROM feeds f LEFT JOIN item_feeds m ON m.feed_id = f.id
             LEFT JOIN items i ON i.id = m.item_id
             GROUP BY f.id ORDER BY count(i.id) DESC, f.url"
        ))?;
        let rows = stmt.query_map([], |row| {
            Ok(FeedStats {
                url: row.get(0)?,
                name: row.get(1)?,
                title: row.get(2)?,
                items: row.get(3)?,
                tagged_items: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn tag_stats(&self) -> Result<Vec<TagStats>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT tag, count(*) FROM item_tags GROUP BY tag ORDER BY count(*) DESC, tag",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(TagStats {
                tag: row.get(0)?,
                items: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn day_stats(&self, now: DateTime<Utc>, days: u32) -> Result<Vec<DayStats>, StoreError> {
        let today = now.date_naive();
        let first = today - Duration::days(i64::from(days.saturating_sub(1)));
        let last = today.format("%Y-%m-%dT23:59:59Z").to_string();
        let mut stmt = self.conn().prepare(&format!(
            "SELECT substr(published_at, 1, 10) AS day, count(*), coalesce(sum({TAGGED}), 0)
             FROM items i WHERE published_at >= ?1 AND published_at <= ?2 GROUP BY day"
        ))?;
        let counted: HashMap<String, (i64, i64)> = stmt
            .query_map(
                params![first.format("%Y-%m-%dT00:00:00Z").to_string(), last],
                |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))),
            )?
            .collect::<Result<_, _>>()?;
        Ok(first
            .iter_days()
            .take_while(|day| *day <= today)
            .map(|day| {
                let key = day.format("%Y-%m-%d").to_string();
                let (items, tagged_items) = counted.get(&key).copied().unwrap_or((0, 0));
                DayStats {
                    day: key,
                    items,
                    tagged_items,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ItemRecord, StoredTag};

    fn record(identity: &str, published: &str) -> ItemRecord {
        ItemRecord::sample(identity, identity, published)
    }

    #[test]
    fn counts_per_feed_tag_and_day_including_empty_days() {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let a = w.ensure_feed("https://a.example/feed", Some("A")).unwrap();
        w.ensure_feed("https://quiet.example/feed", None).unwrap();
        let (x, _) = w
            .upsert_item(&record("x", "2026-01-10T08:00:00Z"), a, "T")
            .unwrap();
        w.upsert_item(&record("y", "2026-01-10T09:00:00Z"), a, "T")
            .unwrap();
        w.upsert_item(&record("z", "2025-12-01T09:00:00Z"), a, "T")
            .unwrap();
        let tag = |t: &str| StoredTag {
            tag: t.into(),
            score: 1.0,
            evidence: "[]".into(),
        };
        w.replace_tags(x, &[tag("ai-infra"), tag("ai-infra/chips")], "v", "T")
            .unwrap();
        w.commit().unwrap();

        let now = crate::time::parse("2026-01-11T12:00:00Z").unwrap();
        let stats = store.stats(now, 30).unwrap();
        assert_eq!((stats.items, stats.tagged_items), (3, 1));
        assert_eq!(
            stats.oldest_published_at.as_deref(),
            Some("2025-12-01T09:00:00Z")
        );
        assert_eq!(stats.feeds.len(), 2);
        assert_eq!((stats.feeds[0].items, stats.feeds[0].tagged_items), (3, 1));
        assert_eq!(stats.feeds[1].items, 0);
        assert_eq!(stats.tags.len(), 2);
        assert_eq!(stats.days.len(), 30);
        assert_eq!(stats.days.last().unwrap().day, "2026-01-11");
        let jan10 = stats.days.iter().find(|d| d.day == "2026-01-10").unwrap();
        assert_eq!((jan10.items, jan10.tagged_items), (2, 1));
        let total: i64 = stats.days.iter().map(|d| d.items).sum();
        assert_eq!(total, 2, "the December item is outside the window");
        assert!(stats.size_bytes > 0);
    }
}
