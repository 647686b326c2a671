//! Deliveries to an inbox that is down: retried with back-off (the first
//! retry within 30 s), not retried after a refusal, given up after two
//! days; a follower whose server fails for a week is dropped.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use starpunk::store::ActivityKind;

use super::fake_server::{ALICE, FakeServer};
use super::follow;
use crate::helpers::{TestApp, eventually};

async fn app_at(now: chrono::DateTime<Utc>) -> TestApp {
    TestApp::builder()
        .activitypub("ada")
        .allow_private_addresses()
        .time(now)
        .spawn()
        .await
}

fn wake(app: &TestApp) {
    app.state.federation.as_ref().unwrap().wake_deliveries();
}

/// The first Create's counts (delivered, failed, pending), once queued.
async fn state_of(app: &TestApp) -> Option<(i64, i64, i64)> {
    let states = app.store().delivery_states(0, 10).await.unwrap();
    let create = states.iter().rfind(|s| s.kind == ActivityKind::Create)?;
    Some((create.delivered, create.failed, create.pending))
}

async fn until(app: &TestApp, want: (i64, i64, i64)) {
    eventually(Duration::from_secs(20), || async {
        state_of(app).await == Some(want)
    })
    .await;
}

#[tokio::test]
async fn a_down_inbox_is_tried_again_soon_and_the_delivery_arrives() {
    let start = Utc::now();
    let app = app_at(start).await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    server.answer_with(503);
    app.publish("Sent while the inbox is down").await;
    server.wait_for("Create", 1).await;
    // Pending from the start: wait for the failed try to be recorded.
    eventually(Duration::from_secs(20), || async {
        let states = app.store().delivery_states(0, 10).await.unwrap();
        states
            .iter()
            .any(|s| s.kind == ActivityKind::Create && s.last_error.is_some())
    })
    .await;
    assert_eq!(state_of(&app).await, Some((0, 0, 1)));
    let next = app.store().next_delivery_at().await.unwrap().unwrap();
    assert!(
        next - start <= TimeDelta::seconds(30),
        "first retry at {next}"
    );
    assert!(next > start, "not at once");

    server.answer_with(202);
    app.set_time(start + TimeDelta::seconds(31));
    wake(&app);
    until(&app, (1, 0, 0)).await;
    assert_eq!(server.received("Create").len(), 2);
    assert!(server.received("Create").iter().all(|d| d.verified.is_ok()));
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_a_failing_delivery_is_given_up_after_two_days() {
    let start = Utc::now();
    let app = app_at(start).await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;

    server.answer_with(403);
    let refused = app.publish("Refused").await;
    until(&app, (0, 1, 0)).await;
    assert_eq!(server.received("Create").len(), 1, "not tried again");

    server.answer_with(500);
    app.store()
        .change(refused.slug.as_str(), starpunk::domain::NoteEdit::delete())
        .await
        .unwrap();
    app.changed().await;
    server.wait_for("Delete", 1).await;
    let mut now = start;
    // Keep failing: tries grow apart until two days have passed.
    for _ in 0..40 {
        let Some(next) = app.store().next_delivery_at().await.unwrap() else {
            break;
        };
        let tries = server.received("Delete").len();
        now = next.max(now) + TimeDelta::seconds(1);
        app.set_time(now);
        wake(&app);
        eventually(Duration::from_secs(20), || async {
            server.received("Delete").len() > tries
        })
        .await;
        eventually(Duration::from_secs(10), || async {
            app.store().deliveries_under_way().await.unwrap() == 0
        })
        .await;
    }
    assert_eq!(app.store().pending_deliveries().await.unwrap(), 0);
    let tries = server.received("Delete").len();
    assert!((8..=16).contains(&tries), "{tries} tries");
    assert!(
        now - start >= TimeDelta::hours(40),
        "given up after {}",
        now - start
    );
    assert!(now - start <= TimeDelta::hours(49));
}

#[tokio::test]
async fn a_follower_whose_server_fails_for_a_week_is_dropped() {
    let start = Utc::now();
    let app = app_at(start).await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    server.answer_with(410);
    app.publish("Into the void").await;
    until(&app, (0, 1, 0)).await;
    let follower = app
        .store()
        .follower(&server.actor_id("alice"))
        .await
        .unwrap()
        .unwrap();
    assert!(follower.failing_since.is_some());

    // A week later, the next note fails too: the follower goes.
    app.set_time(start + TimeDelta::days(8));
    app.publish("Still nobody there").await;
    server.wait_for("Create", 2).await;
    eventually(Duration::from_secs(10), || async {
        app.store().follower_count().await.unwrap() == 0
    })
    .await;
}

#[tokio::test]
async fn a_delivery_that_arrives_clears_the_failures() {
    let start = Utc::now();
    let app = app_at(start).await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    server.answer_with(404);
    app.publish("Lost").await;
    until(&app, (0, 1, 0)).await;
    server.answer_with(202);
    app.set_time(start + TimeDelta::days(6));
    app.publish("Found").await;
    server.wait_for("Create", 2).await;
    eventually(Duration::from_secs(10), || async {
        app.store()
            .follower(&server.actor_id("alice"))
            .await
            .unwrap()
            .is_some_and(|f| f.failing_since.is_none())
    })
    .await;
    app.set_time(start + TimeDelta::days(9));
    server.answer_with(404);
    app.publish("Lost again, once").await;
    server.wait_for("Create", 3).await;
    eventually(Duration::from_secs(10), || async {
        app.store().pending_deliveries().await.unwrap() == 0
    })
    .await;
    assert_eq!(
        app.store().follower_count().await.unwrap(),
        1,
        "one failure is not a week"
    );
}

#[tokio::test]
async fn a_rate_limited_delivery_waits_as_long_as_the_server_asks() {
    let start = Utc::now();
    let app = app_at(start).await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    server.answer_with(429);
    server.retry_after("600");
    app.publish("Sent to a busy server").await;
    server.wait_for("Create", 1).await;
    eventually(Duration::from_secs(20), || async {
        app.store().next_delivery_at().await.unwrap() > Some(start)
    })
    .await;
    let next = app.store().next_delivery_at().await.unwrap().unwrap();
    // Times are kept to the millisecond.
    assert!(
        next - start > TimeDelta::seconds(600) - TimeDelta::milliseconds(1),
        "tried again at {next}, before the server's Retry-After"
    );
    assert_eq!(state_of(&app).await, Some((0, 0, 1)), "not given up");

    server.answer_with(202);
    app.set_time(next + TimeDelta::seconds(1));
    wake(&app);
    until(&app, (1, 0, 0)).await;
}

/// `name{queue="activitypub"}` at the app's `/metrics`.
async fn queue_metric(app: &TestApp, name: &str) -> Option<f64> {
    let url = app.metrics_url.as_ref().expect("metrics are on");
    let text = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = format!(r#"{name}{{queue="activitypub"}}"#);
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix)?.trim().parse().ok())
}

#[tokio::test]
async fn the_metrics_show_deliveries_waiting_and_tries_failed() {
    let start = Utc::now();
    let app = TestApp::builder()
        .activitypub("ada")
        .allow_private_addresses()
        .metrics()
        .time(start)
        .spawn()
        .await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    server.answer_with(503);
    app.publish("Sent while the inbox is down").await;
    server.wait_for("Create", 1).await;
    eventually(Duration::from_secs(20), || async {
        queue_metric(&app, "starpunk_queue_failures_total").await == Some(1.0)
            && queue_metric(&app, "starpunk_queue_depth").await == Some(1.0)
    })
    .await;

    server.answer_with(202);
    app.set_time(start + TimeDelta::seconds(31));
    wake(&app);
    eventually(Duration::from_secs(20), || async {
        queue_metric(&app, "starpunk_queue_depth").await == Some(0.0)
    })
    .await;
    assert_eq!(
        queue_metric(&app, "starpunk_queue_failures_total").await,
        Some(1.0)
    );
}
