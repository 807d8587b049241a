//! A clusterer kept in step with a store, for the pipeline.
//!
//! The clusterer is built from the store's items of the last window on the first document
//! written, and rebuilt whenever the store moved under it: `mirsad restory` re-clustered, another
//! process created stories, or a transaction this clusterer took part in failed. Items of the
//! window that have no story yet (written before stories existed, or while they were off) are
//! placed as the window loads.

use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use super::{Clusterer, Features, StoriesParams, StoryItem};
use crate::store::{StoreError, StoriesMark, StorySubject, Writer};

/// Story assignment for a pipeline; shareable between threads.
#[derive(Debug)]
pub struct Stories {
    params: StoriesParams,
    state: Mutex<Option<Loaded>>,
}

#[derive(Debug)]
struct Loaded {
    clusterer: Clusterer,
    mark: StoriesMark,
}

/// The clusterer, locked for one document's transaction.
pub struct StorySession<'s> {
    guard: MutexGuard<'s, Option<Loaded>>,
}

impl Stories {
    pub fn new(params: StoriesParams) -> Stories {
        Stories {
            params,
            state: Mutex::new(None),
        }
    }

    pub fn params(&self) -> &StoriesParams {
        &self.params
    }

    /// Drops the loaded window (after a rolled-back write it may hold items the store does not
    /// keep); the next session reloads it from the store.
    pub fn invalidate(&self) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Locks the clusterer for a document written through `writer`, (re)loading it first when
    /// the store changed under it.
    pub fn session(
        &self,
        writer: &Writer<'_>,
        now: DateTime<Utc>,
    ) -> Result<StorySession<'_>, StoreError> {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mark = writer.stories_mark()?;
        if guard.as_ref().is_none_or(|loaded| loaded.mark != mark) {
            *guard = None;
            *guard = Some(self.load(writer, now)?);
        }
        Ok(StorySession { guard })
    }

    fn load(&self, writer: &Writer<'_>, now: DateTime<Utc>) -> Result<Loaded, StoreError> {
        let window =
            chrono::Duration::from_std(self.params.window).unwrap_or(chrono::Duration::MAX);
        let since = crate::time::format(now.checked_sub_signed(window).unwrap_or(now));
        let now_text = crate::time::format(now);
        let subjects = writer.story_subjects_since(&since)?;
        let mut clusterer = Clusterer::new(self.params, 1);
        let mut placed = 0usize;
        for subject in &subjects {
            let item = story_item(subject, now);
            match subject.story_id {
                Some(story_id) => clusterer.insert(&item, story_id),
                None => {
                    let features = Features::of(item.title, item.summary);
                    place(&mut clusterer, writer, &item, features, &now_text)?;
                    placed += 1;
                }
            }
        }
        tracing::info!(
            items = subjects.len(),
            placed,
            since = %since,
            "loaded the stories window"
        );
        Ok(Loaded {
            clusterer,
            mark: writer.stories_mark()?,
        })
    }
}

impl StorySession<'_> {
    /// Puts a new or changed item into a story in the writer's transaction. A changed item that
    /// already has a story keeps it, and the story's facts are refreshed.
    /// `features` are the item's, when they were extracted beforehand (off the writer's
    /// thread); otherwise they are extracted here.
    pub fn place(
        &mut self,
        writer: &Writer<'_>,
        item: &StoryItem<'_>,
        features: Option<Features>,
        is_new: bool,
        now: &str,
    ) -> Result<(), StoreError> {
        if !is_new && let Some(story_id) = writer.item_story(item.id)? {
            return writer.refresh_story(story_id, now);
        }
        let Some(loaded) = self.guard.as_mut() else {
            return Ok(());
        };
        let features = features.unwrap_or_else(|| Features::of(item.title, item.summary));
        match place(&mut loaded.clusterer, writer, item, features, now) {
            Ok(story_id) => {
                loaded.mark.max_story_id = loaded.mark.max_story_id.max(story_id);
                Ok(())
            }
            Err(err) => {
                // The transaction is lost; the clusterer may hold what it will not keep.
                *self.guard = None;
                Err(err)
            }
        }
    }
}

