//! The render cache: every public page and feed is rendered once per
//! change of the data and served from memory, by one helper
//! ([`AppState::serve_cached`]) for every cached address.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use actix_web::http::header::HeaderValue;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use super::compress::Compressor;
use super::conditional::{Cached, ServingSince};
use super::{AppState, WebError};
use crate::render::FeedFormat;
use crate::store::DataVersion;

/// Rendered pages kept in memory, by total size of their bodies in every
/// coding.
const PAGE_CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// Every response the cache keeps, by what it shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// `/` and `/?page=N`.
    Home {
        page: u64,
    },
    /// `/note/{slug}`.
    Note(String),
    /// `/tags`.
    Tags,
    /// `/tag/{key}` and its `?page=N`.
    Tag {
        key: String,
        page: u64,
    },
    /// `/tag/{key}/feed.{xml,atom,json}`.
    TagFeed {
        key: String,
        format: FeedFormat,
    },
    /// The site's feed in one format.
    Feed(FeedFormat),
    /// `/sitemap.xml`: every URL, or the index of the parts.
    Sitemap,
    /// `/sitemap-{n}.xml`, from 1.
    SitemapPart(usize),
    Robots,
    /// `/note/{slug}` as an ActivityPub object: its other representation.
    NoteObject(String),
    /// The fediverse actor.
    Actor,
    /// The actor's outbox: the collection (page 0) or one of its pages.
    Outbox {
        page: u64,
    },
}

impl CacheKey {
    /// The feeds, the sitemap (or its index) and robots.txt are few,
    /// fetched by machines on a schedule, and kept apart from the pages: a
    /// crawl through many pages must never evict them. A large site's
    /// sitemap parts are as many as its notes allow, so they are kept with
    /// the pages, within the same bound.
    fn is_document(&self) -> bool {
        matches!(
            self,
            CacheKey::Feed(_) | CacheKey::Sitemap | CacheKey::Robots
        )
    }

    /// Pages change whenever a note does, so browsers check back each time
    /// (a cheap 304 when nothing changed); feeds and the like are polled,
    /// and may be kept for FEED_CACHE_SECONDS.
    fn is_page(&self) -> bool {
        matches!(
            self,
            CacheKey::Home { .. }
                | CacheKey::Note(_)
                | CacheKey::Tags
                | CacheKey::Tag { .. }
                | CacheKey::NoteObject(_)
                | CacheKey::Actor
                | CacheKey::Outbox { .. }
        )
    }

    fn weight(&self) -> u64 {
        let text = match self {
            CacheKey::Note(text) | CacheKey::NoteObject(text) | CacheKey::Tag { key: text, .. } => {
                text.len()
            }
            CacheKey::TagFeed { key, .. } => key.len(),
            _ => 0,
        };
        (std::mem::size_of::<CacheKey>() + text) as u64
    }
}

/// What a renderer makes: the bytes, when what they show last changed,
/// and their type.
pub struct Rendered {
    pub body: Bytes,
    pub modified: DateTime<Utc>,
    pub content_type: &'static str,
}

impl Rendered {
    pub fn new(
        body: impl Into<Vec<u8>>,
        modified: DateTime<Utc>,
        content_type: &'static str,
    ) -> Rendered {
        Rendered {
            body: exact(body.into()),
            modified,
            content_type,
        }
    }
}

/// `body` in an allocation of its own size. A body is kept for as long as
/// it is current, and one rendered into a growing buffer ends with up to
/// twice the room it needs, room the cache's byte budget would not count.
pub fn exact(mut body: Vec<u8>) -> Bytes {
    body.shrink_to_fit();
    Bytes::from(body)
}

