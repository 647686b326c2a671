//! The note service: creating, changing and reading notes. Every writer
//! (the CLI, import, and the server's own writers) goes through these
//! functions, and each holds the database's write lock while it changes a
//! note's file, so the row and the file change together or not at all, and
//! concurrent writers never overwrite each other's files.

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::{FromRow, SqliteConnection};

use super::files::{CreatedFile, Durability, FileDamage};
use super::media_refs::link_media;
use super::search::{index_note, unindex};
use super::tags::{forget_unused_tags, write_tags};
use super::{NotesDir, Store, StoreError, blocking};
use crate::domain::{Note, NoteBody, NoteProperties, NoteWithBody, Slug, Tag};

/// How many numbered slugs (`slug-2`, `slug-3`, …) are tried before giving up.
const MAX_SLUG_SUFFIX: u32 = 10_000;

/// A note about to be created.
#[derive(Debug, Clone)]
pub struct NewNote {
    pub body: NoteBody,
    /// The author's own slug; `None` makes one from the text.
    pub slug: Option<Slug>,
    pub published: bool,
    /// When it was published, if not now (imports, back-dating).
    pub published_at: Option<DateTime<Utc>>,
    /// When it was written, if not now.
    pub created_at: Option<DateTime<Utc>>,
    /// In the author's order.
    pub tags: Vec<Tag>,
    /// Title, summary, photos, text format, other mf2 properties.
    pub properties: NoteProperties,
}

/// One page of the public list.
#[derive(Debug, Clone)]
pub struct NotePage {
    pub notes: Vec<NoteWithBody>,
    /// Notes that belong on the page but whose file is damaged: left out,
    /// so one bad file never takes the page down.
    pub damaged: Vec<DamagedNote>,
    pub has_older: bool,
}

/// A note whose file cannot be read as the text the database recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct DamagedNote {
    pub note: Note,
    pub problem: FileDamage,
}

impl DamagedNote {
    pub fn into_error(self) -> StoreError {
        StoreError::Damaged(Box::new(self))
    }
}

impl std::fmt::Display for DamagedNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "note {:?} cannot be shown: {}: {}",
            self.note.slug.as_str(),
            self.note.file_path,
            self.problem
        )
    }
}

pub(super) const COLUMNS: &str = "id, slug, file_path, published, created_at, updated_at, published_at, deleted_at, content_hash, properties, \
     (SELECT json_group_array(json_array(t.key, t.name) ORDER BY nt.position) \
        FROM note_tags nt JOIN tags t ON t.id = nt.tag_id WHERE nt.note_id = notes.id) AS tags";

#[derive(FromRow)]
pub(super) struct NoteRow {
    id: i64,
    slug: String,
    file_path: String,
    published: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    content_hash: String,
    properties: String,
    /// `[["key","name"], …]`, in the author's order.
    tags: Option<String>,
}

impl From<NoteRow> for Note {
    fn from(row: NoteRow) -> Note {
        Note {
            id: row.id,
            slug: Slug::from_stored(row.slug),
            file_path: row.file_path,
            published: row.published,
            created_at: row.created_at,
            updated_at: row.updated_at,
            published_at: row.published_at,
            deleted_at: row.deleted_at,
            content_hash: row.content_hash,
            tags: stored_tags(row.tags.as_deref()),
            properties: NoteProperties::from_json(&row.properties).unwrap_or_else(|e| {
                // Only a hand edit of the database can cause this.
                log::warn!(
                    "note {}: unreadable properties ({e}); ignoring them",
                    row.id
                );
                NoteProperties::default()
            }),
        }
    }
}

/// The tags column of [`COLUMNS`]; written only by this store, so a value
/// that does not parse (impossible short of a hand edit) reads as no tags.
fn stored_tags(json: Option<&str>) -> Vec<Tag> {
    json.and_then(|json| serde_json::from_str::<Vec<(String, String)>>(json).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|(key, name)| Tag::from_stored(key, name))
        .collect()
}

/// Timestamps are stored as RFC 3339 UTC text with milliseconds.
pub(crate) fn db_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Drops sub-millisecond precision so a time reads back exactly as written.
pub(crate) fn to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).expect("a valid time stays valid")
}

