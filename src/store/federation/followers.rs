//! Who follows the site, where their servers take deliveries, and which
//! of those servers have been failing.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqliteConnection};

use super::super::notes::db_time;
use super::super::{Store, StoreError};

/// A follower.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Follower {
    /// Their actor's URL.
    pub actor: String,
    /// Their Follow's id, which an Accept or a Reject names.
    pub follow_id: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub host: String,
    pub followed_at: DateTime<Utc>,
    /// Deliveries to their server have failed since then.
    pub failing_since: Option<DateTime<Utc>>,
}

impl Follower {
    /// Where deliveries for them go: their server's shared inbox, once for
    /// all its followers, else their own.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox.as_deref().unwrap_or(&self.inbox)
    }
}

const COLUMNS: &str = "actor, follow_id, inbox, shared_inbox, host, followed_at, failing_since";

/// The inbox a delivery to this follower goes to, in SQL.
pub(super) const DELIVERY_INBOX: &str = "COALESCE(shared_inbox, inbox)";

/// Followers on blocked domains are left out of every delivery.
pub(super) const NOT_BLOCKED: &str = "NOT EXISTS (SELECT 1 FROM blocked_domains b
     WHERE followers.host = b.domain OR followers.host LIKE '%.' || b.domain)";

impl Store {
    /// Records a follower (a repeated Follow updates it); whether they are
    /// new.
    pub async fn add_follower(&self, follower: &Follower) -> Result<bool, StoreError> {
        let mut tx = self.write_lock().await?;
        let known: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM followers WHERE actor = ?)")
                .bind(&follower.actor)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO followers (actor, follow_id, inbox, shared_inbox, host, followed_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (actor) DO UPDATE SET
                 follow_id = excluded.follow_id, inbox = excluded.inbox,
                 shared_inbox = excluded.shared_inbox, host = excluded.host",
        )
        .bind(&follower.actor)
        .bind(&follower.follow_id)
        .bind(&follower.inbox)
        .bind(&follower.shared_inbox)
        .bind(&follower.host)
        .bind(db_time(follower.followed_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(!known)
    }

    /// Removes a follower; who it was, if anyone.
    pub async fn remove_follower(&self, actor: &str) -> Result<Option<Follower>, StoreError> {
        let mut tx = self.write_lock().await?;
        let removed = sqlx::query_as::<_, Follower>(&format!(
            "DELETE FROM followers WHERE actor = ? RETURNING {COLUMNS}"
        ))
        .bind(actor)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(removed)
    }

    pub async fn follower(&self, actor: &str) -> Result<Option<Follower>, StoreError> {
        Ok(sqlx::query_as::<_, Follower>(&format!(
            "SELECT {COLUMNS} FROM followers WHERE actor = ?"
        ))
        .bind(actor)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Followers, newest first: `limit` of them after `offset`.
    pub async fn followers(&self, offset: u64, limit: u32) -> Result<Vec<Follower>, StoreError> {
        Ok(sqlx::query_as::<_, Follower>(&format!(
            "SELECT {COLUMNS} FROM followers ORDER BY followed_at DESC, actor LIMIT ? OFFSET ?"
        ))
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn follower_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM followers")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Removes the followers on `domain` and its subdomains (it was
    /// blocked); how many.
    pub async fn remove_followers_on(&self, domain: &str) -> Result<u64, StoreError> {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut tx = self.write_lock().await?;
        let removed = sqlx::query("DELETE FROM followers WHERE host = ? OR host LIKE ?")
            .bind(&domain)
            .bind(format!("%.{domain}"))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed)
    }
}

/// Notes that a delivery to `inbox` arrived: its followers' server works.
pub(super) async fn inbox_works(
    conn: &mut SqliteConnection,
    inbox: &str,
) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "UPDATE followers SET failing_since = NULL
          WHERE {DELIVERY_INBOX} = ? AND failing_since IS NOT NULL"
    ))
    .bind(inbox)
    .execute(conn)
    .await?;
    Ok(())
}

/// Notes that a delivery to `inbox` failed at `now`, and drops the
/// followers behind it whose deliveries have been failing since before
/// `drop_before`; who was dropped.
pub(super) async fn inbox_fails(
    conn: &mut SqliteConnection,
    inbox: &str,
    now: DateTime<Utc>,
    drop_before: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    sqlx::query(&format!(
        "UPDATE followers SET failing_since = ? WHERE {DELIVERY_INBOX} = ? AND failing_since IS NULL"
    ))
    .bind(db_time(now))
    .bind(inbox)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_scalar(&format!(
        "DELETE FROM followers WHERE {DELIVERY_INBOX} = ? AND failing_since < ? RETURNING actor"
    ))
    .bind(inbox)
    .bind(db_time(drop_before))
    .fetch_all(&mut *conn)
    .await?)
}
