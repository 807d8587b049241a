//! Feeds: their identity (the configured URL), what the document says about itself, and the
//! polling state the daemon keeps between runs.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{Store, StoreError, Writer};

/// A feed's health as `mirsad feeds` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedStatus {
    Ok,
    Error,
    Disabled,
    Never,
    /// Stored, but no longer in the config: not fetched any more; its items stay.
    Removed,
}

impl FeedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedStatus::Ok => "ok",
            FeedStatus::Error => "error",
            FeedStatus::Disabled => "disabled",
            FeedStatus::Never => "never",
            FeedStatus::Removed => "removed",
        }
    }
}

/// One stored feed with its health and item count.
#[derive(Debug, Clone, Serialize)]
pub struct FeedRow {
    #[serde(skip)]
    pub id: i64,
    pub url: String,
    pub fetch_url: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub site_link: Option<String>,
    pub status: FeedStatus,
    pub last_fetch_at: Option<String>,
    pub next_fetch_at: Option<String>,
    pub last_status: Option<i64>,
    pub error_count: i64,
    pub last_error: Option<String>,
    pub disabled_reason: Option<String>,
    pub items: i64,
}

/// The polling state of one feed, as the daemon reads and writes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    pub id: i64,
    pub url: String,
    pub fetch_url: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetch_at: Option<String>,
    pub next_fetch_at: Option<String>,
    pub last_status: Option<i64>,
    pub error_count: i64,
    pub last_error: Option<String>,
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    /// The last fetch that succeeded; `None` for a feed that never has (it retries sooner).
    /// Written by [`Writer::save_feed_state`] from `error_count`, never from this field.
    pub last_success_at: Option<String>,
}

const FEED_ROW_SQL: &str = "SELECT f.id, f.url, f.fetch_url, f.name, f.title, f.site_link,
        f.last_fetch_at, f.next_fetch_at, f.last_status, f.error_count, f.last_error,
        f.disabled, f.disabled_reason,
        (SELECT count(*) FROM item_feeds m WHERE m.feed_id = f.id)
    FROM feeds f";

fn feed_row(row: &Row<'_>) -> rusqlite::Result<FeedRow> {
    let last_fetch_at: Option<String> = row.get(6)?;
    let error_count: i64 = row.get(9)?;
    let disabled: bool = row.get(11)?;
    let status = if disabled {
        FeedStatus::Disabled
    } else if last_fetch_at.is_none() {
        FeedStatus::Never
    } else if error_count > 0 {
        FeedStatus::Error
    } else {
        FeedStatus::Ok
    };
    Ok(FeedRow {
        id: row.get(0)?,
        url: row.get(1)?,
        fetch_url: row.get(2)?,
        name: row.get(3)?,
        title: row.get(4)?,
        site_link: row.get(5)?,
        status,
        last_fetch_at,
        next_fetch_at: row.get(7)?,
        last_status: row.get(8)?,
        error_count,
        last_error: row.get(10)?,
        disabled_reason: row.get(12)?,
        items: row.get(13)?,
    })
}

fn feed_state(row: &Row<'_>) -> rusqlite::Result<FeedState> {
    Ok(FeedState {
        id: row.get(0)?,
        url: row.get(1)?,
        fetch_url: row.get(2)?,
        etag: row.get(3)?,
        last_modified: row.get(4)?,
        last_fetch_at: row.get(5)?,
        next_fetch_at: row.get(6)?,
        last_status: row.get(7)?,
        error_count: row.get(8)?,
        last_error: row.get(9)?,
        disabled: row.get(10)?,
        disabled_reason: row.get(11)?,
        last_success_at: row.get(12)?,
    })
}

const FEED_STATE_SQL: &str = "SELECT id, url, fetch_url, etag, last_modified, last_fetch_at,
    next_fetch_at, last_status, error_count, last_error, disabled, disabled_reason,
    last_success_at FROM feeds";

