//! Re-applying the taxonomy to stored items, in batches of one transaction each.
//!
//! The last finished batch is remembered in the store (`meta`), so an interrupted retag resumes
//! where it stopped. There is one cursor, naming the taxonomy of the run it belongs to: a retag
//! with another taxonomy starts over and takes the cursor, and a finished retag clears it, so a
//! stale cursor can never make a later "complete" retag skip items that another run retagged.
//! The store is taken per batch, so the daemon can retag in the background while its fetches
//! keep writing.

use std::collections::BTreeMap;
use std::ops::DerefMut;

use crate::pipeline::stored_tags;
use crate::store::{Store, StoreError, TAXONOMY_VERSION_KEY};
use crate::tagger::Tagger;

const BATCH: usize = 1000;

/// The `meta` key of the one retag cursor: `VERSION:LAST_ID`.
const CURSOR_KEY: &str = "retag_cursor";

/// Tags added and removed per tag.
#[derive(Debug, Default)]
pub struct RetagSummary {
    pub items: usize,
    pub added: BTreeMap<String, usize>,
    pub removed: BTreeMap<String, usize>,
}

/// True when stored tags were made with another taxonomy or model than the tagger's.
pub fn is_stale(store: &Store, tagger: &Tagger) -> Result<bool, StoreError> {
    let version = tagger.version();
    match store.meta(TAXONOMY_VERSION_KEY)? {
        Some(stored) => Ok(stored != version),
        None if store.count_items()? == 0 => {
            store.set_meta(TAXONOMY_VERSION_KEY, version)?;
            Ok(false)
        }
        None => Ok(store.count_stale_tags(version)? > 0),
    }
}

/// What the analyst says about one item's tags (`mirsad label`, the web item page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Tags judged right and tags judged wrong (`ai-infra` wrong: not AI infrastructure).
    Judge {
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// Withdraw every judgement on the item.
    Clear,
}

/// Records `verdict` on item `item_id` and retags the item at once, in one transaction, so its
/// stored tags agree with the judgement before anyone reads them.
pub fn record_judgement(
    store: &mut Store,
    tagger: &Tagger,
    item_id: i64,
    verdict: &Verdict,
) -> Result<(), StoreError> {
    let version = tagger.version().to_owned();
    let now = crate::time::now();
    let subject = store
        .tag_subjects(item_id.saturating_sub(1), 1)?
        .into_iter()
        .find(|s| s.id == item_id)
        .ok_or(StoreError::NoSuchItem(item_id))?;
    let writer = store.writer()?;
    match verdict {
        Verdict::Clear => {
            writer.clear_judgement(item_id)?;
        }
        Verdict::Judge { add, remove } => writer.judge(item_id, add, remove, &now)?,
    }
    let tags = stored_tags(tagger, &subject.title, &subject.body);
    writer.replace_tags(item_id, &tags, &version, &now)?;
    writer.commit()
}

