//! Replies, likes and boosts from the fediverse, shown under the note like
//! Webmentions once approved; their Undo, Delete and Update; and the
//! deletion of an actor.

use scraper::Html;
use serde_json::json;
use starpunk::domain::{Moderation, ResponseKind};

use super::fake_server::{ALICE, BOB, FakeServer, Sign};
use super::{federated_app, follow, inbox};
use crate::helpers::{TestApp, select};

async fn page(app: &TestApp, slug: &str) -> Html {
    app.changed().await;
    Html::parse_document(&app.text(&format!("/note/{slug}")).await)
}

async fn approve_all(app: &TestApp) {
    for waiting in app
        .store()
        .responses_with_status(Moderation::Pending, 0, 100)
        .await
        .unwrap()
    {
        app.store()
            .moderate_response(waiting.id, Moderation::Approved)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_reply_a_like_and_a_boost_show_under_the_note_after_approval() {
    let app = federated_app().await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    server.add_actor("bob", BOB);
    let note = app.publish("Reply to me, like me, boost me").await;
    let permalink = app.url(&format!("/note/{}", note.slug));

    let reply = server.reply(
        "alice",
        "1",
        &permalink,
        "<p>What a <strong>lovely</strong> note<script>alert(1)</script></p>",
    );
    let create = server.activity("alice", "Create", reply.clone());
    let like = server.activity("bob", "Like", json!(permalink));
    let boost = server.activity("alice", "Announce", json!(permalink));
    for (activity, signer) in [(&create, "alice"), (&like, "bob"), (&boost, "alice")] {
        let answer = server
            .post(&inbox(&app), activity, Sign::as_actor(signer))
            .await;
        assert_eq!(answer.status(), 202, "{}", activity["type"]);
    }
    let waiting = app
        .store()
        .responses_with_status(Moderation::Pending, 0, 10)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 3, "held for the owner");
    assert!(select(&page(&app, note.slug.as_str()).await, ".u-comment").is_empty());

    approve_all(&app).await;
    let html = page(&app, note.slug.as_str()).await;
    let comments = select(&html, ".h-entry .u-comment.h-cite");
    assert_eq!(comments.len(), 1);
    let text: String = comments[0].text().collect();
    assert!(
        text.contains("alice of the fake server") && text.contains("lovely"),
        "{text}"
    );
    let body = app.text(&format!("/note/{}", note.slug)).await;
    assert!(!body.contains("<script>alert"), "sanitised");
    assert_eq!(select(&html, ".u-like.h-cite").len(), 1);
    assert_eq!(select(&html, ".u-repost.h-cite").len(), 1);
    // Faces are the site's own copies, never the other server's address.
    let photos: Vec<String> = select(&html, ".u-like img, .u-repost img, .u-comment img")
        .iter()
        .filter_map(|img| img.value().attr("src").map(str::to_owned))
        .collect();
    assert!(!photos.is_empty());
    for src in &photos {
        assert!(
            src.contains("/media/") && !src.contains("127.0.0.2"),
            "{src}"
        );
        let path = src.trim_start_matches(&app.address);
        assert_eq!(app.get(path).await.status(), 200, "{src}");
    }

    // Update refreshes the reply; Delete and Undo take them away.
    let mut edited = reply.clone();
    edited["content"] = json!("<p>Edited reply</p>");
    let update = server.activity("alice", "Update", edited);
    server
        .post(&inbox(&app), &update, Sign::as_actor("alice"))
        .await;
    let text: String = select(&page(&app, note.slug.as_str()).await, ".u-comment")[0]
        .text()
        .collect();
    assert!(text.contains("Edited reply"), "{text}");

    let delete = server.activity(
        "alice",
        "Delete",
        json!({"id": reply["id"], "type": "Tombstone"}),
    );
    server
        .post(&inbox(&app), &delete, Sign::as_actor("alice"))
        .await;
    let undo = server.activity("bob", "Undo", like.clone());
    server
        .post(&inbox(&app), &undo, Sign::as_actor("bob"))
        .await;
    let html = page(&app, note.slug.as_str()).await;
    assert!(select(&html, ".u-comment").is_empty());
    assert!(select(&html, ".u-like").is_empty());
    assert_eq!(select(&html, ".u-repost").len(), 1);
}

#[tokio::test]
async fn only_public_replies_to_the_site_s_notes_are_kept_and_none_in_another_s_name() {
    let app = TestApp::builder()
        .activitypub("ada")
        .allow_private_addresses()
        .moderation(false)
        .spawn()
        .await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    server.add_actor("bob", BOB);
    let note = app.publish("A note").await;
    let permalink = app.url(&format!("/note/{}", note.slug));

    let mut direct = server.reply("alice", "2", &permalink, "<p>Just for you</p>");
    direct["to"] = json!([super::actor(&app)]);
    direct["cc"] = json!([]);
    let elsewhere = server.reply("alice", "3", "https://other.example/post/1", "<p>Hi</p>");
    let like_elsewhere = server.activity("alice", "Like", json!("https://other.example/post/1"));
    for activity in [
        server.activity("alice", "Create", direct),
        server.activity("alice", "Create", elsewhere),
        like_elsewhere,
    ] {
        let answer = server
            .post(&inbox(&app), &activity, Sign::as_actor("alice"))
            .await;
        assert_eq!(answer.status(), 202);
    }
    assert_eq!(app.store().response_counts().await.unwrap().approved, 0);

    // Bob cannot post alice's reply.
    let forged = server.activity(
        "bob",
        "Create",
        server.reply("alice", "4", &permalink, "<p>x</p>"),
    );
    let answer = server
        .post(&inbox(&app), &forged, Sign::as_actor("bob"))
        .await;
    assert_eq!(answer.status(), 400);
    assert_eq!(app.store().response_counts().await.unwrap().approved, 0);

    // Unlisted (Public in cc) is public enough.
    let mut unlisted = server.reply("alice", "5", &permalink, "<p>Unlisted</p>");
    unlisted["cc"] = json!(["https://www.w3.org/ns/activitystreams#Public"]);
    unlisted["to"] = json!([server.actor_id("alice") + "/followers"]);
    let answer = server
        .post(
            &inbox(&app),
            &server.activity("alice", "Create", unlisted),
            Sign::as_actor("alice"),
        )
        .await;
    assert_eq!(answer.status(), 202);
    let shown = app.store().shown_responses(note.id).await.unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].incoming.kind, ResponseKind::Reply);
}