impl AppState {
    /// Answers from the cache, or renders, keeps and answers. `render`
    /// gives `None` for something that does not exist (never kept: a crawl
    /// of made-up addresses fills nothing).
    pub async fn serve_cached<F, Fut>(
        &self,
        req: &HttpRequest,
        key: CacheKey,
        render: F,
    ) -> Result<HttpResponse, WebError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<Rendered>, WebError>>,
    {
        let cache_control = if key.is_page() {
            HeaderValue::from_static("no-cache")
        } else {
            self.feed_cache_control.clone()
        };
        let cached = match self.cache.get(&key) {
            Some(hit) => {
                if let Some(metrics) = &self.metrics {
                    metrics.cache_hit();
                }
                hit
            }
            None => {
                let epoch = self.cache.epoch();
                let since = self.cache.serving_since();
                let started = std::time::Instant::now();
                let rendered = render().await;
                if let Some(metrics) = &self.metrics {
                    metrics.rendered(started.elapsed().as_secs_f64());
                }
                let rendered = rendered?.ok_or(WebError::NotFound)?;
                let fresh = Arc::new(Versioned::new(
                    epoch,
                    Cached::new(
                        rendered.body,
                        rendered.modified,
                        since,
                        rendered.content_type,
                    ),
                ));
                self.cache.keep(key.clone(), fresh.clone());
                fresh
            }
        };
        self.cache.compress_later(key, &cached);
        Ok(cached
            .response
            .respond(req, &cache_control, self.store.now()))
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
    seen: Mutex<DataVersion>,
    /// The earliest `Last-Modified`: after this server started, or after
    /// its database was last replaced.
    since: Mutex<ServingSince>,
    entries: Arc<Entries>,
    compressor: Compressor,
}

/// What the cache keeps, shared with the compressing thread.
struct Entries {
    epoch: AtomicU64,
    documents: RwLock<Documents>,
    pages: quick_cache::sync::Cache<CacheKey, Arc<Versioned>, BodyWeight>,
}

/// The documents of one epoch; a document of a newer epoch replaces them
/// all, so what is kept never grows past one epoch's worth.
#[derive(Default)]
struct Documents {
    epoch: u64,
    entries: HashMap<CacheKey, Arc<Versioned>>,
}

/// A cached response and the epoch it was rendered in.
pub struct Versioned {
    pub epoch: u64,
    pub response: Cached,
    /// Whether its compression was queued (so it is queued once).
    queued: AtomicBool,
}

impl Versioned {
    pub fn new(epoch: u64, response: Cached) -> Versioned {
        Versioned {
            epoch,
            response,
            queued: AtomicBool::new(false),
        }
    }
}

#[derive(Clone)]
pub struct BodyWeight;

impl quick_cache::Weighter<CacheKey, Arc<Versioned>> for BodyWeight {
    fn weight(&self, key: &CacheKey, value: &Arc<Versioned>) -> u64 {
        key.weight() + value.response.weight()
    }
}

impl RenderCache {
    pub fn new(version: DataVersion, now: DateTime<Utc>) -> RenderCache {
        RenderCache {
            seen: Mutex::new(version),
            since: Mutex::new(ServingSince::after(now)),
            entries: Arc::new(Entries {
                epoch: AtomicU64::new(1),
                documents: RwLock::new(Documents::default()),
                pages: quick_cache::sync::Cache::with_weighter(1024, PAGE_CACHE_BYTES, BodyWeight),
            }),
            compressor: Compressor::start(),
        }
    }

    /// The current epoch: read it before rendering, and label the result.
    pub fn epoch(&self) -> u64 {
        self.entries.epoch()
    }

    /// The thread that compresses, for other bodies made once (the
    /// stylesheet).
    pub fn compressor(&self) -> &Compressor {
        &self.compressor
    }

