//! Backups: one `.tar.gz` archive holding a consistent snapshot of the
//! database and every file its notes and media rows reference, listed with their SHA-256
//! in a manifest; checked member by member before it is trusted; restored
//! by swapping the data folder's contents whole.

mod create;
mod lock;
mod manifest;
mod output;
mod prune;
mod read;
mod restore;
mod snapshot;

use std::path::{Path, PathBuf};

pub use create::{BackupSummary, Sources, create};
pub use lock::DataLock;
pub use manifest::{Counts, Manifest, Member, MemberKind, is_default_name};
pub use output::Destination;
pub use prune::prune;
pub use read::{Verified, verify};
pub use restore::{RestoreSummary, restore};

use super::StoreError;

/// Reports how far a long step has come: (done, total).
pub type Progress = std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Why a backup, a verification or a restore failed. Messages say what to
/// do next.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("no database at {0}: nothing to back up (is DATA_PATH right?)")]
    NothingToBackUp(PathBuf),
    #[error("{0} already exists; choose another --output or remove it")]
    OutputExists(PathBuf),
    #[error(
        "{what} changed during each of {attempts} snapshots, the last taken with writers held off; try again"
    )]
    KeptChanging { what: String, attempts: u32 },
    #[error(
        "note {slug:?}: its file {path} is missing or does not match its recorded SHA-256; \
         run `starpunk check` (and `starpunk check --repair` for leftovers of interrupted writes), then back up again"
    )]
    DamagedNote { slug: String, path: String },
    #[error(
        "the media file {path} is missing or does not match its recorded SHA-256; \
         run `starpunk check`, then back up again"
    )]
    DamagedMedia { path: String },
    #[error("{archive} cannot be restored: {reason}")]
    Damaged { archive: PathBuf, reason: String },
    #[error(
        "{archive} comes from a newer StarPunk (database schema {archive_schema}; this one knows up to {known}): \
         upgrade StarPunk, then restore it"
    )]
    NewerSchema {
        archive: PathBuf,
        archive_schema: i64,
        known: i64,
    },
    #[error(
        "a StarPunk server is running on {0}: stop it (e.g. `systemctl stop starpunk` or `podman stop starpunk`), restore, then start it again"
    )]
    ServerRunning(PathBuf),
    #[error(
        "{0} already holds notes or media; restoring replaces them all: add --force to do so (make a backup of them first)"
    )]
    DataPresent(PathBuf),
    #[error(
        "the restored data does not pass `starpunk check` ({0}); the previous data was put back"
    )]
    RestoredDataFailsCheck(String),
    #[error("{action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

impl BackupError {
    fn io(action: &'static str, path: &Path, source: std::io::Error) -> BackupError {
        BackupError::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }

    fn damaged(archive: &Path, reason: impl Into<String>) -> BackupError {
        BackupError::Damaged {
            archive: archive.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Makes a folder's entries (a rename into it) durable.
fn sync_folder(folder: &Path) -> Result<(), BackupError> {
    std::fs::File::open(folder)
        .and_then(|f| f.sync_all())
        .map_err(|e| BackupError::io("cannot sync folder", folder, e))
}

/// Runs blocking file work off the async threads.
async fn blocking<T, F>(work: F) -> Result<T, BackupError>
where
    F: FnOnce() -> Result<T, BackupError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BackupError::Store(StoreError::Task(e)))?
}
