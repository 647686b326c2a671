//! Making a backup while the site runs. The database is copied by SQLite
//! itself (`VACUUM INTO`, one read transaction, so the copy is consistent
//! whatever writers do meanwhile); then every note file and media file that
//! copy refers to is added, each checked against the copy's SHA-256. A file
//! that no longer matches was changed by a writer after the copy: the
//! attempt starts again from a new copy, this time holding the write lock
//! (every writer changes a note's file only while holding it, and media
//! files never change once their row exists), so a writer that never pauses
//! cannot keep a backup from finishing. Writers wait for that second copy.
//! The archive is synced, then renamed to its final name (see `output`).

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
#[cfg(debug_assertions)]
use std::time::Duration;

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqlitePool};

use super::manifest::{DATABASE_MEMBER, MANIFEST_NAME, Manifest};
use super::output::{Destination, WorkFolder, place, remove_abandoned};
use super::snapshot::{ArchiveFile, Owner, Snapshot, take_snapshot};
use super::{BackupError, Progress, blocking};
use crate::domain::content_hash;
use crate::store::{MediaDir, NotesDir, PageCache, connect};

/// Copies taken at most: one while writers go on, then one holding them off.
const ATTEMPTS: u32 = 2;

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub archive: PathBuf,
    pub bytes: u64,
    /// Copies taken: more than one when writers changed notes meanwhile.
    pub attempts: u32,
    pub manifest: Manifest,
}

/// Where the data to back up lives.
#[derive(Debug, Clone)]
pub struct Sources {
    pub database: PathBuf,
    pub notes: NotesDir,
    pub media: MediaDir,
}

/// Backs up the database, the note files and the media files it refers to
/// into one archive at `destination`.
pub async fn create(
    sources: &Sources,
    destination: &Destination,
    now: DateTime<Utc>,
    progress: Option<Progress>,
) -> Result<BackupSummary, BackupError> {
    if !sources.database.is_file() {
        return Err(BackupError::NothingToBackUp(sources.database.clone()));
    }
    if let Destination::File(file) = destination
        && file.exists()
    {
        return Err(BackupError::OutputExists(file.clone()));
    }
    let folder = destination.folder();
    fs::create_dir_all(&folder).map_err(|e| BackupError::io("cannot create folder", &folder, e))?;
    remove_abandoned(&folder)?;
    let work = WorkFolder::new(&folder)?;

    let live = connect(&sources.database, 1, PageCache::Small).await?;
    let written = write_consistent(sources, &live, &work, now, progress).await;
    live.close().await;
    let (manifest, attempts) = written?;

    let partial = work.partial();
    let bytes = fs::metadata(&partial)
        .map_err(|e| BackupError::io("cannot read", &partial, e))?
        .len();
    let archive = place(&partial, destination, now)?;
    Ok(BackupSummary {
        archive,
        bytes,
        attempts,
        manifest,
    })
}

/// Copies the database and writes the archive from the copy, again from a
/// new copy while writers keep changing the files it refers to.
async fn write_consistent(
    sources: &Sources,
    live: &SqlitePool,
    work: &WorkFolder,
    now: DateTime<Utc>,
    progress: Option<Progress>,
) -> Result<(Manifest, u32), BackupError> {
    let mut last_changed = String::new();
    for attempt in 1..=ATTEMPTS {
        let writers_held = if attempt == ATTEMPTS {
            Some(hold_writers(&sources.database).await?)
        } else {
            None
        };
        let copy = work.path().join(format!("copy-{attempt}.db"));
        let snapshot = take_snapshot(live, &copy, &sources.notes, &sources.media, now).await;
        let snapshot = match snapshot {
            Ok(snapshot) => Arc::new(snapshot),
            Err(e) => {
                if let Some(held) = writers_held {
                    held.close().await?;
                }
                return Err(e);
            }
        };
        let (partial, progress, writing) = (work.partial(), progress.clone(), snapshot.clone());
        let changed =
            blocking(move || write_archive(&partial, &writing, progress.as_ref())).await?;
        if let Some(held) = writers_held {
            held.close().await?;
        }
        fs::remove_file(&snapshot.path)
            .map_err(|e| BackupError::io("cannot remove", &snapshot.path, e))?;
        let Some(file) = changed else {
            return Ok((snapshot.manifest.clone(), attempt));
        };
        let what = match file.owner {
            Owner::Note(index) => {
                let row = &snapshot.notes[index];
                if !note_changed_since_copy(live, &sources.notes, row.id, &file).await? {
                    return Err(BackupError::DamagedNote {
                        slug: row.slug.clone(),
                        path: row.file_path.clone(),
                    });
                }
                format!("note {:?}", row.slug)
            }
            Owner::Media(index) => {
                let path = snapshot.media[index].path.as_str();
                if !media_changed_since_copy(live, path, &file).await? {
                    return Err(BackupError::DamagedMedia {
                        path: file.name.clone(),
                    });
                }
                format!("media {path}")
            }
        };
        log::info!("{what} changed during the backup; copying again");
        last_changed = what;
    }
    Err(BackupError::KeptChanging {
        what: last_changed,
        attempts: ATTEMPTS,
    })
}