    pub fn serving_since(&self) -> ServingSince {
        *self.since.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes note of the data version just read from the database at `now`.
    pub fn observe(&self, version: DataVersion, now: DateTime<Utc>) -> Observed {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if *seen == version {
            return Observed::Unchanged;
        }
        let replaced = seen.database_id != version.database_id || version.revision < seen.revision;
        *seen = version;
        if replaced {
            // Another database's dates say nothing about what was served.
            *self.since.lock().unwrap_or_else(|p| p.into_inner()) = ServingSince::after(now);
        }
        self.entries.epoch.fetch_add(1, Ordering::AcqRel);
        if !replaced {
            return Observed::Changed;
        }
        self.entries.pages.clear();
        *self
            .entries
            .documents
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Documents::default();
        Observed::Replaced
    }

    /// A response rendered in the current epoch.
    pub fn get(&self, key: &CacheKey) -> Option<Arc<Versioned>> {
        self.entries.get(key)
    }

    /// Keeps a response, unless it is already stale: a document of a later
    /// epoch is kept (its rendering started before a change).
    pub fn keep(&self, key: CacheKey, entry: Arc<Versioned>) {
        self.entries.keep(key, entry);
    }

    /// Has the compressing thread make `entry`'s compressed forms and put
    /// them in its place, if it has none and is not queued yet. When the
    /// queue is full it is left as it is, and offered again when next
    /// served.
    pub fn compress_later(&self, key: CacheKey, entry: &Arc<Versioned>) {
        if !entry.response.needs_compression() || entry.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let entries = self.entries.clone();
        let entry_for_job = entry.clone();
        let offered = self.compressor.offer(Box::new(move || {
            let entry = entry_for_job;
            // Replaced or dropped while it waited: not worth the work.
            if !entries.holds(&key, &entry) {
                return;
            }
            let compressed = Versioned::new(entry.epoch, entry.response.compressed());
            compressed.queued.store(true, Ordering::Release);
            entries.replace(key, &entry, Arc::new(compressed));
        }));
        if !offered {
            entry.queued.store(false, Ordering::Release);
        }
    }
}

impl Entries {
    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn get(&self, key: &CacheKey) -> Option<Arc<Versioned>> {
        let current = self.epoch();
        if !key.is_document() {
            return self.pages.get(key).filter(|p| p.epoch == current);
        }
        let documents = self.documents.read().unwrap_or_else(|p| p.into_inner());
        if documents.epoch != current {
            return None;
        }
        documents.entries.get(key).cloned()
    }

    fn keep(&self, key: CacheKey, entry: Arc<Versioned>) {
        if !key.is_document() {
            self.pages.insert(key, entry);
            return;
        }
        let mut documents = self.documents.write().unwrap_or_else(|p| p.into_inner());
        if entry.epoch > documents.epoch {
            *documents = Documents {
                epoch: entry.epoch,
                entries: HashMap::new(),
            };
        }
        if entry.epoch == documents.epoch {
            documents.entries.insert(key, entry);
        }
    }

    /// Whether `entry` is what is kept for `key`.
    fn holds(&self, key: &CacheKey, entry: &Arc<Versioned>) -> bool {
        self.get(key).is_some_and(|kept| Arc::ptr_eq(&kept, entry))
    }

