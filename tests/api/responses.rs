//! What other sites said about a note: kept, moderated and shown under it,
//! with nothing a source wrote reaching the page unchecked.

use scraper::Html;
use starpunk::domain::{Author, IncomingResponse, Moderation, Protocol, ResponseKind};
use starpunk::store::Kept;

use crate::helpers::{TestApp, header, select, spawn_app};

fn response(note_id: i64, kind: ResponseKind, source: &str) -> IncomingResponse {
    IncomingResponse {
        note_id,
        protocol: Protocol::Webmention,
        source: source.to_owned(),
        kind,
        url: source.to_owned(),
        host: url::Url::parse(source)
            .unwrap()
            .host_str()
            .unwrap()
            .to_owned(),
        author: Author {
            name: Some("Bea Blogger".into()),
            url: Some("https://bea.example/".into()),
            photo: None,
        },
        actor: None,
        content_html: Some("<p>Lovely <b>note</b>!</p>".into()),
        content_text: Some("Lovely note!".into()),
        published: None,
    }
}

async fn page(app: &TestApp, slug: &str) -> Html {
    app.changed().await;
    Html::parse_document(&app.text(&format!("/note/{slug}")).await)
}

#[tokio::test]
async fn moderated_responses_wait_and_approved_ones_show_as_microformats() {
    let app = spawn_app().await;
    let note = app.publish("Something worth replying to").await;
    let store = app.store();
    let reply = response(note.id, ResponseKind::Reply, "https://bea.example/reply/1");
    let kept = store.keep_response(&reply, true).await.unwrap();
    let Kept::New(kept) = kept else {
        panic!("a first response is new")
    };
    assert_eq!(kept.status, Moderation::Pending);
    assert!(select(&page(&app, note.slug.as_str()).await, ".u-comment").is_empty());

    store
        .moderate_response(kept.id, Moderation::Approved)
        .await
        .unwrap();
    let like = response(note.id, ResponseKind::Like, "https://cat.example/likes/9");
    store.keep_response(&like, false).await.unwrap();
    let html = page(&app, note.slug.as_str()).await;
    let comments = select(&html, ".h-entry .u-comment.h-cite");
    assert_eq!(comments.len(), 1);
    let text: String = comments[0].text().collect();
    assert!(
        text.contains("Bea Blogger") && text.contains("Lovely note!"),
        "{text}"
    );
    assert_eq!(select(&html, ".u-comment .p-author.h-card").len(), 1);
    assert_eq!(select(&html, ".h-entry .u-like.h-cite").len(), 1);
    assert_eq!(
        select(&html, ".u-like .u-url")[0].value().attr("href"),
        Some("https://cat.example/likes/9")
    );

    // The same source again updates what is shown; the decision stands.
    let mut edited = reply.clone();
    edited.content_text = Some("Lovely note, edited.".into());
    edited.content_html = Some("<p>Lovely note, edited.</p>".into());
    let again = store.keep_response(&edited, true).await.unwrap();
    assert!(matches!(&again, Kept::Updated(r) if r.status == Moderation::Approved));
    let html = page(&app, note.slug.as_str()).await;
    let text: String = select(&html, ".u-comment")[0].text().collect();
    assert!(text.contains("edited"), "{text}");
}

#[tokio::test]
async fn a_trusted_host_is_approved_at_once_and_a_blocked_one_removed() {
    let app = spawn_app().await;
    let note = app.publish("Trust and blocks").await;
    let store = app.store();
    let first = response(note.id, ResponseKind::Mention, "https://friend.example/a");
    let waiting = store.keep_response(&first, true).await.unwrap();
    assert_eq!(waiting.response().status, Moderation::Pending);
    assert_eq!(store.trust_host("friend.example").await.unwrap(), 1);
    let second = response(note.id, ResponseKind::Reply, "https://friend.example/b");
    let kept = store.keep_response(&second, true).await.unwrap();
    assert_eq!(kept.response().status, Moderation::Approved);
    let counts = store.response_counts().await.unwrap();
    assert_eq!((counts.pending, counts.approved), (0, 2));

    assert!(!store.is_blocked("www.friend.example").await.unwrap());
    assert_eq!(store.block_domain("friend.example").await.unwrap(), 2);
    assert!(store.is_blocked("www.friend.example").await.unwrap());
    assert!(!store.is_blocked("notfriend.example").await.unwrap());
    assert_eq!(store.response_counts().await.unwrap().approved, 0);
}

