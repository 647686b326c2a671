//! Scheduled notes: a published note dated in the future is shown nowhere
//! until its date (the lists compare with now, see [`super::LISTED`]).
//! Nothing in the database changes when that date passes, so the server
//! releases due notes: one change that sets each one's last change to its
//! publication date, which the triggers turn into a new revision (every
//! cached page and feed is rendered again) and an entry in the change log
//! (Webmentions and fediverse deliveries go out then, not when it was
//! written).

use super::super::{Store, StoreError};
use super::db_time;

/// Written before their publication date and not yet released; the same
/// terms as the `notes_scheduled` index, so the query reads only that.
const WAITING: &str =
    "published = 1 AND deleted_at IS NULL AND updated_at < published_at AND published_at <= ?";

impl Store {
    /// Releases every scheduled note whose date has come, in one
    /// transaction; returns their slugs (none, most of the time, after one
    /// indexed read and no write).
    pub async fn release_due(&self) -> Result<Vec<String>, StoreError> {
        let now = db_time(self.now());
        let any: Option<i64> =
            sqlx::query_scalar(&format!("SELECT id FROM notes WHERE {WAITING} LIMIT 1"))
                .bind(&now)
                .fetch_optional(&self.pool)
                .await?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.write_lock().await?;
        let released: Vec<String> = sqlx::query_scalar(&format!(
            "UPDATE notes SET updated_at = published_at WHERE {WAITING} RETURNING slug"
        ))
        .bind(&now)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(released)
    }
}
