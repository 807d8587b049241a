//! Checkpoints beside the writer. By default the commit that grows the write-ahead log past
//! 1,000 pages copies them back into the database itself, on the writer's time, which every
//! feed waits for. Here a connection of its own does it every quarter second instead, and the
//! writer keeps a far higher limit only as a backstop.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::store::Store;

const PERIOD: Duration = Duration::from_millis(250);
/// The writer's own limit while the checkpointer runs: about 40 MB of log.
const BACKSTOP_PAGES: u32 = 10_000;

/// Starts checkpointing the store at `path` and raises the writer's own limit; `None` (and the
/// writer left as it was) when a second connection cannot be opened, as for an in-memory store.
pub fn spawn(writer: &Store) -> Option<tokio::task::JoinHandle<()>> {
    let checkpointer = match writer.another_connection()? {
        Ok(store) => Arc::new(Mutex::new(store)),
        Err(err) => {
            tracing::warn!(error = %err, "cannot open a connection for checkpoints; the writer does them");
            return None;
        }
    };
    if let Err(err) = writer.set_autocheckpoint(BACKSTOP_PAGES) {
        tracing::warn!(error = %err, "cannot raise the writer's checkpoint limit; the writer does them");
        return None;
    }
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(PERIOD);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let store = checkpointer.clone();
            let done = tokio::task::spawn_blocking(move || {
                let store = store
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                store.checkpoint()
            })
            .await;
            // A busy or failed checkpoint is retried next tick; the writer's backstop bounds
            // the log meanwhile.
            if let Ok(Err(err)) = done {
                tracing::debug!(error = %err, "checkpoint did not complete");
            }
        }
    }))
}
