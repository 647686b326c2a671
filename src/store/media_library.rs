//! The owner's view of the uploads: each with the notes that use it now,
//! and the removal of one that nothing uses.
//!
//! `note_media` remembers every note that ever used an upload (so unused
//! uploads are cleaned up without removing one whose address was shared),
//! which is more than the notes that use it now: an edit may have dropped
//! the photo. What a note uses now is read from the note itself, its photos
//! and its text, as [`link_media`](super::media_refs) reads them.

use std::collections::HashMap;

use sqlx::{FromRow, SqliteConnection};

use super::media::{MEDIA_COLUMNS, MediaDir, MediaRecord, MediaRow};
use super::media_refs::remove_files;
use super::notes::{COLUMNS, NoteRow};
use super::{Store, StoreError};
use crate::domain::{MediaPath, Note, Slug};

/// One upload, as the media page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaItem {
    pub id: i64,
    pub record: MediaRecord,
    /// The notes whose photos or text use it now, newest first.
    pub notes: Vec<MediaUser>,
    /// Whether it is the copy of a response author's picture.
    pub avatar: bool,
}

impl MediaItem {
    /// Whether anything uses it now.
    pub fn in_use(&self) -> bool {
        self.avatar || !self.notes.is_empty()
    }
}

/// A note that uses an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUser {
    pub id: i64,
    pub slug: Slug,
    /// Deleted notes keep their photos: they may be restored.
    pub deleted: bool,
}

/// What became of a request to remove an upload.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaRemoval {
    /// The row is gone, and so are its files.
    Removed(MediaRecord),
    /// Refused: something uses it (see [`MediaItem::notes`] and
    /// [`MediaItem::avatar`]).
    InUse(MediaItem),
}

#[derive(FromRow)]
struct IdentifiedMediaRow {
    id: i64,
    #[sqlx(flatten)]
    row: MediaRow,
}

#[derive(FromRow)]
struct CandidateRow {
    media_id: i64,
    #[sqlx(flatten)]
    note: NoteRow,
}

