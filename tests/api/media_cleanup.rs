//! Uploads no note ever used are removed after a day; `check` knows the
//! media folder and `check --repair` clears what interrupted uploads left.

use std::time::{Duration, SystemTime};

use chrono::Utc;
use image::ImageFormat;
use reqwest::header::{AUTHORIZATION, LOCATION};
use serde_json::json;
use starpunk::domain::MediaPath;

use crate::helpers::{TestApp, spawn_app, stderr, stdout};
use crate::media_support::{image_of, media_token, record_of, upload_image};

/// Posts through Micropub and returns the new note's URL.
async fn micropub(app: &TestApp, token: &str, body: serde_json::Value) -> Option<String> {
    let response = app
        .client
        .post(app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Makes every upload look two days old.
async fn age_uploads(app: &TestApp, except: &str) {
    let two_days_ago = (Utc::now() - chrono::TimeDelta::days(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let except = except.rsplit_once("/media/").unwrap().1;
    sqlx::query("UPDATE media SET created_at = ? WHERE path != ?")
        .bind(two_days_ago)
        .bind(except)
        .execute(app.store().pool())
        .await
        .unwrap();
}

fn media_file(app: &TestApp, path: &MediaPath) -> std::path::PathBuf {
    app.data_path().join("media").join(path.as_str())
}

fn check(app: &TestApp, repair: bool) -> (bool, String) {
    let mut command = app.cli();
    command.arg("check");
    if repair {
        command.arg("--repair");
    }
    let output = command.output().unwrap();
    let text = format!("{}{}", stdout(&output), stderr(&output));
    (output.status.success(), text)
}

#[tokio::test]
async fn uploads_no_note_used_are_removed_after_a_day() {
    let app = spawn_app().await;
    let token = media_token(&app, "create update delete media").await;
    let unused = upload_image(&app, &token, image_of(ImageFormat::Jpeg, 1400, 20)).await;
    let on_deleted_note = upload_image(&app, &token, image_of(ImageFormat::Png, 8, 8)).await;
    let added_by_edit = upload_image(&app, &token, image_of(ImageFormat::Png, 9, 9)).await;
    let dropped_by_edit = upload_image(&app, &token, image_of(ImageFormat::Png, 7, 7)).await;
    let recent = upload_image(&app, &token, image_of(ImageFormat::Png, 6, 6)).await;
    // Editors such as Quill put uploads inside the text rather than in
    // `photo`; an owner may link one from Markdown in a later edit.
    let in_html = upload_image(&app, &token, image_of(ImageFormat::Png, 5, 4)).await;
    let in_edited_text = upload_image(&app, &token, image_of(ImageFormat::Png, 4, 5)).await;

    let deleted = micropub(
        &app,
        &token,
        json!({"type": ["h-entry"], "properties": {"content": ["Gone"], "photo": [on_deleted_note]}}),
    )
    .await
    .unwrap();
    micropub(&app, &token, json!({"action": "delete", "url": deleted})).await;
    let edited = micropub(
        &app,
        &token,
        json!({"type": ["h-entry"], "properties": {"content": ["Edited"], "photo": [dropped_by_edit]}}),
    )
    .await
    .unwrap();
    micropub(
        &app,
        &token,
        json!({"action": "update", "url": edited, "replace": {"photo": [added_by_edit]}}),
    )
    .await;

    micropub(
        &app,
        &token,
        json!({"type": ["h-entry"], "properties": {
            "content": [{"html": format!("<p>Look:</p><img src=\"{in_html}\" alt=\"a cat\">")}]
        }}),
    )
    .await
    .unwrap();
    let text_note = micropub(
        &app,
        &token,
        json!({"type": ["h-entry"], "properties": {"content": ["No picture yet"]}}),
    )
    .await
    .unwrap();
    micropub(
        &app,
        &token,
        json!({"action": "update", "url": text_note,
               "replace": {"content": [format!("Now with ![a dog]({in_edited_text})")]}}),
    )
    .await;

    let unused_record = record_of(&app, &unused).await;
    let unused_web = unused_record.web.clone().expect("a web copy");
    age_uploads(&app, &recent).await;
    let (ok, out) = check(&app, true);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("removed the upload {}", unused_record.path)),
        "{out}"
    );
    assert_eq!(out.matches("removed the upload").count(), 1, "{out}");

    assert!(!media_file(&app, &unused_record.path).exists());
    assert!(!media_file(&app, &unused_web.path).exists());
    assert_eq!(app.client.get(&unused).send().await.unwrap().status(), 404);
    for kept in [
        on_deleted_note,
        added_by_edit,
        dropped_by_edit,
        recent,
        in_html,
        in_edited_text,
    ] {
        let record = record_of(&app, &kept).await;
        assert!(media_file(&app, &record.path).exists(), "{kept}");
        assert_eq!(app.client.get(&kept).send().await.unwrap().status(), 200);
    }
}

#[tokio::test]
async fn removing_an_unused_upload_takes_its_row_and_file() {
    let app = spawn_app().await;
    let token = media_token(&app, "media").await;
    let unused = upload_image(&app, &token, image_of(ImageFormat::Png, 5, 5)).await;
    let record = record_of(&app, &unused).await;
    let old = Utc::now() + chrono::TimeDelta::days(2);
    let removed = app
        .store()
        .remove_unused_media(&starpunk::store::MediaDir::in_data(app.data_path()), old)
        .await
        .unwrap();
    assert_eq!(removed, vec![record.clone()]);
    assert!(!media_file(&app, &record.path).exists());
}

#[tokio::test]
async fn check_reports_missing_and_unknown_media_files() {
    let app = spawn_app().await;
    let token = media_token(&app, "create media").await;
    let wide = upload_image(&app, &token, image_of(ImageFormat::Png, 1300, 10)).await;
    let narrow = upload_image(&app, &token, image_of(ImageFormat::Png, 10, 10)).await;
    let (ok, out) = check(&app, false);
    assert!(ok, "{out}");
    assert!(out.contains("2 uploads"), "{out}");

    let wide = record_of(&app, &wide).await;
    let variant = wide.web.clone().unwrap();
    let narrow = record_of(&app, &narrow).await;
    std::fs::remove_file(media_file(&app, &narrow.path)).unwrap();
    std::fs::remove_file(media_file(&app, &variant.path)).unwrap();
    let folder = app.data_path().join("media/2026/01");
    std::fs::create_dir_all(&folder).unwrap();
    let stray = folder.join(".tmp-media.abc.part");
    std::fs::write(&stray, b"half an upload").unwrap();

    let (ok, out) = check(&app, false);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("missing media file: the upload {}", narrow.path)),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}, the web copy of {}", variant.path, wide.path)),
        "{out}"
    );
    assert!(
        out.contains("unknown media file: 2026/01/.tmp-media.abc.part"),
        "{out}"
    );

    // A fresh stray file may be an upload still finishing: kept.
    let (_, out) = check(&app, true);
    assert!(stray.exists(), "{out}");
    let file = std::fs::File::options().write(true).open(&stray).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(2 * 60 * 60))
        .unwrap();
    drop(file);
    let (ok, out) = check(&app, true);
    assert!(!stray.exists(), "{out}");
    assert!(
        out.contains("repaired: removed 2026/01/.tmp-media.abc.part"),
        "{out}"
    );
    // Missing files cannot be repaired: still reported.
    assert!(!ok, "{out}");
    assert!(out.contains("missing media file"), "{out}");
}