/// Retags every item. `store` is called once per batch for the store to use; `on_batch` hears
/// how many items each batch covered.
pub fn retag_all<G: DerefMut<Target = Store>>(
    mut store: impl FnMut() -> G,
    tagger: &Tagger,
    restart: bool,
    mut on_batch: impl FnMut(usize),
) -> Result<RetagSummary, StoreError> {
    let version = tagger.version().to_owned();
    let cursor = store().meta(CURSOR_KEY)?;
    let mut after_id: i64 = match cursor.as_deref().and_then(|c| c.split_once(':')) {
        Some((run, id)) if run == version && !restart => id.parse().unwrap_or(0),
        _ => 0,
    };
    if after_id > 0 {
        tracing::info!(after_id, "resuming an interrupted retag");
    }
    let mut summary = RetagSummary::default();
    loop {
        let mut guard = store();
        let store: &mut Store = &mut guard;
        let batch = store.tag_subjects(after_id, BATCH)?;
        let Some(last) = batch.last() else { break };
        let last_id = last.id;
        let now = crate::time::now();
        let writer = store.writer()?;
        for subject in &batch {
            let tags = stored_tags(tagger, &subject.title, &subject.body);
            for tag in &tags {
                if !subject.tags.contains(&tag.tag) {
                    *summary.added.entry(tag.tag.clone()).or_default() += 1;
                }
            }
            for old in &subject.tags {
                if !tags.iter().any(|t| &t.tag == old) {
                    *summary.removed.entry(old.clone()).or_default() += 1;
                }
            }
            writer.replace_tags(subject.id, &tags, &version, &now)?;
        }
        writer.set_meta(CURSOR_KEY, &format!("{version}:{last_id}"))?;
        writer.commit()?;
        summary.items += batch.len();
        on_batch(batch.len());
        after_id = last_id;
    }
    let store = store();
    store.set_meta(TAXONOMY_VERSION_KEY, &version)?;
    store.set_meta(CURSOR_KEY, "")?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tagger::Taxonomy;

    fn store_with_items(count: usize) -> Store {
        let store = Store::in_memory().unwrap();
        for i in 0..count {
            store
                .conn()
                .execute(
                    "INSERT INTO items(identity, identity_kind, title, summary, body_text,
                         published_at, first_seen_at, content_hash)
                     VALUES (?1, 'url', ?2, '', ?2, '2026-01-01T00:00:00Z',
                         '2026-01-01T00:00:00Z', 'h')",
                    rusqlite::params![
                        format!("https://x.example/{i}"),
                        "إنفيديا تطلق رقائق جديدة لمراكز البيانات والذكاء الاصطناعي"
                    ],
                )
                .unwrap();
        }
        store
    }

    fn tags_of_version(store: &Store, version: &str) -> (i64, i64) {
        let total: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM item_tags", [], |r| r.get(0))
            .unwrap();
        (total, total - store.count_stale_tags(version).unwrap())
    }

    #[test]
    fn a_stale_cursor_never_makes_a_complete_retag_skip_items() {
        let a = Tagger::new(Taxonomy::builtin());
        let text = include_str!("../config/taxonomy.toml").replacen(
            "threshold = 1.0",
            "threshold = 1.1",
            1,
        );
        let b = Tagger::new(Taxonomy::from_toml(&text, "b").unwrap());
        assert_ne!(a.taxonomy().version(), b.taxonomy().version());
        let store = std::sync::Mutex::new(store_with_items(2 * BATCH + 10));
        let lock = || store.lock().unwrap_or_else(|p| p.into_inner());

        // B is interrupted after its first batch ...
        let interrupted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            retag_all(lock, &b, false, |_| panic!("interrupted"))
        }));
        assert!(interrupted.is_err());
        // ... A's retag completes ...
        retag_all(lock, &a, false, |_| {}).unwrap();
        // ... and B's "resumes": it must retag every item, not only those after B's old cursor.
        let summary = retag_all(lock, &b, false, |_| {}).unwrap();
        assert_eq!(summary.items, 2 * BATCH + 10);
        let (total, of_b) = tags_of_version(&lock(), b.version());
        assert!(total > 0, "the items are tagged");
        assert_eq!(of_b, total, "every tag is B's");
    }

    #[test]
    fn an_interrupted_retag_resumes_after_its_last_batch() {
        let a = Tagger::new(Taxonomy::builtin());
        let store = std::sync::Mutex::new(store_with_items(BATCH + 5));
        let lock = || store.lock().unwrap_or_else(|p| p.into_inner());
        let interrupted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            retag_all(lock, &a, false, |_| panic!("interrupted"))
        }));
        assert!(interrupted.is_err());
        let summary = retag_all(lock, &a, false, |_| {}).unwrap();
        assert_eq!(summary.items, 5);
        assert_eq!(lock().meta(CURSOR_KEY).unwrap().as_deref(), Some(""));
    }
}