    /// Puts `new` in the place of `old`, if `old` is still kept for `key`.
    fn replace(&self, key: CacheKey, old: &Arc<Versioned>, new: Arc<Versioned>) {
        if !key.is_document() {
            // Another thread may keep a page between the look and the
            // insert; it is then overwritten with one of the same epoch
            // (the same bytes) or an older one, which `get` skips.
            if self.holds(&key, old) {
                self.pages.insert(key, new);
            }
            return;
        }
        let mut documents = self.documents.write().unwrap_or_else(|p| p.into_inner());
        if documents
            .entries
            .get(&key)
            .is_some_and(|kept| Arc::ptr_eq(kept, old))
        {
            documents.entries.insert(key, new);
        }
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

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn entry(cache: &RenderCache) -> Arc<Versioned> {
        Arc::new(Versioned::new(
            cache.epoch(),
            Cached::new("page", now(), cache.serving_since(), "text/html"),
        ))
    }

    fn documents() -> Vec<CacheKey> {
        let mut keys: Vec<_> = FeedFormat::ALL.map(CacheKey::Feed).into();
        keys.extend([
            CacheKey::Sitemap,
            CacheKey::SitemapPart(1),
            CacheKey::Robots,
        ]);
        keys
    }

    const HOME: CacheKey = CacheKey::Home { page: 1 };

    #[test]
    fn documents_are_kept_per_epoch() {
        let cache = RenderCache::new(version("a", 1), now());
        let stale = entry(&cache);
        for key in documents() {
            cache.keep(key.clone(), entry(&cache));
            assert!(cache.get(&key).is_some(), "{key:?}");
        }
        assert_eq!(cache.observe(version("a", 2), now()), Observed::Changed);
        assert!(documents().iter().all(|key| cache.get(key).is_none()));

        let fresh = entry(&cache);
        cache.keep(CacheKey::Sitemap, fresh.clone());
        assert_eq!(
            cache.entries.documents.read().unwrap().entries.len(),
            1,
            "the older epoch's documents are dropped"
        );
        // Rendered before the change, kept after a newer one: not kept.
        cache.keep(CacheKey::Robots, stale);
        assert!(cache.get(&CacheKey::Robots).is_none());
        assert!(Arc::ptr_eq(&cache.get(&CacheKey::Sitemap).unwrap(), &fresh));
    }

    #[test]
    fn a_change_retires_pages_and_a_replaced_database_drops_them() {
        let cache = RenderCache::new(version("a", 5), now());
        cache.keep(HOME, entry(&cache));
        assert!(cache.get(&HOME).is_some());
        assert_eq!(cache.observe(version("a", 5), now()), Observed::Unchanged);
        assert!(cache.get(&HOME).is_some());

        assert_eq!(cache.observe(version("a", 6), now()), Observed::Changed);
        assert!(cache.get(&HOME).is_none(), "rendered before the change");

        cache.keep(HOME, entry(&cache));
        for key in documents() {
            cache.keep(key, entry(&cache));
        }
        assert_eq!(cache.observe(version("a", 2), now()), Observed::Replaced);
        assert!(cache.get(&HOME).is_none());
        assert!(documents().iter().all(|key| cache.get(key).is_none()));
        assert_eq!(
            cache.entries.pages.len(),
            0,
            "dropped at once, not left to age"
        );
        assert!(cache.entries.documents.read().unwrap().entries.is_empty());

        cache.keep(HOME, entry(&cache));
        assert_eq!(cache.observe(version("b", 2), now()), Observed::Replaced);
        assert_eq!(cache.entries.pages.len(), 0);
    }

    #[test]
    fn a_replaced_database_is_served_since_a_later_second() {
        let cache = RenderCache::new(version("a", 5), now());
        let before = cache.serving_since();
        let later = now() + chrono::TimeDelta::seconds(30);
        assert_eq!(cache.observe(version("a", 6), later), Observed::Changed);
        assert_eq!(
            cache.serving_since(),
            before,
            "a change is dated by the data"
        );
        assert_eq!(cache.observe(version("b", 1), later), Observed::Replaced);
        assert_eq!(cache.serving_since(), ServingSince::after(later));
    }

    fn large_entry(cache: &RenderCache) -> Arc<Versioned> {
        let body = "<p>A page about the garden.</p>\n".repeat(100);
        Arc::new(Versioned::new(
            cache.epoch(),
            Cached::new(body, now(), cache.serving_since(), "text/html"),
        ))
    }

    #[test]
    fn served_bodies_are_compressed_once_and_weighed_whole() {
        let cache = RenderCache::new(version("a", 1), now());
        for key in [HOME, CacheKey::Feed(FeedFormat::Rss)] {
            let entry = large_entry(&cache);
            cache.keep(key.clone(), entry.clone());
            cache.compress_later(key.clone(), &entry);
            cache.compress_later(key.clone(), &entry);
            cache.compressor.settle();
            let kept = cache.get(&key).unwrap();
            assert!(!Arc::ptr_eq(&kept, &entry), "{key:?}: replaced");
            assert!(!kept.response.needs_compression());
            assert_eq!(kept.response.body(), entry.response.body());
            assert!(kept.response.weight() > entry.response.weight());
            let weight = quick_cache::Weighter::weight(&BodyWeight, &key, &kept);
            assert_eq!(weight, key.weight() + kept.response.weight());
        }
    }

    #[test]
    fn a_compression_never_replaces_what_was_kept_since() {
        let cache = RenderCache::new(version("a", 1), now());
        for key in [HOME, CacheKey::Robots] {
            let (gate, wait) = std::sync::mpsc::sync_channel::<()>(0);
            assert!(cache.compressor.offer(Box::new(move || {
                let _ = wait.recv();
            })));
            let old = large_entry(&cache);
            cache.keep(key.clone(), old.clone());
            cache.compress_later(key.clone(), &old);
            let newer = large_entry(&cache);
            cache.keep(key.clone(), newer.clone());
            drop(gate);
            cache.compressor.settle();
            assert!(Arc::ptr_eq(&cache.get(&key).unwrap(), &newer), "{key:?}");
        }
    }
}
