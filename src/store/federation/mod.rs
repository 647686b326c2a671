//! The site as a fediverse actor, as stored: its key pair, the other
//! servers' actors it has checked, its followers, what each note's
//! followers were last sent ([`FederatedNote`]), and the queue of
//! deliveries. Each change is one transaction, like every other write.

mod actors;
mod followers;
mod notes;
mod queue;

pub use actors::RemoteActor;
pub use followers::Follower;
pub use notes::{FederatedNote, NoteSend, NoteState, next_version};
pub use queue::{ActivityKind, DeliveryState, DueDelivery, Failure, QueuedActivity, Settled};

use super::notes::db_time;
use super::{Store, StoreError};

/// The actor's private key, as PEM: never printed, not even by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKeyPem(String);

impl PrivateKeyPem {
    pub fn new(pem: String) -> PrivateKeyPem {
        PrivateKeyPem(pem)
    }

    /// The PEM text, for the one place that turns it into a key.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKeyPem(…)")
    }
}

/// The actor's key pair as kept in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairPem {
    pub private: PrivateKeyPem,
    /// SubjectPublicKeyInfo PEM, as `publicKeyPem` carries it.
    pub public: String,
}

impl Store {
    /// The actor's key pair, if one was made.
    pub async fn activitypub_key(&self) -> Result<Option<KeyPairPem>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT private_key_pem, public_key_pem FROM activitypub_key WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(private, public)| KeyPairPem {
            private: PrivateKeyPem(private),
            public,
        }))
    }

    /// Keeps `made` as the actor's key pair unless one is kept already
    /// (another process made one first), and returns the one kept.
    pub async fn keep_activitypub_key(&self, made: KeyPairPem) -> Result<KeyPairPem, StoreError> {
        let mut tx = self.write_lock().await?;
        sqlx::query(
            "INSERT OR IGNORE INTO activitypub_key (id, private_key_pem, public_key_pem, created_at)
             VALUES (1, ?, ?, ?)",
        )
        .bind(made.private.expose())
        .bind(&made.public)
        .bind(db_time(self.now()))
        .execute(&mut *tx)
        .await?;
        let (private, public): (String, String) = sqlx::query_as(
            "SELECT private_key_pem, public_key_pem FROM activitypub_key WHERE id = 1",
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(KeyPairPem {
            private: PrivateKeyPem(private),
            public,
        })
    }
}
