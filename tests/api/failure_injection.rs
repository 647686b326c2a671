//! Failure injection: a SQLite `RAISE(ABORT)` trigger on one table makes
//! that step of a change fail. Every writer (the CLI, the import, the
//! admin editor, Micropub) must then report the failure and leave
//! everything exactly as it was: rows, files, search results, feed bytes.

mod site;

use reqwest::header::AUTHORIZATION;
use serde_json::json;

use site::{Site, Snapshot, Step};

/// Every writer's change.
#[derive(Debug, Clone, Copy)]
enum Writer {
    CliNew,
    CliEdit,
    CliTag,
    CliPublish,
    CliDelete,
    CliHardDelete,
    Import,
    Editor,
    EditorNewWithPhoto,
    EditorPhotos,
    MicropubCreate,
    MicropubUpdate,
    MicropubDelete,
    MicropubUpload,
}

use Step::*;
use Writer::*;

impl Writer {
    const ALL: [Writer; 14] = [
        CliNew,
        CliEdit,
        CliTag,
        CliPublish,
        CliDelete,
        CliHardDelete,
        Import,
        Editor,
        EditorNewWithPhoto,
        EditorPhotos,
        MicropubCreate,
        MicropubUpdate,
        MicropubDelete,
        MicropubUpload,
    ];

    /// The steps this change writes.
    fn steps(self) -> &'static [Step] {
        match self {
            CliNew | Import | EditorNewWithPhoto | MicropubCreate | CliHardDelete => {
                &[Notes, NoteTags, Tags, SearchIndex, NoteMedia]
            }
            CliEdit | Editor | EditorPhotos | MicropubUpdate => {
                &[Notes, Properties, NoteTags, Tags, SearchIndex, NoteMedia]
            }
            CliTag => &[Notes, NoteTags, Tags, SearchIndex],
            CliPublish | CliDelete | MicropubDelete => &[Notes],
            MicropubUpload => &[Media, Notes, NoteTags, SearchIndex, NoteMedia],
        }
    }

    /// Makes the change; whether the writer reported a failure.
    async fn fails(self, site: &Site) -> bool {
        let seed = site.app.url("/note/seed");
        match self {
            CliNew => site.cli_fails(
                &["note", "new", "--tag", "New", "-"],
                &site.text_with_photo(),
            ),
            CliEdit => site.cli_fails(
                &["note", "edit", "seed", "-", "--tag", "Newer"],
                &site.text_with_photo(),
            ),
            CliTag => site.cli_fails(&["note", "tag", "seed", "add", "Extra"], ""),
            CliPublish => site.cli_fails(&["note", "publish", "waiting"], ""),
            CliDelete => site.cli_fails(&["note", "delete", "seed"], ""),
            CliHardDelete => site.cli_fails(&["note", "delete", "--hard", "seed"], ""),
            Import => site.import_fails(),
            Editor => site.editor_fails().await,
            EditorNewWithPhoto => site.editor_new_with_photo_fails().await,
            EditorPhotos => site.editor_photos_fail().await,
            MicropubCreate => {
                site.micropub_fails(json!({
                    "type": ["h-entry"],
                    "properties": {
                        "content": ["A post from an app"],
                        "category": ["Appy"],
                        "photo": [site.unused_photo_url()],
                    }
                }))
                .await
            }
            MicropubUpdate => {
                site.micropub_fails(json!({
                    "action": "update",
                    "url": seed,
                    "replace": {"content": ["REPLACED TEXT"]},
                    "add": {"category": ["newtag"], "photo": [site.unused_photo_url()]},
                }))
                .await
            }
            MicropubDelete => {
                site.micropub_fails(json!({"action": "delete", "url": seed}))
                    .await
            }
            MicropubUpload => site.multipart_fails().await,
        }
    }
}

#[tokio::test]
async fn every_step_of_every_writer_fails_whole() {
    for writer in Writer::ALL {
        for &step in writer.steps() {
            let site = Site::seeded().await;
            let before = Snapshot::of(&site).await;
            site.inject(step).await;
            assert!(
                writer.fails(&site).await,
                "{writer:?}: a failure on {step:?} was not reported"
            );
            site.lift(step).await;
            let after = Snapshot::of(&site).await;
            before.assert_same(&after, &format!("{writer:?} with {step:?} failing"));
        }
    }
}

/// The case the issue saw: the update answers 500 and the note page still
/// shows the text it had.
#[tokio::test]
async fn a_micropub_update_that_fails_on_its_tags_changes_nothing() {
    let site = Site::seeded().await;
    site.inject(NoteTags).await;
    let response = site
        .app
        .client
        .post(site.app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {}", site.token))
        .json(&json!({
            "action": "update",
            "url": site.app.url("/note/seed"),
            "replace": {"content": ["REPLACED TEXT"]},
            "add": {"category": ["newtag"]},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "server_error", "{body}");
    site.app.changed().await;
    let page = site.app.text("/note/seed").await;
    assert!(!page.contains("REPLACED TEXT"), "{page}");
    assert!(page.contains(site::SEED_TEXT), "{page}");
    assert!(!page.contains("newtag"));

    site.lift(NoteTags).await;
    let retried = site
        .app
        .client
        .post(site.app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {}", site.token))
        .json(&json!({
            "action": "update",
            "url": site.app.url("/note/seed"),
            "replace": {"content": ["REPLACED TEXT"]},
            "add": {"category": ["newtag"]},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        retried.status(),
        204,
        "the same update works once nothing fails"
    );
    let page = site.app.text("/note/seed").await;
    assert!(page.contains("REPLACED TEXT") && page.contains("newtag"));
}
