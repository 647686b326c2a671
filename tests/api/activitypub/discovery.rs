//! Being found: WebFinger, host-meta, NodeInfo, the actor, and notes'
//! permalinks in their ActivityPub representation.

use serde_json::Value;

use super::{actor, federated_app, handle};
use crate::helpers::{TestApp, header, spawn_app};

const AP: &str = "application/activity+json";
const LD: &str = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

async fn json(app: &TestApp, path: &str, accept: &str) -> (reqwest::Response, Value) {
    let response = app.get_with(path, &[("accept", accept)]).await;
    let clone = app.get_with(path, &[("accept", accept)]).await;
    let value = clone.json().await.unwrap_or(Value::Null);
    (response, value)
}

#[tokio::test]
async fn webfinger_names_the_actor_by_handle_actor_url_and_site_url() {
    let app = federated_app().await;
    let handle = handle(&app);
    for resource in [
        format!("acct:{handle}"),
        format!("acct:{}", handle.to_uppercase()),
        actor(&app),
        app.url("/"),
    ] {
        let response = app
            .get(&format!(
                "/.well-known/webfinger?resource={}",
                urlencode(&resource)
            ))
            .await;
        assert_eq!(response.status(), 200, "{resource}");
        assert_eq!(header(&response, "content-type"), "application/jrd+json");
        assert_eq!(header(&response, "access-control-allow-origin"), "*");
        let jrd: Value = response.json().await.unwrap();
        assert_eq!(jrd["subject"], format!("acct:{handle}"));
        let links = jrd["links"].as_array().unwrap();
        assert!(
            links
                .iter()
                .any(|l| l["rel"] == "self" && l["type"] == AP && l["href"] == actor(&app))
        );
        assert!(
            links
                .iter()
                .any(|l| l["rel"] == "http://webfinger.net/rel/profile-page"
                    && l["href"] == app.url("/"))
        );
    }
    for (query, status) in [
        ("resource=acct:bob@127.0.0.1", 404),
        ("resource=https://elsewhere.example/", 404),
        ("", 400),
        ("resource=", 400),
        ("resource=ada", 400),
        ("resource=acct:ada", 400),
        ("resource=%FF", 400),
    ] {
        let response = app.get(&format!("/.well-known/webfinger?{query}")).await;
        assert_eq!(response.status(), status, "{query}");
        assert!(
            header(&response, "content-type").contains("json"),
            "{query}"
        );
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn a_mastodon_lookup_round_trips_a_handle_with_a_port() {
    let app = federated_app().await;
    let server = super::FakeServer::start(2).await;
    let actor = server.look_up(&app.address, &handle(&app)).await;
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["preferredUsername"], "ada");
    assert_eq!(actor["name"], "Ada Author");
    assert_eq!(actor["url"], app.url("/"));
    assert_eq!(actor["inbox"], app.url("/activitypub/inbox"));
    assert_eq!(actor["endpoints"]["sharedInbox"], actor["inbox"]);
    assert_eq!(actor["outbox"], app.url("/activitypub/outbox"));
    assert_eq!(actor["followers"], app.url("/activitypub/followers"));
    assert_eq!(actor["manuallyApprovesFollowers"], false);
    assert_eq!(actor["discoverable"], true);
    assert_eq!(
        actor["publicKey"]["id"],
        format!("{}#main-key", actor["id"].as_str().unwrap())
    );
    assert_eq!(actor["publicKey"]["owner"], actor["id"]);
    assert_eq!(
        actor["publicKey"]["publicKeyPem"],
        include_str!("../../keys/site.pub.pem")
    );
    assert!(actor.get("alsoKnownAs").is_none());
    assert!(actor.get("icon").is_none());
}

#[tokio::test]
async fn an_old_account_and_a_picture_are_named_when_set() {
    let app = crate::helpers::TestApp::builder()
        .activitypub("ada")
        .activitypub_also_known_as("https://old.example/users/ada, https://older.example/@ada")
        .configure(|s| {
            s.activitypub.as_mut().unwrap().icon =
                Some(url::Url::parse("https://ada.example/me.jpg").unwrap());
        })
        .spawn()
        .await;
    let (_, actor) = json(&app, "/activitypub/actor", AP).await;
    assert_eq!(
        actor["alsoKnownAs"],
        serde_json::json!([
            "https://old.example/users/ada",
            "https://older.example/@ada"
        ])
    );
    assert_eq!(actor["icon"]["url"], "https://ada.example/me.jpg");
    assert_eq!(actor["icon"]["mediaType"], "image/jpeg");
}

#[tokio::test]
async fn the_actor_is_json_for_servers_cached_and_sends_browsers_to_the_site() {
    let app = federated_app().await;
    for accept in [AP, LD] {
        let (response, actor) = json(&app, "/activitypub/actor", accept).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-type"), AP);
        assert_eq!(header(&response, "vary"), "Accept, Accept-Encoding");
        assert_eq!(actor["id"], app.url("/activitypub/actor"));
        let etag = header(&response, "etag");
        let again = app
            .get_with(
                "/activitypub/actor",
                &[("accept", accept), ("if-none-match", &etag)],
            )
            .await;
        assert_eq!(again.status(), 304);
    }
    let browser = app
        .get_with("/activitypub/actor", &[("accept", "text/html,*/*;q=0.8")])
        .await;
    assert_eq!(browser.status(), 303);
    assert_eq!(header(&browser, "location"), app.url("/"));
    assert_eq!(header(&browser, "vary"), "Accept");
}

#[tokio::test]
async fn host_meta_and_nodeinfo_describe_the_site() {
    let app = federated_app().await;
    let meta = app.get("/.well-known/host-meta").await;
    assert_eq!(meta.status(), 200);
    let xml = meta.text().await.unwrap();
    assert!(
        xml.contains(&format!(
            "template=\"{}/.well-known/webfinger?resource={{uri}}\"",
            app.address
        )),
        "{xml}"
    );
    let links: Value = app.get("/.well-known/nodeinfo").await.json().await.unwrap();
    let href = links["links"][0]["href"].as_str().unwrap();
    assert_eq!(
        links["links"][0]["rel"],
        "http://nodeinfo.diaspora.software/ns/schema/2.1"
    );
    app.publish("One public note").await;
    app.draft("A draft").await;
    let path = href.trim_start_matches(&app.address);
    let info: Value = app.get(path).await.json().await.unwrap();
    assert_eq!(info["version"], "2.1");
    assert_eq!(info["software"]["name"], "starpunk");
    assert_eq!(info["protocols"], serde_json::json!(["activitypub"]));
    assert_eq!(info["usage"]["users"]["total"], 1);
    assert_eq!(info["usage"]["localPosts"], 1);
    assert_eq!(info["openRegistrations"], false);
}

#[tokio::test]
async fn a_permalink_answers_html_or_a_note_and_varies_on_accept() {
    let app = federated_app().await;
    let note = app.publish("Hello fediverse, this is a note").await;
    let path = format!("/note/{}", note.slug);
    let page = app.get(&path).await;
    assert_eq!(header(&page, "vary"), "Accept, Accept-Encoding");
    let etag = header(&page, "etag");
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!(
        "<link rel=\"alternate\" type=\"application/activity+json\" href=\"{}\">",
        app.url(&path)
    )));
    for accept in [AP, LD, "application/activity+json, text/html;q=0.1"] {
        let (response, object) = json(&app, &path, accept).await;
        assert_eq!(response.status(), 200, "{accept}");
        assert_eq!(header(&response, "content-type"), AP);
        // Too short to be kept compressed: it varies on Accept alone.
        assert_eq!(header(&response, "vary"), "Accept");
        assert_eq!(object["type"], "Note");
        assert_eq!(object["id"], app.url(&path));
        assert_eq!(object["attributedTo"], app.url("/activitypub/actor"));
        assert_eq!(
            object["content"],
            "<p>Hello fediverse, this is a note</p>\n"
        );
    }
    // The page's bytes are the same after the JSON was served.
    let again = app.get(&path).await;
    assert_eq!(header(&again, "etag"), etag);
    assert_eq!(again.text().await.unwrap(), html);
    let home = app.text("/").await;
    assert!(home.contains(&format!(
        "<link rel=\"alternate\" type=\"application/activity+json\" href=\"{}\">",
        app.url("/activitypub/actor")
    )));
}

