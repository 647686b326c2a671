//! The queue of deliveries: each activity once, and one row per inbox it
//! still has to reach. A delivery is claimed while it is tried and until
//! its outcome is recorded; the next start releases every claim, so one
//! cut short by a stop is tried again. It leaves the queue when it arrives
//! or is given up, and its activity counts which.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::super::notes::db_time;
use super::super::{Store, StoreError};
use super::followers::{inbox_fails, inbox_works};

/// What an activity does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Create,
    Update,
    Delete,
    /// A follow accepted.
    Accept,
    /// A follower removed.
    Reject,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Create => "create",
            ActivityKind::Update => "update",
            ActivityKind::Delete => "delete",
            ActivityKind::Accept => "accept",
            ActivityKind::Reject => "reject",
        }
    }

    fn parse(text: &str) -> ActivityKind {
        match text {
            "create" => ActivityKind::Create,
            "update" => ActivityKind::Update,
            "delete" => ActivityKind::Delete,
            "accept" => ActivityKind::Accept,
            _ => ActivityKind::Reject,
        }
    }
}

/// A delivery to try now.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DueDelivery {
    pub id: i64,
    pub activity_id: i64,
    pub inbox: String,
    /// Tries before this one.
    pub attempts: i64,
    /// When the activity was queued: deliveries are given up some time
    /// after.
    pub queued_at: DateTime<Utc>,
    /// The activity's JSON.
    pub activity: String,
}

/// How a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Given up.
    GivenUp,
}

/// What became of one try of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Delivered,
    Failed { error: String, failure: Failure },
}

/// An activity about a note and where its deliveries stand, for the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryState {
    pub note_id: Option<i64>,
    pub kind: ActivityKind,
    pub created_at: DateTime<Utc>,
    pub delivered: i64,
    pub failed: i64,
    pub pending: i64,
    /// Why the latest failed try failed, while some are pending.
    pub last_error: Option<String>,
}

/// An activity as queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedActivity {
    pub id: i64,
    pub kind: ActivityKind,
    pub activity: String,
}

