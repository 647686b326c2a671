//! Responses from other sites, kept and moderated: each change is one
//! transaction under the write lock, like every change of a note, and
//! every change shows on the note's page at once (a trigger bumps the
//! revision).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqliteConnection};

use super::notes::db_time;
use super::{Store, StoreError};
use crate::domain::{
    Author, IncomingResponse, MediaPath, Moderation, Protocol, Response, ResponseKind,
};

const COLUMNS: &str = "id, note_id, protocol, source, kind, status, url, host, author_name, \
     author_url, author_photo, actor, content_html, content_text, published, received_at, updated_at";

#[derive(FromRow)]
struct ResponseRow {
    id: i64,
    note_id: i64,
    protocol: String,
    source: String,
    kind: String,
    status: String,
    url: String,
    host: String,
    author_name: Option<String>,
    author_url: Option<String>,
    author_photo: Option<String>,
    actor: Option<String>,
    content_html: Option<String>,
    content_text: Option<String>,
    published: Option<DateTime<Utc>>,
    received_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ResponseRow> for Response {
    fn from(row: ResponseRow) -> Response {
        // The CHECK constraints keep these to the names this code writes.
        Response {
            id: row.id,
            status: Moderation::parse(&row.status).unwrap_or(Moderation::Pending),
            received_at: row.received_at,
            updated_at: row.updated_at,
            incoming: IncomingResponse {
                note_id: row.note_id,
                protocol: Protocol::parse(&row.protocol).unwrap_or(Protocol::Webmention),
                source: row.source,
                kind: ResponseKind::parse(&row.kind).unwrap_or(ResponseKind::Mention),
                url: row.url,
                host: row.host,
                author: Author {
                    name: row.author_name,
                    url: row.author_url,
                    photo: row.author_photo.as_deref().and_then(MediaPath::parse),
                },
                actor: row.actor,
                content_html: row.content_html,
                content_text: row.content_text,
                published: row.published,
            },
        }
    }
}

/// What keeping a response did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// A new response, with the status it was given.
    New(Response),
    /// The same source again: what is shown is brought up to date, and the
    /// owner's decision stands.
    Updated(Response),
}

impl Kept {
    pub fn response(&self) -> &Response {
        match self {
            Kept::New(response) | Kept::Updated(response) => response,
        }
    }
}

/// Counts of responses by status, for the admin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponseCounts {
    pub pending: i64,
    pub approved: i64,
    pub rejected: i64,
}

