//! What every handler shares: settings, the store, and the cache of
//! rendered responses, which is valid for one revision of the notes.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use actix_web::http::header::HeaderValue;

use super::WebError;
use super::conditional::Cached;
use crate::config::Settings;
use crate::render::FeedFormat;
use crate::store::{DamagedNote, DataVersion, DatabaseProbe, Store};

/// How often the server looks for changes made by other processes (the CLI).
pub const CHANGE_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Images decoded at once. Each may take hundreds of megabytes and a
/// core for a second or more; the rest wait their turn.
const IMAGE_WORKERS: usize = 2;

/// Rendered pages kept in memory, by total body size.
const PAGE_CACHE_BYTES: u64 = 4 * 1024 * 1024;

pub struct AppState {
    pub settings: Settings,
    pub store: Store,
    pub cache: RenderCache,
    /// For the feeds, the sitemap and robots.txt (FEED_CACHE_SECONDS).
    pub feed_cache_control: HeaderValue,
    pub health: HealthState,
    /// Outbound HTTP and the rate limit for signing in.
    pub sign_in: super::SignInServices,
    /// Turns to decode an uploaded image.
    pub image_work: tokio::sync::Semaphore,
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
        AppState {
            settings,
            store,
            cache: RenderCache::new(version),
            feed_cache_control,
            health: HealthState::new(database_probe),
            sign_in,
            image_work: tokio::sync::Semaphore::new(IMAGE_WORKERS),
            changes: tokio::sync::watch::Sender::new(0),
            refresh: tokio::sync::Mutex::new(()),
            damage_logged: Mutex::new((0, HashSet::new())),
        }
    }

    /// Reads the data version now, so a change made by this process shows
    /// on the very next request instead of at the next poll.
    pub async fn refresh_revision(&self) -> Result<Observed, crate::store::StoreError> {
        let _turn = self.refresh.lock().await;
        let state = self.store.site_state().await?;
        let observed = self.cache.observe(state.version);
        if observed != Observed::Unchanged {
            self.changes.send_modify(|count| *count += 1);
        }
        Ok(observed)
    }

    /// Wakes its holder at the next change of the data (`changed()`); any
    /// number of changes while it is busy wake it once.
    pub fn watch_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// A feed, the sitemap or robots.txt: from the cache if rendered in the
    /// current epoch, else rendered now and kept. Errors (a part of the
    /// sitemap that does not exist) are never kept.
    pub async fn document<F, Fut>(
        &self,
        key: DocumentKey,
        render: F,
    ) -> Result<Arc<Versioned>, WebError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Cached, WebError>>,
    {
        if let Some(hit) = self.cache.document(&key) {
            return Ok(hit);
        }
        let epoch = self.cache.epoch();
        let fresh = Arc::new(Versioned {
            epoch,
            response: render().await?,
        });
        self.cache.store_document(key, fresh.clone());
        Ok(fresh)
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

/// What [`RenderCache::observe`] concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    Unchanged,
    /// The notes changed: newer pages are rendered on demand.
    Changed,
    /// The database was replaced (another identity, or its revision went
    /// down): every cached page was dropped at once.
    Replaced,
}

/// Responses rendered from one version of the data. Each is labelled with
/// the cache's epoch when its rendering started; the epoch goes up on every
/// change of the data version, so an entry made before a change is never
/// served after it, and epochs never repeat (unlike revisions of a
/// replaced database).
pub struct RenderCache {
    epoch: AtomicU64,
    seen: Mutex<DataVersion>,
    documents: RwLock<Documents>,
    pages: quick_cache::sync::Cache<String, Arc<Versioned>, BodyWeight>,
}

/// The feeds, the sitemap and robots.txt. Kept apart from the pages: they
/// are few, fetched by machines on a schedule, and a crawl through many
/// pages must never evict them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocumentKey {
    /// The site's feed in one format.
    Feed(FeedFormat),
    /// `/sitemap.xml`: every URL, or the index of the parts.
    Sitemap,
    /// `/sitemap-{n}.xml`, from 1.
    SitemapPart(usize),
    Robots,
}

/// The documents of one epoch; a document of a newer epoch replaces them
/// all, so what is kept never grows past one epoch's worth.
#[derive(Default)]
struct Documents {
    epoch: u64,
    entries: HashMap<DocumentKey, Arc<Versioned>>,
}

/// A cached response and the epoch it was rendered in.
pub struct Versioned {
    pub epoch: u64,
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
    fn new(version: DataVersion) -> RenderCache {
        RenderCache {
            epoch: AtomicU64::new(1),
            seen: Mutex::new(version),
            documents: RwLock::new(Documents::default()),
            pages: quick_cache::sync::Cache::with_weighter(1024, PAGE_CACHE_BYTES, BodyWeight),
        }
    }

