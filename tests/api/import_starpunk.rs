//! `starpunk import-starpunk`: moving in from a data folder of StarPunk's
//! Python version, built here from its published schema: its first
//! version's `notes` table (its later versions' tags and media: `later`).

mod later;

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use crate::helpers::{TestApp, cli_with, run_with_input, stderr};

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
    let app = TestApp::builder()
        .site_url(SITE_URL)
        .data_path(&data_path)
        .spawn()
        .await;
    assert_eq!(app.get("/note/third").await.status(), 200);
    assert_eq!(app.get("/note/a-draft").await.status(), 404);
    assert_eq!(app.get("/note/gone").await.status(), 410);
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