#[tokio::test]
async fn hostile_content_never_reaches_the_page() {
    let app = spawn_app().await;
    let note = app.publish("Target of hostility").await;
    let mut hostile = response(note.id, ResponseKind::Reply, "https://evil.example/x");
    hostile.author.name = Some("<script>alert('name')</script>".into());
    hostile.content_html = Some(
        "<p onmouseover=alert(1)>hi<script>alert(2)</script><img src=https://t.example/p.gif>\
         <a href=\"javascript:alert(3)\">x</a><iframe src=https://f.example></iframe></p>"
            .into(),
    );
    hostile.content_text = Some("hi x".into());
    app.store().keep_response(&hostile, false).await.unwrap();
    app.changed().await;
    let body = app.text(&format!("/note/{}", note.slug)).await;
    let comment = body.split("u-comment").nth(1).expect("the reply is shown");
    for bad in [
        "<script",
        "onmouseover",
        "javascript:",
        "<iframe",
        "t.example/p.gif",
    ] {
        assert!(!comment.contains(bad), "{bad} in {comment}");
    }
    let html = Html::parse_document(&body);
    let name: String = select(&html, ".u-comment .p-author .p-name")[0]
        .text()
        .collect();
    assert_eq!(name, "<script>alert('name')</script>", "shown as text");
}

#[tokio::test]
async fn a_note_page_is_dated_by_its_responses_too_and_a_deleted_note_is_gone() {
    let app = spawn_app().await;
    let note = app.publish("Dated by responses").await;
    let path = format!("/note/{}", note.slug);
    let before = header(&app.get(&path).await, "etag");
    let like = response(note.id, ResponseKind::Like, "https://late.example/like");
    let kept = app.store().keep_response(&like, false).await.unwrap();
    app.changed().await;
    let after = app.get(&path).await;
    assert_ne!(header(&after, "etag"), before);
    app.store()
        .delete_response(kept.response().id)
        .await
        .unwrap();
    app.changed().await;
    assert!(select(&page(&app, note.slug.as_str()).await, ".u-like").is_empty());

    app.store()
        .change(note.slug.as_str(), starpunk::domain::NoteEdit::delete())
        .await
        .unwrap();
    app.changed().await;
    assert_eq!(app.get(&path).await.status(), 410);
}

#[tokio::test]
async fn every_change_of_a_note_is_logged_for_the_work_that_follows() {
    let app = spawn_app().await;
    let store = app.store();
    store.start_cursor_at_end("test").await.unwrap();
    assert!(store.changes_for("test", 10).await.unwrap().is_empty());
    let note = app.publish("Logged").await;
    store
        .change(
            note.slug.as_str(),
            starpunk::domain::NoteEdit::publish(false),
        )
        .await
        .unwrap();
    store.hard_delete(note.slug.as_str()).await.unwrap();
    let changes = store.changes_for("test", 10).await.unwrap();
    assert_eq!(changes.len(), 3);
    assert!(
        changes
            .iter()
            .all(|c| c.note_id == note.id && c.slug == note.slug.as_str())
    );
    store.advance_cursor("test", changes[1].id).await.unwrap();
    assert_eq!(store.changes_for("test", 10).await.unwrap().len(), 1);
    assert_eq!(store.forget_consumed_changes(&["test"]).await.unwrap(), 2);
    assert_eq!(store.changes_for("test", 10).await.unwrap().len(), 1);
}
