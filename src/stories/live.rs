//! Stories kept in step with a store, for the pipeline: settling.
//!
//! The pipeline writes new items with no story. After each daemon cycle, and after each
//! `ingest` call, [`Stories::settle`] places them: the clusterer is rewound to the earliest of
//! them in [`OrderKey`] order (report time, then identity hash) and every item from there on is
//! re-placed, the new ones among them. Since the clusterer is sequential, that gives exactly the
//! stories `restory` gives, whichever way, in whichever batches and in however many processes
//! the items came. An item with no story is one not yet settled, so a crash between writing
//! and settling loses nothing: the next settling places it.
//!
//! # The bound
//!
//! - Stored items reported more than [`SETTLED_WINDOWS`] windows before the newest stored item
//!   are settled: they are never re-placed. A *late* new item older than that is scored against
//!   the stored items within a window on either side of it and joins the best one's story (or
//!   starts one), but the stored items after it are not re-placed around it, so where `restory`
//!   would have changed them (a later report that joined another story, or started its own,
//!   before the late one existed) they differ. Each settling counts late items (`late`) and logs
//!   them; `tests/stories_arrival.rs` measures the difference.
//! - An item whose text changes upstream keeps its story (its facts are refreshed); `restory`
//!   re-reads its text.
//! - Two items reported in the same second are ordered by a 64-bit hash of their identity.
//!
//! # Cost
//!
//! The window lives in memory across settlings, with evicted items kept for [`KEEP_EVICTED`],
//! so rewinding to anything reported within that of the newest item costs only the items
//! re-placed. Rewinding further (a backlog older than that, or a store another process
//! changed) rebuilds the window from the store: its items since the rewind point minus a window.
//! The store is locked to read what to settle and again to write the result, not while
//! re-placing.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::ops::DerefMut;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::cluster::{Clusterer, OrderKey, fnv1a, place_among};
use super::index::Entry;
use super::settle::{self, Replayed, Written};
use super::{Features, StoriesParams};
use crate::store::{Store, StoreError, StoriesMark, StorySubject, Writer};

/// Items more than this many windows older than the newest item are settled (see the bound).
pub const SETTLED_WINDOWS: u32 = 2;
/// Items settled in one go: a first cycle's backlog (or a store from before stories) is settled
/// in batches, earliest first, each read, re-placed and written on its own, so memory and each
/// write transaction stay bounded.
const BATCH: usize = 5_000;
/// Features kept for written items awaiting settling, at most (beyond it they are read again).
const MAX_PENDING: usize = 20_000;

/// How long evicted items stay in memory beyond the window, so the common rewind (to the
/// earliest item of a cycle, minutes or hours back) needs no read of the store.
pub const KEEP_EVICTED: Duration = Duration::from_secs(12 * 3600);

/// Story settling for a pipeline; shareable between threads.
#[derive(Debug)]
pub struct Stories {
    params: StoriesParams,
    /// Stored items reported more than this before the newest stored one are never re-placed.
    settled_after: Duration,
    /// Items settled per batch ([`BATCH`]; smaller in tests).
    batch: usize,
    state: Mutex<Option<Loaded>>,
    /// Features extracted on workers for items written but not settled yet, by item id, with a
    /// hash of the text they were read from (a rolled-back id may come back with other text).
    pending: Mutex<HashMap<i64, (u64, Features)>>,
}

#[derive(Debug)]
struct Loaded {
    clusterer: Clusterer,
    mark: StoriesMark,
}

/// What one settling did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettleSummary {
    /// Items that had no story and now have one.
    pub placed: usize,
    /// Items re-placed (the new ones and those after the earliest of them).
    pub replayed: usize,
    /// New items older than the settled horizon, placed without re-placing the items after.
    pub late: usize,
    /// Whether the window was rebuilt from the store.
    pub reloaded: bool,
    pub written: Written,
}

/// An item to place, in order.
struct Subject {
    key: OrderKey,
    item_id: i64,
    old: Option<i64>,
    text: Text,
}

/// An item's features, or the text to read them from once the store is released.
enum Text {
    Read(Features),
    Unread { title: String, summary: String },
}

