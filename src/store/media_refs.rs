//! Which notes use which uploads, and the removal of uploads no note ever
//! used. Every writer of notes goes through the note service, which calls
//! [`link_media`] whenever it writes a note's text or photos.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::media::{MEDIA_COLUMNS, MediaDir, MediaRecord, MediaRow};
use super::notes::db_time;
use super::{Store, StoreError, blocking};
use crate::domain::{MediaPath, NoteProperties};

/// Records that note `note_id` uses the uploads among its photos and those
/// its text links or shows. Only adds: a photo dropped by an edit stays
/// referenced (see the migration that made `note_media`).
pub(super) async fn link_media(
    conn: &mut SqliteConnection,
    note_id: i64,
    properties: &NoteProperties,
    text: &str,
) -> Result<(), StoreError> {
    let photos = properties
        .photos
        .iter()
        .filter_map(|photo| MediaPath::in_url(&photo.url));
    for path in photos.chain(MediaPath::all_in_text(text)) {
        sqlx::query(
            "INSERT OR IGNORE INTO note_media (note_id, media_id)
             SELECT ?1, id FROM media WHERE path = ?2 OR web_path = ?2",
        )
        .bind(note_id)
        .bind(path.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// How long an upload may wait for a note to use it before it is removed.
pub const UNUSED_MEDIA_GRACE: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// How old a file without a row must be before `check --repair` removes
/// it: no upload takes that long between writing its file and its row.
pub const UNKNOWN_MEDIA_MIN_AGE: std::time::Duration = std::time::Duration::from_secs(60 * 60);

impl Store {
    /// Removes the uploads made before `cutoff` that no note, live,
    /// draft or deleted, has ever used: rows first, under the write lock
    /// so no note can start using one meanwhile, then their files. A file
    /// that cannot be removed is logged and left for `check --repair`.
    /// Returns what was removed.
    pub async fn remove_unused_media(
        &self,
        dir: &MediaDir,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<MediaRecord>, StoreError> {
        let mut tx = self.write_lock().await?;
        let rows = sqlx::query_as::<_, MediaRow>(&format!(
            "DELETE FROM media
             WHERE created_at < ?
               AND NOT EXISTS (SELECT 1 FROM note_media WHERE media_id = media.id)
               AND NOT EXISTS (SELECT 1 FROM responses WHERE author_photo = media.path)
             RETURNING {MEDIA_COLUMNS}"
        ))
        .bind(db_time(cutoff))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let removed: Vec<MediaRecord> =
            rows.into_iter().filter_map(MediaRow::into_record).collect();
        remove_files(dir, &removed).await?;
        Ok(removed)
    }

    /// Removes uploads just made for a post that was not saved, unless a
    /// note uses them by now: a failed post leaves no upload behind.
    pub async fn remove_uploads(
        &self,
        dir: &MediaDir,
        uploads: &[MediaRecord],
    ) -> Result<(), StoreError> {
        let mut tx = self.write_lock().await?;
        let mut removed = Vec::new();
        for upload in uploads {
            let row = sqlx::query_as::<_, MediaRow>(&format!(
                "DELETE FROM media
                 WHERE path = ?
                   AND NOT EXISTS (SELECT 1 FROM note_media WHERE media_id = media.id)
               AND NOT EXISTS (SELECT 1 FROM responses WHERE author_photo = media.path)
                 RETURNING {MEDIA_COLUMNS}"
            ))
            .bind(upload.path.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            removed.extend(row.and_then(MediaRow::into_record));
        }
        tx.commit().await?;
        remove_files(dir, &removed).await
    }

    /// How many notes use the upload at `path` (for tests and `check`).
    pub async fn media_users(&self, path: &MediaPath) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM note_media JOIN media ON media.id = note_media.media_id
             WHERE media.path = ?",
        )
        .bind(path.as_str())
        .fetch_one(&self.pool)
        .await?)
    }
}

/// Removes the files of uploads whose rows are gone. A file that cannot be
/// removed is logged and left for `check --repair`.
pub(super) async fn remove_files(
    dir: &MediaDir,
    removed: &[MediaRecord],
) -> Result<(), StoreError> {
    let files: Vec<PathBuf> = removed
        .iter()
        .flat_map(|record| record.files())
        .map(|file| dir.file(file.path))
        .collect();
    blocking(move || {
        for file in files {
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => log::warn!("cannot remove the upload {}: {e}", file.display()),
            }
        }
        Ok(())
    })
    .await
}
