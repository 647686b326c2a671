//! What a page says about itself for link previews and feed discovery:
//! `<meta name="description">`, OpenGraph, `rel="canonical"`, and the
//! three feeds in `<head>` and the footer.

use scraper::Html;

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
