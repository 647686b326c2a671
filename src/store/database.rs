//! Opening SQLite and applying the embedded migrations.

use std::fs::{self, OpenOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqlitePool};

use super::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a connection waits for another process's write lock (the CLI
/// and the server share the database).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Creates a folder (and its parents) if missing, with an error that names
/// the folder and the user when it cannot be created or written.
pub fn ensure_dir(path: &Path) -> Result<(), StoreError> {
    if let Err(source) = fs::create_dir_all(path) {
        return Err(StoreError::CreateFolder {
            path: path.to_owned(),
            user: current_user(),
            source,
        });
    }
    if rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_err() {
        return Err(StoreError::FolderNotWritable {
            path: path.to_owned(),
            user: current_user(),
        });
    }
    Ok(())
}

fn current_user() -> String {
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    format!("uid {uid} (gid {gid})")
}

/// How much of the database each connection keeps in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCache {
    /// For the server and most commands: 512 KiB per connection. Pages not
    /// in it are read again from the kernel's file cache, which costs
    /// microseconds; 2 MiB (SQLite's default) made no measurable
    /// difference to searching 100 000 notes, and a server keeps its
    /// connections for months.
    Small,
    /// For commands that write thousands of notes in one transaction (the
    /// imports): 32 MiB, so that the pages a transaction changes stay in
    /// memory until its commit. With the small cache they are written to
    /// the write-ahead log whenever it fills, the same pages again and
    /// again: an import of 100 000 notes made 729 000 page writes instead
    /// of 424 000 (and 303 000 page reads instead of 85 000).
    Bulk,
}

impl PageCache {
    /// `PRAGMA cache_size`: negative numbers are KiB.
    fn pragma(self) -> &'static str {
        match self {
            PageCache::Small => "-512",
            PageCache::Bulk => "-32768",
        }
    }
}

/// Opens the database (creating it if missing) with WAL, a busy timeout,
/// foreign keys on and the write-ahead log bounded.
pub async fn connect(
    database_path: &Path,
    max_connections: u32,
    cache: PageCache,
) -> Result<SqlitePool, StoreError> {
    if let Some(dir) = database_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        ensure_dir(dir)?;
    }
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(database_path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        .pragma("cache_size", cache.pragma())
        .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT.to_string());
    let pool_options = SqlitePoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        // A local SQLite connection does not go stale the way a network one
        // does; pinging it before every use would double the cost of each
        // query (one more round trip to the connection's thread).
        .test_before_acquire(false)
        .after_release(|conn, _| Box::pin(close_if_stuck_in_transaction(conn)))
        .acquire_timeout(ACQUIRE_TIMEOUT);
    // Opening can meet a lock that the busy timeout does not cover: another
    // process checkpointing its WAL as it exits (its fsync can take seconds
    // on a loaded disk) or recovering the WAL after a crash. Those end by
    // themselves, so a busy answer is retried for a while.
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        match pool_options.clone().connect_with(options.clone()).await {
            Ok(pool) => return Ok(pool),
            Err(e) if is_busy(&e) && started.elapsed() + pause < OPEN_PATIENCE => {
                log::debug!(
                    "database {} busy while opening; retrying",
                    database_path.display()
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
            }
            Err(source) => {
                return Err(StoreError::OpenDatabase {
                    path: database_path.to_owned(),
                    user: current_user(),
                    source,
                });
            }
        }
    }
}

/// What the write-ahead log is cut back to each time it starts over after a
/// checkpoint. It grows past SQLite's checkpoint size (1000 pages, 4 MiB)
/// only while a long write or a reader holds checkpoints back; without a
/// limit it would then keep that size for good, space a full disk needs.
const JOURNAL_SIZE_LIMIT: i64 = 8 * 1024 * 1024;

/// Whether a connection given back to the pool may be used again: not if
/// sqlx still counts it inside a transaction. That happens after a write
/// fails for lack of space: SQLite rolls the transaction back by itself,
/// sqlx's own `ROLLBACK` then fails, and sqlx never lowers its count, so
/// every later `BEGIN` on that connection would be refused. Such a
/// connection is closed, and the pool opens a fresh one when needed.
async fn close_if_stuck_in_transaction(
    conn: &mut sqlx::SqliteConnection,
) -> Result<bool, sqlx::Error> {
    if conn.is_in_transaction() {
        // The rollback of a transaction dropped unfinished is queued on the
        // connection: let it run before judging.
        conn.ping().await?;
    }
    Ok(!conn.is_in_transaction())
}

/// How long a query waits for a free connection of the pool (and the
/// first connection for its opening).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long opening the database keeps retrying while another process
/// holds it (see `connect`).
const OPEN_PATIENCE: Duration = Duration::from_secs(30);

/// Whether opening failed on a lock: SQLite's "database is locked"
/// (`SQLITE_BUSY` and its extended codes), or the pool's acquire timeout
/// running out while the first connection waited for one.
fn is_busy(error: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    if matches!(error, sqlx::Error::PoolTimedOut) {
        return true;
    }
    error
        .as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == SQLITE_BUSY)
}

