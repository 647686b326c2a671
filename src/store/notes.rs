//! Creating, changing and reading notes. The row and the file change
//! together or not at all.

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::FromRow;

use super::{NotesDir, Store, StoreError, blocking};
use crate::domain::{Note, NoteBody, NoteWithBody, Slug};

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
}

/// One page of the public list.
#[derive(Debug, Clone)]
pub struct NotePage {
    pub notes: Vec<NoteWithBody>,
    pub has_older: bool,
}

const COLUMNS: &str = "id, slug, file_path, published, created_at, updated_at, published_at, deleted_at, content_hash";

#[derive(FromRow)]
struct NoteRow {
    id: i64,
    slug: String,
    file_path: String,
    published: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    content_hash: String,
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
        }
    }
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
    /// Creates a note: picks a free slug (`slug`, `slug-2`, …), writes the
    /// file, then the row; if the row cannot be written the file is removed.
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

        // A concurrent writer may take the slug between the check and the
        // insert; the UNIQUE constraint catches that and we try the next.
        let mut attempt = 1;
        loop {
            let slug = self.free_slug(&base, created_at).await?;
            let file_path = NotesDir::relative_path_for(&slug, created_at);
            let files = self.files.clone();
            let (path, content) = (file_path.clone(), new.body.as_str().to_owned());
            blocking(move || files.write_atomic(&path, content.as_bytes())).await?;

            let inserted = sqlx::query_as::<_, NoteRow>(&format!(
                "INSERT INTO notes (slug, file_path, published, created_at, updated_at, published_at, content_hash)
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
            ))
            .bind(slug.as_str())
            .bind(&file_path)
            .bind(new.published)
            .bind(db_time(created_at))
            .bind(db_time(now))
            .bind(published_at.map(db_time))
            .bind(new.body.hash())
            .fetch_one(&self.pool)
            .await;

            match inserted {
                Ok(row) => return Ok(row.into()),
                Err(e) => {
                    let files = self.files.clone();
                    let path = file_path.clone();
                    if let Err(cleanup) = blocking(move || files.remove(&path)).await {
                        log::error!(
                            "could not remove {file_path} after a failed insert: {cleanup}"
                        );
                    }
                    if is_unique_violation(&e) && attempt < 50 {
                        attempt += 1;
                        continue;
                    }
                    return Err(e.into());
                }
            }
        }
    }

    /// The first of `base`, `base-2`, … that no note has and no file
    /// occupies (a stray file is never overwritten).
    async fn free_slug(&self, base: &Slug, created_at: DateTime<Utc>) -> Result<Slug, StoreError> {
        for n in 1..10_000u32 {
            let candidate = if n == 1 {
                base.clone()
            } else {
                base.with_suffix(n)
            };
            let taken: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM notes WHERE slug = ?)")
                    .bind(candidate.as_str())
                    .fetch_one(&self.pool)
                    .await?;
            let path = NotesDir::relative_path_for(&candidate, created_at);
            if taken || self.files.exists(&path)? {
                continue;
            }
            return Ok(candidate);
        }
        Err(StoreError::Invalid(format!("no free slug left for {base}")))
    }

    /// Replaces a note's text. The new file is written first; if the row
    /// cannot be updated the old text is written back, so a failure leaves
    /// the note as it was.
    pub async fn update_body(
        &self,
        slug: &str,
        body: NoteBody,
        now: DateTime<Utc>,
    ) -> Result<Note, StoreError> {
        let note = self.find_live(slug).await?;
        let files = self.files.clone();
        let path = note.file_path.clone();
        let new_text = body.as_str().to_owned();
        let old_text = blocking(move || {
            let old = files.read(&path)?;
            files.write_atomic(&path, new_text.as_bytes())?;
            Ok(old)
        })
        .await?;

        let updated = sqlx::query_as::<_, NoteRow>(&format!(
            "UPDATE notes SET content_hash = ?, updated_at = ? WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(body.hash())
        .bind(db_time(to_millis(now)))
        .bind(note.id)
        .fetch_one(&self.pool)
        .await;

        match updated {
            Ok(row) => Ok(row.into()),
            Err(e) => {
                let files = self.files.clone();
                let path = note.file_path.clone();
                if let Err(restore) =
                    blocking(move || files.write_atomic(&path, old_text.as_bytes())).await
                {
                    log::error!(
                        "could not restore {} after a failed update: {restore}",
                        note.file_path
                    );
                }
                Err(e.into())
            }
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
        let note = self.find_live(slug).await?;
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
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }

    /// Hides a note for good from every page and feed, keeping its file and
    /// row (and so its slug, which is never reused).
    pub async fn soft_delete(&self, slug: &str, now: DateTime<Utc>) -> Result<Note, StoreError> {
        let note = self.find_live(slug).await?;
        let row = sqlx::query_as::<_, NoteRow>(&format!(
            "UPDATE notes SET deleted_at = ?, updated_at = ? WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(db_time(to_millis(now)))
        .bind(db_time(to_millis(now)))
        .bind(note.id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }

    /// Removes a note's row and file. The file is first moved aside, so if
    /// the row cannot be deleted it is put back.
    pub async fn hard_delete(&self, slug: &str) -> Result<Note, StoreError> {
        let note = self
            .find(slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(slug.to_owned()))?;
        let aside = format!("{}.deleting", note.file_path);
        let files = self.files.clone();
        let (from, to) = (note.file_path.clone(), aside.clone());
        blocking(move || rename_if_present(&files, &from, &to)).await?;

        let deleted = sqlx::query("DELETE FROM notes WHERE id = ?")
            .bind(note.id)
            .execute(&self.pool)
            .await;
        let files = self.files.clone();
        match deleted {
            Ok(_) => {
                blocking(move || files.remove(&aside)).await?;
                Ok(note)
            }
            Err(e) => {
                let back = note.file_path.clone();
                if let Err(restore) =
                    blocking(move || rename_if_present(&files, &aside, &back)).await
                {
                    log::error!(
                        "could not restore {} after a failed delete: {restore}",
                        note.file_path
                    );
                }
                Err(e.into())
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

    /// A note that is not deleted (drafts included), or `NotFound`.
    async fn find_live(&self, slug: &str) -> Result<Note, StoreError> {
        match self.find(slug).await? {
            Some(note) if note.deleted_at.is_none() => Ok(note),
            _ => Err(StoreError::NotFound(slug.to_owned())),
        }
    }

    /// A note people may see, with its text; `None` for drafts, deleted and
    /// unknown slugs alike.
    pub async fn find_public(&self, slug: &str) -> Result<Option<NoteWithBody>, StoreError> {
        match self.find(slug).await? {
            Some(note) if note.is_public() => Ok(self.with_bodies(vec![note]).await?.pop()),
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
        let has_older = rows.len() > limit as usize;
        let notes: Vec<Note> = rows
            .into_iter()
            .take(limit as usize)
            .map(Note::from)
            .collect();
        Ok(NotePage {
            notes: self.with_bodies(notes).await?,
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

    /// The text of one note, as stored.
    pub async fn read_body(&self, note: &Note) -> Result<NoteBody, StoreError> {
        let files = self.files.clone();
        let path = note.file_path.clone();
        let text = blocking(move || files.read(&path)).await?;
        Ok(NoteBody::parse(text)?)
    }

    async fn with_bodies(&self, notes: Vec<Note>) -> Result<Vec<NoteWithBody>, StoreError> {
        let files = self.files.clone();
        blocking(move || {
            notes
                .into_iter()
                .map(|note| {
                    let body = NoteBody::parse(files.read(&note.file_path)?).map_err(|e| {
                        StoreError::Invalid(format!(
                            "note file {} is unusable: {e}",
                            note.file_path
                        ))
                    })?;
                    Ok(NoteWithBody { note, body })
                })
                .collect()
        })
        .await
    }

    /// Trivial query for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query_scalar::<_, i64>("SELECT revision FROM site_state WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }
}

fn rename_if_present(files: &NotesDir, from: &str, to: &str) -> Result<(), StoreError> {
    let (from, to) = (files.resolve(from)?, files.resolve(to)?);
    match std::fs::rename(&from, &to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("cannot rename", &from, e)),
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
