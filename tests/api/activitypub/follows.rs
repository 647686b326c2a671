//! Following: a remote server follows by WebFinger, gets a signed Accept,
//! then a signed Create for each new note, an Update after an edit and a
//! Delete after a delete, each verified with the site's published key.

use serde_json::Value;
use starpunk::domain::{NoteBody, NoteEdit};

use super::fake_server::{ALICE, BOB, FakeServer, Sign};
use super::{federated_app, follow, inbox};

fn object(delivery: &super::fake_server::Delivery) -> &Value {
    &delivery.activity["object"]
}

#[tokio::test]
async fn a_follower_gets_create_update_and_delete_each_signed() {
    let app = federated_app().await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    assert_eq!(app.store().follower_count().await.unwrap(), 1);

    let note = app.publish("Hello, followers! #first").await;
    let created = server.wait_for("Create", 1).await;
    let create = &created[0];
    assert!(create.verified.is_ok(), "{:?}", create.verified);
    assert_eq!(create.path, "/inbox", "the shared inbox");
    let permalink = app.url(&format!("/note/{}", note.slug));
    assert_eq!(create.activity["actor"], app.url("/activitypub/actor"));
    assert_eq!(object(create)["id"], permalink);
    assert_eq!(object(create)["type"], "Note");
    assert_eq!(
        object(create)["to"],
        serde_json::json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert!(object(create).get("updated").is_none());

    let text = NoteBody::parse("Hello, followers! Edited.").unwrap();
    app.store()
        .change(
            note.slug.as_str(),
            NoteEdit::text(text, note.content_hash.clone()),
        )
        .await
        .unwrap();
    app.changed().await;
    let updated = server.wait_for("Update", 1).await;
    assert!(updated[0].verified.is_ok());
    assert_eq!(object(&updated[0])["id"], permalink);
    assert_eq!(
        object(&updated[0])["content"],
        "<p>Hello, followers! Edited.</p>\n"
    );
    assert!(object(&updated[0])["updated"].is_string());

    app.store()
        .change(note.slug.as_str(), NoteEdit::delete())
        .await
        .unwrap();
    app.changed().await;
    let deleted = server.wait_for("Delete", 1).await;
    assert!(deleted[0].verified.is_ok());
    assert_eq!(object(&deleted[0])["id"], permalink);
    assert_eq!(object(&deleted[0])["type"], "Tombstone");

    // Brought back: a new Create under a new id, as Mastodon ignores a
    // Create of an id it saw deleted.
    app.store()
        .change(note.slug.as_str(), NoteEdit::undelete())
        .await
        .unwrap();
    app.changed().await;
    let created = server.wait_for("Create", 2).await;
    let again = object(&created[1])["id"].as_str().unwrap().to_owned();
    assert_eq!(again, format!("{permalink}?v=2"));
    let fetched = app
        .get_with(
            again.trim_start_matches(&app.address),
            &[("accept", "application/activity+json")],
        )
        .await;
    assert_eq!(fetched.status(), 200);
    let fetched: Value = fetched.json().await.unwrap();
    assert_eq!(fetched["id"], again, "the new id is what is served");
    let old = app
        .get_with(
            &format!("/note/{}?v=1", note.slug),
            &[("accept", "application/activity+json")],
        )
        .await;
    assert_eq!(old.status(), 410);
    assert_eq!(server.received("Update").len(), 1, "nothing else was sent");
    assert_eq!(server.received("Delete").len(), 1);
}

#[tokio::test]
async fn drafts_are_never_sent_and_publishing_one_sends_it() {
    let app = federated_app().await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    let draft = app.draft("Still a draft").await;
    let later = app.publish("A later note").await;
    let created = server.wait_for("Create", 1).await;
    assert_eq!(
        created[0].activity["object"]["url"],
        app.url(&format!("/note/{}", later.slug))
    );
    app.store()
        .change(draft.slug.as_str(), NoteEdit::publish(true))
        .await
        .unwrap();
    app.changed().await;
    let created = server.wait_for("Create", 2).await;
    assert_eq!(
        created[1].activity["object"]["url"],
        app.url(&format!("/note/{}", draft.slug))
    );
    // Unpublished again: followers' servers remove it.
    app.store()
        .change(draft.slug.as_str(), NoteEdit::publish(false))
        .await
        .unwrap();
    app.changed().await;
    server.wait_for("Delete", 1).await;
}

#[tokio::test]
async fn a_repeated_follow_is_one_follower_and_undo_ends_it() {
    let app = federated_app().await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    let first = follow(&app, &server, "alice").await;
    follow(&app, &server, "alice").await;
    assert_eq!(app.store().follower_count().await.unwrap(), 1);
    assert_eq!(
        server.received("Accept").len(),
        2,
        "each follow is accepted"
    );

    // An Undo of alice's follow of someone else changes nothing here.
    let elsewhere = serde_json::json!({
        "id": format!("{}/follows/elsewhere", server.base),
        "type": "Follow",
        "actor": server.actor_id("alice"),
        "object": "https://other.example/users/someone",
    });
    let undo = server.activity("alice", "Undo", elsewhere);
    let answer = server
        .post(&inbox(&app), &undo, Sign::as_actor("alice"))
        .await;
    assert_eq!(answer.status(), 202);
    assert_eq!(app.store().follower_count().await.unwrap(), 1);

    let undo = server.activity("alice", "Undo", first);
    let answer = server
        .post(&inbox(&app), &undo, Sign::as_actor("alice"))
        .await;
    assert_eq!(answer.status(), 202);
    assert_eq!(app.store().follower_count().await.unwrap(), 0);
    app.publish("Nobody hears this").await;
    // The next follower's Create arrives; none went to alice before it.
    let other = FakeServer::start(3).await;
    other.add_actor("bob", BOB);
    follow(&app, &other, "bob").await;
    app.publish("Bob hears this").await;
    other.wait_for("Create", 1).await;
    assert!(server.received("Create").is_empty());
}

#[tokio::test]
async fn followers_on_one_server_get_one_delivery_to_its_shared_inbox() {
    let app = federated_app().await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    server.add_actor("bob", BOB);
    follow(&app, &server, "alice").await;
    follow(&app, &server, "bob").await;
    assert_eq!(app.store().follower_count().await.unwrap(), 2);
    let note = app.publish("For both of you").await;
    server.wait_for("Create", 1).await;
    // Settled: the activity counts one delivery.
    crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
        app.store().pending_deliveries().await.unwrap() == 0
    })
    .await;
    let sent = app.store().note_activities(note.id).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(server.received("Create").len(), 1);
}

