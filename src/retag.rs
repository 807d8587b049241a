//! Re-applying the taxonomy to stored items, in batches of one transaction each.
//!
//! The last finished batch is remembered in the store (`meta`), so an interrupted retag resumes
//! where it stopped. The store is taken per batch, so the daemon can retag in the background
//! while its fetches keep writing.

use std::collections::BTreeMap;
use std::ops::DerefMut;

use crate::pipeline::stored_tags;
use crate::store::{Store, StoreError, TAXONOMY_VERSION_KEY};
use crate::tagger::Tagger;

const BATCH: usize = 1000;

/// Tags added and removed per tag.
#[derive(Debug, Default)]
pub struct RetagSummary {
    pub items: usize,
    pub added: BTreeMap<String, usize>,
    pub removed: BTreeMap<String, usize>,
}

/// True when stored tags were made with another taxonomy than the tagger's.
pub fn is_stale(store: &Store, tagger: &Tagger) -> Result<bool, StoreError> {
    let version = tagger.taxonomy().version();
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
    let version = tagger.taxonomy().version().to_owned();
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
    let version = tagger.taxonomy().version().to_owned();
    let cursor_key = format!("retag_cursor:{version}");
    let mut after_id: i64 = match store().meta(&cursor_key)? {
        Some(id) if !restart => id.parse().unwrap_or(0),
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
        writer.set_meta(&cursor_key, &last_id.to_string())?;
        writer.commit()?;
        summary.items += batch.len();
        on_batch(batch.len());
        after_id = last_id;
    }
    let store = store();
    store.set_meta(TAXONOMY_VERSION_KEY, &version)?;
    store.set_meta(&cursor_key, "0")?;
    Ok(summary)
}
