//! What followers were last sent about each note: created (and which
//! version of its object id) or deleted. Deliveries read it to decide what
//! a change means; pages read it for the object's id.

use sqlx::FromRow;

use super::super::notes::db_time;
use super::super::{Store, StoreError};
use super::followers::{DELIVERY_INBOX, NOT_BLOCKED};
use super::queue::ActivityKind;

/// What followers know of a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteState {
    /// Sent with a Create (and perhaps Updates since).
    Created,
    /// Sent a Delete after it was created.
    Deleted,
}

impl NoteState {
    fn as_str(self) -> &'static str {
        match self {
            NoteState::Created => "created",
            NoteState::Deleted => "deleted",
        }
    }

    fn parse(text: &str) -> NoteState {
        match text {
            "created" => NoteState::Created,
            _ => NoteState::Deleted,
        }
    }
}

/// One note's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedNote {
    pub note_id: i64,
    pub slug: String,
    pub state: NoteState,
    /// The version of the object's id last sent in a Create (0: none).
    pub version: i64,
    /// The object as last sent, hashed without its `updated`.
    pub object_hash: Option<String>,
}

/// The version of the object's id a shown note has: the one created,
/// else the next one (servers ignore a Create of an id they saw deleted).
pub fn next_version(row: Option<&FederatedNote>) -> i64 {
    match row {
        None => 1,
        Some(row) if row.state == NoteState::Created => row.version,
        Some(row) => row.version + 1,
    }
}

#[derive(FromRow)]
struct Row {
    note_id: i64,
    slug: String,
    state: String,
    version: i64,
    object_hash: Option<String>,
}

impl From<Row> for FederatedNote {
    fn from(row: Row) -> FederatedNote {
        FederatedNote {
            note_id: row.note_id,
            slug: row.slug,
            state: NoteState::parse(&row.state),
            version: row.version,
            object_hash: row.object_hash,
        }
    }
}

/// What to record for a note, and what to send its followers: one
/// decision, kept in one transaction.
#[derive(Debug, Clone)]
pub struct NoteSend {
    /// The note's row from now on; `None` removes it (the note is gone).
    pub row: Option<FederatedNote>,
    /// The activity to deliver to every follower's server, if any.
    pub activity: Option<(ActivityKind, String)>,
}

impl Store {
    pub async fn federated_note(&self, note_id: i64) -> Result<Option<FederatedNote>, StoreError> {
        let row = sqlx::query_as::<_, Row>(
            "SELECT note_id, slug, state, version, object_hash
               FROM federated_notes WHERE note_id = ?",
        )
        .bind(note_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(FederatedNote::from))
    }

    /// Records a decision about note `note_id` and queues its activity for
    /// every follower's server (each shared inbox once; blocked domains
    /// left out), all in one transaction; how many deliveries were queued.
    pub async fn record_note_send(&self, note_id: i64, send: NoteSend) -> Result<u64, StoreError> {
        let now = db_time(self.now());
        let mut tx = self.write_lock().await?;
        match &send.row {
            None => {
                sqlx::query("DELETE FROM federated_notes WHERE note_id = ?")
                    .bind(note_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Some(row) => {
                sqlx::query(
                    "INSERT INTO federated_notes (note_id, slug, state, version, object_hash,
                                                  changed_at)
                     VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT (note_id) DO UPDATE SET
                         slug = excluded.slug, state = excluded.state, version = excluded.version,
                         object_hash = excluded.object_hash, changed_at = excluded.changed_at",
                )
                .bind(note_id)
                .bind(&row.slug)
                .bind(row.state.as_str())
                .bind(row.version)
                .bind(&row.object_hash)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
        }
        let mut queued = 0;
        if let Some((kind, activity)) = &send.activity {
            let activity_id: i64 = sqlx::query_scalar(
                "INSERT INTO outbox_activities (note_id, kind, activity, created_at)
                 VALUES (?, ?, ?, ?) RETURNING id",
            )
            .bind(note_id)
            .bind(kind.as_str())
            .bind(activity)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?;
            queued = sqlx::query(&format!(
                "INSERT OR IGNORE INTO deliveries (activity_id, inbox, next_attempt_at)
                 SELECT DISTINCT ?, {DELIVERY_INBOX}, ? FROM followers WHERE {NOT_BLOCKED}"
            ))
            .bind(activity_id)
            .bind(&now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(queued)
    }
}
