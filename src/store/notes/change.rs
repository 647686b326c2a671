//! Changing a note: every [`NoteEdit`] (text, tags, properties, status,
//! dates, delete and undelete) is applied by one function, in one
//! transaction under one compare-and-swap, by every writer. Either the
//! whole change is visible afterwards or none of it.
//!
//! New text goes to the file first, the previous text kept under a
//! temporary name; if anything after fails, the previous text is put back
//! while the write lock is still held, so no newer edit can be overwritten
//! by the rollback.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::super::media_refs::link_media;
use super::super::search::{index_note, reindex_tags};
use super::super::tags::write_tags;
use super::super::{Store, StoreError, blocking};
use super::{COLUMNS, NoteRow, db_time, find_any};
use crate::domain::{Note, NoteBody, NoteEdit, NoteWithBody, Tag, Visibility};

impl Store {
    /// Applies `edit` to the note `slug` whole, or not at all. A deleted
    /// note can only be brought back (`deleted: Some(false)`), with any
    /// other change at the same time. Setting what the note already has
    /// changes nothing, not even its dates.
    pub async fn change(&self, slug: &str, edit: NoteEdit) -> Result<Note, StoreError> {
        let mut tx = self.write_lock().await?;
        let note = find_for_change(&mut tx, slug, &edit).await?;
        let applied = self.apply(&mut tx, &note, None, edit).await?;
        self.finish(tx, applied).await
    }

    /// Reads the note under the write lock, asks `decide` what to change
    /// given its current state, and applies that whole: a read-modify-write
    /// no other writer can come between (adding a tag to those it has).
    pub async fn change_with<E, F>(&self, slug: &str, decide: F) -> Result<Note, E>
    where
        E: From<StoreError>,
        F: FnOnce(&Note) -> Result<NoteEdit, E>,
    {
        let mut tx = self.write_lock().await?;
        let note = find_live(&mut tx, slug).await?;
        let edit = decide(&note)?;
        let applied = self.apply(&mut tx, &note, None, edit).await?;
        Ok(self.finish(tx, applied).await?)
    }

    /// Like [`Store::change_with`], for a change that depends on the text
    /// too (Micropub's updates, which read the whole post back).
    pub async fn change_with_text<E, F>(&self, slug: &str, decide: F) -> Result<Note, E>
    where
        E: From<StoreError>,
        F: FnOnce(&NoteWithBody) -> Result<NoteEdit, E>,
    {
        let mut tx = self.write_lock().await?;
        let note = find_live(&mut tx, slug).await?;
        let body = self.read_body(&note).await?;
        let current = NoteWithBody { note, body };
        let edit = decide(&current)?;
        let NoteWithBody { note, body } = current;
        let applied = self.apply(&mut tx, &note, Some(body), edit).await?;
        Ok(self.finish(tx, applied).await?)
    }

    /// Writes the change inside the transaction. On failure the file is
    /// already back as it was.
    async fn apply(
        &self,
        tx: &mut SqliteConnection,
        note: &Note,
        current_body: Option<NoteBody>,
        edit: NoteEdit,
    ) -> Result<Applied, StoreError> {
        if let Some(expected) = &edit.based_on
            && !expected.eq_ignore_ascii_case(&note.content_hash)
        {
            return Err(StoreError::Conflict {
                slug: note.slug.to_string(),
                expected: expected.to_ascii_lowercase(),
                current: note.content_hash.clone(),
            });
        }
        let mut edit = edit;
        edit.properties = edit.properties.map(|p| p.validated()).transpose()?;
        let now = self.now();
        let target = Target::of(note, &edit, now);
        let body = edit.body.filter(|b| b.hash() != note.content_hash);
        let tags = edit.tags.filter(|t| !same_tags(t, &note.tags));
        if body.is_none() && tags.is_none() && target.same_as(note) {
            return Ok(Applied::Unchanged(note.clone()));
        }
        let old = match &body {
            Some(body) => {
                let files = self.files.clone();
                let (path, text) = (note.file_path.clone(), body.as_str().to_owned());
                Some(blocking(move || files.replace(&path, text.as_bytes())).await?)
            }
            None => None,
        };
        let written = async {
            // Tags first: the row read back carries them.
            if let Some(tags) = &tags {
                write_tags(&mut *tx, note.id, tags).await?;
            }
            let row = sqlx::query_as::<_, NoteRow>(&format!(
                "UPDATE notes SET content_hash = ?, properties = ?, published = ?, published_at = ?,
                                  deleted_at = ?, visibility = ?, updated_at = ?
                 WHERE id = ? RETURNING {COLUMNS}"
            ))
            .bind(
                body.as_ref()
                    .map_or(note.content_hash.clone(), |b| b.hash().to_owned()),
            )
            .bind(target.properties.to_json())
            .bind(target.published)
            .bind(target.published_at.map(db_time))
            .bind(target.deleted_at.map(db_time))
            .bind(target.visibility.as_str())
            .bind(db_time(now))
            .bind(note.id)
            .fetch_one(&mut *tx)
            .await?;
            let updated = Note::from(row);
            self.keep_derived(tx, note, &updated, body.as_ref(), current_body)
                .await?;
            Ok(updated)
        }
        .await;
        match written {
            Ok(note) => Ok(Applied::Changed { note, old }),
            Err(e) => {
                if let Some(old) = old {
                    self.restore_old(note, old).await;
                }
                Err(e)
            }
        }
    }

