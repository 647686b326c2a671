//! Receiving Webmentions: checked at once, verified in the background
//! against fake sites on loopback, kept, moderated, updated and removed.

use std::time::Duration;

use scraper::Html;
use starpunk::domain::{Moderation, Note, ResponseKind};

use crate::fake_site::{FakeSite, Page};
use crate::helpers::{TestApp, eventually, header, select};

pub async fn app(moderated: bool) -> TestApp {
    TestApp::builder()
        .allow_private_addresses()
        .moderation(moderated)
        .spawn()
        .await
}

pub fn permalink(app: &TestApp, note: &Note) -> String {
    app.url(&format!("/note/{}", note.slug))
}

pub async fn send(app: &TestApp, source: &str, target: &str) -> reqwest::Response {
    app.client
        .post(app.url("/webmention"))
        .form(&[("source", source), ("target", target)])
        .send()
        .await
        .expect("the endpoint answers")
}

/// What verifying the mention from `source` found, once it is done.
pub async fn outcome(app: &TestApp, source: &str) -> String {
    let done = || async {
        let recent = app.store().recent_mentions(100).await.unwrap();
        recent
            .into_iter()
            .find(|m| m.source == source && m.done_at.is_some())
            .map(|m| m.outcome.unwrap_or_default())
    };
    eventually(Duration::from_secs(15), || async { done().await.is_some() }).await;
    done().await.expect("verified")
}

/// An h-entry answering `target` with `class` (`u-in-reply-to`,
/// `u-like-of` …), by Bea, saying `text`.
pub fn entry(class: &str, target: &str, text: &str) -> String {
    format!(
        r#"<!doctype html><title>Bea's post</title>
        <article class="h-entry">
          <a class="p-author h-card" href="https://bea.example/"><img class="u-photo" src="/bea.png" alt="">Bea Blogger</a>
          <a class="{class}" href="{target}">the note</a>
          <div class="e-content"><p>{text}</p></div>
          <time class="dt-published" datetime="2026-05-06T07:08:09Z">6 May</time>
        </article>"#
    )
}

