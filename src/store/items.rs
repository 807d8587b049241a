//! Writing items: one [`Writer`] per document, one transaction, prepared statements reused.

use std::cell::RefCell;
use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::StoreError;

/// Everything the store keeps about one item, prepared by the pipeline.
#[derive(Debug, Clone, Default)]
pub struct ItemRecord {
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
    /// Plain text of summary and content together: what the tagger reads.
    pub body_text: String,
    pub author: Option<String>,
    /// JSON array of category strings.
    pub categories: String,
    /// JSON array of `{url, mime, length}` objects.
    pub enclosures: String,
    pub published_at: String,
    /// True when the feed gave no usable date and `published_at` is the first-seen time.
    pub published_estimated: bool,
    /// The feed's own date when it was not trusted (more than a day ahead of the fetch, or
    /// before 1990), kept for the record; `published_at` is then the first-seen time.
    pub published_raw: Option<String>,
    pub upstream_updated_at: Option<String>,
    pub language: Option<String>,
    pub direction: String,
    /// Hash of the stored fields, to tell an upstream edit from a repeat.
    pub content_hash: String,
    /// Normalized, stemmed words for the full-text index.
    pub search_title: String,
    pub search_body: String,
}

/// Each item's owner: the feed that first carried it. Only the owner's copy is ever written to
/// the item, so a feed reusing another outlet's link (say with `?utm_source=x`, which
/// canonicalizes to the same identity) adds a membership but never rewrites the text.
pub(super) const MIGRATION_ITEM_OWNER: &str = r#"
ALTER TABLE items ADD COLUMN owner_feed_id INTEGER REFERENCES feeds(id) ON DELETE SET NULL;
UPDATE items SET owner_feed_id = (
    SELECT m.feed_id FROM item_feeds m WHERE m.item_id = items.id
    ORDER BY m.first_seen_at, m.feed_id LIMIT 1
);
"#;

/// Items keep the feed's date when it is not trusted as the published date (see
/// `ItemRecord::published_raw`).
pub(super) const MIGRATION_PUBLISHED_RAW: &str = "
ALTER TABLE items ADD COLUMN published_raw TEXT;
";

impl super::Store {
    /// The stored content hash of each of `identities` that is already stored.
    pub fn content_hashes<'a>(
        &self,
        identities: impl Iterator<Item = &'a str>,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT content_hash FROM items WHERE identity = ?1")?;
        let mut known = std::collections::HashMap::new();
        for identity in identities {
            if let Some(hash) = stmt
                .query_row([identity], |row| row.get::<_, String>(0))
                .optional()?
            {
                known.insert(identity.to_owned(), hash);
            }
        }
        Ok(known)
    }
}

/// What happened to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    New,
    Updated,
    Unchanged,
}

/// One tag to store with its evidence.
#[derive(Debug, Clone)]
pub struct StoredTag {
    pub tag: String,
    pub score: f64,
    /// JSON array of evidence objects.
    pub evidence: String,
}

/// The transaction one document is written in. Dropping it without [`Writer::commit`] rolls
/// everything back, so a failed document leaves no trace.
pub struct Writer<'c> {
    tx: Transaction<'c>,
    /// Full-text rows (title, body by rowid) written at commit, after every other statement:
    /// FTS5 flushes its pending rows into a new segment whenever a later statement opens a
    /// savepoint, so indexing item by item between other writes made one segment per item and
    /// endless merging. Keyed by rowid, so an item written twice in one transaction (a feed
    /// repeating an entry) is indexed once, and rows go in in rowid order.
    fts_rows: RefCell<BTreeMap<i64, (String, String)>>,
}

impl<'c> Writer<'c> {
    pub(super) fn begin(conn: &'c mut Connection) -> Result<Writer<'c>, StoreError> {
        // IMMEDIATE takes the write lock up front, so a busy reader makes us wait at the start
        // (bounded by busy_timeout) rather than fail halfway through the document.
        let tx = rusqlite::Transaction::new(conn, rusqlite::TransactionBehavior::Immediate)?;
        Ok(Writer {
            tx,
            fts_rows: RefCell::new(BTreeMap::new()),
        })
    }

    pub fn commit(self) -> Result<(), StoreError> {
        let rows = self.fts_rows.take();
        if !rows.is_empty() {
            let mut insert = self
                .tx
                .prepare_cached("INSERT INTO items_fts(rowid, title, body) VALUES (?1, ?2, ?3)")?;
            for (id, (title, body)) in &rows {
                insert.execute(params![id, title, body])?;
            }
        }
        self.tx.commit()?;
        Ok(())
    }

    pub(super) fn tx(&self) -> &Transaction<'c> {
        &self.tx
    }

