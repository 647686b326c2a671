//! Tags through every writer: the CLI (`--tag`, `note tag`), import front
//! matter, the admin editor; and how the store keeps them.

use starpunk::domain::NoteEdit;
use std::process::Output;

use starpunk::domain::NewNote;
use starpunk::domain::{NoteBody, Tag};

use crate::helpers::{TestApp, header, run_with_input, select, spawn_app, stderr, stdout};

fn names(note: &starpunk::domain::Note) -> Vec<&str> {
    note.tags.iter().map(Tag::name).collect()
}

async fn tagged(app: &TestApp, text: &str, published: bool, tags: &[&str]) -> String {
    let note = app
        .store()
        .create(NewNote {
            published,
            tags: Tag::parse_list(tags).unwrap(),
            ..NewNote::new(NoteBody::parse(text).unwrap())
        })
        .await
        .unwrap();
    note.slug.to_string()
}

/// Runs the CLI off the async threads (the server shares this runtime).
async fn cli(app: &TestApp, args: &[&str], input: &str) -> Output {
    let mut command = app.cli();
    command.args(args);
    let input = input.to_owned();
    tokio::task::spawn_blocking(move || run_with_input(&mut command, &input))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_cli_sets_adds_and_removes_tags() {
    let app = spawn_app().await;
    let made = cli(
        &app,
        &[
            "note",
            "new",
            "--slug",
            "tagged",
            "--tag",
            "Rust",
            "--tag",
            " #Web  Dev ",
        ],
        "Tagged note\n",
    )
    .await;
    assert!(made.status.success(), "{}", stderr(&made));
    let note = app.store().find("tagged").await.unwrap().unwrap();
    assert_eq!(names(&note), ["Rust", "Web Dev"]);

    let added = cli(&app, &["note", "tag", "tagged", "add", "Café"], "").await;
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stderr(&added).contains("Rust, Web Dev, Café"),
        "{}",
        stderr(&added)
    );
    // Any spelling of a tag names it.
    let removed = cli(&app, &["note", "tag", "tagged", "remove", "RUST"], "").await;
    assert!(removed.status.success(), "{}", stderr(&removed));
    let note = app.store().find("tagged").await.unwrap().unwrap();
    assert_eq!(names(&note), ["Web Dev", "Café"]);

    let shown = cli(&app, &["note", "show", "tagged", "--json"], "").await;
    let json: serde_json::Value = serde_json::from_str(&stdout(&shown)).unwrap();
    assert_eq!(json["tags"], serde_json::json!(["Web Dev", "Café"]));

    let edited = cli(
        &app,
        &["note", "edit", "tagged", "-", "--tag", "only"],
        "New text\n",
    )
    .await;
    assert!(edited.status.success(), "{}", stderr(&edited));
    let note = app.store().find("tagged").await.unwrap().unwrap();
    assert_eq!(names(&note), ["only"]);

    let bad = cli(&app, &["note", "new", "--tag", "!!!"], "Text\n").await;
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("no letters or digits"),
        "{}",
        stderr(&bad)
    );
    assert_eq!(app.store().list(true, true).await.unwrap().len(), 1);
}

#[tokio::test]
async fn import_reads_tags_from_front_matter() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.md"),
        "---\nslug: listed\ntags: [Rust, \"web dev\"]\n---\nA listed note\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.md"),
        "---\nslug: commas\ntags: one, two , three\n---\nComma tags\n",
    )
    .unwrap();
    let imported = cli(
        &app,
        &["note", "import", &dir.path().display().to_string()],
        "",
    )
    .await;
    assert!(imported.status.success(), "{}", stderr(&imported));
    let listed = app.store().find("listed").await.unwrap().unwrap();
    assert_eq!(names(&listed), ["Rust", "web dev"]);
    let commas = app.store().find("commas").await.unwrap().unwrap();
    assert_eq!(names(&commas), ["one", "two", "three"]);

    std::fs::write(dir.path().join("c.md"), "---\ntags: [\"???\"]\n---\nBad\n").unwrap();
    let refused = cli(
        &app,
        &["note", "import", &dir.path().display().to_string()],
        "",
    )
    .await;
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("tags:"), "{}", stderr(&refused));
}

