//! A damaged note never takes the site down; leftovers of interrupted writes
//! are recognised and resolved; edits never overwrite newer ones; the cache
//! notices a replaced database.

use starpunk::domain::NoteEdit;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use starpunk::domain::{NoteBody, content_hash};
use starpunk::store::{Problem, Repair, StoreError};

use crate::helpers::{TestApp, eventually, run_with_input, spawn_app, stderr};

fn write(path: &Path, text: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn damaged_notes_are_left_out_and_the_rest_of_the_site_serves() {
    let app = spawn_app().await;
    let kept = app.publish("Kept note stays visible").await;
    let missing = app.publish("Missing file note").await;
    let changed = app.publish("Changed by hand note").await;
    let binary = app.publish("Binary garbage note").await;
    std::fs::remove_file(app.notes_path().join(&missing.file_path)).unwrap();
    write(
        &app.notes_path().join(&changed.file_path),
        b"Edited outside StarPunk",
    );
    write(
        &app.notes_path().join(&binary.file_path),
        b"\xff\xfe\x00bad",
    );
    app.changed().await;

    let home = app.text("/").await;
    assert!(home.contains("Kept note stays visible"));
    for gone in ["Missing file note", "Edited outside StarPunk", "Binary"] {
        assert!(!home.contains(gone), "{gone} shown on the home page");
    }
    let feed = feed_rs::parser::parse(&app.get("/feed.xml").await.bytes().await.unwrap()[..])
        .expect("the feed still parses");
    assert_eq!(feed.entries.len(), 1);
    assert!(
        feed.entries[0]
            .id
            .ends_with(&format!("/note/{}", kept.slug))
    );

    for note in [&missing, &changed, &binary] {
        let response = app.get(&format!("/note/{}", note.slug)).await;
        assert_eq!(response.status(), 500, "{}", note.slug);
        assert_eq!(
            crate::helpers::header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains("This note cannot be shown"), "{page}");
        assert!(!page.contains(&note.file_path), "no paths for visitors");
    }
    assert_eq!(app.get(&format!("/note/{}", kept.slug)).await.status(), 200);
}

async fn health(app: &TestApp) -> (u16, Value) {
    let response = app.get("/health").await;
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn health_says_degraded_while_a_note_is_damaged() {
    let app = spawn_app().await;
    let note = app.publish("Soon without its file").await;
    eventually(Duration::from_secs(20), || async {
        health(&app).await.1["checks"]["notes"] == "ok"
    })
    .await;

    let path = app.notes_path().join(&note.file_path);
    std::fs::remove_file(&path).unwrap();
    // Any change makes the server verify the files again shortly after.
    app.publish("Another note").await;
    eventually(Duration::from_secs(30), || async {
        health(&app).await.1["status"] == "degraded"
    })
    .await;
    let (status, body) = health(&app).await;
    assert_eq!(status, 200, "the site still serves: no restart wanted");
    let notes = body["checks"]["notes"].as_str().unwrap();
    assert!(notes.starts_with("1 damaged"), "{notes}");
    assert_eq!(body["checks"]["database"], "ok");

    write(&path, b"Soon without its file");
    app.publish("A third note").await;
    eventually(Duration::from_secs(30), || async {
        health(&app).await.1["status"] == "healthy"
    })
    .await;
}

#[tokio::test]
async fn an_edit_of_an_older_version_is_refused() {
    let app = spawn_app().await;
    let note = app.publish("Version one").await;
    let store = app.store();
    let v2 = store
        .change(
            note.slug.as_str(),
            NoteEdit::text(
                NoteBody::parse("Version two").unwrap(),
                note.content_hash.clone(),
            ),
        )
        .await
        .unwrap();
    let stale = store
        .change(
            note.slug.as_str(),
            NoteEdit::text(
                NoteBody::parse("Version three, from an old copy").unwrap(),
                note.content_hash.clone(),
            ),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict { .. }), "{stale}");
    assert!(stale.to_string().contains("changed since you read it"));
    let on_disk = std::fs::read_to_string(app.notes_path().join(&note.file_path)).unwrap();
    assert_eq!(on_disk, "Version two");
    assert_eq!(v2.content_hash, content_hash(b"Version two"));

    // The same rule from the command line.
    let mut command = app.cli();
    let old = note.content_hash.clone();
    let slug = note.slug.to_string();
    let output = tokio::task::spawn_blocking(move || {
        run_with_input(
            command.args(["note", "edit", &slug, "-", "--expect-hash", &old]),
            "Edit from a stale copy",
        )
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("changed since you read it"),
        "{}",
        stderr(&output)
    );
    let on_disk = std::fs::read_to_string(app.notes_path().join(&note.file_path)).unwrap();
    assert_eq!(on_disk, "Version two");
}

/// Simulates each way a writer can die, by laying out the files it would
/// leave, and checks that `check` explains them and `repair` resolves them.
#[tokio::test]
async fn leftovers_of_interrupted_writes_are_explained_and_resolved() {
    let app = spawn_app().await;
    let store = app.store();
    let edited = app.publish("Edited note, original text").await;
    let deleted = app.publish("Deleted note, still recorded").await;
    let notes = app.notes_path();
    let folder = Path::new(&edited.file_path).parent().unwrap().to_owned();
    let in_folder = |name: &str| folder.join(name).display().to_string();

    // A create killed after its file was linked, before its row was written.
    let ghost = in_folder("ghost.md");
    let ghost_twin = in_folder(".tmp-new.AbCd1234.ghost.md.part");
    write(&notes.join(&ghost_twin), b"never acknowledged");
    std::fs::hard_link(notes.join(&ghost_twin), notes.join(&ghost)).unwrap();
    // An edit killed after the new text was renamed in, before its row.
    let old = in_folder(&format!(".tmp-old.EfGh5678.{}.md.part", edited.slug));
    std::fs::hard_link(notes.join(&edited.file_path), notes.join(&old)).unwrap();
    let replacement = notes.join(in_folder("replacement"));
    write(&replacement, b"unacknowledged new text");
    std::fs::rename(&replacement, notes.join(&edited.file_path)).unwrap();
    // A hard delete killed after the file was moved aside, before its row.
    let aside = in_folder(&format!(".tmp-del.IjKl9012.{}.md.part", deleted.slug));
    std::fs::rename(notes.join(&deleted.file_path), notes.join(&aside)).unwrap();
    // A temporary file of an older version of StarPunk.
    let legacy = in_folder(".tmp-Xy12Zq.md.part");
    write(&notes.join(&legacy), b"half written");

    let report = store.check().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    for expected in [
        Repair::UndoCreate {
            path: ghost.clone(),
            twin: ghost_twin.clone(),
        },
        Repair::RestoreOld {
            path: edited.file_path.clone(),
            old: old.clone(),
        },
        Repair::RestoreDeleted {
            path: deleted.file_path.clone(),
            aside: aside.clone(),
        },
        Repair::RemoveTemp {
            temp: legacy.clone(),
        },
    ] {
        assert!(
            report.leftovers.contains(&expected),
            "{expected} not in {:?}",
            report.leftovers
        );
    }

    let done = store.repair().await.unwrap();
    assert_eq!(done.len(), 4, "{done:?}");
    let report = store.check().await.unwrap();
    assert!(report.problems.is_empty() && report.leftovers.is_empty());
    let read = |p: &str| std::fs::read_to_string(notes.join(p)).unwrap();
    assert_eq!(read(&edited.file_path), "Edited note, original text");
    assert_eq!(read(&deleted.file_path), "Deleted note, still recorded");
    for gone in [&ghost, &ghost_twin, &old, &aside, &legacy] {
        assert!(!notes.join(gone).exists(), "{gone} left behind");
    }
}

#[tokio::test]
async fn a_leftover_that_could_hold_the_only_copy_of_text_is_kept() {
    let app = spawn_app().await;
    let note = app.publish("Recorded text").await;
    let notes = app.notes_path();
    let folder = Path::new(&note.file_path).parent().unwrap();
    let old = folder
        .join(format!(".tmp-old.MnOp3456.{}.md.part", note.slug))
        .display()
        .to_string();
    write(&notes.join(&old), b"text matching nothing recorded");
    write(&notes.join(&note.file_path), b"also changed by hand");

    app.store().repair().await.unwrap();
    assert!(notes.join(&old).exists(), "repair removed a possible copy");
    let report = app.store().check().await.unwrap();
    assert!(
        report
            .problems
            .contains(&Problem::UnknownFile { path: old })
    );
    assert!(report.problems.contains(&Problem::HashMismatch {
        slug: note.slug.to_string(),
        path: note.file_path.clone(),
    }));
}

#[tokio::test]
async fn the_server_resolves_leftovers_when_it_starts() {
    let data = tempfile::tempdir().unwrap();
    let leftover = data
        .path()
        .join("notes/2026/01/.tmp-new.QrSt7890.lost.md.part");
    write(&leftover, b"from a writer killed before it linked its file");
    let app = TestApp::builder()
        .data_path(&data.path().display().to_string())
        .spawn()
        .await;
    eventually(Duration::from_secs(20), || async { !leftover.exists() }).await;
    assert!(app.store().check().await.unwrap().problems.is_empty());
}

/// A restore from a backup brings an older revision back: pages rendered
/// from the newer data must not be served any more.
#[tokio::test]
async fn a_database_restored_under_the_server_drops_every_cached_page() {
    let app = spawn_app().await;
    let note = app.publish("Before the backup").await;
    let backup = app.data_path().join("backup.db");
    sqlx::query("VACUUM INTO ?")
        .bind(backup.display().to_string())
        .execute(app.store().pool())
        .await
        .unwrap();
    let later = app.publish("Written after the backup").await;
    let path = format!("/note/{}", note.slug);
    assert!(app.text("/").await.contains("Written after the backup"));
    assert_eq!(
        app.get(&format!("/note/{}", later.slug)).await.status(),
        200
    );

    // Restore in place, as SQLite's backup API does for a live database.
    let mut conn = app.store().pool().acquire().await.unwrap();
    sqlx::query("ATTACH DATABASE ? AS backup")
        .bind(backup.display().to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
    for statement in [
        "BEGIN IMMEDIATE",
        "DELETE FROM notes",
        "INSERT INTO notes SELECT * FROM backup.notes",
        "UPDATE site_state SET revision = (SELECT revision FROM backup.site_state),
                changed_at = (SELECT changed_at FROM backup.site_state)",
        "COMMIT",
        "DETACH DATABASE backup",
    ] {
        sqlx::query(statement).execute(&mut *conn).await.unwrap();
    }
    drop(conn);

    eventually(Duration::from_secs(20), || async {
        !app.text("/").await.contains("Written after the backup")
    })
    .await;
    assert_eq!(
        app.get(&format!("/note/{}", later.slug)).await.status(),
        404
    );
    assert!(app.text(&path).await.contains("Before the backup"));
}
