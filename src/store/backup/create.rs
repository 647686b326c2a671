//! Making a backup while the site runs. The database is copied by SQLite
//! itself (`VACUUM INTO`, one read transaction, so the copy is consistent
//! whatever writers do meanwhile); then every note file that copy refers to
//! is added, each checked against the copy's SHA-256. A file that no longer
//! matches was changed by a writer after the copy: the attempt starts again
//! from a new copy, this time holding the write lock (every writer changes
//! a note's file only while holding it), so a writer that never pauses
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
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqlitePool};

use super::manifest::{
    Counts, DATABASE_MEMBER, MANIFEST_NAME, Manifest, Member, MemberKind, NOTES_FOLDER,
};
use super::output::{Destination, WorkFolder, place, remove_abandoned};
use super::{BackupError, Progress, blocking};
use crate::domain::content_hash;
use crate::store::{NotesDir, connect};

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

/// A note row of a database copy.
#[derive(Debug, Clone, sqlx::FromRow)]
struct NoteRow {
    id: i64,
    slug: String,
    file_path: String,
    content_hash: String,
}

struct Snapshot {
    path: PathBuf,
    rows: Vec<NoteRow>,
    manifest: Manifest,
}

/// Backs up the database at `database_path` and the note files under
/// `notes_path` into one archive at `destination`.
pub async fn create(
    database_path: &Path,
    notes_path: &Path,
    destination: &Destination,
    now: DateTime<Utc>,
    progress: Option<Progress>,
) -> Result<BackupSummary, BackupError> {
    if !database_path.is_file() {
        return Err(BackupError::NothingToBackUp(database_path.to_owned()));
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

    let live = connect(database_path, 1).await?;
    let notes = NotesDir::new(notes_path);
    let written = write_consistent(database_path, &live, &notes, &work, now, progress).await;
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
/// new copy while writers keep changing the notes it refers to.
async fn write_consistent(
    database_path: &Path,
    live: &SqlitePool,
    notes: &NotesDir,
    work: &WorkFolder,
    now: DateTime<Utc>,
    progress: Option<Progress>,
) -> Result<(Manifest, u32), BackupError> {
    let mut last_changed = String::new();
    for attempt in 1..=ATTEMPTS {
        let writers_held = if attempt == ATTEMPTS {
            Some(hold_writers(database_path).await?)
        } else {
            None
        };
        let snapshot =
            take_snapshot(live, &work.path().join(format!("copy-{attempt}.db")), now).await?;
        let (partial, notes_dir, progress) = (work.partial(), notes.clone(), progress.clone());
        let Snapshot {
            path,
            rows,
            manifest,
        } = snapshot;
        let rows = Arc::new(rows);
        let (manifest_out, rows_out, path_out) = (manifest.clone(), rows.clone(), path.clone());
        let changed = blocking(move || {
            write_archive(
                &partial,
                &manifest_out,
                &path_out,
                &rows_out,
                &notes_dir,
                progress.as_ref(),
            )
        })
        .await?;
        if let Some(held) = writers_held {
            held.close().await?;
        }
        fs::remove_file(&path).map_err(|e| BackupError::io("cannot remove", &path, e))?;
        let Some(index) = changed else {
            return Ok((manifest, attempt));
        };
        let row = &rows[index];
        if !changed_since_copy(live, notes, row).await? {
            return Err(BackupError::DamagedNote {
                slug: row.slug.clone(),
                path: row.file_path.clone(),
            });
        }
        log::info!(
            "note {:?} changed during the backup; copying again",
            row.slug
        );
        last_changed.clone_from(&row.slug);
    }
    Err(BackupError::KeptChanging {
        slug: last_changed,
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

/// Copies the database with `VACUUM INTO` and reads from the copy what the
/// archive needs.
async fn take_snapshot(
    live: &SqlitePool,
    into: &Path,
    now: DateTime<Utc>,
) -> Result<Snapshot, BackupError> {
    let target = into.to_str().ok_or_else(|| {
        BackupError::io(
            "cannot use the folder of",
            into,
            io::Error::new(io::ErrorKind::InvalidInput, "the path is not UTF-8"),
        )
    })?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(live)
        .await?;

    let mut copy = SqliteConnectOptions::from_str("sqlite:")?
        .filename(into)
        .read_only(true)
        .connect()
        .await?;
    let rows: Vec<NoteRow> =
        sqlx::query_as("SELECT id, slug, file_path, content_hash FROM notes ORDER BY file_path")
            .fetch_all(&mut copy)
            .await?;
    let (notes, published, drafts, deleted): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*),
                COALESCE(SUM(published = 1 AND deleted_at IS NULL), 0),
                COALESCE(SUM(published = 0 AND deleted_at IS NULL), 0),
                COALESCE(SUM(deleted_at IS NOT NULL), 0)
           FROM notes",
    )
    .fetch_one(&mut copy)
    .await?;
    let schema_version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut copy)
            .await?;
    copy.close().await?;

    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let counts = Counts {
        notes: count(notes),
        published: count(published),
        drafts: count(drafts),
        deleted: count(deleted),
    };
    let mut manifest = Manifest::new(schema_version, now, counts);
    let path = into.to_owned();
    let database_hash =
        blocking(move || hash_file(&path).map_err(|e| BackupError::io("cannot read", &path, e)))
            .await?;
    manifest.members.push(Member {
        path: DATABASE_MEMBER.to_owned(),
        kind: MemberKind::Database,
        sha256: database_hash,
    });
    manifest.members.extend(rows.iter().map(|row| Member {
        path: format!("{NOTES_FOLDER}/{}", row.file_path),
        kind: MemberKind::Note,
        sha256: row.content_hash.clone(),
    }));
    Ok(Snapshot {
        path: into.to_owned(),
        rows,
        manifest,
    })
}

/// Writes and syncs the archive; `Some(i)` when note `rows[i]`'s file no
/// longer matches the copy (the archive is then incomplete).
fn write_archive(
    partial: &Path,
    manifest: &Manifest,
    database_copy: &Path,
    rows: &[NoteRow],
    notes: &NotesDir,
    progress: Option<&Progress>,
) -> Result<Option<usize>, BackupError> {
    let failed = |e| BackupError::io("cannot write", partial, e);
    let file = File::create(partial).map_err(failed)?;
    let mut tar = tar::Builder::new(GzEncoder::new(BufWriter::new(file), Compression::default()));
    let mtime = u64::try_from(manifest.created_at.timestamp()).unwrap_or(0);
    let total = rows.len() as u64 + 1;

    let listing = serde_json::to_vec_pretty(manifest).expect("a manifest serialises");
    append(
        &mut tar,
        MANIFEST_NAME,
        &listing[..],
        listing.len() as u64,
        mtime,
    )
    .map_err(failed)?;
    let database = File::open(database_copy)
        .and_then(|f| f.metadata().map(|m| (f, m.len())))
        .map_err(|e| BackupError::io("cannot read", database_copy, e))?;
    append(&mut tar, DATABASE_MEMBER, database.0, database.1, mtime).map_err(failed)?;
    report(progress, 1, total);
    stall_for_tests(tar.get_mut()).map_err(failed)?;

    for (index, row) in rows.iter().enumerate() {
        let path = notes.resolve(&row.file_path)?;
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Some(index)),
            Err(e) => return Err(BackupError::io("cannot read note file", &path, e)),
        };
        if content_hash(&bytes) != row.content_hash {
            return Ok(Some(index));
        }
        let name = format!("{NOTES_FOLDER}/{}", row.file_path);
        append(&mut tar, &name, &bytes[..], bytes.len() as u64, mtime).map_err(failed)?;
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
async fn changed_since_copy(
    live: &SqlitePool,
    notes: &NotesDir,
    row: &NoteRow,
) -> Result<bool, BackupError> {
    let mut turn = live.begin_with("BEGIN IMMEDIATE").await?;
    let current: Option<(String, String)> =
        sqlx::query_as("SELECT file_path, content_hash FROM notes WHERE id = ?")
            .bind(row.id)
            .fetch_optional(&mut *turn)
            .await?;
    let changed = match current {
        None => true,
        Some((path, hash)) if path != row.file_path || hash != row.content_hash => true,
        Some((path, hash)) => fs::read(notes.resolve(&path)?)
            .map(|bytes| content_hash(&bytes) == hash)
            .unwrap_or(false),
    };
    turn.rollback().await?;
    Ok(changed)
}

/// SHA-256 of a file, read in pieces.
pub(super) fn hash_file(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}