#[tokio::test]
async fn a_tag_keeps_its_first_name_and_goes_when_no_note_has_it() {
    let app = spawn_app().await;
    let first = tagged(&app, "First", true, &["Rust Lang"]).await;
    let second = tagged(&app, "Second", true, &["rust-lang", "Solo"]).await;
    let second_note = app.store().find(&second).await.unwrap().unwrap();
    // Same URL form: the same tag, shown with the name it was first given.
    assert_eq!(second_note.tags[0].key(), "rust-lang");
    let counts = app.store().tag_counts().await.unwrap();
    let shown: Vec<(&str, i64)> = counts.iter().map(|c| (c.tag.name(), c.notes)).collect();
    assert_eq!(shown, [("Rust Lang", 2), ("Solo", 1)]);

    app.store().hard_delete(&second).await.unwrap();
    let tags: Vec<String> = sqlx::query_scalar("SELECT key FROM tags ORDER BY key")
        .fetch_all(app.store().pool())
        .await
        .unwrap();
    assert_eq!(tags, ["rust-lang"]);
    assert!(app.store().find_public_tag("solo").await.unwrap().is_none());
    assert!(app.store().find(&first).await.unwrap().is_some());
}

#[tokio::test]
async fn tags_of_drafts_and_deleted_notes_stay_private() {
    let app = spawn_app().await;
    tagged(&app, "A draft", false, &["Secret Plans"]).await;
    let gone = tagged(&app, "Deleted later", true, &["Old News"]).await;
    app.store().change(&gone, NoteEdit::delete()).await.unwrap();
    assert!(app.store().tag_counts().await.unwrap().is_empty());
    assert!(
        app.store()
            .find_public_tag("secret-plans")
            .await
            .unwrap()
            .is_none()
    );
    let page = app.store().tag_page("old-news", 0, 20).await.unwrap();
    assert!(page.notes.is_empty());
}

#[tokio::test]
async fn setting_tags_is_a_change_unless_they_are_the_same() {
    let app = spawn_app().await;
    let slug = tagged(&app, "Note", true, &["a"]).await;
    let before = app.store().site_state().await.unwrap().version.revision;
    let same = Tag::parse_list(&["a"]).unwrap();
    app.store()
        .change(&slug, NoteEdit::tags(same.clone()))
        .await
        .unwrap();
    assert_eq!(
        app.store().site_state().await.unwrap().version.revision,
        before
    );
    let other = Tag::parse_list(&["b", "a"]).unwrap();
    let note = app
        .store()
        .change(&slug, NoteEdit::tags(other.clone()))
        .await
        .unwrap();
    assert_eq!(names(&note), ["b", "a"]);
    assert!(app.store().site_state().await.unwrap().version.revision > before);
}

