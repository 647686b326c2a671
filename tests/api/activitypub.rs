//! The site as a fediverse actor, against fake Mastodon-like servers on
//! loopback addresses that sign and verify with their own code.

mod delivery;
mod discovery;
mod fake_server;
mod follows;
mod interactions;
mod keys;
mod restart;
mod signatures;
mod visibility;

use serde_json::Value;

use crate::helpers::TestApp;
use fake_server::{FakeServer, Sign};

/// A site federating as `@ada@127.0.0.1:PORT`, allowed to reach loopback.
async fn federated_app() -> TestApp {
    TestApp::builder()
        .activitypub("ada")
        .allow_private_addresses()
        .spawn()
        .await
}

/// `ada@127.0.0.1:PORT`.
fn handle(app: &TestApp) -> String {
    format!("ada@{}", app.address.trim_start_matches("http://"))
}

fn inbox(app: &TestApp) -> String {
    app.url("/activitypub/inbox")
}

fn actor(app: &TestApp) -> String {
    app.url("/activitypub/actor")
}

/// `name` on `server` finds the site by WebFinger and follows it; returns
/// once the signed Accept arrived.
async fn follow(app: &TestApp, server: &FakeServer, name: &str) -> Value {
    follow_site(&app.address, &handle(app), server, name).await
}

/// [`follow`], for the site at `address` known as `handle`.
async fn follow_site(address: &str, handle: &str, server: &FakeServer, name: &str) -> Value {
    let found = server.look_up(address, handle).await;
    let follow = server.activity(name, "Follow", found["id"].clone());
    let accepted_before = server.received("Accept").len();
    let inbox = found["inbox"].as_str().expect("an inbox");
    let answer = server.post(inbox, &follow, Sign::as_actor(name)).await;
    assert_eq!(answer.status(), 202, "{}", answer.text().await.unwrap());
    let accepts = server.wait_for("Accept", accepted_before + 1).await;
    let accept = accepts.last().unwrap();
    assert!(accept.verified.is_ok(), "{:?}", accept.verified);
    assert_eq!(accept.activity["object"]["id"], follow["id"]);
    follow
}
