//! Full-text search in the store: only published notes, whatever the
//! query; hostile queries answered, never an error; the index in step with
//! every writer, checked and rebuilt by `starpunk check`.

use starpunk::domain::NoteEdit;
use starpunk::domain::{NoteBody, SearchQuery, SearchQueryError};
use starpunk::store::Problem;

use crate::helpers::{
    TestApp, eventually, header, run_with_input, select, spawn_app, stderr, stdout,
};

async fn found(app: &TestApp, text: &str) -> Vec<String> {
    let query = SearchQuery::parse(text).unwrap();
    let page = app.store().search(&query, 0, 50).await.unwrap();
    page.notes.iter().map(|n| n.note.slug.to_string()).collect()
}

#[tokio::test]
async fn only_published_notes_are_found() {
    let app = spawn_app().await;
    let public = app
        .create("The zebra crossing at dawn", true, Some("public"))
        .await;
    app.create("A zebra in the drafts", false, Some("draft"))
        .await;
    app.create("A zebra deleted later", true, Some("deleted"))
        .await;
    app.store()
        .change("deleted", NoteEdit::delete())
        .await
        .unwrap();
    assert_eq!(found(&app, "zebra").await, ["public"]);
    assert_eq!(found(&app, "zebra*").await, ["public"]);
    // Whatever the words, drafts and deleted notes never come back.
    for query in ["drafts", "deleted", "zebra drafts", "zeb*", "in", "later"] {
        assert!(
            !found(&app, query).await.iter().any(|s| s != "public"),
            "{query}"
        );
    }
    app.store()
        .change("draft", NoteEdit::publish(true))
        .await
        .unwrap();
    assert_eq!(found(&app, "drafts").await, ["draft"]);
    assert_eq!(public.slug.as_str(), "public");
}

#[tokio::test]
async fn stems_diacritics_and_tags_match_and_the_snippet_marks_the_words() {
    let app = spawn_app().await;
    app.create(
        "Running through the **café** district, with [a link](https://example.com/hidden-word).",
        true,
        Some("run"),
    )
    .await;
    assert_eq!(found(&app, "runs").await, ["run"]);
    assert_eq!(found(&app, "cafe").await, ["run"]);
    // Link targets are not text a reader sees.
    assert!(found(&app, "hidden").await.is_empty());
    let page = app.text("/search?q=cafe").await;
    assert!(page.contains("<mark>café</mark>"), "{page}");
    assert!(!page.contains("**"), "{page}");
}

#[tokio::test]
async fn hostile_queries_are_answered_not_errors() {
    let app = spawn_app().await;
    app.create("Ordinary words about NEAR and OR", true, Some("plain"))
        .await;
    for query in [
        "NEAR(a b)",
        "\"unbalanced",
        "a OR b AND NOT c",
        "col:umn",
        "-minus +plus ^caret",
        "'; DROP TABLE notes; --",
        "<script>alert(1)</script>",
        "* ** ***x",
        "body:near",
    ] {
        let query = SearchQuery::parse(query).unwrap();
        app.store()
            .search(&query, 0, 10)
            .await
            .unwrap_or_else(|e| panic!("{query:?}: {e}"));
    }
    assert_eq!(found(&app, "near or").await, ["plain"]);
    assert_eq!(
        SearchQuery::parse("(((( **"),
        Err(SearchQueryError::NothingToFind)
    );
    assert_eq!(
        SearchQuery::parse(&"word ".repeat(2048)),
        Err(SearchQueryError::TooLong)
    );
    assert!(app.store().find("plain").await.unwrap().is_some());
}