impl Store {
    /// Queues an activity for one inbox (an Accept or a Reject for one
    /// follower).
    pub async fn queue_for_inbox(
        &self,
        kind: ActivityKind,
        activity: &str,
        inbox: &str,
    ) -> Result<(), StoreError> {
        let now = db_time(self.now());
        let mut tx = self.write_lock().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox_activities (note_id, kind, activity, created_at)
             VALUES (NULL, ?, ?, ?) RETURNING id",
        )
        .bind(kind.as_str())
        .bind(activity)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO deliveries (activity_id, inbox, next_attempt_at) VALUES (?, ?, ?)",
        )
        .bind(id)
        .bind(inbox)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes up to `limit` deliveries due at `now`, oldest first, and
    /// marks them under way until they are settled (or released by the
    /// next start, if the process stops first).
    pub async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let mut tx = self.write_lock().await?;
        let due = sqlx::query_as::<_, DueDelivery>(
            "UPDATE deliveries SET claimed = 1
              WHERE id IN (SELECT id FROM deliveries WHERE next_attempt_at <= ?1 AND claimed = 0
                            ORDER BY next_attempt_at, id LIMIT ?2)
              RETURNING id, activity_id, inbox, attempts,
                        (SELECT created_at FROM outbox_activities a WHERE a.id = activity_id)
                            AS queued_at,
                        (SELECT activity FROM outbox_activities a WHERE a.id = activity_id)
                            AS activity",
        )
        .bind(db_time(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(due)
    }

    /// Releases every claim: at start-up, no delivery is under way, and
    /// those that were when the process stopped are due again now.
    pub async fn release_deliveries(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut tx = self.write_lock().await?;
        let released =
            sqlx::query("UPDATE deliveries SET claimed = 0, next_attempt_at = ? WHERE claimed = 1")
                .bind(db_time(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok(released)
    }

    /// When the next delivery not under way is due, if any is queued.
    pub async fn next_delivery_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM deliveries WHERE claimed = 0")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// How many deliveries are being tried now.
    pub async fn deliveries_under_way(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE claimed = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Records what became of tries, all in one transaction (a fan-out
    /// to hundreds of servers settles in a few writes, not hundreds that
    /// would keep the owner's next change waiting for the lock), and drops
    /// the followers whose deliveries have been failing since before
    /// `drop_before`; who was dropped.
    pub async fn settle_deliveries(
        &self,
        settled: &[(DueDelivery, Settled)],
        now: DateTime<Utc>,
        drop_before: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let mut dropped = Vec::new();
        if settled.is_empty() {
            return Ok(dropped);
        }
        let mut tx = self.write_lock().await?;
        for (delivery, outcome) in settled {
            let counter = match outcome {
                Settled::Delivered => "delivered",
                Settled::Failed {
                    failure: Failure::GivenUp,
                    ..
                } => "failed",
                Settled::Failed {
                    error,
                    failure: Failure::RetryAt(at),
                } => {
                    sqlx::query(
                        "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?,
                                last_error = ?, claimed = 0 WHERE id = ?",
                    )
                    .bind(db_time(*at))
                    .bind(error)
                    .bind(delivery.id)
                    .execute(&mut *tx)
                    .await?;
                    ""
                }
            };
            if !counter.is_empty() {
                let removed = sqlx::query("DELETE FROM deliveries WHERE id = ?")
                    .bind(delivery.id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query(&format!(
                    "UPDATE outbox_activities SET {counter} = {counter} + ? WHERE id = ?"
                ))
                .bind(i64::try_from(removed).unwrap_or(0))
                .bind(delivery.activity_id)
                .execute(&mut *tx)
                .await?;
            }
            match outcome {
                Settled::Delivered => inbox_works(&mut tx, &delivery.inbox).await?,
                Settled::Failed { .. } => {
                    dropped.extend(inbox_fails(&mut tx, &delivery.inbox, now, drop_before).await?)
                }
            }
        }
        tx.commit().await?;
        Ok(dropped)
    }

    /// The activities sent about notes, newest first, with where their
    /// deliveries stand: `limit` of them after `offset`.
    pub async fn delivery_states(
        &self,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<DeliveryState>, StoreError> {
        let rows = sqlx::query_as::<
            _,
            (
                Option<i64>,
                String,
                DateTime<Utc>,
                i64,
                i64,
                i64,
                Option<String>,
            ),
        >(
            "SELECT a.note_id, a.kind, a.created_at, a.delivered, a.failed,
                    (SELECT COUNT(*) FROM deliveries d WHERE d.activity_id = a.id),
                    (SELECT d.last_error FROM deliveries d
                      WHERE d.activity_id = a.id AND d.last_error IS NOT NULL
                      ORDER BY d.attempts DESC LIMIT 1)
               FROM outbox_activities a WHERE a.note_id IS NOT NULL
              ORDER BY a.id DESC LIMIT ? OFFSET ?",
        )
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(note_id, kind, created_at, delivered, failed, pending, last_error)| {
                    DeliveryState {
                        note_id,
                        kind: ActivityKind::parse(&kind),
                        created_at,
                        delivered,
                        failed,
                        pending,
                        last_error,
                    }
                },
            )
            .collect())
    }

    /// How many deliveries are waiting.
    pub async fn pending_deliveries(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Forgets settled activities queued before `before`; how many.
    pub async fn forget_settled_activities(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_lock().await?;
        let forgotten = sqlx::query(
            "DELETE FROM outbox_activities WHERE created_at < ?
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = outbox_activities.id)",
        )
        .bind(db_time(before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(forgotten)
    }

    /// Every activity queued about a note, oldest first (tests and the
    /// admin read what was sent).
    pub async fn note_activities(&self, note_id: i64) -> Result<Vec<QueuedActivity>, StoreError> {
        let rows = sqlx::query_as::<_, (i64, String, String)>(
            "SELECT id, kind, activity FROM outbox_activities WHERE note_id = ? ORDER BY id",
        )
        .bind(note_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, activity)| QueuedActivity {
                id,
                kind: ActivityKind::parse(&kind),
                activity,
            })
            .collect())
    }
}