impl Store {
    /// Creates a note under the first free slug of `slug`, `slug-2`, …: a
    /// slug is free when no row has it and no file occupies its path (a
    /// stray file is never overwritten). The file is created exclusively,
    /// then the row written; if the row cannot be written, only the file
    /// this call created is removed.
    pub async fn create(&self, new: NewNote, now: DateTime<Utc>) -> Result<Note, StoreError> {
        let now = to_millis(now);
        let created_at = to_millis(new.created_at.unwrap_or(now));
        let published_at = match (new.published, new.published_at) {
            (_, Some(at)) => Some(to_millis(at)),
            (true, None) => Some(now),
            (false, None) => None,
        };
        let base = new
            .slug
            .clone()
            .unwrap_or_else(|| Slug::from_content(new.body.as_str(), created_at));

        let mut tx = self.write_lock().await?;
        for n in 1..MAX_SLUG_SUFFIX {
            let slug = numbered(&base, n);
            if slug_taken(&mut tx, &slug).await? {
                continue;
            }
            let file_path = NotesDir::relative_path_for(&slug, created_at);
            let files = self.files.clone();
            let (path, text) = (file_path.clone(), new.body.as_str().to_owned());
            let Some(created) =
                blocking(move || files.create_new(&path, text.as_bytes(), Durability::Synced))
                    .await?
            else {
                continue;
            };

            let inserted = sqlx::query_as::<_, NoteRow>(&format!(
                "INSERT INTO notes (slug, file_path, published, created_at, updated_at, published_at, content_hash, properties)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
            ))
            .bind(slug.as_str())
            .bind(&file_path)
            .bind(new.published)
            .bind(db_time(created_at))
            .bind(db_time(now))
            .bind(published_at.map(db_time))
            .bind(new.body.hash())
            .bind(new.properties.to_json())
            .fetch_one(&mut *tx)
            .await;
            let mut note: Note = match inserted {
                Ok(row) => row.into(),
                Err(e) => {
                    self.discard(created).await;
                    return Err(e.into());
                }
            };
            note.tags = new.tags.clone();
            let written = async {
                write_tags(&mut tx, note.id, &note.tags).await?;
                link_media(&mut tx, note.id, &note.properties, new.body.as_str()).await?;
                index_note(&mut tx, &note, &new.body).await
            }
            .await;
            if let Err(e) = written {
                self.discard(created).await;
                return Err(e);
            }
            if let Err(e) = tx.commit().await {
                self.discard(created).await;
                return Err(e.into());
            }
            let files = self.files.clone();
            blocking(move || {
                files.forget_twin(&created);
                Ok(())
            })
            .await?;
            return Ok(note);
        }
        Err(StoreError::Invalid(format!(
            "no free slug left for {base}: {base}-2 … {base}-{MAX_SLUG_SUFFIX} are all taken"
        )))
    }

    /// Removes a file this writer created whose row was not written.
    async fn discard(&self, created: CreatedFile) {
        let files = self.files.clone();
        let shown = created.path.display().to_string();
        if let Err(e) = blocking(move || files.discard_created(&created)).await {
            log::error!(
                "could not remove {shown} after a failed insert: {}",
                crate::web::error_chain(&e)
            );
        }
    }

