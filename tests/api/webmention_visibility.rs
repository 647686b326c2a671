//! Scheduled and unlisted notes and Webmention: a scheduled note tells no
//! page and takes no Webmention until its date comes; an unlisted one,
//! reachable at its address, does both.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use starpunk::domain::{NewNote, Note, NoteBody, Visibility};

use crate::fake_site::{FakeSite, Page};
use crate::helpers::{TestApp, eventually};
use crate::webmention::{permalink, send};

/// Long enough for the once-a-second release on a slow machine.
const LIMIT: Duration = Duration::from_secs(20);

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
        .unwrap()
        .to_utc()
}

async fn app() -> TestApp {
    TestApp::builder()
        .allow_private_addresses()
        .time(start())
        .spawn()
        .await
}

async fn create(app: &TestApp, text: &str, edit: impl FnOnce(&mut NewNote)) -> Note {
    let mut note = NewNote {
        published: true,
        ..NewNote::new(NoteBody::parse(text).unwrap())
    };
    edit(&mut note);
    let note = app.store().create(note).await.unwrap();
    app.changed().await;
    note
}

#[tokio::test]
async fn a_scheduled_note_tells_the_pages_it_links_to_only_when_its_date_comes() {
    let app = app().await;
    let site = FakeSite::start(26).await;
    site.page(
        "/page",
        Page::html("<p>A page</p>").header("Link", "</endpoint>; rel=\"webmention\""),
    );
    site.page("/endpoint", Page::endpoint(202));
    let link = format!("[a page]({})", site.url("/page"));
    let due = start() + TimeDelta::hours(2);
    let later = create(&app, &format!("Later, {link}"), |n| {
        n.published_at = Some(due);
    })
    .await;
    let unlisted = create(&app, &format!("Quietly, {link}"), |n| {
        n.visibility = Visibility::Unlisted;
    })
    .await;

    // Every change so far planned: the unlisted note's Webmention only.
    app.state.webmention.plan_changes().await.unwrap();
    let sent = app.store().sent_webmentions(later.id).await.unwrap();
    assert!(sent.is_empty(), "{sent:?}");
    eventually(LIMIT, || async { site.posts("/endpoint").len() == 1 }).await;
    assert_eq!(
        site.posts("/endpoint")[0]["source"],
        permalink(&app, &unlisted)
    );

    // Its date comes: the server releases it, and the page hears of it.
    app.set_time(due + TimeDelta::seconds(1));
    eventually(LIMIT, || async { site.posts("/endpoint").len() == 2 }).await;
    assert_eq!(
        site.posts("/endpoint")[1]["source"],
        permalink(&app, &later)
    );
}

#[tokio::test]
async fn a_scheduled_note_takes_no_webmention_until_its_date_and_an_unlisted_one_does() {
    let app = app().await;
    let due = start() + TimeDelta::hours(2);
    let later = create(&app, "Later", |n| n.published_at = Some(due)).await;
    let unlisted = create(&app, "Quietly", |n| n.visibility = Visibility::Unlisted).await;
    let source = "https://elsewhere.example/reply";

    let refused = send(&app, source, &permalink(&app, &later)).await;
    assert_eq!(refused.status(), 400);
    let says = refused.text().await.unwrap();
    assert!(says.contains("not a published note"), "{says}");
    let taken = send(&app, source, &permalink(&app, &unlisted)).await;
    assert_eq!(taken.status(), 202);

    app.set_time(due + TimeDelta::seconds(1));
    eventually(LIMIT, || async {
        app.get(&format!("/note/{}", later.slug)).await.status() == 200
    })
    .await;
    let taken = send(&app, source, &permalink(&app, &later)).await;
    assert_eq!(taken.status(), 202);
}