impl Store {
    /// Uploads newest first: `limit` of them from `offset`, and whether
    /// there are more.
    pub async fn media_items(
        &self,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<MediaItem>, bool), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query_as::<_, IdentifiedMediaRow>(&format!(
            "SELECT id, {MEDIA_COLUMNS} FROM media ORDER BY created_at DESC, id DESC
             LIMIT ? OFFSET ?"
        ))
        .bind(i64::from(limit) + 1)
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await?;
        let more = rows.len() > limit as usize;
        let records = identified(rows.into_iter().take(limit as usize))?;
        let items = self.with_users(&mut conn, records).await?;
        Ok((items, more))
    }

    /// The upload with this id, with what uses it now.
    pub async fn media_item(&self, id: i64) -> Result<Option<MediaItem>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        self.media_item_in(&mut conn, id).await
    }

    /// Removes the upload with this id and its files, unless a note uses
    /// it now or it is a response author's picture. Decided and done under
    /// the write lock, so no note can start using it meanwhile; the notes
    /// that once used it forget it in the same transaction. `None` when
    /// there is no such upload.
    pub async fn remove_media(
        &self,
        dir: &MediaDir,
        id: i64,
    ) -> Result<Option<MediaRemoval>, StoreError> {
        let mut tx = self.write_lock().await?;
        let Some(item) = self.media_item_in(&mut tx, id).await? else {
            return Ok(None);
        };
        if item.in_use() {
            return Ok(Some(MediaRemoval::InUse(item)));
        }
        sqlx::query("DELETE FROM note_media WHERE media_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query_as::<_, MediaRow>(&format!(
            "DELETE FROM media WHERE id = ? RETURNING {MEDIA_COLUMNS}"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let record = row
            .into_record()
            .ok_or_else(|| StoreError::BadMediaRow(item.record.path.to_string()))?;
        remove_files(dir, std::slice::from_ref(&record)).await?;
        Ok(Some(MediaRemoval::Removed(record)))
    }

    async fn media_item_in(
        &self,
        conn: &mut SqliteConnection,
        id: i64,
    ) -> Result<Option<MediaItem>, StoreError> {
        let row = sqlx::query_as::<_, IdentifiedMediaRow>(&format!(
            "SELECT id, {MEDIA_COLUMNS} FROM media WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let records = identified(row)?;
        Ok(self.with_users(conn, records).await?.pop())
    }

    /// Each upload with the notes that use it now and whether it is an
    /// author's picture, in two queries and a read of the text of each note
    /// that once used it and no longer names it among its photos.
    async fn with_users(
        &self,
        conn: &mut SqliteConnection,
        records: Vec<(i64, MediaRecord)>,
    ) -> Result<Vec<MediaItem>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = records.iter().map(|(id, _)| *id).collect();
        let candidates = sqlx::query_as::<_, CandidateRow>(&format!(
            "SELECT note_media.media_id, {COLUMNS}
             FROM note_media JOIN notes ON notes.id = note_media.note_id
             WHERE note_media.media_id IN (SELECT value FROM json_each(?))
             ORDER BY notes.created_at DESC, notes.id DESC"
        ))
        .bind(serde_json::to_string(&ids).expect("numbers serialise"))
        .fetch_all(&mut *conn)
        .await?;
        let mut candidates_of: HashMap<i64, Vec<Note>> = HashMap::new();
        for row in candidates {
            candidates_of
                .entry(row.media_id)
                .or_default()
                .push(Note::from(row.note));
        }
        let paths: Vec<&str> = records.iter().map(|(_, r)| r.path.as_str()).collect();
        let avatars: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT author_photo FROM responses
             WHERE author_photo IN (SELECT value FROM json_each(?))",
        )
        .bind(serde_json::to_string(&paths).expect("strings serialise"))
        .fetch_all(&mut *conn)
        .await?;
        let mut items = Vec::with_capacity(records.len());
        for (id, record) in records {
            let mut notes = Vec::new();
            for note in candidates_of.remove(&id).unwrap_or_default() {
                if self.note_uses(&note, &record).await {
                    notes.push(MediaUser {
                        id: note.id,
                        slug: note.slug.clone(),
                        deleted: note.deleted_at.is_some(),
                    });
                }
            }
            let avatar = avatars.iter().any(|p| p == record.path.as_str());
            items.push(MediaItem {
                id,
                record,
                notes,
                avatar,
            });
        }
        Ok(items)
    }

    /// Whether `note` shows or links the upload now, among its photos or
    /// in its text. A note whose text cannot be read counts as using it:
    /// removing an image it may show cannot be undone.
    async fn note_uses(&self, note: &Note, record: &MediaRecord) -> bool {
        let is_this = |path: &MediaPath| record.file(path).is_some();
        if note
            .properties
            .photos
            .iter()
            .filter_map(|photo| MediaPath::in_url(&photo.url))
            .any(|path| is_this(&path))
        {
            return true;
        }
        match self.read_body(note).await {
            Ok(body) => MediaPath::all_in_text(body.as_str()).iter().any(is_this),
            Err(e) => {
                log::warn!(
                    "cannot tell whether note {} uses {}: {}",
                    note.slug,
                    record.path,
                    crate::error::error_chain(&e)
                );
                true
            }
        }
    }
}

/// Rows with their ids; a row this program could not have written is an
/// error naming it.
fn identified(
    rows: impl IntoIterator<Item = IdentifiedMediaRow>,
) -> Result<Vec<(i64, MediaRecord)>, StoreError> {
    rows.into_iter()
        .map(|IdentifiedMediaRow { id, row }| {
            let path = row.path().to_owned();
            row.into_record()
                .map(|record| (id, record))
                .ok_or(StoreError::BadMediaRow(path))
        })
        .collect()
}
