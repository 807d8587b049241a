//! The SQLite store: the one module that speaks SQL.
//!
//! Analysts query the file directly (see docs/schema.md), so the schema is a contract. The store
//! runs in WAL mode so readers never block the daemon's writes; every document is written in one
//! short transaction through a [`Writer`].

mod export;
mod feeds;
mod items;
mod judgements;
mod pages;
mod query;
mod schema;
mod stats;
mod stories;
mod tags;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

pub use export::{ExportFeed, ExportItem, ExportTag};
pub use feeds::{FeedRow, FeedState, FeedStatus};
pub use items::{ItemRecord, StoredTag, UpsertOutcome, Writer};
pub use judgements::{JudgedItem, Judgement};
pub use pages::{Keyset, StoreCounts, TagCount};
pub use query::{ItemFilter, ItemRow};
pub use schema::LATEST_VERSION;
pub use stats::{DayStats, FeedStats, Stats, TagStats};
pub use stories::{StoriesMark, StoryKey, StoryRow, StorySubject};
pub use tags::{TAXONOMY_VERSION_KEY, TagSubject};

/// How long a statement waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open the database {path}: {source} (check the path and its permissions, or pass --db)"
    )]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the database has schema version {found}, but this mirsad only knows up to {supported}; \
         it was written by a newer mirsad: upgrade mirsad (the database was not modified)"
    )]
    TooNew { found: i64, supported: i64 },
    #[error(
        "the database is full (no space left on its disk, or its max_page_count reached): \
         nothing from this write was stored; free some space and mirsad catches up on the next cycle"
    )]
    Full(#[source] rusqlite::Error),
    #[error(
        "the database is read-only: check the permissions of the database file and its directory \
         (mirsad needs to write the file and its -wal and -shm companions)"
    )]
    ReadOnly(#[source] rusqlite::Error),
    #[error(
        "permission denied: cannot read the database {path}; it belongs to the service's user: \
         read it as that user (`sudo -u mirsad mirsad …`), join its group, or copy it and pass --db"
    )]
    PermissionDenied { path: PathBuf },
    #[error(
        "{path} is an SQLite database of another program (it has tables, and no mirsad schema \
         version): mirsad will not add its tables to it; pass --db with a new or a mirsad file"
    )]
    Foreign { path: PathBuf },
    #[error(
        "another mirsad (PID {pid}) is already running on the store {path}; stop it first \
         (two daemons on one store would fetch every feed twice)"
    )]
    Locked { path: PathBuf, pid: String },
    #[error("cannot take the store's lock {path}: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("no item with id {0} in the database (see `mirsad items` or `mirsad search` for ids)")]
    NoSuchItem(i64),
    #[error("stored JSON is invalid: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<rusqlite::Error> for StoreError {
    /// Full and read-only databases get messages a person can act on.
    fn from(err: rusqlite::Error) -> StoreError {
        match err.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::Full(err),
            Some(rusqlite::ErrorCode::ReadOnly) => StoreError::ReadOnly(err),
            _ => StoreError::Sqlite(err),
        }
    }
}