#[tokio::test]
async fn a_removed_follower_is_sent_a_reject_and_a_blocked_domain_gets_nothing() {
    let app = federated_app().await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    let follow_activity = follow(&app, &server, "alice").await;
    let owner = app.sign_in().await;
    let page = app
        .owner_get(&owner, "/admin/followers")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&server.actor_id("alice")), "{page}");
    let removed = app
        .owner_post(
            &owner,
            "/admin/followers/remove",
            &[("actor", server.actor_id("alice").as_str())],
        )
        .await;
    assert_eq!(removed.status(), 303);
    let rejects = server.wait_for("Reject", 1).await;
    assert!(rejects[0].verified.is_ok());
    assert_eq!(rejects[0].activity["object"]["id"], follow_activity["id"]);
    assert_eq!(app.store().follower_count().await.unwrap(), 0);

    follow(&app, &server, "alice").await;
    let blocked = app
        .owner_post(&owner, "/admin/blocked/add", &[("domain", "127.0.0.2")])
        .await;
    assert_eq!(blocked.status(), 303);
    assert_eq!(app.store().follower_count().await.unwrap(), 0);
    let again = server.activity("alice", "Follow", serde_json::json!(super::actor(&app)));
    let refused = server
        .post(&inbox(&app), &again, Sign::as_actor("alice"))
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(app.store().follower_count().await.unwrap(), 0);
}
