use chrono::TimeDelta;
use serde_json::json;

use super::*;
use crate::domain::{
    NoteBody, NoteProperties, NoteWithBody, Photo, SiteUrl, Slug, Tag, mf2::Properties,
};
use crate::render::MediaLookup;

fn site() -> SiteSettings {
    SiteSettings {
        url: SiteUrl::parse("https://ada.example/").unwrap(),
        name: "Ada's notes".into(),
        description: "Notes <and> things".into(),
        author: "Ada".into(),
        admin_me: None,
        language: "en".into(),
    }
}

fn settings() -> ActivityPubSettings {
    ActivityPubSettings {
        username: "ada".into(),
        also_known_as: vec![url::Url::parse("https://old.example/users/ada").unwrap()],
        delivery_concurrency: 16,
        icon: None,
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
}

fn note(text: &str, properties: NoteProperties, tags: &[&str]) -> Note {
    Note {
        id: 7,
        slug: Slug::parse("hello").unwrap(),
        file_path: "2027/01/hello.md".into(),
        published: true,
        created_at: at(0),
        updated_at: at(0),
        published_at: Some(at(0)),
        deleted_at: None,
        content_hash: NoteBody::parse(text).unwrap().hash().to_owned(),
        tags: tags.iter().map(|t| Tag::parse(t).unwrap()).collect(),
        properties,
        visibility: Visibility::Public,
    }
}

fn object(note: &Note, text: &str) -> Value {
    let site = site();
    let ids = Ids::new(&site, &settings());
    let with_body = NoteWithBody {
        note: note.clone(),
        body: NoteBody::parse(text).unwrap(),
    };
    let view = NoteView::new(&site, &with_body, &MediaLookup::new());
    super::note(
        &ids,
        &NoteSource {
            note,
            view: &view,
            version: 1,
        },
    )
}

#[test]
fn hashtags_keep_what_mastodon_allows() {
    assert_eq!(hashtag_name("Web Dev").as_deref(), Some("WebDev"));
    assert_eq!(hashtag_name("c++").as_deref(), Some("c"));
    assert_eq!(hashtag_name("rust_lang").as_deref(), Some("rust_lang"));
    assert_eq!(hashtag_name("Café-Crème").as_deref(), Some("CaféCrème"));
    assert_eq!(hashtag_name("2024"), None);
    assert_eq!(hashtag_name("!!!"), None);
}

#[test]
fn the_actor_says_who_it_is_and_where_it_takes_deliveries() {
    let site = site();
    let ids = Ids::new(&site, &settings());
    let actor = actor(
        &site,
        &settings(),
        &ids,
        "PEM",
        Some("https://ada.example/me.png"),
    );
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["id"], "https://ada.example/activitypub/actor");
    assert_eq!(actor["preferredUsername"], "ada");
    assert_eq!(actor["name"], "Ada");
    assert_eq!(actor["summary"], "<p>Notes &lt;and&gt; things</p>");
    assert_eq!(actor["url"], "https://ada.example/");
    assert_eq!(actor["endpoints"]["sharedInbox"], actor["inbox"]);
    assert_eq!(actor["publicKey"]["owner"], actor["id"]);
    assert_eq!(actor["publicKey"]["id"], format!("{}#main-key", ids.actor));
    assert_eq!(actor["manuallyApprovesFollowers"], false);
    assert_eq!(actor["discoverable"], true);
    assert_eq!(
        actor["alsoKnownAs"],
        json!(["https://old.example/users/ada"])
    );
    assert_eq!(actor["icon"]["mediaType"], "image/png");
}

