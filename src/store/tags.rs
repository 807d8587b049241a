//! Reading items back for (re)tagging, and the taxonomy version the tags were made with.

use rusqlite::params;

use super::{Store, StoreError};

/// What the tagger reads of one stored item, with the tags it has now.
#[derive(Debug, Clone)]
pub struct TagSubject {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
}

/// The `meta` key holding the version of the taxonomy every stored tag was made with.
pub const TAXONOMY_VERSION_KEY: &str = "taxonomy_version";

impl Store {
    pub fn count_items(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM items", [], |row| row.get(0))?)
    }

    /// Stored tags made with a taxonomy other than `version`.
    pub fn count_stale_tags(&self, version: &str) -> Result<i64, StoreError> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM item_tags WHERE taxonomy_version != ?1",
            [version],
            |row| row.get(0),
        )?)
    }

    /// Up to `limit` items with ids above `after_id`, in id order.
    pub fn tag_subjects(&self, after_id: i64, limit: usize) -> Result<Vec<TagSubject>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT i.id, i.title, i.body_text,
                (SELECT group_concat(tag, char(31)) FROM item_tags t WHERE t.item_id = i.id)
             FROM items i WHERE i.id > ?1 ORDER BY i.id LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![after_id, limit], |row| {
            let tags: Option<String> = row.get(3)?;
            Ok(TagSubject {
                id: row.get(0)?,
                title: row.get(1)?,
                body: row.get(2)?,
                tags: tags
                    .map(|t| t.split('\u{1f}').map(str::to_owned).collect())
                    .unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
