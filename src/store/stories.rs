//! Stories in the store: the `stories` table, `items.story_id` and `stories_view`, written as
//! the clusterer (crate::stories) decides and read back for `items --stories` and `story`.
//!
//! A story's stored facts (first and last report, representative item, size) follow its items:
//! each joining item updates them in constant time, and `restory` recomputes them all. Which
//! outlets carried a story is read live from its items (`stories_view`), since keeping a list
//! in the row would cost each new report the length of that list. An item's report
//! time is its feed date, or the time mirsad first saw it when that is earlier (a feed date in
//! the future is a feed's mistake).

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};
use serde::Serialize;

use super::query::{
    ItemFilter, ItemRow, SELECT_ITEMS, item_row, push_filter, push_limit, split_list,
};
use super::{Store, StoreError, Writer};

pub(super) const MIGRATION_STORIES: &str = r#"
CREATE TABLE stories (
    id                     INTEGER PRIMARY KEY,
    first_seen_at          TEXT NOT NULL,
    last_seen_at           TEXT NOT NULL,
    representative_item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,
    size                   INTEGER NOT NULL DEFAULT 0,
    updated_at             TEXT NOT NULL
);
CREATE INDEX stories_last_seen ON stories(last_seen_at);

ALTER TABLE items ADD COLUMN story_id INTEGER REFERENCES stories(id) ON DELETE SET NULL;
CREATE INDEX items_story ON items(story_id);

CREATE VIEW stories_view AS
SELECT
    s.id AS story_id, r.title, r.url, s.representative_item_id, s.first_seen_at, s.last_seen_at,
    (SELECT count(*) FROM items i WHERE i.story_id = s.id) AS item_count,
    (SELECT count(DISTINCT m.feed_id) FROM items i JOIN item_feeds m ON m.item_id = i.id
       WHERE i.story_id = s.id) AS outlet_count,
    (SELECT group_concat(name, ' | ') FROM
       (SELECT DISTINCT coalesce(f.name, f.title, f.url) AS name FROM items i
          JOIN item_feeds m ON m.item_id = i.id JOIN feeds f ON f.id = m.feed_id
          WHERE i.story_id = s.id ORDER BY name)) AS outlets,
    (SELECT group_concat(tag, ' ') FROM
       (SELECT DISTINCT t.tag FROM items i JOIN item_tags t ON t.item_id = i.id
          WHERE i.story_id = s.id ORDER BY t.tag)) AS tags,
    s.updated_at
FROM stories s LEFT JOIN items r ON r.id = s.representative_item_id;
"#;

/// Where the old ids of merged or renumbered stories lead: `mirsad story OLD` and readers of the
/// store follow `old_id` to the story its items went into.
pub(super) const MIGRATION_STORY_ALIASES: &str = r#"
CREATE TABLE story_aliases (
    old_id     INTEGER PRIMARY KEY,
    story_id   INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX story_aliases_story ON story_aliases(story_id);
"#;

/// The `meta` key counting re-clusterings (every settling or `restory` that changed stories),
/// so a clusterer in another process notices one and reloads.
const GENERATION_KEY: &str = "stories_generation";

/// When an item was reported, for clustering and a story's first and last report.
const REPORTED_AT: &str = "min(i.published_at, i.first_seen_at)";

/// What the clusterer reads of a stored item.
#[derive(Debug, Clone, PartialEq)]
pub struct StorySubject {
    pub id: i64,
    /// The item's identity key: what orders two items reported in the same second.
    pub identity: String,
    pub title: String,
    pub summary: String,
    /// The report time (see the module comment).
    pub reported_at: String,
    pub story_id: Option<i64>,
}

const SELECT_SUBJECTS: &str = "SELECT i.id, i.identity, i.title, i.summary,
    min(i.published_at, i.first_seen_at), i.story_id FROM items i";

/// Where an item stands in the order stories are made in, without its text.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryKey {
    pub id: i64,
    pub reported_at: String,
    pub identity: String,
    pub story_id: Option<i64>,
}

/// What a clusterer must match to be current: the count of re-clusterings and the highest
/// story id (another writer's new stories change it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoriesMark {
    pub generation: i64,
    pub max_story_id: i64,
}

/// One story as listings show it.
#[derive(Debug, Clone, Serialize)]
pub struct StoryRow {
    pub id: i64,
    /// The representative item's title and link.
    pub title: String,
    pub url: Option<String>,
    pub representative_item: Option<i64>,
    pub first_seen_at: String,
    pub last_seen_at: String,
    pub items: i64,
    /// Configured URLs of the feeds that carried the story.
    pub feeds: Vec<String>,
    /// Their display names (name, else title, else URL).
    pub outlets: Vec<String>,
    /// The union of its items' tags.
    pub tags: Vec<String>,
}