#[tokio::test]
async fn every_writer_keeps_the_index_in_step() {
    let app = spawn_app().await;
    let note = app.create("An aardvark story", true, Some("story")).await;
    app.store()
        .change(
            "story",
            NoteEdit::text(
                NoteBody::parse("A pangolin story").unwrap(),
                note.content_hash.clone(),
            ),
        )
        .await
        .unwrap();
    assert!(found(&app, "aardvark").await.is_empty());
    assert_eq!(found(&app, "pangolin").await, ["story"]);

    // Another process: the CLI.
    let mut edit = app.cli();
    edit.args(["note", "edit", "story", "-"]);
    let edited = tokio::task::spawn_blocking(move || run_with_input(&mut edit, "A quokka story\n"))
        .await
        .unwrap();
    assert!(edited.status.success(), "{}", stderr(&edited));
    assert_eq!(found(&app, "quokka").await, ["story"]);
    assert!(found(&app, "pangolin").await.is_empty());

    app.store().hard_delete("story").await.unwrap();
    assert!(found(&app, "quokka").await.is_empty());
    assert!(app.store().search_index_state().await.unwrap().in_step());
}

#[tokio::test]
async fn check_finds_a_stale_index_and_repair_rebuilds_it() {
    let app = spawn_app().await;
    app.create("Kept in the index", true, Some("kept")).await;
    app.create("Dropped from the index", true, Some("dropped"))
        .await;
    sqlx::query(
        "DELETE FROM notes_search WHERE rowid = (SELECT id FROM notes WHERE slug = 'dropped')",
    )
    .execute(app.store().pool())
    .await
    .unwrap();
    let report = app.store().check().await.unwrap();
    assert!(
        matches!(&report.problems[..], [Problem::SearchIndexStale { stale, orphans: 0 }] if stale == &["dropped"]),
        "{:?}",
        report.problems
    );
    assert_eq!(report.damaged_notes(), 0);

    let mut check = app.cli();
    check.args(["check"]);
    let checked = tokio::task::spawn_blocking(move || check.output().unwrap())
        .await
        .unwrap();
    assert_eq!(checked.status.code(), Some(1));
    assert!(
        stdout(&checked).contains("search index out of step"),
        "{}",
        stdout(&checked)
    );
    let mut repair = app.cli();
    repair.args(["check", "--repair"]);
    let repaired = tokio::task::spawn_blocking(move || repair.output().unwrap())
        .await
        .unwrap();
    assert!(repaired.status.success(), "{}", stderr(&repaired));
    assert!(stdout(&repaired).contains("search index rebuilt (2 notes)"));
    assert_eq!(found(&app, "dropped").await, ["dropped"]);
}

#[tokio::test]
async fn the_server_builds_a_missing_index_when_it_starts() {
    let first = spawn_app().await;
    first
        .create("Written before search existed", true, Some("old"))
        .await;
    sqlx::query("DELETE FROM notes_search")
        .execute(first.store().pool())
        .await
        .unwrap();
    // A server started on that data builds the index in the background.
    let data = first.data_dir.path().display().to_string();
    let second = crate::helpers::TestApp::builder()
        .data_path(&data)
        .spawn()
        .await;
    eventually(std::time::Duration::from_secs(10), || async {
        found(&second, "existed").await == ["old"]
    })
    .await;
}

