//! Unlisted and scheduled notes: an unlisted note is served at its address
//! and listed nowhere; a scheduled one is shown nowhere until its date,
//! then everywhere a published note is, within a second, without anyone
//! touching it.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use starpunk::domain::{NewNote, Note, NoteBody, NoteState, Slug, Tag, Visibility};

use crate::fake_hub::FakeHub;
use crate::helpers::{TestApp, eventually, select, spawn_app, stderr, stdout};

/// Long enough for the once-a-second release on a slow machine.
const LIMIT: Duration = Duration::from_secs(20);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

async fn create(app: &TestApp, slug: &str, text: &str, edit: impl FnOnce(&mut NewNote)) -> Note {
    let mut note = NewNote {
        slug: Some(Slug::parse(slug).unwrap()),
        published: true,
        tags: Tag::parse_list(&["Shared"]).unwrap(),
        ..NewNote::new(NoteBody::parse(text).unwrap())
    };
    edit(&mut note);
    let note = app.store().create(note).await.unwrap();
    app.changed().await;
    note
}

/// Every list of notes a reader, a feed reader or a search engine sees.
const LISTS: [&str; 8] = [
    "/",
    "/feed.xml",
    "/feed.atom",
    "/feed.json",
    "/tag/shared",
    "/search?q=zebrafish",
    "/sitemap.xml",
    "/tag/secret",
];

