//! The clusterer: puts each new item into the story of the earlier item that reports the same
//! event, or starts a story. It keeps the window's items in memory (crate::stories::index) and
//! asks the scorer (crate::stories::score) for the best earlier item.
//!
//! It is greedy and sequential: an item's story depends only on the items before it in the
//! [`OrderKey`] order. Given items in that order it can also be rewound
//! ([`Clusterer::rewind`]): the items from a point on come back off the window and the items
//! evicted since are put back, so an item that arrives late is placed, and the items after it
//! re-placed, exactly as if all had come in order. Evicted items are kept for `keep_evicted`
//! beyond the window for that; rewinding further back needs a clusterer rebuilt from the store.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::features::Features;
use super::index::{Entry, WindowIndex};
use super::score::Scorer;

/// How the clusterer decides.
#[derive(Debug, Clone, Copy)]
pub struct StoriesParams {
    /// How far apart in time two reports of one event can be.
    pub window: Duration,
    /// Lowest similarity (0–1) at which an item joins a story.
    pub threshold: f64,
}

impl Default for StoriesParams {
    fn default() -> Self {
        StoriesParams {
            window: Duration::from_secs(72 * 3600),
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

/// The default `[stories] threshold`.
pub const DEFAULT_THRESHOLD: f64 = 0.32;

/// Where an item stands in the order stories are made in: its report time, then a hash of its
/// identity. Neither depends on when or how the item arrived, so every way of storing the same
/// items replays them in one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderKey {
    /// Seconds since the Unix epoch.
    pub at: i64,
    pub tie: u64,
}

impl OrderKey {
    pub fn new(at: DateTime<Utc>, identity: &str) -> OrderKey {
        OrderKey {
            at: at.timestamp(),
            tie: fnv1a(identity.as_bytes()),
        }
    }
}

/// FNV-1a: a stable hash (the same in every build and process), unlike std's.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// An item taken back off the window by [`Clusterer::rewind`], with the story it had.
pub type Rewound = Entry;

/// What the clusterer reads of an item.
#[derive(Debug, Clone, Copy)]
pub struct StoryItem<'a> {
    pub id: i64,
    pub title: &'a str,
    pub summary: &'a str,
    /// When the item was published; callers clamp feed dates in the future to the time they
    /// first saw the item, since one bogus date would otherwise end the window for everyone.
    pub published: DateTime<Utc>,
}

/// Where an item went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assignment {
    pub story_id: i64,
    /// True when the item started the story.
    pub new: bool,
    /// The earlier item it matched, and how well (absent for a new story).
    pub matched: Option<(i64, f64)>,
}

/// The in-memory clusterer over the items of the last window.
#[derive(Debug)]
pub struct Clusterer {
    params: StoriesParams,
    index: WindowIndex,
    next_story_id: i64,
    /// Items evicted from the window within `keep_evicted` of its start, oldest first, so a
    /// rewind can put them back.
    evicted: VecDeque<Entry>,
    keep_evicted: i64,
    /// Items reported before this may be missing from `index` and `evicted` (they were never
    /// loaded, or were forgotten): a rewind needs every item from its point minus the window.
    complete_from: i64,
}

impl Clusterer {
    /// An empty clusterer; [`Clusterer::assign`] numbers new stories from `first_story_id`.
    pub fn new(params: StoriesParams, first_story_id: i64) -> Clusterer {
        Clusterer {
            params,
            index: WindowIndex::default(),
            next_story_id: first_story_id,
            evicted: VecDeque::new(),
            keep_evicted: 0,
            complete_from: i64::MAX,
        }
    }

    /// A clusterer that keeps evicted items for `keep_evicted` beyond the window, so it can be
    /// rewound that far, and that holds every item reported from `complete_from` on.
    pub fn rewindable(
        params: StoriesParams,
        keep_evicted: Duration,
        complete_from: i64,
    ) -> Clusterer {
        Clusterer {
            keep_evicted: i64::try_from(keep_evicted.as_secs()).unwrap_or(i64::MAX),
            complete_from,
            ..Clusterer::new(params, 1)
        }
    }

