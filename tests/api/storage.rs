//! Notes on disk and in SQLite: slugs, atomic and consistent writes, `check`.

use chrono::{TimeZone, Utc};
use starpunk::domain::NewNote;
use starpunk::domain::NoteEdit;
use starpunk::domain::{NoteBody, Slug, SlugError, content_hash};
use starpunk::error::error_chain;
use starpunk::store::{Problem, Store, StoreError};

use crate::helpers::TestApp;

fn new_note(text: &str, slug: Option<&str>) -> NewNote {
    NewNote {
        slug: slug.map(|s| Slug::parse(s).unwrap()),
        ..NewNote::new(NoteBody::parse(text).unwrap())
    }
}

/// An app whose clock the test sets.
async fn store() -> (TestApp, Store) {
    let app = TestApp::builder().time(Utc::now()).spawn().await;
    let store = app.store().clone();
    (app, store)
}

async fn inject_failure(store: &Store, event: &str) {
    sqlx::query(&format!(
        "CREATE TRIGGER injected_failure BEFORE {event} ON notes BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
    ))
    .execute(store.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn a_note_is_a_markdown_file_plus_a_row() {
    let (app, store) = store().await;
    let now = Utc.with_ymd_and_hms(2026, 3, 9, 12, 0, 0).unwrap();
    app.set_time(now);
    let note = store
        .create(new_note("Hello *there*, world", None))
        .await
        .unwrap();
    assert_eq!(note.slug.as_str(), "hello-there-world");
    assert_eq!(note.file_path, "2026/03/hello-there-world.md");
    let on_disk =
        std::fs::read_to_string(app.notes_path().join("2026/03/hello-there-world.md")).unwrap();
    assert_eq!(on_disk, "Hello *there*, world");
    assert_eq!(note.content_hash, content_hash(on_disk.as_bytes()));
    assert!(note.published && note.published_at == Some(now) && note.created_at == now);
    assert!(store.check().await.unwrap().problems.is_empty());
}

#[tokio::test]
async fn taken_slugs_get_numbered_and_never_change() {
    let (_app, store) = store().await;
    let slugs: Vec<String> = futures_like_sequence(
        &store,
        &["Same words here", "Same words here", "same WORDS here!"],
    )
    .await;
    assert_eq!(
        slugs,
        vec!["same-words-here", "same-words-here-2", "same-words-here-3"]
    );
    let custom = store.create(new_note("x", Some("my-slug"))).await.unwrap();
    let again = store.create(new_note("y", Some("my-slug"))).await.unwrap();
    assert_eq!(
        (custom.slug.as_str(), again.slug.as_str()),
        ("my-slug", "my-slug-2")
    );
    let edited = store
        .change(
            "my-slug",
            NoteEdit::text(
                NoteBody::parse("Completely different text").unwrap(),
                &custom.content_hash,
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        edited.slug.as_str(),
        "my-slug",
        "editing never changes the slug"
    );
    assert_eq!(edited.file_path, custom.file_path);
}

async fn futures_like_sequence(store: &Store, texts: &[&str]) -> Vec<String> {
    let mut slugs = Vec::new();
    for text in texts {
        slugs.push(
            store
                .create(new_note(text, None))
                .await
                .unwrap()
                .slug
                .to_string(),
        );
    }
    slugs
}

#[tokio::test]
async fn reserved_and_malformed_custom_slugs_are_refused() {
    assert_eq!(
        Slug::parse("admin"),
        Err(SlugError::Reserved("admin".into()))
    );
    assert!(Slug::parse("../../etc/passwd").is_err());
    assert!(Slug::parse("UPPER").is_err());
}

#[tokio::test]
async fn a_stray_file_is_never_overwritten() {
    let (app, store) = store().await;
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    app.set_time(now);
    let dir = app.notes_path().join("2026/01");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("precious.md"), "someone's file").unwrap();
    let note = store.create(new_note("Precious", None)).await.unwrap();
    assert_eq!(note.slug.as_str(), "precious-2");
    assert_eq!(
        std::fs::read_to_string(dir.join("precious.md")).unwrap(),
        "someone's file"
    );
}

#[tokio::test]
async fn a_failed_insert_leaves_no_file() {
    let (app, store) = store().await;
    inject_failure(&store, "INSERT").await;
    let err = store
        .create(new_note("Doomed note", None))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err}");
    assert!(error_chain(&err).contains("injected failure"), "{err}");
    let files = starpunk::store::NotesDir::new(app.notes_path())
        .list_files()
        .unwrap();
    assert!(files.is_empty(), "left behind: {files:?}");
    assert!(store.list(true, true).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_file_write_leaves_no_row() {
    let (app, store) = store().await;
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    app.set_time(now);
    // A file where the month folder should be makes the write fail.
    std::fs::create_dir_all(app.notes_path().join("2026")).unwrap();
    std::fs::write(app.notes_path().join("2026/05"), "in the way").unwrap();
    let err = store
        .create(new_note("Cannot be written", None))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err}");
    assert!(err.to_string().contains("2026/05"), "{err}");
    assert!(store.list(true, true).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_update_keeps_the_old_text() {
    let (app, store) = store().await;
    let note = store.create(new_note("Old text", None)).await.unwrap();
    inject_failure(&store, "UPDATE").await;
    let err = store
        .change(
            note.slug.as_str(),
            NoteEdit::text(
                NoteBody::parse("New text").unwrap(),
                note.content_hash.clone(),
            ),
        )
        .await
        .unwrap_err();
    assert!(error_chain(&err).contains("injected failure"), "{err}");
    let path = app.notes_path().join(&note.file_path);
    assert_eq!(std::fs::read_to_string(path).unwrap(), "Old text");
    let files = starpunk::store::NotesDir::new(app.notes_path())
        .list_files()
        .unwrap();
    assert_eq!(files, vec![note.file_path.clone()], "no temp files left");
    assert!(store.check().await.unwrap().problems.is_empty());
}

#[tokio::test]
async fn a_failed_hard_delete_keeps_the_file() {
    let (app, store) = store().await;
    let note = store.create(new_note("Keep me", None)).await.unwrap();
    inject_failure(&store, "DELETE").await;
    assert!(store.hard_delete(note.slug.as_str()).await.is_err());
    assert_eq!(
        std::fs::read_to_string(app.notes_path().join(&note.file_path)).unwrap(),
        "Keep me"
    );
    assert!(store.check().await.unwrap().problems.is_empty());
}

#[tokio::test]
async fn deletes_soft_and_hard() {
    let (app, store) = store().await;
    let note = store.create(new_note("Soft", None)).await.unwrap();
    let deleted = store
        .change(note.slug.as_str(), NoteEdit::delete())
        .await
        .unwrap();
    assert!(deleted.deleted_at.is_some());
    assert!(
        app.notes_path().join(&note.file_path).exists(),
        "soft delete keeps the file"
    );
    assert!(matches!(
        store
            .change(
                note.slug.as_str(),
                NoteEdit::text(NoteBody::parse("x").unwrap(), note.content_hash.clone())
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    store.hard_delete(note.slug.as_str()).await.unwrap();
    assert!(!app.notes_path().join(&note.file_path).exists());
    assert!(store.find(note.slug.as_str()).await.unwrap().is_none());
    assert!(matches!(
        store.hard_delete("nope").await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn check_finds_missing_changed_and_stray_files() {
    let (app, store) = store().await;
    let missing = store.create(new_note("Missing", None)).await.unwrap();
    let changed = store.create(new_note("Changed", None)).await.unwrap();
    std::fs::remove_file(app.notes_path().join(&missing.file_path)).unwrap();
    std::fs::write(app.notes_path().join(&changed.file_path), "edited by hand").unwrap();
    std::fs::write(app.notes_path().join("stray.md"), "who am I").unwrap();
    let problems = store.check().await.unwrap();
    for expected in [
        Problem::MissingFile {
            slug: missing.slug.to_string(),
            path: missing.file_path.clone(),
        },
        Problem::HashMismatch {
            slug: changed.slug.to_string(),
            path: changed.file_path.clone(),
        },
        Problem::UnknownFile {
            path: "stray.md".into(),
        },
    ] {
        assert!(
            problems.problems.contains(&expected),
            "{expected} not in {problems:?}"
        );
    }
    assert_eq!(problems.problems.len(), 3, "{problems:?}");
    assert_eq!(problems.damaged_notes(), 2);
}

#[tokio::test]
async fn publishing_keeps_the_first_publication_date() {
    let (app, store) = store().await;
    let t1 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let t2 = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    app.set_time(t1);
    let mut draft = new_note("Draft first", None);
    draft.published = false;
    let note = store.create(draft).await.unwrap();
    assert_eq!(note.published_at, None);
    app.set_time(t2);
    let published = store
        .change(note.slug.as_str(), NoteEdit::publish(true))
        .await
        .unwrap();
    assert_eq!(published.published_at, Some(t2));
    store
        .change(note.slug.as_str(), NoteEdit::publish(false))
        .await
        .unwrap();
    let again = store
        .change(note.slug.as_str(), NoteEdit::publish(true))
        .await
        .unwrap();
    assert_eq!(again.published_at, Some(t2));
}