#[tokio::test]
async fn drafts_and_notes_for_later_are_not_served_and_a_deleted_one_is_a_tombstone() {
    let app = federated_app().await;
    let draft = app.draft("Not yet").await;
    let (response, _) = json(&app, &format!("/note/{}", draft.slug), AP).await;
    assert_eq!(response.status(), 404);

    let later = app
        .store()
        .create(starpunk::domain::NewNote {
            published_at: Some(chrono::Utc::now() + chrono::TimeDelta::days(3)),
            ..starpunk::domain::NewNote::new(starpunk::domain::NoteBody::parse("Later").unwrap())
        })
        .await
        .unwrap();
    app.changed().await;
    let (response, _) = json(&app, &format!("/note/{}", later.slug), AP).await;
    assert_eq!(response.status(), 404);

    let gone = app.publish("Soon deleted").await;
    let path = format!("/note/{}", gone.slug);
    assert_eq!(json(&app, &path, AP).await.0.status(), 200);
    app.store()
        .change(gone.slug.as_str(), starpunk::domain::NoteEdit::delete())
        .await
        .unwrap();
    app.changed().await;
    let (response, tombstone) = json(&app, &path, AP).await;
    assert_eq!(response.status(), 410);
    assert_eq!(header(&response, "content-type"), AP);
    assert_eq!(tombstone["type"], "Tombstone");
    assert_eq!(tombstone["id"], app.url(&path));
    assert_eq!(app.get(&path).await.status(), 410, "the page too");
}