#[tokio::test]
async fn a_deleted_actor_stops_following_and_what_it_said_goes() {
    let app = TestApp::builder()
        .activitypub("ada")
        .allow_private_addresses()
        .moderation(false)
        .spawn()
        .await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    let note = app.publish("Liked, then the liker leaves").await;
    let permalink = app.url(&format!("/note/{}", note.slug));
    let like = server.activity("alice", "Like", json!(permalink));
    server
        .post(&inbox(&app), &like, Sign::as_actor("alice"))
        .await;
    assert_eq!(app.store().shown_responses(note.id).await.unwrap().len(), 1);

    let gone = server.activity("alice", "Delete", json!(server.actor_id("alice")));
    let answer = server
        .post(&inbox(&app), &gone, Sign::as_actor("alice"))
        .await;
    assert_eq!(answer.status(), 202);
    assert_eq!(app.store().follower_count().await.unwrap(), 0);
    assert!(
        app.store()
            .shown_responses(note.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_actor_s_update_of_its_profile_is_kept() {
    let app = TestApp::builder()
        .activitypub("ada")
        .allow_private_addresses()
        .moderation(false)
        .spawn()
        .await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    let mut profile: serde_json::Value = reqwest::get(server.actor_id("alice"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    profile["name"] = json!("Alice Renamed");
    let update = server.activity("alice", "Update", profile);
    let answer = server
        .post(&inbox(&app), &update, Sign::as_actor("alice"))
        .await;
    assert_eq!(answer.status(), 202);
    let note = app.publish("Who likes this?").await;
    let permalink = app.url(&format!("/note/{}", note.slug));
    let like = server.activity("alice", "Like", json!(permalink));
    server
        .post(&inbox(&app), &like, Sign::as_actor("alice"))
        .await;
    let shown = app.store().shown_responses(note.id).await.unwrap();
    assert_eq!(
        shown[0].incoming.author.name.as_deref(),
        Some("Alice Renamed")
    );
}
