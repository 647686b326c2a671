use scraper::Html;

use crate::helpers::{TestApp, header, select, spawn_app};
use starpunk::domain::NoteEdit;

#[tokio::test]
async fn an_empty_site_shows_a_friendly_page() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(select(&html, ".h-entry").len(), 0);
    assert!(
        select(&html, ".empty h2")[0]
            .text()
            .collect::<String>()
            .contains("Nothing here yet")
    );
}

#[tokio::test]
async fn the_home_page_is_an_h_feed_of_published_notes_newest_first() {
    let app = spawn_app().await;
    let first = app.publish("First note, the *oldest*").await;
    app.draft("A secret draft").await;
    let second = app.publish("Second note").await;
    let deleted = app.publish("Deleted note").await;
    app.store()
        .change(deleted.slug.as_str(), NoteEdit::delete())
        .await
        .unwrap();
    app.changed().await;

    let html = Html::parse_document(&app.text("/").await);
    let feed = select(&html, ".h-feed");
    assert_eq!(feed.len(), 1);
    let entries = select(&html, ".h-feed .h-entry");
    assert_eq!(entries.len(), 2, "drafts and deleted notes are not listed");
    let urls: Vec<_> = select(&html, ".h-entry .u-url")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(
        urls,
        vec![
            app.url(&format!("/note/{}", second.slug)),
            app.url(&format!("/note/{}", first.slug))
        ]
    );
    for entry in &entries {
        let entry_html = Html::parse_fragment(&entry.html());
        let published = select(&entry_html, ".dt-published");
        assert!(
            chrono::DateTime::parse_from_rfc3339(published[0].value().attr("datetime").unwrap())
                .is_ok()
        );
        assert_eq!(select(&entry_html, ".e-content").len(), 1);
        let author = select(&entry_html, ".p-author.h-card");
        assert_eq!(author[0].value().attr("href"), Some("https://ada.example/"));
        assert_eq!(author[0].text().collect::<String>(), "Ada Author");
    }
    assert!(
        select(&html, ".e-content em")
            .iter()
            .any(|e| e.text().collect::<String>() == "oldest")
    );
}

#[tokio::test]
async fn pages_link_older_and_newer_notes() {
    let app = spawn_app().await;
    for i in 1..=45 {
        app.store()
            .create(starpunk::domain::NewNote {
                published_at: Some(chrono::Utc::now() - chrono::Duration::minutes(100 - i)),
                ..starpunk::domain::NewNote::new(
                    starpunk::domain::NoteBody::parse(format!("Note number {i}")).unwrap(),
                )
            })
            .await
            .unwrap();
    }
    app.changed().await;

    let page1 = Html::parse_document(&app.text("/").await);
    assert_eq!(select(&page1, ".h-entry").len(), 20);
    assert!(
        select(&page1, ".h-entry")[0]
            .text()
            .collect::<String>()
            .contains("Note number 45")
    );
    assert_eq!(
        select(&page1, "a[rel=next]")[0].value().attr("href"),
        Some("/?page=2")
    );
    assert_eq!(
        select(&page1, "link[rel=next]")[0].value().attr("href"),
        Some("/?page=2")
    );
    assert!(select(&page1, "a[rel=prev]").is_empty());

    let page2 = Html::parse_document(&app.text("/?page=2").await);
    assert_eq!(select(&page2, ".h-entry").len(), 20);
    assert_eq!(
        select(&page2, "a[rel=prev]")[0].value().attr("href"),
        Some("/")
    );
    assert_eq!(
        select(&page2, "a[rel=next]")[0].value().attr("href"),
        Some("/?page=3")
    );

    let page3 = Html::parse_document(&app.text("/?page=3").await);
    assert_eq!(select(&page3, ".h-entry").len(), 5);
    assert!(
        select(&page3, ".h-entry")[4]
            .text()
            .collect::<String>()
            .contains("Note number 1")
    );
    assert!(select(&page3, "a[rel=next]").is_empty());

    assert_eq!(app.get("/?page=4").await.status(), 404);
    for bad in ["0", "abc", "-1", "1.5"] {
        let response = app.get(&format!("/?page={bad}")).await;
        assert_eq!(response.status(), 400, "page={bad}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("is not a page number")
        );
    }
}