impl Writer<'_> {
    /// The id of the feed with this (configured) URL, creating it if needed. A given name
    /// replaces the stored one; `None` keeps it.
    pub fn ensure_feed(&self, url: &str, name: Option<&str>) -> Result<i64, StoreError> {
        let id = self
            .tx()
            .prepare_cached(
                "INSERT INTO feeds(url, name, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(url) DO UPDATE SET name = coalesce(excluded.name, name)
                 RETURNING id",
            )?
            .query_row(params![url, name, crate::time::now()], |row| row.get(0))?;
        Ok(id)
    }

    /// Records what the document says about itself.
    pub fn update_feed_metadata(
        &self,
        feed_id: i64,
        title: Option<&str>,
        site_link: Option<&str>,
        language: Option<&str>,
        ttl_minutes: Option<u32>,
    ) -> Result<(), StoreError> {
        self.tx()
            .prepare_cached(
                "UPDATE feeds SET title = coalesce(?2, title), site_link = coalesce(?3, site_link),
                    language = coalesce(?4, language), ttl_minutes = ?5
                 WHERE id = ?1",
            )?
            .execute(params![feed_id, title, site_link, language, ttl_minutes])?;
        Ok(())
    }

    /// Saves the daemon's polling state after a fetch.
    pub fn save_feed_state(&self, state: &FeedState) -> Result<(), StoreError> {
        self.tx()
            .prepare_cached(
                "UPDATE feeds SET fetch_url = ?2, etag = ?3, last_modified = ?4,
                    last_fetch_at = ?5, next_fetch_at = ?6, last_status = ?7, error_count = ?8,
                    last_error = ?9, disabled = ?10, disabled_reason = ?11,
                    last_success_at = CASE WHEN ?8 = 0 THEN ?5 ELSE last_success_at END
                 WHERE id = ?1",
            )?
            .execute(params![
                state.id,
                state.fetch_url,
                state.etag,
                state.last_modified,
                state.last_fetch_at,
                state.next_fetch_at,
                state.last_status,
                state.error_count,
                state.last_error,
                state.disabled,
                state.disabled_reason,
            ])?;
        Ok(())
    }
}

impl Store {
    /// Every stored feed with its health, in URL order.
    pub fn feeds(&self) -> Result<Vec<FeedRow>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(&format!("{FEED_ROW_SQL} ORDER BY f.url"))?;
        let rows = stmt.query_map([], feed_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The polling state of the feed with this configured URL, if it was ever stored.
    pub fn feed_state(&self, url: &str) -> Result<Option<FeedState>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!("{FEED_STATE_SQL} WHERE url = ?1"))?
            .query_row([url], feed_state)
            .optional()?)
    }

    /// Creates the feed row if needed and returns its polling state.
    pub fn ensure_feed_state(
        &mut self,
        url: &str,
        name: Option<&str>,
    ) -> Result<FeedState, StoreError> {
        let writer = self.writer()?;
        writer.ensure_feed(url, name)?;
        writer.commit()?;
        self.feed_state(url)?
            .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    /// How many items per day the feed published over the last week (dates the feed gave, not
    /// estimated ones), for the adaptive polling interval.
    pub fn items_per_day(
        &self,
        feed_id: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<f64, StoreError> {
        let since = crate::time::format(now - chrono::Duration::days(7));
        let count: i64 = self
            .conn()
            .prepare_cached(
                "SELECT count(*) FROM item_feeds m JOIN items i ON i.id = m.item_id
             WHERE m.feed_id = ?1 AND i.published_estimated = 0 AND i.published_at >= ?2",
            )?
            .query_row(params![feed_id, since], |row| row.get(0))?;
        Ok(count as f64 / 7.0)
    }

    /// Saves polling state in a transaction of its own.
    pub fn save_feed_state(&mut self, state: &FeedState) -> Result<(), StoreError> {
        let writer = self.writer()?;
        writer.save_feed_state(state)?;
        writer.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_never_fetched_reports_never_with_zero_items() {
        let mut store = Store::in_memory().unwrap();
        store.ensure_feed_state("http://a/feed", Some("A")).unwrap();
        let feeds = store.feeds().unwrap();
        assert_eq!(feeds.len(), 1);
        assert_eq!(feeds[0].status, FeedStatus::Never);
        assert_eq!(feeds[0].name.as_deref(), Some("A"));
        assert_eq!(feeds[0].items, 0);
    }

    #[test]
    fn saved_state_round_trips_and_drives_the_status() {
        let mut store = Store::in_memory().unwrap();
        let mut state = store.ensure_feed_state("http://a/feed", None).unwrap();
        state.etag = Some("\"abc\"".into());
        state.last_fetch_at = Some("2026-01-01T00:00:00Z".into());
        state.error_count = 2;
        state.last_error = Some("HTTP 500".into());
        store.save_feed_state(&state).unwrap();
        assert_eq!(store.feed_state("http://a/feed").unwrap().unwrap(), state);
        assert_eq!(store.feeds().unwrap()[0].status, FeedStatus::Error);
    }
}
