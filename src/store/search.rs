//! Full-text search (SQLite FTS5). The note service keeps the index in step
//! inside each write's transaction, so every writer, in any process,
//! updates it; `starpunk check` compares it with the notes and
//! [`Store::rebuild_search_index`] makes it again.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::NoteFilter;
use super::notes::{COLUMNS, NoteRow};
use super::{Store, StoreError};
use crate::domain::{Note, NoteBody, NoteProperties, NoteWithBody, SearchQuery, Tag, note_text};

/// Notes found, best match first.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub notes: Vec<NoteWithBody>,
    pub has_more: bool,
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

/// Matches ranked by relevance: the newest this many matching notes;
/// older matches follow, newest first. Ranking costs time for every note
/// it ranks (a word found in a fifth of 100 000 notes would take tens of
/// milliseconds); within the newest matches it stays within a few. The
/// window is the same for every page, so pages never overlap.
const RANKED_WINDOW: i64 = 200;

impl Store {
    /// Published notes matching every word of `query`: the newest matches
    /// (see [`RANKED_WINDOW`]) best first, then older ones, newest first.
    pub async fn search(
        &self,
        query: &SearchQuery,
        offset: u64,
        limit: u32,
    ) -> Result<SearchPage, StoreError> {
        self.search_ranking_newest(query, offset, limit, RANKED_WINDOW)
            .await
    }

    /// The owner's search: notes in `filter` (drafts, scheduled, unlisted
    /// ones too) matching `query`, ranked as [`Store::search`] ranks.
    pub async fn owner_search(
        &self,
        filter: NoteFilter,
        query: &SearchQuery,
        offset: u64,
        limit: u32,
    ) -> Result<SearchPage, StoreError> {
        self.search_in(filter, query, offset, limit, RANKED_WINDOW)
            .await
    }

    /// [`Store::search`] with another window, so tests can cross it
    /// without writing hundreds of notes.
    #[doc(hidden)]
    pub async fn search_ranking_newest(
        &self,
        query: &SearchQuery,
        offset: u64,
        limit: u32,
        window: i64,
    ) -> Result<SearchPage, StoreError> {
        self.search_in(NoteFilter::Published, query, offset, limit, window)
            .await
    }

