use std::time::Duration;

use crate::helpers::{TestApp, eventually, header, run_with_input, spawn_app, stderr, stdout};
use starpunk::domain::NoteEdit;

fn parse(bytes: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(bytes).expect("the feed parses")
}

#[tokio::test]
async fn the_feed_is_rss_with_published_notes_newest_first() {
    let app = spawn_app().await;
    let older = app.publish("# Older note\n\nWith **bold** text").await;
    app.draft("A draft never in the feed").await;
    let newer = app.publish("Newer note").await;
    let deleted = app.publish("Deleted note").await;
    app.store()
        .change(deleted.slug.as_str(), NoteEdit::delete())
        .await
        .unwrap();
    app.changed().await;

    let response = app.get("/feed.xml").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "application/rss+xml; charset=utf-8"
    );
    assert_eq!(header(&response, "cache-control"), "public, max-age=300");
    assert!(header(&response, "etag").starts_with("W/\""));
    assert!(httpdate::parse_http_date(&header(&response, "last-modified")).is_ok());
    let bytes = response.bytes().await.unwrap();
    let feed = parse(&bytes);

    assert_eq!(feed.feed_type, feed_rs::model::FeedType::RSS2);
    assert_eq!(feed.title.unwrap().content, "Test Site");
    assert_eq!(feed.language.as_deref(), Some("en"));
    assert!(feed.generator.unwrap().content.starts_with("StarPunk"));
    assert!(feed.updated.is_some(), "lastBuildDate");
    assert_eq!(feed.entries.len(), 2);
    let titles: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.title.clone().unwrap().content)
        .collect();
    assert_eq!(titles, vec!["Newer note", "Older note"]);
    for (entry, note) in feed.entries.iter().zip([&newer, &older]) {
        let permalink = app.url(&format!("/note/{}", note.slug));
        assert_eq!(entry.id, permalink, "guid is the permalink");
        assert_eq!(entry.links[0].href, permalink);
        assert!(entry.published.is_some(), "pubDate");
    }
    let html = feed.entries[1].summary.clone().unwrap().content;
    assert!(html.contains("<strong>bold</strong>"), "{html}");

    let raw = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(raw.contains(r#"<atom:link href="http://127.0.0.1:"#) && raw.contains(r#"rel="self""#));
    let pub_date = raw
        .split("<pubDate>")
        .nth(1)
        .unwrap()
        .split("</pubDate>")
        .next()
        .unwrap();
    assert!(pub_date.ends_with("+0000"), "numeric zone: {pub_date}");
    assert!(chrono::DateTime::parse_from_rfc2822(pub_date).is_ok());
}

/// The feed is rendered once per revision of the notes and then served
/// from memory: a note changed behind the server's back (file and hash
/// rewritten with the revision trigger off) does not show until something
/// bumps the revision.
#[tokio::test]
async fn the_feed_is_served_from_memory_until_the_revision_changes() {
    let start = chrono::Utc::now();
    let app = TestApp::builder().time(start).spawn().await;
    let note = app.publish("Original words").await;
    let first = app.get("/feed.xml").await.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&first).contains("Original words"));

    std::fs::write(app.notes_path().join(&note.file_path), "Edited words").unwrap();
    let pool = app.store().pool();
    for statement in [
        "DROP TRIGGER notes_after_update".to_owned(),
        format!(
            "UPDATE notes SET content_hash = '{}' WHERE id = {}",
            starpunk::domain::content_hash(b"Edited words"),
            note.id
        ),
    ] {
        sqlx::query(&statement).execute(pool).await.unwrap();
    }
    app.set_time(start + chrono::TimeDelta::seconds(2));
    let second = app.get("/feed.xml").await.bytes().await.unwrap();
    assert_eq!(first, second, "served from the cache");

    app.publish("Two").await;
    let third =
        String::from_utf8(app.get("/feed.xml").await.bytes().await.unwrap().to_vec()).unwrap();
    assert!(third.contains("Edited words"), "{third}");
    assert_eq!(parse(third.as_bytes()).entries.len(), 2);
}

#[tokio::test]
async fn the_feed_holds_at_most_feed_max_items_and_uses_feed_cache_seconds() {
    let app = TestApp::builder()
        .feed_max_items(3)
        .feed_cache_seconds(60)
        .spawn()
        .await;
    for i in 0..5 {
        app.publish(&format!("Note {i}")).await;
    }
    let response = app.get("/feed.xml").await;
    assert_eq!(header(&response, "cache-control"), "public, max-age=60");
    let feed = parse(&response.bytes().await.unwrap());
    let titles: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.title.clone().unwrap().content)
        .collect();
    assert_eq!(titles, vec!["Note 4", "Note 3", "Note 2"]);
}

#[tokio::test]
async fn a_note_published_by_the_cli_appears_within_about_a_second() {
    let app = spawn_app().await;
    app.publish("Already there").await;
    let before = app.get("/feed.xml").await.bytes().await.unwrap();
    assert_eq!(parse(&before).entries.len(), 1);

    // Off the test's runtime thread, which also runs the server's background
    // tasks: blocking it could hold up one that holds the write lock.
    let mut command = app.cli();
    let output = tokio::task::spawn_blocking(move || {
        run_with_input(command.args(["note", "new", "-"]), "From another process")
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let permalink = stdout(&output).trim().to_owned();

    // The server polls for changes twice a second; the limit only stops a
    // broken poller from hanging the test on a slow machine.
    eventually(Duration::from_secs(20), || async {
        let feed = parse(&app.get("/feed.xml").await.bytes().await.unwrap());
        feed.entries.iter().any(|e| e.id == permalink)
    })
    .await;
    let home = app.text("/").await;
    assert!(home.contains(&permalink));
}

/// Every `href` and `src` in some HTML.
fn urls_in(html: &str) -> Vec<String> {
    let html = scraper::Html::parse_fragment(html);
    let selector = scraper::Selector::parse("[href], [src]").expect("a selector");
    html.select(&selector)
        .flat_map(|e| [e.attr("href"), e.attr("src")])
        .flatten()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn feed_items_have_absolute_urls_resolved_from_the_permalink() {
    let app = TestApp::builder()
        .site_url("https://example.com/blog/")
        .spawn()
        .await;
    let note = app
        .publish(
            "Links [x](/note/other) [y](other) [z](#top) [w](https://else.example/a)\n\n\
             ![pic](/static/a.png) <img src=\"../img/b.png\" alt=\"b\">",
        )
        .await;
    let feed = parse(&app.get("/feed.xml").await.bytes().await.unwrap());
    let html = feed.entries[0].summary.clone().unwrap().content;
    let permalink = format!("https://example.com/blog/note/{}", note.slug);
    assert_eq!(
        urls_in(&html),
        vec![
            "https://example.com/note/other".to_owned(),
            "https://example.com/blog/note/other".to_owned(),
            format!("{permalink}#top"),
            "https://else.example/a".to_owned(),
            "https://example.com/static/a.png".to_owned(),
            "https://example.com/blog/img/b.png".to_owned(),
        ],
        "{html}"
    );
}