    /// Places an item given in [`OrderKey`] order; a new story gets its id from `new_story`.
    pub fn assign_keyed<E>(
        &mut self,
        item_id: i64,
        key: OrderKey,
        features: Features,
        new_story: impl FnOnce() -> Result<i64, E>,
    ) -> Result<Assignment, E> {
        let assignment = match self.best_match(&features, key.at) {
            Some((story_id, matched)) => Assignment {
                story_id,
                new: false,
                matched: Some(matched),
            },
            None => Assignment {
                story_id: new_story()?,
                new: true,
                matched: None,
            },
        };
        self.add(item_id, assignment.story_id, key, features);
        Ok(assignment)
    }

    /// Adds an item whose story is already known, in [`OrderKey`] order.
    pub fn insert_keyed(&mut self, item_id: i64, key: OrderKey, story_id: i64, features: Features) {
        self.evict(key.at);
        self.add(item_id, story_id, key, features);
    }

    /// The key of the newest item in the window.
    pub fn newest_key(&self) -> Option<OrderKey> {
        self.index.back_key().map(|(at, tie)| OrderKey { at, tie })
    }

    /// Whether [`Clusterer::rewind`] to `key` can be done from memory.
    pub fn can_rewind_to(&self, key: OrderKey) -> bool {
        key.at.saturating_sub(window_secs(&self.params)) >= self.complete_from
    }

    /// Takes back every item at or after `key` (returned in order, with the stories they had)
    /// and puts back the evicted items the window held just before `key`. `None`, changing
    /// nothing, when the items needed are no longer in memory.
    pub fn rewind(&mut self, key: OrderKey) -> Option<Vec<Rewound>> {
        if !self.can_rewind_to(key) {
            return None;
        }
        let mut taken = Vec::new();
        while let Some((at, tie)) = self.index.back_key() {
            if (OrderKey { at, tie }) < key {
                break;
            }
            taken.extend(self.index.pop_back());
        }
        // Items evicted after `key` (the window had moved a whole window past it).
        while let Some(last) = self.evicted.back() {
            if (OrderKey {
                at: last.at,
                tie: last.tie,
            }) < key
            {
                break;
            }
            taken.extend(self.evicted.pop_back());
        }
        taken.reverse();
        let start = key.at.saturating_sub(window_secs(&self.params));
        while self.evicted.back().is_some_and(|e| e.at >= start) {
            if let Some(entry) = self.evicted.pop_back() {
                self.index.push_front(entry);
            }
        }
        self.index.reset_newest();
        Some(taken)
    }

    /// Renames stories in the window (provisional ids to the ones the store gave).
    pub fn relabel(&mut self, rename: impl Fn(i64) -> i64) {
        self.index.relabel(&rename);
        for entry in &mut self.evicted {
            entry.story_id = rename(entry.story_id);
        }
    }

    /// Items kept in memory: the window's and the evicted ones kept for rewinding.
    pub fn held(&self) -> usize {
        self.index.len() + self.evicted.len()
    }

    pub fn params(&self) -> &StoriesParams {
        &self.params
    }

    /// Number of items in the window.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    /// Puts the item into a story, numbering a new story itself.
    pub fn assign(&mut self, item: &StoryItem<'_>) -> Assignment {
        let id = self.next_story_id;
        match self.assign_with(item, || Ok::<i64, std::convert::Infallible>(id)) {
            Ok(assignment) => assignment,
            Err(never) => match never {},
        }
    }

    /// Puts the item into a story; a new story gets its id from `new_story` (the store, which
    /// numbers stories so two processes writing one database never reuse an id).
    pub fn assign_with<E>(
        &mut self,
        item: &StoryItem<'_>,
        new_story: impl FnOnce() -> Result<i64, E>,
    ) -> Result<Assignment, E> {
        self.assign_extracted(item, Features::of(item.title, item.summary), new_story)
    }