#[test]
fn a_note_carries_its_title_text_hashtags_and_reply() {
    let mut extra = Properties::new();
    extra.insert(
        "in-reply-to".into(),
        vec![json!("https://m.example/@bea/1")],
    );
    let properties = NoteProperties {
        name: Some("A <title>".into()),
        extra,
        ..NoteProperties::default()
    };
    let note = note(
        "See [this](/note/other) and *that*.",
        properties,
        &["Web Dev", "2024"],
    );
    let object = object(&note, "See [this](/note/other) and *that*.");
    assert_eq!(object["type"], "Note");
    assert_eq!(object["id"], "https://ada.example/note/hello");
    assert_eq!(object["url"], object["id"]);
    assert_eq!(
        object["attributedTo"],
        "https://ada.example/activitypub/actor"
    );
    assert_eq!(object["to"], json!([PUBLIC]));
    assert_eq!(
        object["cc"],
        json!(["https://ada.example/activitypub/followers"])
    );
    assert_eq!(object["inReplyTo"], "https://m.example/@bea/1");
    assert_eq!(object["published"], "2027-01-15T08:00:00Z");
    assert!(object.get("updated").is_none(), "never edited");
    let content = object["content"].as_str().unwrap();
    assert!(
        content.starts_with("<p><strong>A &lt;title&gt;</strong></p>"),
        "{content}"
    );
    assert!(
        content.contains(r#"href="https://ada.example/note/other""#),
        "{content}"
    );
    assert!(content.contains(
        r##"<a href="https://ada.example/tag/web-dev" class="mention hashtag" rel="tag">#<span>WebDev</span></a>"##
    ), "{content}");
    assert_eq!(
        object["tag"],
        json!([{"type": "Hashtag", "name": "#WebDev", "href": "https://ada.example/tag/web-dev"}])
    );
}

#[test]
fn photos_are_attachments_and_an_edit_is_dated() {
    let properties = NoteProperties {
        photos: vec![Photo {
            url: "https://cdn.example/cat.JPG".into(),
            alt: Some("A cat".into()),
        }],
        ..NoteProperties::default()
    };
    let mut note = note("Look", properties, &[]);
    note.updated_at = at(0) + TimeDelta::minutes(5);
    let object = object(&note, "Look");
    assert_eq!(
        object["attachment"],
        json!([{"type": "Image", "mediaType": "image/jpeg", "url": "https://cdn.example/cat.JPG", "name": "A cat"}])
    );
    assert_eq!(object["updated"], "2027-01-15T08:05:00.000Z");
    assert!(!object["content"].as_str().unwrap().contains("<img"));
    // The hash that decides an Update leaves `updated` out.
    let mut same = object.clone();
    same["updated"] = json!("2030-01-01T00:00:00Z");
    assert_eq!(object_hash(&object), object_hash(&same));
    same["content"] = json!("<p>Other</p>");
    assert_ne!(object_hash(&object), object_hash(&same));
}

#[test]
fn activities_wrap_the_object_and_deletes_send_a_tombstone() {
    let site = site();
    let ids = Ids::new(&site, &settings());
    let note = note("Hi", NoteProperties::default(), &[]);
    let object = object(&note, "Hi");
    let create = create(&ids, &object);
    assert_eq!(create["type"], "Create");
    assert_eq!(create["id"], "https://ada.example/note/hello#create");
    assert_eq!(create["actor"], ids.actor);
    assert!(create["object"].get("@context").is_none());
    assert_eq!(create["object"]["id"], object["id"]);
    assert!(create["@context"].is_array());
    let update = update(&ids, &object, at(60));
    assert!(update["id"].as_str().unwrap().contains("#update-"));
    let delete = delete(&ids, "https://ada.example/note/hello");
    assert_eq!(
        delete["object"],
        json!({"id": "https://ada.example/note/hello", "type": "Tombstone"})
    );
    let accept = answer_follow(
        &ids,
        "Accept",
        "https://m.example/f/1",
        "https://m.example/u/b",
        "t",
    );
    assert_eq!(accept["object"]["id"], "https://m.example/f/1");
    assert_eq!(accept["object"]["actor"], "https://m.example/u/b");
}

#[test]
fn replies_are_read_from_every_shape_micropub_keeps() {
    let mut note = note("Hi", NoteProperties::default(), &[]);
    for (value, want) in [
        (json!("https://a.example/1"), Some("https://a.example/1")),
        (
            json!({"value": "https://a.example/2"}),
            Some("https://a.example/2"),
        ),
        (
            json!({"type": ["h-cite"], "properties": {"url": ["https://a.example/3"]}}),
            Some("https://a.example/3"),
        ),
        (json!("javascript:alert(1)"), None),
        (json!(42), None),
    ] {
        note.properties
            .extra
            .insert("in-reply-to".into(), vec![value]);
        assert_eq!(in_reply_to(&note).as_deref(), want);
    }
}

#[test]
fn an_unlisted_note_goes_to_followers_with_public_only_in_cc() {
    let site = site();
    let ids = Ids::new(&site, &settings());
    let note = Note {
        visibility: Visibility::Unlisted,
        ..note("Quiet", NoteProperties::default(), &[])
    };
    let object = object(&note, "Quiet");
    assert_eq!(object["to"], json!([ids.followers]));
    assert_eq!(object["cc"], json!([PUBLIC]));
    let create = create(&ids, &object);
    assert_eq!(create["to"], object["to"]);
    assert_eq!(create["cc"], object["cc"]);
    let update = update(&ids, &object, at(60));
    assert_eq!(update["to"], object["to"]);
    assert_eq!(update["cc"], object["cc"]);
}