/// A new item's story, decided before the item is written; see [`StorySession::decide`].
#[derive(Debug)]
pub struct PendingStory {
    pub story_id: i64,
    at: i64,
    reported_at: String,
    matched: Option<(i64, f64)>,
    features: Features,
}

impl StorySession<'_> {
    /// Decides the story of a new item about to be written (creating the story when the item
    /// starts one), so the item's row can be written once, with its story. `None` while the
    /// clusterer is not loaded. Follow it with [`StorySession::joined`] once the item is stored.
    pub fn decide(
        &mut self,
        writer: &Writer<'_>,
        published: DateTime<Utc>,
        features: Features,
        now: &str,
    ) -> Result<Option<PendingStory>, StoreError> {
        let Some(loaded) = self.guard.as_mut() else {
            return Ok(None);
        };
        let at = published.timestamp();
        let (story_id, matched) = match loaded.clusterer.best_match(&features, at) {
            Some((story_id, matched)) => (story_id, Some(matched)),
            None => (writer.create_story(now)?, None),
        };
        Ok(Some(PendingStory {
            story_id,
            at,
            reported_at: crate::time::format(published),
            matched,
            features,
        }))
    }

    /// Records that new item `item_id` was written into its pending story.
    pub fn joined(
        &mut self,
        writer: &Writer<'_>,
        item_id: i64,
        pending: PendingStory,
        now: &str,
    ) -> Result<(), StoreError> {
        let Some(loaded) = self.guard.as_mut() else {
            return Ok(());
        };
        let story_id = pending.story_id;
        if let Err(err) = writer.join_story(story_id, item_id, &pending.reported_at, now) {
            *self.guard = None;
            return Err(err);
        }
        loaded
            .clusterer
            .remember(item_id, story_id, pending.at, pending.features);
        loaded.mark.max_story_id = loaded.mark.max_story_id.max(story_id);
        log_assignment(item_id, story_id, pending.matched);
        Ok(())
    }
}

fn log_assignment(item_id: i64, story_id: i64, matched: Option<(i64, f64)>) {
    match matched {
        Some((matched, score)) => tracing::debug!(
            item = item_id,
            story = story_id,
            matched,
            score,
            "item joined a story"
        ),
        None => tracing::debug!(item = item_id, story = story_id, "new story"),
    }
}

/// Assigns one item and writes the assignment; returns its story.
fn place(
    clusterer: &mut Clusterer,
    writer: &Writer<'_>,
    item: &StoryItem<'_>,
    features: Features,
    now: &str,
) -> Result<i64, StoreError> {
    let assignment = clusterer.assign_extracted(item, features, || writer.create_story(now))?;
    writer.put_in_story(item.id, assignment.story_id, now)?;
    log_assignment(item.id, assignment.story_id, assignment.matched);
    Ok(assignment.story_id)
}

