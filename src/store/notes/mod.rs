//! The note service: creating ([`create`]), changing ([`change`]),
//! removing ([`delete`]), releasing scheduled ones ([`schedule`]) and
//! reading notes. Every writer (the CLI, import,
//! the admin, Micropub) goes through it, and each change is one
//! transaction that holds the database's write lock while it touches a
//! note's file, so the row and the file change together or not at all, and
//! concurrent writers never overwrite each other's files.

mod change;
mod create;
mod delete;
mod insert;
mod schedule;

pub use create::{ImportOutcome, ImportRun};
pub(super) use insert::{ROWS_PER_STATEMENT, missing};

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::{FromRow, SqliteConnection};

use super::files::FileDamage;
use super::{Store, StoreError, blocking};
use crate::domain::{Note, NoteBody, NoteProperties, NoteWithBody, Slug, Tag, Visibility};

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

pub(super) const COLUMNS: &str = "id, slug, file_path, published, created_at, updated_at, published_at, deleted_at, content_hash, properties, visibility, \
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
    visibility: String,
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
            // The CHECK constraint keeps it to the two names.
            visibility: Visibility::parse(&row.visibility).unwrap_or_default(),
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

/// The notes lists show (the home page, feeds, tags, search, the
/// sitemap): published, not deleted, public, and published by the time
/// bound to its one parameter (see [`Store::listed_at`]).
pub(super) const LISTED: &str = "published = 1 AND deleted_at IS NULL AND visibility = 'public' \
     AND published_at <= ?";

impl Store {
    /// The time [`LISTED`] compares publication dates with: now.
    pub(super) fn listed_at(&self) -> String {
        db_time(self.now())
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
    /// Any note with this slug, whatever its state.
    pub async fn find(&self, slug: &str) -> Result<Option<Note>, StoreError> {
        let row =
            sqlx::query_as::<_, NoteRow>(&format!("SELECT {COLUMNS} FROM notes WHERE slug = ?"))
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Note::from))
    }

    /// A note people may see at its permalink (listed or not), with its
    /// text; `None` for drafts, scheduled, deleted and unknown slugs alike,
    /// [`StoreError::Damaged`] when its file is.
    pub async fn find_public(&self, slug: &str) -> Result<Option<NoteWithBody>, StoreError> {
        match self.find(slug).await? {
            Some(note) if note.is_shown_at(self.now()) => {
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
            "SELECT {COLUMNS} FROM notes WHERE {LISTED}
             ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?"
        ))
        .bind(self.listed_at())
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
    pub async fn with_bodies(
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
