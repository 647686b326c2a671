//! `/admin/media`: every upload with its size and the notes that use it
//! now, unused ones marked; deleting one asks first, and one in use is
//! refused with the notes to change.

use image::ImageFormat;
use reqwest::header::COOKIE;
use scraper::Html;
use starpunk::domain::{NewNote, NoteBody, NoteEdit, NoteProperties, Photo, Slug};
use starpunk::store::{MediaDir, MediaRecord};

use crate::helpers::{TestApp, select, spawn_app};
use crate::media_support::{image_of, media_address};
use crate::owner::location;

async fn upload(app: &TestApp, width: u32) -> MediaRecord {
    let dir = MediaDir::in_data(app.data_path());
    let image = starpunk::media::prepare(&image_of(ImageFormat::Png, width, 3)).unwrap();
    app.store()
        .save_media(&dir, image, app.store().now())
        .await
        .unwrap()
}

/// A published note with `record` as its photo.
async fn note_showing(app: &TestApp, slug: &str, record: &MediaRecord) -> i64 {
    app.store()
        .create(NewNote {
            slug: Some(Slug::parse(slug).unwrap()),
            properties: NoteProperties {
                photos: vec![Photo {
                    url: media_address(app, &record.path),
                    alt: Some("A gradient".into()),
                }],
                ..NoteProperties::default()
            },
            ..NewNote::new(NoteBody::parse(format!("The note {slug}")).unwrap())
        })
        .await
        .unwrap()
        .id
}

/// The id the media page gives the upload at `record`'s path.
async fn id_of(app: &TestApp, record: &MediaRecord) -> i64 {
    let (items, _) = app.store().media_items(0, 100).await.unwrap();
    items
        .iter()
        .find(|item| item.record.path == record.path)
        .expect("listed")
        .id
}

/// The text of the media page's row for the upload with `id`.
fn row_text(page: &str, id: i64) -> String {
    let html = Html::parse_document(page);
    select(&html, &format!("#media-{id}"))
        .first()
        .map(|row| row.text().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_media_page_lists_each_upload_with_the_notes_that_use_it_now() {
    let app = spawn_app().await;
    let used = upload(&app, 5).await;
    let dropped = upload(&app, 6).await;
    let never = upload(&app, 7).await;
    let user = note_showing(&app, "shows-it", &used).await;
    note_showing(&app, "dropped-it", &dropped).await;
    // An edit drops the photo: the note once used it, but no longer does.
    let note = app.store().find("dropped-it").await.unwrap().unwrap();
    app.store()
        .change(
            "dropped-it",
            NoteEdit {
                properties: Some(NoteProperties::default()),
                ..NoteEdit::text(
                    NoteBody::parse("The note dropped-it").unwrap(),
                    note.content_hash.clone(),
                )
            },
        )
        .await
        .unwrap();
    let owner = app.sign_in().await;
    let response = app.owner_get(&owner, "/admin/media").await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();

    let row = row_text(&page, id_of(&app, &used).await);
    assert!(row.contains("shows-it"), "{row}");
    assert!(!row.contains("unused"), "{row}");
    assert!(row.contains("image/png") && row.contains("bytes"), "{row}");
    assert!(row.contains("5 × 3 pixels"), "{row}");
    let html = Html::parse_document(&page);
    let editor = format!("/admin/edit/{user}");
    assert_eq!(
        select(&html, &format!(r#"a[href="{editor}"]"#)).len(),
        1,
        "a link to the note's editor"
    );
    assert_eq!(
        select(&html, "img.media-thumb")[0].value().attr("src"),
        // Newest first.
        Some(media_address(&app, &never.path).as_str())
    );
    for unused in [&dropped, &never] {
        let row = row_text(&page, id_of(&app, unused).await);
        assert!(row.contains("unused"), "{row}");
        assert!(!row.contains("dropped-it"), "{row}");
    }
}

#[tokio::test]
async fn deleting_an_unused_upload_asks_first_then_removes_it_and_its_files() {
    let app = spawn_app().await;
    let record = upload(&app, 5).await;
    let id = id_of(&app, &record).await;
    let file = app.data_path().join("media").join(record.path.as_str());
    assert!(file.exists());
    let owner = app.sign_in().await;
    let confirm = app
        .owner_get(&owner, &format!("/admin/media/delete/{id}"))
        .await;
    assert_eq!(confirm.status(), 200);
    let page = confirm.text().await.unwrap();
    assert!(page.contains("Delete this upload?"), "{page}");
    assert!(page.contains("cannot be undone"), "{page}");
    // Asking removed nothing.
    assert!(file.exists());

    let response = app
        .owner_post(&owner, &format!("/admin/media/delete/{id}"), &[])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/admin/media");
    assert!(!file.exists());
    assert_eq!(app.store().find_media(&record.path).await.unwrap(), None);
    assert_eq!(
        app.get(&format!("/media/{}", record.path)).await.status(),
        404
    );
    let page = app
        .owner_get(&owner, "/admin/media")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Deleted the upload."), "{page}");
    assert!(page.contains("No uploads yet."), "{page}");
    // Gone: a second delete finds nothing.
    let again = app
        .owner_post(&owner, &format!("/admin/media/delete/{id}"), &[])
        .await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn an_upload_in_use_is_not_deleted_and_the_page_says_which_notes_use_it() {
    let app = spawn_app().await;
    let record = upload(&app, 5).await;
    let user = note_showing(&app, "keeps-it", &record).await;
    let id = id_of(&app, &record).await;
    let owner = app.sign_in().await;
    let confirm = app
        .owner_get(&owner, &format!("/admin/media/delete/{id}"))
        .await;
    assert_eq!(confirm.status(), 200);
    let page = confirm.text().await.unwrap();
    assert!(page.contains("This upload is in use"), "{page}");
    assert!(
        page.contains(&format!(r#"href="/admin/edit/{user}""#)),
        "{page}"
    );
    assert!(!page.contains(">Delete<"), "no Delete button: {page}");

    // A delete sent anyway (from a page opened before the note used it).
    let response = app
        .owner_post(&owner, &format!("/admin/media/delete/{id}"), &[])
        .await;
    assert_eq!(response.status(), 409);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("cannot be deleted while it is used"),
        "{page}"
    );
    assert!(page.contains("keeps-it"), "{page}");
    assert!(
        app.store()
            .find_media(&record.path)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        app.get(&format!("/media/{}", record.path)).await.status(),
        200
    );
}

#[tokio::test]
async fn the_media_pages_are_the_owners_alone() {
    let app = spawn_app().await;
    let record = upload(&app, 5).await;
    let id = id_of(&app, &record).await;
    for path in [
        "/admin/media".to_owned(),
        format!("/admin/media/delete/{id}"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), "/auth/login", "{path}");
    }
    let owner = app.sign_in().await;
    let forged = app
        .client
        .post(app.url(&format!("/admin/media/delete/{id}")))
        .header(COOKIE, &owner.cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(
        app.store()
            .find_media(&record.path)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        app.owner_get(&owner, "/admin/media/delete/999999")
            .await
            .status(),
        404
    );
}