    /// Replaces a note's text, provided it is still the version the edit
    /// was based on (`based_on`, the content hash the editor read): an edit
    /// of an older version fails with [`StoreError::Conflict`] instead of
    /// overwriting a newer one. If the row cannot be updated the previous
    /// text is put back while the write lock is still held, so no newer
    /// edit can be overwritten by the rollback.
    pub async fn update_body(
        &self,
        slug: &str,
        based_on: &str,
        body: NoteBody,
        now: DateTime<Utc>,
    ) -> Result<Note, StoreError> {
        let mut tx = self.write_lock().await?;
        let note = find_live(&mut tx, slug).await?;
        if note.content_hash != based_on {
            return Err(StoreError::Conflict {
                slug: slug.to_owned(),
                expected: based_on.to_owned(),
                current: note.content_hash,
            });
        }
        if body.hash() == note.content_hash {
            return Ok(note);
        }
        let files = self.files.clone();
        let (path, text) = (note.file_path.clone(), body.as_str().to_owned());
        let old = blocking(move || files.replace(&path, text.as_bytes())).await?;

        let updated = sqlx::query_as::<_, NoteRow>(&format!(
            "UPDATE notes SET content_hash = ?, updated_at = ? WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(body.hash())
        .bind(db_time(to_millis(now)))
        .bind(note.id)
        .fetch_one(&mut *tx)
        .await;
        let updated = match updated {
            Ok(row) => {
                let note = Note::from(row);
                let written = async {
                    link_media(&mut tx, note.id, &note.properties, body.as_str()).await?;
                    index_note(&mut tx, &note, &body).await
                };
                written.await.map(|()| note)
            }
            Err(e) => Err(e.into()),
        };
        let updated = match updated {
            Ok(note) => note,
            Err(e) => {
                let files = self.files.clone();
                let path = note.file_path.clone();
                if let Err(restore) = blocking(move || files.restore_old(&old, &path)).await {
                    log::error!(
                        "could not restore {} after a failed update: {}",
                        note.file_path,
                        crate::web::error_chain(&restore)
                    );
                }
                return Err(e);
            }
        };
        if let Err(e) = tx.commit().await {
            // The lock is gone: put the old text back only if nobody has
            // written since (the check-and-restore runs under a new lock).
            self.restore_if_unchanged(&note, &body.hash(), old).await;
            return Err(e.into());
        }
        let files = self.files.clone();
        if let Err(e) = blocking(move || files.remove_temp(&old)).await {
            log::warn!("{}", crate::web::error_chain(&e));
        }
        Ok(updated)
    }

    async fn restore_if_unchanged(&self, before: &Note, new_hash: &str, old: std::path::PathBuf) {
        let outcome: Result<(), StoreError> = async {
            let mut tx = self.write_lock().await?;
            let now = find_live(&mut tx, before.slug.as_str()).await?;
            let files = self.files.clone();
            let path = before.file_path.clone();
            let ours = now.content_hash == before.content_hash
                && files.hash_of(&path)?.as_deref() == Some(new_hash);
            blocking(move || {
                if ours {
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
                "could not restore {} after a failed update: {}",
                before.file_path,
                crate::web::error_chain(&e)
            );
        }
    }

    /// Publishes or unpublishes a note. The first publication sets
    /// `published_at`; later ones keep it, so the note keeps its place.
    pub async fn set_published(
        &self,
        slug: &str,
        published: bool,
        now: DateTime<Utc>,
    ) -> Result<Note, StoreError> {
        let mut tx = self.write_lock().await?;
        let note = find_live(&mut tx, slug).await?;
        let now = db_time(to_millis(now));
        let row = sqlx::query_as::<_, NoteRow>(&format!(
            "UPDATE notes SET published = ?, updated_at = ?,
                    published_at = CASE WHEN ? AND published_at IS NULL THEN ? ELSE published_at END
             WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(published)
        .bind(&now)
        .bind(published)
        .bind(&now)
        .bind(note.id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// Hides a note from every page and feed, keeping its file and row (and
    /// so its slug, which is never reused); [`Store::restore_deleted`]
    /// brings it back.
    pub async fn soft_delete(&self, slug: &str, now: DateTime<Utc>) -> Result<Note, StoreError> {
        let mut tx = self.write_lock().await?;
        let note = find_live(&mut tx, slug).await?;
        let row = sqlx::query_as::<_, NoteRow>(&format!(
            "UPDATE notes SET deleted_at = ?, updated_at = ? WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(db_time(to_millis(now)))
        .bind(db_time(to_millis(now)))
        .bind(note.id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// Brings back a soft-deleted note, as it was before.
    pub async fn restore_deleted(
        &self,
        slug: &str,
        now: DateTime<Utc>,
    ) -> Result<Note, StoreError> {
        let mut tx = self.write_lock().await?;
        let row = sqlx::query_as::<_, NoteRow>(&format!(
            "UPDATE notes SET deleted_at = NULL, updated_at = ?
             WHERE slug = ? AND deleted_at IS NOT NULL RETURNING {COLUMNS}"
        ))
        .bind(db_time(to_millis(now)))
        .bind(slug)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(slug.to_owned()))?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// Removes a note's row and file. The file is first moved aside, so if
    /// the row cannot be deleted it is put back.
    pub async fn hard_delete(&self, slug: &str) -> Result<Note, StoreError> {
        let mut tx = self.write_lock().await?;
        let note = find_any(&mut tx, slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(slug.to_owned()))?;
        let files = self.files.clone();
        let path = note.file_path.clone();
        let aside = blocking(move || files.move_aside(&path)).await?;

        // Its tags go with it (ON DELETE CASCADE), then any tag left unused.
        let deleted = async {
            sqlx::query("DELETE FROM notes WHERE id = ?")
                .bind(note.id)
                .execute(&mut *tx)
                .await?;
            unindex(&mut tx, note.id).await?;
            forget_unused_tags(&mut tx).await?;
            tx.commit().await.map_err(StoreError::from)
        }
        .await;
        let outcome = deleted;
        let files = self.files.clone();
        let path = note.file_path.clone();
        match outcome {
            Ok(()) => {
                if let Some(aside) = aside
                    && let Err(e) = blocking(move || files.remove_temp(&aside)).await
                {
                    log::warn!("{}", crate::web::error_chain(&e));
                }
                Ok(note)
            }
            Err(e) => {
                if let Some(aside) = aside
                    && let Err(restore) = blocking(move || files.put_back(&aside, &path)).await
                {
                    log::error!(
                        "could not restore {} after a failed delete: {}",
                        note.file_path,
                        crate::web::error_chain(&restore)
                    );
                }
                Err(e)
            }
        }
    }

    /// Any note with this slug, whatever its state.
    pub async fn find(&self, slug: &str) -> Result<Option<Note>, StoreError> {
        let row =
            sqlx::query_as::<_, NoteRow>(&format!("SELECT {COLUMNS} FROM notes WHERE slug = ?"))
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Note::from))
    }

    /// A note people may see, with its text; `None` for drafts, deleted and
    /// unknown slugs alike, [`StoreError::Damaged`] when its file is.
    pub async fn find_public(&self, slug: &str) -> Result<Option<NoteWithBody>, StoreError> {
        match self.find(slug).await? {
            Some(note) if note.is_public() => {
                let (mut found, mut damaged) = self.with_bodies(vec![note]).await?;
                match damaged.pop() {
                    Some(damage) => Err(damage.into_error()),
                    None => Ok(found.pop()),
                }
            }
            _ => Ok(None),
        }
    }

    /// Published notes, newest first: `limit` of them after skipping `offset`.
    pub async fn public_page(&self, offset: u64, limit: u32) -> Result<NotePage, StoreError> {
        let rows = sqlx::query_as::<_, NoteRow>(&format!(
            "SELECT {COLUMNS} FROM notes WHERE published = 1 AND deleted_at IS NULL
             ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?"
        ))
        .bind(i64::from(limit) + 1)
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        self.page_of(rows, limit).await
    }

    /// A page of a list from `limit + 1` rows (the extra one only says
    /// that older notes exist), with the notes' texts read.
    pub(super) async fn page_of(
        &self,
        rows: Vec<NoteRow>,
        limit: u32,
    ) -> Result<NotePage, StoreError> {
        let has_older = rows.len() > limit as usize;
        let notes: Vec<Note> = rows
            .into_iter()
            .take(limit as usize)
            .map(Note::from)
            .collect();
        let (notes, damaged) = self.with_bodies(notes).await?;
        Ok(NotePage {
            notes,
            damaged,
            has_older,
        })
    }

    /// Every note, newest first; drafts and deleted ones only if asked.
    pub async fn list(&self, drafts: bool, deleted: bool) -> Result<Vec<Note>, StoreError> {
        let rows = sqlx::query_as::<_, NoteRow>(&format!(
            "SELECT {COLUMNS} FROM notes
             WHERE (published = 1 OR ?) AND (deleted_at IS NULL OR ?)
             ORDER BY COALESCE(published_at, created_at) DESC, id DESC"
        ))
        .bind(drafts)
        .bind(deleted)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Note::from).collect())
    }

    /// The text of one note, as stored, or [`StoreError::Damaged`].
    pub async fn read_body(&self, note: &Note) -> Result<NoteBody, StoreError> {
        let (mut found, mut damaged) = self.with_bodies(vec![note.clone()]).await?;
        match (found.pop(), damaged.pop()) {
            (Some(found), _) => Ok(found.body),
            (None, Some(damage)) => Err(damage.into_error()),
            (None, None) => unreachable!("every note is either read or damaged"),
        }
    }

    /// Reads the notes' files, setting aside those that are damaged.
    pub(super) async fn with_bodies(
        &self,
        notes: Vec<Note>,
    ) -> Result<(Vec<NoteWithBody>, Vec<DamagedNote>), StoreError> {
        let files = self.files.clone();
        blocking(move || {
            let mut found = Vec::with_capacity(notes.len());
            let mut damaged = Vec::new();
            for note in notes {
                let text = files.read_verified(&note.file_path, &note.content_hash);
                // A file that matches its hash held a valid body when written.
                match text.map(NoteBody::parse) {
                    Ok(Ok(body)) => found.push(NoteWithBody { note, body }),
                    Ok(Err(_)) => damaged.push(DamagedNote {
                        note,
                        problem: FileDamage::Changed,
                    }),
                    Err(problem) => damaged.push(DamagedNote { note, problem }),
                }
            }
            Ok((found, damaged))
        })
        .await
    }
}

/// `base` for 1, `base-n` after.
pub(crate) fn numbered(base: &Slug, n: u32) -> Slug {
    if n == 1 {
        base.clone()
    } else {
        base.with_suffix(n)
    }
}

pub(crate) async fn slug_taken(
    conn: &mut SqliteConnection,
    slug: &Slug,
) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM notes WHERE slug = ?)")
            .bind(slug.as_str())
            .fetch_one(conn)
            .await?,
    )
}

pub(crate) async fn find_any(
    conn: &mut SqliteConnection,
    slug: &str,
) -> Result<Option<Note>, StoreError> {
    let row = sqlx::query_as::<_, NoteRow>(&format!("SELECT {COLUMNS} FROM notes WHERE slug = ?"))
        .bind(slug)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Note::from))
}

/// A note that is not deleted (drafts included), or `NotFound`.
pub(super) async fn find_live(conn: &mut SqliteConnection, slug: &str) -> Result<Note, StoreError> {
    match find_any(conn, slug).await? {
        Some(note) if note.deleted_at.is_none() => Ok(note),
        _ => Err(StoreError::NotFound(slug.to_owned())),
    }
}
