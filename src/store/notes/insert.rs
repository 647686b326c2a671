//! Writing new notes' rows: the note, its tags, its media links and its
//! search entry, for one note or a whole import batch, inside the caller's
//! transaction. Each kind of row is written with one statement per
//! [`ROWS_PER_STATEMENT`] notes: every statement is a round trip to the
//! connection's thread, and an import of 100 000 notes one row at a time
//! spent most of its time in those trips.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::super::StoreError;
use super::super::media_refs::link_media;
use super::super::search::{IndexEntry, index_many};
use super::super::tags::link_tags;
use super::{db_time, to_millis};
use crate::domain::{NewNote, Note, Slug, Tag};

/// Rows per statement: nine values each stays far below SQLite's limit on
/// bound values (32 766).
pub(in crate::store) const ROWS_PER_STATEMENT: usize = 200;

/// A new note with its slug, dates and file decided, ready for its rows.
pub(super) struct NewRow<'a> {
    pub slug: &'a Slug,
    pub file_path: &'a str,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub note: &'a NewNote,
}

/// Writes every row of `rows` (new notes, whose slugs and files are free);
/// returns the notes in the same order.
pub(super) async fn insert_notes(
    tx: &mut SqliteConnection,
    rows: &[NewRow<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<Note>, StoreError> {
    let mut notes = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let ids = insert_note_rows(tx, chunk, now).await?;
        let start = notes.len();
        for (row, id) in chunk.iter().zip(ids) {
            notes.push(Note {
                id,
                slug: row.slug.clone(),
                file_path: row.file_path.to_owned(),
                published: row.note.published,
                created_at: row.created_at,
                updated_at: row.note.updated_at.map_or(now, to_millis),
                published_at: row.published_at,
                deleted_at: row.note.deleted_at.map(to_millis),
                content_hash: row.note.body.hash().to_owned(),
                tags: row.note.tags.clone(),
                properties: row.note.properties.clone(),
                visibility: row.note.visibility,
            });
        }
        let written = &notes[start..];
        let tagged: Vec<(i64, &[Tag])> = written.iter().map(|n| (n.id, &n.tags[..])).collect();
        link_tags(tx, &tagged).await?;
        let entries: Vec<IndexEntry> = written
            .iter()
            .zip(chunk)
            .map(|(note, row)| IndexEntry {
                id: note.id,
                body: &row.note.body,
                properties: &row.note.properties,
                tags: &note.tags,
            })
            .collect();
        index_many(tx, &entries).await?;
        for (note, row) in written.iter().zip(chunk) {
            link_media(
                &mut *tx,
                note.id,
                &row.note.properties,
                row.note.body.as_str(),
            )
            .await?;
        }
    }
    Ok(notes)
}

/// The notes' rows; their ids in the same order.
async fn insert_note_rows(
    tx: &mut SqliteConnection,
    rows: &[NewRow<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
        "INSERT INTO notes (slug, file_path, published, created_at, updated_at, published_at,
                            deleted_at, content_hash, properties, visibility) ",
    );
    query.push_values(rows, |mut values, row| {
        let new = row.note;
        values
            .push_bind(row.slug.as_str())
            .push_bind(row.file_path)
            .push_bind(new.published)
            .push_bind(db_time(row.created_at))
            .push_bind(db_time(new.updated_at.map_or(now, to_millis)))
            .push_bind(row.published_at.map(db_time))
            .push_bind(new.deleted_at.map(to_millis).map(db_time))
            .push_bind(new.body.hash())
            .push_bind(new.properties.to_json())
            .push_bind(new.visibility.as_str());
    });
    // RETURNING lists rows in no set order: each id is matched by its slug.
    query.push(" RETURNING slug, id");
    let returned: HashMap<String, i64> = query
        .build_query_as::<(String, i64)>()
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    rows.iter()
        .map(|row| {
            returned
                .get(row.slug.as_str())
                .copied()
                .ok_or_else(|| missing("note", row.slug.as_str()))
        })
        .collect()
}

/// A row SQLite wrote but whose id it did not return: cannot happen, and
/// fails the transaction if it ever does.
pub(in crate::store) fn missing(what: &str, key: &str) -> StoreError {
    StoreError::from(sqlx::Error::Protocol(format!(
        "no id returned for the new {what} {key:?}"
    )))
}