    /// Inserts or updates `record` and records its membership in `feed_id`.
    pub fn upsert_item(
        &self,
        record: &ItemRecord,
        feed_id: i64,
        now: &str,
    ) -> Result<(i64, UpsertOutcome), StoreError> {
        self.upsert_item_with_story(record, feed_id, now, || Ok(None))
    }

    /// [`Writer::upsert_item`], asking `story` for the story of an item that turns out to be
    /// new, so the row is written once with its story rather than rewritten to add it.
    pub fn upsert_item_with_story(
        &self,
        record: &ItemRecord,
        feed_id: i64,
        now: &str,
        story: impl FnOnce() -> Result<Option<i64>, StoreError>,
    ) -> Result<(i64, UpsertOutcome), StoreError> {
        let existing: Option<(i64, String, Option<i64>)> = self
            .tx
            .prepare_cached(
                "SELECT id, content_hash, owner_feed_id FROM items WHERE identity = ?1",
            )?
            .query_row([&record.identity], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()?;
        let (id, outcome) = match existing {
            None => (
                self.insert(record, story()?, feed_id, now)?,
                UpsertOutcome::New,
            ),
            // Another feed's copy of an item it does not own: membership only (below).
            Some((id, hash, Some(owner))) if hash != record.content_hash && owner != feed_id => {
                tracing::debug!(
                    item = id,
                    owner,
                    feed = feed_id,
                    "another feed carries an item it does not own; its text is not taken"
                );
                (id, UpsertOutcome::Unchanged)
            }
            Some((id, hash, owner)) if hash != record.content_hash => {
                self.update(id, record, now)?;
                if owner.is_none() {
                    self.tx
                        .prepare_cached("UPDATE items SET owner_feed_id = ?2 WHERE id = ?1")?
                        .execute(params![id, feed_id])?;
                }
                (id, UpsertOutcome::Updated)
            }
            Some((id, _, _)) => (id, UpsertOutcome::Unchanged),
        };
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO item_feeds(item_id, feed_id, guid, first_seen_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![id, feed_id, record.guid, now])?;
        Ok((id, outcome))
    }

    fn insert(
        &self,
        r: &ItemRecord,
        story: Option<i64>,
        owner: i64,
        now: &str,
    ) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO items(identity, identity_kind, url, canonical_url, guid, title,
                    title_html, summary, summary_html, content_html, author, categories,
                    enclosures, published_at, published_estimated, upstream_updated_at,
                    first_seen_at, language, direction, content_hash, body_text, story_id,
                    owner_feed_id, published_raw)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
            )?
            .execute(params![
                r.identity,
                r.identity_kind,
                r.url,
                r.canonical_url,
                r.guid,
                r.title,
                r.title_html,
                r.summary,
                r.summary_html,
                r.content_html,
                r.author,
                r.categories,
                r.enclosures,
                r.published_at,
                r.published_estimated,
                r.upstream_updated_at,
                now,
                r.language,
                r.direction,
                r.content_hash,
                r.body_text,
                story,
                owner,
                r.published_raw,
            ])?;
        let id = self.tx.last_insert_rowid();
        self.index(id, r);
        Ok(id)
    }

    fn update(&self, id: i64, r: &ItemRecord, now: &str) -> Result<(), StoreError> {
        // first_seen_at is deliberately left alone; a date the feed never gave stays estimated
        // from the first sighting rather than jumping to now.
        self.tx
            .prepare_cached(
                "UPDATE items SET url = ?2, canonical_url = ?3, guid = ?4, title = ?5,
                    title_html = ?6, summary = ?7, summary_html = ?8, content_html = ?9,
                    author = ?10, categories = ?11, enclosures = ?12,
                    published_at = CASE WHEN ?14 THEN published_at ELSE ?13 END,
                    published_estimated = CASE WHEN ?14 THEN published_estimated ELSE 0 END,
                    upstream_updated_at = ?15, language = ?16, direction = ?17,
                    content_hash = ?18, updated_at = ?19, body_text = ?20, published_raw = ?21
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                r.url,
                r.canonical_url,
                r.guid,
                r.title,
                r.title_html,
                r.summary,
                r.summary_html,
                r.content_html,
                r.author,
                r.categories,
                r.enclosures,
                r.published_at,
                r.published_estimated,
                r.upstream_updated_at,
                r.language,
                r.direction,
                r.content_hash,
                now,
                r.body_text,
                r.published_raw,
            ])?;
        self.tx
            .prepare_cached("DELETE FROM items_fts WHERE rowid = ?1")?
            .execute([id])?;
        self.index(id, r);
        Ok(())
    }

    /// Queues the item's full-text row for the commit.
    fn index(&self, id: i64, r: &ItemRecord) {
        self.fts_rows
            .borrow_mut()
            .insert(id, (r.search_title.clone(), r.search_body.clone()));
    }

    /// Sets a value in the `meta` table inside this transaction.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, value])?;
        Ok(())
    }

    /// Replaces an item's tags with `tags`, all stamped with the taxonomy `version`.
    pub fn replace_tags(
        &self,
        item_id: i64,
        tags: &[StoredTag],
        version: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM item_tags WHERE item_id = ?1")?
            .execute([item_id])?;
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO item_tags(item_id, tag, score, evidence, taxonomy_version, tagged_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for tag in tags {
            insert.execute(params![
                item_id,
                tag.tag,
                tag.score,
                tag.evidence,
                version,
                now
            ])?;
        }
        self.apply_judgement(item_id, version, now)
    }
}

