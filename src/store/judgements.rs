//! The analyst's judgements: tags added or removed by hand, which always win over the tagger.
//!
//! A judgement is a verdict on one tag of one item: `add` (the tag is right) or `remove` (it is
//! wrong). "Not AI infrastructure at all" is `remove` on the umbrella `ai-infra`. Judgements live
//! in their own table and are applied every time an item's tags are written
//! ([`Writer::replace_tags`]), so a retag, a changed item or a new model never undoes them.
//! Tags a judgement added are stored with `origin = 'hand'`.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::items::Writer;
use super::{Store, StoreError};
use crate::tagger::{SUBTOPICS, UMBRELLA};

pub(super) const MIGRATION_JUDGEMENTS: &str = r#"
CREATE TABLE judgements (
    item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    verdict   TEXT NOT NULL CHECK (verdict IN ('add', 'remove')),
    judged_at TEXT NOT NULL,
    PRIMARY KEY (item_id, tag)
) WITHOUT ROWID;

ALTER TABLE item_tags ADD COLUMN origin TEXT NOT NULL DEFAULT 'tagger';

DROP VIEW tagged_items;
CREATE VIEW tagged_items AS
SELECT
    t.tag, t.score, i.id AS item_id, i.title, i.url, i.published_at, i.first_seen_at,
    t.evidence, t.taxonomy_version, t.tagged_at, t.origin
FROM item_tags t JOIN items i ON i.id = t.item_id;
"#;

/// What the analyst said about one item's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Judgement {
    /// Tags judged right, in tag order.
    pub add: Vec<String>,
    /// Tags judged wrong, in tag order (`ai-infra` here means "not AI infrastructure").
    pub remove: Vec<String>,
    /// When the latest verdict was given.
    pub at: String,
}

impl Judgement {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }

    /// Whether the analyst said the item is not AI infrastructure at all.
    pub fn not_ai_infra(&self) -> bool {
        self.remove.iter().any(|t| t == UMBRELLA)
    }

    /// `tags` (the tagger's) corrected by this judgement: removed tags go, added tags come, an
    /// added subtopic brings the umbrella, and an umbrella left with no subtopic goes unless it
    /// was added by hand. "Not AI infrastructure" removes every `ai-infra` tag.
    pub fn apply<'t>(&'t self, tags: &[&'t str]) -> Vec<&'t str> {
        let mut out: Vec<&str> = tags
            .iter()
            .copied()
            .filter(|t| !self.remove.iter().any(|r| r == t))
            .filter(|t| !(self.not_ai_infra() && is_ai_infra(t)))
            .collect();
        for tag in &self.add {
            if !out.contains(&tag.as_str()) {
                out.push(tag);
            }
        }
        let has_subtopic = out.iter().any(|t| SUBTOPICS.contains(t));
        if has_subtopic && !out.contains(&UMBRELLA) {
            out.push(UMBRELLA);
        }
        if !has_subtopic && !self.add.iter().any(|t| t == UMBRELLA) {
            out.retain(|t| *t != UMBRELLA);
        }
        out.sort_by_key(|t| tag_rank(t));
        out
    }
}

fn is_ai_infra(tag: &str) -> bool {
    tag == UMBRELLA || SUBTOPICS.contains(&tag)
}

/// Umbrella first, then subtopics in their canonical order, then anything else.
fn tag_rank(tag: &str) -> usize {
    if tag == UMBRELLA {
        0
    } else {
        SUBTOPICS
            .iter()
            .position(|s| *s == tag)
            .map_or(SUBTOPICS.len() + 1, |i| i + 1)
    }
}

/// A judged item as a labelled corpus row: what `judgements export` writes and what
/// `train --with-judgements` learns from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgedItem {
    pub item_id: i64,
    pub title: String,
    pub summary: String,
    pub url: Option<String>,
    /// The item's tags as they stand, judgements applied.
    pub labels: Vec<String>,
    pub judgement: Judgement,
}

