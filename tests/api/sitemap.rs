//! `/sitemap.xml` (one file, or an index of parts past the limit) and
//! `/robots.txt`.

use starpunk::domain::NoteEdit;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use starpunk::domain::Tag;

use crate::helpers::{TestApp, header, spawn_app};

/// `(loc, lastmod)` of every `<url>` or `<sitemap>` in a sitemap file.
fn entries(xml: &str, element: &str) -> Vec<(String, DateTime<Utc>)> {
    let open = format!("<{element}>");
    xml.split(&open)
        .skip(1)
        .map(|entry| {
            let loc = between(entry, "<loc>", "</loc>").replace("&amp;", "&");
            let lastmod = between(entry, "<lastmod>", "</lastmod>");
            let lastmod = DateTime::parse_from_rfc3339(&lastmod)
                .unwrap_or_else(|e| panic!("lastmod {lastmod:?}: {e}"))
                .with_timezone(&Utc);
            (loc, lastmod)
        })
        .collect()
}

fn between(text: &str, start: &str, end: &str) -> String {
    text.split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(inside, _)| inside.to_owned())
        .unwrap_or_else(|| panic!("no {start} in {text:?}"))
}

async fn sitemap_text(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        header(&response, "content-type"),
        "application/xml; charset=utf-8"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_sitemap_lists_the_home_page_and_every_published_note() {
    let app = spawn_app().await;
    let first = app.publish("First note").await;
    let second = app.publish("Second note").await;
    app.draft("A draft").await;
    let deleted = app.publish("Deleted note").await;
    app.store()
        .change(deleted.slug.as_str(), NoteEdit::delete())
        .await
        .unwrap();
    app.changed().await;

    let xml = sitemap_text(&app, "/sitemap.xml").await;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(xml.contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    let urls = entries(&xml, "url");
    let locs: Vec<&str> = urls.iter().map(|(loc, _)| loc.as_str()).collect();
    let note = |slug: &str| app.url(&format!("/note/{slug}"));
    assert_eq!(
        locs,
        vec![
            app.url("/"),
            note(first.slug.as_str()),
            note(second.slug.as_str())
        ]
    );
    // The second note's own last change, in whole seconds.
    let current = app
        .store()
        .find(second.slug.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(urls[2].1.timestamp(), current.updated_at.timestamp());
    assert!(urls[0].1 >= urls[2].1 - chrono::Duration::seconds(1));
}

#[tokio::test]
async fn past_the_limit_the_sitemap_is_an_index_of_parts() {
    let app = TestApp::builder()
        .configure(|settings| settings.sitemap_max_urls = 2)
        .spawn()
        .await;
    let mut notes = Vec::new();
    for i in 0..4 {
        notes.push(app.publish(&format!("Note number {i}")).await);
    }
    let index = sitemap_text(&app, "/sitemap.xml").await;
    assert!(index.contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    let parts = entries(&index, "sitemap");
    let part_urls: Vec<&str> = parts.iter().map(|(loc, _)| loc.as_str()).collect();
    assert_eq!(
        part_urls,
        vec![
            app.url("/sitemap-1.xml"),
            app.url("/sitemap-2.xml"),
            app.url("/sitemap-3.xml")
        ],
        "5 URLs, 2 a file"
    );

    let mut listed = Vec::new();
    for (number, (_, lastmod)) in parts.iter().enumerate() {
        let part = sitemap_text(&app, &format!("/sitemap-{}.xml", number + 1)).await;
        let urls = entries(&part, "url");
        assert!(urls.len() <= 2);
        let newest = urls.iter().map(|(_, m)| *m).max().unwrap();
        assert_eq!(*lastmod, newest, "a part is as new as its newest URL");
        listed.extend(urls.into_iter().map(|(loc, _)| loc));
    }
    let mut expected = vec![app.url("/")];
    expected.extend(notes.iter().map(|n| app.url(&format!("/note/{}", n.slug))));
    assert_eq!(listed, expected, "every URL once, in order");

    for missing in [
        "/sitemap-0.xml",
        "/sitemap-4.xml",
        "/sitemap-x.xml",
        "/sitemap-01.xml",
    ] {
        assert_eq!(app.get(missing).await.status(), 404, "{missing}");
    }
}

#[tokio::test]
async fn parts_cut_anywhere_in_the_order_home_notes_tags() {
    // 1 home + 4 notes + 2 tag pages + /tags = 8 URLs, 3 a file: the second
    // part ends inside the notes, the third starts with the last notes and
    // ends with a tag page.
    let app = TestApp::builder()
        .configure(|settings| settings.sitemap_max_urls = 3)
        .spawn()
        .await;
    let mut notes = Vec::new();
    for i in 0..4 {
        notes.push(app.publish(&format!("Note number {i}")).await);
    }
    let tags = Tag::parse_list(&["Birds", "Garden"]).unwrap();
    app.store()
        .change(notes[3].slug.as_str(), NoteEdit::tags(tags.clone()))
        .await
        .unwrap();
    app.changed().await;

    let index = sitemap_text(&app, "/sitemap.xml").await;
    let parts = entries(&index, "sitemap");
    assert_eq!(parts.len(), 3, "{index}");
    let mut listed = Vec::new();
    for number in 1..=3 {
        let part = sitemap_text(&app, &format!("/sitemap-{number}.xml")).await;
        let urls: Vec<String> = entries(&part, "url")
            .into_iter()
            .map(|(loc, _)| loc)
            .collect();
        assert!(urls.len() <= 3, "{part}");
        listed.push(urls);
    }
    let note = |i: usize| app.url(&format!("/note/{}", notes[i].slug));
    assert_eq!(
        listed,
        vec![
            vec![app.url("/"), note(0), note(1)],
            vec![note(2), note(3), app.url("/tag/birds")],
            vec![app.url("/tag/garden"), app.url("/tags")],
        ]
    );
}

#[tokio::test]
async fn without_an_index_there_are_no_parts() {
    let app = spawn_app().await;
    app.publish("One").await;
    assert_eq!(app.get("/sitemap-1.xml").await.status(), 404);
}

#[tokio::test]
async fn robots_txt_keeps_crawlers_out_of_the_owner_pages_and_names_the_sitemap() {
    let app = spawn_app().await;
    let response = app.get("/robots.txt").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        response.text().await.unwrap(),
        format!(
            "User-agent: *\nDisallow: /admin\nDisallow: /auth\n\nSitemap: {}\n",
            app.url("/sitemap.xml")
        )
    );
}

#[tokio::test]
async fn sitemap_and_robots_answer_head_and_refuse_other_methods() {
    let app = spawn_app().await;
    for path in ["/sitemap.xml", "/robots.txt"] {
        let full = app.get(path).await;
        let head = app.head(path).await;
        assert_eq!(head.status(), 200, "{path}");
        assert_eq!(header(&head, "etag"), header(&full, "etag"), "{path}");
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
        let response = app.client.post(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 405, "{path}");
        assert_eq!(header(&response, "allow"), "GET, HEAD", "{path}");
    }
}

#[tokio::test]
async fn the_sitemap_follows_every_change() {
    let app = spawn_app().await;
    let before: BTreeSet<String> = entries(&sitemap_text(&app, "/sitemap.xml").await, "url")
        .into_iter()
        .map(|(loc, _)| loc)
        .collect();
    let note = app.publish("Appears in the sitemap").await;
    let after: BTreeSet<String> = entries(&sitemap_text(&app, "/sitemap.xml").await, "url")
        .into_iter()
        .map(|(loc, _)| loc)
        .collect();
    let added: Vec<_> = after.difference(&before).cloned().collect();
    assert_eq!(added, vec![app.url(&format!("/note/{}", note.slug))]);
}
