//! WebSub publishing: with `WEBSUB_HUB` set, the feeds name the hub, and
//! every change of the listed notes (from the server or from the CLI, as
//! the change poll sees it; a scheduled note when its date comes) tells the
//! hub that each of the three feeds changed, so subscribers hear of a new
//! note at once rather than at their next poll. Drafts, unlisted notes and
//! notes scheduled for later change no feed, and ping nothing.
//!
//! Pings go out in the background: a write never waits for the hub, and a
//! hub that is down or slow only costs a warning in the log. Bursts of
//! changes coalesce: one round of pings at a time, and one more after it
//! if anything changed meanwhile. A failed ping is not retried; the next
//! change pings again.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use url::Url;

use crate::config::{Environment, Settings};
use crate::error::error_chain;
use crate::metrics::QueueMetrics;
use crate::outbound::{Outbound, OutboundRules, shown_url};
use crate::render::{FeedFormat, site_feed_url};
use crate::store::Store;

/// For each ping: a hub answers at once and fetches the feed later.
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// Tells a WebSub hub about the site's feeds.
pub struct Publisher {
    outbound: Outbound,
    hub: Url,
    /// The feeds' URLs: the topics subscribers follow.
    topics: Vec<String>,
    /// Pings under way, and those the hub did not take.
    metrics: QueueMetrics,
}

impl Publisher {
    /// `None` when no hub is set.
    pub fn from_settings(settings: &Settings, metrics: QueueMetrics) -> Option<Publisher> {
        let hub = settings.websub_hub.clone()?;
        let outbound = Outbound::new(OutboundRules {
            https_only: settings.environment == Environment::Production,
            user_agent: format!(
                "StarPunk/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                settings.site.url
            ),
            timeout: PING_TIMEOUT,
        });
        let topics = FeedFormat::ALL
            .iter()
            .map(|&format| site_feed_url(&settings.site, format))
            .collect();
        Some(Publisher {
            outbound,
            hub,
            topics,
            metrics,
        })
    }

    /// Pings the hub for every feed, all at once; returns when each ping
    /// has been answered or has failed.
    async fn ping_all(self: &Arc<Self>) {
        let mut pings = tokio::task::JoinSet::new();
        for topic in self.topics.clone() {
            let publisher = self.clone();
            pings.spawn(async move { publisher.ping(&topic).await });
        }
        let mut waiting = self.topics.len();
        self.metrics.set_depth(waiting);
        while pings.join_next().await.is_some() {
            waiting -= 1;
            self.metrics.set_depth(waiting);
        }
    }

    /// `POST hub.mode=publish&hub.url=<topic>`; a hub takes a ping with a
    /// 2xx (usually 202 or 204).
    async fn ping(&self, topic: &str) {
        let form = [("hub.mode", "publish"), ("hub.url", topic)];
        match self.outbound.post_form(&self.hub, &form).await {
            Ok(status) if status.is_success() => log::debug!(
                "WebSub: {} answered {status} for {topic}",
                shown_url(&self.hub)
            ),
            Ok(status) => {
                self.metrics.failed();
                log::warn!(
                    "WebSub: {} refused the news that {topic} changed: {status}",
                    shown_url(&self.hub)
                );
            }
            Err(e) => {
                self.metrics.failed();
                log::warn!(
                    "WebSub: the hub was not told that {topic} changed: {}",
                    error_chain(&e)
                );
            }
        }
    }
}

/// Pings the hub after every change of the listed notes, until the server
/// stops.
pub async fn announce_changes(publisher: Publisher, store: Store, changes: watch::Receiver<u64>) {
    log::info!(
        "WebSub: {} will hear of every change to the feeds",
        shown_url(&publisher.hub)
    );
    let publisher = Arc::new(publisher);
    // What the feeds listed at the last round; rounds never overlap.
    let announced = Arc::new(std::sync::Mutex::new(store.listed_fingerprint().await.ok()));
    after_each_change(changes, || {
        let (publisher, store, announced) = (publisher.clone(), store.clone(), announced.clone());
        async move {
            // Unknown (the database is busy): ping, a ping too many harms
            // nobody.
            let listed = store.listed_fingerprint().await.ok();
            let unchanged = {
                let mut announced = announced.lock().unwrap_or_else(|e| e.into_inner());
                let unchanged = listed.is_some() && *announced == listed;
                *announced = listed;
                unchanged
            };
            if !unchanged {
                publisher.ping_all().await;
            }
        }
    })
    .await;
}

/// Runs `round` after each change seen on `changes`: never two at once,
/// and once more after a round if any number of changes came during it.
async fn after_each_change<F, Fut>(mut changes: watch::Receiver<u64>, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    // `changed` marks the value seen as it returns, so changes made while
    // `round` runs make it return at once, a single time.
    while changes.changed().await.is_ok() {
        round().await;
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::{Semaphore, mpsc};

    use super::*;

    #[tokio::test]
    async fn changes_during_a_round_make_exactly_one_more() {
        let (sender, receiver) = watch::channel(0u64);
        let (started, mut rounds) = mpsc::unbounded_channel();
        let release = Arc::new(Semaphore::new(0));
        let gate = release.clone();
        let task = tokio::spawn(after_each_change(receiver, move || {
            let started = started.clone();
            let gate = gate.clone();
            async move {
                started.send(()).expect("the test listens");
                gate.acquire().await.expect("never closed").forget();
            }
        }));

        sender.send_modify(|n| *n += 1);
        rounds.recv().await.expect("a first round");
        for _ in 0..3 {
            sender.send_modify(|n| *n += 1);
        }
        release.add_permits(1);
        rounds.recv().await.expect("one more round for the burst");
        release.add_permits(1);
        drop(sender);
        task.await.unwrap();
        assert!(rounds.try_recv().is_err(), "no third round");
    }

    #[tokio::test]
    async fn no_change_no_round() {
        let (sender, receiver) = watch::channel(0u64);
        let (started, mut rounds) = mpsc::unbounded_channel::<()>();
        let task = tokio::spawn(after_each_change(receiver, move || {
            let started = started.clone();
            async move { started.send(()).expect("the test listens") }
        }));
        drop(sender);
        task.await.unwrap();
        assert!(rounds.try_recv().is_err());
    }
}
