//! What every handler shares: settings, the store, and the cache of
//! rendered responses, which is valid for one revision of the notes.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix_web::http::header::HeaderValue;

use super::conditional::Cached;
use crate::config::Settings;
use crate::store::Store;

/// How often the server looks for changes made by other processes (the CLI).
pub const CHANGE_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Rendered pages kept in memory, by total body size.
const PAGE_CACHE_BYTES: u64 = 4 * 1024 * 1024;

pub struct AppState {
    pub settings: Settings,
    pub store: Store,
    pub cache: RenderCache,
    pub feed_cache_control: HeaderValue,
}

impl AppState {
    pub fn new(settings: Settings, store: Store, revision: i64) -> AppState {
        let feed_cache_control =
            HeaderValue::from_str(&format!("public, max-age={}", settings.feed_cache_seconds))
                .expect("a number makes a valid header value");
        AppState {
            settings,
            store,
            cache: RenderCache::new(revision),
            feed_cache_control,
        }
    }

    /// Reads the notes' revision now, so a change made by this process shows
    /// on the very next request instead of at the next poll.
    pub async fn refresh_revision(&self) -> Result<(), crate::store::StoreError> {
        let state = self.store.site_state().await?;
        self.cache.set_revision(state.revision);
        Ok(())
    }
}

/// Responses rendered for a given revision of the notes. An entry made for
/// an older revision is never served.
pub struct RenderCache {
    revision: AtomicI64,
    feed: RwLock<Option<Arc<Versioned>>>,
    pages: quick_cache::sync::Cache<String, Arc<Versioned>, BodyWeight>,
}

/// A cached response and the revision it was rendered from.
pub struct Versioned {
    pub revision: i64,
    pub response: Cached,
}

#[derive(Clone)]
pub struct BodyWeight;

impl quick_cache::Weighter<String, Arc<Versioned>> for BodyWeight {
    fn weight(&self, key: &String, value: &Arc<Versioned>) -> u64 {
        (key.len() + value.response.body.len()) as u64
    }
}

impl RenderCache {
    fn new(revision: i64) -> RenderCache {
        RenderCache {
            revision: AtomicI64::new(revision),
            feed: RwLock::new(None),
            pages: quick_cache::sync::Cache::with_weighter(1024, PAGE_CACHE_BYTES, BodyWeight),
        }
    }

    pub fn revision(&self) -> i64 {
        self.revision.load(Ordering::Acquire)
    }

    pub fn set_revision(&self, revision: i64) {
        self.revision.fetch_max(revision, Ordering::AcqRel);
    }

    /// The feed, if rendered for the current revision.
    pub fn feed(&self) -> Option<Arc<Versioned>> {
        let current = self.revision();
        let slot = self
            .feed
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        slot.as_ref().filter(|f| f.revision == current).cloned()
    }

    pub fn store_feed(&self, feed: Arc<Versioned>) {
        let mut slot = self
            .feed
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot
            .as_ref()
            .is_none_or(|old| old.revision <= feed.revision)
        {
            *slot = Some(feed);
        }
    }

    /// A page, if rendered for the current revision.
    pub fn page(&self, key: &str) -> Option<Arc<Versioned>> {
        let current = self.revision();
        self.pages.get(key).filter(|p| p.revision == current)
    }

    pub fn store_page(&self, key: String, page: Arc<Versioned>) {
        self.pages.insert(key, page);
    }
}
