//! The emulator's durable state: one SQLite database (metadata, in WAL mode with full
//! sync, so an acknowledged write survives `kill -9`) and a directory of object bodies,
//! both inside one data directory that a single emulator process holds at a time.
//!
//! Every component creates its own tables with [`Store::ensure_schema`] when it starts;
//! writes run in immediate transactions through [`Store::write`], so a request either
//! changes the state completely or not at all.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, Transaction, TransactionBehavior};

/// What can go wrong opening or using the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the data directory.
    #[error("the data directory {dir} is in use by another emulator{holder}; stop it or choose another --data-dir")]
    Busy {
        /// The data directory.
        dir: PathBuf,
        /// ` (pid N)` when the holder wrote its process id, else empty.
        holder: String,
    },
    /// A file-system operation on the data directory failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite refused an operation.
    #[error("emulator database: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// The data directory: its database and its object bodies.
pub struct Store {
    dir: PathBuf,
    conn: Mutex<Connection>,
    // Held for the store's lifetime: the OS lock on it is what keeps a second process out.
    _lock: File,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

const LOCK_FILE: &str = "emulator.lock";
const DB_FILE: &str = "emulator.sqlite3";
const OBJECTS_DIR: &str = "objects";

impl Store {
    /// Opens (creating if needed) the data directory `dir`. Refuses with
    /// [`StoreError::Busy`] when another process has it open.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let io = |what: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { what, path, source }
        };
        std::fs::create_dir_all(dir).map_err(io("cannot create data directory", dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io("cannot open lock file", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = lock.read_to_string(&mut pid);
                let pid = pid.trim();
                let holder = if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                    format!(" (pid {pid})")
                } else {
                    String::new()
                };
                return Err(StoreError::Busy {
                    dir: dir.to_path_buf(),
                    holder,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io("cannot lock", &lock_path)(e));
            }
        }
        lock.set_len(0)
            .and_then(|()| lock.seek(SeekFrom::Start(0)))
            .and_then(|_| write!(lock, "{}", std::process::id()))
            .map_err(io("cannot write lock file", &lock_path))?;

        let objects = dir.join(OBJECTS_DIR);
        std::fs::create_dir_all(&objects).map_err(io("cannot create", &objects))?;
        let conn = Connection::open(dir.join(DB_FILE))?;
        // One process holds the directory (the lock file above), so the connection may
        // keep SQLite's file locks for its lifetime: set before WAL is first used, this
        // also keeps the WAL index in memory instead of a shared `-shm` file, and a read
        // no longer takes and drops fcntl locks on every statement.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        // WAL keeps readers off the writer's back; FULL sync makes a committed transaction
        // durable before the HTTP answer that acknowledges it goes out.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Without the planner stability guarantee, SQLite marks a statement whose plan
        // looked at a bound value (any `column = ?` it considered as a filter) for
        // re-preparation whenever its bindings are cleared — which the statement cache
        // does on every return — so each cached lookup was parsed and planned again.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        Ok(Store {
            dir: dir.to_path_buf(),
            conn: Mutex::new(conn),
            _lock: lock,
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where object bodies live (files are written to a temporary name there and renamed).
    pub fn objects_dir(&self) -> PathBuf {
        self.dir.join(OBJECTS_DIR)
    }

    /// Runs `sql` (idempotent `CREATE TABLE IF NOT EXISTS …` statements) in one transaction.
    pub fn ensure_schema(&self, sql: &str) -> Result<(), StoreError> {
        self.write(|tx| tx.execute_batch(sql))
    }

    /// Runs `f` in an immediate (write-locking) transaction and commits it; an error from
    /// `f` rolls everything back.
    pub fn write<R>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<R>,
    ) -> Result<R, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on the connection for reading.
    pub fn read<R>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> Result<R, StoreError> {
        Ok(f(&self.conn())?)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic in another request cannot leave SQLite half-written (the transaction
        // rolls back on drop), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_store_on_the_same_directory_is_refused_with_the_holder_named() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StoreError::Busy { .. }), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        Store::open(dir.path()).expect("free again once the first store is gone");
    }

    #[test]
    fn a_cached_lookup_is_planned_once_not_on_every_use() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .ensure_schema(
                "CREATE TABLE IF NOT EXISTS t (k TEXT NOT NULL, at INTEGER NOT NULL);
                 CREATE INDEX IF NOT EXISTS t_k ON t (k, at);
                 INSERT INTO t (k, at) VALUES ('a', 1), ('a', 2), ('b', 3);",
            )
            .unwrap();
        let sql = "SELECT at FROM t WHERE k = ?1 ORDER BY at";
        let reprepared = store
            .read(|c| {
                for key in ["a", "b", "a", "a"] {
                    let mut st = c.prepare_cached(sql)?;
                    let rows = st.query_map([key], |r| r.get::<_, i64>(0))?;
                    rows.collect::<rusqlite::Result<Vec<_>>>()?;
                }
                let st = c.prepare_cached(sql)?;
                Ok(st.get_status(rusqlite::StatementStatus::RePrepare))
            })
            .unwrap();
        assert_eq!(reprepared, 0, "the cached statement was compiled again");
    }

    #[test]
    fn the_database_stays_locked_to_its_store_and_keeps_no_shared_wal_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .ensure_schema("CREATE TABLE IF NOT EXISTS t (v INTEGER NOT NULL);")
            .unwrap();
        store
            .write(|tx| tx.execute("INSERT INTO t (v) VALUES (1)", []))
            .unwrap();
        let count =
            |c: &Connection| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0));
        assert_eq!(store.read(count).unwrap(), 1);
        let db = dir.path().join(DB_FILE);
        assert!(db.with_extension("sqlite3-wal").exists(), "WAL mode");
        assert!(
            !db.with_extension("sqlite3-shm").exists(),
            "no shared-memory index"
        );
        let other = Connection::open(&db).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        let err = count(&other).unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy),
            "{err}"
        );
        drop(other);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.read(count).unwrap(),
            1,
            "the WAL is read back on reopening"
        );
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind_and_a_committed_one_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store
                .ensure_schema("CREATE TABLE IF NOT EXISTS t (v INTEGER NOT NULL);")
                .unwrap();
            store
                .write(|tx| tx.execute("INSERT INTO t (v) VALUES (1)", []))
                .unwrap();
            let failed = store.write(|tx| {
                tx.execute("INSERT INTO t (v) VALUES (2)", [])?;
                tx.execute("INSERT INTO t (v) VALUES (NULL)", [])
            });
            assert!(failed.is_err());
        }
        let store = Store::open(dir.path()).unwrap();
        let values: Vec<i64> = store
            .read(|c| {
                let mut st = c.prepare("SELECT v FROM t ORDER BY v")?;
                let rows = st.query_map([], |r| r.get(0))?;
                rows.collect()
            })
            .unwrap();
        assert_eq!(values, vec![1]);
    }
}