fn story_item(subject: &StorySubject, now: DateTime<Utc>) -> StoryItem<'_> {
    StoryItem {
        id: subject.id,
        title: &subject.title,
        summary: &subject.summary,
        published: crate::time::parse(&subject.reported_at).unwrap_or(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ItemRecord, Store};

    const RAIN: (&str, &str) = (
        "أمطار غزيرة تغرق شوارع الإسكندرية وتعطل حركة المرور",
        "شهدت الإسكندرية منذ فجر اليوم أمطارا غزيرة أدت إلى غرق عدد من الشوارع الرئيسية.",
    );
    const RAIN_AGAIN: (&str, &str) = (
        "الإسكندرية تغرق.. تجمعات مياه الأمطار في الشوارع وتعليق الدراسة",
        "غمرت الأمطار الغزيرة شوارع الإسكندرية وقررت المحافظة تعليق الدراسة.",
    );
    const OTHER: (&str, &str) = (
        "أرامكو تجمع 5 مليارات دولار من بيع سندات",
        "جمعت أرامكو السعودية 5 مليارات دولار من بيع سندات على ثلاث شرائح.",
    );

    fn now() -> DateTime<Utc> {
        crate::time::parse("2026-11-22T12:00:00Z").unwrap()
    }

    /// Stores an item (no story yet) published `hours_ago`; returns its id.
    fn store_item(w: &Writer<'_>, identity: &str, text: (&str, &str), hours_ago: i64) -> i64 {
        let feed = w
            .ensure_feed(&format!("http://{identity}/feed"), None)
            .unwrap();
        let published = now() - chrono::Duration::hours(hours_ago);
        let record = ItemRecord {
            summary: text.1.into(),
            ..ItemRecord::sample(identity, text.0, &crate::time::format(published))
        };
        w.upsert_item(&record, feed, &crate::time::format(now()))
            .unwrap()
            .0
    }

    fn place(stories: &Stories, w: &Writer<'_>, id: i64, text: (&str, &str), is_new: bool) {
        let item = StoryItem {
            id,
            title: text.0,
            summary: text.1,
            published: now(),
        };
        let mut session = stories.session(w, now()).unwrap();
        session
            .place(w, &item, None, is_new, "2026-11-22T12:00:00Z")
            .unwrap();
    }

    #[test]
    fn loading_the_window_places_items_that_have_no_story_yet() {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let a = store_item(&w, "a", RAIN, 5);
        let b = store_item(&w, "b", RAIN_AGAIN, 3);
        let old = store_item(&w, "old", RAIN, 200);
        let stories = Stories::new(StoriesParams::default());
        drop(stories.session(&w, now()).unwrap());
        let story = w.item_story(a).unwrap();
        assert!(story.is_some());
        assert_eq!(w.item_story(b).unwrap(), story);
        assert_eq!(w.item_story(old).unwrap(), None, "outside the window");
    }

    #[test]
    fn a_new_report_joins_the_earlier_one_and_another_event_does_not() {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let stories = Stories::new(StoriesParams::default());
        let a = store_item(&w, "a", RAIN, 2);
        place(&stories, &w, a, RAIN, true);
        let b = store_item(&w, "b", RAIN_AGAIN, 1);
        place(&stories, &w, b, RAIN_AGAIN, true);
        let c = store_item(&w, "c", OTHER, 0);
        place(&stories, &w, c, OTHER, true);
        assert_eq!(w.item_story(a).unwrap(), w.item_story(b).unwrap());
        assert_ne!(w.item_story(a).unwrap(), w.item_story(c).unwrap());
    }

    #[test]
    fn a_changed_item_keeps_its_story() {
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let stories = Stories::new(StoriesParams::default());
        let a = store_item(&w, "a", RAIN, 2);
        place(&stories, &w, a, RAIN, true);
        let before = w.item_story(a).unwrap();
        place(&stories, &w, a, OTHER, false);
        assert_eq!(w.item_story(a).unwrap(), before);
    }

    #[test]
    fn the_clusterer_reloads_when_the_stories_were_cleared_under_it() {
        let mut store = Store::in_memory().unwrap();
        let stories = Stories::new(StoriesParams::default());
        let (a, b) = {
            let w = store.writer().unwrap();
            let a = store_item(&w, "a", RAIN, 2);
            place(&stories, &w, a, RAIN, true);
            let b = store_item(&w, "b", OTHER, 1);
            place(&stories, &w, b, OTHER, true);
            w.clear_stories().unwrap();
            w.commit().unwrap();
            (a, b)
        };
        let w = store.writer().unwrap();
        let c = store_item(&w, "c", RAIN_AGAIN, 0);
        place(&stories, &w, c, RAIN_AGAIN, true);
        // The reload put the cleared items back into stories before placing the new one.
        let story = w.item_story(a).unwrap();
        assert!(story.is_some());
        assert_eq!(w.item_story(c).unwrap(), story);
        assert!(w.item_story(b).unwrap().is_some());
    }
}
