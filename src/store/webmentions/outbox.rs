//! Webmentions to send: one row per note and page it links to (or linked
//! to), planned from the note as it is now and delivered from the queue
//! in the background, with the last result kept for the owner.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::store::notes::db_time;
use crate::store::{Store, StoreError};

/// A page a note links to, as planning sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTarget {
    pub url: String,
    /// What the note replies to, likes, reposts or bookmarks.
    pub context: bool,
}

/// Where sending to one target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendState {
    /// Waiting to be sent.
    Queued,
    /// The endpoint accepted it (2xx).
    Sent,
    /// It failed in a way that may pass (a timeout, a 5xx): tried again.
    Retrying,
    /// It failed for good (a 4xx, an address refused, too many tries).
    Failed,
    /// The page names no Webmention endpoint: nothing to send to.
    NoEndpoint,
}

impl SendState {
    pub fn as_str(self) -> &'static str {
        match self {
            SendState::Queued => "queued",
            SendState::Sent => "sent",
            SendState::Retrying => "retrying",
            SendState::Failed => "failed",
            SendState::NoEndpoint => "no_endpoint",
        }
    }

    fn parse(text: &str) -> SendState {
        match text {
            "sent" => SendState::Sent,
            "retrying" => SendState::Retrying,
            "failed" => SendState::Failed,
            "no_endpoint" => SendState::NoEndpoint,
            _ => SendState::Queued,
        }
    }
}

/// A Webmention due to be sent.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OutgoingMention {
    pub id: i64,
    pub note_id: i64,
    pub source: String,
    pub target: String,
    pub context: bool,
    pub generation: i64,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    pub state: SendState,
    /// The HTTP status that decided it, if one did.
    pub status: Option<u16>,
    /// In words for the owner.
    pub result: String,
    pub endpoint: Option<String>,
    /// When to try again ([`SendState::Retrying`] only).
    pub retry_at: Option<DateTime<Utc>>,
}

/// Sending to one target, as the admin shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentWebmention {
    pub note_id: i64,
    pub target: String,
    pub state: SendState,
    pub status: Option<u16>,
    pub result: Option<String>,
    pub endpoint: Option<String>,
    pub attempts: i64,
    /// Whether the note links to it now (else it was told the link went).
    pub linked: bool,
    pub updated_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(FromRow)]
struct SentRow {
    note_id: i64,
    target: String,
    state: String,
    last_status: Option<i64>,
    last_result: Option<String>,
    endpoint: Option<String>,
    attempts: i64,
    linked: bool,
    updated_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
}

impl From<SentRow> for SentWebmention {
    fn from(row: SentRow) -> SentWebmention {
        SentWebmention {
            note_id: row.note_id,
            target: row.target,
            state: SendState::parse(&row.state),
            status: row.last_status.and_then(|s| u16::try_from(s).ok()),
            result: row.last_result,
            endpoint: row.endpoint,
            attempts: row.attempts,
            linked: row.linked,
            updated_at: row.updated_at,
            due_at: row.due_at,
        }
    }
}

const SENT_COLUMNS: &str = "note_id, target, state, last_status, last_result, endpoint, attempts, linked, updated_at, due_at";

