//! Webmention (W3C Recommendation, 2017), both ways.
//!
//! Receiving: `POST /webmention` is checked at once ([`request`]), queued
//! in SQLite and answered `202 Accepted`; [`verify`] fetches each source in
//! the background under the site's outbound rules, reads it ([`source`])
//! and keeps what it says as a response to the note, moderated.
//!
//! Sending: [`send`] follows the log of note changes, works out which
//! pages each changed note must tell ([`targets`]), queues them in SQLite,
//! and delivers the queue with retries, discovering each page's endpoint
//! ([`discover`]). Neither ever holds up or fails the owner's change.

mod author;
mod discover;
mod request;
mod send;
mod source;
mod targets;
mod verify;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{Mutex, Notify};

use crate::config::{Settings, SiteSettings, WebmentionLimits};
use crate::metrics::QueueMetrics;
use crate::outbound::Outbound;
use crate::store::{MediaDir, NewMention, Queued, Store, StoreError};

pub use request::{MAX_URL_CHARS, note_slug};
pub use send::{deliver_queue, plan_from_changes};
pub use verify::verify_queue;

/// Its name in the log of note changes.
pub const CONSUMER: &str = "webmention";

/// How long a sender whose mention did not fit in the queue is asked to
/// wait.
const QUEUE_FULL_RETRY: Duration = Duration::from_secs(60);

/// Receiving and sending Webmentions: what the endpoint and the
/// background work share. Cheap to clone.
#[derive(Clone)]
pub struct Webmention {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    outbound: Outbound,
    site: SiteSettings,
    moderation: bool,
    media: MediaDir,
    limits: WebmentionLimits,
    /// Mentions per source host. In memory: a restart forgets it, which
    /// only lets a sender start a new burst; the queue, which is what
    /// costs, is bounded in SQLite and survives.
    per_host: DefaultKeyedRateLimiter<String>,
    verify_wake: Notify,
    plan_wake: Notify,
    send_wake: Notify,
    /// One planner at a time: two would both queue a version of a note
    /// that neither had seen planned.
    planning: Mutex<()>,
    /// The sending queue's failed attempts, for `/metrics`.
    metrics: QueueMetrics,
}

/// Why a Webmention was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The sender's mistake (400): the message says which.
    #[error("{0}")]
    Invalid(String),
    /// Webmentions from this host are not taken (403).
    #[error("Webmentions from {0} are not accepted here")]
    Blocked(String),
    /// Too many from one host, or the queue is full (429).
    #[error("{message}")]
    TooMany {
        message: String,
        retry_after: Duration,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Webmention {
    pub fn new(
        settings: &Settings,
        store: Store,
        outbound: Outbound,
        metrics: QueueMetrics,
    ) -> Webmention {
        let limits = settings.webmention.clone();
        let per_hour = NonZeroU32::new(limits.per_host_per_hour.max(1)).expect("at least one");
        Webmention {
            inner: Arc::new(Inner {
                store,
                outbound,
                site: settings.site.clone(),
                moderation: settings.social.moderation,
                media: MediaDir::in_data(&settings.data_path),
                limits,
                per_host: RateLimiter::keyed(Quota::per_hour(per_hour)),
                verify_wake: Notify::new(),
                plan_wake: Notify::new(),
                send_wake: Notify::new(),
                planning: Mutex::new(()),
                metrics,
            }),
        }
    }

    /// Takes a Webmention: checked at once, then queued for verification.
    pub async fn receive(&self, source: &str, target: &str) -> Result<(), Refusal> {
        let inner = &self.inner;
        let mention = request::check(&inner.site.url, source, target).map_err(Refusal::Invalid)?;
        let note_id = match inner.store.find(&mention.slug).await? {
            Some(note) if note.is_shown_at(inner.store.now()) => note.id,
            Some(note) if note.deleted_at.is_some() => {
                return Err(Refusal::Invalid(format!(
                    "`target` {} was deleted",
                    mention.target
                )));
            }
            _ => {
                return Err(Refusal::Invalid(format!(
                    "`target` {} is not a published note of this site",
                    mention.target
                )));
            }
        };
        let host = mention.source_host();
        if inner.store.is_blocked(&host).await? {
            return Err(Refusal::Blocked(host));
        }
        if let Err(not_until) = inner.per_host.check_key(&host) {
            let wait = not_until.wait_time_from(inner.per_host.clock().now());
            return Err(Refusal::TooMany {
                message: format!(
                    "{host} sent more than {} Webmentions in the last hour; try again in {} s",
                    inner.limits.per_host_per_hour,
                    wait.as_secs().max(1)
                ),
                retry_after: wait,
            });
        }
        let queued = inner
            .store
            .queue_mention(
                &NewMention {
                    source: mention.source.to_string(),
                    target: mention.target.clone(),
                    note_id,
                    source_host: host,
                },
                inner.limits.queue,
            )
            .await?;
        if queued == Queued::Full {
            return Err(Refusal::TooMany {
                message: format!(
                    "{} Webmentions are waiting to be verified, as many as this site keeps; \
                     try again in a minute",
                    inner.limits.queue
                ),
                retry_after: QUEUE_FULL_RETRY,
            });
        }
        inner.verify_wake.notify_one();
        Ok(())
    }

    /// Wakes the background work now: queued mentions are verified,
    /// changes not yet planned are planned and due Webmentions sent (after
    /// the clock moved, or a failure passed, in tests).
    pub fn wake(&self) {
        self.inner.verify_wake.notify_one();
        self.inner.plan_wake.notify_one();
        self.inner.send_wake.notify_one();
    }

    /// How many Webmentions wait to be sent (due now or later), for
    /// `/metrics`.
    pub async fn waiting_to_send(&self) -> Result<i64, StoreError> {
        self.inner.store.webmentions_waiting().await
    }

    /// Forgets hosts that sent nothing for a while (bounded memory).
    pub fn forget_idle_hosts(&self) {
        self.inner.per_host.retain_recent();
        self.inner.per_host.shrink_to_fit();
    }
}