fn subject(row: &Row<'_>) -> rusqlite::Result<StorySubject> {
    Ok(StorySubject {
        id: row.get(0)?,
        identity: row.get(1)?,
        title: row.get(2)?,
        summary: row.get(3)?,
        reported_at: row.get(4)?,
        story_id: row.get(5)?,
    })
}

/// Recomputes stories' facts from their items; `{which}` selects the stories.
const REFRESH: &str = "UPDATE stories SET
    first_seen_at = coalesce((SELECT min(min(i.published_at, i.first_seen_at)) FROM items i
        WHERE i.story_id = stories.id), first_seen_at),
    last_seen_at = coalesce((SELECT max(min(i.published_at, i.first_seen_at)) FROM items i
        WHERE i.story_id = stories.id), last_seen_at),
    representative_item_id = (SELECT i.id FROM items i WHERE i.story_id = stories.id
        ORDER BY min(i.published_at, i.first_seen_at), i.identity LIMIT 1),
    size = (SELECT count(*) FROM items i WHERE i.story_id = stories.id),
    updated_at = ?1";

/// Adds item ?2, reported at ?4, to story ?1's facts. Every right-hand side reads the row as it
/// was, so `size = 0` tells a story just created (whose times are placeholders) from one with
/// items.
const JOIN_STORY: &str = "UPDATE stories SET
    first_seen_at = CASE WHEN size = 0 OR ?4 < first_seen_at THEN ?4 ELSE first_seen_at END,
    last_seen_at = CASE WHEN size = 0 OR ?4 > last_seen_at THEN ?4 ELSE last_seen_at END,
    representative_item_id = CASE WHEN size = 0 OR representative_item_id IS NULL
        OR ?4 < first_seen_at OR (?4 = first_seen_at AND ?2 < representative_item_id)
        THEN ?2 ELSE representative_item_id END,
    size = size + 1,
    updated_at = ?3
    WHERE id = ?1";

