//! `starpunk export` then `starpunk note import` into an empty site gives
//! back the same site: the same notes, the same photos at the same URLs,
//! and the same feeds byte for byte.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use chrono::{DateTime, Utc};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use starpunk::domain::mf2::Properties;
use starpunk::domain::{ContentFormat, NoteBody, Photo, Slug, Tag};
use starpunk::domain::{NewNote, NoteEdit};
use starpunk::store::{MediaDir, MediaRecord};

use crate::helpers::{TestApp, cli_with, run_with_input, stderr, stdout};

const SITE_URL: &str = "https://notes.example/";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn run_ok(vars: &HashMap<String, String>, args: &[&str]) -> (String, String) {
    let output = run_with_input(cli_with(vars).args(args), "");
    assert!(
        output.status.success(),
        "starpunk {args:?} failed: {}",
        stderr(&output)
    );
    (stdout(&output), stderr(&output))
}

/// Creates a note written `minute` minutes into the site's first day.
async fn add(
    app: &TestApp,
    minute: i64,
    text: &str,
    slug: &str,
    change: impl FnOnce(&mut NewNote),
) {
    let mut new = NewNote {
        slug: Some(Slug::parse(slug).unwrap()),
        ..NewNote::new(NoteBody::parse(text).unwrap())
    };
    change(&mut new);
    app.set_time(at("2026-01-10T10:00:00Z") + chrono::Duration::minutes(minute));
    app.store().create(new).await.unwrap();
}

/// Keeps a small PNG as the media endpoint would.
async fn upload(app: &TestApp, at_time: &str) -> MediaRecord {
    let pixels = RgbImage::from_fn(6, 3, |x, y| Rgb([x as u8 * 40, y as u8 * 80, 200]));
    let mut png = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut png, ImageFormat::Png)
        .unwrap();
    let image = starpunk::media::prepare(&png.into_inner()).unwrap();
    app.store()
        .save_media(&MediaDir::in_data(app.data_path()), image, at(at_time))
        .await
        .unwrap()
}

/// A site with one note of every kind the export must carry; returns its
/// uploaded photo.
async fn varied_site(app: &TestApp) -> MediaRecord {
    add(app, 1, "Plain *Markdown* note.\n", "plain", |_| {}).await;
    add(app, 2, "<p>Hello <b>HTML</b></p>", "html-note", |n| {
        n.properties.format = ContentFormat::Html;
    })
    .await;
    add(app, 3, "Tagged, titled, with photos.\n", "rich", |n| {
        n.tags = Tag::parse_list(&["Rust", "web dev", "Café"]).unwrap();
        n.properties.name = Some("A title: with \"quotes\"".into());
        n.properties.summary = Some("In short.".into());
        n.properties.photos = vec![
            Photo {
                url: "https://img.example/cat.jpg".into(),
                alt: Some("A cat".into()),
            },
            Photo {
                url: "https://img.example/dog.jpg".into(),
                alt: None,
            },
        ];
        n.properties.extra =
            Properties::from([("location".into(), vec![serde_json::json!("geo:51.5,-0.1")])]);
    })
    .await;
    add(app, 4, "Just a draft.\n", "a-draft", |n| {
        n.published = false
    })
    .await;
    add(app, 5, "Written long ago.\n", "old", |n| {
        n.created_at = Some(at("2019-03-04T05:06:07.089Z"));
        n.published_at = Some(at("2019-03-05T00:00:00Z"));
    })
    .await;
    add(app, 6, "Grüße aus Köln — 東京 ✓\n", "non-ascii", |_| {}).await;
    add(app, 7, "To be deleted.\n", "deleted", |_| {}).await;
    app.set_time(at("2026-01-11T00:00:00Z"));
    app.store()
        .change("deleted", NoteEdit::delete())
        .await
        .unwrap();
    let photo = upload(app, "2026-01-10T10:08:00.123Z").await;
    add(app, 8, "With a photo of my own.\n", "uploaded", |n| {
        n.properties.photos = vec![Photo {
            url: format!("{SITE_URL}media/{}", photo.path),
            alt: Some("Stripes".into()),
        }];
    })
    .await;
    photo
}

fn list(vars: &HashMap<String, String>) -> serde_json::Value {
    let (out, _) = run_ok(vars, &["note", "list", "--json", "--drafts", "--deleted"]);
    serde_json::from_str(&out).expect("note list --json prints JSON")
}

/// The three feeds, without the channel's own date: it is when the data
/// last changed, which for the imported site is the time of the import.
async fn feeds(app: &TestApp) -> Vec<String> {
    let mut found = Vec::new();
    for path in ["/feed.xml", "/feed.atom", "/feed.json"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let text = response.text().await.unwrap();
        found.push(without_channel_date(&text));
    }
    found
}

fn without_channel_date(feed: &str) -> String {
    let mut text = feed.to_owned();
    for (open, close) in [
        ("<lastBuildDate>", "</lastBuildDate>"),
        ("<updated>", "</updated>"),
    ] {
        if let (Some(start), Some(end)) = (text.find(open), text.find(close)) {
            // Only the channel's: it comes before the first item or entry.
            let first_item = text
                .find("<item>")
                .or(text.find("<entry>"))
                .unwrap_or(usize::MAX);
            if start < first_item {
                text.replace_range(start..end + close.len(), "");
            }
        }
    }
    text
}

