//! Writing a re-clustering back to the store while keeping story ids.
//!
//! Re-clustering (settling the recent window, or `restory`) replays items through a clusterer
//! that numbers the stories it starts with provisional, negative ids. Here each provisional story
//! is given a stored id: the id its first (representative) item had, when that story is wholly
//! among the replayed items and no earlier story took it; else the id most of its items had;
//! else a new one. So a story that merely gains or loses members keeps its id. A stored story
//! left with no items is deleted, and its id becomes an alias of the story most of its items went
//! into (`story_aliases`), so `mirsad story OLD` still finds them.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::store::{StoreError, Writer};

/// One replayed item: the story it had (if any) and the one the replay gave it (negative:
/// provisional).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    pub item_id: i64,
    pub old: Option<i64>,
    pub story: i64,
}

/// What writing a re-clustering changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Items whose story changed.
    pub moved: usize,
    /// Stories created, and stories deleted into another (their ids now aliases).
    pub created: usize,
    pub merged: usize,
}

/// How provisional stories become stored ones.
#[derive(Debug, Default, PartialEq, Eq)]
struct Naming {
    /// Provisional id → the stored id it keeps.
    keep: HashMap<i64, i64>,
    /// Provisional ids that need a new stored story, in the order they were started.
    create: Vec<i64>,
}

/// Chooses ids for the provisional stories (see the module comment). `claimable` holds the old
/// stories all of whose items were replayed: only those can be reused or deleted.
fn name(replayed: &[Replayed], claimable: &HashSet<i64>) -> Naming {
    // Provisional stories in the order they were started; each one's old ids and their counts.
    let mut order: Vec<i64> = Vec::new();
    let mut first_old: HashMap<i64, Option<i64>> = HashMap::new();
    let mut counts: HashMap<i64, BTreeMap<i64, usize>> = HashMap::new();
    for r in replayed.iter().filter(|r| r.story < 0) {
        if let std::collections::hash_map::Entry::Vacant(first) = first_old.entry(r.story) {
            order.push(r.story);
            first.insert(r.old);
        }
        if let Some(old) = r.old.filter(|o| claimable.contains(o)) {
            *counts.entry(r.story).or_default().entry(old).or_default() += 1;
        }
    }
    let mut naming = Naming::default();
    let mut taken: HashSet<i64> = HashSet::new();
    for story in order {
        let representative = first_old
            .get(&story)
            .copied()
            .flatten()
            .filter(|old| claimable.contains(old) && !taken.contains(old));
        let most = || {
            counts.get(&story).and_then(|c| {
                c.iter()
                    .filter(|(old, _)| !taken.contains(*old))
                    // Most items; on a tie the lowest id, so the choice never depends on hashing.
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(old, _)| *old)
            })
        };
        match representative.or_else(most) {
            Some(old) => {
                taken.insert(old);
                naming.keep.insert(story, old);
            }
            None => naming.create.push(story),
        }
    }
    naming
}