impl Text {
    fn of(subject: StorySubject) -> Text {
        Text::Unread {
            title: subject.title,
            summary: subject.summary,
        }
    }

    fn features(self) -> Features {
        match self {
            Text::Read(features) => features,
            Text::Unread { title, summary } => Features::of(&title, &summary),
        }
    }
}

/// Where the clusterer for a settling comes from.
enum Source {
    /// The window kept in memory, already rewound.
    Memory(Box<Clusterer>),
    /// None needed (only late items to place): the next settling rebuilds one.
    Nothing,
    /// Rebuilt from these stored items (sorted), holding every item from `start` on.
    Store {
        start: i64,
        seed: Vec<(OrderKey, StorySubject)>,
    },
}

impl Stories {
    /// Settling with the default horizon: [`SETTLED_WINDOWS`] windows.
    pub fn new(params: StoriesParams) -> Stories {
        let settled_after = params.window.saturating_mul(SETTLED_WINDOWS);
        Stories::with_settled_horizon(params, settled_after)
    }

    /// Settling that re-places stored items reported up to `settled_after` before the newest
    /// stored item (`Duration::MAX`: every one, so settling always equals `restory`).
    pub fn with_settled_horizon(params: StoriesParams, settled_after: Duration) -> Stories {
        Stories {
            params,
            settled_after,
            batch: BATCH,
            state: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
        }
    }

    pub fn params(&self) -> &StoriesParams {
        &self.params
    }

