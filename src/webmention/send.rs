//! Sending Webmentions in the background. Planning follows the log of
//! note changes (so a change from the CLI counts too, and none is missed
//! across a restart): for each changed note, the note as it is now says
//! which pages to tell, and what was sent before says which pages to tell
//! that a link went. Delivery works through the queue with retries on
//! timeouts and 5xx answers, never on 4xx, and records each last result.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderValue};
use tokio::sync::watch;
use url::Url;

use super::discover::{cite_of, endpoint};
use super::targets::{permalink, targets_of};
use super::verify::TIDY_INTERVAL;
use super::{CONSUMER, Inner, Webmention};
use crate::error::error_chain;
use crate::outbound::{OutboundError, Request};
use crate::store::{OutgoingMention, SendResult, SendState, StoreError};

/// The most of a target page that is read to find its endpoint.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// The most of an endpoint's answer that is read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How long to wait before each retry: the n-th retry waits the n-th.
const BACKOFF: [TimeDelta; 6] = [
    TimeDelta::minutes(1),
    TimeDelta::minutes(5),
    TimeDelta::minutes(30),
    TimeDelta::hours(2),
    TimeDelta::hours(8),
    TimeDelta::hours(24),
];
/// Changes read from the log at a time.
const CHANGES_AT_ONCE: u32 = 200;
/// Webmentions sent at once.
const AT_ONCE: usize = 4;
/// The longest the queues wait when nothing wakes them.
const IDLE_POLL: Duration = Duration::from_secs(30);