#[tokio::test]
async fn a_note_has_its_own_page() {
    let app = spawn_app().await;
    let note = app.publish("# My *Title*\n\nThe body of the note.").await;
    let path = format!("/note/{}", note.slug);
    let html = Html::parse_document(&app.text(&path).await);
    let title = select(&html, "title")[0].text().collect::<String>();
    assert_eq!(title, "My Title · Test Site");
    let entries = select(&html, ".h-entry");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        select(&html, ".h-entry .u-url")[0].value().attr("href"),
        Some(app.url(&path).as_str())
    );
    assert_eq!(
        select(&html, "link[rel=canonical]")[0].value().attr("href"),
        Some(app.url(&path).as_str())
    );
    assert!(
        select(&html, ".e-content")[0]
            .text()
            .collect::<String>()
            .contains("The body of the note.")
    );
    assert_eq!(select(&html, ".h-entry .p-author.h-card").len(), 1);
}

#[tokio::test]
async fn drafts_and_unknown_notes_are_html_404s_and_deleted_ones_410s() {
    let app = spawn_app().await;
    let draft = app.draft("Not yet").await;
    let gone = app.publish("Gone soon").await;
    app.store()
        .change(gone.slug.as_str(), NoteEdit::delete())
        .await
        .unwrap();
    app.changed().await;
    for (path, status) in [
        (format!("/note/{}", draft.slug), 404),
        (format!("/note/{}", gone.slug), 410),
        ("/note/never-existed".to_owned(), 404),
        ("/no/such/page".to_owned(), 404),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        let html = Html::parse_document(&response.text().await.unwrap());
        assert_eq!(
            select(&html, "h1")[0].text().collect::<String>(),
            if status == 410 {
                "Deleted"
            } else {
                "Page not found"
            }
        );
        assert_eq!(
            select(&html, "link[rel=stylesheet]").len(),
            1,
            "error pages use the site's layout"
        );
    }
}

#[tokio::test]
async fn unpublished_and_edited_notes_change_at_once() {
    let app = spawn_app().await;
    let note = app.publish("Original text").await;
    let path = format!("/note/{}", note.slug);
    assert!(app.text(&path).await.contains("Original text"));
    app.store()
        .change(
            note.slug.as_str(),
            NoteEdit::text(
                starpunk::domain::NoteBody::parse("Edited text").unwrap(),
                note.content_hash.clone(),
            ),
        )
        .await
        .unwrap();
    app.changed().await;
    assert!(app.text(&path).await.contains("Edited text"));
    app.store()
        .change(note.slug.as_str(), NoteEdit::publish(false))
        .await
        .unwrap();
    app.changed().await;
    assert_eq!(app.get(&path).await.status(), 404);
}

#[tokio::test]
async fn note_content_is_sanitised() {
    let app = spawn_app().await;
    let note = app
        .publish(
            "Hi <script>alert('x')</script>\n\n<img src=x onerror=\"alert(1)\">\n\n\
             [click](javascript:alert(1)) <a href=\"javascript:alert(2)\">two</a>\n\n\
             <div onclick=\"steal()\" style=\"x\">div</div> <iframe src=\"https://evil.example\"></iframe>\n\n\
             <svg onload=alert(1)></svg> <a href=\"https://fine.example/\">fine</a>",
        )
        .await;
    for path in [
        "/".to_owned(),
        format!("/note/{}", note.slug),
        "/feed.xml".to_owned(),
    ] {
        let body = app.text(&path).await.to_lowercase();
        for bad in [
            "<script",
            "onerror",
            "onclick",
            "onload",
            "javascript:",
            "<iframe",
            "<svg",
        ] {
            assert!(!body.contains(bad), "{path} contains {bad}");
        }
        assert!(body.contains("https://fine.example/"));
    }
}

