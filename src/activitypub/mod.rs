//! The site as one ActivityPub actor, `@username@host`: its key pair,
//! HTTP Signatures, the JSON of the actor and its notes, the inbox, and
//! the deliveries to followers' servers.

pub mod actors;
pub mod delivery;
pub mod fetch;
pub mod ids;
pub mod inbox;
pub mod keys;
pub mod objects;
pub mod reconcile;
pub mod signature;
pub mod verify;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::{ActivityPubSettings, Settings};
use crate::store::{Store, StoreError};
pub use ids::Ids;
pub use keys::{ActorKey, KeyError};

/// The consumer of the note change log that turns changes into deliveries.
pub const CHANGES_CONSUMER: &str = "activitypub";

/// Requests to the inbox allowed per client address: a burst of this
/// many, then as many again each minute. A busy server delivers a few a
/// second at most to a one-person site.
const INBOX_REQUESTS_PER_MINUTE: u32 = 300;

/// Key fetches under way at once: each waits on another server.
const KEY_FETCHES: usize = 4;

/// Federation, when it is on: the actor's settings, addresses and key.
pub struct Federation {
    pub settings: ActivityPubSettings,
    pub ids: Ids,
    key: ActorKey,
    /// Wakes the delivery loop when something was queued.
    deliveries: tokio::sync::Notify,
    /// Requests to the inbox, per client address.
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Turns to fetch another server's key.
    pub(crate) key_fetches: tokio::sync::Semaphore,
}

/// Why federation cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the fediverse key pair cannot be used")]
    Key(#[from] KeyError),
}

impl Federation {
    /// Federation as the settings want it: `None` when it is off.
    /// Otherwise the actor's key pair is read, or made and kept on the
    /// first start, and the note changes made so far are passed over (a
    /// site that turns federation on does not send its whole history).
    pub async fn start(
        settings: &Settings,
        store: &Store,
    ) -> Result<Option<Federation>, StartError> {
        let Some(ap) = &settings.activitypub else {
            return Ok(None);
        };
        let pem = match store.activitypub_key().await? {
            Some(pem) => pem,
            None => {
                let made = tokio::task::spawn_blocking(ActorKey::make)
                    .await
                    .map_err(StoreError::from)??;
                let kept = store.keep_activitypub_key(made).await?;
                log::info!("made the fediverse actor's key pair");
                kept
            }
        };
        let key = ActorKey::from_pem(&pem)?;
        store.start_cursor_at_end(CHANGES_CONSUMER).await?;
        let per_minute = NonZeroU32::new(INBOX_REQUESTS_PER_MINUTE).expect("not zero");
        Ok(Some(Federation {
            settings: ap.clone(),
            ids: Ids::new(&settings.site, ap),
            key,
            deliveries: tokio::sync::Notify::new(),
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            key_fetches: tokio::sync::Semaphore::new(KEY_FETCHES),
        }))
    }

    pub fn key(&self) -> &ActorKey {
        &self.key
    }

    /// Tells the delivery loop that something is queued.
    pub fn wake_deliveries(&self) {
        self.deliveries.notify_one();
    }

    /// Waits until [`Federation::wake_deliveries`] is called (once for any
    /// number of calls in between).
    pub async fn deliveries_woken(&self) {
        self.deliveries.notified().await;
    }

    /// Counts a request to the inbox from `ip`; `false` beyond the limit.
    pub fn admit(&self, ip: IpAddr) -> bool {
        self.limiter.check_key(&ip).is_ok()
    }

    /// Forgets clients of the inbox idle for a while (bounded memory).
    pub fn forget_idle_clients(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The work federation does in the background, when it is on: turning
/// note changes into deliveries, delivering, and tidying up.
pub fn spawn(state: Arc<crate::web::AppState>) -> Vec<tokio::task::JoinHandle<()>> {
    if state.federation.is_none() {
        return Vec::new();
    }
    vec![
        tokio::spawn(reconcile::follow_changes(state.clone())),
        tokio::spawn(delivery::deliver(state.clone())),
        tokio::spawn(delivery::tidy_up(state)),
    ]
}
