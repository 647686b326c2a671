//! The admin pages: writing, previewing, editing, publishing, deleting and
//! restoring notes from the browser, and the checks that guard each form.

use reqwest::header::COOKIE;

use crate::helpers::{header, spawn_app};
use crate::owner::location;

#[tokio::test]
async fn a_note_written_in_the_admin_is_on_the_site_and_in_the_feed_at_once() {
    let app = spawn_app().await;
    // Rendered (and cached) before the change.
    assert!(
        !app.get("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("Hello admin")
    );
    let owner = app.sign_in().await;
    let response = app
        .owner_post(
            &owner,
            "/admin/new",
            &[
                ("content", "# Hello admin\n\nWritten **here**."),
                ("published", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/admin");
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("<strong>here</strong>"), "{home}");
    assert!(
        app.get("/feed.xml")
            .await
            .text()
            .await
            .unwrap()
            .contains("Hello admin")
    );
    let dashboard = app.owner_get(&owner, "/admin").await.text().await.unwrap();
    assert!(dashboard.contains("Published."), "the one-time message");
    let again = app.owner_get(&owner, "/admin").await.text().await.unwrap();
    assert!(!again.contains("Published."), "shown once");
}

#[tokio::test]
async fn a_draft_stays_invisible_to_the_public() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    let response = app
        .owner_post(
            &owner,
            "/admin/new",
            &[
                ("content", "Secret plans"),
                ("slug", "plans"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let note = app.store().find("plans").await.unwrap().unwrap();
    assert!(!note.published);
    assert_eq!(app.get("/note/plans").await.status(), 404);
    assert!(
        !app.get("/feed.xml")
            .await
            .text()
            .await
            .unwrap()
            .contains("Secret plans")
    );
    assert!(
        app.owner_get(&owner, "/admin?show=drafts")
            .await
            .text()
            .await
            .unwrap()
            .contains("plans")
    );
}

#[tokio::test]
async fn preview_renders_safely_and_saves_nothing() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    let response = app
        .owner_post(
            &owner,
            "/admin/new",
            &[
                ("content", "Look *here* <script>alert(1)</script>"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("<em>here</em>"), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    // The text stays in the form, escaped.
    assert!(page.contains("&#60;script&#62;alert(1)"), "{page}");
    assert!(app.store().list(true, true).await.unwrap().is_empty());
}

#[tokio::test]
async fn invalid_input_is_shown_next_to_its_field_with_the_text_kept() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    for (fields, expected) in [
        (
            vec![("content", "   "), ("action", "save")],
            "content-error",
        ),
        (
            vec![
                ("content", "Kept text"),
                ("slug", "Not A Slug!"),
                ("action", "save"),
            ],
            "slug-error",
        ),
        (
            vec![
                ("content", "Kept text"),
                ("slug", "admin"),
                ("action", "save"),
            ],
            "slug-error",
        ),
        (
            vec![
                ("content", "Kept text"),
                ("published_at", "yesterday"),
                ("action", "save"),
            ],
            "published-at-error",
        ),
    ] {
        let response = app.owner_post(&owner, "/admin/new", &fields).await;
        assert_eq!(response.status(), 422, "{fields:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains(expected), "{fields:?}: {page}");
        if fields[0].1 == "Kept text" {
            assert!(page.contains("Kept text"));
        }
    }
    assert!(app.store().list(true, true).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_published_date_field_keeps_only_a_valid_date_and_sets_the_date() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    let submit = async |date: &str, action: &str| {
        let fields = [
            ("content", "Dated"),
            ("published", "on"),
            ("slug", "dated"),
            ("published_at", date),
            ("action", action),
        ];
        app.owner_post(&owner, "/admin/new", &fields).await
    };
    // Text that is no date is quoted in the message, never put back into
    // the date field (which may only hold a valid date).
    let response = submit("yesterday", "save").await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("&#34;yesterday&#34; is not a date"), "{page}");
    assert!(page.contains(r#"name="published_at" value="""#), "{page}");
    // A valid one is kept by a preview and used by the save.
    let response = submit("2024-02-29T08:05", "preview").await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"value="2024-02-29T08:05""#), "{page}");
    assert_eq!(submit("2024-02-29T08:05", "save").await.status(), 303);
    let page = app.text("/note/dated").await;
    assert!(page.contains(r#"datetime="2024-02-29T08:05:00"#), "{page}");
}

#[tokio::test]
async fn a_taken_slug_is_refused_rather_than_renamed() {
    let app = spawn_app().await;
    app.create("First", true, Some("taken")).await;
    let owner = app.sign_in().await;
    let response = app
        .owner_post(
            &owner,
            "/admin/new",
            &[("content", "Second"), ("slug", "taken"), ("action", "save")],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("already taken"));
}

#[tokio::test]
async fn editing_saves_and_an_edit_of_an_older_version_shows_both() {
    let app = spawn_app().await;
    let note = app.publish("Version one").await;
    let owner = app.sign_in().await;
    let edit_path = format!("/admin/edit/{}", note.id);
    let form = app
        .owner_get(&owner, &edit_path)
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains("Version one"));
    let response = app
        .owner_post(
            &owner,
            &edit_path,
            &[
                ("content", "Version two"),
                ("based_on", &note.content_hash),
                ("published", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert!(
        app.get(&format!("/note/{}", note.slug))
            .await
            .text()
            .await
            .unwrap()
            .contains("Version two")
    );

    // A second tab still holds version one's hash.
    let response = app
        .owner_post(
            &owner,
            &edit_path,
            &[
                ("content", "Tab two text"),
                ("based_on", &note.content_hash),
                ("published", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), 409);
    let page = response.text().await.unwrap();
    assert!(page.contains("changed since you opened it"), "{page}");
    assert!(
        page.contains("Tab two text") && page.contains("Version two"),
        "{page}"
    );
    let body = app
        .store()
        .read_body(&app.store().find(note.slug.as_str()).await.unwrap().unwrap())
        .await
        .unwrap();
    assert_eq!(body.as_str(), "Version two");
}

#[tokio::test]
async fn publish_unpublish_delete_restore_and_remove_for_good() {
    let app = spawn_app().await;
    let note = app.publish("Round trip").await;
    let permalink = format!("/note/{}", note.slug);
    let owner = app.sign_in().await;
    let id = note.id.to_string();

    let r = app
        .owner_post(
            &owner,
            &format!("/admin/publish/{id}"),
            &[("published", "false")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&permalink).await.status(), 404);
    app.owner_post(
        &owner,
        &format!("/admin/publish/{id}"),
        &[("published", "true")],
    )
    .await;
    assert_eq!(app.get(&permalink).await.status(), 200);

    let confirm = app.owner_get(&owner, &format!("/admin/delete/{id}")).await;
    assert_eq!(confirm.status(), 200);
    assert!(confirm.text().await.unwrap().contains("Delete"));
    app.owner_post(&owner, &format!("/admin/delete/{id}"), &[])
        .await;
    assert_eq!(app.get(&permalink).await.status(), 410);
    assert!(
        app.owner_get(&owner, "/admin?show=deleted")
            .await
            .text()
            .await
            .unwrap()
            .contains(note.slug.as_str())
    );

    app.owner_post(&owner, &format!("/admin/restore/{id}"), &[])
        .await;
    assert_eq!(app.get(&permalink).await.status(), 200);

    // Removing for good needs a deleted note first.
    let r = app
        .owner_post(&owner, &format!("/admin/delete/{id}"), &[("hard", "1")])
        .await;
    assert_eq!(r.status(), 400);
    app.owner_post(&owner, &format!("/admin/delete/{id}"), &[])
        .await;
    let r = app
        .owner_post(&owner, &format!("/admin/delete/{id}"), &[("hard", "1")])
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        app.store()
            .find(note.slug.as_str())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        app.owner_get(&owner, &format!("/admin/edit/{id}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.owner_get(&owner, "/admin/edit/nope").await.status(),
        404
    );
}

#[tokio::test]
async fn forms_without_the_right_token_or_from_another_site_change_nothing() {
    let app = spawn_app().await;
    let note = app.publish("Guarded").await;
    let owner = app.sign_in().await;
    let path = format!("/admin/publish/{}", note.id);
    let post = |csrf: Option<&str>, origin: Option<&str>| {
        let mut form = vec![("published", "false")];
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf));
        }
        let mut request = app
            .client
            .post(app.url(&path))
            .header(COOKIE, &owner.cookie)
            .form(&form);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    assert_eq!(
        post(None, None).await.unwrap().status(),
        403,
        "missing token"
    );
    assert_eq!(
        post(Some("0000"), None).await.unwrap().status(),
        403,
        "wrong token"
    );
    let foreign = post(Some(&owner.csrf), Some("https://evil.example"))
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403, "foreign origin");
    assert!(foreign.text().await.unwrap().contains("another site"));
    assert!(
        app.store()
            .find(note.slug.as_str())
            .await
            .unwrap()
            .unwrap()
            .published
    );
    // The site's own origin is fine.
    let own = post(Some(&owner.csrf), Some(&app.address)).await.unwrap();
    assert_eq!(own.status(), 303);
}

#[tokio::test]
async fn admin_pages_are_never_stored_by_caches() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    for path in ["/admin", "/admin/new"] {
        let response = app.owner_get(&owner, path).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "cache-control"), "no-store", "{path}");
        assert!(header(&response, "content-security-policy").contains("frame-ancestors 'none'"));
    }
}