    /// Forgets the features kept for written items (after a rolled-back write). The window
    /// itself holds only settled items, which a rolled-back write cannot touch.
    pub fn forget_pending(&self) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Keeps the features of an item just written without a story, for its settling.
    pub fn written(&self, item_id: i64, title: &str, summary: &str, features: Features) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.len() < MAX_PENDING {
            pending.insert(item_id, (text_hash(title, summary), features));
        }
    }

    /// The features kept for a written item, if they were read from its stored text.
    fn pending_features(&self, subject: &StorySubject) -> Option<Features> {
        let kept = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&subject.id);
        kept.filter(|(hash, _)| *hash == text_hash(&subject.title, &subject.summary))
            .map(|(_, features)| features)
    }

    /// Puts every item that has no story into one, re-placing the items after the earliest of
    /// them (see the module comment), in batches of the earliest [`BATCH`]. `store` is called
    /// for the store each time it is needed, so a daemon holds its lock only while reading and
    /// while writing.
    pub fn settle<G: DerefMut<Target = Store>>(
        &self,
        mut store: impl FnMut() -> G,
    ) -> Result<SettleSummary, StoreError> {
        let mut total = SettleSummary::default();
        loop {
            let (summary, more) = self.settle_batch(&mut store)?;
            total.placed += summary.placed;
            total.replayed += summary.replayed;
            total.late += summary.late;
            total.reloaded |= summary.reloaded;
            total.written.moved += summary.written.moved;
            total.written.created += summary.written.created;
            total.written.merged += summary.written.merged;
            if !more {
                return Ok(total);
            }
        }
    }

    /// Settles the earliest [`BATCH`] unsettled items; true when more may be waiting.
    fn settle_batch<G: DerefMut<Target = Store>>(
        &self,
        store: &mut impl FnMut() -> G,
    ) -> Result<(SettleSummary, bool), StoreError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut summary = SettleSummary::default();
        let now = crate::time::now();
        let (plan, more) = {
            let mut guard = store();
            let writer = guard.writer()?;
            let mark = writer.stories_mark()?;
            // The earliest in the clusterer's own order, so each batch starts after the last.
            let mut keys: Vec<(OrderKey, i64)> = writer
                .unsettled_keys()?
                .into_iter()
                .map(|k| {
                    let at = crate::time::parse(&k.reported_at).unwrap_or(DateTime::UNIX_EPOCH);
                    (OrderKey::new(at, &k.identity), k.id)
                })
                .collect();
            if keys.is_empty() {
                return Ok((summary, false));
            }
            keys.sort_unstable();
            let more = keys.len() > self.batch;
            keys.truncate(self.batch);
            let mut unsettled = Vec::with_capacity(keys.len());
            for (_, id) in keys {
                unsettled.extend(writer.story_subject(id)?);
            }
            let loaded = state.take().filter(|l| l.mark == mark);
            (self.plan(&writer, unsettled, mark, loaded)?, more)
        };
        // Read features and re-place, without the store.
        summary.reloaded = matches!(plan.source, Source::Store { .. });
        summary.late = plan.late.len();
        let mut provisional = 0i64;
        let mut replayed = self.place_late(plan.late, plan.late_neighbours, &mut provisional);
        let mut clusterer = self.clusterer(plan.source);
        for subject in plan.replay {
            let features = subject.text.features();
            let assignment = clusterer.assign_keyed(subject.item_id, subject.key, features, || {
                provisional -= 1;
                Ok::<i64, Infallible>(provisional)
            });
            let story = match assignment {
                Ok(a) => a.story_id,
                Err(never) => match never {},
            };
            replayed.push(Replayed {
                item_id: subject.item_id,
                old: subject.old,
                story,
            });
        }
        summary.replayed = replayed.len();
        summary.placed = replayed.iter().filter(|r| r.old.is_none()).count();
        // Write, if no one else changed the stories meanwhile (else the next settling redoes it).
        let mut guard = store();
        let writer = guard.writer()?;
        if writer.stories_mark()? != plan.mark {
            tracing::info!("stories changed while settling; settling again next time");
            return Ok((SettleSummary::default(), false));
        }
        let (ids, written) = settle::write(&writer, &replayed, &plan.claimable, &now)?;
        writer.bump_stories_generation()?;
        let mark = writer.stories_mark()?;
        writer.commit()?;
        clusterer.relabel(|story| {
            if story < 0 {
                ids.get(&story).copied().unwrap_or(story)
            } else {
                story
            }
        });
        *state = Some(Loaded { clusterer, mark });
        summary.written = written;
        tracing::info!(
            placed = summary.placed,
            replayed = summary.replayed,
            late = summary.late,
            reloaded = summary.reloaded,
            moved = written.moved,
            created = written.created,
            merged = written.merged,
            "settled stories"
        );
        if summary.late > 0 {
            tracing::warn!(
                late = summary.late,
                "items reported more than {SETTLED_WINDOWS} windows before the newest were placed without re-placing the items after them"
            );
        }
        Ok((summary, more))
    }

    /// Reads what to re-place: the late items with the stored items around them, and the rest
    /// with every item after the earliest of them, and where the clusterer rewound to it comes
    /// from.
    fn plan(
        &self,
        writer: &Writer<'_>,
        unsettled: Vec<StorySubject>,
        mark: StoriesMark,
        loaded: Option<Loaded>,
    ) -> Result<Plan, StoreError> {
        let mut new: Vec<(OrderKey, StorySubject)> =
            unsettled.into_iter().map(|s| (key_of(&s), s)).collect();
        new.sort_unstable_by_key(|(key, _)| *key);
        let newest_stored = writer
            .newest_settled_report()?
            .as_deref()
            .and_then(crate::time::parse)
            .map(|t| t.timestamp());
        let settled_after = i64::try_from(self.settled_after.as_secs()).unwrap_or(i64::MAX);
        let settled_before = newest_stored.map_or(i64::MIN, |n| n.saturating_sub(settled_after));
        let newest = new
            .iter()
            .map(|(key, _)| key.at)
            .chain(newest_stored)
            .max()
            .unwrap_or(0);
        let split = new.partition_point(|(key, _)| key.at < settled_before);
        let recent = new.split_off(split);
        let late_neighbours = self.late_neighbours(writer, &new)?;

        let first = recent.first().map(|(key, _)| *key);
        let in_memory = loaded.and_then(|mut l| {
            let rewound = match first {
                Some(first) => l.clusterer.rewind(first)?,
                None => Vec::new(),
            };
            Some((l.clusterer, rewound))
        });
        let (source, mut replay) = match in_memory {
            Some((clusterer, rewound)) => {
                let rewound = rewound
                    .into_iter()
                    .map(|e| Subject {
                        key: OrderKey {
                            at: e.at,
                            tie: e.tie,
                        },
                        item_id: e.item_id,
                        old: Some(e.story_id),
                        text: Text::Read(e.features),
                    })
                    .collect();
                (Source::Memory(Box::new(clusterer)), rewound)
            }
            None if first.is_none() => (Source::Nothing, Vec::new()),
            None => self.load(writer, newest, first)?,
        };
        replay.extend(recent.into_iter().map(|(key, s)| Subject {
            key,
            item_id: s.id,
            old: None,
            text: match self.pending_features(&s) {
                Some(features) => Text::Read(features),
                None => Text::of(s),
            },
        }));
        replay.sort_by_key(|s| s.key);
        let claimable = claimable(writer, &replay)?;
        Ok(Plan {
            mark,
            late: new,
            late_neighbours,
            source,
            replay,
            claimable,
        })
    }

    /// The stored items from `first` minus a window (or from the newest item minus
    /// [`KEEP_EVICTED`] and a window, if earlier) on: those before `first` to rebuild the
    /// window from, and those at or after it to re-place.
    fn load(
        &self,
        writer: &Writer<'_>,
        newest: i64,
        first: Option<OrderKey>,
    ) -> Result<(Source, Vec<Subject>), StoreError> {
        let window = window_secs(&self.params);
        let keep = i64::try_from(KEEP_EVICTED.as_secs()).unwrap_or(i64::MAX);
        let start = first
            .map_or(newest, |f| f.at)
            .min(newest.saturating_sub(keep))
            .saturating_sub(window);
        let from =
            crate::time::format(DateTime::from_timestamp(start, 0).unwrap_or(DateTime::UNIX_EPOCH));
        let mut seed: Vec<(OrderKey, StorySubject)> = writer
            .settled_subjects_from(&from)?
            .into_iter()
            .map(|s| (key_of(&s), s))
            .collect();
        seed.sort_unstable_by_key(|(key, _)| *key);
        let cut = first.map_or(seed.len(), |f| seed.partition_point(|(key, _)| *key < f));
        let rewound = seed
            .split_off(cut)
            .into_iter()
            .filter_map(|(key, s)| {
                Some(Subject {
                    key,
                    item_id: s.id,
                    old: Some(s.story_id?),
                    text: Text::of(s),
                })
            })
            .collect();
        tracing::info!(items = seed.len(), from = %from, "loading the stories window");
        Ok((Source::Store { start, seed }, rewound))
    }

    /// The clusterer a settling re-places with: the one kept in memory, or one rebuilt from
    /// the stored items read for it.
    fn clusterer(&self, source: Source) -> Clusterer {
        match source {
            Source::Memory(clusterer) => *clusterer,
            Source::Nothing => Clusterer::new(self.params, 1),
            Source::Store { start, seed } => {
                let mut clusterer = Clusterer::rewindable(self.params, KEEP_EVICTED, start);
                for (key, s) in seed {
                    if let Some(story) = s.story_id {
                        let features = Features::of(&s.title, &s.summary);
                        clusterer.insert_keyed(s.id, key, story, features);
                    }
                }
                clusterer
            }
        }
    }

    /// The stored items within a window of the late items (see [`Stories::place_late`]).
    fn late_neighbours(
        &self,
        writer: &Writer<'_>,
        late: &[(OrderKey, StorySubject)],
    ) -> Result<Vec<(OrderKey, StorySubject)>, StoreError> {
        let (Some((first, _)), Some((last, _))) = (late.first(), late.last()) else {
            return Ok(Vec::new());
        };
        let window = window_secs(&self.params);
        let time = |at: i64| {
            crate::time::format(DateTime::from_timestamp(at, 0).unwrap_or(DateTime::UNIX_EPOCH))
        };
        let mut stored: Vec<(OrderKey, StorySubject)> = writer
            .settled_subjects_between(
                &time(first.at.saturating_sub(window)),
                &time(last.at.saturating_add(window).saturating_add(1)),
            )?
            .into_iter()
            .map(|s| (key_of(&s), s))
            .collect();
        stored.sort_unstable_by_key(|(key, _)| *key);
        Ok(stored)
    }

    /// Places items older than the settled horizon against the stored items within a window
    /// on either side of them, without re-placing those (see the bound).
    fn place_late(
        &self,
        late: Vec<(OrderKey, StorySubject)>,
        neighbours: Vec<(OrderKey, StorySubject)>,
        provisional: &mut i64,
    ) -> Vec<Replayed> {
        if late.is_empty() {
            return Vec::new();
        }
        let placed = neighbours
            .into_iter()
            .filter_map(|(key, s)| {
                Some(Entry {
                    item_id: s.id,
                    story_id: s.story_id?,
                    at: key.at,
                    tie: key.tie,
                    features: Features::of(&s.title, &s.summary),
                })
            })
            .collect();
        let items = late
            .into_iter()
            .map(|(key, s)| {
                let features = self
                    .pending_features(&s)
                    .unwrap_or_else(|| Features::of(&s.title, &s.summary));
                (s.id, key, features)
            })
            .collect();
        place_among(&self.params, placed, items, || {
            *provisional -= 1;
            *provisional
        })
        .into_iter()
        .map(|(item_id, story)| Replayed {
            item_id,
            old: None,
            story,
        })
        .collect()
    }
}

