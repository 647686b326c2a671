//! Storage: SQLite (metadata) plus Markdown files (text). The only code that
//! touches the disk; everything above it works with domain values.

mod access_tokens;
mod auth_codes;
pub mod backup;
mod changes;
mod check;
mod database;
mod debris;
mod export;
mod federation;
mod files;
mod listing;
mod media;
mod media_check;
mod media_library;
mod media_refs;
mod media_transfer;
mod notes;
mod probe;
mod responses;
mod search;
mod sign_in;
mod starpunk;
mod starpunk_media;
mod tags;
mod webmentions;

use std::path::{Path, PathBuf};

pub use access_tokens::{AccessToken, NewToken, TokenLookup};
pub use auth_codes::{AuthorizationCode, CODE_LIFETIME, CodeRefusal};
pub use changes::NoteChange;
pub use check::{Problem, Report};
pub use database::{
    DataVersion, PageCache, SiteState, connect, ensure_dir, knows_migration, latest_schema_version,
    migrate,
};
pub use debris::Repair;
pub use export::{ExportDir, Written, export_stem, export_text};
pub use federation::{
    ActivityKind, DeliveryState, DueDelivery, Failure, FederatedNote, Follower, KeyPairPem,
    NoteSend, NoteState, PrivateKeyPem, QueuedActivity, RemoteActor, Settled, next_version,
};
pub use files::{FileDamage, NotesDir};
pub use listing::{ListedFingerprint, NoteCounts, NoteFilter};
pub use media::{MediaDir, MediaFile, MediaRecord, WebVariant};
pub use media_check::{MediaProblem, MediaReport};
pub use media_library::{MediaItem, MediaRemoval, MediaUser};
pub use media_refs::{UNKNOWN_MEDIA_MIN_AGE, UNUSED_MEDIA_GRACE};
pub use media_transfer::{
    AdoptError, EXPORT_MEDIA_FOLDER, MEDIA_LISTING, media_listing, read_exported_media,
};
pub use notes::{DamagedNote, ImportOutcome, ImportRun, NotePage};
pub use probe::{DatabaseProbe, ProbeError};
pub use responses::{Kept, ResponseCounts};
pub use search::{IndexState, SearchPage};
pub use sign_in::{
    LOGIN_LINK_LIFETIME, OneTimeUse, SESSION_LIFETIME, SIGN_IN_STATE_LIFETIME, Session, SignInState,
};
pub use starpunk::{OldNote, OldSite, OldText, old_time};
pub use starpunk_media::{OldExtras, OldMedia};
pub use tags::TagCount;
pub use webmentions::{
    Cite, MentionOutcome, NewMention, OutgoingMention, PlannedTarget, Queued, QueuedMention,
    SendResult, SendState, SentWebmention,
};

use crate::clock::SharedClock;
use crate::domain::{NoteBodyError, PropertiesError, SlugError};
use crate::error::ErrorKind;

/// Notes, in SQLite and on disk, kept consistent with each other.
#[derive(Debug, Clone)]
pub struct Store {
    pool: sqlx::SqlitePool,
    files: NotesDir,
    clock: SharedClock,
}

impl Store {
    pub fn new(pool: sqlx::SqlitePool, files: NotesDir, clock: SharedClock) -> Store {
        Store { pool, files, clock }
    }

    /// The time of a change, to the millisecond the database keeps.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        notes::to_millis(self.clock.now())
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub fn pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }

    pub fn files(&self) -> &NotesDir {
        &self.files
    }
}

