//! Changing what a note holds beyond its text: its properties (title,
//! summary, photos, text format, other mf2 properties) and its
//! publication date. Part of the note service, like the text and tags.

use chrono::{DateTime, Utc};

use super::media_refs::link_media;
use super::notes::{COLUMNS, NoteRow, db_time, find_live, to_millis};
use super::search::index_note;
use super::{Store, StoreError};
use crate::domain::{Note, NoteProperties};

impl Store {
    /// Replaces a note's properties (drafts included, deleted notes not).
    /// Setting the ones it has changes nothing, not even its dates. A new
    /// text format re-indexes the note, whose plain text then reads
    /// differently.
    pub async fn set_properties(
        &self,
        slug: &str,
        properties: &NoteProperties,
        now: DateTime<Utc>,
    ) -> Result<Note, StoreError> {
        let properties = properties
            .clone()
            .validated()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.write_lock().await?;
        let note = find_live(&mut tx, slug).await?;
        if note.properties == properties {
            return Ok(note);
        }
        let row = sqlx::query_as::<_, NoteRow>(&format!(
            "UPDATE notes SET properties = ?, updated_at = ? WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(properties.to_json())
        .bind(db_time(to_millis(now)))
        .bind(note.id)
        .fetch_one(&mut *tx)
        .await?;
        let updated = Note::from(row);
        // The text is unchanged, and its uploads were linked when it was written.
        link_media(&mut tx, updated.id, &updated.properties, "").await?;
        if updated.properties.format != note.properties.format {
            let body = self.read_body(&updated).await?;
            index_note(&mut tx, &updated, &body).await?;
        }
        tx.commit().await?;
        Ok(updated)
    }

    /// Moves a note's publication date (a published note keeps its place
    /// by it; a draft is published with it later).
    pub async fn set_published_at(
        &self,
        slug: &str,
        published_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Note, StoreError> {
        let mut tx = self.write_lock().await?;
        let note = find_live(&mut tx, slug).await?;
        let published_at = to_millis(published_at);
        if note.published_at == Some(published_at) {
            return Ok(note);
        }
        let row = sqlx::query_as::<_, NoteRow>(&format!(
            "UPDATE notes SET published_at = ?, updated_at = ? WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(db_time(published_at))
        .bind(db_time(to_millis(now)))
        .bind(note.id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }
}
