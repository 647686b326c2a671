//! Notes that reply to, like, repost or bookmark another page: made by
//! Micropub (forms and JSON) and the editor, marked up on their pages with
//! an `h-cite` of the page (its title and author once read), said in the
//! feeds, and read back by `q=source`.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, LOCATION};
use scraper::Html;
use serde_json::{Value, json};

use crate::fake_site::{FakeSite, Page};
use crate::helpers::{TestApp, eventually, select};
use crate::media_support::media_token;
use crate::webmention::app;

async fn post_form(app: &TestApp, token: &str, fields: &[(&str, &str)]) -> String {
    let response = app
        .client
        .post(app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .form(fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{fields:?}");
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn post_json(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn source(app: &TestApp, token: &str, url: &str) -> Value {
    app.client
        .get(app.url("/micropub"))
        .query(&[("q", "source"), ("url", url)])
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn page_at(app: &TestApp, url: &str) -> Html {
    app.changed().await;
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    Html::parse_document(&response.text().await.unwrap())
}

#[tokio::test]
async fn micropub_makes_likes_and_replies_and_q_source_reads_them_back() {
    let app = TestApp::builder().spawn().await;
    let token = media_token(&app, "create").await;
    let liked = "https://elsewhere.example/posts/9";
    let like = post_form(&app, &token, &[("h", "entry"), ("like-of", liked)]).await;
    let props = &source(&app, &token, &like).await["properties"];
    assert_eq!(props["like-of"], json!([liked]));
    assert!(
        props.get("content").is_none(),
        "a like has no text: {props}"
    );
    let html = page_at(&app, &like).await;
    let cite = select(&html, ".h-entry .u-like-of.h-cite .u-url");
    assert_eq!(cite[0].value().attr("href"), Some(liked));
    assert!(select(&html, ".h-entry .e-content").is_empty());

    let reply = post_json(
        &app,
        &token,
        json!({"type": ["h-entry"], "properties": {
            "content": ["Well said."],
            "in-reply-to": [{"type": ["h-cite"], "properties": {"url": [liked]}}],
        }}),
    )
    .await;
    assert_eq!(reply.status(), 201);
    let reply = reply.headers()[LOCATION].to_str().unwrap().to_owned();
    let html = page_at(&app, &reply).await;
    assert_eq!(select(&html, ".h-entry .u-in-reply-to.h-cite").len(), 1);
    assert!(
        select(&html, ".e-content")[0]
            .text()
            .collect::<String>()
            .contains("Well said.")
    );
    for (property, kind) in [
        ("repost-of", "u-repost-of"),
        ("bookmark-of", "u-bookmark-of"),
    ] {
        let url = post_form(&app, &token, &[(property, liked), ("content", "Worth it")]).await;
        assert_eq!(
            select(&page_at(&app, &url).await, &format!(".{kind}")).len(),
            1
        );
    }

    let refused = post_json(
        &app,
        &token,
        json!({"type": ["h-entry"], "properties": {"like-of": ["javascript:alert(1)"]}}),
    )
    .await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("like-of"));

    let rss = app.text("/feed.xml").await;
    assert!(
        rss.contains(&format!("<p>Liked <a href=\"{liked}\"")),
        "{rss}"
    );
    let json_feed: Value = app.get("/feed.json").await.json().await.unwrap();
    let items = json_feed["items"].as_array().unwrap();
    assert!(items.iter().any(|item| {
        item["content_html"]
            .as_str()
            .is_some_and(|html| html.starts_with(&format!("<p>In reply to <a href=\"{liked}\">")))
    }));
}

#[tokio::test]
async fn the_page_cites_the_answered_page_s_title_and_author_once_it_is_read() {
    let app = app(true).await;
    let site = FakeSite::start(18).await;
    site.page(
        "/post",
        Page::html(
            r#"<title>Site | A Post</title><article class="h-entry"><h1 class="p-name">A Fine Post</h1>
               <a class="p-author h-card" href="/about">Cara Writer</a><div class="e-content">Text</div></article>"#,
        )
        .header("Link", "</endpoint>; rel=webmention"),
    );
    site.page("/endpoint", Page::endpoint(202));
    let token = media_token(&app, "create").await;
    let url = post_form(
        &app,
        &token,
        &[("in-reply-to", &site.url("/post")), ("content", "Agreed!")],
    )
    .await;
    eventually(Duration::from_secs(15), || async {
        site.posts("/endpoint").len() == 1
    })
    .await;
    let html = page_at(&app, &url).await;
    let cite = select(&html, ".u-in-reply-to.h-cite")[0];
    let text: String = cite.text().collect();
    assert_eq!(text, "A Fine Post by Cara Writer");
    let author = select(&html, ".u-in-reply-to .p-author.h-card")[0];
    assert_eq!(
        author.value().attr("href"),
        Some(site.url("/about").as_str())
    );
    assert_eq!(
        site.gets("/post"),
        1,
        "read once, for the Webmention and the cite"
    );
}

#[tokio::test]
async fn the_editor_offers_a_kind_and_the_page_it_answers() {
    let app = TestApp::builder().spawn().await;
    let signed = app.sign_in().await;
    let form = app
        .owner_get(&signed, "/admin/new")
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains(r#"<option value="like">"#), "{form}");

    let bad = app
        .owner_post(
            &signed,
            "/admin/new",
            &[
                ("kind", "like"),
                ("kind_url", "not a page"),
                ("content", ""),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("is not the address of a web page")
    );

    let saved = app
        .owner_post(
            &signed,
            "/admin/new",
            &[
                ("kind", "bookmark"),
                ("kind_url", "https://read.example/later"),
                ("content", ""),
                ("published", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let note = app.store().list(false, false).await.unwrap().remove(0);
    let context = note.properties.context().unwrap();
    assert_eq!(context.url, "https://read.example/later");
    let edit = app
        .owner_get(&signed, &format!("/admin/edit/{}", note.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        edit.contains(r#"<option value="bookmark" selected>"#),
        "{edit}"
    );
    assert!(edit.contains(r#"value="https://read.example/later""#));

    // Turned into a plain note with text: the bookmark goes.
    let body = app.store().read_body(&note).await.unwrap();
    let saved = app
        .owner_post(
            &signed,
            &format!("/admin/edit/{}", note.id),
            &[
                ("kind", ""),
                ("kind_url", ""),
                ("content", "Just a note now"),
                ("published", "on"),
                ("based_on", &note.content_hash),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303, "{body:?}");
    let note = app.store().find_by_id(note.id).await.unwrap().unwrap();
    assert_eq!(note.properties.context(), None);
}

#[tokio::test]
async fn the_dashboard_says_what_each_note_answers() {
    let app = TestApp::builder().spawn().await;
    let signed = app.sign_in().await;
    app.publish("A plain note").await;
    let saved = app
        .owner_post(
            &signed,
            "/admin/new",
            &[
                ("kind", "reply"),
                ("kind_url", "https://talk.example/thread"),
                ("content", "I agree"),
                ("published", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let dashboard = app.owner_get(&signed, "/admin").await.text().await.unwrap();
    let dashboard = Html::parse_document(&dashboard);
    let rows: Vec<(Vec<String>, String)> = select(&dashboard, ".note-row")
        .into_iter()
        .map(|row| {
            let badges = row
                .select(&scraper::Selector::parse(".note-row-title .status").unwrap())
                .map(|b| b.text().collect())
                .collect();
            (badges, row.text().collect())
        })
        .collect();
    let reply = rows
        .iter()
        .find(|(_, text)| text.contains("I agree"))
        .unwrap();
    assert_eq!(reply.0, ["published", "reply"]);
    assert!(
        reply.1.contains("In reply to https://talk.example/thread"),
        "{}",
        reply.1
    );
    let plain = rows
        .iter()
        .find(|(_, text)| text.contains("A plain note"))
        .unwrap();
    assert_eq!(plain.0, ["published"], "a plain note has no kind");
}
