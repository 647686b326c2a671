//! Authorization codes the site issues to apps: the step between the
//! owner's approval and the app's token. Stored by the SHA-256 hash of the
//! code; each is accepted once, within [`CODE_LIFETIME`].

use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;

use super::notes::{db_time, to_millis};
use super::{Store, StoreError};
use crate::domain::Scopes;

/// How long an app has to redeem a code (IndieAuth § 5.2.1 recommends at
/// most 10 minutes).
pub const CODE_LIFETIME: Duration = Duration::minutes(10);

/// What the owner approved, as the code carries it to the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scopes: Scopes,
    pub me: String,
}

#[derive(FromRow)]
struct CodeRow {
    client_id: String,
    client_name: String,
    redirect_uri: String,
    code_challenge: String,
    scopes: String,
    me: String,
    expires_at: DateTime<Utc>,
}

/// Why a presented code is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    Unknown,
    /// Redeemed before: a code is single use.
    Used,
    Expired,
}

impl Store {
    /// Stores a new code under its hash, valid for [`CODE_LIFETIME`].
    pub async fn save_authorization_code(
        &self,
        code_hash: &str,
        code: &AuthorizationCode,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = to_millis(now);
        sqlx::query(
            "INSERT INTO authorization_codes (code_hash, client_id, client_name, redirect_uri,
                 code_challenge, scopes, me, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(code_hash)
        .bind(&code.client_id)
        .bind(code.client_name.chars().take(200).collect::<String>())
        .bind(&code.redirect_uri)
        .bind(&code.code_challenge)
        .bind(code.scopes.to_string())
        .bind(&code.me)
        .bind(db_time(now))
        .bind(db_time(now + CODE_LIFETIME))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks the code used and returns what it carries, if it was unused
    /// and is not expired. A code that fails a later check (PKCE, client)
    /// stays used: it cannot be tried again.
    pub async fn take_authorization_code(
        &self,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<AuthorizationCode, CodeRefusal>, StoreError> {
        let taken = sqlx::query_as::<_, CodeRow>(
            "UPDATE authorization_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL
             RETURNING client_id, client_name, redirect_uri, code_challenge, scopes, me, expires_at",
        )
        .bind(db_time(to_millis(now)))
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = taken else {
            let known: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM authorization_codes WHERE code_hash = ?")
                    .bind(code_hash)
                    .fetch_optional(&self.pool)
                    .await?;
            return Ok(Err(if known.is_some() {
                CodeRefusal::Used
            } else {
                CodeRefusal::Unknown
            }));
        };
        if row.expires_at <= now {
            return Ok(Err(CodeRefusal::Expired));
        }
        Ok(Ok(AuthorizationCode {
            client_id: row.client_id,
            client_name: row.client_name,
            redirect_uri: row.redirect_uri,
            code_challenge: row.code_challenge,
            // Written by this program from known scopes.
            scopes: Scopes::parse_known(&row.scopes).0,
            me: row.me,
        }))
    }
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

    fn code() -> AuthorizationCode {
        AuthorizationCode {
            client_id: "https://app.example/".into(),
            client_name: "App".into(),
            redirect_uri: "https://app.example/cb".into(),
            code_challenge: "challenge".into(),
            scopes: Scopes::NONE.with(Scope::Create),
            me: "https://me.example/".into(),
        }
    }

    #[tokio::test]
    async fn a_code_is_taken_once() {
        let (_dir, store) = store().await;
        let now = Utc::now();
        store
            .save_authorization_code("c1", &code(), now)
            .await
            .unwrap();
        assert_eq!(
            store.take_authorization_code("c1", now).await.unwrap(),
            Ok(code())
        );
        assert_eq!(
            store.take_authorization_code("c1", now).await.unwrap(),
            Err(CodeRefusal::Used)
        );
        assert_eq!(
            store.take_authorization_code("c2", now).await.unwrap(),
            Err(CodeRefusal::Unknown)
        );
    }

    #[tokio::test]
    async fn a_code_expires_after_ten_minutes() {
        let (_dir, store) = store().await;
        let then = Utc::now() - CODE_LIFETIME;
        store
            .save_authorization_code("old", &code(), then)
            .await
            .unwrap();
        assert_eq!(
            store
                .take_authorization_code("old", Utc::now())
                .await
                .unwrap(),
            Err(CodeRefusal::Expired)
        );
    }
}
