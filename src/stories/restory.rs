//! Re-clustering every stored item from scratch (`mirsad restory`).
//!
//! All items go through a fresh clusterer in [`OrderKey`] order (report time, then identity
//! hash), inside one transaction: readers see the old stories or the new ones, never half of
//! each, and the same items always give the same stories, however they arrived. Stories keep
//! their ids where they can (crate::stories::settle); a story merged into another leaves its id
//! as an alias. A running daemon notices the new stories on its next settling and reloads.

use std::collections::HashSet;
use std::convert::Infallible;

use chrono::DateTime;

use super::cluster::OrderKey;
use super::settle::{self, Replayed};
use super::{Clusterer, Features, StoriesParams};
use crate::store::{Store, StoreError};

/// Items between two progress reports.
const PROGRESS_EVERY: usize = 500;

/// What a re-clustering did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestorySummary {
    pub items: usize,
    pub stories: usize,
    /// Items whose story changed, and stories merged into another (their ids now aliases).
    pub moved: usize,
    pub merged: usize,
}

/// Re-clusters every item; `on_progress` hears how many more items were placed.
pub fn restory(
    store: &mut Store,
    params: StoriesParams,
    mut on_progress: impl FnMut(usize),
) -> Result<RestorySummary, StoreError> {
    let now = crate::time::now();
    let writer = store.writer()?;
    let mut keys: Vec<(OrderKey, crate::store::StoryKey)> = writer
        .story_keys()?
        .into_iter()
        .map(|k| {
            // Stored times are always readable; the epoch only keeps the order total.
            let at = crate::time::parse(&k.reported_at).unwrap_or(DateTime::UNIX_EPOCH);
            (OrderKey::new(at, &k.identity), k)
        })
        .collect();
    keys.sort_unstable_by_key(|(key, _)| *key);
    let mut clusterer = Clusterer::new(params, 1);
    let mut provisional = 0i64;
    let mut replayed = Vec::with_capacity(keys.len());
    let mut stories = 0usize;
    for (n, (key, item)) in keys.iter().enumerate() {
        let (title, summary) = writer.story_text(item.id)?;
        let features = Features::of(&title, &summary);
        let assignment = clusterer.assign_keyed(item.id, *key, features, || {
            provisional -= 1;
            Ok::<i64, Infallible>(provisional)
        });
        let (story, new) = match assignment {
            Ok(a) => (a.story_id, a.new),
            Err(never) => match never {},
        };
        stories += usize::from(new);
        replayed.push(Replayed {
            item_id: item.id,
            old: item.story_id,
            story,
        });
        if (n + 1) % PROGRESS_EVERY == 0 {
            on_progress(PROGRESS_EVERY);
        }
    }
    on_progress(keys.len() % PROGRESS_EVERY);
    // Every item is replayed, so every story may be renumbered or merged.
    let claimable: HashSet<i64> = keys.iter().filter_map(|(_, k)| k.story_id).collect();
    let (_, written) = settle::write(&writer, &replayed, &claimable, &now)?;
    writer.refresh_stories(&now)?;
    writer.bump_stories_generation()?;
    writer.commit()?;
    let summary = RestorySummary {
        items: keys.len(),
        stories,
        moved: written.moved,
        merged: written.merged,
    };
    // Debug, not info: `mirsad restory` prints the result itself, once.
    tracing::debug!(
        items = summary.items,
        stories = summary.stories,
        moved = summary.moved,
        merged = summary.merged,
        "re-clustered every item"
    );
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ItemRecord;

    const ITEMS: [(&str, &str, &str); 4] = [
        (
            "a1",
            "2026-11-19T21:35:00Z",
            "إنفيديا تسجل إيرادات قياسية لمراكز البيانات بقيمة 51.2 مليار دولار",
        ),
        (
            "b1",
            "2026-11-19T23:00:00Z",
            "أرامكو تجمع 5 مليارات دولار من بيع سندات على ثلاث شرائح",
        ),
        (
            "a2",
            "2026-11-20T06:40:00Z",
            "Nvidia: ٥١٫٢ مليار دولار من إيرادات مراكز البيانات في الربع الثالث",
        ),
        (
            "b2",
            "2026-11-20T08:00:00Z",
            "طلبات بـ15 مليار دولار على سندات أرامكو بقيمة 5 مليارات دولار",
        ),
    ];

    fn filled_store() -> Store {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        for (identity, published, title) in ITEMS {
            let feed = w
                .ensure_feed(&format!("http://{identity}/feed"), None)
                .unwrap();
            let record = ItemRecord::sample(identity, title, published);
            let (id, _) = w
                .upsert_item(&record, feed, "2026-11-20T09:00:00Z")
                .unwrap();
            // Wrong stories from before, which restory must replace.
            w.put_in_story(id, 7, "2026-11-20T09:00:00Z").unwrap();
        }
        w.commit().unwrap();
        store
    }

    fn stories_by_title(store: &Store) -> Vec<(String, Option<i64>)> {
        let mut items = store.items(&Default::default()).unwrap();
        items.sort_by_key(|i| i.id);
        items.into_iter().map(|i| (i.title, i.story)).collect()
    }

    #[test]
    fn restory_groups_reports_of_one_event_and_keeps_ids_where_it_can() {
        let mut store = filled_store();
        let mut progress = 0;
        let summary = restory(&mut store, StoriesParams::default(), |n| progress += n).unwrap();
        assert_eq!(
            summary,
            RestorySummary {
                items: 4,
                stories: 2,
                moved: 2,
                merged: 0,
            }
        );
        assert_eq!(progress, 4);
        // The story of the earliest report keeps the old id; the other event gets a new one.
        let stories: Vec<Option<i64>> = stories_by_title(&store).into_iter().map(|s| s.1).collect();
        assert_eq!(stories, [Some(7), Some(8), Some(7), Some(8)]);
        assert_eq!(store.story(7).unwrap().unwrap().items, 2);
        assert_eq!(store.story(8).unwrap().unwrap().items, 2);
    }

    #[test]
    fn restory_merging_two_stories_leaves_an_alias() {
        let mut store = filled_store();
        {
            let w = store.writer().unwrap();
            // The second Nvidia report alone in a story of its own.
            let lone = w.create_story("2026-11-20T09:00:00Z").unwrap();
            w.put_in_story(3, lone, "2026-11-20T09:00:00Z").unwrap();
            w.commit().unwrap();
        }
        let lone = store.items(&Default::default()).unwrap();
        let lone = lone.iter().find(|i| i.id == 3).unwrap().story.unwrap();
        let summary = restory(&mut store, StoriesParams::default(), |_| {}).unwrap();
        assert_eq!(summary.merged, 1);
        assert!(store.story(lone).unwrap().is_none());
        assert_eq!(store.story_alias(lone).unwrap(), Some(7));
    }

    #[test]
    fn restory_twice_gives_the_same_stories() {
        let mut store = filled_store();
        restory(&mut store, StoriesParams::default(), |_| {}).unwrap();
        let first = stories_by_title(&store);
        restory(&mut store, StoriesParams::default(), |_| {}).unwrap();
        assert_eq!(stories_by_title(&store), first);
    }
}
