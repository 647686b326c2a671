//! Access tokens for apps and scripts. A token is found by the SHA-256 hash
//! of its secret (the caller hashes it); the secret itself is shown once,
//! when issued, and never stored.

use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;

use super::notes::{db_time, to_millis};
use super::{Store, StoreError};
use crate::domain::Scopes;

/// `last_used_at` is written at most this often, so that an app posting in
/// a burst does not write to the database for every request.
const LAST_USE_INTERVAL: Duration = Duration::minutes(1);

/// A token as the owner sees it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub id: i64,
    pub name: String,
    /// The app's `client_id`; empty for tokens made with the CLI.
    pub client_id: String,
    pub scopes: Scopes,
    /// The identity URL it speaks for.
    pub me: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl AccessToken {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

#[derive(FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    client_id: String,
    scopes: String,
    me: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for AccessToken {
    fn from(row: TokenRow) -> AccessToken {
        AccessToken {
            id: row.id,
            name: row.name,
            client_id: row.client_id,
            // Written by this program; a word it no longer knows grants nothing.
            scopes: Scopes::parse_known(&row.scopes).0,
            me: row.me,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        }
    }
}

const TOKEN_COLUMNS: &str =
    "id, name, client_id, scopes, me, created_at, last_used_at, expires_at, revoked_at";

/// What a new token is for.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub client_id: &'a str,
    pub scopes: Scopes,
    pub me: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a presented token turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenLookup {
    Live(AccessToken),
    /// Known, but past its expiry.
    Expired,
    /// Known, but revoked by the owner or the app.
    Revoked,
    Unknown,
}

impl Store {
    /// Stores a new token under the hash of its secret.
    pub async fn issue_token(
        &self,
        token_hash: &str,
        new: &NewToken<'_>,
        now: DateTime<Utc>,
    ) -> Result<AccessToken, StoreError> {
        let row = sqlx::query_as::<_, TokenRow>(&format!(
            "INSERT INTO access_tokens (token_hash, name, client_id, scopes, me, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(token_hash)
        .bind(truncated(new.name, 200))
        .bind(new.client_id)
        .bind(new.scopes.to_string())
        .bind(new.me)
        .bind(db_time(to_millis(now)))
        .bind(new.expires_at.map(|at| db_time(to_millis(at))))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }

    /// The token with this hash, and whether it may be used now. A live
    /// token's last use is recorded (at most once a minute).
    pub async fn find_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenLookup, StoreError> {
        let found = sqlx::query_as::<_, TokenRow>(&format!(
            "SELECT {TOKEN_COLUMNS} FROM access_tokens WHERE token_hash = ?"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(mut token) = found.map(AccessToken::from) else {
            return Ok(TokenLookup::Unknown);
        };
        if token.revoked_at.is_some() {
            return Ok(TokenLookup::Revoked);
        }
        if !token.is_live(now) {
            return Ok(TokenLookup::Expired);
        }
        let now = to_millis(now);
        if token
            .last_used_at
            .is_none_or(|at| now - at >= LAST_USE_INTERVAL)
        {
            sqlx::query("UPDATE access_tokens SET last_used_at = ? WHERE id = ?")
                .bind(db_time(now))
                .bind(token.id)
                .execute(&self.pool)
                .await?;
            token.last_used_at = Some(now);
        }
        Ok(TokenLookup::Live(token))
    }

    /// Every token not revoked (expired ones included, marked by their
    /// date), newest first.
    pub async fn list_tokens(&self) -> Result<Vec<AccessToken>, StoreError> {
        let rows = sqlx::query_as::<_, TokenRow>(&format!(
            "SELECT {TOKEN_COLUMNS} FROM access_tokens WHERE revoked_at IS NULL ORDER BY id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(AccessToken::from).collect())
    }

    /// Revokes the token with this id; `false` if there is none to revoke.
    pub async fn revoke_token(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        )
        .bind(db_time(to_millis(now)))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Revokes the token with this hash (RFC 7009: the app gives up its
    /// own token); `false` if there is none to revoke.
    pub async fn revoke_token_by_hash(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE access_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
        )
        .bind(db_time(to_millis(now)))
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

fn truncated(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Scope;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let pool = super::super::connect(&path, 2, super::super::PageCache::Small)
            .await
            .unwrap();
        super::super::migrate(&pool, &path).await.unwrap();
        let store = Store::new(
            pool,
            super::super::NotesDir::new(dir.path().join("notes")),
            crate::clock::SystemClock::shared(),
        );
        (dir, store)
    }

    fn new_token(expires_at: Option<DateTime<Utc>>) -> NewToken<'static> {
        NewToken {
            name: "Quill",
            client_id: "https://quill.p3k.io/",
            scopes: Scopes::NONE.with(Scope::Create).with(Scope::Media),
            me: "https://example.com/",
            expires_at,
        }
    }

    #[tokio::test]
    async fn a_token_is_found_by_its_hash_until_revoked() {
        let (_dir, store) = store().await;
        let now = Utc::now();
        let issued = store
            .issue_token("h1", &new_token(None), now)
            .await
            .unwrap();
        assert_eq!(issued.scopes.to_string(), "create media");
        let TokenLookup::Live(found) = store.find_token("h1", now).await.unwrap() else {
            panic!("not live");
        };
        assert_eq!(found.id, issued.id);
        assert_eq!(found.last_used_at, Some(to_millis(now)));
        assert_eq!(
            store.find_token("h2", now).await.unwrap(),
            TokenLookup::Unknown
        );
        assert_eq!(store.list_tokens().await.unwrap().len(), 1);

        assert!(store.revoke_token(issued.id, now).await.unwrap());
        assert!(!store.revoke_token(issued.id, now).await.unwrap(), "once");
        assert_eq!(
            store.find_token("h1", now).await.unwrap(),
            TokenLookup::Revoked
        );
        assert!(store.list_tokens().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_expired_token_is_told_apart_and_revoking_by_hash_works() {
        let (_dir, store) = store().await;
        let now = Utc::now();
        store
            .issue_token("old", &new_token(Some(now - Duration::seconds(1))), now)
            .await
            .unwrap();
        assert_eq!(
            store.find_token("old", now).await.unwrap(),
            TokenLookup::Expired
        );
        store
            .issue_token("app", &new_token(Some(now + Duration::days(1))), now)
            .await
            .unwrap();
        assert!(matches!(
            store.find_token("app", now).await.unwrap(),
            TokenLookup::Live(_)
        ));
        assert!(store.revoke_token_by_hash("app", now).await.unwrap());
        assert!(!store.revoke_token_by_hash("nothing", now).await.unwrap());
        assert_eq!(
            store.find_token("app", now).await.unwrap(),
            TokenLookup::Revoked
        );
    }
}
