//! Opening SQLite and applying the embedded migrations.

use std::fs::{self, OpenOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a connection waits for another process's write lock (the CLI
/// and the server share the database).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Creates a folder (and its parents) if missing, with an error that names
/// the folder and the user when it cannot be created or written.
pub fn ensure_dir(path: &Path) -> Result<(), StoreError> {
    if let Err(e) = fs::create_dir_all(path) {
        return Err(StoreError::Invalid(format!(
            "cannot create folder {} as {}: {e}",
            path.display(),
            current_user()
        )));
    }
    if rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_err() {
        return Err(StoreError::Invalid(format!(
            "folder {} is not writable by {}",
            path.display(),
            current_user()
        )));
    }
    Ok(())
}

fn current_user() -> String {
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    format!("uid {uid} (gid {gid})")
}

/// Opens the database (creating it if missing) with WAL, a busy timeout and
/// foreign keys on.
pub async fn connect(database_path: &Path, max_connections: u32) -> Result<SqlitePool, StoreError> {
    if let Some(dir) = database_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        ensure_dir(dir)?;
    }
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(database_path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        // A local SQLite connection does not go stale the way a network one
        // does; pinging it before every use would double the cost of each
        // query (one more round trip to the connection's thread).
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await
        .map_err(|e| {
            StoreError::Invalid(format!(
                "cannot open database {} as {}: {e}",
                database_path.display(),
                current_user()
            ))
        })?;
    Ok(pool)
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
        .await
        .map_err(|e| StoreError::Invalid(format!("migration lock task failed: {e}")))?
        .map_err(|e| StoreError::io("cannot lock", &lock_path, e))?;
    let result = MIGRATOR.run(pool).await;
    drop(lock_file);
    Ok(result?)
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
