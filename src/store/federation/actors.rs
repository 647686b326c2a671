//! Actors of other servers whose signatures the site has checked: their
//! key, so it is fetched once rather than on every request, their inbox,
//! and what pages show of them.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::super::notes::db_time;
use super::super::{Store, StoreError};
use crate::domain::MediaPath;

/// Another server's actor, as its document said when last fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteActor {
    /// Its URL.
    pub id: String,
    /// The id of its key (`…#main-key`).
    pub key_id: String,
    pub public_key_pem: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    /// `preferredUsername`.
    pub username: Option<String>,
    pub name: Option<String>,
    /// Its profile page.
    pub url: Option<String>,
    /// Its picture, on its server.
    pub icon_url: Option<String>,
    /// The site's own copy of that picture.
    pub avatar: Option<MediaPath>,
    pub fetched_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct ActorRow {
    id: String,
    key_id: String,
    public_key_pem: String,
    inbox: String,
    shared_inbox: Option<String>,
    username: Option<String>,
    name: Option<String>,
    url: Option<String>,
    icon_url: Option<String>,
    avatar: Option<String>,
    fetched_at: DateTime<Utc>,
}

impl From<ActorRow> for RemoteActor {
    fn from(row: ActorRow) -> RemoteActor {
        RemoteActor {
            id: row.id,
            key_id: row.key_id,
            public_key_pem: row.public_key_pem,
            inbox: row.inbox,
            shared_inbox: row.shared_inbox,
            username: row.username,
            name: row.name,
            url: row.url,
            icon_url: row.icon_url,
            avatar: row.avatar.as_deref().and_then(MediaPath::parse),
            fetched_at: row.fetched_at,
        }
    }
}

const COLUMNS: &str = "id, key_id, public_key_pem, inbox, shared_inbox, username, name, url, \
     icon_url, avatar, fetched_at";

impl Store {
    /// The actor with this id, if the site has checked it before.
    pub async fn remote_actor(&self, id: &str) -> Result<Option<RemoteActor>, StoreError> {
        let row = sqlx::query_as::<_, ActorRow>(&format!(
            "SELECT {COLUMNS} FROM remote_actors WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(RemoteActor::from))
    }

    /// The actor whose key has this id, if the site has it.
    pub async fn remote_actor_by_key(
        &self,
        key_id: &str,
    ) -> Result<Option<RemoteActor>, StoreError> {
        let row = sqlx::query_as::<_, ActorRow>(&format!(
            "SELECT {COLUMNS} FROM remote_actors WHERE key_id = ? ORDER BY fetched_at DESC LIMIT 1"
        ))
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(RemoteActor::from))
    }

    /// Keeps what an actor's document said. The copy of its picture is
    /// kept while the picture's address stays the same.
    pub async fn keep_remote_actor(&self, actor: &RemoteActor) -> Result<(), StoreError> {
        let mut tx = self.write_lock().await?;
        sqlx::query(
            "INSERT INTO remote_actors (id, key_id, public_key_pem, inbox, shared_inbox, username,
                                        name, url, icon_url, avatar, fetched_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
             ON CONFLICT (id) DO UPDATE SET
                 key_id = excluded.key_id, public_key_pem = excluded.public_key_pem,
                 inbox = excluded.inbox, shared_inbox = excluded.shared_inbox,
                 username = excluded.username, name = excluded.name, url = excluded.url,
                 avatar = CASE WHEN icon_url IS excluded.icon_url THEN avatar END,
                 icon_url = excluded.icon_url, fetched_at = excluded.fetched_at",
        )
        .bind(&actor.id)
        .bind(&actor.key_id)
        .bind(&actor.public_key_pem)
        .bind(&actor.inbox)
        .bind(&actor.shared_inbox)
        .bind(&actor.username)
        .bind(&actor.name)
        .bind(&actor.url)
        .bind(&actor.icon_url)
        .bind(db_time(actor.fetched_at))
        .execute(&mut *tx)
        .await?;
        // A follower's server may have moved its inbox.
        sqlx::query("UPDATE followers SET inbox = ?, shared_inbox = ? WHERE actor = ?")
            .bind(&actor.inbox)
            .bind(&actor.shared_inbox)
            .bind(&actor.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the site's copy of an actor's picture.
    pub async fn set_actor_avatar(&self, id: &str, avatar: &MediaPath) -> Result<(), StoreError> {
        let mut tx = self.write_lock().await?;
        sqlx::query("UPDATE remote_actors SET avatar = ? WHERE id = ?")
            .bind(avatar.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets an actor (it was deleted on its server).
    pub async fn forget_remote_actor(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_lock().await?;
        sqlx::query("DELETE FROM remote_actors WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets actors last checked before `before` that do not follow the
    /// site (it fetches them again if they write again); how many.
    pub async fn forget_idle_remote_actors(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_lock().await?;
        let forgotten = sqlx::query(
            "DELETE FROM remote_actors WHERE fetched_at < ?
               AND id NOT IN (SELECT actor FROM followers)",
        )
        .bind(db_time(before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(forgotten)
    }
}