    async fn search_in(
        &self,
        filter: NoteFilter,
        query: &SearchQuery,
        offset: u64,
        limit: u32,
        window: i64,
    ) -> Result<SearchPage, StoreError> {
        let condition = filter.condition();
        let now = filter.compares_with_now().then(|| self.listed_at());
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let wanted = i64::from(limit) + 1;
        let mut conn = self.pool.acquire().await?;
        // The id of the window's oldest match: FTS5 walks ids cheaply.
        let floor: i64 = sqlx::query_scalar(
            "SELECT rowid FROM notes_search WHERE notes_search MATCH ?
              ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        )
        .bind(query.fts())
        .bind(window.max(1) - 1)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(i64::MIN);
        let ranked_sql = format!(
            "SELECT notes.id FROM notes JOIN (
                    SELECT rowid AS hit_id, rank AS hit_rank FROM notes_search
                     WHERE notes_search MATCH ? AND rowid >= ?) ON hit_id = notes.id
              WHERE {condition}
              ORDER BY hit_rank, notes.id DESC"
        );
        let mut ranked = sqlx::query_scalar(&ranked_sql)
            .bind(query.fts())
            .bind(floor);
        if let Some(now) = &now {
            ranked = ranked.bind(now);
        }
        let ranked: Vec<i64> = ranked.fetch_all(&mut *conn).await?;
        let from_ranked = usize::try_from(offset).unwrap_or(usize::MAX);
        let mut ids: Vec<i64> = ranked
            .iter()
            .skip(from_ranked)
            .take(wanted as usize)
            .copied()
            .collect();
        let missing = wanted - ids.len() as i64;
        if missing > 0 && floor != i64::MIN {
            let older_offset = (offset - ranked.len() as i64).max(0);
            let older_sql = format!(
                "SELECT notes.id FROM notes JOIN (
                        SELECT rowid AS hit_id FROM notes_search
                         WHERE notes_search MATCH ? AND rowid < ?) ON hit_id = notes.id
                  WHERE {condition}
                  ORDER BY notes.id DESC LIMIT ? OFFSET ?"
            );
            let mut older = sqlx::query_scalar(&older_sql).bind(query.fts()).bind(floor);
            if let Some(now) = &now {
                older = older.bind(now);
            }
            let older: Vec<i64> = older
                .bind(missing)
                .bind(older_offset)
                .fetch_all(&mut *conn)
                .await?;
            ids.extend(older);
        }
        let has_more = ids.len() > limit as usize;
        ids.truncate(limit as usize);
        if ids.is_empty() {
            return Ok(SearchPage {
                notes: Vec::new(),
                has_more,
            });
        }
        // Ids come from the database, so they can be listed in the SQL.
        let id_list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = sqlx::query_as::<_, NoteRow>(&format!(
            "SELECT {COLUMNS} FROM notes WHERE id IN ({id_list})"
        ))
        .fetch_all(&mut *conn)
        .await?;
        let mut by_id: HashMap<i64, Note> = rows
            .into_iter()
            .map(|row| {
                let note = Note::from(row);
                (note.id, note)
            })
            .collect();
        let notes: Vec<Note> = ids.iter().filter_map(|id| by_id.remove(id)).collect();
        drop(conn);
        // A damaged note is left out of the results, as out of every list.
        let (notes, _damaged) = self.with_bodies(notes).await?;
        Ok(SearchPage { notes, has_more })
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
        optimize(&mut tx).await?;
        tx.commit().await?;
        Ok(indexed)
    }

    /// Rebuilds the index if it is not in step with the notes, entry by
    /// entry (`starpunk check --repair`).
    pub async fn ensure_search_index(&self) -> Result<Option<usize>, StoreError> {
        if self.search_index_state().await?.in_step() {
            return Ok(None);
        }
        self.rebuild_search_index().await.map(Some)
    }

    /// Builds the index if it holds fewer or more entries than there are
    /// notes: what an upgrade that added it, or a database from before it,
    /// looks like. Counting reads no note text, so every server start can
    /// afford it on a large site; comparing each entry is `starpunk check`'s.
    pub async fn build_search_index_if_missing(&self) -> Result<Option<usize>, StoreError> {
        // `notes_search_docsize` is FTS5's table of one row per entry.
        let complete: bool = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM notes) = (SELECT COUNT(*) FROM notes_search_docsize)",
        )
        .fetch_one(&self.pool)
        .await?;
        if complete {
            return Ok(None);
        }
        self.rebuild_search_index().await.map(Some)
    }

    /// Merges the index into one segment. Writing entries one transaction
    /// at a time leaves many small segments, which every search then reads;
    /// after a bulk write (an import, a rebuild) one merge makes searches
    /// faster for good.
    pub async fn optimize_search_index(&self) -> Result<(), StoreError> {
        let mut tx = self.write_lock().await?;
        optimize(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn optimize(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO notes_search (notes_search) VALUES ('optimize')")
        .execute(conn)
        .await?;
    Ok(())
}

/// Indexes (or re-indexes) one note, inside the writer's transaction.
pub(super) async fn index_note(
    conn: &mut SqliteConnection,
    note: &Note,
    body: &NoteBody,
) -> Result<(), StoreError> {
    index_parts(conn, note.id, body, &note.properties, &note.tags).await
}

pub(super) async fn index_parts(
    conn: &mut SqliteConnection,
    note_id: i64,
    body: &NoteBody,
    properties: &NoteProperties,
    tags: &[Tag],
) -> Result<(), StoreError> {
    let entry = IndexEntry {
        id: note_id,
        body,
        properties,
        tags,
    };
    index_many(conn, &[entry]).await
}

/// What a note's search entry is made of.
pub(super) struct IndexEntry<'a> {
    pub id: i64,
    pub body: &'a NoteBody,
    pub properties: &'a NoteProperties,
    pub tags: &'a [Tag],
}

/// Indexes (or re-indexes) notes with one statement, inside the writer's
/// transaction (an import writes hundreds at once).
pub(super) async fn index_many(
    conn: &mut SqliteConnection,
    entries: &[IndexEntry<'_>],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut query: QueryBuilder<Sqlite> =
        QueryBuilder::new("INSERT OR REPLACE INTO notes_search (rowid, body, tags, indexed_hash) ");
    query.push_values(entries, |mut values, entry| {
        values
            .push_bind(entry.id)
            .push_bind(note_text(entry.body.as_str(), entry.properties))
            .push_bind(tag_text(entry.tags))
            .push_bind(entry.body.hash());
    });
    query.build().execute(conn).await?;
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
