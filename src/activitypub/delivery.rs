//! Delivering the queue: up to ACTIVITYPUB_DELIVERY_CONCURRENCY requests
//! in flight, each activity signed for its inbox. A delivery that fails
//! for a reason that may pass (no answer, a 5xx, a 429) is tried again
//! later, ever less often, and given up two days after it was queued; one
//! the other server refused (any other 4xx, a redirect) is given up at
//! once. A follower whose server has failed every delivery for a week is
//! dropped.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::task::JoinSet;

use super::Federation;
use super::fetch::{post_activity, web_url};
use crate::error::error_chain;
use crate::metrics::QueueMetrics;
use crate::outbound::OutboundError;
use crate::store::{DueDelivery, Failure, Settled};
use crate::web::AppState;

/// A delivery is given up this long after its activity was queued.
pub const GIVE_UP_AFTER: TimeDelta = TimeDelta::days(2);

/// A follower whose deliveries have all failed for this long is dropped.
pub const DROP_FOLLOWER_AFTER: TimeDelta = TimeDelta::days(7);

/// The longest the loop sleeps with nothing due.
const IDLE: Duration = Duration::from_secs(30);

/// The wait before each retry: the first within seconds, then ever
/// longer, at most six hours.
pub fn backoff(failures: i64) -> TimeDelta {
    match failures {
        ..=1 => TimeDelta::seconds(15),
        2 => TimeDelta::minutes(1),
        3 => TimeDelta::minutes(5),
        4 => TimeDelta::minutes(15),
        5 => TimeDelta::hours(1),
        6 => TimeDelta::hours(3),
        _ => TimeDelta::hours(6),
    }
}

/// When to try again after `failures` failed tries, or `GivenUp` when
/// that would be past [`GIVE_UP_AFTER`]. A server's `Retry-After` is
/// honoured within the same bounds.
pub fn next_try(
    failures: i64,
    queued_at: DateTime<Utc>,
    now: DateTime<Utc>,
    retry_after: Option<TimeDelta>,
) -> Failure {
    let wait = backoff(failures).max(retry_after.unwrap_or_default().min(TimeDelta::hours(6)));
    let at = now + wait;
    if at - queued_at > GIVE_UP_AFTER {
        Failure::GivenUp
    } else {
        Failure::RetryAt(at)
    }
}

/// Deliveries claimed at once, per delivery in flight.
const CLAIM_AHEAD: usize = 2;

/// Tries recorded together at most: a fan-out settles in a few writes.
const SETTLE_BATCH: usize = 64;

/// A settled try waits at most this long to be recorded.
const SETTLE_AFTER: Duration = Duration::from_millis(200);

/// Delivers for as long as the server runs.
pub async fn deliver(state: Arc<AppState>) {
    let Some(federation) = state.federation.clone() else {
        return;
    };
    let concurrency = federation.settings.delivery_concurrency;
    let metrics = state.queue_metrics("activitypub");
    match state.store.release_deliveries(state.store.now()).await {
        Ok(0) => {}
        Ok(n) => log::info!("activitypub: {n} deliveries cut short by a stop are due again"),
        Err(e) => log::warn!("activitypub: cannot read the queue: {}", error_chain(&e)),
    }
    let mut running = JoinSet::new();
    let mut waiting: VecDeque<DueDelivery> = VecDeque::new();
    let mut settled = Vec::new();
    let mut settle_at = None;
    let mut failing = false;
    loop {
        while running.len() < concurrency {
            if waiting.is_empty() {
                let claim = u32::try_from(concurrency * CLAIM_AHEAD).unwrap_or(u32::MAX);
                let now = state.store.now();
                match state.store.claim_due_deliveries(now, claim).await {
                    Ok(due) => {
                        failing = false;
                        if !due.is_empty() {
                            report_depth(&state, &metrics).await;
                        }
                        waiting.extend(due);
                    }
                    Err(e) => {
                        if !failing {
                            log::warn!("activitypub: cannot read the queue: {}", error_chain(&e));
                        }
                        failing = true;
                    }
                }
            }
            let Some(next) = waiting.pop_front() else {
                break;
            };
            running.spawn(try_one(state.clone(), federation.clone(), next));
        }
        if running.is_empty() {
            settle(&state, &metrics, &mut settled).await;
            settle_at = None;
            let wait = idle_wait(&state).await;
            tokio::select! {
                () = federation.deliveries_woken() => {}
                () = tokio::time::sleep(wait) => {}
            }
            continue;
        }
        let deadline = settle_at.unwrap_or_else(|| tokio::time::Instant::now() + IDLE);
        tokio::select! {
            Some(done) = running.join_next() => match done {
                Ok(done) => {
                    settled.push(done);
                    settle_at.get_or_insert_with(|| tokio::time::Instant::now() + SETTLE_AFTER);
                }
                // Claimed still: tried again after a restart.
                Err(e) => log::error!("activitypub: a delivery failed unexpectedly: {e}"),
            },
            () = federation.deliveries_woken() => {}
            () = tokio::time::sleep_until(deadline), if settle_at.is_some() => {
                settle(&state, &metrics, &mut settled).await;
                settle_at = None;
            }
        }
        if settled.len() >= SETTLE_BATCH {
            settle(&state, &metrics, &mut settled).await;
            settle_at = None;
        }
    }
}