#[cfg(test)]
impl ItemRecord {
    /// The least a test item needs: identity, title and date, with a content hash that changes
    /// with the title and the title as its search words.
    pub(crate) fn sample(identity: &str, title: &str, published: &str) -> ItemRecord {
        ItemRecord {
            identity: identity.into(),
            identity_kind: "link".into(),
            title: title.into(),
            published_at: published.into(),
            direction: "rtl".into(),
            content_hash: format!("h-{identity}-{title}"),
            search_title: title.into(),
            categories: "[]".into(),
            enclosures: "[]".into(),
            ..ItemRecord::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    pub(crate) fn record(identity: &str, title: &str) -> ItemRecord {
        ItemRecord::sample(identity, title, "2026-01-01T00:00:00Z")
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn same_identity_twice_is_one_row_and_unchanged() {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let feed = w.ensure_feed("http://a/feed", None).unwrap();
        let (id1, o1) = w.upsert_item(&record("url:x", "t"), feed, "T1").unwrap();
        let (id2, o2) = w.upsert_item(&record("url:x", "t"), feed, "T2").unwrap();
        w.commit().unwrap();
        assert_eq!((o1, o2), (UpsertOutcome::New, UpsertOutcome::Unchanged));
        assert_eq!(id1, id2);
        assert_eq!(count(&store, "SELECT count(*) FROM items"), 1);
        assert_eq!(count(&store, "SELECT count(*) FROM items_fts"), 1);
    }

    /// Issue 15, point 3: a feed reusing another outlet's link must not rewrite its item.
    #[test]
    fn another_feed_carrying_an_item_adds_a_membership_and_never_rewrites_its_text() {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let outlet = w.ensure_feed("http://outlet/feed", None).unwrap();
        let forger = w.ensure_feed("http://forger/feed", None).unwrap();
        let (id, _) = w
            .upsert_item(&record("url:x", "real"), outlet, "T1")
            .unwrap();
        let (forged, outcome) = w
            .upsert_item(&record("url:x", "forged"), forger, "T2")
            .unwrap();
        assert_eq!((forged, outcome), (id, UpsertOutcome::Unchanged));
        // The outlet's own edits still go in, and the forger's next visit changes nothing.
        let (_, edited) = w
            .upsert_item(&record("url:x", "edited"), outlet, "T3")
            .unwrap();
        let (_, again) = w
            .upsert_item(&record("url:x", "forged"), forger, "T4")
            .unwrap();
        w.commit().unwrap();
        assert_eq!(
            (edited, again),
            (UpsertOutcome::Updated, UpsertOutcome::Unchanged)
        );
        let title: String = store
            .conn()
            .query_row("SELECT title FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(title, "edited");
        assert_eq!(count(&store, "SELECT count(*) FROM item_feeds"), 2);
        assert_eq!(
            count(&store, "SELECT owner_feed_id FROM items"),
            outlet,
            "the owner is the first feed"
        );
    }

    #[test]
    fn changed_content_updates_the_row_and_keeps_first_seen() {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let feed = w.ensure_feed("http://a/feed", None).unwrap();
        w.upsert_item(&record("url:x", "old"), feed, "T1").unwrap();
        let (_, outcome) = w.upsert_item(&record("url:x", "new"), feed, "T2").unwrap();
        w.commit().unwrap();
        assert_eq!(outcome, UpsertOutcome::Updated);
        let (title, first, updated): (String, String, String) = store
            .conn()
            .query_row(
                "SELECT title, first_seen_at, updated_at FROM items",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (title.as_str(), first.as_str(), updated.as_str()),
            ("new", "T1", "T2")
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM items_fts WHERE items_fts MATCH 'new'"
            ),
            1
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM items_fts WHERE items_fts MATCH 'old'"
            ),
            0
        );
    }

    #[test]
    fn one_item_in_two_feeds_has_two_memberships() {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let a = w.ensure_feed("http://a/feed", None).unwrap();
        let b = w.ensure_feed("http://b/feed", None).unwrap();
        w.upsert_item(&record("url:x", "t"), a, "T1").unwrap();
        w.upsert_item(&record("url:x", "t"), b, "T1").unwrap();
        w.commit().unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM items"), 1);
        assert_eq!(count(&store, "SELECT count(*) FROM item_feeds"), 2);
    }

    #[test]
    fn uncommitted_writer_leaves_nothing() {
        let mut store = Store::in_memory().unwrap();
        {
            let w = store.writer().unwrap();
            let feed = w.ensure_feed("http://a/feed", None).unwrap();
            w.upsert_item(&record("url:x", "t"), feed, "T1").unwrap();
        }
        assert_eq!(count(&store, "SELECT count(*) FROM items"), 0);
        assert_eq!(count(&store, "SELECT count(*) FROM feeds"), 0);
    }

    #[test]
    fn identity_is_unique_in_the_schema_not_only_in_code() {
        let store = Store::in_memory().unwrap();
        let insert = "INSERT INTO items(identity, identity_kind, title, summary, published_at,
            first_seen_at, content_hash) VALUES ('k', 'link', 't', '', 'x', 'x', 'h')";
        store.conn().execute(insert, []).unwrap();
        assert!(store.conn().execute(insert, []).is_err());
    }

    #[test]
    fn tags_are_replaced_not_accumulated() {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let feed = w.ensure_feed("http://a/feed", None).unwrap();
        let (id, _) = w.upsert_item(&record("url:x", "t"), feed, "T1").unwrap();
        let tag = |t: &str| StoredTag {
            tag: t.into(),
            score: 1.0,
            evidence: "[]".into(),
        };
        w.replace_tags(id, &[tag("ai-infra"), tag("ai-infra/chips")], "v1", "T1")
            .unwrap();
        w.replace_tags(id, &[tag("ai-infra")], "v2", "T2").unwrap();
        w.commit().unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM item_tags"), 1);
    }

    #[test]
    fn a_full_database_fails_clearly_keeps_what_was_stored_and_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("full.db")).unwrap();
        let w = store.writer().unwrap();
        let feed = w.ensure_feed("http://a/feed", None).unwrap();
        w.upsert_item(&record("url:kept", "kept"), feed, "T1")
            .unwrap();
        w.commit().unwrap();
        let pages: i64 = store
            .conn()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        store.limit_pages_for_testing(pages).unwrap();

