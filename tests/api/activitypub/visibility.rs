//! Which notes followers get: a note published for later is sent when the
//! server releases it, never before; an unlisted one goes out as Mastodon
//! sends its unlisted posts (to the followers, Public only in `cc`) and is
//! left out of the outbox, as it is out of every list.

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use starpunk::domain::{NewNote, Note, NoteBody, Slug, Visibility};

use super::fake_server::{ALICE, FakeServer};
use super::follow;
use crate::helpers::TestApp;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

async fn create(app: &TestApp, slug: &str, edit: impl FnOnce(&mut NewNote)) -> Note {
    let mut note = NewNote {
        slug: Some(Slug::parse(slug).unwrap()),
        published: true,
        ..NewNote::new(NoteBody::parse(format!("The note {slug}")).unwrap())
    };
    edit(&mut note);
    let note = app.store().create(note).await.unwrap();
    app.changed().await;
    note
}

/// The object ids in the outbox's first page.
async fn outbox_ids(app: &TestApp) -> Vec<String> {
    let page: Value = app
        .get_with(
            "/activitypub/outbox?page=1",
            &[("accept", "application/activity+json")],
        )
        .await
        .json()
        .await
        .unwrap();
    page["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["object"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_note_for_later_is_sent_when_it_is_released_and_not_before() {
    let start = Utc::now();
    let app = TestApp::builder()
        .activitypub("ada")
        .allow_private_addresses()
        .time(start)
        .spawn()
        .await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    let due = start + TimeDelta::hours(1);
    create(&app, "later", |n| n.published_at = Some(due)).await;
    // A note written after it: once its Create arrived, the change before
    // it was acted on too.
    create(&app, "now", |_| {}).await;
    let created = server.wait_for("Create", 1).await;
    assert_eq!(created[0].activity["object"]["id"], app.url("/note/now"));
    assert_eq!(server.received("Create").len(), 1, "nothing for later");
    assert_eq!(outbox_ids(&app).await, [app.url("/note/now")]);

    // Its date comes: the server releases it, and followers get it.
    app.set_time(due + TimeDelta::seconds(1));
    let created = server.wait_for("Create", 2).await;
    assert!(created[1].verified.is_ok(), "{:?}", created[1].verified);
    let object = &created[1].activity["object"];
    assert_eq!(object["id"], app.url("/note/later"));
    assert_eq!(object["to"], json!([PUBLIC]));
    assert!(object.get("updated").is_none(), "released, not edited");
    assert_eq!(
        outbox_ids(&app).await,
        [app.url("/note/later"), app.url("/note/now")]
    );
    assert!(server.received("Delete").is_empty());
}

#[tokio::test]
async fn an_unlisted_note_goes_to_followers_unlisted_and_not_in_the_outbox() {
    let app = TestApp::builder()
        .activitypub("ada")
        .allow_private_addresses()
        .spawn()
        .await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    create(&app, "quiet", |n| n.visibility = Visibility::Unlisted).await;
    let created = server.wait_for("Create", 1).await;
    assert!(created[0].verified.is_ok(), "{:?}", created[0].verified);
    let followers = app.url("/activitypub/followers");
    for sent in [&created[0].activity, &created[0].activity["object"]] {
        assert_eq!(sent["to"], json!([followers]));
        assert_eq!(sent["cc"], json!([PUBLIC]));
    }
    let served = app
        .get_with("/note/quiet", &[("accept", "application/activity+json")])
        .await;
    assert_eq!(served.status(), 200, "served at its permalink");
    let served: Value = served.json().await.unwrap();
    assert_eq!(served["cc"], json!([PUBLIC]));
    assert!(outbox_ids(&app).await.is_empty(), "listed nowhere");
}