/// How long until the next delivery is due, at most [`IDLE`].
async fn idle_wait(state: &AppState) -> Duration {
    match state.store.next_delivery_at().await {
        Ok(Some(at)) => (at - state.store.now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .clamp(Duration::from_millis(10), IDLE),
        _ => IDLE,
    }
}

/// Records settled tries together (they stay claimed until then, and are
/// tried again after a restart if this fails).
async fn settle(
    state: &AppState,
    metrics: &QueueMetrics,
    settled: &mut Vec<(DueDelivery, Settled)>,
) {
    if settled.is_empty() {
        return;
    }
    for _ in settled.iter().filter(|(_, s)| *s != Settled::Delivered) {
        metrics.failed();
    }
    let now = state.store.now();
    match state
        .store
        .settle_deliveries(settled, now, now - DROP_FOLLOWER_AFTER)
        .await
    {
        Ok(dropped) => {
            for actor in dropped {
                log::warn!(
                    "activitypub: dropped the follower {actor}: every delivery failed for a week"
                );
            }
        }
        Err(e) => log::warn!(
            "activitypub: cannot record {} deliveries: {}",
            settled.len(),
            error_chain(&e)
        ),
    }
    settled.clear();
    report_depth(state, metrics).await;
}

/// Deliveries waiting or under way, for `/metrics`.
async fn report_depth(state: &AppState, metrics: &QueueMetrics) {
    if let Ok(pending) = state.store.pending_deliveries().await {
        metrics.set_depth(usize::try_from(pending).unwrap_or(0));
    }
}

/// What became of one try.
enum Tried {
    Delivered,
    /// May pass: try again (with the server's `Retry-After`, if any).
    Transient(String, Option<TimeDelta>),
    /// Will not pass: give up.
    Refused(String),
}

/// Tries one delivery; what to record of it.
async fn try_one(
    state: Arc<AppState>,
    federation: Arc<Federation>,
    delivery: DueDelivery,
) -> (DueDelivery, Settled) {
    let now = state.store.now();
    let settled = match try_delivery(&state, &federation, &delivery, now).await {
        Tried::Delivered => Settled::Delivered,
        Tried::Transient(error, retry_after) => {
            let failure = next_try(delivery.attempts + 1, delivery.queued_at, now, retry_after);
            if failure == Failure::GivenUp {
                log::warn!(
                    "activitypub: gave up delivering to {}: {error}",
                    delivery.inbox
                );
            }
            Settled::Failed { error, failure }
        }
        Tried::Refused(error) => {
            log::warn!(
                "activitypub: {} refused a delivery: {error}",
                delivery.inbox
            );
            Settled::Failed {
                error,
                failure: Failure::GivenUp,
            }
        }
    };
    (delivery, settled)
}

async fn try_delivery(
    state: &AppState,
    federation: &Federation,
    delivery: &DueDelivery,
    now: DateTime<Utc>,
) -> Tried {
    let inbox = match web_url(&delivery.inbox) {
        Ok(inbox) => inbox,
        Err(e) => return Tried::Refused(e.to_string()),
    };
    let host = inbox.host_str().unwrap_or_default();
    match state.store.is_blocked(host).await {
        Ok(true) => return Tried::Refused(format!("{host} is blocked")),
        Ok(false) => {}
        Err(e) => return Tried::Transient(error_chain(&e), None),
    }
    let answer = post_activity(
        &state.outbound,
        federation,
        &inbox,
        delivery.activity.as_bytes(),
        now,
    )
    .await;
    match answer {
        Ok(answer) if answer.status.is_success() => Tried::Delivered,
        Ok(answer) if answer.status.as_u16() == 429 || answer.status.is_server_error() => {
            let retry_after = answer
                .headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, now));
            Tried::Transient(format!("answered {}", answer.status), retry_after)
        }
        Ok(answer) => Tried::Refused(format!("answered {}", answer.status)),
        Err(
            e @ (OutboundError::NotHttp { .. }
            | OutboundError::HttpsRequired { .. }
            | OutboundError::PrivateAddress { .. }
            | OutboundError::Unreachable(_)),
        ) => Tried::Refused(e.to_string()),
        Err(e) => Tried::Transient(error_chain(&e), None),
    }
}

