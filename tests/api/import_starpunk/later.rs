//! Moving in from the Python version's later data folders: its tags and
//! its uploaded images, added to the first test's folder as its
//! migrations 007 and 008 added them.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use super::{SITE_URL, import, old_site};
use crate::helpers::{TestApp, select};

/// The later versions' tables: media (migration 007) and tags (008).
const LATER_SCHEMA: &str = "
CREATE TABLE media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    filename TEXT NOT NULL,
    stored_filename TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    uploaded_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE note_media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    display_order INTEGER NOT NULL DEFAULT 0,
    caption TEXT,
    UNIQUE (note_id, media_id)
);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE NOT NULL,
    display_name TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE note_tags (
    note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (note_id, tag_id)
);";

fn picture(format: ImageFormat) -> Vec<u8> {
    let pixels = RgbImage::from_fn(8, 5, |x, y| Rgb([x as u8 * 30, y as u8 * 50, 90]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// An old image: its `media.path`, its file (`None`: missing) and the
/// notes it is attached to, each with its order and caption.
struct OldImage {
    path: &'static str,
    file: Option<Vec<u8>>,
    attached: Vec<(&'static str, i64, Option<&'static str>)>,
}

/// The old site of the first test, with its later versions' tags and
/// images added.
async fn later_old_site(root: &Path) {
    old_site(root).await;
    let mut conn = SqliteConnectOptions::new()
        .filename(root.join("starpunk.db"))
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql(LATER_SCHEMA)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO tags (name, display_name) VALUES ('indieweb', 'IndieWeb'), ('python', 'Python'), ('caf', 'Café');
         INSERT INTO note_tags (note_id, tag_id)
             SELECT n.id, t.id FROM notes n, tags t
              WHERE (n.slug = 'first-note' AND t.name IN ('indieweb', 'python'))
                 OR (n.slug = 'third' AND t.name IN ('python', 'caf'))",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let images = [
        OldImage {
            path: "2025/01/0b7e2f4c-door.jpg",
            file: Some(picture(ImageFormat::Jpeg)),
            attached: vec![
                ("first-note", 1, Some("A red door")),
                ("a-draft", 0, Some("The same door")),
            ],
        },
        OldImage {
            path: "2025/01/5d1c9a80-sky.png",
            file: Some(picture(ImageFormat::Png)),
            attached: vec![("first-note", 0, None)],
        },
        OldImage {
            path: "2025/02/9e8d7c6b-gone.jpg",
            file: None,
            attached: vec![("second", 0, Some("Lost"))],
        },
        OldImage {
            path: "2025/02/1a2b3c4d-phone.heic",
            file: Some(b"\0\0\0\x18ftypheic not decodable here".to_vec()),
            attached: vec![("third", 0, None)],
        },
        OldImage {
            path: "2025/03/7f7f7f7f-unused.png",
            file: Some(picture(ImageFormat::Png)),
            attached: vec![],
        },
    ];
    for image in images {
        if let Some(bytes) = &image.file {
            let file = root.join("media").join(image.path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, bytes).unwrap();
        }
        let name = image.path.rsplit('/').next().unwrap();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO media (filename, stored_filename, path, mime_type, size, uploaded_at)
             VALUES (?, ?, ?, 'image/jpeg', ?, '2025-01-20 08:30:00') RETURNING id",
        )
        .bind(format!("original-{name}"))
        .bind(name)
        .bind(image.path)
        .bind(image.file.as_ref().map_or(0, Vec::len) as i64)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        for (slug, order, caption) in image.attached {
            sqlx::query(
                "INSERT INTO note_media (note_id, media_id, display_order, caption)
                 SELECT id, ?, ?, ? FROM notes WHERE slug = ?",
            )
            .bind(id)
            .bind(order)
            .bind(caption)
            .bind(slug)
            .execute(&mut conn)
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn a_later_python_starpunk_site_moves_in_with_its_tags_and_photos() {
    let old = tempfile::tempdir().unwrap();
    later_old_site(old.path()).await;
    let old_db = std::fs::read(old.path().join("starpunk.db")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().display().to_string();
    let vars = HashMap::from([
        ("DATA_PATH".to_owned(), data_path.clone()),
        ("SITE_URL".to_owned(), SITE_URL.to_owned()),
    ]);

    let report = import(&vars, old.path());
    assert!(
        report.contains("moved in 6 notes")
            && report.contains("and 2 media files (1 already present, 3 skipped)"),
        "{report}"
    );
    for skipped in [
        "skipped media \"2025/02/9e8d7c6b-gone.jpg\" of \"second\": its file is missing",
        "skipped media \"2025/02/1a2b3c4d-phone.heic\" of \"third\": it is not a JPEG, PNG, GIF or WebP image",
        "skipped media \"2025/03/7f7f7f7f-unused.png\": it is attached to no note",
    ] {
        assert!(report.contains(skipped), "{skipped}\n{report}");
    }
    assert_eq!(
        std::fs::read(old.path().join("starpunk.db")).unwrap(),
        old_db
    );

    let app = TestApp::builder()
        .site_url(SITE_URL)
        .data_path(&data_path)
        .spawn()
        .await;
    let store = app.store();
    let note = |slug: &'static str| async move { store.find(slug).await.unwrap().unwrap() };
    let first = note("first-note").await;
    let tags: Vec<&str> = first.tags.iter().map(|t| t.name()).collect();
    assert_eq!(tags, ["IndieWeb", "Python"]);
    let third = note("third").await;
    let tags: Vec<&str> = third.tags.iter().map(|t| t.name()).collect();
    assert_eq!(tags, ["Café", "Python"]);
    assert!(third.properties.photos.is_empty());
    assert!(note("second").await.properties.photos.is_empty());

    // In the old order, captions as alt text, each a file of this site's
    // own with the old bytes; the door shown by two notes is kept once.
    let photos = &first.properties.photos;
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0].alt, None);
    assert_eq!(photos[1].alt.as_deref(), Some("A red door"));
    let draft = note("a-draft").await;
    assert_eq!(draft.properties.photos[0].url, photos[1].url);
    assert_eq!(
        draft.properties.photos[0].alt.as_deref(),
        Some("The same door")
    );
    for (photo, old_file) in photos
        .iter()
        .zip(["2025/01/5d1c9a80-sky.png", "2025/01/0b7e2f4c-door.jpg"])
    {
        let path = photo
            .url
            .strip_prefix(SITE_URL)
            .unwrap_or_else(|| panic!("{} is not on this site", photo.url));
        assert!(path.starts_with("media/2025/01/"), "{path}");
        let served = app.get(&format!("/{path}")).await;
        assert_eq!(served.status(), 200);
        let bytes = served.bytes().await.unwrap();
        assert_eq!(
            bytes,
            std::fs::read(old.path().join("media").join(old_file)).unwrap()
        );
    }
    assert_eq!(app.store().all_media().await.unwrap().len(), 2);

    let page = scraper::Html::parse_document(&app.text("/note/first-note").await);
    let shown: Vec<&str> = select(&page, "img.u-photo")
        .iter()
        .filter_map(|img| img.value().attr("alt"))
        .collect();
    assert_eq!(shown, ["", "A red door"]);
    let tagged = app.text("/tag/indieweb").await;
    assert!(tagged.contains("/note/first-note"), "{tagged}");

    // Running it again copies nothing.
    let again = import(&vars, old.path());
    assert!(
        again.contains("moved in 0 notes")
            && again.contains("and 0 media files (3 already present, 3 skipped)"),
        "{again}"
    );
    assert_eq!(app.store().all_media().await.unwrap().len(), 2);
}
