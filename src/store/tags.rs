//! Tags: writing a note's tags (for the note service, inside its
//! transaction) and the public views by tag.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::notes::{COLUMNS, LISTED, NotePage, NoteRow, ROWS_PER_STATEMENT, missing};
use super::{Store, StoreError};
use crate::domain::Tag;

/// A tag with how many listed notes carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub tag: Tag,
    pub notes: i64,
}

impl Store {
    /// Every tag on at least one listed note, by name, with its count.
    pub async fn tag_counts(&self) -> Result<Vec<TagCount>, StoreError> {
        let rows = sqlx::query_as::<_, (String, String, i64)>(&format!(
            "SELECT t.key, t.name, COUNT(*) FROM tags t
               JOIN note_tags nt ON nt.tag_id = t.id
               JOIN notes n ON n.id = nt.note_id
              WHERE {LISTED}
              GROUP BY t.id
              ORDER BY t.name COLLATE NOCASE, t.key"
        ))
        .bind(self.listed_at())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, name, notes)| TagCount {
                tag: Tag::from_stored(key, name),
                notes,
            })
            .collect())
    }

    /// Every tag on a published note (URL form, by name order) with the
    /// latest change among those notes: for the sitemap.
    pub async fn tag_last_changes(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        Ok(sqlx::query_as::<_, (String, DateTime<Utc>)>(&format!(
            "SELECT t.key, MAX(n.updated_at) FROM tags t
               JOIN note_tags nt ON nt.tag_id = t.id
               JOIN notes n ON n.id = nt.note_id
              WHERE {LISTED}
              GROUP BY t.id
              ORDER BY t.key"
        ))
        .bind(self.listed_at())
        .fetch_all(&self.pool)
        .await?)
    }

    /// The tag with this URL form, if a listed note carries it (a tag used
    /// only on drafts, unlisted or scheduled notes is not shown to anyone).
    pub async fn find_public_tag(&self, key: &str) -> Result<Option<Tag>, StoreError> {
        let row = sqlx::query_as::<_, (String, String)>(&format!(
            "SELECT t.key, t.name FROM tags t
              WHERE t.key = ? AND EXISTS (
                    SELECT 1 FROM note_tags nt JOIN notes n ON n.id = nt.note_id
                     WHERE nt.tag_id = t.id AND {LISTED})"
        ))
        .bind(key)
        .bind(self.listed_at())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(key, name)| Tag::from_stored(key, name)))
    }

    /// Published notes with this tag, newest first, like the home page.
    pub async fn tag_page(
        &self,
        key: &str,
        offset: u64,
        limit: u32,
    ) -> Result<NotePage, StoreError> {
        let rows = sqlx::query_as::<_, NoteRow>(&format!(
            "SELECT {COLUMNS} FROM notes
              WHERE {LISTED}
                AND id IN (SELECT nt.note_id FROM note_tags nt JOIN tags t ON t.id = nt.tag_id
                            WHERE t.key = ?)
              ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?"
        ))
        .bind(self.listed_at())
        .bind(key)
        .bind(i64::from(limit) + 1)
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        self.page_of(rows, limit).await
    }
}

/// Writes a note's tags in order, inside the caller's transaction. A tag
/// keeps the name it was first written with; tags no note uses any more
/// are removed.
pub(super) async fn write_tags(
    conn: &mut SqliteConnection,
    note_id: i64,
    tags: &[Tag],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM note_tags WHERE note_id = ?")
        .bind(note_id)
        .execute(&mut *conn)
        .await?;
    link_tags(conn, &[(note_id, tags)]).await?;
    forget_unused_tags(conn).await
}

/// Links notes that have no tags yet to theirs, in order, each tag made
/// if it is new (it keeps the name it was first written with), with one
/// statement per kind of row for up to [`ROWS_PER_STATEMENT`] rows.
pub(super) async fn link_tags(
    tx: &mut SqliteConnection,
    notes: &[(i64, &[Tag])],
) -> Result<(), StoreError> {
    let mut distinct: Vec<&Tag> = Vec::new();
    for tag in notes.iter().flat_map(|(_, tags)| tags.iter()) {
        if !distinct.iter().any(|seen| seen.key() == tag.key()) {
            distinct.push(tag);
        }
    }
    if distinct.is_empty() {
        return Ok(());
    }
    let mut ids: HashMap<String, i64> = HashMap::new();
    for chunk in distinct.chunks(ROWS_PER_STATEMENT) {
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new("INSERT INTO tags (key, name) ");
        query.push_values(chunk, |mut values, tag| {
            values.push_bind(tag.key()).push_bind(tag.name());
        });
        // A tag that exists keeps its name; RETURNING gives its id all the same.
        query.push(" ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING key, id");
        ids.extend(
            query
                .build_query_as::<(String, i64)>()
                .fetch_all(&mut *tx)
                .await?,
        );
    }
    let mut links: Vec<(i64, i64, i64)> = Vec::new();
    for (note, tags) in notes {
        for (position, tag) in tags.iter().enumerate() {
            let id = ids.get(tag.key()).copied();
            let id = id.ok_or_else(|| missing("tag", tag.key()))?;
            links.push((*note, id, i64::try_from(position).unwrap_or(i64::MAX)));
        }
    }
    for chunk in links.chunks(ROWS_PER_STATEMENT) {
        let mut query: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO note_tags (note_id, tag_id, position) ");
        query.push_values(chunk, |mut values, (note, tag, position)| {
            values.push_bind(note).push_bind(tag).push_bind(position);
        });
        query.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Removes tags that no note carries.
pub(super) async fn forget_unused_tags(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM note_tags)")
        .execute(conn)
        .await?;
    Ok(())
}