/// A `Retry-After` value, seconds or an HTTP date (RFC 9110 allows both),
/// as a wait from `now`.
fn retry_after(value: &str, now: DateTime<Utc>) -> Option<TimeDelta> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        return Some(TimeDelta::seconds(seconds.max(0)));
    }
    let at: DateTime<Utc> = httpdate::parse_http_date(value).ok()?.into();
    Some((at - now).max(TimeDelta::zero()))
}

/// How often old records are tidied.
const TIDY_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Activities settled this long ago are forgotten, and so are actors
/// that follow nothing and were last heard from this long ago.
const KEEP_RECORDS: TimeDelta = TimeDelta::days(30);

/// Hourly: forgets settled activities and idle actors, and the inbox's
/// idle clients.
pub async fn tidy_up(state: Arc<AppState>) {
    let Some(federation) = state.federation.clone() else {
        return;
    };
    let mut tick = tokio::time::interval(TIDY_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let before = state.store.now() - KEEP_RECORDS;
        if let Err(e) = state.store.forget_settled_activities(before).await {
            log::warn!(
                "activitypub: cannot forget old activities: {}",
                error_chain(&e)
            );
        }
        if let Err(e) = state.store.forget_idle_remote_actors(before).await {
            log::warn!(
                "activitypub: cannot forget idle actors: {}",
                error_chain(&e)
            );
        }
        federation.forget_idle_clients();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::minutes(minutes)
    }

    #[test]
    fn the_first_retry_is_within_thirty_seconds_and_later_ones_wait_longer() {
        assert!(backoff(1) <= TimeDelta::seconds(30));
        for failures in 1..10 {
            assert!(backoff(failures + 1) >= backoff(failures));
        }
        assert_eq!(backoff(50), TimeDelta::hours(6));
    }

    #[test]
    fn deliveries_are_given_up_two_days_after_they_were_queued() {
        let queued = at(0);
        assert_eq!(
            next_try(1, queued, at(0), None),
            Failure::RetryAt(at(0) + TimeDelta::seconds(15))
        );
        let late = at(0) + TimeDelta::days(2) - TimeDelta::hours(1);
        assert_eq!(next_try(8, queued, late, None), Failure::GivenUp);
        // Tries until then: about a dozen.
        let mut now = queued;
        let mut tries = 1;
        while let Failure::RetryAt(next) = next_try(tries, queued, now, None) {
            now = next;
            tries += 1;
        }
        assert!((10..=14).contains(&tries), "{tries}");
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date() {
        assert_eq!(retry_after(" 120 ", at(0)), Some(TimeDelta::seconds(120)));
        let date = httpdate::fmt_http_date((at(0) + TimeDelta::minutes(3)).into());
        assert_eq!(retry_after(&date, at(0)), Some(TimeDelta::minutes(3)));
        let past = httpdate::fmt_http_date((at(0) - TimeDelta::minutes(3)).into());
        assert_eq!(retry_after(&past, at(0)), Some(TimeDelta::zero()));
        assert_eq!(retry_after("soon", at(0)), None);
    }

    #[test]
    fn a_retry_after_is_honoured_within_bounds() {
        assert_eq!(
            next_try(1, at(0), at(0), Some(TimeDelta::minutes(10))),
            Failure::RetryAt(at(10))
        );
        assert_eq!(
            next_try(1, at(0), at(0), Some(TimeDelta::days(9))),
            Failure::RetryAt(at(0) + TimeDelta::hours(6))
        );
    }
}
