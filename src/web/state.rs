//! What every handler shares: settings, the store, and the cache of
//! rendered responses, which is valid for one revision of the notes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use actix_web::http::header::HeaderValue;

use super::assets::Asset;
use super::cache::{Observed, RenderCache};
use super::conditional::Cached;
use crate::config::Settings;
use crate::outbound::{AddressPolicy, Outbound, OutboundRules};
use crate::store::{DamagedNote, DataVersion, DatabaseProbe, Store};

/// How often the server looks for changes made by other processes (the CLI).
pub const CHANGE_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Images decoded at once. Each may take hundreds of megabytes and a
/// core for a second or more; the rest wait their turn.
const IMAGE_WORKERS: usize = 2;

pub struct AppState {
    pub settings: Settings,
    pub store: Store,
    pub cache: RenderCache,
    pub stylesheet: Arc<Asset>,
    /// The editor's script.
    pub editor_script: Arc<Asset>,
    /// For the feeds, the sitemap and robots.txt (FEED_CACHE_SECONDS).
    pub feed_cache_control: HeaderValue,
    pub health: HealthState,
    /// Outbound HTTP and the rate limit for signing in.
    pub sign_in: super::SignInServices,
    /// What Prometheus reads, when METRICS_ADDR is set.
    pub metrics: Option<crate::metrics::Metrics>,
    /// Requests to other sites that anyone can name (Webmention sources
    /// and targets, fediverse actors): public addresses only, bounded.
    pub outbound: Outbound,
    /// Turns to decode an uploaded image.
    pub image_work: tokio::sync::Semaphore,
    /// The site as a fediverse actor, when ACTIVITYPUB_USERNAME is set.
    pub federation: Option<std::sync::Arc<crate::activitypub::Federation>>,
    /// Webmentions received and sent.
    pub webmention: crate::webmention::Webmention,
    /// Counts the changes of the data seen, from this process or another;
    /// each background task watches it with its own receiver.
    changes: tokio::sync::watch::Sender<u64>,
    /// Serialises reading the data version and handing it to the cache, so
    /// an older reading never lands after a newer one (which would look like
    /// a replaced database).
    refresh: tokio::sync::Mutex<()>,
    /// Damaged notes already logged, for the current epoch.
    damage_logged: Mutex<(u64, HashSet<i64>)>,
}

impl AppState {
    pub fn new(
        settings: Settings,
        store: Store,
        version: DataVersion,
        database_probe: DatabaseProbe,
        sign_in: super::SignInServices,
    ) -> AppState {
        let feed_cache_control =
            HeaderValue::from_str(&format!("public, max-age={}", settings.feed_cache_seconds))
                .expect("a number makes a valid header value");
        let cache = RenderCache::new(version, store.now());
        let stylesheet = Asset::new(
            Cached::new(
                crate::render::css(),
                store.now(),
                cache.serving_since(),
                "text/css; charset=utf-8",
            ),
            cache.compressor(),
        );
        let editor_script = Asset::new(
            Cached::new(
                crate::render::editor_script(),
                store.now(),
                cache.serving_since(),
                "text/javascript; charset=utf-8",
            ),
            cache.compressor(),
        );
        let outbound = conversation_outbound(&settings);
        let metrics = settings
            .metrics_addr
            .map(|_| crate::metrics::Metrics::new());
        let webmention = crate::webmention::Webmention::new(
            &settings,
            store.clone(),
            outbound.clone(),
            queue_metrics(metrics.as_ref(), "webmention"),
        );
        AppState {
            webmention,
            metrics,
            outbound,
            settings,
            store,
            cache,
            stylesheet,
            editor_script,
            feed_cache_control,
            health: HealthState::new(database_probe),
            sign_in,
            image_work: tokio::sync::Semaphore::new(IMAGE_WORKERS),
            federation: None,
            changes: tokio::sync::watch::Sender::new(0),
            refresh: tokio::sync::Mutex::new(()),
            damage_logged: Mutex::new((0, HashSet::new())),
        }
    }

    /// The same state, federating as `federation` says.
    pub fn with_federation(
        mut self,
        federation: Option<crate::activitypub::Federation>,
    ) -> AppState {
        self.federation = federation.map(std::sync::Arc::new);
        self
    }

    /// Reads the data version now, so a change made by this process shows
    /// on the very next request instead of at the next poll.
    pub async fn refresh_revision(&self) -> Result<Observed, crate::store::StoreError> {
        let _turn = self.refresh.lock().await;
        let state = self.store.site_state().await?;
        let observed = self.cache.observe(state.version, self.store.now());
        if observed != Observed::Unchanged {
            self.changes.send_modify(|count| *count += 1);
        }
        Ok(observed)
    }

    /// The metrics of the outgoing queue `name`: read at `/metrics` when
    /// METRICS_ADDR is set, kept nowhere otherwise.
    pub fn queue_metrics(&self, name: &str) -> crate::metrics::QueueMetrics {
        self.metrics
            .as_ref()
            .map_or_else(crate::metrics::QueueMetrics::unread, |metrics| {
                metrics.queue(name)
            })
    }

    /// Wakes its holder at the next change of the data (`changed()`); any
    /// number of changes while it is busy wake it once.
    pub fn watch_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Logs each damaged note once per change of the data, not once per
    /// request or per page that leaves it out.
    pub fn report_damage(&self, damaged: &[DamagedNote]) {
        if damaged.is_empty() {
            return;
        }
        let epoch = self.cache.epoch();
        let mut logged = self
            .damage_logged
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if logged.0 != epoch {
            *logged = (epoch, HashSet::new());
        }
        for damage in damaged {
            if logged.1.insert(damage.note.id) {
                log::error!("{damage}; it is left out of pages and feeds (run `starpunk check`)");
            }
        }
    }
}

/// How long a request to another site may take, connecting included.
const CONVERSATION_TIMEOUT: Duration = Duration::from_secs(5);

/// The client for requests to addresses other sites name: https only in
/// production, public addresses only unless ALLOW_PRIVATE_ADDRESSES (tests
/// on one machine).
fn conversation_outbound(settings: &Settings) -> Outbound {
    let rules = OutboundRules {
        https_only: settings.environment == crate::config::Environment::Production,
        user_agent: format!(
            "StarPunk/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            settings.site.url
        ),
        timeout: CONVERSATION_TIMEOUT,
    };
    let policy = if settings.social.allow_private_addresses {
        AddressPolicy::Any
    } else {
        AddressPolicy::PublicOnly {
            also: settings.social.also_reachable.as_slice().into(),
        }
    };
    Outbound::new(rules).with_address_policy(policy)
}

/// What the background checks found, for `/health`.
pub struct HealthState {
    /// Answers `/health`'s database check, one query per request.
    pub database: DatabaseProbe,
    pub folders: super::health::FolderCheck,
    /// Damaged notes found by the last integrity scan; `None` before the
    /// first one finishes.
    damaged_notes: RwLock<Option<usize>>,
}

impl HealthState {
    fn new(database: DatabaseProbe) -> HealthState {
        HealthState {
            database,
            folders: Default::default(),
            damaged_notes: RwLock::new(None),
        }
    }

    pub fn damaged_notes(&self) -> Option<usize> {
        *self
            .damaged_notes
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn set_damaged_notes(&self, count: usize) {
        *self
            .damaged_notes
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(count);
    }
}

fn queue_metrics(
    metrics: Option<&crate::metrics::Metrics>,
    name: &str,
) -> crate::metrics::QueueMetrics {
    metrics.map_or_else(crate::metrics::QueueMetrics::unread, |metrics| {
        metrics.queue(name)
    })
}
