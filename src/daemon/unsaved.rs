//! Feed states the store would not take (a full disk, a read-only or long-busy database),
//! kept in memory so the schedule still backs off, and written once the store takes writes
//! again, so `mirsad feeds` then shows what went wrong.
//!
//! Without this a feed whose state could not be written stayed due, and was refetched about
//! once a minute for as long as the disk stayed full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::store::{FeedState, Store};

/// The newest state of each feed whose last write failed, by configured URL. Clones share it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Unsaved(Arc<Mutex<HashMap<String, FeedState>>>);

impl Unsaved {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, FeedState>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `state` as the feed's newest, in place of the stored one.
    pub(crate) fn keep(&self, state: FeedState) {
        self.map().insert(state.url.clone(), state);
    }

    /// The feed's newest state if the store lacks it.
    pub(crate) fn get(&self, url: &str) -> Option<FeedState> {
        self.map().get(url).cloned()
    }

    /// Drops the kept state of a feed whose newer state was just written. Call it while holding
    /// the writer, so [`Unsaved::flush`] cannot write the older state over the newer one.
    pub(crate) fn forget(&self, url: &str) {
        self.map().remove(url);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map().is_empty()
    }

    /// Writes every kept state; those written are forgotten. Returns how many were written;
    /// the first failure stops the attempt (the store still refuses writes).
    pub(crate) fn flush(&self, store: &mut Store) -> usize {
        let mut map = self.map();
        let mut written = 0;
        let urls: Vec<String> = map.keys().cloned().collect();
        for url in urls {
            let Some(state) = map.get(&url) else { continue };
            if let Err(err) = store.save_feed_state(state) {
                tracing::debug!(error = %err, left = map.len(), "the store still refuses the kept feed states");
                break;
            }
            map.remove(&url);
            written += 1;
        }
        if written > 0 {
            tracing::info!(written, "recorded the feed states the store had refused");
        }
        written
    }
}
