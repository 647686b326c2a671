//! A backup's snapshot: the database copied by `VACUUM INTO`, and what the
//! archive must hold according to that copy: every note file and every
//! media file its rows refer to, each with the SHA-256 it must have.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqlitePool};

use super::manifest::{
    Counts, DATABASE_MEMBER, MEDIA_FOLDER, Manifest, Member, MemberKind, NOTES_FOLDER,
};
use super::{BackupError, blocking};
use crate::store::media::media_records;
use crate::store::{MediaDir, MediaRecord, NotesDir};

/// A note row of a database copy.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct NoteRow {
    pub id: i64,
    pub slug: String,
    pub file_path: String,
    pub content_hash: String,
}

/// Which row of the copy a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// `Snapshot::notes[i]`.
    Note(usize),
    /// `Snapshot::media[i]`.
    Media(usize),
}

/// One file the archive must hold.
#[derive(Debug, Clone)]
pub(super) struct ArchiveFile {
    /// Its name in the archive.
    pub name: String,
    /// Where it is read from.
    pub source: PathBuf,
    pub sha256: String,
    pub owner: Owner,
}

pub(super) struct Snapshot {
    /// The database copy.
    pub path: PathBuf,
    pub notes: Vec<NoteRow>,
    pub media: Vec<MediaRecord>,
    /// Every file after the database, in archive order.
    pub files: Vec<ArchiveFile>,
    pub manifest: Manifest,
}

/// Copies the database with `VACUUM INTO` and reads from the copy what the
/// archive needs.
pub(super) async fn take_snapshot(
    live: &SqlitePool,
    into: &Path,
    notes_dir: &NotesDir,
    media_dir: &MediaDir,
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
    let notes: Vec<NoteRow> =
        sqlx::query_as("SELECT id, slug, file_path, content_hash FROM notes ORDER BY file_path")
            .fetch_all(&mut copy)
            .await?;
    let (all, published, drafts, deleted): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*),
                COALESCE(SUM(published = 1 AND deleted_at IS NULL), 0),
                COALESCE(SUM(published = 0 AND deleted_at IS NULL), 0),
                COALESCE(SUM(deleted_at IS NOT NULL), 0)
           FROM notes",
    )
    .fetch_one(&mut copy)
    .await?;
    let media = media_records(&mut copy).await?;
    let schema_version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut copy)
            .await?;
    copy.close().await?;

    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let counts = Counts {
        notes: count(all),
        published: count(published),
        drafts: count(drafts),
        deleted: count(deleted),
        media: media.len() as u64,
    };
    let mut files = Vec::with_capacity(notes.len() + media.len());
    for (index, row) in notes.iter().enumerate() {
        files.push(ArchiveFile {
            name: format!("{NOTES_FOLDER}/{}", row.file_path),
            source: notes_dir.resolve(&row.file_path)?,
            sha256: row.content_hash.clone(),
            owner: Owner::Note(index),
        });
    }
    let (media_files, media_dir) = (media.clone(), media_dir.clone());
    files.extend(blocking(move || media_members(&media_files, &media_dir)).await?);

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
    manifest.members.extend(files.iter().map(|file| Member {
        path: file.name.clone(),
        kind: match file.owner {
            Owner::Note(_) => MemberKind::Note,
            Owner::Media(_) => MemberKind::Media,
        },
        sha256: file.sha256.clone(),
    }));
    Ok(Snapshot {
        path: into.to_owned(),
        notes,
        media,
        files,
        manifest,
    })
}

/// Every file the media rows own. A file whose row records no SHA-256 is
/// hashed now; the archive then holds it only if it still reads the same.
fn media_members(media: &[MediaRecord], dir: &MediaDir) -> Result<Vec<ArchiveFile>, BackupError> {
    let mut files = Vec::new();
    for (index, record) in media.iter().enumerate() {
        for file in record.files() {
            let source = dir.root().join(file.path.as_str());
            let name = format!("{MEDIA_FOLDER}/{}", file.path);
            let sha256 = file.sha256.to_owned();
            files.push(ArchiveFile {
                name,
                source,
                sha256,
                owner: Owner::Media(index),
            });
        }
    }
    Ok(files)
}

/// SHA-256 of a file, read in pieces.
pub(super) fn hash_file(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}