async fn lists_mentioning(app: &TestApp, needle: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for path in LISTS {
        if app.get(path).await.text().await.unwrap().contains(needle) {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn an_unlisted_note_is_served_at_its_address_and_listed_nowhere() {
    let app = spawn_app().await;
    create(&app, "everyone", "A public note about zebrafish", |_| {}).await;
    create(&app, "hidden", "An unlisted zebrafish sighting", |n| {
        n.visibility = Visibility::Unlisted;
        n.tags = Tag::parse_list(&["Shared", "Secret"]).unwrap();
    })
    .await;

    let page = app.get("/note/hidden").await;
    assert_eq!(page.status(), 200);
    let html = scraper::Html::parse_document(&page.text().await.unwrap());
    assert!(html.html().contains("An unlisted zebrafish sighting"));
    let robots: Vec<_> = select(&html, r#"meta[name="robots"]"#)
        .iter()
        .map(|m| m.value().attr("content").unwrap().to_owned())
        .collect();
    assert_eq!(robots, ["noindex"]);
    let public = app.text("/note/everyone").await;
    assert!(
        !public.contains(r#"name="robots""#),
        "public notes are indexed"
    );

    assert_eq!(
        lists_mentioning(&app, "/note/hidden").await,
        Vec::<&str>::new()
    );
    assert_eq!(
        lists_mentioning(&app, "unlisted zebrafish").await,
        Vec::<&str>::new()
    );
    // The public note is in every list but the tag only the unlisted note
    // has, which nobody sees.
    let listed = lists_mentioning(&app, "/note/everyone").await;
    assert_eq!(listed, LISTS[..7].to_vec());
    assert_eq!(app.get("/tag/secret").await.status(), 404);
    assert!(!app.text("/tags").await.contains("Secret"));
}

#[tokio::test]
async fn a_scheduled_note_appears_everywhere_when_its_date_comes() {
    let start = at("2026-12-01T09:00:00Z");
    let app = TestApp::builder().time(start).spawn().await;
    let due = start + TimeDelta::hours(2);
    let note = create(&app, "later", "Scheduled zebrafish news", |n| {
        n.published_at = Some(due);
    })
    .await;
    assert_eq!(note.state_at(start), NoteState::Scheduled);
    assert_eq!(app.get("/note/later").await.status(), 404);
    assert_eq!(
        lists_mentioning(&app, "/note/later").await,
        Vec::<&str>::new()
    );
    let changes_before = app.store().changes_for("test", 100).await.unwrap().len();

    // An hour on: still waiting.
    app.set_time(start + TimeDelta::hours(1));
    app.changed().await;
    assert_eq!(app.get("/note/later").await.status(), 404);

    // Its date comes: the server releases it by itself.
    app.set_time(due + TimeDelta::seconds(1));
    eventually(LIMIT, || async {
        app.get("/note/later").await.status() == 200
    })
    .await;
    eventually(LIMIT, || async {
        lists_mentioning(&app, "/note/later").await.len() == 7
    })
    .await;
    let released = app.store().find("later").await.unwrap().unwrap();
    assert_eq!(released.state_at(app.store().now()), NoteState::Published);
    assert_eq!(released.updated_at, due, "it appeared at its date");
    assert_eq!(released.published_at, Some(due));
    // The change log says so, once: Webmentions and deliveries follow it.
    let changes = app.store().changes_for("test", 100).await.unwrap();
    assert_eq!(changes.len(), changes_before + 1);
    assert_eq!(changes.last().unwrap().slug, "later");
    assert!(app.store().release_due().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_note_moved_to_a_later_date_is_scheduled_again() {
    let start = at("2026-12-01T09:00:00Z");
    let app = TestApp::builder().time(start).spawn().await;
    create(&app, "moved", "Zebrafish, moved", |_| {}).await;
    assert_eq!(app.get("/note/moved").await.status(), 200);
    let later = start + TimeDelta::days(1);
    app.store()
        .change(
            "moved",
            starpunk::domain::NoteEdit {
                published_at: Some(later),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.changed().await;
    assert_eq!(app.get("/note/moved").await.status(), 404);
    app.set_time(later);
    eventually(LIMIT, || async {
        app.get("/note/moved").await.status() == 200
    })
    .await;
}

#[tokio::test]
async fn only_changes_to_listed_notes_change_what_the_feeds_list() {
    let start = at("2026-12-01T09:00:00Z");
    let app = TestApp::builder().time(start).spawn().await;
    let store = app.store();
    let fingerprint = || async { store.listed_fingerprint().await.unwrap() };
    let empty = fingerprint().await;
    create(&app, "draft", "A draft", |n| n.published = false).await;
    create(&app, "unlisted", "Unlisted", |n| {
        n.visibility = Visibility::Unlisted
    })
    .await;
    create(&app, "soon", "Soon", |n| {
        n.published_at = Some(start + TimeDelta::minutes(5))
    })
    .await;
    assert_eq!(fingerprint().await, empty);
    create(&app, "listed", "Listed", |_| {}).await;
    let one = fingerprint().await;
    assert_ne!(one, empty);
    app.set_time(start + TimeDelta::minutes(5));
    assert_eq!(store.release_due().await.unwrap(), ["soon"]);
    assert_ne!(fingerprint().await, one);
}

#[tokio::test]
async fn the_hub_hears_of_a_scheduled_note_when_it_appears() {
    let hub = FakeHub::start().await;
    let start = at("2026-12-01T09:00:00Z");
    let app = TestApp::builder()
        .time(start)
        .websub_hub(hub.url())
        .spawn()
        .await;
    create(&app, "first", "First", |_| {}).await;
    eventually(LIMIT, || async { hub.pings().len() == 3 }).await;
    create(&app, "soon", "Soon", |n| {
        n.published_at = Some(start + TimeDelta::minutes(5))
    })
    .await;
    app.set_time(start + TimeDelta::minutes(5));
    eventually(LIMIT, || async { hub.pings().len() == 6 }).await;
}

#[tokio::test]
async fn the_editor_schedules_and_unlists() {
    let start = at("2026-12-01T09:00:00Z");
    let app = TestApp::builder().time(start).spawn().await;
    let owner = app.sign_in().await;
    let response = app
        .owner_post(
            &owner,
            "/admin/new",
            &[
                ("content", "Written today, shown tomorrow"),
                ("slug", "tomorrow"),
                ("published", "on"),
                ("published_at", "2026-12-02T08:30"),
                ("visibility", "unlisted"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let note = app.store().find("tomorrow").await.unwrap().unwrap();
    assert_eq!(note.visibility, Visibility::Unlisted);
    assert_eq!(note.published_at, Some(at("2026-12-02T08:30:00Z")));
    let dashboard = app.owner_get(&owner, "/admin").await.text().await.unwrap();
    assert!(
        dashboard.contains("Scheduled: it appears on 2 Dec 2026 at 08:30 UTC."),
        "{dashboard}"
    );
    let scheduled = app
        .owner_get(&owner, "/admin?show=scheduled")
        .await
        .text()
        .await
        .unwrap();
    assert!(scheduled.contains("Scheduled (1)"), "{scheduled}");
    assert!(scheduled.contains("tomorrow"));
    let unlisted = app
        .owner_get(&owner, "/admin?show=unlisted")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !unlisted.contains("/admin/edit/"),
        "scheduled, not yet unlisted"
    );

    // The edit form shows both; saving it unchanged changes neither, to
    // the millisecond.
    let form = app
        .owner_get(&owner, &format!("/admin/edit/{}", note.id))
        .await
        .text()
        .await
        .unwrap();
    let html = scraper::Html::parse_document(&form);
    let value = |selector: &str, attr: &str| {
        select(&html, selector)
            .first()
            .and_then(|e| e.value().attr(attr).map(str::to_owned))
    };
    assert_eq!(
        value("#published_at", "value").as_deref(),
        Some("2026-12-02T08:30")
    );
    assert!(value("#visibility-unlisted", "checked").is_some());
    assert!(value("#visibility-public", "checked").is_none());
    let response = app
        .owner_post(
            &owner,
            &format!("/admin/edit/{}", note.id),
            &[
                ("content", "Written today, shown tomorrow, to everyone"),
                ("published", "on"),
                ("published_at", "2026-12-02T08:30"),
                ("visibility", "public"),
                ("based_on", &note.content_hash),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let edited = app.store().find("tomorrow").await.unwrap().unwrap();
    assert_eq!(edited.visibility, Visibility::Public);
    assert_eq!(edited.published_at, note.published_at);
    assert_eq!(edited.state_at(start), NoteState::Scheduled);

    // A date that is not one is named next to its field.
    let response = app
        .owner_post(
            &owner,
            &format!("/admin/edit/{}", note.id),
            &[
                ("content", "x"),
                ("published", "on"),
                ("published_at", "tomorrow-ish"),
                ("based_on", &edited.content_hash),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("tomorrow-ish"));
}

#[tokio::test]
async fn the_cli_schedules_unlists_and_lists_each_state() {
    let app = spawn_app().await;
    let status = |slug: &str| -> String {
        let output = app
            .cli()
            .args(["note", "list", "--json", "--drafts"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|n| n["slug"] == slug)
            .map(|n| n["status"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{slug} is not listed"))
    };
    let run = |args: &[&str], input: &str| {
        let output = crate::helpers::run_with_input(app.cli().args(args), input);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        output
    };

    run(&["note", "new", "--unlisted", "--slug", "quiet"], "Quietly");
    assert_eq!(status("quiet"), "unlisted");
    run(&["note", "visibility", "quiet", "public"], "");
    assert_eq!(status("quiet"), "published");

    run(&["note", "new", "--draft", "--slug", "plan"], "A plan");
    assert_eq!(status("plan"), "draft");
    let later = (Utc::now() + TimeDelta::days(3)).to_rfc3339();
    let output = run(&["note", "publish", "plan", "--at", &later], "");
    assert!(stderr(&output).contains("scheduled"), "{}", stderr(&output));
    assert!(stdout(&output).ends_with("/note/plan\n"));
    assert_eq!(status("plan"), "scheduled");
    app.changed().await;
    assert_eq!(app.get("/note/plan").await.status(), 404);

    let bad = app
        .cli()
        .args(["note", "visibility", "quiet", "private"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "clap names the choices");
    assert!(stderr(&bad).contains("unlisted"), "{}", stderr(&bad));
}