    /// [`Clusterer::assign_with`] for an item whose features were extracted beforehand (by
    /// [`Features::of`], on a worker thread, so the writer only looks up and scores).
    pub fn assign_extracted<E>(
        &mut self,
        item: &StoryItem<'_>,
        features: Features,
        new_story: impl FnOnce() -> Result<i64, E>,
    ) -> Result<Assignment, E> {
        let at = item.published.timestamp();
        let assignment = match self.best_match(&features, at) {
            Some((story_id, matched)) => Assignment {
                story_id,
                new: false,
                matched: Some(matched),
            },
            None => Assignment {
                story_id: new_story()?,
                new: true,
                matched: None,
            },
        };
        self.add(
            item.id,
            assignment.story_id,
            OrderKey { at, tie: 0 },
            features,
        );
        Ok(assignment)
    }

    /// The story an item published at `at` (Unix seconds) would join, with the earlier item it
    /// matched and how well; `None` when it starts a story. Changes nothing but the window's
    /// age: follow it with [`Clusterer::remember`] once the item is stored.
    pub fn best_match(&mut self, features: &Features, at: i64) -> Option<(i64, (i64, f64))> {
        self.evict(at);
        let window = window_secs(&self.params);
        Scorer::new(&self.index, window)
            .best(features, at)
            .filter(|m| m.score >= self.params.threshold)
            .map(|m| (m.story_id, (m.item_id, m.score)))
    }

    fn add(&mut self, item_id: i64, story_id: i64, key: OrderKey, features: Features) {
        self.index.insert(Entry {
            item_id,
            story_id,
            at: key.at,
            tie: key.tie,
            features,
        });
        self.next_story_id = self.next_story_id.max(story_id.saturating_add(1));
    }

    /// Moves the items that fell out of the window, now that time has reached `at`, to the
    /// evicted ones, and forgets evicted items beyond `keep_evicted`.
    fn evict(&mut self, at: i64) {
        let window = window_secs(&self.params);
        let Some(newest) = self.index.newest().map(|n| n.max(at)) else {
            return;
        };
        let horizon = newest.saturating_sub(window);
        let keep = self.keep_evicted > 0;
        let evicted = &mut self.evicted;
        self.index.evict_older_than(horizon, |entry| {
            if keep {
                evicted.push_back(entry);
            }
        });
        let forget_before = horizon.saturating_sub(self.keep_evicted);
        while self.evicted.front().is_some_and(|e| e.at < forget_before) {
            self.evicted.pop_front();
        }
        // Without kept items, everything before the window's start is gone.
        let gone_before = if keep { forget_before } else { horizon };
        if self.complete_from != i64::MAX {
            self.complete_from = self.complete_from.max(gone_before);
        }
    }
}

/// Places items that came too late to re-place the items around them: each is scored against
/// the placed items within a window on either side of it (and the late items placed before
/// it), joins the best one's story at the threshold, or starts a story numbered by
/// `new_story`. Returns each item's story, in the order given.
pub fn place_among(
    params: &StoriesParams,
    placed: Vec<Entry>,
    items: Vec<(i64, OrderKey, Features)>,
    mut new_story: impl FnMut() -> i64,
) -> Vec<(i64, i64)> {
    let mut index = WindowIndex::default();
    for entry in placed {
        index.insert(entry);
    }
    let window = window_secs(params);
    let mut stories = Vec::with_capacity(items.len());
    for (item_id, key, features) in items {
        let story_id = Scorer::new(&index, window)
            .best(&features, key.at)
            .filter(|m| m.score >= params.threshold)
            .map_or_else(&mut new_story, |m| m.story_id);
        stories.push((item_id, story_id));
        index.insert(Entry {
            item_id,
            story_id,
            at: key.at,
            tie: key.tie,
            features,
        });
    }
    stories
}