fn read_judgement(
    rows: impl Iterator<Item = rusqlite::Result<(String, String, String)>>,
) -> Result<Judgement, StoreError> {
    let mut judgement = Judgement::default();
    for row in rows {
        let (tag, verdict, at) = row?;
        if at > judgement.at {
            judgement.at = at;
        }
        match verdict.as_str() {
            "add" => judgement.add.push(tag),
            _ => judgement.remove.push(tag),
        }
    }
    Ok(judgement)
}

const SELECT_VERDICTS: &str =
    "SELECT tag, verdict, judged_at FROM judgements WHERE item_id = ?1 ORDER BY tag";

impl Writer<'_> {
    /// The judgement on `item_id` (empty when there is none).
    pub(super) fn judgement(&self, item_id: i64) -> Result<Judgement, StoreError> {
        let mut stmt = self.tx().prepare_cached(SELECT_VERDICTS)?;
        let rows = stmt.query_map([item_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        read_judgement(rows)
    }

    /// Records verdicts on `item_id`'s tags, replacing earlier verdicts on the same tags. A
    /// "not AI infrastructure" verdict clears every other verdict on the item; adding a tag
    /// withdraws an earlier "not AI infrastructure".
    pub fn judge(
        &self,
        item_id: i64,
        add: &[String],
        remove: &[String],
        now: &str,
    ) -> Result<(), StoreError> {
        let exists: Option<i64> = self
            .tx()
            .query_row("SELECT id FROM items WHERE id = ?1", [item_id], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_none() {
            return Err(StoreError::NoSuchItem(item_id));
        }
        if remove.iter().any(|t| t == UMBRELLA) {
            self.tx()
                .execute("DELETE FROM judgements WHERE item_id = ?1", [item_id])?;
        }
        if !add.is_empty() {
            self.tx().execute(
                "DELETE FROM judgements WHERE item_id = ?1 AND tag = ?2 AND verdict = 'remove'",
                params![item_id, UMBRELLA],
            )?;
        }
        let mut upsert = self.tx().prepare_cached(
            "INSERT INTO judgements(item_id, tag, verdict, judged_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(item_id, tag) DO UPDATE SET verdict = excluded.verdict,
                                                    judged_at = excluded.judged_at",
        )?;
        for tag in add {
            upsert.execute(params![item_id, tag, "add", now])?;
        }
        for tag in remove {
            upsert.execute(params![item_id, tag, "remove", now])?;
        }
        Ok(())
    }

    /// Withdraws every verdict on `item_id`; the caller retags it.
    pub fn clear_judgement(&self, item_id: i64) -> Result<usize, StoreError> {
        Ok(self
            .tx()
            .execute("DELETE FROM judgements WHERE item_id = ?1", [item_id])?)
    }

    /// Rewrites `item_id`'s stored tags so they agree with its judgement: tags judged wrong are
    /// deleted, tags judged right are stored with `origin = 'hand'`.
    pub(super) fn apply_judgement(
        &self,
        item_id: i64,
        version: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        let judgement = self.judgement(item_id)?;
        if judgement.is_empty() {
            return Ok(());
        }
        let current: Vec<String> = {
            let mut stmt = self
                .tx()
                .prepare_cached("SELECT tag FROM item_tags WHERE item_id = ?1")?;
            stmt.query_map([item_id], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        let current_refs: Vec<&str> = current.iter().map(String::as_str).collect();
        let wanted = judgement.apply(&current_refs);
        let mut delete = self
            .tx()
            .prepare_cached("DELETE FROM item_tags WHERE item_id = ?1 AND tag = ?2")?;
        for tag in current_refs.iter().filter(|t| !wanted.contains(t)) {
            delete.execute(params![item_id, tag])?;
        }
        let evidence = r#"[{"rule":"judgement","matched":"set by hand","field":"title","position":0,"weight":1.0}]"#;
        let mut insert = self.tx().prepare_cached(
            "INSERT INTO item_tags(item_id, tag, score, evidence, taxonomy_version, tagged_at, origin)
             VALUES (?1, ?2, 1.0, ?3, ?4, ?5, 'hand')
             ON CONFLICT(item_id, tag) DO UPDATE SET origin = 'hand'",
        )?;
        for tag in wanted.iter().filter(|t| !current_refs.contains(t)) {
            insert.execute(params![item_id, tag, evidence, version, now])?;
        }
        let mut mark = self.tx().prepare_cached(
            "UPDATE item_tags SET origin = 'hand' WHERE item_id = ?1 AND tag = ?2",
        )?;
        for tag in &judgement.add {
            mark.execute(params![item_id, tag])?;
        }
        Ok(())
    }
}

impl Store {
    /// The judgement on `item_id`, if the analyst gave one.
    pub fn judgement(&self, item_id: i64) -> Result<Option<Judgement>, StoreError> {
        let mut stmt = self.conn().prepare_cached(SELECT_VERDICTS)?;
        let rows = stmt.query_map([item_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let judgement = read_judgement(rows)?;
        Ok((!judgement.is_empty()).then_some(judgement))
    }

    /// Every judged item with its corrected labels, oldest judgement first.
    pub fn judged_items(&self) -> Result<Vec<JudgedItem>, StoreError> {
        let ids: Vec<i64> = {
            let mut stmt = self.conn().prepare(
                "SELECT item_id FROM judgements GROUP BY item_id ORDER BY max(judged_at), item_id",
            )?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            let (title, summary, url): (String, String, Option<String>) = self.conn().query_row(
                "SELECT title, summary, url FROM items WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let labels: Vec<String> = {
                let mut stmt = self
                    .conn()
                    .prepare_cached("SELECT tag FROM item_tags WHERE item_id = ?1")?;
                stmt.query_map([id], |r| r.get(0))?
                    .collect::<Result<_, _>>()?
            };
            let judgement = self.judgement(id)?.unwrap_or_default();
            let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
            let labels = judgement
                .apply(&label_refs)
                .into_iter()
                .map(str::to_owned)
                .collect();
            items.push(JudgedItem {
                item_id: id,
                title,
                summary,
                url,
                labels,
                judgement,
            });
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judgement(add: &[&str], remove: &[&str]) -> Judgement {
        Judgement {
            add: add.iter().map(|s| s.to_string()).collect(),
            remove: remove.iter().map(|s| s.to_string()).collect(),
            at: "2026-12-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn adding_a_subtopic_brings_the_umbrella() {
        let j = judgement(&["ai-infra/energy"], &[]);
        assert_eq!(j.apply(&[]), vec!["ai-infra", "ai-infra/energy"]);
    }

    #[test]
    fn not_ai_infra_removes_every_ai_infra_tag() {
        let j = judgement(&[], &["ai-infra"]);
        assert!(j.not_ai_infra());
        assert!(
            j.apply(&["ai-infra", "ai-infra/chips", "ai-infra/compute"])
                .is_empty()
        );
    }

    #[test]
    fn removing_the_only_subtopic_drops_the_umbrella() {
        let j = judgement(&[], &["ai-infra/chips"]);
        assert!(j.apply(&["ai-infra", "ai-infra/chips"]).is_empty());
        let kept = j.apply(&["ai-infra", "ai-infra/chips", "ai-infra/energy"]);
        assert_eq!(kept, vec!["ai-infra", "ai-infra/energy"]);
    }

    #[test]
    fn tags_come_out_in_canonical_order() {
        let j = judgement(&["ai-infra/datacenters"], &[]);
        assert_eq!(
            j.apply(&["ai-infra/investment", "ai-infra"]),
            vec!["ai-infra", "ai-infra/datacenters", "ai-infra/investment"]
        );
    }
}