/// What a settling will re-place.
struct Plan {
    mark: StoriesMark,
    /// New items older than the settled horizon, and the stored items around them.
    late: Vec<(OrderKey, StorySubject)>,
    late_neighbours: Vec<(OrderKey, StorySubject)>,
    source: Source,
    replay: Vec<Subject>,
    claimable: HashSet<i64>,
}

/// The stories of the re-placed items all of whose items are re-placed: only those may be
/// renumbered or merged away.
fn claimable(writer: &Writer<'_>, replay: &[Subject]) -> Result<HashSet<i64>, StoreError> {
    let mut counts: HashMap<i64, i64> = HashMap::new();
    for old in replay.iter().filter_map(|s| s.old) {
        *counts.entry(old).or_default() += 1;
    }
    let mut ids: Vec<i64> = counts.keys().copied().collect();
    ids.sort_unstable();
    Ok(writer
        .story_sizes(&ids)?
        .into_iter()
        .filter(|(id, size)| counts.get(id).is_some_and(|n| n >= size))
        .map(|(id, _)| id)
        .collect())
}

/// An item's place in the order (see [`OrderKey`]); stored times are always readable, and the
/// epoch keeps the order total if one is not.
pub(super) fn key_of(subject: &StorySubject) -> OrderKey {
    let at = crate::time::parse(&subject.reported_at).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    OrderKey::new(at, &subject.identity)
}