fn window_secs(params: &StoriesParams) -> i64 {
    i64::try_from(params.window.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NVIDIA: (&str, &str) = (
        "إنفيديا تسجل إيرادات قياسية لمراكز البيانات بقيمة 51.2 مليار دولار",
        "أعلنت إنفيديا أن إيرادات مراكز البيانات بلغت 51.2 مليار دولار في الربع الثالث.",
    );
    const NVIDIA_AGAIN: (&str, &str) = (
        "Nvidia: ٥١٫٢ مليار دولار من مراكز البيانات في ربع واحد",
        "كشفت Nvidia في نتائجها للربع الثالث أن مراكز البيانات جلبت ٥١٫٢ مليار دولار.",
    );
    const NVIDIA_OTHER: (&str, &str) = (
        "إنفيديا تستثمر 5 مليارات دولار في إنتل",
        "اتفقت إنفيديا وإنتل على شراكة لتطوير معالجات مشتركة، تشتري بموجبها إنفيديا أسهما بقيمة 5 مليارات دولار.",
    );

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + hours * 3600, 0).unwrap()
    }

    fn item(id: i64, text: (&'static str, &'static str), hours: i64) -> StoryItem<'static> {
        StoryItem {
            id,
            title: text.0,
            summary: text.1,
            published: at(hours),
        }
    }

    fn clusterer() -> Clusterer {
        Clusterer::new(StoriesParams::default(), 1)
    }

    #[test]
    fn two_reports_of_one_event_share_a_story() {
        let mut c = clusterer();
        let first = c.assign(&item(1, NVIDIA, 0));
        let second = c.assign(&item(2, NVIDIA_AGAIN, 5));
        assert!(first.new);
        assert!(!second.new, "{second:?}");
        assert_eq!(second.story_id, first.story_id);
        assert_eq!(second.matched.map(|m| m.0), Some(1));
    }

    #[test]
    fn the_same_company_s_other_announcement_starts_its_own_story() {
        let mut c = clusterer();
        let results = c.assign(&item(1, NVIDIA, 0));
        let deal = c.assign(&item(2, NVIDIA_OTHER, 20));
        assert!(deal.new, "{deal:?}");
        assert_ne!(deal.story_id, results.story_id);
    }

    #[test]
    fn a_report_outside_the_window_never_joins() {
        let mut c = clusterer();
        c.assign(&item(1, NVIDIA, 0));
        assert!(c.assign(&item(2, NVIDIA, 73)).new);
    }

    #[test]
    fn new_stories_are_numbered_on_from_the_first_id() {
        let mut c = Clusterer::new(StoriesParams::default(), 10);
        assert_eq!(c.assign(&item(1, NVIDIA, 0)).story_id, 10);
        assert_eq!(c.assign(&item(2, NVIDIA_OTHER, 1)).story_id, 11);
    }

    #[test]
    fn rebuilt_items_keep_their_story_and_numbering_continues_after_them() {
        let mut c = clusterer();
        let key = OrderKey {
            at: at(0).timestamp(),
            tie: 0,
        };
        c.insert_keyed(1, key, 40, Features::of(NVIDIA.0, NVIDIA.1));
        assert_eq!(c.assign(&item(2, NVIDIA_AGAIN, 1)).story_id, 40);
        assert_eq!(c.assign(&item(3, NVIDIA_OTHER, 2)).story_id, 41);
    }

    #[test]
    fn new_story_ids_come_from_the_caller_and_its_errors_pass_through() {
        let mut c = clusterer();
        let made = c.assign_with(&item(1, NVIDIA, 0), || Ok::<i64, String>(77));
        assert_eq!(made.unwrap().story_id, 77);
        let joined = c.assign_with(&item(2, NVIDIA_AGAIN, 1), || Err("unused".to_owned()));
        assert_eq!(joined.unwrap().story_id, 77);
        let failed = c.assign_with(&item(3, NVIDIA_OTHER, 2), || Err("disk full".to_owned()));
        assert_eq!(failed.unwrap_err(), "disk full");
    }

    #[test]
    fn the_window_forgets_old_items() {
        let mut c = clusterer();
        for hour in 0..200 {
            c.assign(&item(hour, NVIDIA_OTHER, hour));
        }
        assert!(c.len() <= 73, "{} items kept", c.len());
    }

    #[test]
    fn the_same_items_in_the_same_order_give_the_same_stories() {
        let texts = [NVIDIA, NVIDIA_OTHER, NVIDIA_AGAIN, NVIDIA, NVIDIA_OTHER];
        let run = || {
            let mut c = clusterer();
            let items = texts.iter().zip(0..).map(|(t, i)| item(i, *t, i * 3));
            items.map(|i| c.assign(&i)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
