//! Full-text search (SQLite FTS5). The note service keeps the index in step
//! inside each write's transaction, so every writer, in any process,
//! updates it; `starpunk check` compares it with the notes and
//! [`Store::rebuild_search_index`] makes it again.

use sqlx::SqliteConnection;

use super::notes::{COLUMNS, NoteRow};
use super::{Store, StoreError};
use crate::domain::{Note, NoteBody, NoteWithBody, SearchQuery, Tag, plain_text};

/// Marks the start and end of a matched word in a snippet. Private-use
/// characters, which a note cannot contain by accident; the page escapes
/// the snippet's text, then turns them into `<mark>` elements.
pub const MATCH_START: char = '\u{E000}';
pub const MATCH_END: char = '\u{E001}';

/// Words of context in a snippet.
const SNIPPET_TOKENS: i64 = 24;

/// Notes found, best match first.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    pub has_more: bool,
}

#[derive(Debug, Clone)]
pub struct SearchHit {
    pub note: NoteWithBody,
    /// Plain text around the matches, with [`MATCH_START`] and
    /// [`MATCH_END`] around each matched word.
    pub snippet: String,
}

/// How the index compares with the notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexState {
    /// Notes with no entry, or an entry for another version of the text.
    pub stale: Vec<String>,
    /// Entries for notes that no longer exist.
    pub orphans: i64,
}

impl IndexState {
    pub fn in_step(&self) -> bool {
        self.stale.is_empty() && self.orphans == 0
    }
}

#[derive(sqlx::FromRow)]
struct HitRow {
    #[sqlx(flatten)]
    note: NoteRow,
    snippet: String,
}

impl Store {
    /// Published notes matching every word of `query`, best first.
    pub async fn search(
        &self,
        query: &SearchQuery,
        offset: u64,
        limit: u32,
    ) -> Result<SearchPage, StoreError> {
        let rows = sqlx::query_as::<_, HitRow>(&format!(
            "SELECT {COLUMNS}, snippet(notes_search, 0, ?, ?, '…', ?) AS snippet
               FROM notes_search JOIN notes ON notes.id = notes_search.rowid
              WHERE notes_search MATCH ? AND notes.published = 1 AND notes.deleted_at IS NULL
              ORDER BY notes_search.rank, notes.id DESC LIMIT ? OFFSET ?"
        ))
        .bind(MATCH_START.to_string())
        .bind(MATCH_END.to_string())
        .bind(SNIPPET_TOKENS)
        .bind(query.fts())
        .bind(i64::from(limit) + 1)
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        let has_more = rows.len() > limit as usize;
        let mut snippets = std::collections::HashMap::new();
        let notes: Vec<Note> = rows
            .into_iter()
            .take(limit as usize)
            .map(|row| {
                let note = Note::from(row.note);
                snippets.insert(note.id, row.snippet);
                note
            })
            .collect();
        // A damaged note is left out of the results, as out of every list.
        let (found, _damaged) = self.with_bodies(notes).await?;
        let hits = found
            .into_iter()
            .map(|note| SearchHit {
                snippet: snippets.remove(&note.note.id).unwrap_or_default(),
                note,
            })
            .collect();
        Ok(SearchPage { hits, has_more })
    }

    /// Compares the index with the notes (ids and text versions).
    pub async fn search_index_state(&self) -> Result<IndexState, StoreError> {
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT n.slug FROM notes n LEFT JOIN notes_search s ON s.rowid = n.id
              WHERE s.rowid IS NULL OR s.indexed_hash IS NOT n.content_hash
              ORDER BY n.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let orphans: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notes_search WHERE rowid NOT IN (SELECT id FROM notes)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(IndexState { stale, orphans })
    }

    /// Indexes every note again from its file; notes whose file is damaged
    /// are left out (and reported by `starpunk check`). Returns how many
    /// notes were indexed.
    pub async fn rebuild_search_index(&self) -> Result<usize, StoreError> {
        let mut tx = self.write_lock().await?;
        sqlx::query("DELETE FROM notes_search")
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query_as::<_, NoteRow>(&format!("SELECT {COLUMNS} FROM notes"))
            .fetch_all(&mut *tx)
            .await?;
        let notes: Vec<Note> = rows.into_iter().map(Note::from).collect();
        let mut indexed = 0;
        for chunk in notes.chunks(500) {
            let (found, _damaged) = self.with_bodies(chunk.to_vec()).await?;
            for note in &found {
                index_note(&mut tx, &note.note, &note.body).await?;
            }
            indexed += found.len();
        }
        tx.commit().await?;
        Ok(indexed)
    }

    /// Rebuilds the index if it is not in step with the notes (after an
    /// upgrade that added it, or a database edited by hand).
    pub async fn ensure_search_index(&self) -> Result<Option<usize>, StoreError> {
        if self.search_index_state().await?.in_step() {
            return Ok(None);
        }
        self.rebuild_search_index().await.map(Some)
    }
}

/// Indexes (or re-indexes) one note, inside the writer's transaction.
pub(super) async fn index_note(
    conn: &mut SqliteConnection,
    note: &Note,
    body: &NoteBody,
) -> Result<(), StoreError> {
    index_parts(conn, note.id, body, &note.tags).await
}

pub(super) async fn index_parts(
    conn: &mut SqliteConnection,
    note_id: i64,
    body: &NoteBody,
    tags: &[Tag],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT OR REPLACE INTO notes_search (rowid, body, tags, indexed_hash) VALUES (?, ?, ?, ?)",
    )
    .bind(note_id)
    .bind(plain_text(body.as_str()))
    .bind(tag_text(tags))
    .bind(body.hash())
    .execute(conn)
    .await?;
    Ok(())
}

/// Updates the tag names of an indexed note.
pub(super) async fn reindex_tags(
    conn: &mut SqliteConnection,
    note_id: i64,
    tags: &[Tag],
) -> Result<(), StoreError> {
    sqlx::query("UPDATE notes_search SET tags = ? WHERE rowid = ?")
        .bind(tag_text(tags))
        .bind(note_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) async fn unindex(conn: &mut SqliteConnection, note_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM notes_search WHERE rowid = ?")
        .bind(note_id)
        .execute(conn)
        .await?;
    Ok(())
}

fn tag_text(tags: &[Tag]) -> String {
    tags.iter().map(Tag::name).collect::<Vec<_>>().join(" ")
}
