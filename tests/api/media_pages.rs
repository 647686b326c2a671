//! Photos on the note's page (sized, lazy, the web copy linking to the
//! original) and in each feed as enclosures, judged by scraper and feed-rs.

use image::ImageFormat;
use reqwest::header::{AUTHORIZATION, LOCATION};
use serde_json::{Value, json};

use crate::helpers::{TestApp, select, spawn_app};
use crate::media_support::{image_of, media_address, media_token, record_of, upload_image};

const HOTLINKED: &str = "https://elsewhere.example/photo.jpg";

/// A note with a wide upload, a narrow one and a hotlinked photo; returns
/// the note's URL and the two uploads' URLs.
async fn note_with_photos(app: &TestApp) -> (String, String, String) {
    let token = media_token(app, "create media").await;
    let wide = upload_image(app, &token, image_of(ImageFormat::Jpeg, 1600, 60)).await;
    let narrow = upload_image(app, &token, image_of(ImageFormat::Png, 30, 20)).await;
    let response = app
        .client
        .post(app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&json!({"type": ["h-entry"], "properties": {
            "content": ["Three photos"],
            "photo": [{"value": wide, "alt": "A wide view"}, narrow, HOTLINKED],
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let note = response.headers()[LOCATION].to_str().unwrap().to_owned();
    (note, wide, narrow)
}

#[tokio::test]
async fn the_note_page_sizes_its_photos_and_shows_the_web_copy() {
    let app = spawn_app().await;
    let (note, wide, narrow) = note_with_photos(&app).await;
    let web = record_of(&app, &wide).await.web.unwrap();
    let page = app.client.get(&note).send().await.unwrap();
    let page = scraper::Html::parse_document(&page.text().await.unwrap());
    let photos = select(&page, "img.u-photo");
    assert_eq!(photos.len(), 3);
    let attr = |i: usize, name: &str| photos[i].value().attr(name).map(str::to_owned);

    assert_eq!(attr(0, "src"), Some(media_address(&app, &web.path)));
    assert_eq!(attr(0, "alt").as_deref(), Some("A wide view"));
    assert_eq!(attr(0, "width").as_deref(), Some("1280"));
    assert_eq!(attr(0, "height").as_deref(), Some("48"));
    let link = select(&page, "a:has(> img.u-photo)");
    assert_eq!(link.len(), 1);
    assert_eq!(link[0].value().attr("href"), Some(wide.as_str()));

    assert_eq!(attr(1, "src"), Some(narrow));
    assert_eq!(attr(1, "width").as_deref(), Some("30"));
    assert_eq!(attr(1, "height").as_deref(), Some("20"));
    assert_eq!(attr(1, "alt").as_deref(), Some(""));

    assert_eq!(attr(2, "src").as_deref(), Some(HOTLINKED));
    assert_eq!(attr(2, "width"), None);
    assert_eq!(attr(2, "height"), None);
    for i in 0..3 {
        assert_eq!(attr(i, "loading").as_deref(), Some("lazy"));
    }
}

#[tokio::test]
async fn each_feed_encloses_the_uploads() {
    let app = spawn_app().await;
    let (_, wide, narrow) = note_with_photos(&app).await;
    let wide_record = record_of(&app, &wide).await;
    let narrow_record = record_of(&app, &narrow).await;

    let rss = feed_rs::parser::parse(app.text("/feed.xml").await.as_bytes()).unwrap();
    let media = &rss.entries[0].media;
    assert_eq!(media.len(), 1, "RSS carries one enclosure");
    let content = &media[0].content[0];
    assert_eq!(
        content.url.as_ref().map(|u| u.as_str()),
        Some(wide.as_str())
    );
    assert_eq!(content.size, Some(wide_record.bytes));
    assert_eq!(
        content
            .content_type
            .as_ref()
            .map(|t| t.to_string())
            .as_deref(),
        Some("image/jpeg")
    );

    let atom = feed_rs::parser::parse(app.text("/feed.atom").await.as_bytes()).unwrap();
    let enclosures: Vec<_> = atom.entries[0]
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
        .map(|l| (l.href.clone(), l.media_type.clone(), l.length))
        .collect();
    assert_eq!(
        enclosures,
        [
            (
                wide.clone(),
                Some("image/jpeg".into()),
                Some(wide_record.bytes)
            ),
            (
                narrow.clone(),
                Some("image/png".into()),
                Some(narrow_record.bytes)
            ),
        ]
    );

    let text = app.text("/feed.json").await;
    let json = feed_rs::parser::parse(text.as_bytes()).unwrap();
    let attachments: Vec<_> = json.entries[0]
        .links
        .iter()
        .filter(|l| l.href != json.entries[0].links[0].href)
        .map(|l| (l.href.clone(), l.media_type.clone(), l.length))
        .collect();
    assert_eq!(
        attachments,
        [
            (
                wide.clone(),
                Some("image/jpeg".into()),
                Some(wide_record.bytes)
            ),
            (narrow, Some("image/png".into()), Some(narrow_record.bytes)),
        ]
    );
    let raw: Value = serde_json::from_str(&text).unwrap();
    let web = wide_record.web.unwrap();
    assert_eq!(raw["items"][0]["image"], media_address(&app, &web.path));
}
