//! `/feed`: the format the `Accept` header prefers, the same bytes and
//! validators as the feed's own address, `Vary: Accept` on every answer,
//! and 406 with links to the three feeds when none is acceptable.

use scraper::Html;

use crate::helpers::{TestApp, header, select, spawn_app};
use crate::hostile_http::{exchange, socket_address};

const RSS: &str = "application/rss+xml; charset=utf-8";
const ATOM: &str = "application/atom+xml; charset=utf-8";
const JSON: &str = "application/feed+json; charset=utf-8";

/// An app with one note, seconds after it started, when its validators
/// are dated by the data, not the clock.
async fn app_with_a_note() -> TestApp {
    let start = chrono::Utc::now();
    let app = TestApp::builder().time(start).spawn().await;
    app.publish("Negotiated").await;
    app.set_time(start + chrono::TimeDelta::seconds(5));
    app
}

#[tokio::test]
async fn the_accept_header_picks_the_format() {
    let app = app_with_a_note().await;
    for (accept, status, content_type, same_as) in [
        ("application/rss+xml", 200, RSS, "/feed.xml"),
        ("application/atom+xml", 200, ATOM, "/feed.atom"),
        ("application/feed+json", 200, JSON, "/feed.json"),
        ("application/json", 200, JSON, "/feed.json"),
        ("*/*", 200, RSS, "/feed.xml"),
        ("application/*", 200, RSS, "/feed.xml"),
        ("application/xml", 200, RSS, "/feed.xml"),
        ("text/xml", 200, RSS, "/feed.xml"),
        (
            "application/rss+xml;q=0.5, application/atom+xml;q=0.9",
            200,
            ATOM,
            "/feed.atom",
        ),
        (
            "application/atom+xml;q=0.2, application/feed+json;q=0.8, */*;q=0.1",
            200,
            JSON,
            "/feed.json",
        ),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            200,
            RSS,
            "/feed.xml",
        ),
        ("*/*;q=0.1, application/atom+xml", 200, ATOM, "/feed.atom"),
        (
            "application/*;q=0.5, application/rss+xml;q=0",
            200,
            ATOM,
            "/feed.atom",
        ),
        ("text/html", 406, "text/html; charset=utf-8", ""),
        (
            "image/png, text/plain;q=0.5",
            406,
            "text/html; charset=utf-8",
            "",
        ),
        (
            "application/atom+xml;q=0",
            406,
            "text/html; charset=utf-8",
            "",
        ),
    ] {
        let response = app.get_with("/feed", &[("accept", accept)]).await;
        assert_eq!(response.status(), status, "Accept: {accept}");
        assert_eq!(header(&response, "content-type"), content_type, "{accept}");
        // Each format is also kept compressed; the 406 has one coding.
        let vary = if status == 200 {
            "Accept, Accept-Encoding"
        } else {
            "Accept"
        };
        assert_eq!(header(&response, "vary"), vary, "{accept}");
        if status == 200 {
            assert_eq!(header(&response, "content-location"), app.url(same_as));
            let etag = header(&response, "etag");
            let body = response.bytes().await.unwrap();
            let direct = app.get(same_as).await;
            assert_eq!(header(&direct, "etag"), etag, "{accept}");
            assert_eq!(direct.bytes().await.unwrap(), body, "{accept}");
        }
    }
}

#[tokio::test]
async fn no_accept_header_gets_rss() {
    let app = app_with_a_note().await;
    let answer = exchange(
        &socket_address(&app),
        b"GET /feed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    let text = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains(&format!("content-type: {RSS}")), "{text}");
    assert!(text.contains("vary: accept"), "{text}");
}

#[tokio::test]
async fn nothing_acceptable_gets_a_406_page_linking_every_feed() {
    let app = app_with_a_note().await;
    let response = app.get_with("/feed", &[("accept", "text/html")]).await;
    assert_eq!(response.status(), 406);
    assert_eq!(header(&response, "cache-control"), "no-store");
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        select(&html, "h1")[0].text().collect::<String>(),
        "No feed in a format you accept"
    );
    let links: Vec<(String, Option<String>)> = select(&html, "main a[type]")
        .iter()
        .map(|a| {
            (
                a.value().attr("href").unwrap().to_owned(),
                a.value().attr("type").map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        links,
        vec![
            (app.url("/feed.xml"), Some("application/rss+xml".to_owned())),
            (
                app.url("/feed.atom"),
                Some("application/atom+xml".to_owned())
            ),
            (
                app.url("/feed.json"),
                Some("application/feed+json".to_owned())
            ),
        ]
    );
}

#[tokio::test]
async fn conditional_get_on_feed_is_per_representation() {
    let app = app_with_a_note().await;
    let rss = app
        .get_with("/feed", &[("accept", "application/rss+xml")])
        .await;
    let atom = app
        .get_with("/feed", &[("accept", "application/atom+xml")])
        .await;
    let json = app
        .get_with("/feed", &[("accept", "application/feed+json")])
        .await;
    let rss_etag = header(&rss, "etag");
    let atom_etag = header(&atom, "etag");
    assert_ne!(rss_etag, atom_etag);

    let response = app
        .get_with(
            "/feed",
            &[
                ("accept", "application/atom+xml"),
                ("if-none-match", &atom_etag),
            ],
        )
        .await;
    assert_eq!(response.status(), 304);
    assert_eq!(header(&response, "etag"), atom_etag);
    assert_eq!(header(&response, "vary"), "Accept, Accept-Encoding");

    let response = app
        .get_with(
            "/feed",
            &[
                ("accept", "application/atom+xml"),
                ("if-none-match", &rss_etag),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        200,
        "the RSS tag does not name the Atom feed"
    );

    let response = app
        .get_with(
            "/feed",
            &[
                ("accept", "application/feed+json"),
                ("if-modified-since", &header(&json, "last-modified")),
            ],
        )
        .await;
    assert_eq!(response.status(), 304);

    app.publish("Changed").await;
    let response = app
        .get_with(
            "/feed",
            &[
                ("accept", "application/atom+xml"),
                ("if-none-match", &atom_etag),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_ne!(header(&response, "etag"), atom_etag);
}

#[tokio::test]
async fn head_on_feed_negotiates_too() {
    let app = app_with_a_note().await;
    let response = app
        .client
        .head(app.url("/feed"))
        .header("accept", "application/feed+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), JSON);
    assert_eq!(header(&response, "vary"), "Accept, Accept-Encoding");
    assert!(response.bytes().await.unwrap().is_empty());

    let response = app
        .client
        .head(app.url("/feed"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 406);
    assert_eq!(header(&response, "vary"), "Accept");
}

#[tokio::test]
async fn other_methods_get_405_on_every_feed_address() {
    let app = spawn_app().await;
    for path in ["/feed", "/feed.atom", "/feed.json"] {
        let response = app.client.post(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 405, "{path}");
        assert_eq!(header(&response, "allow"), "GET, HEAD", "{path}");
    }
}
