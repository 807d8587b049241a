//! The items of the current window, with an inverted index from each term to the items that
//! have it.
//!
//! Items live in arrival order under increasing sequence numbers, and every posting list is in
//! the same order, so evicting the oldest item pops the front of each of its lists: eviction
//! costs what insertion did, and nothing is ever scanned. A posting list's length is the term's
//! document frequency in the window, which the scorer turns into rarity.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::features::Features;

/// A hash map keyed by numbers that are already well mixed (term keys are FNV hashes) or
/// sequential (item numbers): one multiplication instead of SipHash, on the hot path.
pub type FastMap<V> = HashMap<u64, V, BuildHasherDefault<MixHasher>>;

/// Fibonacci hashing of one `u64`.
#[derive(Debug, Default, Clone, Copy)]
pub struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// One indexed item.
#[derive(Debug, Clone)]
pub struct Entry {
    pub item_id: i64,
    pub story_id: i64,
    /// Seconds since the Unix epoch.
    pub at: i64,
    pub features: Features,
}

/// The window's items and postings.
#[derive(Debug, Default)]
pub struct WindowIndex {
    entries: VecDeque<Entry>,
    /// Each entry's time again, packed: reading postings checks times by the thousand, and
    /// this keeps those reads in cache.
    times: VecDeque<i64>,
    /// Sequence number of `entries[0]`.
    first_seq: u64,
    postings: FastMap<VecDeque<u64>>,
    /// The latest time seen: the window ends here.
    newest: Option<i64>,
    /// Size at which the window is next rebuilt from the items still inside it.
    compact_at: usize,
}

/// Smallest window worth rebuilding; below it, items waiting out of order cost little.
const MIN_COMPACT: usize = 4096;

impl WindowIndex {
    /// Number of items in the window.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn newest(&self) -> Option<i64> {
        self.newest
    }

    /// Adds an item at the end of the window.
    pub fn insert(&mut self, entry: Entry) {
        let seq = self.first_seq + self.entries.len() as u64;
        for term in &entry.features.terms {
            self.postings.entry(term.key).or_default().push_back(seq);
        }
        self.newest = Some(self.newest.map_or(entry.at, |n| n.max(entry.at)));
        self.times.push_back(entry.at);
        self.entries.push_back(entry);
    }

    /// Drops items from the front while they are older than `horizon`. An item that arrived late
    /// with an old date waits behind newer ones; it only costs memory until its turn.
    pub fn evict_older_than(&mut self, horizon: i64) {
        while let Some(front) = self.entries.front() {
            if front.at >= horizon {
                break;
            }
            let seq = self.first_seq;
            self.times.pop_front();
            if let Some(entry) = self.entries.pop_front() {
                for term in &entry.features.terms {
                    self.pop_posting(term.key, seq);
                }
            }
            self.first_seq += 1;
        }
        // Items that arrived out of time order wait behind newer ones (above). When they pile
        // up (a first cycle ingesting weeks of backlog from hundreds of feeds at once), the
        // window is rebuilt from the items still inside it, so memory follows the window and
        // not the arrivals. The next rebuild waits until the window doubles: each item is
        // rebuilt about once, amortized.
        if self.entries.len() >= self.compact_at.max(MIN_COMPACT) {
            self.compact(horizon);
            self.compact_at = 2 * self.entries.len();
        }
    }

    /// Keeps only the items at or after `horizon`, renumbered after every number used so far.
    fn compact(&mut self, horizon: i64) {
        let entries = std::mem::take(&mut self.entries);
        self.first_seq += entries.len() as u64;
        self.times.clear();
        self.postings.clear();
        for entry in entries.into_iter().filter(|e| e.at >= horizon) {
            self.insert(entry);
        }
    }

    fn pop_posting(&mut self, key: u64, seq: u64) {
        if let Some(list) = self.postings.get_mut(&key) {
            if list.front() == Some(&seq) {
                list.pop_front();
            }
            if list.is_empty() {
                self.postings.remove(&key);
            }
        }
    }

    /// How many items of the window have the term.
    pub fn document_frequency(&self, key: u64) -> usize {
        self.postings.get(&key).map_or(0, VecDeque::len)
    }

    /// The items that have the term, newest first: their sequence numbers and times.
    pub fn postings_newest_first(&self, key: u64) -> impl Iterator<Item = (u64, i64)> {
        self.postings
            .get(&key)
            .into_iter()
            .flat_map(|list| list.iter().rev())
            .filter_map(|seq| {
                let offset = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
                self.times.get(offset).map(|at| (*seq, *at))
            })
    }

    pub fn get(&self, seq: u64) -> Option<&Entry> {
        let offset = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.entries.get(offset)
    }
}

