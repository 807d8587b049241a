//! The web face's way to the database: read connections of its own, opened read-only, used on
//! blocking threads, bounded in number and in time; and one lazily opened write connection for
//! judgements. The daemon's writer connection is never touched, so a page never waits on a
//! fetch's write (WAL lets readers and the writer work at once).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::error::WebError;
use crate::store::{Store, StoreError};

/// Reads running at once; more wait for a turn (2-core machines: more would only queue).
const READERS: usize = 4;
/// The longest a request may wait for a turn or run its reads.
pub const READ_TIME: Duration = Duration::from_secs(5);

pub struct Db {
    path: PathBuf,
    idle: Mutex<Vec<Store>>,
    turns: Arc<Semaphore>,
    writer: Mutex<Option<Store>>,
}

impl Db {
    /// Opens the first read connection now, so a missing or unreadable database fails at start.
    pub fn open(path: PathBuf) -> Result<Arc<Db>, StoreError> {
        let first = Store::open_read_only(&path)?;
        Ok(Arc::new(Db {
            path,
            idle: Mutex::new(vec![first]),
            turns: Arc::new(Semaphore::new(READERS)),
            writer: Mutex::new(None),
        }))
    }

    /// Runs `read` on a read connection on a blocking thread. A read that outlives
    /// [`READ_TIME`] is interrupted and answered with 504.
    pub async fn read<T, F>(self: &Arc<Self>, read: F) -> Result<T, WebError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, WebError> + Send + 'static,
    {
        let turn = tokio::time::timeout(READ_TIME, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| WebError::Busy)?
            .map_err(|_| WebError::Busy)?;
        let store = self.take_reader()?;
        let interrupt = store.interrupt_handle();
        let db = self.clone();
        let task = tokio::task::spawn_blocking(move || {
            let result = read(&store);
            db.give_back(store);
            drop(turn);
            result
        });
        match tokio::time::timeout(READ_TIME, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(WebError::Internal(format!("a read failed: {join}"))),
            Err(_) => {
                interrupt.interrupt();
                Err(WebError::TooSlow(READ_TIME.as_secs()))
            }
        }
    }

    /// Runs `write` on the write connection (opened on first use) on a blocking thread.
    pub async fn write<T, F>(self: &Arc<Self>, write: F) -> Result<T, WebError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, WebError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut slot = db.writer.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                let store = Store::open_existing(&db.path).map_err(|err| match err {
                    StoreError::ReadOnly(_) | StoreError::Open { .. } => WebError::ReadOnly,
                    other => WebError::Store(other),
                })?;
                *slot = Some(store);
            }
            let store = slot
                .as_mut()
                .ok_or_else(|| WebError::Internal("no write connection".into()))?;
            write(store)
        })
        .await
        .map_err(|join| WebError::Internal(format!("a write failed: {join}")))?
    }

    fn take_reader(&self) -> Result<Store, WebError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(store) => Ok(store),
            None => Ok(Store::open_read_only(&self.path)?),
        }
    }

    fn give_back(&self, store: Store) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < READERS {
            idle.push(store);
        }
    }
}
