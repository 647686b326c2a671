//! The lock that keeps a restore and a running server apart. A server
//! holds it shared for as long as it runs; a restore takes it exclusively,
//! so it refuses to start under a running server, and a server started
//! during a restore waits for the restore to finish. The kernel releases
//! the lock when its process ends, however it ends.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::store::StoreError;

/// A held lock on `<database>-server.lock`, beside the database.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

fn lock_path(database_path: &Path) -> PathBuf {
    database_path.with_extension("db-server.lock")
}

fn open(database_path: &Path) -> Result<(File, PathBuf), StoreError> {
    // A first start makes the data folder here, before the database.
    if let Some(dir) = database_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::store::ensure_dir(dir)?;
    }
    let path = lock_path(database_path);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map(|file| (file, path.clone()))
        .map_err(|e| StoreError::io("cannot open lock file", &path, e))
}

impl DataLock {
    /// The server's lock: shared, waiting for a restore in progress.
    pub async fn serving(database_path: &Path) -> Result<DataLock, StoreError> {
        let (file, path) = open(database_path)?;
        match file.try_lock_shared() {
            Ok(()) => return Ok(DataLock { _file: file }),
            Err(TryLockError::WouldBlock) => {
                log::warn!("a restore is replacing the data; waiting for it to finish")
            }
            Err(TryLockError::Error(e)) => return Err(StoreError::io("cannot lock", &path, e)),
        }
        tokio::task::spawn_blocking(move || file.lock_shared().map(|()| file))
            .await?
            .map(|file| DataLock { _file: file })
            .map_err(|e| StoreError::io("cannot lock", &path, e))
    }

    /// A restore's lock: exclusive, or `None` while a server holds it.
    pub fn exclusive(database_path: &Path) -> Result<Option<DataLock>, StoreError> {
        let (file, path) = open(database_path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(DataLock { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(StoreError::io("cannot lock", &path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_serving_lock_keeps_a_restore_out_until_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("starpunk.db");
        let serving = DataLock::serving(&database).await.unwrap();
        let second = DataLock::serving(&database).await.unwrap();
        assert!(DataLock::exclusive(&database).unwrap().is_none());
        drop(serving);
        assert!(DataLock::exclusive(&database).unwrap().is_none());
        drop(second);
        assert!(DataLock::exclusive(&database).unwrap().is_some());
    }
}
