//! WebSub: with `WEBSUB_HUB` set, the feeds name the hub and every change
//! pings it for each feed, in the background.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::fake_hub::FakeHub;
use crate::helpers::{TestApp, eventually, run_with_input, spawn_app, stderr};

/// Long enough for a ping on a slow machine; only a broken publisher waits
/// this long.
const LIMIT: Duration = Duration::from_secs(20);

async fn app_with_hub(hub: &FakeHub) -> TestApp {
    TestApp::builder().websub_hub(hub.url()).spawn().await
}

fn feed_urls(app: &TestApp) -> BTreeSet<String> {
    ["/feed.xml", "/feed.atom", "/feed.json"]
        .iter()
        .map(|path| app.url(path))
        .collect()
}

/// The topics of the pings from `from` on; each ping must be a proper
/// `hub.mode=publish` form.
fn topics(hub: &FakeHub, from: usize) -> Vec<String> {
    hub.pings()[from..]
        .iter()
        .map(|ping| {
            assert_eq!(ping.content_type, "application/x-www-form-urlencoded");
            assert_eq!(ping.field("hub.mode"), Some("publish"), "{ping:?}");
            ping.field("hub.url").expect("hub.url").to_owned()
        })
        .collect()
}

async fn pinged(hub: &FakeHub, count: usize) {
    eventually(LIMIT, || async { hub.pings().len() >= count }).await;
}

#[tokio::test]
async fn a_publish_pings_the_hub_once_for_each_feed() {
    let hub = FakeHub::start().await;
    let app = app_with_hub(&hub).await;
    assert!(hub.pings().is_empty(), "nothing changed yet");
    app.publish("Hello subscribers").await;
    pinged(&hub, 3).await;
    let topics: BTreeSet<String> = topics(&hub, 0).into_iter().collect();
    assert_eq!(topics, feed_urls(&app));
    eventually(LIMIT, || async { hub.answered() == 3 }).await;
}

#[tokio::test]
async fn every_feed_names_the_hub_and_itself() {
    let hub = FakeHub::start().await;
    let app = app_with_hub(&hub).await;
    app.publish("A note").await;
    for (path, format) in [
        ("/feed.xml", feed_rs::model::FeedType::RSS2),
        ("/feed.atom", feed_rs::model::FeedType::Atom),
    ] {
        let feed = feed_rs::parser::parse(&app.get(path).await.bytes().await.unwrap()[..])
            .expect("parses");
        assert_eq!(feed.feed_type, format);
        let rel = |rel: &str| -> Vec<String> {
            feed.links
                .iter()
                .filter(|l| l.rel.as_deref() == Some(rel))
                .map(|l| l.href.clone())
                .collect()
        };
        assert_eq!(rel("hub"), vec![hub.url().to_owned()], "{path}");
        assert_eq!(rel("self"), vec![app.url(path)], "{path}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&app.get("/feed.json").await.bytes().await.unwrap()).unwrap();
    assert_eq!(
        json["hubs"],
        serde_json::json!([{"type": "WebSub", "url": hub.url()}])
    );
    assert_eq!(json["feed_url"], app.url("/feed.json"));
}

#[tokio::test]
async fn without_a_hub_the_feeds_name_none() {
    let app = spawn_app().await;
    app.publish("A note").await;
    for path in ["/feed.xml", "/feed.atom"] {
        let text = app.text(path).await;
        assert!(!text.contains("rel=\"hub\""), "{path}: {text}");
    }
    assert!(!app.text("/feed.json").await.contains("hubs"));
}

/// A hub that does not answer holds up neither the write nor the pages,
/// and changes made meanwhile are announced in one more round after it.
#[tokio::test]
async fn a_slow_hub_delays_no_publish_and_a_burst_makes_one_more_round() {
    let hub = FakeHub::start().await;
    hub.hold();
    let app = app_with_hub(&hub).await;
    let owner = app.sign_in().await;

    app.publish("First").await;
    pinged(&hub, 3).await;
    for text in ["Second", "Third"] {
        let response = app
            .owner_post(
                &owner,
                "/admin/new",
                &[("content", text), ("published", "on"), ("action", "save")],
            )
            .await;
        assert_eq!(response.status(), 303, "published while the hub waits");
        assert_eq!(hub.answered(), 0, "the hub still holds every ping");
    }
    let feed = app.text("/feed.json").await;
    assert!(feed.contains("Third") && feed.contains("Second"), "{feed}");
    assert_eq!(hub.pings().len(), 3, "one round in flight at a time");

    hub.release();
    pinged(&hub, 6).await;
    let second_round: BTreeSet<String> = topics(&hub, 3).into_iter().collect();
    assert_eq!(second_round, feed_urls(&app));
    eventually(LIMIT, || async { hub.answered() == 6 }).await;
    // Both changes during the first round made one round, not two: a later
    // change is the next to ping.
    app.publish("Fourth").await;
    pinged(&hub, 9).await;
    assert_eq!(hub.pings().len(), 9);
}

#[tokio::test]
async fn a_hub_that_is_down_fails_no_publish_and_is_tried_again_next_time() {
    let hub = FakeHub::start().await;
    hub.answer_with(503);
    let app = app_with_hub(&hub).await;
    app.publish("While the hub is down").await;
    pinged(&hub, 3).await;
    eventually(LIMIT, || async { hub.answered() == 3 }).await;
    assert!(
        app.text("/feed.atom")
            .await
            .contains("While the hub is down")
    );

    hub.answer_with(204);
    app.publish("After it came back").await;
    pinged(&hub, 6).await;
    let topics: BTreeSet<String> = topics(&hub, 3).into_iter().collect();
    assert_eq!(topics, feed_urls(&app));
}

#[tokio::test]
async fn a_note_published_by_the_cli_pings_the_hub() {
    let hub = FakeHub::start().await;
    let app = app_with_hub(&hub).await;
    let mut command = app.cli();
    let output = tokio::task::spawn_blocking(move || {
        run_with_input(command.args(["note", "new", "-"]), "From the shell")
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    // Noticed by the change poll, twice a second.
    pinged(&hub, 3).await;
    let topics: BTreeSet<String> = topics(&hub, 0).into_iter().collect();
    assert_eq!(topics, feed_urls(&app));
}