impl Writer<'_> {
    /// The items in stories reported since `from` (in no particular order: the clusterer orders
    /// them itself).
    pub fn settled_subjects_from(&self, from: &str) -> Result<Vec<StorySubject>, StoreError> {
        let sql = format!(
            "{SELECT_SUBJECTS} WHERE i.published_at >= ?1 AND {REPORTED_AT} >= ?1
               AND i.story_id IS NOT NULL"
        );
        let mut stmt = self.tx().prepare_cached(&sql)?;
        let rows = stmt.query_map([from], subject)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The items in stories reported in `[from, to)`, for placing an item that came too late to
    /// re-cluster around it.
    pub fn settled_subjects_between(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<StorySubject>, StoreError> {
        let sql = format!(
            "{SELECT_SUBJECTS} WHERE i.published_at >= ?1 AND {REPORTED_AT} >= ?1
               AND {REPORTED_AT} < ?2 AND i.story_id IS NOT NULL"
        );
        let mut stmt = self.tx().prepare_cached(&sql)?;
        let rows = stmt.query_map([from, to], subject)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The items in no story yet (written since the last settling, or while stories were
    /// off), without their text: settling orders them itself and reads the earliest.
    pub fn unsettled_keys(&self) -> Result<Vec<StoryKey>, StoreError> {
        let sql = format!(
            "SELECT i.id, {REPORTED_AT}, i.identity, i.story_id FROM items i
             WHERE i.story_id IS NULL"
        );
        let mut stmt = self.tx().prepare_cached(&sql)?;
        let rows = stmt.query_map([], |row| {
            Ok(StoryKey {
                id: row.get(0)?,
                reported_at: row.get(1)?,
                identity: row.get(2)?,
                story_id: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One item as the clusterer reads it.
    pub fn story_subject(&self, item_id: i64) -> Result<Option<StorySubject>, StoreError> {
        let sql = format!("{SELECT_SUBJECTS} WHERE i.id = ?1");
        Ok(self
            .tx()
            .prepare_cached(&sql)?
            .query_row([item_id], subject)
            .optional()?)
    }

    /// Every item's id, report time, identity and story, without its text (re-clustering
    /// everything orders these first, then reads each text once, in order).
    pub fn story_keys(&self) -> Result<Vec<StoryKey>, StoreError> {
        let sql = format!("SELECT i.id, {REPORTED_AT}, i.identity, i.story_id FROM items i");
        let mut stmt = self.tx().prepare(&sql)?;
        let rows = stmt.query_map([], |row| {
            Ok(StoryKey {
                id: row.get(0)?,
                reported_at: row.get(1)?,
                identity: row.get(2)?,
                story_id: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// An item's title and summary.
    pub fn story_text(&self, item_id: i64) -> Result<(String, String), StoreError> {
        Ok(self
            .tx()
            .prepare_cached("SELECT title, summary FROM items WHERE id = ?1")?
            .query_row([item_id], |row| Ok((row.get(0)?, row.get(1)?)))?)
    }

    /// The latest report of any item in a story.
    pub fn newest_settled_report(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx()
            .prepare_cached("SELECT max(last_seen_at) FROM stories WHERE size > 0")?
            .query_row([], |row| row.get(0))?)
    }

    /// How many items each of these stories holds (by the stored facts).
    pub fn story_sizes(&self, ids: &[i64]) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut stmt = self
            .tx()
            .prepare_cached("SELECT size FROM stories WHERE id = ?1")?;
        let mut sizes = Vec::with_capacity(ids.len());
        for &id in ids {
            let size: Option<i64> = stmt.query_row([id], |row| row.get(0)).optional()?;
            sizes.push((id, size.unwrap_or(0)));
        }
        Ok(sizes)
    }

    /// Deletes a story whose items all went into `into`, and records that its id now leads
    /// there (as do the ids that led to it).
    pub fn merge_story(&self, old: i64, into: i64, now: &str) -> Result<(), StoreError> {
        self.tx()
            .prepare_cached("DELETE FROM stories WHERE id = ?1")?
            .execute([old])?;
        self.tx()
            .prepare_cached("UPDATE story_aliases SET story_id = ?2 WHERE story_id = ?1")?
            .execute([old, into])?;
        self.tx()
            .prepare_cached(
                "INSERT OR REPLACE INTO story_aliases(old_id, story_id, created_at)
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![old, into, now])?;
        Ok(())
    }

    /// Deletes a story that has no items left and no other story to lead to.
    pub fn delete_story(&self, id: i64) -> Result<(), StoreError> {
        self.tx()
            .prepare_cached("DELETE FROM stories WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// Counts a re-clustering, so clusterers elsewhere reload (see [`StoriesMark`]).
    pub fn bump_stories_generation(&self) -> Result<(), StoreError> {
        let mark = self.stories_mark()?;
        self.set_meta(GENERATION_KEY, &(mark.generation + 1).to_string())
    }

    /// Where the stories stand; see [`StoriesMark`].
    pub fn stories_mark(&self) -> Result<StoriesMark, StoreError> {
        let generation: Option<String> = self
            .tx()
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([GENERATION_KEY], |row| row.get(0))
            .optional()?;
        let max_story_id: Option<i64> = self
            .tx()
            .prepare_cached("SELECT max(id) FROM stories")?
            .query_row([], |row| row.get(0))?;
        Ok(StoriesMark {
            generation: generation.and_then(|g| g.parse().ok()).unwrap_or(0),
            max_story_id: max_story_id.unwrap_or(0),
        })
    }

    /// Starts an empty story and returns its id (its facts follow from its first item). The id
    /// is new: never one a deleted story had, since its alias may still lead elsewhere.
    pub fn create_story(&self, now: &str) -> Result<i64, StoreError> {
        self.tx()
            .prepare_cached(
                "INSERT INTO stories(id, first_seen_at, last_seen_at, updated_at)
                 VALUES (1 + max(coalesce((SELECT max(id) FROM stories), 0),
                                 coalesce((SELECT max(old_id) FROM story_aliases), 0)),
                         ?1, ?1, ?1)",
            )?
            .execute([now])?;
        Ok(self.tx().last_insert_rowid())
    }

    /// Puts an item into a story and brings the story's facts up to date. A story id the store
    /// does not know (its creation was rolled back) is created.
    ///
    /// The facts are updated from the joining item alone, not recomputed from all the story's
    /// items: a story thousands of items long (a feed of near-identical bulletins) must not
    /// make each new report cost its whole length.
    pub fn put_in_story(&self, item_id: i64, story_id: i64, now: &str) -> Result<(), StoreError> {
        self.tx()
            .prepare_cached(
                "INSERT OR IGNORE INTO stories(id, first_seen_at, last_seen_at, updated_at)
                 VALUES (?1, ?2, ?2, ?2)",
            )?
            .execute(params![story_id, now])?;
        let previous = self.item_story(item_id)?;
        if previous == Some(story_id) {
            return Ok(());
        }
        self.set_item_story(item_id, story_id)?;
        let reported_at: String = self
            .tx()
            .prepare_cached(&format!(
                "SELECT {REPORTED_AT} FROM items i WHERE i.id = ?1"
            ))?
            .query_row([item_id], |row| row.get(0))?;
        self.join_story(story_id, item_id, &reported_at, now)?;
        match previous {
            Some(left) => self.refresh_story(left, now),
            None => Ok(()),
        }
    }

    /// Counts an item that was written with `story_id` already set into the story's facts.
    /// `reported_at` is the item's report time (see the module comment).
    pub fn join_story(
        &self,
        story_id: i64,
        item_id: i64,
        reported_at: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        self.tx().prepare_cached(JOIN_STORY)?.execute(params![
            story_id,
            item_id,
            now,
            reported_at
        ])?;
        Ok(())
    }

    /// Sets an item's story without touching the story's facts (see [`Writer::refresh_stories`]).
    pub fn set_item_story(&self, item_id: i64, story_id: i64) -> Result<(), StoreError> {
        self.tx()
            .prepare_cached("UPDATE items SET story_id = ?2 WHERE id = ?1")?
            .execute(params![item_id, story_id])?;
        Ok(())
    }

    /// The story an item is in, if any.
    pub fn item_story(&self, item_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .tx()
            .prepare_cached("SELECT story_id FROM items WHERE id = ?1")?
            .query_row([item_id], |row| row.get(0))
            .optional()?
            .flatten())
    }

    /// Recomputes one story's facts from its items.
    pub fn refresh_story(&self, story_id: i64, now: &str) -> Result<(), StoreError> {
        self.tx()
            .prepare_cached(&format!("{REFRESH} WHERE id = ?2"))?
            .execute(params![now, story_id])?;
        Ok(())
    }

    /// Recomputes every story's facts (after re-clustering).
    pub fn refresh_stories(&self, now: &str) -> Result<(), StoreError> {
        self.tx().execute(REFRESH, [now])?;
        Ok(())
    }
}

pub(super) const SELECT_STORIES: &str = "SELECT s.id, coalesce(r.title, ''), r.url,
    s.representative_item_id, s.first_seen_at, s.last_seen_at,
    (SELECT count(*) FROM items i WHERE i.story_id = s.id),
    (SELECT group_concat(url, char(31)) FROM (SELECT DISTINCT f.url FROM items i
       JOIN item_feeds m ON m.item_id = i.id JOIN feeds f ON f.id = m.feed_id
       WHERE i.story_id = s.id ORDER BY f.url)),
    (SELECT group_concat(name, char(31)) FROM (SELECT DISTINCT coalesce(f.name, f.title, f.url)
       AS name FROM items i JOIN item_feeds m ON m.item_id = i.id JOIN feeds f ON f.id = m.feed_id
       WHERE i.story_id = s.id ORDER BY name)),
    (SELECT group_concat(tag, char(31)) FROM (SELECT DISTINCT t.tag FROM items i
       JOIN item_tags t ON t.item_id = i.id WHERE i.story_id = s.id ORDER BY t.tag))
    FROM stories s LEFT JOIN items r ON r.id = s.representative_item_id";

pub(super) fn story_row(row: &Row<'_>) -> rusqlite::Result<StoryRow> {
    Ok(StoryRow {
        id: row.get(0)?,
        title: row.get(1)?,
        url: row.get(2)?,
        representative_item: row.get(3)?,
        first_seen_at: row.get(4)?,
        last_seen_at: row.get(5)?,
        items: row.get(6)?,
        feeds: split_list(row.get(7)?),
        outlets: split_list(row.get(8)?),
        tags: split_list(row.get(9)?),
    })
}

impl Store {
    /// Stories with at least one item matching `filter`, latest report first.
    pub fn stories(&self, filter: &ItemFilter) -> Result<Vec<StoryRow>, StoreError> {
        let mut sql = format!(
            "{SELECT_STORIES} WHERE s.id IN (SELECT i.story_id FROM items i
               WHERE i.story_id IS NOT NULL"
        );
        let mut values: Vec<Value> = Vec::new();
        push_filter(filter, &mut sql, &mut values);
        sql.push_str(") ORDER BY s.last_seen_at DESC, s.id DESC");
        push_limit(filter, &mut sql, &mut values);
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), story_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One story, if it exists.
    pub fn story(&self, id: i64) -> Result<Option<StoryRow>, StoreError> {
        let sql = format!("{SELECT_STORIES} WHERE s.id = ?1");
        Ok(self.conn().query_row(&sql, [id], story_row).optional()?)
    }

    /// The story a merged or renumbered story's old id now leads to, if it was one.
    pub fn story_alias(&self, old_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT story_id FROM story_aliases WHERE old_id = ?1",
                [old_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// A story's items, earliest report first.
    pub fn story_items(&self, id: i64) -> Result<Vec<ItemRow>, StoreError> {
        let sql =
            format!("{SELECT_ITEMS} WHERE i.story_id = ?1 ORDER BY {REPORTED_AT}, i.identity");
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([id], item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
#[path = "stories_tests.rs"]
mod tests;