#[tokio::test]
async fn the_editor_takes_tags_separated_by_commas() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    let response = app
        .owner_post(
            &owner,
            "/admin/new",
            &[
                ("content", "From the editor"),
                ("slug", "edited"),
                ("tags", "Rust, web dev, , rust"),
                ("published", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let note = app.store().find("edited").await.unwrap().unwrap();
    assert_eq!(names(&note), ["Rust", "web dev"]);

    // The edit form shows them; a bad one is explained next to the field.
    let page = app
        .owner_get(&owner, &format!("/admin/edit/{}", note.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"value="Rust, web dev""#), "{page}");
    let response = app
        .owner_post(
            &owner,
            &format!("/admin/edit/{}", note.id),
            &[
                ("content", "From the editor"),
                ("based_on", &note.content_hash),
                ("tags", "fine, ###"),
                ("published", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("tags-error"));
    let unchanged = app.store().find("edited").await.unwrap().unwrap();
    assert_eq!(names(&unchanged), ["Rust", "web dev"]);
}

#[tokio::test]
async fn tag_pages_list_the_published_notes_of_one_tag() {
    let app = spawn_app().await;
    for n in 0..21 {
        tagged(&app, &format!("Garden note {n}"), true, &["Gardening"]).await;
    }
    tagged(&app, "Garden draft", false, &["Gardening"]).await;
    tagged(&app, "Other topic", true, &["Cooking"]).await;
    app.changed().await;

    let first = app.get("/tag/gardening").await;
    assert_eq!(first.status(), 200);
    let html = scraper::Html::parse_document(&first.text().await.unwrap());
    assert_eq!(select(&html, ".h-feed .h-entry").len(), 20);
    assert!(
        select(&html, "h1")[0]
            .text()
            .collect::<String>()
            .contains("Gardening")
    );
    let page_text = html.root_element().text().collect::<String>();
    assert!(!page_text.contains("Garden draft") && !page_text.contains("Other topic"));
    let older = select(&html, r#"a[rel="next"]"#);
    assert_eq!(older[0].value().attr("href"), Some("/tag/gardening?page=2"));
    let second = app.text("/tag/gardening?page=2").await;
    assert_eq!(second.matches(r#"class="h-entry""#).count(), 1);
    assert_eq!(app.get("/tag/gardening?page=3").await.status(), 404);

    // Every note's tags are p-category links to their tag page.
    let category = select(&html, ".h-entry .p-category");
    assert_eq!(
        category[0].value().attr("href"),
        Some(app.url("/tag/gardening").as_str())
    );

    // Other spellings lead to the tag's address; unknown tags are not found.
    let moved = app.get("/tag/GARDENING?page=2").await;
    assert_eq!(moved.status(), 301);
    assert_eq!(header(&moved, "location"), app.url("/tag/gardening?page=2"));
    assert_eq!(app.get("/tag/no-such-tag").await.status(), 404);
    assert_eq!(app.get("/tag/%21%21").await.status(), 404);

    let tags = app.text("/tags").await;
    assert!(
        tags.contains("Gardening</a> <span class=\"count\">(21 notes)"),
        "{tags}"
    );
    assert!(
        tags.contains("Cooking</a> <span class=\"count\">(1 note)"),
        "{tags}"
    );
}

#[tokio::test]
async fn tag_pages_follow_every_change_at_once() {
    let app = spawn_app().await;
    let slug = tagged(&app, "Seen first", true, &["News"]).await;
    app.changed().await;
    let before = app.get("/tag/news").await;
    let etag = header(&before, "etag");
    assert!(before.text().await.unwrap().contains("Seen first"));
    let again = app.get_with("/tag/news", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);

    app.store()
        .change(&slug, NoteEdit::tags(Vec::new()))
        .await
        .unwrap();
    app.changed().await;
    assert_eq!(app.get("/tag/news").await.status(), 404);
    assert!(!app.text("/tags").await.contains("News"));
}

#[tokio::test]
async fn each_tag_has_its_own_feeds_in_three_formats() {
    let app = spawn_app().await;
    tagged(&app, "First rust note", true, &["Rust"]).await;
    tagged(&app, "Second rust note", true, &["Rust", "Other"]).await;
    tagged(&app, "A rust draft", false, &["Rust"]).await;
    tagged(&app, "Not about rust", true, &["Other"]).await;
    app.changed().await;

    for (ext, content_type) in [
        ("xml", "application/rss+xml; charset=utf-8"),
        ("atom", "application/atom+xml; charset=utf-8"),
        ("json", "application/feed+json; charset=utf-8"),
    ] {
        let response = app.get(&format!("/tag/rust/feed.{ext}")).await;
        assert_eq!(response.status(), 200, "{ext}");
        assert_eq!(header(&response, "content-type"), content_type);
        let etag = header(&response, "etag");
        let body = response.bytes().await.unwrap();
        let feed = feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{ext}: {e}"));
        let titles: Vec<String> = feed
            .entries
            .iter()
            .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
            .collect();
        assert_eq!(titles, ["Second rust note", "First rust note"], "{ext}");
        assert!(feed.title.unwrap().content.ends_with(": Rust"), "{ext}");
        let again = app
            .get_with(
                &format!("/tag/rust/feed.{ext}"),
                &[("if-none-match", &etag)],
            )
            .await;
        assert_eq!(again.status(), 304, "{ext}");
    }
    assert_eq!(app.get("/tag/rust/feed.rss").await.status(), 404);
    assert_eq!(app.get("/tag/nothing/feed.xml").await.status(), 404);
    assert_eq!(app.get("/tag/Rust/feed.xml").await.status(), 404);

    // The tag page advertises them; the sitemap lists the tag pages.
    let page = app.text("/tag/rust").await;
    assert!(
        page.contains(&format!(
            r#"<link rel="alternate" type="application/atom+xml" title="Test Site: Rust (Atom)" href="{}">"#,
            app.url("/tag/rust/feed.atom")
        )),
        "{page}"
    );
    let sitemap = app.text("/sitemap.xml").await;
    assert!(
        sitemap.contains(&format!("<loc>{}</loc>", app.url("/tag/rust"))),
        "{sitemap}"
    );
    assert!(
        sitemap.contains(&format!("<loc>{}</loc>", app.url("/tags"))),
        "{sitemap}"
    );
}

#[tokio::test]
async fn tag_feeds_name_no_websub_hub_since_only_the_site_feeds_are_pinged() {
    let app = crate::helpers::TestApp::builder()
        .websub_hub("http://127.0.0.1:9/hub")
        .spawn()
        .await;
    tagged(&app, "Hub note", true, &["Hubbed"]).await;
    app.changed().await;
    assert!(app.text("/feed.atom").await.contains("127.0.0.1:9/hub"));
    for ext in ["xml", "atom", "json"] {
        let feed = app.text(&format!("/tag/hubbed/feed.{ext}")).await;
        assert!(!feed.contains("127.0.0.1:9/hub"), "{ext}: {feed}");
    }
}