#[tokio::test]
async fn the_outbox_and_followers_collections_count() {
    let app = federated_app().await;
    for n in 0..23 {
        app.publish(&format!("Note number {n}")).await;
    }
    let (_, outbox) = json(&app, "/activitypub/outbox", AP).await;
    assert_eq!(outbox["type"], "OrderedCollection");
    assert_eq!(outbox["totalItems"], 23);
    let first = outbox["first"]
        .as_str()
        .unwrap()
        .trim_start_matches(&app.address)
        .to_owned();
    let (_, page) = json(&app, &first, AP).await;
    let items = page["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    assert_eq!(items[0]["type"], "Create");
    assert_eq!(items[0]["object"]["content"], "<p>Note number 22</p>\n");
    let next = page["next"]
        .as_str()
        .unwrap()
        .trim_start_matches(&app.address)
        .to_owned();
    let (_, older) = json(&app, &next, AP).await;
    assert_eq!(older["orderedItems"].as_array().unwrap().len(), 3);
    assert!(older.get("next").is_none());
    let (response, _) = json(&app, "/activitypub/outbox?page=9", AP).await;
    assert_eq!(response.status(), 404);

    let (_, followers) = json(&app, "/activitypub/followers", AP).await;
    assert_eq!(followers["type"], "OrderedCollection");
    assert_eq!(followers["totalItems"], 0);
}

#[tokio::test]
async fn without_a_user_name_every_fediverse_address_is_not_found() {
    let app = spawn_app().await;
    let note = app.publish("No federation here").await;
    for path in [
        "/.well-known/webfinger?resource=acct:ada@127.0.0.1",
        "/.well-known/host-meta",
        "/.well-known/nodeinfo",
        "/nodeinfo/2.1",
        "/activitypub/actor",
        "/activitypub/outbox",
        "/activitypub/followers",
    ] {
        assert_eq!(
            app.get_with(path, &[("accept", AP)]).await.status(),
            404,
            "{path}"
        );
    }
    let inbox = app
        .client
        .post(app.url("/activitypub/inbox"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), 404);
    let page = app
        .get_with(&format!("/note/{}", note.slug), &[("accept", AP)])
        .await;
    assert_eq!(page.status(), 200);
    assert!(header(&page, "content-type").starts_with("text/html"));
    assert_eq!(header(&page, "vary"), "Accept-Encoding", "not Accept");
    let html = page.text().await.unwrap();
    assert!(!html.contains("application/activity+json"));
}