#[tokio::test]
async fn every_page_has_feed_autodiscovery_stylesheet_and_security_headers() {
    let app = spawn_app().await;
    let note = app.publish("Hello").await;
    for path in [
        "/".to_owned(),
        format!("/note/{}", note.slug),
        "/missing".to_owned(),
    ] {
        let response = app.get(&path).await;
        let csp = header(&response, "content-security-policy");
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert_eq!(
            header(&response, "referrer-policy"),
            "strict-origin-when-cross-origin"
        );
        assert_eq!(header(&response, "x-frame-options"), "DENY");
        let html = Html::parse_document(&response.text().await.unwrap());
        let alternate = select(&html, "link[rel=alternate][type='application/rss+xml']");
        assert_eq!(
            alternate[0].value().attr("href"),
            Some(app.url("/feed.xml").as_str())
        );
        let css = select(&html, "link[rel=stylesheet]")[0]
            .value()
            .attr("href")
            .unwrap()
            .to_owned();
        assert!(css.starts_with("/static/style.css?v="));
        let stylesheet = app.get(&css).await;
        assert_eq!(stylesheet.status(), 200);
        assert_eq!(
            header(&stylesheet, "content-type"),
            "text/css; charset=utf-8"
        );
        assert_eq!(
            header(&stylesheet, "cache-control"),
            "public, max-age=31536000, immutable"
        );
    }
}

#[tokio::test]
async fn every_route_answers_head_without_a_body() {
    let app = spawn_app().await;
    let note = app.publish("Head me").await;
    for path in [
        "/".to_owned(),
        format!("/note/{}", note.slug),
        "/feed.xml".to_owned(),
        "/health".to_owned(),
        "/static/style.css".to_owned(),
    ] {
        let get = app.get(&path).await;
        let get_type = header(&get, "content-type");
        let get_length = get.bytes().await.unwrap().len();
        let head = app.head(&path).await;
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!(header(&head, "content-type"), get_type);
        assert_eq!(
            header(&head, "content-length"),
            get_length.to_string(),
            "HEAD {path}"
        );
        assert!(head.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn other_methods_get_405_with_allow() {
    let app = spawn_app().await;
    for path in ["/", "/feed.xml", "/health", "/note/x"] {
        let response = app
            .client
            .post(app.url(path))
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "POST {path}");
        assert_eq!(header(&response, "allow"), "GET, HEAD");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
    }
}

#[tokio::test]
async fn forms_and_pages_with_forms_name_the_methods_they_take() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (reqwest::Method::GET, "/auth/logout", "POST"),
        (reqwest::Method::PUT, "/admin/publish/1", "POST"),
        (reqwest::Method::DELETE, "/admin/edit/1", "GET, HEAD, POST"),
        (reqwest::Method::PUT, "/auth/login", "GET, HEAD, POST"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(header(&response, "allow"), allow, "{method} {path}");
        let page = response.text().await.unwrap();
        assert!(page.contains("POST"), "{method} {path}: {page}");
    }
}

#[tokio::test]
async fn urls_follow_site_url_without_double_slashes() {
    let app = TestApp::builder()
        .site_url("https://example.com//blog//")
        .spawn()
        .await;
    let note = app.publish("Under a path").await;
    let home = app.text("/").await;
    assert!(home.contains(&format!("https://example.com/blog/note/{}", note.slug)));
    assert!(home.contains("href=\"/blog/static/style.css?v="));
    let feed = app.text("/feed.xml").await;
    assert!(feed.contains("https://example.com/blog/feed.xml"));
    for body in [home, feed] {
        assert!(
            !body
                .replace("https://", "")
                .replace("http://", "")
                .contains("//"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn note_pages_keep_relative_urls_as_written() {
    let app = TestApp::builder()
        .site_url("https://example.com/blog/")
        .spawn()
        .await;
    let note = app
        .publish("[x](/note/other) [y](other) ![pic](/static/a.png)")
        .await;
    for path in ["/".to_owned(), format!("/note/{}", note.slug)] {
        let page = Html::parse_document(&app.text(&path).await);
        let urls: Vec<_> = select(&page, ".e-content [href], .e-content [src]")
            .iter()
            .filter_map(|e| e.attr("href").or(e.attr("src")))
            .collect();
        assert_eq!(urls, ["/note/other", "other", "/static/a.png"], "{path}");
    }
}

#[tokio::test]
async fn slugs_and_titles_come_from_the_text_not_the_markup() {
    let app = spawn_app().await;
    let link = app.publish("[my post](https://e.com/x)").await;
    assert_eq!(link.slug.as_str(), "my-post");
    let html = app.publish("<b>Hi</b> <i>there</i>").await;
    assert_eq!(html.slug.as_str(), "hi-there");
    let page = Html::parse_document(&app.text("/note/my-post").await);
    let title = select(&page, "title")[0].text().collect::<String>();
    assert!(title.starts_with("my post"), "{title}");
}
