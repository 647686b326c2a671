//! Conditional GET per RFC 9110 on the feeds, the sitemap and the pages.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

use crate::helpers::{TestApp, header};

/// An app with one note, seconds after it started (validators of the
/// first second are dated by the clock, see
/// `last_modified_is_never_later_than_date`).
async fn app_with_a_note() -> (TestApp, String) {
    let start = Utc::now();
    let app = TestApp::builder().time(start).spawn().await;
    let note = app.publish("Conditional").await;
    app.set_time(start + TimeDelta::seconds(5));
    let path = format!("/note/{}", note.slug);
    (app, path)
}

#[tokio::test]
async fn a_matching_if_none_match_gets_304_with_the_same_validators() {
    let (app, note_path) = app_with_a_note().await;
    let paths = [
        "/feed.xml",
        "/feed.atom",
        "/feed.json",
        "/feed",
        "/sitemap.xml",
        "/robots.txt",
        "/",
        note_path.as_str(),
    ];
    for path in paths {
        let full = app.get(path).await;
        let etag = header(&full, "etag");
        let last_modified = header(&full, "last-modified");
        let cache_control = header(&full, "cache-control");
        let opaque = etag.trim_start_matches("W/").to_owned();

        for candidate in [
            etag.clone(),
            opaque.clone(),
            format!("\"nope\", {etag}"),
            "*".to_owned(),
        ] {
            let response = app.get_with(path, &[("if-none-match", &candidate)]).await;
            assert_eq!(
                response.status(),
                304,
                "{path} with If-None-Match: {candidate}"
            );
            assert_eq!(header(&response, "etag"), etag);
            assert_eq!(header(&response, "last-modified"), last_modified);
            assert_eq!(header(&response, "cache-control"), cache_control);
            assert!(response.bytes().await.unwrap().is_empty());
        }
        let response = app
            .get_with(path, &[("if-none-match", "W/\"something-else\"")])
            .await;
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn if_modified_since_is_used_only_without_if_none_match() {
    let (app, _) = app_with_a_note().await;
    let full = app.get("/feed.xml").await;
    let last_modified = header(&full, "last-modified");
    let modified = httpdate::parse_http_date(&last_modified).unwrap();
    let earlier = httpdate::fmt_http_date(modified - std::time::Duration::from_secs(60));
    let later = httpdate::fmt_http_date(modified + std::time::Duration::from_secs(60));

    assert_eq!(
        app_status(&app, &[("if-modified-since", &last_modified)]).await,
        304
    );
    assert_eq!(
        app_status(&app, &[("if-modified-since", &later)]).await,
        304
    );
    assert_eq!(
        app_status(&app, &[("if-modified-since", &earlier)]).await,
        200
    );
    assert_eq!(
        app_status(&app, &[("if-modified-since", "not a date")]).await,
        200
    );
    // If-None-Match wins: a stale tag means 200 even with a current date …
    assert_eq!(
        app_status(
            &app,
            &[
                ("if-none-match", "\"stale\""),
                ("if-modified-since", &later)
            ]
        )
        .await,
        200
    );
    // … and a current tag means 304 even with an old date.
    let etag = header(&full, "etag");
    assert_eq!(
        app_status(
            &app,
            &[("if-none-match", &etag), ("if-modified-since", &earlier)]
        )
        .await,
        304
    );
}

/// RFC 9110's grammar lets a tag hold commas and its quotes hold them
/// whole: a list that mixes such tags with the current one gets 304.
#[tokio::test]
async fn tags_with_a_comma_and_a_space_do_not_hide_the_current_one() {
    let (app, _) = app_with_a_note().await;
    for path in ["/", "/feed.xml"] {
        let etag = header(&app.get(path).await, "etag");
        let opaque = etag.trim_start_matches("W/");
        for candidate in [
            format!("\"a,b\", \"c, d\", W/{opaque}"),
            format!("\"c, d\", W/{opaque}"),
            format!("\"a,b\", W/{opaque}"),
        ] {
            let response = app.get_with(path, &[("if-none-match", &candidate)]).await;
            assert_eq!(
                response.status(),
                304,
                "{path} with If-None-Match: {candidate}"
            );
        }
        let response = app
            .get_with(path, &[("if-none-match", "\"c, d\", W/\"other\"")])
            .await;
        assert_eq!(response.status(), 200, "{path}");
    }
}

async fn app_status(app: &TestApp, headers: &[(&str, &str)]) -> u16 {
    app.get_with("/feed.xml", headers).await.status().as_u16()
}

#[tokio::test]
async fn head_requests_are_conditional_too() {
    let (app, _) = app_with_a_note().await;
    for path in DOCUMENTS {
        let etag = header(&app.get(path).await, "etag");
        let response = app
            .client
            .head(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 304, "{path}");
        assert_eq!(header(&response, "etag"), etag, "{path}");
    }
}

/// The feeds and the sitemap: everything that lists the notes.
const DOCUMENTS: [&str; 4] = ["/feed.xml", "/feed.atom", "/feed.json", "/sitemap.xml"];

#[tokio::test]
async fn every_feed_and_the_sitemap_have_their_own_validators_and_caching() {
    let (app, _) = app_with_a_note().await;
    let mut etags = std::collections::BTreeSet::new();
    for path in DOCUMENTS {
        let response = app.get(path).await;
        assert_eq!(header(&response, "cache-control"), "public, max-age=300");
        assert!(httpdate::parse_http_date(&header(&response, "last-modified")).is_ok());
        etags.insert(header(&response, "etag"));
    }
    assert_eq!(etags.len(), DOCUMENTS.len(), "one tag per body");
}

#[tokio::test]
async fn a_change_gives_a_new_etag_and_a_200() {
    let (app, _) = app_with_a_note().await;
    let mut etags = Vec::new();
    for path in DOCUMENTS {
        etags.push(header(&app.get(path).await, "etag"));
    }
    let home_etag = header(&app.get("/").await, "etag");
    app.publish("Something new").await;
    for (path, etag) in DOCUMENTS.iter().zip(&etags) {
        let response = app.get_with(path, &[("if-none-match", etag)]).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_ne!(&header(&response, "etag"), etag, "{path}");
    }
    let response = app.get_with("/", &[("if-none-match", &home_etag)]).await;
    assert_eq!(response.status(), 200);
}

/// After an upgrade or a change of settings nothing in the notes changed,
/// but the pages did: a validator from before must not get a 304.
#[tokio::test]
async fn validators_from_a_server_with_other_settings_get_a_full_answer() {
    let first = TestApp::builder().site_name("First Name").spawn().await;
    let note = first.publish("Shared note").await;
    let note_path = format!("/note/{}", note.slug);
    let paths = [
        "/",
        "/feed.xml",
        "/feed.atom",
        "/feed.json",
        note_path.as_str(),
    ];
    let mut validators = Vec::new();
    for path in paths {
        let response = first.get(path).await;
        validators.push((
            header(&response, "etag"),
            header(&response, "last-modified"),
        ));
        assert!(response.text().await.unwrap().contains("First Name"));
    }

    let data_path = first.data_path().display().to_string();
    let second = TestApp::builder()
        .data_path(&data_path)
        .site_name("Second Name")
        .spawn()
        .await;
    for (path, (etag, last_modified)) in paths.iter().zip(&validators) {
        for condition in [
            ("if-modified-since", last_modified.as_str()),
            ("if-none-match", etag.as_str()),
        ] {
            let response = second.get_with(path, &[condition]).await;
            assert_eq!(response.status(), 200, "{path} with {condition:?}");
            assert!(response.text().await.unwrap().contains("Second Name"));
        }
    }
}

fn date(response: &reqwest::Response, name: &str) -> std::time::SystemTime {
    httpdate::parse_http_date(&header(response, name)).unwrap()
}

/// RFC 9110 §8.8.2.1: `Last-Modified` is never later than the response's
/// own `Date`, even in the first second after a start, when the earliest
/// date the server may give its pages is still ahead of the clock.
#[tokio::test]
async fn last_modified_is_never_later_than_date() {
    let start = DateTime::parse_from_rfc3339("2026-12-07T12:00:00.600Z")
        .unwrap()
        .to_utc();
    let app = TestApp::builder().time(start).spawn().await;
    let note = app.publish("Dated").await;
    let note_path = format!("/note/{}", note.slug);
    let mut paths = DOCUMENTS.to_vec();
    paths.extend(["/", "/tags", note_path.as_str(), "/static/style.css"]);
    for at in [start, start + TimeDelta::seconds(3)] {
        app.set_time(at);
        for path in &paths {
            let response = app.get(path).await;
            assert_eq!(response.status(), 200, "{path}");
            let (sent, modified) = (date(&response, "date"), date(&response, "last-modified"));
            assert_eq!(
                sent,
                std::time::SystemTime::from(at.trunc_subsecs(0)),
                "{path}"
            );
            assert!(modified <= sent, "{path} at {at}: Last-Modified after Date");
        }
    }
}
