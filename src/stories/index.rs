//! The items of the current window, with an inverted index from each term to the items that
//! have it.
//!
//! Items live in arrival order under increasing sequence numbers, and every posting list is in
//! the same order, so evicting the oldest item pops the front of each of its lists: eviction
//! costs what insertion did, and nothing is ever scanned. A posting list's length is the term's
//! document frequency in the window, which the scorer turns into rarity.
//!
//! Both ends move both ways: the clusterer takes the newest items back off the end
//! ([`WindowIndex::pop_back`]) and puts evicted ones back at the front
//! ([`WindowIndex::push_front`]) to rewind the window to an earlier point in time.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::features::{Facts, Features};

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

/// An item to add to the window.
#[derive(Debug, Clone)]
pub struct Entry {
    pub item_id: i64,
    pub story_id: i64,
    /// Seconds since the Unix epoch.
    pub at: i64,
    /// Orders items of the same second (a hash of the item's identity).
    pub tie: u64,
    pub features: Features,
}

/// A term of an indexed item, by its slot in the window's term table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotTerm {
    pub slot: u32,
    pub boost: f32,
    pub entity: bool,
}

/// An item in the window. Its terms are slots, sorted, so scoring it reads document frequencies
/// from an array rather than hashing each term again, and a term costs 12 bytes, not 16.
#[derive(Debug, Clone)]
pub struct Indexed {
    pub item_id: i64,
    pub story_id: i64,
    pub at: i64,
    pub tie: u64,
    pub terms: Box<[SlotTerm]>,
    pub facts: Facts,
}

/// The window's items and postings.
#[derive(Debug)]
pub struct WindowIndex {
    entries: VecDeque<Indexed>,
    /// Each entry's time again, packed: reading postings checks times by the thousand, and
    /// this keeps those reads in cache.
    times: VecDeque<i64>,
    /// Sequence number of `entries[0]`.
    first_seq: u64,
    /// Term key → slot, for the terms some item in the window has.
    slots: FastMap<u32>,
    /// By slot: the term's key, and its postings (sequence numbers, oldest first).
    keys: Vec<u64>,
    postings: Vec<VecDeque<u64>>,
    /// Slots whose term left the window, for reuse.
    free: Vec<u32>,
    /// The latest time seen: the window ends here.
    newest: Option<i64>,
    /// Size at which the window is next rebuilt from the items still inside it.
    compact_at: usize,
}

/// Smallest window worth rebuilding; below it, items waiting out of order cost little.
const MIN_COMPACT: usize = 4096;

/// The first sequence number: room below it for items put back at the front.
const FIRST_SEQ: u64 = 1 << 48;