/// Writes the replay's stories: ids chosen by [`name`], new stories created, items moved, empty
/// stories merged into where their items went, facts refreshed. Returns the provisional → stored
/// ids, for the clusterer's window.
pub fn write(
    writer: &Writer<'_>,
    replayed: &[Replayed],
    claimable: &HashSet<i64>,
    now: &str,
) -> Result<(HashMap<i64, i64>, Written), StoreError> {
    let naming = name(replayed, claimable);
    let mut ids = naming.keep;
    let mut written = Written::default();
    for provisional in naming.create {
        ids.insert(provisional, writer.create_story(now)?);
        written.created += 1;
    }
    let stored = |story: i64| {
        if story < 0 {
            ids.get(&story).copied()
        } else {
            Some(story)
        }
    };
    let mut touched: HashSet<i64> = HashSet::new();
    let mut went: HashMap<i64, BTreeMap<i64, usize>> = HashMap::new();
    let mut alive: HashSet<i64> = HashSet::new();
    for r in replayed {
        let Some(story) = stored(r.story) else {
            continue;
        };
        alive.insert(story);
        if let Some(old) = r.old {
            *went.entry(old).or_default().entry(story).or_default() += 1;
        }
        if r.old != Some(story) {
            writer.set_item_story(r.item_id, story)?;
            touched.insert(story);
            touched.extend(r.old);
            written.moved += 1;
        }
    }
    let mut dead: Vec<i64> = claimable
        .iter()
        .copied()
        .filter(|old| !alive.contains(old))
        .collect();
    dead.sort_unstable();
    for old in dead {
        let into = went.get(&old).and_then(|to| {
            to.iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(story, _)| *story)
        });
        match into {
            Some(into) => writer.merge_story(old, into, now)?,
            None => writer.delete_story(old)?,
        }
        touched.remove(&old);
        written.merged += 1;
    }
    let mut touched: Vec<i64> = touched.into_iter().collect();
    touched.sort_unstable();
    for story in touched {
        writer.refresh_story(story, now)?;
    }
    Ok((ids, written))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(item_id: i64, old: Option<i64>, story: i64) -> Replayed {
        Replayed {
            item_id,
            old,
            story,
        }
    }

    fn set(ids: &[i64]) -> HashSet<i64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn a_story_that_gains_a_member_keeps_its_id() {
        let replayed = [r(1, Some(7), -1), r(2, None, -1), r(3, Some(7), -1)];
        let naming = name(&replayed, &set(&[7]));
        assert_eq!(naming.keep, HashMap::from([(-1, 7)]));
        assert!(naming.create.is_empty());
    }

    #[test]
    fn a_split_story_keeps_its_id_where_its_representative_went() {
        let replayed = [r(1, Some(7), -1), r(2, Some(7), -2), r(3, Some(7), -2)];
        let naming = name(&replayed, &set(&[7]));
        assert_eq!(naming.keep, HashMap::from([(-1, 7)]));
        assert_eq!(naming.create, [-2]);
    }

    #[test]
    fn a_story_with_members_outside_the_replay_is_never_reused() {
        let replayed = [r(1, Some(7), -1), r(2, None, -1)];
        let naming = name(&replayed, &set(&[]));
        assert!(naming.keep.is_empty());
        assert_eq!(naming.create, [-1]);
    }

    #[test]
    fn a_merged_story_takes_the_id_of_the_representative_and_the_other_becomes_an_alias() {
        let replayed = [r(1, Some(4), -1), r(2, Some(9), -1), r(3, Some(9), -1)];
        let naming = name(&replayed, &set(&[4, 9]));
        assert_eq!(naming.keep, HashMap::from([(-1, 4)]));
    }

    #[test]
    fn writing_moves_items_and_leaves_an_alias_for_the_merged_story() {
        use crate::store::{ItemRecord, Store};
        let mut store = Store::in_memory().unwrap();
        let w = store.writer().unwrap();
        let feed = w.ensure_feed("http://a/feed", None).unwrap();
        let now = "2026-11-20T12:00:00Z";
        let mut items = Vec::new();
        for (n, published) in ["2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z"]
            .into_iter()
            .enumerate()
        {
            let record = ItemRecord::sample(&format!("i{n}"), "عنوان", published);
            items.push(w.upsert_item(&record, feed, now).unwrap().0);
        }
        let (a, b) = (w.create_story(now).unwrap(), w.create_story(now).unwrap());
        w.put_in_story(items[0], a, now).unwrap();
        w.put_in_story(items[1], b, now).unwrap();
        let replayed = [r(items[0], Some(a), -1), r(items[1], Some(b), -1)];
        let (ids, written) = write(&w, &replayed, &set(&[a, b]), now).unwrap();
        assert_eq!(ids, HashMap::from([(-1, a)]));
        assert_eq!(
            written,
            Written {
                moved: 1,
                created: 0,
                merged: 1
            }
        );
        assert_eq!(w.item_story(items[1]).unwrap(), Some(a));
        w.commit().unwrap();
        assert!(store.story(b).unwrap().is_none());
        assert_eq!(store.story_alias(b).unwrap(), Some(a));
        assert_eq!(store.story(a).unwrap().unwrap().items, 2);
        // A new story never takes the id that is now an alias.
        let w = store.writer().unwrap();
        assert!(w.create_story(now).unwrap() > b);
    }
}