/// An entry with the given term keys (boost 1), its own story, for tests here and in the
/// scorer's.
#[cfg(test)]
pub(super) fn test_entry(item_id: i64, at: i64, keys: &[u64]) -> Entry {
    let terms = keys
        .iter()
        .map(|&key| super::features::Term {
            key,
            boost: 1.0,
            entity: false,
        })
        .collect();
    Entry {
        item_id,
        story_id: item_id,
        at,
        features: Features {
            terms,
            ..Features::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(item_id: i64, at: i64, keys: &[u64]) -> Entry {
        test_entry(item_id, at, keys)
    }

    #[test]
    fn postings_list_items_newest_first_and_count_frequency() {
        let mut index = WindowIndex::default();
        index.insert(entry(1, 10, &[7, 8]));
        index.insert(entry(2, 20, &[7]));
        let ids: Vec<i64> = index
            .postings_newest_first(7)
            .map(|(seq, _)| index.get(seq).unwrap().item_id)
            .collect();
        assert_eq!(ids, [2, 1]);
        let times: Vec<i64> = index.postings_newest_first(7).map(|(_, at)| at).collect();
        assert_eq!(times, [20, 10]);
        assert_eq!(index.document_frequency(8), 1);
        assert_eq!(index.document_frequency(9), 0);
        assert_eq!(index.newest(), Some(20));
    }

    #[test]
    fn eviction_removes_old_items_and_their_postings_only() {
        let mut index = WindowIndex::default();
        index.insert(entry(1, 10, &[7, 8]));
        index.insert(entry(2, 20, &[7]));
        index.evict_older_than(15);
        assert_eq!(index.len(), 1);
        assert_eq!(index.document_frequency(7), 1);
        assert_eq!(index.document_frequency(8), 0);
        assert!(!index.postings.contains_key(&8), "empty lists are freed");
        let ids: Vec<i64> = index
            .postings_newest_first(7)
            .map(|(seq, _)| index.get(seq).unwrap().item_id)
            .collect();
        assert_eq!(ids, [2]);
    }

    #[test]
    fn items_stuck_behind_a_newer_one_are_dropped_when_the_window_is_rebuilt() {
        let mut index = WindowIndex::default();
        let late = 10_000_000;
        index.insert(entry(0, late, &[1]));
        for i in 1..20_000 {
            index.insert(entry(i, i, &[2, 3 + i as u64 % 50]));
            index.evict_older_than(late - 100);
        }
        assert!(index.len() < MIN_COMPACT + 1, "{} items kept", index.len());
        assert_eq!(index.document_frequency(2), index.len() - 1);
        let ids: Vec<i64> = index
            .postings_newest_first(1)
            .map(|(seq, _)| index.get(seq).unwrap().item_id)
            .collect();
        assert_eq!(ids, [0], "the item inside the window survives the rebuild");
    }

    #[test]
    fn a_late_old_item_waits_behind_newer_ones() {
        let mut index = WindowIndex::default();
        index.insert(entry(1, 100, &[7]));
        index.insert(entry(2, 5, &[7]));
        index.evict_older_than(50);
        assert_eq!(index.len(), 2);
        index.evict_older_than(200);
        assert_eq!(index.len(), 0);
        assert_eq!(index.document_frequency(7), 0);
    }
}