/// Applies pending migrations. An exclusive lock on a file beside the
/// database makes concurrent starts take turns: the second process waits,
/// then finds nothing left to apply.
pub async fn migrate(pool: &SqlitePool, database_path: &Path) -> Result<(), StoreError> {
    let lock_path = database_path.with_extension("db-migrate.lock");
    let lock_file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| StoreError::io("cannot open lock file", &lock_path, e))?;
    let lock_file = tokio::task::spawn_blocking(move || lock_file.lock().map(|()| lock_file))
        .await?
        .map_err(|e| StoreError::io("cannot lock", &lock_path, e))?;
    let result = MIGRATOR.run(pool).await;
    drop(lock_file);
    Ok(result?)
}

/// The newest migration this binary knows: the schema version of a
/// database it has migrated.
pub fn latest_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Whether this binary knows the migration of that version.
pub fn knows_migration(version: i64) -> bool {
    MIGRATOR.iter().any(|m| m.version == version)
}

/// What changed last: `revision` goes up by one on every change to any note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteState {
    pub version: DataVersion,
    pub changed_at: DateTime<Utc>,
}

/// Which data a page was rendered from: the database's identity and its
/// revision. Within one database the revision only goes up; a revision
/// that goes down, or another identity, means the database was replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataVersion {
    pub database_id: String,
    pub revision: i64,
}

impl super::Store {
    pub async fn site_state(&self) -> Result<SiteState, StoreError> {
        let (database_id, revision, changed_at): (String, i64, DateTime<Utc>) =
            sqlx::query_as("SELECT database_id, revision, changed_at FROM site_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(SiteState {
            version: DataVersion {
                database_id,
                revision,
            },
            changed_at,
        })
    }

    /// Moves everything in the write-ahead log into the database and cuts
    /// the log to nothing (`wal_checkpoint(TRUNCATE)`), giving its space
    /// back: best effort, after a write failed for lack of space, so that
    /// the next write, once the owner has freed some, has room. The outcome
    /// is logged; failing leaves things as they were.
    pub async fn checkpoint_after_full_disk(&self) {
        let outcome: Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await;
        match outcome {
            Ok((0, _, _)) => log::info!(
                "the disk was full: the database's write-ahead log was checkpointed and emptied"
            ),
            Ok(_) => log::warn!(
                "the disk was full: the database's write-ahead log could not be emptied \
                 (a reader was using it); it will be at the next checkpoint"
            ),
            Err(e) => log::warn!(
                "the disk was full: cannot checkpoint the database's write-ahead log: {}",
                crate::error::error_chain(&e)
            ),
        }
    }

    /// Takes the database's write lock (`BEGIN IMMEDIATE`) for one change
    /// to notes. Every writer, in any process, holds it while it touches
    /// note files, so writers take turns and a temporary file seen under
    /// the lock belongs to no live writer.
    pub(crate) async fn write_lock(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{Connection, SqliteConnection};

    /// Another process holding the database exclusively, for longer than
    /// one attempt to open waits, while this one opens it: the open waits
    /// for it rather than failing.
    #[tokio::test]
    async fn opening_waits_for_a_process_that_holds_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("starpunk.db");
        connect(&path, 1, PageCache::Small)
            .await
            .unwrap()
            .close()
            .await;

        let holder_options = SqliteConnectOptions::from_str("sqlite:")
            .unwrap()
            .filename(&path)
            .locking_mode(sqlx::sqlite::SqliteLockingMode::Exclusive);
        let mut holder = SqliteConnection::connect_with(&holder_options)
            .await
            .unwrap();
        sqlx::query("BEGIN EXCLUSIVE")
            .execute(&mut holder)
            .await
            .unwrap();
        const HOLD: Duration = ACQUIRE_TIMEOUT.saturating_add(Duration::from_millis(500));
        let started = std::time::Instant::now();
        let release = tokio::spawn(async move {
            tokio::time::sleep(HOLD).await;
            sqlx::query("COMMIT").execute(&mut holder).await.unwrap();
            holder.close().await.unwrap();
        });
        let pool = connect(&path, 1, PageCache::Small).await.unwrap();
        assert!(started.elapsed() >= HOLD);
        release.await.unwrap();
        let one: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(one, 1);
        pool.close().await;
    }

    /// Every connection of the pool keeps the page cache it was opened
    /// with.
    #[tokio::test]
    async fn every_connection_keeps_the_page_cache_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        for (cache, kib) in [(PageCache::Small, 512), (PageCache::Bulk, 32 * 1024)] {
            let pool = connect(&dir.path().join("starpunk.db"), 2, cache)
                .await
                .unwrap();
            let mut first = pool.acquire().await.unwrap();
            let mut second = pool.acquire().await.unwrap();
            for conn in [&mut first, &mut second] {
                let size: i64 = sqlx::query_scalar("PRAGMA cache_size")
                    .fetch_one(&mut **conn)
                    .await
                    .unwrap();
                assert_eq!(size, -kib, "{cache:?}");
            }
            drop((first, second));
            pool.close().await;
        }
    }
}