#[tokio::test]
async fn the_search_page_shows_marked_results_and_never_markup_from_a_query() {
    let app = spawn_app().await;
    app.create(
        "Notes on <em>owls</em> and the owl <b>moon</b>",
        true,
        Some("owls"),
    )
    .await;
    app.create("Owls in a draft", false, Some("owl-draft"))
        .await;

    // The form is on every page.
    let home = app.text("/").await;
    assert!(
        home.contains(r#"<form class="search-form" role="search" method="get" action="/search">"#)
    );

    let page = app.get("/search?q=owl").await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control"), "no-cache");
    // The server's own time, which the benchmark reads: `search;dur=<ms>`.
    let timing = header(&page, "server-timing");
    let spent: f64 = timing
        .strip_prefix("search;dur=")
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("Server-Timing {timing:?}"));
    assert!(spent > 0.0, "{timing}");
    let html = scraper::Html::parse_document(&page.text().await.unwrap());
    let hits = select(&html, ".search-results .h-entry");
    assert_eq!(hits.len(), 1);
    let link = select(&html, ".search-results .u-url");
    assert_eq!(
        link[0].value().attr("href"),
        Some(app.url("/note/owls").as_str())
    );
    let marks: Vec<String> = select(&html, ".search-results mark")
        .iter()
        .map(|m| m.text().collect())
        .collect();
    assert!(
        marks.iter().all(|m| m.to_lowercase().starts_with("owl")),
        "{marks:?}"
    );
    assert!(!marks.is_empty());
    assert!(select(&html, ".search-results b, .search-results em").is_empty());

    let hostile = app
        .get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E+owl")
        .await;
    assert_eq!(hostile.status(), 200);
    let text = hostile.text().await.unwrap();
    assert!(!text.contains("<script"), "{text}");
    assert!(text.contains("&#60;script&#62;") || text.contains("&lt;script&gt;"));

    for (query, status, message) in [
        ("", 200, ""),
        ("%20%20", 200, ""),
        ("%28%28%28", 400, "no letters or digits"),
    ] {
        let response = app.get(&format!("/search?q={query}")).await;
        assert_eq!(response.status(), status, "{query}");
        assert!(response.text().await.unwrap().contains(message), "{query}");
    }
    let long = "word%20".repeat(1000);
    let response = app.get(&format!("/search?q={long}")).await;
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("longer than 200 characters")
    );
    assert_eq!(app.get("/search?q=owl&page=x").await.status(), 400);
    assert!(
        app.text("/search?q=draft")
            .await
            .contains("No published note matches")
    );
}

#[tokio::test]
async fn search_results_are_paginated() {
    let app = spawn_app().await;
    for n in 0..23 {
        app.create(&format!("Lantern number {n}"), true, None).await;
    }
    let links = |page: &str, rel: &str| {
        let html = scraper::Html::parse_document(page);
        select(&html, &format!(r#".pagination a[rel="{rel}"]"#))
            .iter()
            .map(|a| a.value().attr("href").unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    let first = app.text("/search?q=lantern").await;
    assert_eq!(first.matches(r#"<li class="h-entry">"#).count(), 20);
    assert_eq!(links(&first, "next"), ["/search?q=lantern&page=2"]);
    let second = app.text("/search?q=lantern&page=2").await;
    assert_eq!(second.matches(r#"<li class="h-entry">"#).count(), 3);
    assert_eq!(links(&second, "prev"), ["/search?q=lantern"]);
    assert!(links(&second, "next").is_empty());
}

#[tokio::test]
async fn the_newest_matches_are_ranked_and_older_ones_follow_without_overlap() {
    let app = spawn_app().await;
    // Ten matches; the newest four are ranked (window 4). The oldest note
    // is the best match of all (the word three times), yet comes after the
    // window; within the window the better match comes first.
    app.create("walrus walrus walrus", true, Some("w0")).await;
    for n in 1..8 {
        app.create(
            &format!("A walrus story number {n} with many more words around it"),
            true,
            Some(&format!("w{n}")),
        )
        .await;
    }
    app.create("walrus walrus", true, Some("w8")).await;
    app.create(
        "A walrus once more, in yet another long sentence of words",
        true,
        Some("w9"),
    )
    .await;
    let query = SearchQuery::parse("walrus").unwrap();
    let mut seen = Vec::new();
    for page in 0..4 {
        let found = app
            .store()
            .search_ranking_newest(&query, page * 3, 3, 4)
            .await
            .unwrap();
        seen.extend(found.notes.iter().map(|n| n.note.slug.to_string()));
        assert_eq!(found.has_more, page < 3, "page {page}");
    }
    assert_eq!(seen.len(), 10);
    assert_eq!(seen[0], "w8", "{seen:?}");
    let mut window: Vec<&str> = seen[..4].iter().map(String::as_str).collect();
    window.sort();
    assert_eq!(window, ["w6", "w7", "w8", "w9"]);
    assert_eq!(seen[4..], ["w5", "w4", "w3", "w2", "w1", "w0"]);
}
