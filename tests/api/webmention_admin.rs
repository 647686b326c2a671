//! The owner's side: `/admin/mentions` (approve, reject, delete, always
//! approve a site, what each verification found) and what each note's
//! Webmentions did.

use std::time::Duration;

use scraper::Html;

use crate::fake_site::{FakeSite, Page};
use crate::helpers::{TestApp, eventually, select};
use crate::owner::Signed;
use crate::webmention::{app, entry, outcome, permalink, send};

async fn mentions_page(app: &TestApp, signed: &Signed, show: &str) -> Html {
    let response = app
        .owner_get(signed, &format!("/admin/mentions?show={show}"))
        .await;
    assert_eq!(response.status(), 200);
    Html::parse_document(&response.text().await.unwrap())
}

async fn act(app: &TestApp, signed: &Signed, id: i64, action: &str, host: &str) {
    let response = app
        .owner_post(
            signed,
            &format!("/admin/mentions/moderate/{id}"),
            &[("action", action), ("host", host)],
        )
        .await;
    assert_eq!(response.status(), 303, "{action}");
}

fn ids(html: &Html) -> Vec<i64> {
    select(html, ".mention form")
        .iter()
        .filter_map(|form| form.value().attr("action"))
        .filter_map(|action| action.rsplit('/').next()?.parse().ok())
        .collect()
}

async fn comments(app: &TestApp, slug: &str) -> usize {
    app.changed().await;
    let html = Html::parse_document(&app.text(&format!("/note/{slug}")).await);
    select(&html, ".u-comment").len()
}

#[tokio::test]
async fn the_owner_approves_rejects_deletes_and_trusts_sites() {
    let app = app(true).await;
    assert_eq!(
        app.get("/admin/mentions").await.status(),
        303,
        "owners only"
    );
    let note = app.publish("Moderated").await;
    let target = permalink(&app, &note);
    let friend = FakeSite::start(20).await;
    let stranger = FakeSite::start(21).await;
    friend.page(
        "/1",
        Page::html(entry("u-in-reply-to", &target, "Friendly")),
    );
    friend.page(
        "/2",
        Page::html(entry("u-in-reply-to", &target, "Friendly again")),
    );
    stranger.page(
        "/1",
        Page::html(entry("u-in-reply-to", &target, "Spam spam")),
    );
    for source in [friend.url("/1"), stranger.url("/1")] {
        send(&app, &source, &target).await;
        outcome(&app, &source).await;
    }
    let signed = app.sign_in().await;
    let waiting = mentions_page(&app, &signed, "pending").await;
    let text: String = waiting.root_element().text().collect();
    assert!(
        text.contains("Friendly") && text.contains("Spam spam"),
        "{text}"
    );
    assert!(
        text.contains("kept as a reply (pending)"),
        "the outcomes are listed"
    );
    let listed = ids(&waiting);
    assert_eq!(listed.len(), 2);
    let (stranger_id, friend_id) = (listed[0], listed[1]);

    act(&app, &signed, friend_id, "approve", "").await;
    act(&app, &signed, stranger_id, "reject", "").await;
    assert_eq!(comments(&app, note.slug.as_str()).await, 1);
    let rejected = mentions_page(&app, &signed, "rejected").await;
    assert_eq!(ids(&rejected), [stranger_id]);

    // Always approve the friend's site: its next reply shows at once.
    act(&app, &signed, friend_id, "trust", "127.0.0.20").await;
    send(&app, &friend.url("/2"), &target).await;
    assert_eq!(
        outcome(&app, &friend.url("/2")).await,
        "kept as a reply (approved)"
    );
    assert_eq!(comments(&app, note.slug.as_str()).await, 2);
    let approved = mentions_page(&app, &signed, "approved").await;
    assert_eq!(select(&approved, ".trusted li").len(), 1);

    act(&app, &signed, friend_id, "delete", "").await;
    assert_eq!(comments(&app, note.slug.as_str()).await, 1);
    let response = app
        .owner_post(
            &signed,
            "/admin/mentions/distrust",
            &[("host", "127.0.0.20")],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert!(app.store().trusted_hosts().await.unwrap().is_empty());
    let missing = app
        .owner_post(
            &signed,
            "/admin/mentions/moderate/999",
            &[("action", "approve")],
        )
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_refused_source_is_visible_in_the_admin() {
    let app = TestApp::builder().spawn().await;
    let note = app.publish("Private matters").await;
    let target = permalink(&app, &note);
    let source = "http://127.0.0.22:9/reply";
    assert_eq!(send(&app, source, &target).await.status(), 202);
    outcome(&app, source).await;
    let signed = app.sign_in().await;
    let page = mentions_page(&app, &signed, "pending").await;
    let received: String = select(&page, "table.received")[0].text().collect();
    assert!(received.contains(source), "{received}");
    assert!(received.contains("private network"), "{received}");
}

#[tokio::test]
async fn each_note_shows_what_its_webmentions_did() {
    let app = app(true).await;
    let site = FakeSite::start(23).await;
    site.page(
        "/fine",
        Page::html("x").header("Link", "</ok>; rel=webmention"),
    );
    site.page("/ok", Page::endpoint(202));
    site.page(
        "/broken",
        Page::html("x").header("Link", "</down>; rel=webmention"),
    );
    site.page("/down", Page::endpoint(500));
    let note = app
        .publish(&format!(
            "[fine]({}) and [broken]({})",
            site.url("/fine"),
            site.url("/broken")
        ))
        .await;
    eventually(Duration::from_secs(15), || async {
        let sent = app.store().sent_webmentions(note.id).await.unwrap();
        sent.len() == 2 && sent.iter().all(|s| s.attempts > 0)
    })
    .await;
    let signed = app.sign_in().await;
    let dashboard = app.owner_get(&signed, "/admin").await.text().await.unwrap();
    assert!(
        dashboard.contains("Webmentions sent to 1 of 2; 127.0.0.23: 500, retrying"),
        "{dashboard}"
    );
    let detail = app
        .owner_get(&signed, &format!("/admin/mentions/sent/{}", note.id))
        .await;
    assert_eq!(detail.status(), 200);
    let html = Html::parse_document(&detail.text().await.unwrap());
    let rows: Vec<String> = select(&html, "table.sent tbody tr")
        .iter()
        .map(|row| row.text().collect())
        .collect();
    assert_eq!(rows.len(), 2);
    assert!(
        rows[0].contains("sent") && rows[0].contains("accepted (202 Accepted)"),
        "{rows:?}"
    );
    assert!(
        rows[1].contains("retrying") && rows[1].contains("the endpoint answered 500"),
        "{rows:?}"
    );
}