pub fn png(side: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(side, side, image::Rgb([200, 30, 60]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}

async fn page(app: &TestApp, note: &Note) -> Html {
    app.changed().await;
    Html::parse_document(&app.text(&format!("/note/{}", note.slug)).await)
}

#[tokio::test]
async fn every_page_advertises_the_endpoint() {
    let app = TestApp::builder().spawn().await;
    let note = app.publish("Advertised #tagged").await;
    let endpoint = app.url("/webmention");
    for path in ["/", &format!("/note/{}", note.slug), "/tags", "/search?q=x"] {
        let response = app.get(path).await;
        let links = header(&response, "link");
        assert!(
            links.contains(&format!("<{endpoint}>; rel=\"webmention\"")),
            "{path}: {links}"
        );
        let html = Html::parse_document(&response.text().await.unwrap());
        let advertised = select(&html, r#"link[rel="webmention"]"#);
        assert_eq!(
            advertised[0].value().attr("href"),
            Some(endpoint.as_str()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn mistakes_are_refused_at_once_with_a_reason() {
    let app = TestApp::builder().spawn().await;
    let note = app.publish("Target").await;
    let draft = app.draft("Not yet").await;
    let gone = app.publish("Soon gone").await;
    app.store()
        .change(gone.slug.as_str(), starpunk::domain::NoteEdit::delete())
        .await
        .unwrap();
    let target = permalink(&app, &note);
    let cases = [
        (String::new(), target.clone(), "`source` is missing"),
        (
            "ftp://x.example/a".into(),
            target.clone(),
            "not an absolute http",
        ),
        (target.clone(), target.clone(), "the same URL"),
        (
            "https://x.example/a".into(),
            "https://elsewhere.example/note/a".into(),
            "not a note of this site",
        ),
        ("https://x.example/a".into(), app.url("/tags"), "not a note"),
        (
            "https://x.example/a".into(),
            permalink(&app, &draft),
            "not a published note",
        ),
        (
            "https://x.example/a".into(),
            permalink(&app, &gone),
            "was deleted",
        ),
    ];
    for (source, target, says) in cases {
        let response = send(&app, &source, &target).await;
        assert_eq!(response.status(), 400, "{source} → {target}");
        let body = response.text().await.unwrap();
        assert!(body.contains(says), "{source} → {target}: {body}");
    }
    assert!(app.store().recent_mentions(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_reply_is_accepted_at_once_verified_later_and_shown_after_approval() {
    let app = app(true).await;
    let note = app.publish("Worth a reply").await;
    let target = permalink(&app, &note);
    let bea = FakeSite::start(2).await;
    bea.page(
        "/reply",
        Page::html(entry("u-in-reply-to", &target, "Lovely <b>note</b>!")).held(),
    );
    bea.page("/bea.png", Page::bytes("image/png", png(300)));

    // Answered while the source has not answered yet.
    let response = send(&app, &bea.url("/reply"), &target).await;
    assert_eq!(response.status(), 202);
    bea.release();
    let found = outcome(&app, &bea.url("/reply")).await;
    assert_eq!(found, "kept as a reply (pending)");
    assert!(select(&page(&app, &note).await, ".u-comment").is_empty());

    let pending = app
        .store()
        .responses_with_status(Moderation::Pending, 0, 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    let reply = &pending[0].incoming;
    assert_eq!(reply.kind, ResponseKind::Reply);
    assert_eq!(reply.author.name.as_deref(), Some("Bea Blogger"));
    assert_eq!(reply.host, "127.0.0.2");
    app.store()
        .moderate_response(pending[0].id, Moderation::Approved)
        .await
        .unwrap();
    let html = page(&app, &note).await;
    let comment = select(&html, ".h-entry .u-comment.h-cite");
    assert_eq!(comment.len(), 1);
    let text: String = comment[0].text().collect();
    assert!(
        text.contains("Bea Blogger") && text.contains("Lovely note!"),
        "{text}"
    );
    let photo = select(&html, ".u-comment .u-photo")[0]
        .value()
        .attr("src")
        .unwrap();
    assert!(
        photo.starts_with(&app.url("/media/")),
        "copied, not hotlinked: {photo}"
    );
    let copy = app.client.get(photo).send().await.unwrap();
    let image = image::load_from_memory(&copy.bytes().await.unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (96, 96));
}

#[tokio::test]
async fn likes_reposts_bookmarks_and_mentions_are_told_apart() {
    let app = app(false).await;
    let note = app.publish("Popular").await;
    let target = permalink(&app, &note);
    let site = FakeSite::start(3).await;
    site.page("/like", Page::html(entry("u-like-of", &target, "")));
    site.page("/repost", Page::html(entry("u-repost-of", &target, "")));
    site.page("/bookmark", Page::html(entry("u-bookmark-of", &target, "")));
    site.page(
        "/mention",
        Page::html(format!(r#"<p>I read <a href="{target}">this</a>.</p>"#)),
    );
    for (path, kind) in [
        ("/like", "like"),
        ("/repost", "repost"),
        ("/bookmark", "bookmark"),
        ("/mention", "mention"),
    ] {
        assert_eq!(send(&app, &site.url(path), &target).await.status(), 202);
        assert_eq!(
            outcome(&app, &site.url(path)).await,
            format!("kept as a {kind} (approved)")
        );
    }
    let html = page(&app, &note).await;
    for class in ["u-like", "u-repost", "u-bookmark", "u-mention"] {
        assert_eq!(
            select(&html, &format!(".h-entry .{class}.h-cite")).len(),
            1,
            "{class}"
        );
    }
}

#[tokio::test]
async fn a_mention_sent_again_updates_and_a_gone_source_removes_it() {
    let app = app(false).await;
    let note = app.publish("Changing conversation").await;
    let target = permalink(&app, &note);
    let site = FakeSite::start(4).await;
    let source = site.url("/reply");
    site.page(
        "/reply",
        Page::html(entry("u-in-reply-to", &target, "First words")),
    );
    send(&app, &source, &target).await;
    assert_eq!(outcome(&app, &source).await, "kept as a reply (approved)");

    site.page(
        "/reply",
        Page::html(entry("u-in-reply-to", &target, "Second thoughts")),
    );
    send(&app, &source, &target).await;
    assert_eq!(outcome(&app, &source).await, "updated the reply (approved)");
    let text: String = select(&page(&app, &note).await, ".u-comment")[0]
        .text()
        .collect();
    assert!(
        text.contains("Second thoughts") && !text.contains("First"),
        "{text}"
    );
    assert_eq!(app.store().shown_responses(note.id).await.unwrap().len(), 1);

    // No longer a link: removed.
    site.page(
        "/reply",
        Page::html(format!("<p>Nothing about {target} here</p>")),
    );
    send(&app, &source, &target).await;
    assert!(outcome(&app, &source).await.contains("does not link"));
    assert!(
        app.store()
            .shown_responses(note.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Back, then gone for good: 410 and 404 both remove it.
    for status in [410, 404] {
        site.page(
            "/reply",
            Page::html(entry("u-in-reply-to", &target, "Back")),
        );
        send(&app, &source, &target).await;
        assert_eq!(outcome(&app, &source).await, "kept as a reply (approved)");
        site.page("/reply", Page::status(status));
        send(&app, &source, &target).await;
        let found = outcome(&app, &source).await;
        assert!(
            found.contains(&status.to_string()) && found.contains("removed"),
            "{found}"
        );
        assert!(select(&page(&app, &note).await, ".u-comment").is_empty());
    }
}