    /// The media links and search entry of a changed note, in step with
    /// its new text, properties and tags.
    async fn keep_derived(
        &self,
        tx: &mut SqliteConnection,
        before: &Note,
        after: &Note,
        new_body: Option<&NoteBody>,
        current_body: Option<NoteBody>,
    ) -> Result<(), StoreError> {
        let properties_changed = after.properties != before.properties;
        if new_body.is_some() || properties_changed {
            let text = new_body.map_or("", NoteBody::as_str);
            link_media(&mut *tx, after.id, &after.properties, text).await?;
        }
        // The indexed text is the title and the text, read in its format.
        let (old, new) = (&before.properties, &after.properties);
        if new_body.is_some() || old.format != new.format || old.name != new.name {
            let body = match (new_body, current_body) {
                (Some(body), _) => body.clone(),
                (None, Some(body)) => body,
                (None, None) => self.read_body(after).await?,
            };
            index_note(&mut *tx, after, &body).await?;
        } else if !same_tags(&after.tags, &before.tags) {
            reindex_tags(&mut *tx, after.id, &after.tags).await?;
        }
        Ok(())
    }

    /// Commits a change; then the previous text's temporary copy is no
    /// longer needed. If the commit fails, the previous text is put back.
    async fn finish(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Sqlite>,
        applied: Applied,
    ) -> Result<Note, StoreError> {
        let (note, old) = match applied {
            Applied::Unchanged(note) => return Ok(note),
            Applied::Changed { note, old } => (note, old),
        };
        if let Err(e) = tx.commit().await {
            if let Some(old) = old {
                // The lock is gone: put the old text back only if nobody
                // has written since (checked under a new lock).
                self.restore_if_unchanged(&note, old).await;
            }
            return Err(e.into());
        }
        if let Some(old) = old {
            let files = self.files.clone();
            if let Err(e) = blocking(move || files.remove_temp(&old)).await {
                log::warn!("{}", crate::error::error_chain(&e));
            }
        }
        Ok(note)
    }

    /// Puts the previous text back after a failed change, under the lock.
    async fn restore_old(&self, note: &Note, old: PathBuf) {
        let files = self.files.clone();
        let path = note.file_path.clone();
        if let Err(e) = blocking(move || files.restore_old(&old, &path)).await {
            log::error!(
                "could not restore {} after a failed change: {}",
                note.file_path,
                crate::error::error_chain(&e)
            );
        }
    }

    /// After a failed commit: the previous text goes back if the file still
    /// holds this change's text and the row still the previous hash.
    async fn restore_if_unchanged(&self, changed: &Note, old: PathBuf) {
        let outcome: Result<(), StoreError> = async {
            let mut tx = self.write_lock().await?;
            let row = find_any(&mut tx, changed.slug.as_str()).await?;
            let files = self.files.clone();
            let path = changed.file_path.clone();
            let new_hash = changed.content_hash.clone();
            let ours = row.is_some_and(|row| row.content_hash != new_hash);
            blocking(move || {
                if ours && files.hash_of(&path)?.as_deref() == Some(new_hash.as_str()) {
                    files.restore_old(&old, &path)
                } else {
                    files.remove_temp(&old)
                }
            })
            .await?;
            tx.rollback().await?;
            Ok(())
        }
        .await;
        if let Err(e) = outcome {
            log::error!(
                "could not restore {} after a failed change: {}",
                changed.file_path,
                crate::error::error_chain(&e)
            );
        }
    }
}

/// A note that is not deleted (drafts included), or `NotFound`.
async fn find_live(tx: &mut SqliteConnection, slug: &str) -> Result<Note, StoreError> {
    find_any(tx, slug)
        .await?
        .filter(|note| note.deleted_at.is_none())
        .ok_or_else(|| StoreError::NotFound(slug.to_owned()))
}

/// The note a change applies to: any live note, or a deleted one that the
/// change brings back.
async fn find_for_change(
    tx: &mut SqliteConnection,
    slug: &str,
    edit: &NoteEdit,
) -> Result<Note, StoreError> {
    match find_any(tx, slug).await? {
        Some(note) if note.deleted_at.is_none() || edit.undeletes() => Ok(note),
        _ => Err(StoreError::NotFound(slug.to_owned())),
    }
}

/// What [`Store::apply`] did, for [`Store::finish`].
enum Applied {
    Unchanged(Note),
    Changed {
        note: Note,
        /// The previous text's temporary copy, when the text changed.
        old: Option<PathBuf>,
    },
}

/// The row's fields after a change (besides its text and tags).
struct Target {
    properties: crate::domain::NoteProperties,
    published: bool,
    published_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    visibility: Visibility,
}

impl Target {
    fn of(note: &Note, edit: &NoteEdit, now: DateTime<Utc>) -> Target {
        let published = edit.published.unwrap_or(note.published);
        // The first publication dates the note; later ones keep its date,
        // so it keeps its place.
        let published_at = edit
            .published_at
            .map(super::to_millis)
            .or(note.published_at)
            .or(published.then_some(now));
        let deleted_at = match edit.deleted {
            None => note.deleted_at,
            Some(true) => note.deleted_at.or(Some(now)),
            Some(false) => None,
        };
        Target {
            properties: edit
                .properties
                .clone()
                .unwrap_or_else(|| note.properties.clone()),
            published,
            published_at,
            deleted_at,
            visibility: edit.visibility.unwrap_or(note.visibility),
        }
    }

    fn same_as(&self, note: &Note) -> bool {
        self.properties == note.properties
            && self.published == note.published
            && self.published_at == note.published_at
            && self.deleted_at == note.deleted_at
            && self.visibility == note.visibility
    }
}

fn same_tags(a: &[Tag], b: &[Tag]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.key() == y.key() && x.name() == y.name())
}