impl Store {
    /// Plans the Webmentions for one version of a note (`fingerprint`):
    /// each of `targets` is queued, and so is each page the previous
    /// version linked to and this one does not (so it sees the link gone).
    /// Nothing is queued when the version was planned already. Returns how
    /// many were queued.
    pub async fn plan_webmentions(
        &self,
        note_id: i64,
        source: &str,
        fingerprint: &str,
        targets: &[PlannedTarget],
    ) -> Result<usize, StoreError> {
        // Most changes write nothing: a version already planned, or a note
        // that links to nothing and never did. The write lock is taken only
        // when there is something to queue.
        let planned: Option<String> =
            sqlx::query_scalar("SELECT fingerprint FROM webmention_notes WHERE note_id = ?")
                .bind(note_id)
                .fetch_optional(&self.pool)
                .await?;
        if planned.as_deref() == Some(fingerprint) {
            return Ok(0);
        }
        let ever_linked: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM webmention_outbox WHERE note_id = ? AND linked = 1)",
        )
        .bind(note_id)
        .fetch_one(&self.pool)
        .await?;
        if targets.is_empty() && !ever_linked {
            return Ok(0);
        }
        let now = db_time(self.now());
        let mut tx = self.write_lock().await?;
        let linked: Vec<String> = sqlx::query_scalar(
            "SELECT target FROM webmention_outbox WHERE note_id = ? AND linked = 1",
        )
        .bind(note_id)
        .fetch_all(&mut *tx)
        .await?;
        let wanted: HashSet<&str> = targets.iter().map(|t| t.url.as_str()).collect();
        for target in targets {
            sqlx::query(
                "INSERT INTO webmention_outbox (note_id, source, target, linked, context, due_at,
                                                state, updated_at)
                 VALUES (?, ?, ?, 1, ?, ?, 'queued', ?)
                 ON CONFLICT (note_id, target) DO UPDATE SET
                     source = excluded.source, linked = 1, context = excluded.context,
                     due_at = excluded.due_at, generation = generation + 1, attempts = 0,
                     state = 'queued', updated_at = excluded.updated_at",
            )
            .bind(note_id)
            .bind(source)
            .bind(&target.url)
            .bind(target.context)
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        let gone: Vec<&String> = linked
            .iter()
            .filter(|t| !wanted.contains(t.as_str()))
            .collect();
        for target in &gone {
            sqlx::query(
                "UPDATE webmention_outbox SET source = ?, linked = 0, context = 0, due_at = ?,
                        generation = generation + 1, attempts = 0, state = 'queued', updated_at = ?
                  WHERE note_id = ? AND target = ?",
            )
            .bind(source)
            .bind(&now)
            .bind(&now)
            .bind(note_id)
            .bind(target.as_str())
            .execute(&mut *tx)
            .await?;
        }
        remember_plan(&mut tx, note_id, fingerprint).await?;
        tx.commit().await?;
        Ok(targets.len() + gone.len())
    }

    /// The Webmentions due now, the longest waiting first, at most `limit`.
    pub async fn due_webmentions(&self, limit: u32) -> Result<Vec<OutgoingMention>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, note_id, source, target, context, generation, attempts
               FROM webmention_outbox
              WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?",
        )
        .bind(db_time(self.now()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many Webmentions wait to be sent, now or at a retry.
    pub async fn webmentions_waiting(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM webmention_outbox WHERE due_at IS NOT NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// When the next Webmention is due, if any is.
    pub async fn next_webmention_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT due_at FROM webmention_outbox WHERE due_at IS NOT NULL ORDER BY due_at LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records what an attempt got, unless the target was queued again
    /// meanwhile (a newer version of the note is sent instead).
    pub async fn record_webmention(
        &self,
        mention: &OutgoingMention,
        result: &SendResult,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webmention_outbox
                SET state = ?, last_status = ?, last_result = ?, endpoint = ?, due_at = ?,
                    attempts = attempts + 1, updated_at = ?
              WHERE id = ? AND generation = ?",
        )
        .bind(result.state.as_str())
        .bind(result.status.map(i64::from))
        .bind(&result.result)
        .bind(&result.endpoint)
        .bind(result.retry_at.map(db_time))
        .bind(db_time(self.now()))
        .bind(mention.id)
        .bind(mention.generation)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Where sending stands for each page a note links to or linked to.
    pub async fn sent_webmentions(&self, note_id: i64) -> Result<Vec<SentWebmention>, StoreError> {
        let rows = sqlx::query_as::<_, SentRow>(&format!(
            "SELECT {SENT_COLUMNS} FROM webmention_outbox WHERE note_id = ? ORDER BY id"
        ))
        .bind(note_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(SentWebmention::from).collect())
    }

    /// The same for several notes at once (a page of the dashboard).
    pub async fn sent_webmentions_of(
        &self,
        note_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<SentWebmention>>, StoreError> {
        let mut found: HashMap<i64, Vec<SentWebmention>> = HashMap::new();
        if note_ids.is_empty() {
            return Ok(found);
        }
        let ids = serde_json::to_string(note_ids).expect("numbers are JSON");
        let rows = sqlx::query_as::<_, SentRow>(&format!(
            "SELECT {SENT_COLUMNS} FROM webmention_outbox
              WHERE note_id IN (SELECT value FROM json_each(?)) ORDER BY id"
        ))
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            found
                .entry(row.note_id)
                .or_default()
                .push(SentWebmention::from(row));
        }
        Ok(found)
    }

    /// Forgets what was sent for notes removed for good, once nothing is
    /// left to send for them.
    pub async fn forget_webmentions_of_removed_notes(&self) -> Result<u64, StoreError> {
        let removed = sqlx::query(
            "DELETE FROM webmention_outbox
              WHERE note_id NOT IN (SELECT id FROM notes)
                AND note_id NOT IN (SELECT note_id FROM webmention_outbox WHERE due_at IS NOT NULL)",
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        sqlx::query(
            "DELETE FROM webmention_notes WHERE note_id NOT IN (SELECT id FROM notes)
                AND note_id NOT IN (SELECT note_id FROM webmention_outbox)",
        )
        .execute(&self.pool)
        .await?;
        Ok(removed)
    }
}

/// Records that the note's version `fingerprint` is planned.
async fn remember_plan(
    conn: &mut sqlx::SqliteConnection,
    note_id: i64,
    fingerprint: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webmention_notes (note_id, fingerprint) VALUES (?, ?)
         ON CONFLICT (note_id) DO UPDATE SET fingerprint = excluded.fingerprint",
    )
    .bind(note_id)
    .bind(fingerprint)
    .execute(conn)
    .await?;
    Ok(())
}
