//! `/feed.atom` and `/feed.json` beside `/feed.xml`: the same notes, in
//! the same order, parsed by feed-rs; the JSON Feed also checked against
//! the rules of version 1.1.

use chrono::DateTime;
use feed_rs::model::{Feed, FeedType};
use serde_json::Value;
use starpunk::domain::Note;
use starpunk::domain::NoteEdit;

use crate::helpers::{TestApp, header, spawn_app};

pub const FEEDS: [&str; 3] = ["/feed.xml", "/feed.atom", "/feed.json"];

fn parse(bytes: &[u8]) -> Feed {
    feed_rs::parser::parse(bytes).expect("the feed parses")
}

/// Two published notes (older, newer), a draft and a deleted note.
async fn app_with_notes() -> (TestApp, Note, Note) {
    let app = spawn_app().await;
    let older = app.publish("# Older note\n\nWith **bold** text").await;
    app.draft("A draft never in the feed MARKER-HIDDEN").await;
    let newer = app.publish("Newer note").await;
    let deleted = app.publish("Deleted note MARKER-HIDDEN").await;
    app.store()
        .change(deleted.slug.as_str(), NoteEdit::delete())
        .await
        .unwrap();
    app.changed().await;
    (app, older, newer)
}

#[tokio::test]
async fn the_atom_feed_has_published_notes_newest_first() {
    let (app, older, newer) = app_with_notes().await;
    let response = app.get("/feed.atom").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "application/atom+xml; charset=utf-8"
    );
    assert_eq!(header(&response, "cache-control"), "public, max-age=300");
    assert!(header(&response, "etag").starts_with("W/\""));
    let bytes = response.bytes().await.unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("MARKER-HIDDEN"));
    let feed = parse(&bytes);

    assert_eq!(feed.feed_type, FeedType::Atom);
    assert_eq!(feed.id, app.url("/"));
    assert_eq!(feed.title.unwrap().content, "Test Site");
    assert_eq!(
        feed.description.unwrap().content,
        "A StarPunk site: notes, with a feed"
    );
    assert!(feed.updated.is_some());
    assert_eq!(feed.language.as_deref(), Some("en"));
    assert_eq!(feed.authors[0].name, "Ada Author");
    assert_eq!(feed.authors[0].uri.as_deref(), Some("https://ada.example/"));
    assert_eq!(feed.generator.unwrap().content, "StarPunk");
    let links: Vec<_> = feed
        .links
        .iter()
        .map(|l| (l.rel.clone().unwrap(), l.href.clone()))
        .collect();
    assert_eq!(
        links,
        vec![
            ("self".to_owned(), app.url("/feed.atom")),
            ("alternate".to_owned(), app.url("/")),
        ]
    );

    assert_eq!(feed.entries.len(), 2);
    for (entry, note) in feed.entries.iter().zip([&newer, &older]) {
        let permalink = app.url(&format!("/note/{}", note.slug));
        assert_eq!(entry.id, permalink);
        assert_eq!(entry.links[0].href, permalink);
        assert_eq!(entry.links[0].rel.as_deref(), Some("alternate"));
        assert_eq!(
            entry.published.unwrap().timestamp(),
            note.published_at.unwrap().timestamp()
        );
        assert_eq!(
            entry.updated.unwrap().timestamp(),
            note.updated_at.timestamp()
        );
    }
    let entry = &feed.entries[1];
    assert_eq!(entry.title.clone().unwrap().content, "Older note");
    let content = entry.content.clone().unwrap();
    assert_eq!(content.content_type.essence().to_string(), "text/html");
    assert!(content.body.unwrap().contains("<strong>bold</strong>"));
    assert_eq!(
        entry.summary.clone().unwrap().content,
        "Older note With bold text"
    );
    assert!(entry.categories.is_empty(), "no tags yet");
}

