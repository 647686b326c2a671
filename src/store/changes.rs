//! The log of note changes (`note_changes`, written by triggers) and each
//! consumer's place in it: the work that follows a change (Webmentions,
//! fediverse deliveries) reads it, acts, then moves its cursor, so nothing
//! is missed when a process stops in between, and nothing is done twice
//! once the cursor has moved.

use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// One change of a note: which note, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteChange {
    /// Its place in the log.
    pub id: i64,
    pub note_id: i64,
    /// The slug the note had (kept for a note removed for good).
    pub slug: String,
    pub at: DateTime<Utc>,
}

impl Store {
    /// The changes after `consumer`'s place, oldest first, at most `limit`.
    pub async fn changes_for(
        &self,
        consumer: &str,
        limit: u32,
    ) -> Result<Vec<NoteChange>, StoreError> {
        let rows = sqlx::query_as::<_, (i64, i64, String, DateTime<Utc>)>(
            "SELECT id, note_id, slug, at FROM note_changes
              WHERE id > COALESCE((SELECT last_id FROM change_cursors WHERE consumer = ?), 0)
              ORDER BY id LIMIT ?",
        )
        .bind(consumer)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, note_id, slug, at)| NoteChange {
                id,
                note_id,
                slug,
                at,
            })
            .collect())
    }

    /// Records that `consumer` has acted on every change up to `last_id`.
    pub async fn advance_cursor(&self, consumer: &str, last_id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO change_cursors (consumer, last_id) VALUES (?, ?)
             ON CONFLICT (consumer) DO UPDATE SET last_id = MAX(last_id, excluded.last_id)",
        )
        .bind(consumer)
        .bind(last_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Starts `consumer` at the end of the log, if it has no place yet: a
    /// consumer added to a site with history acts only on changes from now
    /// on (a site that turns federation on does not deliver every old
    /// note).
    pub async fn start_cursor_at_end(&self, consumer: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR IGNORE INTO change_cursors (consumer, last_id)
             SELECT ?, COALESCE(MAX(id), 0) FROM note_changes",
        )
        .bind(consumer)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets the changes every consumer in `consumers` has acted on.
    pub async fn forget_consumed_changes(&self, consumers: &[&str]) -> Result<u64, StoreError> {
        let mut lowest: Option<i64> = None;
        for consumer in consumers {
            let last: Option<i64> =
                sqlx::query_scalar("SELECT last_id FROM change_cursors WHERE consumer = ?")
                    .bind(consumer)
                    .fetch_optional(&self.pool)
                    .await?;
            // A consumer that has not started yet needs everything.
            let Some(last) = last else { return Ok(0) };
            lowest = Some(lowest.map_or(last, |low| low.min(last)));
        }
        let Some(lowest) = lowest else { return Ok(0) };
        Ok(sqlx::query("DELETE FROM note_changes WHERE id <= ?")
            .bind(lowest)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
