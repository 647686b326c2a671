//! `starpunk import-starpunk`: moving in from a data folder of StarPunk's
//! Python version, built here from its published schema: its first
//! version's `notes` table, and its later versions' tags and media.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

use sha2::{Digest, Sha256};
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use crate::helpers::{cli_with, run_with_input, select, spawn_app_with, stderr};

const SITE_URL: &str = "https://notes.example/";

/// The Python version's `notes` table.
const OLD_SCHEMA: &str = "CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT UNIQUE NOT NULL,
    file_path TEXT UNIQUE NOT NULL,
    published BOOLEAN DEFAULT 0,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    deleted_at TIMESTAMP,
    content_hash TEXT
)";

struct OldRow {
    slug: &'static str,
    file_path: &'static str,
    /// Where the file is, under `notes/`; `None` for a missing file.
    file: Option<(&'static str, &'static str)>,
    published: bool,
    created_at: &'static str,
    updated_at: Option<&'static str>,
    deleted_at: Option<&'static str>,
    /// Recorded hash differs from the file's.
    stale_hash: bool,
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn rows() -> Vec<OldRow> {
    let row = |slug, file_path, file, created_at| OldRow {
        slug,
        file_path,
        file,
        published: true,
        created_at,
        updated_at: None,
        deleted_at: None,
        stale_hash: false,
    };
    vec![
        // Relative to the data folder, the plain SQLite form.
        row(
            "first-note",
            "notes/2024/11/first-note.md",
            Some(("2024/11/first-note.md", "# First\n\nHello from Python.\n")),
            "2024-11-18 09:15:00",
        ),
        // Relative to the notes folder, with microseconds.
        OldRow {
            updated_at: Some("2024-11-20T08:00:00Z"),
            ..row(
                "second",
                "2024/11/second.md",
                Some(("2024/11/second.md", "Second note.\n")),
                "2024-11-19 10:00:00.123456",
            )
        },
        // Absolute, from the old server; with an offset.
        row(
            "third",
            "/srv/starpunk/data/notes/2024/12/third.md",
            Some(("2024/12/third.md", "Third — ünïcödé.\n")),
            "2024-12-01T12:30:00+00:00",
        ),
        OldRow {
            published: false,
            ..row(
                "a-draft",
                "notes/2024/12/a-draft.md",
                Some(("2024/12/a-draft.md", "Not yet.\n")),
                "2024-12-02T08:00:00Z",
            )
        },
        OldRow {
            deleted_at: Some("2024-12-05 00:00:00"),
            ..row(
                "gone",
                "notes/2024/12/gone.md",
                Some(("2024/12/gone.md", "Deleted later.\n")),
                "2024-12-03 07:00:00",
            )
        },
        row(
            "missing",
            "notes/2024/12/missing.md",
            None,
            "2024-12-04 07:00:00",
        ),
        OldRow {
            stale_hash: true,
            ..row(
                "edited",
                "notes/2024/12/edited.md",
                Some(("2024/12/edited.md", "Edited by hand.\n")),
                "2024-12-06 07:00:00",
            )
        },
    ]
}

async fn old_site(root: &Path) {
    let mut conn = SqliteConnectOptions::new()
        .filename(root.join("starpunk.db"))
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::query(OLD_SCHEMA).execute(&mut conn).await.unwrap();
    for row in rows() {
        let hash = match row.file {
            Some((path, text)) => {
                let file = root.join("notes").join(path);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(&file, text).unwrap();
                if row.stale_hash {
                    sha256("the text before the hand edit")
                } else {
                    sha256(text)
                }
            }
            None => sha256("gone"),
        };
        sqlx::query(
            "INSERT INTO notes (slug, file_path, published, created_at, updated_at, deleted_at, content_hash)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(row.slug)
        .bind(row.file_path)
        .bind(row.published)
        .bind(row.created_at)
        .bind(row.updated_at.unwrap_or(row.created_at))
        .bind(row.deleted_at)
        .bind(hash)
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

fn import(vars: &HashMap<String, String>, old: &Path) -> String {
    let path = old.display().to_string();
    let output = run_with_input(cli_with(vars).args(["import-starpunk", &path]), "");
    assert!(output.status.success(), "{}", stderr(&output));
    stderr(&output)
}

#[tokio::test]
async fn a_python_starpunk_site_moves_in_with_the_same_urls_dates_and_states() {
    let old = tempfile::tempdir().unwrap();
    old_site(old.path()).await;
    let old_db = std::fs::read(old.path().join("starpunk.db")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().display().to_string();
    let vars = HashMap::from([
        ("DATA_PATH".to_owned(), data_path.clone()),
        ("SITE_URL".to_owned(), SITE_URL.to_owned()),
    ]);

    let report = import(&vars, old.path());
    assert!(
        report.contains("moved in 6 notes") && report.contains("0 already present, 1 skipped"),
        "{report}"
    );
    assert!(
        report.contains("skipped \"missing\": its file \"notes/2024/12/missing.md\" is missing"),
        "{report}"
    );
    assert!(
        report.contains("warning: \"edited\": its file")
            && report.contains("imported as it is now"),
        "{report}"
    );
    // Only read: the old database is as it was.
    assert_eq!(
        std::fs::read(old.path().join("starpunk.db")).unwrap(),
        old_db
    );

    let output = run_with_input(
        cli_with(&vars).args(["note", "list", "--json", "--drafts", "--deleted"]),
        "",
    );
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let by_slug: HashMap<&str, &serde_json::Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["slug"].as_str().unwrap(), n))
        .collect();
    let mut slugs: Vec<&str> = by_slug.keys().copied().collect();
    slugs.sort();
    assert_eq!(
        slugs,
        ["a-draft", "edited", "first-note", "gone", "second", "third"]
    );

    let first = by_slug["first-note"];
    assert_eq!(first["url"], "https://notes.example/note/first-note");
    assert_eq!(first["status"], "published");
    assert_eq!(first["created_at"], "2024-11-18T09:15:00Z");
    assert_eq!(first["published_at"], "2024-11-18T09:15:00Z");
    assert_eq!(first["file_path"], "2024/11/first-note.md");
    let second = by_slug["second"];
    assert_eq!(second["created_at"], "2024-11-19T10:00:00.123Z");
    assert_eq!(second["updated_at"], "2024-11-20T08:00:00Z");
    assert_eq!(by_slug["third"]["created_at"], "2024-12-01T12:30:00Z");
    assert_eq!(by_slug["a-draft"]["status"], "draft");
    assert_eq!(by_slug["a-draft"]["published_at"], serde_json::Value::Null);
    assert_eq!(by_slug["gone"]["status"], "deleted");
    assert_eq!(by_slug["gone"]["deleted_at"], "2024-12-05T00:00:00Z");
    assert_eq!(
        by_slug["edited"]["content_hash"],
        sha256("Edited by hand.\n")
    );

    // Running it again adds nothing and says the same about what it skips.
    let again = import(&vars, old.path());
    assert!(
        again.contains("moved in 0 notes") && again.contains("6 already present, 1 skipped"),
        "{again}"
    );

    // The site serves the old permalinks, and the feed's GUIDs are them.
    let app = spawn_app_with(&[("SITE_URL", SITE_URL), ("DATA_PATH", &data_path)]).await;
    assert_eq!(app.get("/note/third").await.status(), 200);
    assert_eq!(app.get("/note/a-draft").await.status(), 404);
    assert_eq!(app.get("/note/gone").await.status(), 404);
    let feed = app.text("/feed.xml").await;
    assert!(
        feed.contains(">https://notes.example/note/first-note</guid>"),
        "{feed}"
    );
    assert!(!feed.contains("note/gone"), "{feed}");
}

#[tokio::test]
async fn a_folder_without_a_starpunk_database_is_refused() {
    let empty = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let vars = HashMap::from([
        ("DATA_PATH".to_owned(), data.path().display().to_string()),
        ("SITE_URL".to_owned(), SITE_URL.to_owned()),
    ]);
    let path = empty.path().display().to_string();
    let output = run_with_input(cli_with(&vars).args(["import-starpunk", &path]), "");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("does not exist: is ")
            && stderr(&output).contains("a StarPunk data folder?"),
        "{}",
        stderr(&output)
    );
}

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

    let app = spawn_app_with(&[("SITE_URL", SITE_URL), ("DATA_PATH", &data_path)]).await;
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