/// Why a storage operation failed. Messages are for people: they say which
/// note or path, and what went wrong; causes are left to the chain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no note has the slug {0:?}")]
    NotFound(String),
    #[error(transparent)]
    InvalidSlug(#[from] SlugError),
    #[error(transparent)]
    InvalidBody(#[from] NoteBodyError),
    #[error(transparent)]
    InvalidProperties(#[from] PropertiesError),
    #[error("no free slug left for {base}: {base}-2 … {base}-10000 are all taken")]
    SlugsExhausted { base: String },
    #[error(
        "note {slug:?} changed since you read it (it is now version {current:.12}, your edit was based on {expected:.12}); \
         read it again and redo the edit"
    )]
    Conflict {
        slug: String,
        expected: String,
        current: String,
    },
    #[error("{0}")]
    Damaged(Box<DamagedNote>),
    #[error("{0} already holds a different file; nothing was replaced")]
    Occupied(String),
    #[error("refusing the note path {0:?}: it would leave the notes folder")]
    UnsafePath(String),
    #[error("cannot create folder {} as {user}", path.display())]
    CreateFolder {
        path: PathBuf,
        user: String,
        source: std::io::Error,
    },
    #[error("folder {} is not writable by {user}", path.display())]
    FolderNotWritable { path: PathBuf, user: String },
    #[error("cannot open database {} as {user}", path.display())]
    OpenDatabase {
        path: PathBuf,
        user: String,
        source: sqlx::Error,
    },
    #[error("{} does not exist: is {} a StarPunk data folder?", database.display(), root.display())]
    NotStarPunk { root: PathBuf, database: PathBuf },
    #[error("{what} cannot be read as StarPunk's")]
    NotStarPunkData { what: String, source: sqlx::Error },
    #[error("the media row for {0:?} is not one StarPunk writes (a bad path or size)")]
    BadMediaRow(String),
    #[error("cannot name an upload made at {0}")]
    UploadName(chrono::DateTime<chrono::Utc>),
    #[error("the database probe cannot start")]
    Probe(#[source] std::io::Error),
    #[error("the database probe cannot prepare its query")]
    ProbeSetup(#[source] ProbeError),
    #[error("a background task failed")]
    Task(#[from] tokio::task::JoinError),
    // The cause is the `source`, printed once by whoever prints the chain.
    #[error("{action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whose fault it is, for the surface that answers for it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::NotFound(_) => ErrorKind::NotFound,
            StoreError::InvalidSlug(_)
            | StoreError::InvalidBody(_)
            | StoreError::InvalidProperties(_)
            | StoreError::UnsafePath(_) => ErrorKind::Invalid,
            StoreError::SlugsExhausted { .. }
            | StoreError::Conflict { .. }
            | StoreError::Occupied(_) => ErrorKind::Conflict,
            StoreError::Damaged(_)
            | StoreError::CreateFolder { .. }
            | StoreError::FolderNotWritable { .. }
            | StoreError::OpenDatabase { .. }
            | StoreError::NotStarPunk { .. }
            | StoreError::NotStarPunkData { .. }
            | StoreError::BadMediaRow(_)
            | StoreError::UploadName(_)
            | StoreError::Probe(_)
            | StoreError::ProbeSetup(_)
            | StoreError::Task(_)
            | StoreError::Io { .. }
            | StoreError::Database(_)
            | StoreError::Migrate(_) => ErrorKind::Internal,
        }
    }

    /// Whether it failed for lack of space: SQLite's `SQLITE_FULL` (the
    /// database or its log could not grow) or `ENOSPC` / `EDQUOT` from a
    /// file write.
    pub fn is_disk_full(&self) -> bool {
        const SQLITE_FULL: i32 = 13;
        match self {
            StoreError::Database(e) => e
                .as_database_error()
                .and_then(|e| e.code())
                .and_then(|code| code.parse::<i32>().ok())
                .is_some_and(|code| code & 0xff == SQLITE_FULL),
            StoreError::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            ),
            _ => false,
        }
    }

    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T, F>(work: F) -> Result<T, StoreError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work).await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_write_on_a_full_disk_or_over_quota_is_a_full_disk() {
        let failed = |kind: std::io::ErrorKind| {
            StoreError::io("cannot write", Path::new("n.md"), kind.into())
        };
        assert!(failed(std::io::ErrorKind::StorageFull).is_disk_full());
        assert!(failed(std::io::ErrorKind::QuotaExceeded).is_disk_full());
        assert!(!failed(std::io::ErrorKind::PermissionDenied).is_disk_full());
        assert!(!StoreError::NotFound("no".into()).is_disk_full());
    }
}
