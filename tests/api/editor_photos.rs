//! Photos in the editor without its script: files chosen in the form are
//! kept as the media endpoint keeps them, described, moved and removed,
//! and saved with the note; a file that cannot be kept is named next to
//! the photo field with everything typed kept.

use image::ImageFormat;
use scraper::Html;
use starpunk::domain::{NewNote, NoteBody, NoteProperties, Photo, Slug};
use starpunk::store::MediaDir;

use crate::helpers::{TestApp, header, select, spawn_app};
use crate::media_support::{image_of, record_of};
use crate::owner::{FormPart, Signed, location, texts};

/// The `photo_url` values of an editor page, in order.
fn photo_urls(page: &str) -> Vec<String> {
    let html = Html::parse_document(page);
    select(&html, r#"#photos input[name="photo_url"]"#)
        .iter()
        .filter_map(|input| input.value().attr("value"))
        .filter(|url| !url.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The text of the element `selector` finds, or "" when none.
fn text_of(page: &str, selector: &str) -> String {
    let html = Html::parse_document(page);
    select(&html, selector)
        .first()
        .map(|e| e.text().collect())
        .unwrap_or_default()
}

/// Chooses `file` in a new note's editor and presses Add photos; returns
/// the page that comes back.
async fn add_photo(app: &TestApp, owner: &Signed, text: &str, file: Vec<u8>) -> String {
    let mut parts = texts(&[
        ("content", text),
        ("tags", "Travel, Sea"),
        ("published", "on"),
        ("action", "add-photos"),
    ]);
    parts.push(FormPart::File("photos", "sea.png", file));
    let response = app.owner_multipart(owner, "/admin/new", parts).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// An upload made as the media endpoint makes one; its public address.
async fn upload(app: &TestApp, width: u32) -> String {
    let dir = MediaDir::in_data(app.data_path());
    let image = starpunk::media::prepare(&image_of(ImageFormat::Png, width, 3)).unwrap();
    let record = app
        .store()
        .save_media(&dir, image, app.store().now())
        .await
        .unwrap();
    app.url(&format!("/media/{}", record.path))
}

#[tokio::test]
async fn a_photo_chosen_without_a_script_is_kept_and_saved_with_its_description() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    let page = add_photo(
        &app,
        &owner,
        "Out at sea",
        image_of(ImageFormat::Png, 40, 30),
    )
    .await;
    // Kept as an upload, shown for describing, with everything typed kept.
    let urls = photo_urls(&page);
    assert_eq!(urls.len(), 1, "{page}");
    assert!(urls[0].starts_with(&app.url("/media/")), "{urls:?}");
    let record = record_of(&app, &urls[0]).await;
    assert_eq!((record.width, record.height), (40, 30));
    assert!(text_of(&page, ".photos-status").contains("Added 1 photo"));
    assert_eq!(text_of(&page, "#content").trim(), "Out at sea");
    assert!(page.contains(r#"value="Travel, Sea""#), "{page}");
    assert!(page.contains(r#"id="photo-alt-1""#), "{page}");
    assert!(app.store().list(true, true).await.unwrap().is_empty());

    let mut parts = texts(&[
        ("content", "Out at sea"),
        ("tags", "Travel, Sea"),
        ("published", "on"),
        ("slug", "at-sea"),
        ("photo_url", &urls[0]),
        ("photo_alt", "Grey waves under a low sky"),
        ("action", "save"),
    ]);
    // The file field, left empty, as a browser sends it.
    parts.push(FormPart::File("photos", "", Vec::new()));
    let response = app.owner_multipart(&owner, "/admin/new", parts).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let note = app.store().find("at-sea").await.unwrap().unwrap();
    assert_eq!(
        note.properties.photos,
        [Photo {
            url: urls[0].clone(),
            alt: Some("Grey waves under a low sky".into()),
        }]
    );
    assert_eq!(app.store().media_users(&record.path).await.unwrap(), 1);
    let page = app.text("/note/at-sea").await;
    let html = Html::parse_document(&page);
    let photos = select(&html, "img.u-photo");
    assert_eq!(photos.len(), 1, "{page}");
    assert_eq!(photos[0].value().attr("src"), Some(urls[0].as_str()));
    assert_eq!(
        photos[0].value().attr("alt"),
        Some("Grey waves under a low sky")
    );
}

#[tokio::test]
async fn saving_a_photo_without_its_description_is_refused_with_the_form_kept() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    let page = add_photo(
        &app,
        &owner,
        "Undescribed",
        image_of(ImageFormat::Png, 8, 8),
    )
    .await;
    let url = photo_urls(&page).remove(0);
    for alt in ["", "   "] {
        let parts = texts(&[
            ("content", "Undescribed"),
            ("tags", "Travel, Sea"),
            ("photo_url", &url),
            ("photo_alt", alt),
            ("action", "save"),
        ]);
        let response = app.owner_multipart(&owner, "/admin/new", parts).await;
        assert_eq!(response.status(), 422, "{alt:?}");
        let page = response.text().await.unwrap();
        assert!(
            text_of(&page, "#photo-alt-error-1").contains("Describe this photo"),
            "{page}"
        );
        assert!(page.contains(r#"aria-describedby="photo-alt-error-1""#));
        assert_eq!(photo_urls(&page), [url.as_str()]);
        assert_eq!(text_of(&page, "#content").trim(), "Undescribed");
        assert!(page.contains(r#"value="Travel, Sea""#), "{page}");
    }
    assert!(app.store().list(true, true).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_file_too_large_or_not_an_image_is_named_beside_the_field_with_the_text_kept() {
    let app = TestApp::builder().media_max_bytes(2_000).spawn().await;
    let owner = app.sign_in().await;
    let large = image_of(ImageFormat::Jpeg, 200, 200);
    assert!(large.len() > 2_000);
    for (file_name, bytes, status, message) in [
        (
            "big.jpg",
            large,
            413,
            "big.jpg: the file is larger than 2 kB, the most this site takes.",
        ),
        (
            "notes.txt",
            b"just some words".to_vec(),
            415,
            "notes.txt: the file is not a JPEG, PNG, GIF or WebP image.",
        ),
    ] {
        let mut parts = texts(&[
            ("content", "Words worth keeping"),
            ("tags", "Kept"),
            ("action", "save"),
        ]);
        parts.push(FormPart::File("photos", file_name, bytes));
        // A good photo in the same form is kept all the same.
        parts.push(FormPart::File(
            "photos",
            "small.png",
            image_of(ImageFormat::Png, 4, 4),
        ));
        let response = app.owner_multipart(&owner, "/admin/new", parts).await;
        assert_eq!(response.status(), status, "{file_name}");
        let page = response.text().await.unwrap();
        assert!(
            text_of(&page, "#photos #photos-error").contains(message),
            "{file_name}: {page}"
        );
        assert!(page.contains(r#"aria-describedby="photos-hint photos-error""#));
        assert_eq!(text_of(&page, "#content").trim(), "Words worth keeping");
        assert!(page.contains(r#"value="Kept""#), "{page}");
        assert_eq!(photo_urls(&page).len(), 1, "{file_name}: the good photo");
    }
    assert!(app.store().list(true, true).await.unwrap().is_empty());
    let uploads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM media")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(uploads, 2, "only the two good photos were kept");
}

#[tokio::test]
async fn photos_are_moved_and_removed_in_the_editor_and_saved_with_the_edit() {
    let app = spawn_app().await;
    let (first, second) = (upload(&app, 5).await, upload(&app, 7).await);
    let photo = |url: &str, alt: &str| Photo {
        url: url.to_owned(),
        alt: Some(alt.to_owned()),
    };
    let note = app
        .store()
        .create(NewNote {
            slug: Some(Slug::parse("pair").unwrap()),
            properties: NoteProperties {
                name: Some("Two photos".into()),
                photos: vec![photo(&first, "First"), photo(&second, "Second")],
                ..NoteProperties::default()
            },
            ..NewNote::new(NoteBody::parse("A pair").unwrap())
        })
        .await
        .unwrap();
    let owner = app.sign_in().await;
    let editor = format!("/admin/edit/{}", note.id);
    let page = app.owner_get(&owner, &editor).await.text().await.unwrap();
    assert_eq!(photo_urls(&page), [first.clone(), second.clone()]);
    assert!(page.contains(r#"value="First""#) && page.contains(r#"value="Second""#));

    let submit = async |photos: &[(&str, &str)], action: &str| {
        let mut fields = vec![
            ("content", "A pair"),
            ("published", "on"),
            ("based_on", note.content_hash.as_str()),
            ("action", action),
        ];
        for (url, alt) in photos {
            fields.push(("photo_url", url));
            fields.push(("photo_alt", alt));
        }
        app.owner_multipart(&owner, &editor, texts(&fields)).await
    };
    let moved = submit(&[(&first, "First"), (&second, "Second")], "photo-down-0").await;
    assert_eq!(moved.status(), 200);
    let page = moved.text().await.unwrap();
    assert_eq!(photo_urls(&page), [second.clone(), first.clone()]);
    assert_eq!(
        text_of(&page, r#"label[for="photo-alt-1"]"#),
        "Description of photo 1 (alt text)"
    );
    let removed = submit(&[(&second, "Second"), (&first, "First")], "photo-remove-1").await;
    let page = removed.text().await.unwrap();
    assert_eq!(photo_urls(&page), [second.as_str()]);
    // Nothing is saved until Save.
    let stored = app.store().find("pair").await.unwrap().unwrap();
    assert_eq!(stored.properties.photos.len(), 2);

    let saved = submit(&[(&second, "The second, alone")], "save").await;
    assert_eq!(saved.status(), 303);
    let stored = app.store().find("pair").await.unwrap().unwrap();
    assert_eq!(
        stored.properties.photos,
        [photo(&second, "The second, alone")]
    );
    assert_eq!(stored.properties.name.as_deref(), Some("Two photos"));
    let page = app.text("/note/pair").await;
    let html = Html::parse_document(&page);
    let shown: Vec<_> = select(&html, "img.u-photo")
        .iter()
        .map(|img| img.value().attr("alt").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(shown, ["The second, alone"]);
}

#[tokio::test]
async fn the_preview_shows_the_photos_as_the_note_will_and_saves_nothing() {
    let app = spawn_app().await;
    let url = upload(&app, 9).await;
    let owner = app.sign_in().await;
    let fields = [
        ("content", "Previewed"),
        ("photo_url", url.as_str()),
        ("photo_alt", "A small gradient"),
        ("action", "preview"),
    ];
    let response = app
        .owner_multipart(&owner, "/admin/new", texts(&fields))
        .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let html = Html::parse_document(&page);
    let shown = select(&html, ".preview img.u-photo");
    assert_eq!(shown.len(), 1, "{page}");
    assert_eq!(shown[0].value().attr("src"), Some(url.as_str()));
    assert_eq!(shown[0].value().attr("alt"), Some("A small gradient"));
    assert!(app.store().list(true, true).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_form_with_files_needs_the_owner_and_the_token_before_any_file() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    let file = || FormPart::File("photos", "p.png", image_of(ImageFormat::Png, 4, 4));
    // A file before the token: refused before the file is read.
    let response = app
        .client
        .post(app.url("/admin/new"))
        .header(reqwest::header::COOKIE, &owner.cookie)
        .multipart(
            reqwest::multipart::Form::new()
                .part(
                    "photos",
                    reqwest::multipart::Part::bytes(image_of(ImageFormat::Png, 4, 4))
                        .file_name("p.png"),
                )
                .text("csrf", owner.csrf.clone())
                .text("content", "Sneaky"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // A wrong token, and no session at all.
    let stranger = Signed {
        cookie: owner.cookie.clone(),
        csrf: "not-the-token".into(),
    };
    let mut parts = texts(&[("content", "Sneaky")]);
    parts.push(file());
    let response = app.owner_multipart(&stranger, "/admin/new", parts).await;
    assert_eq!(response.status(), 403);
    let signed_out = Signed {
        cookie: "starpunk_session=nobody".into(),
        csrf: owner.csrf.clone(),
    };
    let mut parts = texts(&[("content", "Sneaky")]);
    parts.push(file());
    let response = app.owner_multipart(&signed_out, "/admin/new", parts).await;
    assert_eq!(response.status(), 403);
    let uploads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM media")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(uploads, 0);
}

#[tokio::test]
async fn the_editor_script_sends_each_photo_as_it_is_chosen() {
    let app = TestApp::builder().media_max_bytes(2_000).spawn().await;
    let owner = app.sign_in().await;
    // The editor, and only the editor, may run the site's own script.
    let editor = app.owner_get(&owner, "/admin/new").await;
    assert!(header(&editor, "content-security-policy").contains("script-src 'self'"));
    let page = editor.text().await.unwrap();
    let html = Html::parse_document(&page);
    let script = select(&html, "script[src]")[0]
        .value()
        .attr("src")
        .unwrap()
        .to_owned();
    let served = app.get(&script).await;
    assert_eq!(served.status(), 200);
    assert!(header(&served, "content-type").starts_with("text/javascript"));
    let dashboard = app.owner_get(&owner, "/admin").await;
    assert!(!header(&dashboard, "content-security-policy").contains("script-src"));

    let send = async |file_name: &'static str, bytes: Vec<u8>| {
        let parts = vec![FormPart::File("file", file_name, bytes)];
        app.owner_multipart(&owner, "/admin/media/upload", parts)
            .await
    };
    let response = send("p.png", image_of(ImageFormat::Png, 6, 4)).await;
    assert_eq!(response.status(), 201);
    let url = location(&response);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["url"], url.as_str());
    assert_eq!(
        (answer["width"].as_u64(), answer["height"].as_u64()),
        (Some(6), Some(4))
    );
    assert_eq!(record_of(&app, &url).await.width, 6);

    for (bytes, status, words) in [
        (b"plain words".to_vec(), 415, "not a JPEG, PNG, GIF or WebP"),
        (image_of(ImageFormat::Jpeg, 200, 200), 413, "2000"),
    ] {
        let response = send("x.png", bytes).await;
        assert_eq!(response.status(), status);
        let answer: serde_json::Value = response.json().await.unwrap();
        let description = answer["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(words), "{answer}");
    }
}