/// Whether this process may create files beside the database (its -wal and -shm).
fn directory_writable(path: &Path) -> bool {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let probe = dir.join(format!(".mirsad-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// An open that failed because this user may not read the file says so.
fn open_error(path: &Path, source: rusqlite::Error) -> StoreError {
    denied_or(
        path,
        StoreError::Open {
            path: path.to_path_buf(),
            source,
        },
    )
}

/// SQLite reports an unreadable file as "unable to open" (or later as an I/O error); the file
/// system says why.
fn denied_or(path: &Path, err: StoreError) -> StoreError {
    let denied = |p: &Path| {
        std::fs::File::open(p).is_err_and(|e| e.kind() == std::io::ErrorKind::PermissionDenied)
    };
    if matches!(err, StoreError::Open { .. } | StoreError::Sqlite(_)) && denied(path) {
        return StoreError::PermissionDenied {
            path: path.to_path_buf(),
        };
    }
    err
}

/// The exclusive lock a daemon holds on its store for as long as it runs: an advisory `flock`
/// on `DATABASE.lock` beside the database, which holds the holder's PID. The kernel releases it
/// when the process ends, however it ends, so a killed daemon never leaves a stale lock.
#[derive(Debug)]
pub struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    /// Takes the lock for the store at `database`, or says which process holds it.
    pub fn acquire(database: &Path) -> Result<RunLock, StoreError> {
        use std::io::{Read, Seek, Write};
        let mut name = database.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let lock_error = |source| StoreError::Lock {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(lock_error)?;
        }
        // Never truncated on open: the holder's PID must survive a contender's look.
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(StoreError::Locked {
                    path: database.to_path_buf(),
                    pid: if pid.is_empty() {
                        "unknown".into()
                    } else {
                        pid.to_owned()
                    },
                });
            }
            Err(std::fs::TryLockError::Error(err)) => return Err(lock_error(err)),
        }
        file.set_len(0).map_err(lock_error)?;
        file.rewind().map_err(lock_error)?;
        writeln!(file, "{}", std::process::id()).map_err(lock_error)?;
        Ok(RunLock { _file: file })
    }
}