/// What JSON Feed 1.1 requires, and what this site promises on top: no
/// empty or null optional field.
fn json_feed_problems(feed: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: &str| {
        if !ok {
            problems.push(what.to_owned());
        }
    };
    check(
        feed["version"] == "https://jsonfeed.org/version/1.1",
        "version",
    );
    check(feed["title"].is_string(), "title is a string");
    check(feed["items"].is_array(), "items is an array");
    for key in ["home_page_url", "feed_url"] {
        let url = feed[key].as_str().unwrap_or_default();
        check(url::Url::parse(url).is_ok(), &format!("{key} is a URL"));
    }
    let authors = feed["authors"].as_array().cloned().unwrap_or_default();
    check(!authors.is_empty(), "authors");
    for author in &authors {
        check(author["name"].is_string(), "author name");
    }
    for (index, item) in feed["items"].as_array().into_iter().flatten().enumerate() {
        let at = |what: &str| format!("items[{index}]: {what}");
        check(item["id"].is_string(), &at("id is a string"));
        check(item["content_html"].is_string(), &at("content_html"));
        check(
            item["url"]
                .as_str()
                .is_some_and(|u| url::Url::parse(u).is_ok()),
            &at("url"),
        );
        for key in ["date_published", "date_modified"] {
            let date = item[key].as_str().unwrap_or_default();
            check(
                DateTime::parse_from_rfc3339(date).is_ok(),
                &at(&format!("{key} is RFC 3339: {date:?}")),
            );
        }
        if let Some(tags) = item.get("tags") {
            check(
                tags.as_array().is_some_and(|t| !t.is_empty()),
                &at("tags is a non-empty list"),
            );
        }
    }
    let mut empty = Vec::new();
    find_empty(feed, "", &mut empty);
    problems.extend(
        empty
            .into_iter()
            .map(|path| format!("{path} is empty or null")),
    );
    problems
}