/// Notes' files: under the year folders, not `media/`.
fn files_under(dir: &Path, ext: &str) -> Vec<String> {
    let mut found = Vec::new();
    for year in std::fs::read_dir(dir).unwrap() {
        let year = year.unwrap();
        if !year.file_type().unwrap().is_dir() || year.file_name() == "media" {
            continue;
        }
        for month in std::fs::read_dir(year.path()).unwrap() {
            for file in std::fs::read_dir(month.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                if path.extension().is_some_and(|e| e == ext) {
                    found.push(path.strip_prefix(dir).unwrap().display().to_string());
                }
            }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn export_then_import_into_an_empty_site_gives_back_the_same_site() {
    let first = TestApp::builder()
        .site_url(SITE_URL)
        .time(at("2026-01-10T10:00:00Z"))
        .spawn()
        .await;
    let photo = varied_site(&first).await;
    first.changed().await;
    let export = tempfile::tempdir().unwrap();
    let dir = export.path().join("export");
    let dir_arg = dir.display().to_string();

    let (_, summary) = run_ok(&first.vars, &["export", &dir_arg, "--json"]);
    assert!(
        summary.contains("exported 8 notes (1 of them deleted) and 1 media files"),
        "{summary}"
    );
    // Eight notes twice (Markdown and JSON), the image and media.json.
    assert!(
        summary.contains("18 files written, 0 unchanged"),
        "{summary}"
    );
    assert_eq!(files_under(&dir, "md").len(), 8);
    let stored = std::fs::read(first.data_path().join("media").join(photo.path.as_str())).unwrap();
    assert_eq!(
        std::fs::read(dir.join("media").join(photo.path.as_str())).unwrap(),
        stored
    );
    let uploaded = std::fs::read_to_string(dir.join("2026/01/uploaded.md")).unwrap();
    assert!(
        uploaded.contains(&format!("- url: {SITE_URL}media/{}\n", photo.path)),
        "{uploaded}"
    );
    assert!(files_under(&dir, "md").contains(&"2019/03/old.md".to_owned()));
    let deleted = std::fs::read_to_string(dir.join("2026/01/deleted.md")).unwrap();
    assert!(
        deleted.contains("\ndeleted: 2026-01-11T00:00:00.000Z\n"),
        "{deleted}"
    );

    let mf2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("2026/01/rich.json")).unwrap())
            .unwrap();
    assert_eq!(mf2["type"], serde_json::json!(["h-entry"]));
    assert_eq!(mf2["properties"]["name"][0], "A title: with \"quotes\"");
    assert_eq!(
        mf2["properties"]["photo"][0],
        serde_json::json!({"value": "https://img.example/cat.jpg", "alt": "A cat"})
    );
    assert_eq!(
        mf2["properties"]["url"][0],
        "https://notes.example/note/rich"
    );

    // Exporting again into the same folder writes nothing new.
    let (_, again) = run_ok(&first.vars, &["export", &dir_arg, "--json"]);
    assert!(again.contains("0 files written, 18 unchanged"), "{again}");

    // Import into a fresh data folder, then serve it with the same SITE_URL.
    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().display().to_string();
    let vars = HashMap::from([
        ("DATA_PATH".to_owned(), data_path.clone()),
        ("SITE_URL".to_owned(), SITE_URL.to_owned()),
    ]);
    let (_, imported) = run_ok(&vars, &["note", "import", &dir_arg]);
    assert!(
        imported.contains("imported 8 notes") && imported.contains("and 1 media files"),
        "{imported}"
    );
    let second = TestApp::builder()
        .site_url(SITE_URL)
        .data_path(&data_path)
        .spawn()
        .await;

    assert_eq!(list(&first.vars), list(&second.vars));
    assert_eq!(feeds(&first).await, feeds(&second).await);
    let page = second.text("/note/non-ascii").await;
    assert!(page.contains("Grüße aus Köln"), "{page}");

    // The photo is back at the same path, with the same row: the same URL
    // serves the same bytes with the same validators.
    assert_eq!(
        second.store().find_media(&photo.path).await.unwrap(),
        Some(photo.clone())
    );
    let url = format!("/media/{}", photo.path);
    let (before, after) = (first.get(&url).await, second.get(&url).await);
    assert_eq!(after.status(), 200);
    for name in ["content-type", "etag", "last-modified"] {
        assert_eq!(
            before.headers().get(name),
            after.headers().get(name),
            "{name}"
        );
    }
    assert_eq!(after.bytes().await.unwrap(), stored);

    // Importing the export again adds nothing.
    let (_, twice) = run_ok(&vars, &["note", "import", &dir_arg]);
    assert!(twice.contains("imported 0 notes"), "{twice}");
    assert!(
        twice.contains("(8 already present") && twice.contains("0 media files (1 already present)"),
        "{twice}"
    );
}

#[tokio::test]
async fn an_export_whose_image_was_changed_imports_nothing() {
    let first = TestApp::builder()
        .site_url(SITE_URL)
        .time(at("2026-01-10T10:00:00Z"))
        .spawn()
        .await;
    let photo = varied_site(&first).await;
    let export = tempfile::tempdir().unwrap();
    let dir_arg = export.path().display().to_string();
    run_ok(&first.vars, &["export", &dir_arg]);
    let image = export.path().join("media").join(photo.path.as_str());
    let mut bytes = std::fs::read(&image).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&image, bytes).unwrap();

    let data = tempfile::tempdir().unwrap();
    let vars = HashMap::from([
        ("DATA_PATH".to_owned(), data.path().display().to_string()),
        ("SITE_URL".to_owned(), SITE_URL.to_owned()),
    ]);
    let output = run_with_input(cli_with(&vars).args(["note", "import", &dir_arg]), "");
    assert_eq!(output.status.code(), Some(1));
    let said = stderr(&output);
    assert!(
        said.contains(photo.path.as_str())
            && said.contains("does not match the SHA-256 media.json records")
            && said.contains("nothing imported"),
        "{said}"
    );
    assert!(!data.path().join("media").exists());
}
