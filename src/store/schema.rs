//! The store's schema and its forward-only migrations.
//!
//! The schema version lives in `PRAGMA user_version`. All pending migrations run in one
//! `BEGIN IMMEDIATE` transaction that reads the version itself, so two processes opening a new
//! database never race (the second waits, then finds nothing to do) and a crash mid-migration
//! leaves the previous version intact. A database written by a newer mirsad (a higher version
//! than [`LATEST_VERSION`]) is refused, never modified; so is another program's database (tables
//! but version 0).

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Migrations in order; migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    V1,
    super::export::MIGRATION_EXPORT,
    super::stories::MIGRATION_STORIES,
    super::judgements::MIGRATION_JUDGEMENTS,
    super::stories::MIGRATION_STORY_ALIASES,
    super::items::MIGRATION_ITEM_OWNER,
    super::items::MIGRATION_PUBLISHED_RAW,
];

/// The schema version this build of mirsad writes.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

const V1: &str = r#"
CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    fetch_url       TEXT,
    name            TEXT,
    title           TEXT,
    site_link       TEXT,
    language        TEXT,
    ttl_minutes     INTEGER,
    etag            TEXT,
    last_modified   TEXT,
    last_fetch_at   TEXT,
    last_success_at TEXT,
    next_fetch_at   TEXT,
    last_status     INTEGER,
    error_count     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    disabled        INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE items (
    id                  INTEGER PRIMARY KEY,
    identity            TEXT NOT NULL UNIQUE,
    identity_kind       TEXT NOT NULL,
    url                 TEXT,
    canonical_url       TEXT,
    guid                TEXT,
    title               TEXT NOT NULL,
    title_html          TEXT,
    summary             TEXT NOT NULL,
    summary_html        TEXT,
    content_html        TEXT,
    body_text           TEXT NOT NULL DEFAULT '',
    author              TEXT,
    categories          TEXT NOT NULL DEFAULT '[]',
    enclosures          TEXT NOT NULL DEFAULT '[]',
    published_at        TEXT NOT NULL,
    published_estimated INTEGER NOT NULL DEFAULT 0,
    upstream_updated_at TEXT,
    first_seen_at       TEXT NOT NULL,
    updated_at          TEXT,
    language            TEXT,
    direction           TEXT NOT NULL DEFAULT 'rtl',
    content_hash        TEXT NOT NULL
);
CREATE INDEX items_published_at ON items(published_at);
CREATE INDEX items_canonical_url ON items(canonical_url);

CREATE TABLE item_feeds (
    item_id       INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    feed_id       INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    guid          TEXT,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (item_id, feed_id)
) WITHOUT ROWID;
CREATE INDEX item_feeds_feed ON item_feeds(feed_id, item_id);

CREATE TABLE item_tags (
    item_id          INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    tag              TEXT NOT NULL,
    score            REAL NOT NULL,
    evidence         TEXT NOT NULL DEFAULT '[]',
    taxonomy_version TEXT NOT NULL,
    tagged_at        TEXT NOT NULL,
    PRIMARY KEY (item_id, tag)
) WITHOUT ROWID;
CREATE INDEX item_tags_tag ON item_tags(tag, item_id);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Normalized, lightly stemmed words (crate::arabic) of each item; rowid = items.id.
CREATE VIRTUAL TABLE items_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0');

CREATE VIEW items_view AS
SELECT
    i.id, i.title, i.url, i.canonical_url, i.published_at, i.first_seen_at, i.updated_at,
    i.author, i.language, i.direction, i.summary,
    (SELECT group_concat(coalesce(f.name, f.title, f.url), ' | ')
       FROM item_feeds m JOIN feeds f ON f.id = m.feed_id WHERE m.item_id = i.id) AS feeds,
    (SELECT group_concat(t.tag, ' ')
       FROM item_tags t WHERE t.item_id = i.id) AS tags
FROM items i;

CREATE VIEW tagged_items AS
SELECT
    t.tag, t.score, i.id AS item_id, i.title, i.url, i.published_at, i.first_seen_at,
    t.evidence, t.taxonomy_version, t.tagged_at
FROM item_tags t JOIN items i ON i.id = t.item_id;
"#;

/// Whether the database holds any table, index, view or trigger.
pub fn has_objects(conn: &Connection) -> Result<bool, StoreError> {
    let count: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))?;
    Ok(count > 0)
}

/// Brings the database to [`LATEST_VERSION`] in one write transaction.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let version = |conn: &Connection| -> Result<i64, StoreError> {
        Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
    };
    // Up to date: no write lock needed.
    if version(conn)? == LATEST_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Read again under the write lock: another process may have migrated meanwhile.
    let current = version(&tx)?;
    if current > LATEST_VERSION {
        return Err(StoreError::TooNew {
            found: current,
            supported: LATEST_VERSION,
        });
    }
    if current == 0 && has_objects(&tx)? {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
        });
    }
    let start = usize::try_from(current).unwrap_or(0);
    for sql in MIGRATIONS.iter().skip(start) {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", LATEST_VERSION)?;
    tx.commit()?;
    tracing::info!(
        from = current,
        to = LATEST_VERSION,
        "migrated the store schema"
    );
    Ok(())
}