fn find_empty(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Null => found.push(path.to_owned()),
        Value::String(s) if s.is_empty() => found.push(path.to_owned()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_empty(item, &format!("{path}[{i}]"), found);
            }
        }
        Value::Object(fields) => {
            for (key, field) in fields {
                find_empty(field, &format!("{path}.{key}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_json_feed_follows_version_1_1() {
    let (app, older, newer) = app_with_notes().await;
    let response = app.get("/feed.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "application/feed+json; charset=utf-8"
    );
    let bytes = response.bytes().await.unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("MARKER-HIDDEN"));
    let json: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json_feed_problems(&json), Vec::<String>::new());
    assert_eq!(json["title"], "Test Site");
    assert_eq!(json["home_page_url"], app.url("/"));
    assert_eq!(json["feed_url"], app.url("/feed.json"));
    assert_eq!(json["language"], "en");
    assert_eq!(
        json["authors"],
        serde_json::json!([{"name": "Ada Author", "url": "https://ada.example/"}])
    );
    let item = &json["items"][1];
    assert_eq!(item["id"], app.url(&format!("/note/{}", older.slug)));
    assert_eq!(item["title"], "Older note");
    assert_eq!(item["summary"], "Older note With bold text");
    assert!(item.get("tags").is_none(), "no tags yet, so no empty list");

    let feed = parse(&bytes);
    assert_eq!(feed.feed_type, FeedType::JSON);
    let ids: Vec<_> = feed.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(
        ids,
        vec![
            app.url(&format!("/note/{}", newer.slug)),
            app.url(&format!("/note/{}", older.slug)),
        ]
    );
}

#[test]
fn the_json_feed_check_finds_what_1_1_forbids() {
    let bad = serde_json::json!({
        "version": "https://jsonfeed.org/version/1",
        "home_page_url": "x",
        "authors": [],
        "items": [{"id": 1, "url": "/relative", "date_published": "yesterday",
                   "summary": "", "tags": []}]
    });
    let problems = json_feed_problems(&bad);
    for expected in [
        "version",
        "title is a string",
        "home_page_url is a URL",
        "authors",
        "items[0]: id is a string",
        "items[0]: content_html",
        "items[0]: url",
        "items[0]: tags is a non-empty list",
        ".items[0].summary is empty or null",
    ] {
        assert!(
            problems.iter().any(|p| p == expected),
            "{expected}: {problems:#?}"
        );
    }
}

/// Titles and permalinks, in order, from any of the three feeds.
async fn items(app: &TestApp, path: &str) -> Vec<(String, String)> {
    let feed = parse(&app.get(path).await.bytes().await.unwrap());
    feed.entries
        .iter()
        .map(|e| (e.title.clone().unwrap().content, e.id.clone()))
        .collect()
}

#[tokio::test]
async fn every_feed_lists_the_same_notes_in_the_same_order_up_to_feed_max_items() {
    let app = TestApp::builder().feed_max_items(3).spawn().await;
    for i in 0..5 {
        app.publish(&format!("Note {i}")).await;
    }
    let rss = items(&app, "/feed.xml").await;
    let titles: Vec<_> = rss.iter().map(|(title, _)| title.as_str()).collect();
    assert_eq!(titles, vec!["Note 4", "Note 3", "Note 2"]);
    for path in ["/feed.atom", "/feed.json"] {
        assert_eq!(items(&app, path).await, rss, "{path}");
    }
}

#[tokio::test]
async fn every_feed_is_byte_identical_until_something_changes() {
    let start = chrono::Utc::now();
    let app = TestApp::builder().time(start).spawn().await;
    app.publish("First").await;
    let mut before = Vec::new();
    for path in FEEDS {
        before.push(app.get(path).await.bytes().await.unwrap());
    }
    // Past the next whole second: nothing in a feed is the time of serving.
    app.set_time(start + chrono::TimeDelta::seconds(2));
    for (path, first) in FEEDS.iter().zip(&before) {
        assert_eq!(&app.get(path).await.bytes().await.unwrap(), first, "{path}");
    }
    app.publish("Second").await;
    for (path, old) in FEEDS.iter().zip(before) {
        let new = app.get(path).await.bytes().await.unwrap();
        assert_ne!(new, old, "{path}");
        assert!(String::from_utf8_lossy(&new).contains("Second"), "{path}");
    }
}

#[tokio::test]
async fn head_answers_every_feed_with_its_headers_and_no_body() {
    let (app, _, _) = app_with_notes().await;
    for path in FEEDS {
        let full = app.get(path).await;
        let head = app.head(path).await;
        assert_eq!(head.status(), 200, "{path}");
        for name in ["content-type", "etag", "last-modified", "cache-control"] {
            assert_eq!(header(&head, name), header(&full, name), "{path} {name}");
        }
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
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
async fn atom_and_json_items_have_absolute_urls() {
    let app = TestApp::builder()
        .site_url("https://example.com/blog/")
        .spawn()
        .await;
    app.publish("Links [x](/note/other) [y](other)\n\n![pic](/static/a.png)")
        .await;
    let want = vec![
        "https://example.com/note/other".to_owned(),
        "https://example.com/blog/note/other".to_owned(),
        "https://example.com/static/a.png".to_owned(),
    ];
    let atom = parse(&app.get("/feed.atom").await.bytes().await.unwrap());
    let html = atom.entries[0].content.clone().unwrap().body.unwrap();
    assert_eq!(urls_in(&html), want, "{html}");
    let json: Value =
        serde_json::from_slice(&app.get("/feed.json").await.bytes().await.unwrap()).unwrap();
    let html = json["items"][0]["content_html"].as_str().unwrap();
    assert_eq!(urls_in(html), want, "{html}");
    assert_eq!(json["feed_url"], "https://example.com/blog/feed.json");
}

#[tokio::test]
async fn svg_data_urls_reach_neither_the_page_nor_any_feed() {
    let app = spawn_app().await;
    let png = "data:image/png;base64,iVBORw0KGgo=";
    let note = app
        .publish(&format!(
            "Pictures ![dot]({png})\n\n\
             ![a](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)\n\n\
             <img src=\"DATA:Image/SVG+XML,%3Csvg onload=alert(1)%3E\" alt=\"b\">"
        ))
        .await;
    for path in [
        format!("/note/{}", note.slug),
        "/feed.xml".to_owned(),
        "/feed.atom".to_owned(),
        "/feed.json".to_owned(),
    ] {
        let body = app.text(&path).await;
        assert!(body.contains(png), "{path}: {body}");
        assert!(!body.to_ascii_lowercase().contains("svg"), "{path}: {body}");
    }
}
