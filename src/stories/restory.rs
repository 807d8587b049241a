//! Re-clustering every stored item from scratch (`mirsad restory`).
//!
//! All items go through a fresh clusterer in report order, oldest first, inside one
//! transaction: readers see the old stories or the new ones, never half of each, and the same
//! store always gives the same stories, numbered from 1. A running daemon notices the new
//! stories on its next write and reloads its clusterer.

use chrono::DateTime;

use super::{Clusterer, StoriesParams, StoryItem};
use crate::store::{Store, StoreError};

/// Items between two progress reports.
const PROGRESS_EVERY: usize = 500;

/// What a re-clustering did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestorySummary {
    pub items: usize,
    pub stories: usize,
}

/// Re-clusters every item; `on_progress` hears how many more items were placed.
pub fn restory(
    store: &mut Store,
    params: StoriesParams,
    mut on_progress: impl FnMut(usize),
) -> Result<RestorySummary, StoreError> {
    let now = crate::time::now();
    let writer = store.writer()?;
    writer.clear_stories()?;
    let mut clusterer = Clusterer::new(params, 1);
    let mut summary = RestorySummary::default();
    writer.for_each_story_subject(|writer, subject| {
        // Stored times are always readable; the epoch only keeps the result deterministic.
        let published = crate::time::parse(&subject.reported_at).unwrap_or(DateTime::UNIX_EPOCH);
        let item = StoryItem {
            id: subject.id,
            title: &subject.title,
            summary: &subject.summary,
            published,
        };
        let assignment = clusterer.assign_with(&item, || writer.create_story(&now))?;
        writer.set_item_story(subject.id, assignment.story_id)?;
        summary.items += 1;
        summary.stories += usize::from(assignment.new);
        if summary.items % PROGRESS_EVERY == 0 {
            on_progress(PROGRESS_EVERY);
        }
        Ok(())
    })?;
    on_progress(summary.items % PROGRESS_EVERY);
    writer.refresh_stories(&now)?;
    writer.commit()?;
    tracing::info!(
        items = summary.items,
        stories = summary.stories,
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
    fn restory_groups_reports_of_one_event_and_numbers_stories_from_one() {
        let mut store = filled_store();
        let mut progress = 0;
        let summary = restory(&mut store, StoriesParams::default(), |n| progress += n).unwrap();
        assert_eq!(
            summary,
            RestorySummary {
                items: 4,
                stories: 2
            }
        );
        assert_eq!(progress, 4);
        let stories: Vec<Option<i64>> = stories_by_title(&store).into_iter().map(|s| s.1).collect();
        assert_eq!(stories, [Some(1), Some(2), Some(1), Some(2)]);
        assert!(store.story(7).unwrap().is_none());
        assert_eq!(store.story(1).unwrap().unwrap().items, 2);
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