impl Default for WindowIndex {
    fn default() -> WindowIndex {
        WindowIndex {
            entries: VecDeque::new(),
            times: VecDeque::new(),
            first_seq: FIRST_SEQ,
            slots: FastMap::default(),
            keys: Vec::new(),
            postings: Vec::new(),
            free: Vec::new(),
            newest: None,
            compact_at: 0,
        }
    }
}

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
        let indexed = self.indexed(entry);
        self.push(indexed);
    }

    /// Puts an item back at the front of the window (it must be older than every item in it).
    pub fn push_front(&mut self, entry: Entry) {
        let indexed = self.indexed(entry);
        let Some(seq) = self.first_seq.checked_sub(1) else {
            return;
        };
        self.first_seq = seq;
        for term in &indexed.terms {
            if let Some(list) = self.postings.get_mut(term.slot as usize) {
                list.push_front(seq);
            }
        }
        self.newest = Some(self.newest.map_or(indexed.at, |n| n.max(indexed.at)));
        self.times.push_front(indexed.at);
        self.entries.push_front(indexed);
    }

    /// Takes the newest item off the end of the window. The window's end stays where it was
    /// until [`WindowIndex::reset_newest`].
    pub fn pop_back(&mut self) -> Option<Entry> {
        let indexed = self.entries.pop_back()?;
        self.times.pop_back();
        let seq = self.first_seq + self.entries.len() as u64;
        for term in &indexed.terms {
            if let Some(list) = self.postings.get_mut(term.slot as usize)
                && list.back() == Some(&seq)
            {
                list.pop_back();
            }
        }
        let entry = self.entry(&indexed);
        for term in &indexed.terms {
            self.release_if_unused(term.slot);
        }
        Some(entry)
    }

    /// Moves the window's end back to its newest item (after [`WindowIndex::pop_back`]).
    pub fn reset_newest(&mut self) {
        self.newest = self.times.iter().copied().max();
    }

    /// The newest item's time and tie, in window order.
    pub fn back_key(&self) -> Option<(i64, u64)> {
        self.entries.back().map(|e| (e.at, e.tie))
    }

    /// Renames stories in place (provisional ids to the ones the store gave).
    pub fn relabel(&mut self, rename: impl Fn(i64) -> i64) {
        for entry in &mut self.entries {
            entry.story_id = rename(entry.story_id);
        }
    }

    /// An indexed item as it was added, its terms read back from their slots.
    fn entry(&self, indexed: &Indexed) -> Entry {
        let terms = indexed
            .terms
            .iter()
            .filter_map(|t| {
                Some(super::features::Term {
                    key: *self.keys.get(t.slot as usize)?,
                    boost: t.boost,
                    entity: t.entity,
                })
            })
            .collect();
        Entry {
            item_id: indexed.item_id,
            story_id: indexed.story_id,
            at: indexed.at,
            tie: indexed.tie,
            features: Features {
                terms,
                facts: indexed.facts.clone(),
            },
        }
    }

    fn indexed(&mut self, entry: Entry) -> Indexed {
        let mut terms: Vec<SlotTerm> = entry
            .features
            .terms
            .iter()
            .map(|term| SlotTerm {
                slot: self.slot_for(term.key),
                boost: term.boost,
                entity: term.entity,
            })
            .collect();
        terms.sort_unstable_by_key(|t| t.slot);
        Indexed {
            item_id: entry.item_id,
            story_id: entry.story_id,
            at: entry.at,
            tie: entry.tie,
            terms: terms.into_boxed_slice(),
            facts: entry.features.facts,
        }
    }

    fn push(&mut self, indexed: Indexed) {
        let seq = self.first_seq + self.entries.len() as u64;
        for term in &indexed.terms {
            if let Some(list) = self.postings.get_mut(term.slot as usize) {
                list.push_back(seq);
            }
        }
        self.newest = Some(self.newest.map_or(indexed.at, |n| n.max(indexed.at)));
        self.times.push_back(indexed.at);
        self.entries.push_back(indexed);
    }

    /// The slot of a term, taking a free one for a term new to the window.
    fn slot_for(&mut self, key: u64) -> u32 {
        if let Some(slot) = self.slots.get(&key) {
            return *slot;
        }
        let slot = match self.free.pop() {
            Some(slot) => {
                if let Some(k) = self.keys.get_mut(slot as usize) {
                    *k = key;
                }
                slot
            }
            None => {
                self.keys.push(key);
                self.postings.push(VecDeque::new());
                u32::try_from(self.keys.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.slots.insert(key, slot);
        slot
    }

    /// Drops items from the front while they are older than `horizon`, handing each to
    /// `evicted`. An item that arrived late with an old date waits behind newer ones; it only
    /// costs memory until its turn.
    pub fn evict_older_than(&mut self, horizon: i64, mut evicted: impl FnMut(Entry)) {
        while let Some(front) = self.entries.front() {
            if front.at >= horizon {
                break;
            }
            let seq = self.first_seq;
            self.times.pop_front();
            if let Some(indexed) = self.entries.pop_front() {
                for term in &indexed.terms {
                    if let Some(list) = self.postings.get_mut(term.slot as usize)
                        && list.front() == Some(&seq)
                    {
                        list.pop_front();
                    }
                }
                evicted(self.entry(&indexed));
                for term in &indexed.terms {
                    self.release_if_unused(term.slot);
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
            self.compact(horizon, &mut evicted);
            self.compact_at = 2 * self.entries.len();
        }
    }

    /// Keeps only the items at or after `horizon`, renumbered after every number used so far.
    fn compact(&mut self, horizon: i64, mut evicted: impl FnMut(Entry)) {
        let entries = std::mem::take(&mut self.entries);
        self.first_seq += entries.len() as u64;
        self.times.clear();
        self.postings.iter_mut().for_each(VecDeque::clear);
        for indexed in entries {
            if indexed.at >= horizon {
                self.push(indexed);
            } else {
                evicted(self.entry(&indexed));
            }
        }
        for slot in 0..self.postings.len() {
            self.release_if_unused(u32::try_from(slot).unwrap_or(u32::MAX));
        }
    }

    /// Frees the slot of a term no item in the window has any more.
    fn release_if_unused(&mut self, slot: u32) {
        let Some(list) = self.postings.get_mut(slot as usize) else {
            return;
        };
        if !list.is_empty() {
            return;
        }
        let Some(key) = self.keys.get(slot as usize) else {
            return;
        };
        if self.slots.get(key) == Some(&slot) {
            self.slots.remove(key);
            *list = VecDeque::new();
            self.free.push(slot);
        }
    }

    /// The slot of a term some item in the window has.
    pub fn slot(&self, key: u64) -> Option<u32> {
        self.slots.get(&key).copied()
    }

    /// How many items of the window have the term in this slot.
    pub fn slot_frequency(&self, slot: u32) -> usize {
        self.postings.get(slot as usize).map_or(0, VecDeque::len)
    }

    /// How many items of the window have the term.
    #[cfg(test)]
    pub fn document_frequency(&self, key: u64) -> usize {
        self.slot(key).map_or(0, |slot| self.slot_frequency(slot))
    }

    /// The items that have the term in this slot, newest first: their sequence numbers and
    /// times.
    pub fn postings_newest_first(&self, slot: u32) -> impl Iterator<Item = (u64, i64)> {
        self.postings
            .get(slot as usize)
            .into_iter()
            .flat_map(|list| list.iter().rev())
            .filter_map(|seq| {
                let offset = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
                self.times.get(offset).map(|at| (*seq, *at))
            })
    }

    pub fn get(&self, seq: u64) -> Option<&Indexed> {
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
        tie: 0,
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
            .postings_newest_first(index.slot(7).unwrap())
            .map(|(seq, _)| index.get(seq).unwrap().item_id)
            .collect();
        assert_eq!(ids, [2, 1]);
        let times: Vec<i64> = index
            .postings_newest_first(index.slot(7).unwrap())
            .map(|(_, at)| at)
            .collect();
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
        index.evict_older_than(15, drop);
        assert_eq!(index.len(), 1);
        assert_eq!(index.document_frequency(7), 1);
        assert_eq!(index.document_frequency(8), 0);
        assert_eq!(index.slot(8), None, "terms no item has are freed");
        index.insert(entry(3, 30, &[9]));
        assert!(index.free.is_empty(), "and their slots reused");
        let ids: Vec<i64> = index
            .postings_newest_first(index.slot(7).unwrap())
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
            index.evict_older_than(late - 100, drop);
        }
        assert!(index.len() < MIN_COMPACT + 1, "{} items kept", index.len());
        assert_eq!(index.document_frequency(2), index.len() - 1);
        let ids: Vec<i64> = index
            .postings_newest_first(index.slot(1).unwrap())
            .map(|(seq, _)| index.get(seq).unwrap().item_id)
            .collect();
        assert_eq!(ids, [0], "the item inside the window survives the rebuild");
    }

    #[test]
    fn a_late_old_item_waits_behind_newer_ones() {
        let mut index = WindowIndex::default();
        index.insert(entry(1, 100, &[7]));
        index.insert(entry(2, 5, &[7]));
        index.evict_older_than(50, drop);
        assert_eq!(index.len(), 2);
        index.evict_older_than(200, drop);
        assert_eq!(index.len(), 0);
        assert_eq!(index.document_frequency(7), 0);
    }

    #[test]
    fn popping_and_putting_back_give_the_window_it_had() {
        let mut index = WindowIndex::default();
        index.insert(entry(1, 10, &[7, 8]));
        index.insert(entry(2, 20, &[7, 9]));
        index.insert(entry(3, 30, &[9]));
        let mut evicted = Vec::new();
        index.evict_older_than(15, |e| evicted.push(e));
        let back = index.pop_back().unwrap();
        assert_eq!((back.item_id, back.features.terms.len()), (3, 1));
        assert_eq!(back.features.terms[0].key, 9);
        index.reset_newest();
        assert_eq!(index.newest(), Some(20));
        assert_eq!(index.document_frequency(9), 1);
        let first = evicted.pop().unwrap();
        assert_eq!(first.item_id, 1);
        index.push_front(first);
        assert_eq!(index.len(), 2);
        assert_eq!(index.document_frequency(7), 2);
        assert_eq!(index.document_frequency(8), 1);
        let ids: Vec<i64> = index
            .postings_newest_first(index.slot(7).unwrap())
            .map(|(seq, _)| index.get(seq).unwrap().item_id)
            .collect();
        assert_eq!(ids, [2, 1]);
        assert_eq!(index.back_key(), Some((20, 0)));
    }
}