    /// The current epoch: read it before rendering, and label the result.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Takes note of the data version just read from the database.
    pub fn observe(&self, version: DataVersion) -> Observed {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *seen == version {
            return Observed::Unchanged;
        }
        let replaced = seen.database_id != version.database_id || version.revision < seen.revision;
        *seen = version;
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if !replaced {
            return Observed::Changed;
        }
        self.pages.clear();
        *self
            .documents
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Documents::default();
        Observed::Replaced
    }

    /// A feed, the sitemap or robots.txt, if rendered in the current epoch.
    pub fn document(&self, key: &DocumentKey) -> Option<Arc<Versioned>> {
        let current = self.epoch();
        let documents = self
            .documents
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if documents.epoch != current {
            return None;
        }
        documents.entries.get(key).cloned()
    }

    /// Keeps a document, unless one of a later epoch is already kept (its
    /// rendering started before a change, and it is stale).
    pub fn store_document(&self, key: DocumentKey, document: Arc<Versioned>) {
        let mut documents = self
            .documents
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if document.epoch > documents.epoch {
            *documents = Documents {
                epoch: document.epoch,
                entries: HashMap::new(),
            };
        }
        if document.epoch == documents.epoch {
            documents.entries.insert(key, document);
        }
    }

    /// A page, if rendered in the current epoch.
    pub fn page(&self, key: &str) -> Option<Arc<Versioned>> {
        let current = self.epoch();
        self.pages.get(key).filter(|p| p.epoch == current)
    }

    pub fn store_page(&self, key: String, page: Arc<Versioned>) {
        self.pages.insert(key, page);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(id: &str, revision: i64) -> DataVersion {
        DataVersion {
            database_id: id.into(),
            revision,
        }
    }

    fn entry(cache: &RenderCache) -> Arc<Versioned> {
        Arc::new(Versioned {
            epoch: cache.epoch(),
            response: Cached::new("page", chrono::Utc::now(), "text/html"),
        })
    }

    fn documents() -> Vec<DocumentKey> {
        let mut keys: Vec<_> = FeedFormat::ALL.map(DocumentKey::Feed).into();
        keys.extend([
            DocumentKey::Sitemap,
            DocumentKey::SitemapPart(1),
            DocumentKey::Robots,
        ]);
        keys
    }

    #[test]
    fn documents_are_kept_per_epoch() {
        let cache = RenderCache::new(version("a", 1));
        let stale = entry(&cache);
        for key in documents() {
            cache.store_document(key.clone(), entry(&cache));
            assert!(cache.document(&key).is_some(), "{key:?}");
        }
        assert_eq!(cache.observe(version("a", 2)), Observed::Changed);
        assert!(documents().iter().all(|key| cache.document(key).is_none()));

        let fresh = entry(&cache);
        cache.store_document(DocumentKey::Sitemap, fresh.clone());
        assert_eq!(
            cache.documents.read().unwrap().entries.len(),
            1,
            "the older epoch's documents are dropped"
        );
        // Rendered before the change, stored after a newer one: not kept.
        cache.store_document(DocumentKey::Robots, stale);
        assert!(cache.document(&DocumentKey::Robots).is_none());
        assert!(Arc::ptr_eq(
            &cache.document(&DocumentKey::Sitemap).unwrap(),
            &fresh
        ));
    }

    #[test]
    fn a_change_retires_pages_and_a_replaced_database_drops_them() {
        let cache = RenderCache::new(version("a", 5));
        cache.store_page("home".into(), entry(&cache));
        assert!(cache.page("home").is_some());
        assert_eq!(cache.observe(version("a", 5)), Observed::Unchanged);
        assert!(cache.page("home").is_some());

        assert_eq!(cache.observe(version("a", 6)), Observed::Changed);
        assert!(cache.page("home").is_none(), "rendered before the change");

        cache.store_page("home".into(), entry(&cache));
        for key in documents() {
            cache.store_document(key, entry(&cache));
        }
        assert_eq!(cache.observe(version("a", 2)), Observed::Replaced);
        assert!(cache.page("home").is_none());
        assert!(documents().iter().all(|key| cache.document(key).is_none()));
        assert_eq!(cache.pages.len(), 0, "dropped at once, not left to age");
        assert!(cache.documents.read().unwrap().entries.is_empty());

        cache.store_page("home".into(), entry(&cache));
        assert_eq!(cache.observe(version("b", 2)), Observed::Replaced);
        assert_eq!(cache.pages.len(), 0);
    }
}
