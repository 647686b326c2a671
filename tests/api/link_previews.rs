//! What a page says about itself for link previews and feed discovery:
//! `<meta name="description">`, OpenGraph, `rel="canonical"`, and the
//! three feeds in `<head>` and the footer.

use scraper::Html;
use starpunk::domain::{NewNote, NoteBody, Tag};

use crate::helpers::{TestApp, select, spawn_app};

async fn page(app: &TestApp, path: &str) -> Html {
    Html::parse_document(&app.text(path).await)
}

/// The `content` of `<meta property=…>` (or `name=` for `description`).
fn meta(html: &Html, property: &str) -> Option<String> {
    let attribute = if property == "description" {
        "name"
    } else {
        "property"
    };
    let found = select(html, &format!("meta[{attribute}='{property}']"));
    assert!(found.len() <= 1, "{property} given twice");
    found
        .first()
        .and_then(|m| m.value().attr("content"))
        .map(str::to_owned)
}

fn canonical(html: &Html) -> Option<String> {
    select(html, "link[rel=canonical]")
        .first()
        .and_then(|l| l.value().attr("href"))
        .map(str::to_owned)
}

#[tokio::test]
async fn a_note_page_describes_the_note() {
    let app = spawn_app().await;
    let note = app
        .publish("# Preview me\n\nThe first words of the note, for the preview.")
        .await;
    let permalink = app.url(&format!("/note/{}", note.slug));
    let html = page(&app, &format!("/note/{}", note.slug)).await;
    let excerpt = meta(&html, "description").unwrap();
    assert!(excerpt.contains("The first words of the note"), "{excerpt}");
    assert_eq!(meta(&html, "og:description"), Some(excerpt));
    assert_eq!(meta(&html, "og:title").as_deref(), Some("Preview me"));
    assert_eq!(meta(&html, "og:type").as_deref(), Some("article"));
    assert_eq!(meta(&html, "og:url"), Some(permalink.clone()));
    assert_eq!(canonical(&html), Some(permalink));
    assert_eq!(meta(&html, "og:site_name").as_deref(), Some("Test Site"));
    assert_eq!(meta(&html, "og:locale").as_deref(), Some("en"));
    let published = meta(&html, "article:published_time").unwrap();
    let published = chrono::DateTime::parse_from_rfc3339(&published).unwrap();
    assert_eq!(
        published.timestamp(),
        note.published_at.unwrap().timestamp()
    );
    let modified = meta(&html, "article:modified_time").unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(&modified).is_ok());
}

#[tokio::test]
async fn the_home_page_describes_the_site() {
    let app = spawn_app().await;
    app.publish("Something").await;
    let html = page(&app, "/").await;
    let description = "A StarPunk site: notes, with a feed";
    assert_eq!(meta(&html, "description").as_deref(), Some(description));
    assert_eq!(meta(&html, "og:description").as_deref(), Some(description));
    assert_eq!(meta(&html, "og:type").as_deref(), Some("website"));
    assert_eq!(meta(&html, "og:title").as_deref(), Some("Test Site"));
    assert_eq!(meta(&html, "og:url"), Some(app.url("/")));
    assert_eq!(canonical(&html), Some(app.url("/")));
    assert!(meta(&html, "article:published_time").is_none());
}

#[tokio::test]
async fn every_public_page_advertises_the_three_feeds_in_order() {
    let app = spawn_app().await;
    let note = app.publish("Feeds everywhere").await;
    let feeds = vec![
        ("application/rss+xml".to_owned(), app.url("/feed.xml")),
        ("application/atom+xml".to_owned(), app.url("/feed.atom")),
        ("application/feed+json".to_owned(), app.url("/feed.json")),
    ];
    for path in [
        "/".to_owned(),
        format!("/note/{}", note.slug),
        "/no/such/page".to_owned(),
    ] {
        let html = Html::parse_document(&app.get(&path).await.text().await.unwrap());
        let alternates: Vec<(String, String)> = select(&html, "head link[rel=alternate]")
            .iter()
            .map(|l| {
                (
                    l.value().attr("type").unwrap().to_owned(),
                    l.value().attr("href").unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(alternates, feeds, "{path}");
        let footer: Vec<(String, String)> = select(&html, "footer.site-footer a")
            .iter()
            .map(|a| {
                (
                    a.text().collect::<String>(),
                    a.value().attr("href").unwrap().to_owned(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = ["RSS", "Atom", "JSON Feed"]
            .iter()
            .zip(&feeds)
            .map(|(name, (_, href))| ((*name).to_owned(), href.clone()))
            .collect();
        assert_eq!(footer, want, "{path}");
    }
}

/// Publishes `count` notes with the tag "Walks" and the word "lantern".
async fn tagged_notes(app: &TestApp, count: usize) {
    for n in 0..count {
        app.store()
            .create(NewNote {
                tags: Tag::parse_list(&["Walks"]).unwrap(),
                ..NewNote::new(NoteBody::parse(format!("Lantern walk {n}")).unwrap())
            })
            .await
            .unwrap();
    }
    app.changed().await;
}

#[tokio::test]
async fn every_public_page_names_its_own_address_and_title() {
    let app = spawn_app().await;
    tagged_notes(&app, 21).await;
    let note = app.publish("One more lantern").await;
    // Path asked for, and the canonical address it must give.
    let pages = [
        ("/", "/".to_owned()),
        ("/?page=2", "/?page=2".to_owned()),
        (
            &format!("/note/{}", note.slug),
            format!("/note/{}", note.slug),
        ),
        ("/tags", "/tags".to_owned()),
        ("/tag/walks", "/tag/walks".to_owned()),
        ("/tag/walks?page=2", "/tag/walks?page=2".to_owned()),
        ("/search", "/search".to_owned()),
        ("/search?q=lantern", "/search?q=lantern".to_owned()),
        (
            "/search?q=%20lantern%00walk&page=2",
            "/search?q=lantern+walk&page=2".to_owned(),
        ),
    ];
    for (path, address) in pages {
        let html = page(&app, path).await;
        let canonical = canonical(&html);
        assert_eq!(canonical, Some(app.url(&address)), "{path}");
        assert_eq!(meta(&html, "og:url"), canonical, "{path}");
        let title = meta(&html, "og:title").unwrap_or_default();
        assert!(!title.trim().is_empty(), "{path}");
        assert!(meta(&html, "og:type").is_some(), "{path}");
        assert_eq!(meta(&html, "og:site_name").as_deref(), Some("Test Site"));
        assert_eq!(
            meta(&html, "og:description"),
            meta(&html, "description").filter(|d| !d.is_empty()),
            "{path}"
        );
        let robots = select(&html, "meta[name=robots]");
        let noindex = robots.first().and_then(|m| m.value().attr("content"));
        let search = path.starts_with("/search");
        assert_eq!(noindex, search.then_some("noindex"), "{path}");
    }
    let tag = page(&app, "/tag/walks?page=2").await;
    assert_eq!(
        meta(&tag, "og:title").as_deref(),
        Some("Notes tagged “Walks”, page 2")
    );
    let tags = page(&app, "/tags").await;
    assert_eq!(meta(&tags, "og:title").as_deref(), Some("Tags"));
}

#[tokio::test]
async fn error_pages_name_no_address() {
    let app = spawn_app().await;
    for path in ["/no/such/page", "/note/missing", "/tag/missing"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404);
        let html = Html::parse_document(&response.text().await.unwrap());
        assert_eq!(canonical(&html), None, "{path}");
        assert_eq!(meta(&html, "og:url"), None, "{path}");
    }
}