/// Plans the Webmentions of every changed note, until the server stops.
pub async fn plan_from_changes(service: Webmention, mut changes: watch::Receiver<u64>) {
    let inner = &service.inner;
    loop {
        match service.plan_changes().await {
            Ok(_) => {}
            Err(e) => log::warn!(
                "Webmention: cannot plan the mentions of changed notes: {}",
                error_chain(&e)
            ),
        }
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = inner.plan_wake.notified() => {}
            () = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}

impl Webmention {
    /// Plans every change after the cursor, then moves it, and wakes the
    /// sender for what was queued; how many Webmentions were queued. The
    /// background planner calls it on each change; a failure leaves the
    /// cursor where it was, to plan again.
    pub async fn plan_changes(&self) -> Result<usize, StoreError> {
        let inner = &self.inner;
        let _one_at_a_time = inner.planning.lock().await;
        let queued = plan_changed(inner).await?;
        if queued > 0 {
            inner.send_wake.notify_one();
        }
        Ok(queued)
    }
}

async fn plan_changed(inner: &Inner) -> Result<usize, StoreError> {
    let mut queued = 0;
    loop {
        let changes = inner.store.changes_for(CONSUMER, CHANGES_AT_ONCE).await?;
        let Some(last) = changes.last().map(|c| c.id) else {
            return Ok(queued);
        };
        let mut seen = std::collections::HashSet::new();
        // The latest slug of each note, once per note.
        for change in changes.iter().rev() {
            if seen.insert(change.note_id) {
                queued += plan_note(inner, change.note_id, &change.slug).await?;
            }
        }
        inner.store.advance_cursor(CONSUMER, last).await?;
    }
}

async fn plan_note(inner: &Inner, note_id: i64, slug: &str) -> Result<usize, StoreError> {
    let store = &inner.store;
    let (targets, fingerprint) = match store.find_by_id(note_id).await? {
        Some(note) if note.is_shown_at(store.now()) => match store.read_body(&note).await {
            Ok(body) => {
                let fingerprint = format!("public {} {}", note.updated_at, note.content_hash);
                let note = crate::domain::NoteWithBody { note, body };
                (targets_of(&inner.site, &note), fingerprint)
            }
            Err(StoreError::Damaged(damage)) => {
                // Its links cannot be known; `starpunk check` reports it.
                log::warn!("Webmention: not planned: {damage}");
                return Ok(0);
            }
            Err(e) => return Err(e),
        },
        // Drafts, deleted notes and notes removed for good link to
        // nothing: every page told before is told again.
        Some(_) => (Vec::new(), "hidden".to_owned()),
        None => (Vec::new(), "removed".to_owned()),
    };
    let source = permalink(&inner.site, slug);
    store
        .plan_webmentions(note_id, &source, &fingerprint, &targets)
        .await
}

/// Sends due Webmentions until the server stops.
pub async fn deliver_queue(service: Webmention) {
    let inner = &service.inner;
    let mut tidied = tokio::time::Instant::now();
    loop {
        match inner.store.due_webmentions(32).await {
            Ok(due) if !due.is_empty() => {
                futures_util::stream::iter(due)
                    .for_each_concurrent(AT_ONCE, |mention| async move {
                        let result = attempt(inner, &mention).await;
                        if matches!(result.state, SendState::Retrying | SendState::Failed) {
                            inner.metrics.failed();
                        }
                        log::info!(
                            "Webmention to {} for {}: {}",
                            mention.target,
                            mention.source,
                            result.result
                        );
                        if let Err(e) = inner.store.record_webmention(&mention, &result).await {
                            log::warn!("Webmention: cannot record a result: {}", error_chain(&e));
                        }
                    })
                    .await;
                continue;
            }
            Ok(_) => {}
            Err(e) => log::warn!("Webmention: cannot read the queue: {}", error_chain(&e)),
        }
        if tidied.elapsed() >= TIDY_INTERVAL {
            tidied = tokio::time::Instant::now();
            if let Err(e) = inner.store.forget_webmentions_of_removed_notes().await {
                log::warn!("Webmention: cannot tidy the queue: {}", error_chain(&e));
            }
        }
        let wait = match inner.store.next_webmention_due().await {
            Ok(Some(due)) => until(due, inner.store.now()),
            _ => IDLE_POLL,
        };
        tokio::select! {
            () = inner.send_wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

fn until(due: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (due - now)
        .to_std()
        .unwrap_or(Duration::ZERO)
        .min(IDLE_POLL)
}

/// One attempt: the target fetched once (its endpoint, and its title and
/// author when the note answers it), then the Webmention posted.
async fn attempt(inner: &Inner, mention: &OutgoingMention) -> SendResult {
    let Ok(target) = Url::parse(&mention.target) else {
        return failed(None, "not sent: the target is not a URL".into());
    };
    let host = target.host_str().unwrap_or_default();
    match inner.store.is_blocked(host).await {
        Ok(true) => return failed(None, "not sent: the domain is blocked".into()),
        Ok(false) => {}
        Err(e) => {
            return retry(
                inner,
                mention,
                None,
                format!("not sent: {}", error_chain(&e)),
            );
        }
    }
    let request = Request::get(target.clone(), MAX_PAGE_BYTES).header(
        header::ACCEPT,
        HeaderValue::from_static("text/html, application/xhtml+xml;q=0.9, */*;q=0.5"),
    );
    let page = match inner.outbound.fetch(request).await {
        Ok(page) => page,
        Err(e) => return after_error(inner, mention, "the page", &e),
    };
    if !page.status.is_success() {
        let text = format!("the page answered {}", page.status);
        return after_status(inner, mention, page.status.as_u16(), text);
    }
    if mention.context {
        let cite = cite_of(&mention.target, &page.headers, &page.body, &page.final_url);
        if let Err(e) = inner.store.keep_cite(&cite).await {
            log::warn!(
                "Webmention: cannot keep a page's title: {}",
                error_chain(&e)
            );
        }
    }
    let Some(endpoint) = endpoint(&page.headers, &page.body, &page.final_url) else {
        return SendResult {
            state: SendState::NoEndpoint,
            status: None,
            result: "the page names no Webmention endpoint".into(),
            endpoint: None,
            retry_at: None,
        };
    };
    let body = serde_urlencoded::to_string([
        ("source", mention.source.as_str()),
        ("target", mention.target.as_str()),
    ])
    .expect("strings encode");
    let post = Request {
        method: reqwest::Method::POST,
        url: endpoint.clone(),
        headers: vec![(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        )],
        body: Some(body.into_bytes()),
        follow_redirects: false,
        limit: MAX_ANSWER_BYTES,
    };
    let shown_endpoint = Some(endpoint.to_string());
    let result = match inner.outbound.fetch(post).await {
        Err(e) => after_error(inner, mention, "the endpoint", &e),
        Ok(answer) if answer.status.is_success() => SendResult {
            state: SendState::Sent,
            status: Some(answer.status.as_u16()),
            result: format!("accepted ({})", answer.status),
            endpoint: None,
            retry_at: None,
        },
        Ok(answer) => {
            let text = format!("the endpoint answered {}", answer.status);
            after_status(inner, mention, answer.status.as_u16(), text)
        }
    };
    SendResult {
        endpoint: shown_endpoint,
        ..result
    }
}

/// Timeouts and broken connections may pass: tried again. Anything else
/// (an address refused, too large, too many redirects) will not.
fn after_error(
    inner: &Inner,
    mention: &OutgoingMention,
    what: &str,
    error: &OutboundError,
) -> SendResult {
    let text = format!("{what}: {error}");
    match error {
        OutboundError::Timeout { .. }
        | OutboundError::CannotConnect { .. }
        | OutboundError::Interrupted { .. } => retry(inner, mention, None, text),
        _ => failed(None, text),
    }
}

/// A 5xx may pass: tried again; a 4xx (or a redirect, which an endpoint
/// must not answer) will not.
fn after_status(inner: &Inner, mention: &OutgoingMention, status: u16, text: String) -> SendResult {
    if status >= 500 {
        retry(inner, mention, Some(status), text)
    } else {
        failed(Some(status), text)
    }
}

fn retry(
    inner: &Inner,
    mention: &OutgoingMention,
    status: Option<u16>,
    text: String,
) -> SendResult {
    let tried = usize::try_from(mention.attempts).unwrap_or(usize::MAX);
    match BACKOFF.get(tried) {
        Some(wait) => SendResult {
            state: SendState::Retrying,
            status,
            result: format!("{text}; trying again"),
            endpoint: None,
            retry_at: Some(inner.store.now() + *wait),
        },
        None => failed(
            status,
            format!("{text}; given up after {} attempts", tried + 1),
        ),
    }
}

fn failed(status: Option<u16>, result: String) -> SendResult {
    SendResult {
        state: SendState::Failed,
        status,
        result,
        endpoint: None,
        retry_at: None,
    }
}