/// A connection holding the database's write lock until it is closed (its
/// transaction then rolls back, having changed nothing).
async fn hold_writers(database_path: &Path) -> Result<sqlx::SqliteConnection, BackupError> {
    let mut held = SqliteConnectOptions::from_str("sqlite:")?
        .filename(database_path)
        .busy_timeout(std::time::Duration::from_secs(30))
        .connect()
        .await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut held).await?;
    Ok(held)
}

/// Writes and syncs the archive; `Some(file)` when a file no longer
/// matches the copy (the archive is then incomplete).
fn write_archive(
    partial: &Path,
    snapshot: &Snapshot,
    progress: Option<&Progress>,
) -> Result<Option<ArchiveFile>, BackupError> {
    let failed = |e| BackupError::io("cannot write", partial, e);
    let file = File::create(partial).map_err(failed)?;
    let mut tar = tar::Builder::new(GzEncoder::new(BufWriter::new(file), Compression::default()));
    let manifest = &snapshot.manifest;
    let mtime = u64::try_from(manifest.created_at.timestamp()).unwrap_or(0);
    let total = snapshot.files.len() as u64 + 1;

    let listing = serde_json::to_vec_pretty(manifest).expect("a manifest serialises");
    append(
        &mut tar,
        MANIFEST_NAME,
        &listing[..],
        listing.len() as u64,
        mtime,
    )
    .map_err(failed)?;
    let database = File::open(&snapshot.path)
        .and_then(|f| f.metadata().map(|m| (f, m.len())))
        .map_err(|e| BackupError::io("cannot read", &snapshot.path, e))?;
    append(&mut tar, DATABASE_MEMBER, database.0, database.1, mtime).map_err(failed)?;
    report(progress, 1, total);
    stall_for_tests(tar.get_mut()).map_err(failed)?;

    for (index, file) in snapshot.files.iter().enumerate() {
        let bytes = match fs::read(&file.source) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Some(file.clone())),
            Err(e) => return Err(BackupError::io("cannot read", &file.source, e)),
        };
        if content_hash(&bytes) != file.sha256 {
            return Ok(Some(file.clone()));
        }
        append(&mut tar, &file.name, &bytes[..], bytes.len() as u64, mtime).map_err(failed)?;
        report(progress, index as u64 + 2, total);
    }

    let file = tar
        .into_inner()
        .and_then(GzEncoder::finish)
        .and_then(|buffer| buffer.into_inner().map_err(io::IntoInnerError::into_error))
        .map_err(failed)?;
    file.sync_all().map_err(failed)?;
    Ok(None)
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    data: impl Read,
    size: u64,
    mtime: u64,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    tar.append_data(&mut header, name, data)
}

fn report(progress: Option<&Progress>, done: u64, total: u64) {
    if let Some(progress) = progress {
        progress(done, total);
    }
}

/// Debug builds only: with `STARPUNK_TEST_BACKUP_STALL` set, a backup stops
/// for a minute once its archive is half written, so a test can kill it
/// there (what is written so far is flushed first, so the partial archive
/// holds it). Release builds have no such hook.
fn stall_for_tests(_written: &mut impl Write) -> io::Result<()> {
    #[cfg(debug_assertions)]
    if std::env::var_os("STARPUNK_TEST_BACKUP_STALL").is_some() {
        _written.flush()?;
        std::thread::sleep(Duration::from_secs(60));
    }
    Ok(())
}

/// Whether a note whose file did not match the copy was changed by a
/// writer since (the row moved on, or the file now matches it) rather than
/// damaged. Taking the write lock waits for a writer in the middle of a
/// change, which may have replaced the file but not yet its row.
async fn note_changed_since_copy(
    live: &SqlitePool,
    notes: &NotesDir,
    id: i64,
    file: &ArchiveFile,
) -> Result<bool, BackupError> {
    let mut turn = live.begin_with("BEGIN IMMEDIATE").await?;
    let current: Option<(String, String)> =
        sqlx::query_as("SELECT file_path, content_hash FROM notes WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *turn)
            .await?;
    let changed = match current {
        None => true,
        Some((_, hash)) if hash != file.sha256 => true,
        Some((path, _)) if notes.resolve(&path)? != file.source => true,
        Some(_) => reads_as(&file.source, &file.sha256),
    };
    turn.rollback().await?;
    Ok(changed)
}

/// Whether a media file that did not match the copy belongs to a row
/// removed since (its file may go with it) rather than damaged.
async fn media_changed_since_copy(
    live: &SqlitePool,
    path: &str,
    file: &ArchiveFile,
) -> Result<bool, BackupError> {
    let mut turn = live.begin_with("BEGIN IMMEDIATE").await?;
    let still_there: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM media WHERE path = ?)")
            .bind(path)
            .fetch_one(&mut *turn)
            .await?;
    let changed = !still_there || reads_as(&file.source, &file.sha256);
    turn.rollback().await?;
    Ok(changed)
}

fn reads_as(path: &Path, sha256: &str) -> bool {
    fs::read(path).is_ok_and(|bytes| content_hash(&bytes) == sha256)
}