        let big = "نص ".repeat(20_000);
        let write_many = |store: &mut Store| -> Result<(), StoreError> {
            let w = store.writer()?;
            for i in 0..50 {
                let mut r = record(&format!("url:{i}"), &format!("t{i}"));
                r.body_text = big.clone();
                r.search_body = big.clone();
                w.upsert_item(&r, feed, "T2")?;
            }
            w.commit()
        };
        let err = write_many(&mut store).unwrap_err();
        assert!(matches!(err, StoreError::Full(_)), "{err}");
        assert!(err.to_string().contains("full"), "{err}");
        assert_eq!(count(&store, "SELECT count(*) FROM items"), 1);
        assert!(store.integrity_check().unwrap());

        store.limit_pages_for_testing(1_000_000).unwrap();
        write_many(&mut store).unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM items"), 51);
    }

    #[test]
    fn a_read_only_database_gives_a_clear_error_and_stays_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro.db");
        {
            let mut store = Store::open(&path).unwrap();
            let w = store.writer().unwrap();
            let feed = w.ensure_feed("http://a/feed", None).unwrap();
            w.upsert_item(&record("url:kept", "kept"), feed, "T1")
                .unwrap();
            w.commit().unwrap();
        }
        let conn = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut store = Store {
            conn,
            path: path.clone(),
        };
        let err = store.writer().and_then(|w| {
            let feed = w.ensure_feed("http://b/feed", None)?;
            w.upsert_item(&record("url:new", "new"), feed, "T2")?;
            w.commit()
        });
        let err = err.unwrap_err();
        assert!(matches!(err, StoreError::ReadOnly(_)), "{err}");
        assert!(err.to_string().contains("read-only"), "{err}");
        assert_eq!(count(&store, "SELECT count(*) FROM items"), 1);
    }
}