impl Store {
    /// Keeps a response, or brings an earlier one from the same source up
    /// to date. A new one is approved at once when `moderated` is false or
    /// its host is trusted, and waits for the owner otherwise.
    pub async fn keep_response(
        &self,
        incoming: &IncomingResponse,
        moderated: bool,
    ) -> Result<Kept, StoreError> {
        let now = db_time(self.now());
        let mut tx = self.write_lock().await?;
        let trusted = is_trusted(&mut tx, &incoming.host).await?;
        let status = if moderated && !trusted {
            Moderation::Pending
        } else {
            Moderation::Approved
        };
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM responses WHERE note_id = ? AND protocol = ? AND source = ?",
        )
        .bind(incoming.note_id)
        .bind(incoming.protocol.as_str())
        .bind(&incoming.source)
        .fetch_optional(&mut *tx)
        .await?;
        let row = sqlx::query_as::<_, ResponseRow>(&format!(
            "INSERT INTO responses (note_id, protocol, source, kind, status, url, host,
                                    author_name, author_url, author_photo, actor,
                                    content_html, content_text, published, received_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (note_id, protocol, source) DO UPDATE SET
                 kind = excluded.kind, url = excluded.url, host = excluded.host,
                 author_name = excluded.author_name, author_url = excluded.author_url,
                 author_photo = excluded.author_photo, actor = excluded.actor,
                 content_html = excluded.content_html, content_text = excluded.content_text,
                 published = excluded.published, updated_at = excluded.updated_at
             RETURNING {COLUMNS}"
        ))
        .bind(incoming.note_id)
        .bind(incoming.protocol.as_str())
        .bind(&incoming.source)
        .bind(incoming.kind.as_str())
        .bind(status.as_str())
        .bind(&incoming.url)
        .bind(&incoming.host)
        .bind(&incoming.author.name)
        .bind(&incoming.author.url)
        .bind(incoming.author.photo.as_ref().map(MediaPath::as_str))
        .bind(&incoming.actor)
        .bind(&incoming.content_html)
        .bind(&incoming.content_text)
        .bind(incoming.published.map(db_time))
        .bind(&now)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let response = Response::from(row);
        Ok(match existing {
            Some(_) => Kept::Updated(response),
            None => Kept::New(response),
        })
    }

    /// Removes the response from `source` to a note (the source is gone,
    /// or no longer links to it); whether there was one.
    pub async fn remove_response(
        &self,
        note_id: i64,
        protocol: Protocol,
        source: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_lock().await?;
        let removed =
            sqlx::query("DELETE FROM responses WHERE note_id = ? AND protocol = ? AND source = ?")
                .bind(note_id)
                .bind(protocol.as_str())
                .bind(source)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// Removes every response from `source`, whatever note it was about
    /// (an `Undo` or a `Delete` names only the object); how many.
    pub async fn remove_responses_from(
        &self,
        protocol: Protocol,
        source: &str,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_lock().await?;
        let removed = sqlx::query("DELETE FROM responses WHERE protocol = ? AND source = ?")
            .bind(protocol.as_str())
            .bind(source)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed)
    }

    /// Removes every response of a fediverse actor (the actor was deleted,
    /// or its domain blocked); how many.
    pub async fn remove_responses_by_actor(&self, actor: &str) -> Result<u64, StoreError> {
        let mut tx = self.write_lock().await?;
        let removed = sqlx::query("DELETE FROM responses WHERE actor = ?")
            .bind(actor)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed)
    }

    /// Approves or rejects one response; `None` if there is no such one.
    pub async fn moderate_response(
        &self,
        id: i64,
        status: Moderation,
    ) -> Result<Option<Response>, StoreError> {
        let mut tx = self.write_lock().await?;
        let row = sqlx::query_as::<_, ResponseRow>(&format!(
            "UPDATE responses SET status = ?, updated_at = ? WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(status.as_str())
        .bind(db_time(self.now()))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.map(Response::from))
    }

    /// Removes one response for good; whether there was one.
    pub async fn delete_response(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.write_lock().await?;
        let removed = sqlx::query("DELETE FROM responses WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// Trusts `host` from now on, and approves what it sent that is still
    /// waiting; how many were approved.
    pub async fn trust_host(&self, host: &str) -> Result<u64, StoreError> {
        let now = db_time(self.now());
        let mut tx = self.write_lock().await?;
        sqlx::query("INSERT OR IGNORE INTO trusted_hosts (host, added_at) VALUES (?, ?)")
            .bind(host)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        let approved = sqlx::query(
            "UPDATE responses SET status = 'approved', updated_at = ?
              WHERE host = ? AND status = 'pending'",
        )
        .bind(&now)
        .bind(host)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(approved)
    }

    /// Stops trusting `host`: what it sends next waits again.
    pub async fn distrust_host(&self, host: &str) -> Result<(), StoreError> {
        let mut tx = self.write_lock().await?;
        sqlx::query("DELETE FROM trusted_hosts WHERE host = ?")
            .bind(host)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The trusted hosts, by name.
    pub async fn trusted_hosts(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT host FROM trusted_hosts ORDER BY host")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The approved responses to a note, oldest first.
    pub async fn shown_responses(&self, note_id: i64) -> Result<Vec<Response>, StoreError> {
        let rows = sqlx::query_as::<_, ResponseRow>(&format!(
            "SELECT {COLUMNS} FROM responses
              WHERE note_id = ? AND status = 'approved'
              ORDER BY COALESCE(published, received_at), id"
        ))
        .bind(note_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Response::from).collect())
    }

    /// When the responses to a note last changed (one removed included),
    /// if they ever did.
    pub async fn responses_changed_at(
        &self,
        note_id: i64,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT at FROM response_changes WHERE note_id = ?")
                .bind(note_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Responses with this status, newest first, for the owner: `limit`
    /// of them after `offset`.
    pub async fn responses_with_status(
        &self,
        status: Moderation,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<Response>, StoreError> {
        let rows = sqlx::query_as::<_, ResponseRow>(&format!(
            "SELECT {COLUMNS} FROM responses WHERE status = ?
              ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?"
        ))
        .bind(status.as_str())
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Response::from).collect())
    }

    pub async fn response_counts(&self) -> Result<ResponseCounts, StoreError> {
        let (pending, approved, rejected): (i64, i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'approved'), 0),
                    COALESCE(SUM(status = 'rejected'), 0) FROM responses",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(ResponseCounts {
            pending,
            approved,
            rejected,
        })
    }

    /// Blocks `domain` (and its subdomains): nothing is taken from it or
    /// sent to it, and what it sent is removed; how many responses went.
    pub async fn block_domain(&self, domain: &str) -> Result<u64, StoreError> {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut tx = self.write_lock().await?;
        sqlx::query("INSERT OR IGNORE INTO blocked_domains (domain, added_at) VALUES (?, ?)")
            .bind(&domain)
            .bind(db_time(self.now()))
            .execute(&mut *tx)
            .await?;
        let removed = sqlx::query("DELETE FROM responses WHERE host = ? OR host LIKE ?")
            .bind(&domain)
            .bind(format!("%.{domain}"))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed)
    }

    pub async fn unblock_domain(&self, domain: &str) -> Result<(), StoreError> {
        let mut tx = self.write_lock().await?;
        sqlx::query("DELETE FROM blocked_domains WHERE domain = ?")
            .bind(domain.trim().to_ascii_lowercase())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn blocked_domains(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT domain FROM blocked_domains ORDER BY domain")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Whether `host` is a blocked domain or under one.
    pub async fn is_blocked(&self, host: &str) -> Result<bool, StoreError> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM blocked_domains
                             WHERE ? = domain OR ? LIKE '%.' || domain)",
        )
        .bind(&host)
        .bind(&host)
        .fetch_one(&self.pool)
        .await?)
    }
}

async fn is_trusted(conn: &mut SqliteConnection, host: &str) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM trusted_hosts WHERE host = ?)")
            .bind(host)
            .fetch_one(conn)
            .await?,
    )
}
