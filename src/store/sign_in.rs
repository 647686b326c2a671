//! Sessions, IndieAuth sign-in states and one-time login links. Each is
//! found by the SHA-256 hash of a random secret that only the browser (or
//! the person holding the link) has; the plain secret is never stored.

use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;

use super::notes::{db_time, to_millis};
use super::{Store, StoreError};

/// A session lasts this long after its last use.
pub const SESSION_LIFETIME: Duration = Duration::days(30);
/// A session's expiry is moved forward at most this often, so that a busy
/// admin page does not write to the database on every request.
const SESSION_TOUCH_INTERVAL: Duration = Duration::minutes(10);
/// How long a sign-in may take at the authorization server.
pub const SIGN_IN_STATE_LIFETIME: Duration = Duration::minutes(10);
/// How long a login link made by `starpunk login-link` works.
pub const LOGIN_LINK_LIFETIME: Duration = Duration::minutes(10);

/// A signed-in browser.
#[derive(Debug, Clone, FromRow)]
pub struct Session {
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: String,
    pub ip: String,
}

/// What the callback needs of the sign-in it completes.
#[derive(Debug, Clone, FromRow)]
pub struct SignInState {
    pub code_verifier: String,
    pub authorization_endpoint: String,
    pub issuer: Option<String>,
    pub via: String,
    pub created_at: DateTime<Utc>,
}

/// Why a state or link was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneTimeUse {
    Unknown,
    Expired,
}

impl Store {
    /// Starts a session for the hash of a new random token.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_agent: &str,
        ip: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = to_millis(now);
        sqlx::query(
            "INSERT INTO sessions (token_hash, created_at, last_seen_at, expires_at, user_agent, ip)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(db_time(now))
        .bind(db_time(now))
        .bind(db_time(now + SESSION_LIFETIME))
        .bind(truncated(user_agent, 300))
        .bind(truncated(ip, 64))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live session with this token hash, its expiry moved forward
    /// (sliding); `None` if unknown or expired.
    pub async fn find_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let now = to_millis(now);
        let found = sqlx::query_as::<_, Session>(
            "SELECT token_hash, created_at, last_seen_at, expires_at, user_agent, ip
             FROM sessions WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(db_time(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(mut session) = found else {
            return Ok(None);
        };
        if now - session.last_seen_at >= SESSION_TOUCH_INTERVAL {
            session.last_seen_at = now;
            session.expires_at = now + SESSION_LIFETIME;
            sqlx::query(
                "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?",
            )
            .bind(db_time(now))
            .bind(db_time(session.expires_at))
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        }
        Ok(Some(session))
    }

    /// Ends a session (sign-out). Unknown hashes are ignored.
    pub async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Keeps a one-time message for the session's next admin page.
    pub async fn set_flash(&self, token_hash: &str, message: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET flash = ? WHERE token_hash = ?")
            .bind(message)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The session's one-time message, removed as it is read.
    pub async fn take_flash(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        let flash = sqlx::query_scalar::<_, Option<String>>(
            "SELECT flash FROM sessions WHERE token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .flatten();
        if let Some(message) = &flash {
            // Only this message: one set meanwhile is shown next time.
            sqlx::query("UPDATE sessions SET flash = NULL WHERE token_hash = ? AND flash = ?")
                .bind(token_hash)
                .bind(message)
                .execute(&self.pool)
                .await?;
        }
        Ok(flash)
    }

    /// Remembers a sign-in on its way to the authorization server.
    pub async fn save_sign_in_state(
        &self,
        state_hash: &str,
        state: &SignInState,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sign_in_states
                 (state_hash, code_verifier, authorization_endpoint, issuer, via, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(state_hash)
        .bind(&state.code_verifier)
        .bind(&state.authorization_endpoint)
        .bind(&state.issuer)
        .bind(&state.via)
        .bind(db_time(to_millis(state.created_at)))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes the sign-in state with this hash: it is removed whatever the
    /// outcome, so it can be used once.
    pub async fn take_sign_in_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<SignInState, OneTimeUse>, StoreError> {
        let taken = sqlx::query_as::<_, SignInState>(
            "DELETE FROM sign_in_states WHERE state_hash = ?
             RETURNING code_verifier, authorization_endpoint, issuer, via, created_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match taken {
            None => Err(OneTimeUse::Unknown),
            Some(state) if now - state.created_at > SIGN_IN_STATE_LIFETIME => {
                Err(OneTimeUse::Expired)
            }
            Some(state) => Ok(state),
        })
    }

    /// Records a login link's token hash, valid for [`LOGIN_LINK_LIFETIME`].
    pub async fn create_login_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        let now = to_millis(now);
        let expires_at = now + LOGIN_LINK_LIFETIME;
        sqlx::query(
            "INSERT INTO login_links (token_hash, created_at, expires_at) VALUES (?, ?, ?)",
        )
        .bind(token_hash)
        .bind(db_time(now))
        .bind(db_time(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(expires_at)
    }

    /// Uses a login link: removed whatever the outcome, so it works once.
    pub async fn take_login_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<(), OneTimeUse>, StoreError> {
        let expires_at = sqlx::query_scalar::<_, DateTime<Utc>>(
            "DELETE FROM login_links WHERE token_hash = ? RETURNING expires_at",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match expires_at {
            None => Err(OneTimeUse::Unknown),
            Some(at) if at <= now => Err(OneTimeUse::Expired),
            Some(_) => Ok(()),
        })
    }

    /// Removes expired sessions, sign-in states, authorization codes and
    /// login links.
    pub async fn purge_expired_sign_ins(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let now = to_millis(now);
        let mut removed = 0;
        removed += sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(db_time(now))
            .execute(&self.pool)
            .await?
            .rows_affected();
        removed += sqlx::query("DELETE FROM sign_in_states WHERE created_at <= ?")
            .bind(db_time(now - SIGN_IN_STATE_LIFETIME))
            .execute(&self.pool)
            .await?
            .rows_affected();
        removed += sqlx::query("DELETE FROM authorization_codes WHERE expires_at <= ?")
            .bind(db_time(now))
            .execute(&self.pool)
            .await?
            .rows_affected();
        removed += sqlx::query("DELETE FROM login_links WHERE expires_at <= ?")
            .bind(db_time(now))
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(removed)
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncated(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