/// An open mirsad database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it forward.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        // Processes creating one new store at once can see SQLITE_BUSY without a wait while
        // one of them switches the file to WAL (SQLite skips the busy handler there); opening
        // is idempotent, so it is simply tried again.
        let mut attempt = 0;
        loop {
            let conn = Connection::open(path).map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
            match Self::setup(conn, path) {
                Err(StoreError::Sqlite(err))
                    if attempt < 50
                        && err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) =>
                {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    /// Opens an existing database without creating it (migrating it forward if needed).
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| open_error(path, source))?;
        Self::setup(conn, path).map_err(|err| denied_or(path, err))
    }

    /// Opens an existing database for reading only: read commands never write, so a store in a
    /// read-only directory, or one only readable by this user, can still be read. A store of
    /// an older schema is opened for writing once to migrate it (which needs write access).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| open_error(path, source))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let version = match user_version(&conn) {
            Ok(version) => version,
            // A WAL database in a directory this user cannot write has no -shm to share, and
            // cannot get one: nobody can be writing it, so it is read as an immutable file.
            Err(err) if !directory_writable(path) => {
                drop(conn);
                return Self::open_immutable(path).map_err(|_| denied_or(path, err));
            }
            Err(err) => return Err(denied_or(path, err)),
        };
        if version < LATEST_VERSION {
            drop(conn);
            return Self::open_existing(path);
        }
        Self::reader(conn, path, version)
    }

    fn open_immutable(path: &Path) -> Result<Store, StoreError> {
        let uri = url::Url::from_file_path(std::path::absolute(path).unwrap_or(path.into()))
            .map(|u| format!("{u}?immutable=1"))
            .map_err(|()| StoreError::Open {
                path: path.to_path_buf(),
                source: rusqlite::Error::InvalidPath(path.to_path_buf()),
            })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn =
            Connection::open_with_flags(uri, flags).map_err(|source| open_error(path, source))?;
        let version = user_version(&conn).map_err(|err| denied_or(path, err))?;
        Self::reader(conn, path, version)
    }

    fn reader(conn: Connection, path: &Path, version: i64) -> Result<Store, StoreError> {
        if version > LATEST_VERSION {
            return Err(StoreError::TooNew {
                found: version,
                supported: LATEST_VERSION,
            });
        }
        if version == 0 {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
            });
        }
        // Nothing done through a reader can write, whatever a caller asks of it.
        conn.pragma_update(None, "query_only", "ON")?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// A handle that stops the statement running on this connection from another thread (the
    /// web server's time limit).
    pub fn interrupt_handle(&self) -> rusqlite::InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    /// An in-memory store, for tests and benchmarks.
    pub fn in_memory() -> Result<Store, StoreError> {
        Self::setup(Connection::open_in_memory()?, Path::new(":memory:"))
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Check the version before anything writes (journal_mode=WAL is a write). Both facts
        // come from one read transaction: read apart, another process's migration committing
        // between them made a new store look like another program's database.
        let (version, foreign) = {
            let tx = conn.transaction()?;
            let version = user_version(&tx)?;
            let foreign = version == 0 && schema::has_objects(&tx)?;
            tx.commit()?;
            (version, foreign)
        };
        if version > LATEST_VERSION {
            return Err(StoreError::TooNew {
                found: version,
                supported: LATEST_VERSION,
            });
        }
        if foreign {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Writing one item runs some twenty distinct statements (item, FTS, feeds, tags,
        // stories, feed state); rusqlite's default cache of 16 would re-prepare them per item.
        conn.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Another connection to the same database, for a reader or checkpointer beside the
    /// writer (WAL lets them work at once). `None` for an in-memory store, which no other
    /// connection can see.
    pub fn another_connection(&self) -> Option<Result<Store, StoreError>> {
        (self.path != Path::new(":memory:")).then(|| Store::open_existing(&self.path))
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts the one transaction a document is written in.
    pub fn writer(&mut self) -> Result<Writer<'_>, StoreError> {
        Writer::begin(&mut self.conn)
    }

    /// A value from the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    /// Sets a value in the `meta` table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// A cheap proof that the database answers (the daemon's watchdog gate): reads the schema.
    /// A full `PRAGMA quick_check` would take seconds on a large store.
    pub fn health_check(&self) -> Result<bool, StoreError> {
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))?;
        Ok(tables > 0)
    }

    /// Runs `PRAGMA integrity_check`; `Ok(true)` when the database is sound.
    pub fn integrity_check(&self) -> Result<bool, StoreError> {
        let verdict: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
        Ok(verdict == "ok")
    }

    /// Size of the database file in bytes (pages × page size).
    pub fn size_bytes(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |row| row.get(0),
        )?)
    }

    /// Copies committed pages from the write-ahead log back into the database, without waiting
    /// for readers or the writer (a PASSIVE checkpoint).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// How many pages the write-ahead log may hold before a commit on this connection copies
    /// them back itself (SQLite's default is 1,000).
    pub fn set_autocheckpoint(&self, pages: u32) -> Result<(), StoreError> {
        self.conn
            .query_row(&format!("PRAGMA wal_autocheckpoint = {pages}"), [], |_| {
                Ok(())
            })?;
        Ok(())
    }

    /// Caps the database at `pages` pages: how tests simulate a full disk.
    #[doc(hidden)]
    pub fn limit_pages_for_testing(&self, pages: i64) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "max_page_count", pages)?;
        Ok(())
    }

    /// The raw connection, for the store's own submodules and tests.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_store_reads_and_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a b%#?.db");
        Store::open(&path).unwrap().set_meta("k", "v").unwrap();
        let reader = Store::open_read_only(&path).unwrap();
        assert_eq!(reader.meta("k").unwrap().as_deref(), Some("v"));
        let err = reader.set_meta("k", "w").unwrap_err();
        assert!(
            matches!(err, StoreError::Sqlite(_) | StoreError::ReadOnly(_)),
            "{err}"
        );
    }

    #[test]
    fn a_database_in_a_read_only_directory_opens_as_immutable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ro");
        let path = sub.join("m.db");
        Store::open(&path).unwrap().set_meta("k", "v").unwrap();
        for file in std::fs::read_dir(&sub).unwrap() {
            let file = file.unwrap().path();
            if file != path {
                std::fs::remove_file(file).unwrap();
            }
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::write(sub.join("probe"), "").is_ok() {
            // Privileged (root): permissions do not bind, so there is nothing to prove here.
            std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
            eprintln!("skipped: running with privileges that ignore a read-only directory");
            return;
        }
        let reader = Store::open_read_only(&path);
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(reader.unwrap().meta("k").unwrap().as_deref(), Some("v"));
    }

    #[test]
    fn fresh_store_is_at_latest_version_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("sub/m.db")).unwrap();
        let version: i64 = store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST_VERSION);
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert!(store.health_check().unwrap());
    }

    #[test]
    fn another_connection_checkpoints_what_the_writer_left_in_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let writer = Store::open(&path).unwrap();
        writer.set_autocheckpoint(1_000_000).unwrap();
        let file_len = || std::fs::metadata(&path).unwrap().len();
        writer.checkpoint().unwrap();
        let before = file_len();
        for i in 0..300 {
            writer
                .set_meta(&format!("k{i}"), &"v".repeat(2000))
                .unwrap();
        }
        assert_eq!(file_len(), before, "the writer copied nothing back itself");
        let other = writer.another_connection().unwrap().unwrap();
        other.checkpoint().unwrap();
        assert!(file_len() > before + 300 * 2000, "{} bytes", file_len());
        assert_eq!(other.meta("k299").unwrap().map(|v| v.len()), Some(2000));
        assert!(Store::in_memory().unwrap().another_connection().is_none());
    }

    #[test]
    fn reopening_does_not_migrate_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        Store::open(&path).unwrap().set_meta("k", "v").unwrap();
        let store = Store::open(&path).unwrap();
        assert_eq!(store.meta("k").unwrap().as_deref(), Some("v"));
    }

    #[test]
    fn a_second_run_lock_on_one_store_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let held = RunLock::acquire(&path).unwrap();
        let err = RunLock::acquire(&path).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("PID {}", std::process::id())),
            "{message}"
        );
        drop(held);
        RunLock::acquire(&path).unwrap();
    }

    #[test]
    fn two_processes_migrating_a_new_database_at_once_both_succeed() {
        let dir = tempfile::tempdir().unwrap();
        for round in 0..10 {
            let path = dir.path().join(format!("race{round}.db"));
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
            let openers: Vec<_> = (0..4)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        Store::open(&path).map(|_| ())
                    })
                })
                .collect();
            for opener in openers {
                opener.join().unwrap().unwrap();
            }
            let store = Store::open_existing(&path).unwrap();
            let version: i64 = store
                .conn()
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, LATEST_VERSION);
        }
    }

    #[test]
    fn another_programs_database_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT);")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        for err in [
            Store::open(&path).err().unwrap(),
            Store::open_existing(&path).err().unwrap(),
            Store::open_read_only(&path).err().unwrap(),
        ] {
            assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
            assert!(err.to_string().contains("another program"), "{err}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), before);
        // An empty file is a new database, not a foreign one.
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        Store::open(&empty).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_store_in_a_read_only_directory_can_be_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ro");
        std::fs::create_dir(&sub).unwrap();
        let path = sub.join("m.db");
        Store::open(&path).unwrap().set_meta("k", "v").unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o555)).unwrap();
        let writable = std::fs::File::create(sub.join("probe")).is_ok();
        if writable {
            // Running as root: permissions do not stop it, so there is nothing to prove here.
            std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
            eprintln!("skipped: running as root");
            return;
        }
        let read = Store::open_read_only(&path).and_then(|s| s.meta("k"));
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(read.unwrap().as_deref(), Some("v"));
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_store_is_reported_as_permission_denied() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        Store::open(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::File::open(&path).is_ok() {
            eprintln!("skipped: running as root");
            return;
        }
        let err = Store::open_read_only(&path).err().unwrap();
        assert!(matches!(err, StoreError::PermissionDenied { .. }), "{err}");
        assert!(err.to_string().contains("sudo -u mirsad"), "{err}");
    }

    #[test]
    fn database_from_a_newer_mirsad_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", LATEST_VERSION + 5)
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
        assert!(err.to_string().contains("newer mirsad"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}