fn text_hash(title: &str, summary: &str) -> u64 {
    fnv1a(title.as_bytes()) ^ fnv1a(summary.as_bytes()).rotate_left(1)
}

fn window_secs(params: &StoriesParams) -> i64 {
    i64::try_from(params.window.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::store::ItemRecord;

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

    /// Stores an item with no story, published `hour` hours after a fixed time.
    fn write(store: &mut Store, identity: &str, text: (&str, &str), hour: i64) -> i64 {
        let w = store.writer().unwrap();
        let feed = w
            .ensure_feed(&format!("http://{identity}/feed"), None)
            .unwrap();
        let published =
            crate::time::parse("2026-11-20T00:00:00Z").unwrap() + chrono::Duration::hours(hour);
        let record = ItemRecord {
            summary: text.1.into(),
            ..ItemRecord::sample(identity, text.0, &crate::time::format(published))
        };
        let id = w
            .upsert_item(&record, feed, "2027-01-01T00:00:00Z")
            .unwrap()
            .0;
        w.commit().unwrap();
        id
    }

    fn settle(stories: &Stories, store: &mut Store) -> SettleSummary {
        let cell = RefCell::new(store);
        stories
            .settle(|| std::cell::RefMut::map(cell.borrow_mut(), |s| &mut **s))
            .unwrap()
    }

    fn story(store: &mut Store, item: i64) -> Option<i64> {
        store.writer().unwrap().item_story(item).unwrap()
    }

    #[test]
    fn settling_puts_reports_of_one_event_together_and_another_apart() {
        let mut store = Store::in_memory().unwrap();
        let stories = Stories::new(StoriesParams::default());
        let a = write(&mut store, "a", RAIN, 2);
        let c = write(&mut store, "c", OTHER, 3);
        let b = write(&mut store, "b", RAIN_AGAIN, 4);
        let summary = settle(&stories, &mut store);
        assert_eq!((summary.placed, summary.late), (3, 0));
        assert!(story(&mut store, a).is_some());
        assert_eq!(story(&mut store, a), story(&mut store, b));
        assert_ne!(story(&mut store, a), story(&mut store, c));
        assert_eq!(settle(&stories, &mut store), SettleSummary::default());
    }

    #[test]
    fn an_earlier_report_arriving_later_joins_and_the_story_keeps_its_id() {
        let mut store = Store::in_memory().unwrap();
        let stories = Stories::new(StoriesParams::default());
        let b = write(&mut store, "b", RAIN_AGAIN, 30);
        write(&mut store, "c", OTHER, 31);
        settle(&stories, &mut store);
        let before = story(&mut store, b);
        let a = write(&mut store, "a", RAIN, 25);
        let summary = settle(&stories, &mut store);
        assert!(!summary.reloaded, "rewound in memory");
        assert_eq!(summary.replayed, 3, "{summary:?}");
        assert_eq!(story(&mut store, a), before);
        assert_eq!(story(&mut store, b), before);
        let facts = store.story(before.unwrap()).unwrap().unwrap();
        assert_eq!((facts.items, facts.representative_item), (2, Some(a)));
    }

    #[test]
    fn a_backlog_is_settled_in_batches_earliest_first_with_the_same_result() {
        let mut store = Store::in_memory().unwrap();
        let texts = [RAIN, OTHER, RAIN_AGAIN, OTHER, RAIN];
        let items: Vec<i64> = texts
            .iter()
            .enumerate()
            .map(|(n, text)| write(&mut store, &format!("i{n}"), *text, 10 - n as i64))
            .collect();
        let mut stories = Stories::new(StoriesParams::default());
        stories.batch = 2;
        let summary = settle(&stories, &mut store);
        assert_eq!(summary.placed, 5);
        let batched: Vec<Option<i64>> = items.iter().map(|i| story(&mut store, *i)).collect();
        assert_eq!(batched[0], batched[2]);
        assert_eq!(batched[0], batched[4]);
        assert_eq!(batched[1], batched[3]);
        assert_ne!(batched[0], batched[1]);
    }

    #[test]
    fn a_new_process_settles_as_the_old_one_would_have() {
        let mut store = Store::in_memory().unwrap();
        let a = write(&mut store, "a", RAIN, 2);
        settle(&Stories::new(StoriesParams::default()), &mut store);
        let b = write(&mut store, "b", RAIN_AGAIN, 1);
        let summary = settle(&Stories::new(StoriesParams::default()), &mut store);
        assert!(summary.reloaded);
        assert_eq!(story(&mut store, a), story(&mut store, b));
    }

    #[test]
    fn an_item_older_than_the_horizon_joins_the_story_around_it_without_re_placing() {
        let mut store = Store::in_memory().unwrap();
        let stories = Stories::new(StoriesParams::default());
        let b = write(&mut store, "b", RAIN_AGAIN, 5);
        write(&mut store, "c", OTHER, 500);
        settle(&stories, &mut store);
        let a = write(&mut store, "a", RAIN, 2);
        let summary = settle(&stories, &mut store);
        assert_eq!((summary.late, summary.replayed), (1, 1), "{summary:?}");
        assert_eq!(story(&mut store, a), story(&mut store, b));
    }

    #[test]
    fn stories_changed_by_another_process_are_reloaded() {
        let mut store = Store::in_memory().unwrap();
        let stories = Stories::new(StoriesParams::default());
        let a = write(&mut store, "a", RAIN, 2);
        settle(&stories, &mut store);
        // Another process re-clusters everything.
        crate::stories::restory(&mut store, StoriesParams::default(), |_| {}).unwrap();
        let b = write(&mut store, "b", RAIN_AGAIN, 3);
        assert!(settle(&stories, &mut store).reloaded);
        assert_eq!(story(&mut store, a), story(&mut store, b));
    }
}
