//! Webmentions received and waiting to be verified: a queue in SQLite, so
//! an accepted mention is verified even after a restart, bounded so that
//! no sender can fill the disk.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::store::notes::db_time;
use crate::store::{Store, StoreError};

/// A mention as the endpoint accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMention {
    pub source: String,
    pub target: String,
    pub note_id: i64,
    pub source_host: String,
}

/// What queueing a mention did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    /// It waits for verification (a repeated one waits once).
    Accepted,
    /// The queue holds as many as it may: try later.
    Full,
}

/// A mention waiting for verification.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct QueuedMention {
    pub id: i64,
    pub source: String,
    pub target: String,
    pub note_id: i64,
    pub source_host: String,
    pub generation: i64,
}

/// A mention received, and what its verification found, for the owner.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MentionOutcome {
    pub source: String,
    pub target: String,
    pub received_at: DateTime<Utc>,
    /// `None` while it waits.
    pub done_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub accepted: Option<bool>,
}

impl Store {
    /// Queues a mention for verification, unless `limit` mentions already
    /// wait; the same source and target again is queued once, anew.
    pub async fn queue_mention(
        &self,
        mention: &NewMention,
        limit: u32,
    ) -> Result<Queued, StoreError> {
        let mut tx = self.write_lock().await?;
        let waiting: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM webmention_inbox
                             WHERE source = ? AND target = ? AND state = 'queued')",
        )
        .bind(&mention.source)
        .bind(&mention.target)
        .fetch_one(&mut *tx)
        .await?;
        if !waiting {
            let queued: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM webmention_inbox WHERE state = 'queued'")
                    .fetch_one(&mut *tx)
                    .await?;
            if queued >= i64::from(limit) {
                // Ended now: a dropped transaction would keep the write
                // lock until its connection is next used.
                tx.rollback().await?;
                return Ok(Queued::Full);
            }
        }
        sqlx::query(
            "INSERT INTO webmention_inbox (source, target, note_id, source_host, received_at, state)
             VALUES (?, ?, ?, ?, ?, 'queued')
             ON CONFLICT (source, target) DO UPDATE SET
                 note_id = excluded.note_id, source_host = excluded.source_host,
                 received_at = excluded.received_at, state = 'queued',
                 generation = generation + 1, outcome = NULL, accepted = NULL, done_at = NULL",
        )
        .bind(&mention.source)
        .bind(&mention.target)
        .bind(mention.note_id)
        .bind(&mention.source_host)
        .bind(db_time(self.now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Queued::Accepted)
    }

    /// The mentions waiting, oldest first, at most `limit`.
    pub async fn queued_mentions(&self, limit: u32) -> Result<Vec<QueuedMention>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, source, target, note_id, source_host, generation FROM webmention_inbox
              WHERE state = 'queued' ORDER BY received_at, id LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records what verifying a mention found, unless it was queued again
    /// meanwhile (then it is verified again).
    pub async fn finish_mention(
        &self,
        mention: &QueuedMention,
        outcome: &str,
        accepted: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webmention_inbox SET state = 'done', outcome = ?, accepted = ?, done_at = ?
              WHERE id = ? AND generation = ?",
        )
        .bind(outcome)
        .bind(accepted)
        .bind(db_time(self.now()))
        .bind(mention.id)
        .bind(mention.generation)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The mentions received last, newest first, waiting or verified.
    pub async fn recent_mentions(&self, limit: u32) -> Result<Vec<MentionOutcome>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT source, target, received_at, done_at, outcome, accepted FROM webmention_inbox
              ORDER BY received_at DESC, id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Forgets the outcomes of mentions verified before `before`.
    pub async fn forget_mention_outcomes(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM webmention_inbox WHERE state = 'done' AND done_at < ?")
                .bind(db_time(before))
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}
