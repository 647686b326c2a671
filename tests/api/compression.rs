//! Cached responses in Brotli and gzip (RFC 9110 §8.4, §12.5.3): each kept
//! compressed once, chosen by Accept-Encoding, each coding with its own
//! entity tag, and every coding decoding to the identity bytes.

use std::io::Read;
use std::time::Duration;

use starpunk::domain::{NewNote, NoteBody, Tag};

use crate::helpers::{TestApp, eventually, header};

/// A long note, tagged, so every page, feed and the sitemap is large
/// enough to be compressed.
async fn app_with_notes() -> (TestApp, Vec<String>) {
    let app = TestApp::builder().spawn().await;
    let mut slug = String::new();
    for n in 0..6 {
        let text = format!(
            "Note {n} about the garden.\n\n{}",
            "Tomatoes, beans and a bicycle by the shed. ".repeat(40)
        );
        let note = app
            .store()
            .create(NewNote {
                published: true,
                tags: Tag::parse_list(&["Gardening"]).unwrap(),
                ..NewNote::new(NoteBody::parse(&text).unwrap())
            })
            .await
            .unwrap();
        slug = note.slug.to_string();
    }
    app.changed().await;
    let paths = [
        "/",
        &format!("/note/{slug}"),
        "/tags",
        "/tag/gardening",
        "/tag/gardening/feed.xml",
        "/tag/gardening/feed.atom",
        "/tag/gardening/feed.json",
        "/feed.xml",
        "/feed.atom",
        "/feed.json",
        "/feed",
        "/sitemap.xml",
        "/static/style.css",
    ]
    .map(str::to_owned)
    .to_vec();
    (app, paths)
}

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::new();
    match coding {
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut decoded),
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut decoded),
        other => panic!("unexpected coding {other}"),
    }
    .unwrap_or_else(|e| panic!("{coding} does not decode: {e}"));
    decoded
}

/// The response once its compressed forms are made (they are made after
/// the first request, off its path).
async fn compressed(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    let headers = [("accept-encoding", accept)];
    eventually(Duration::from_secs(10), || async {
        app.get_with(path, &headers)
            .await
            .headers()
            .contains_key("content-encoding")
    })
    .await;
    app.get_with(path, &headers).await
}

#[tokio::test]
async fn every_cached_response_decodes_to_its_identity_bytes() {
    let (app, paths) = app_with_notes().await;
    for path in &paths {
        let identity = app.get(path).await;
        assert_eq!(identity.status(), 200, "{path}");
        assert!(
            !identity.headers().contains_key("content-encoding"),
            "{path}"
        );
        assert!(
            header(&identity, "vary").contains("Accept-Encoding"),
            "{path}"
        );
        let identity_tag = header(&identity, "etag");
        let identity = identity.bytes().await.unwrap();
        assert!(identity.len() >= 1024, "{path} is large enough to compress");

        for (accept, coding, suffix) in [
            ("gzip, deflate, br", "br", "-br\""),
            ("gzip", "gzip", "-gz\""),
            ("x-gzip;q=0.9, br;q=0.5", "gzip", "-gz\""),
        ] {
            let response = compressed(&app, path, accept).await;
            assert_eq!(response.status(), 200);
            assert_eq!(
                header(&response, "content-encoding"),
                coding,
                "{path} {accept}"
            );
            assert!(
                header(&response, "vary").contains("Accept-Encoding"),
                "{path}"
            );
            let etag = header(&response, "etag");
            assert_eq!(
                etag,
                format!("{}{suffix}", identity_tag.trim_end_matches('"')),
                "{path}: each coding has its own tag"
            );
            let length: usize = header(&response, "content-length").parse().unwrap();
            let body = response.bytes().await.unwrap();
            assert_eq!(length, body.len());
            assert!(body.len() < identity.len(), "{path} {coding} is smaller");
            assert_eq!(decode(coding, &body), identity, "{path} in {coding}");

            let head = app
                .client
                .head(app.url(path))
                .header("accept-encoding", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(header(&head, "content-encoding"), coding);
            assert_eq!(
                header(&head, "content-length"),
                length.to_string(),
                "HEAD {path}"
            );
            assert_eq!(header(&head, "etag"), etag);
        }
    }
}

#[tokio::test]
async fn a_conditional_request_is_answered_for_the_coding_it_would_get() {
    let (app, paths) = app_with_notes().await;
    for path in &paths[..3] {
        let identity_tag = header(&app.get(path).await, "etag");
        let gzip_tag = header(&compressed(&app, path, "gzip").await, "etag");
        let brotli_tag = header(&compressed(&app, path, "br").await, "etag");
        assert!(gzip_tag != identity_tag && brotli_tag != identity_tag && gzip_tag != brotli_tag);

        for (accept, tag, status, served) in [
            ("gzip", &gzip_tag, 304, &gzip_tag),
            ("br, gzip", &brotli_tag, 304, &brotli_tag),
            ("identity", &identity_tag, 304, &identity_tag),
            // The client's copy is in another coding than it would get now.
            ("br", &gzip_tag, 200, &brotli_tag),
            ("gzip", &identity_tag, 200, &gzip_tag),
            ("identity", &brotli_tag, 200, &identity_tag),
        ] {
            let response = app
                .get_with(path, &[("accept-encoding", accept), ("if-none-match", tag)])
                .await;
            assert_eq!(response.status(), status, "{path}: {accept} with {tag}");
            assert_eq!(
                &header(&response, "etag"),
                served,
                "{path}: {accept} with {tag}"
            );
            assert!(header(&response, "vary").contains("Accept-Encoding"));
        }
        let all = format!("{identity_tag}, {gzip_tag}");
        let response = app
            .get_with(
                path,
                &[("accept-encoding", "gzip"), ("if-none-match", &all)],
            )
            .await;
        assert_eq!(response.status(), 304, "a cache naming every copy it holds");
        assert_eq!(header(&response, "etag"), gzip_tag);
    }
}

#[tokio::test]
async fn without_an_acceptable_coding_identity_or_406() {
    let (app, paths) = app_with_notes().await;
    let home = &paths[0];
    compressed(&app, home, "br").await;
    for (accept, status, coding) in [
        ("deflate, zstd", 200, None),
        ("", 200, None),
        ("identity;q=0, gzip", 200, Some("gzip")),
        ("*;q=0, br", 200, Some("br")),
        ("identity;q=0", 406, None),
        ("*;q=0", 406, None),
        ("identity;q=0, zstd", 406, None),
    ] {
        let response = app.get_with(home, &[("accept-encoding", accept)]).await;
        assert_eq!(response.status(), status, "Accept-Encoding: {accept}");
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            coding,
            "Accept-Encoding: {accept}"
        );
        assert!(header(&response, "vary").contains("Accept-Encoding"));
    }
}

#[tokio::test]
async fn small_bodies_stay_identity() {
    let app = TestApp::builder().spawn().await;
    let response = app
        .get_with("/robots.txt", &[("accept-encoding", "br, gzip")])
        .await;
    assert_eq!(response.status(), 200);
    assert!(!response.headers().contains_key("content-encoding"));
    assert!(!response.headers().contains_key("vary"), "never differs");
    let response = app
        .get_with("/robots.txt", &[("accept-encoding", "gzip, identity;q=0")])
        .await;
    assert_eq!(
        response.status(),
        406,
        "only kept as identity, which is refused"
    );
}

/// Answers made per request are compressed in gzip as they go out, and
/// decode to the bytes an identity request gets; Brotli is kept for the
/// cached ones.
#[tokio::test]
async fn answers_made_per_request_are_compressed_as_they_go_out() {
    let (app, _) = app_with_notes().await;
    let search = "/search?q=bicycle";
    let identity = app.get(search).await.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&identity).contains("Tomatoes, beans"));
    for accept in ["gzip", "br, gzip", "gzip;q=0.5, identity;q=0.1"] {
        let response = app.get_with(search, &[("accept-encoding", accept)]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-encoding"), "gzip", "{accept}");
        assert!(header(&response, "vary").contains("Accept-Encoding"));
        let body = response.bytes().await.unwrap();
        assert!(
            body.len() < identity.len() / 2,
            "{accept}: {} bytes",
            body.len()
        );
        assert_eq!(decode("gzip", &body), identity, "{accept}");
    }
    let head = app.head(search).await;
    assert!(!head.headers().contains_key("content-encoding"));
    for accept in ["br", "deflate", "gzip;q=0"] {
        let response = app.get_with(search, &[("accept-encoding", accept)]).await;
        assert_eq!(response.status(), 200);
        assert!(
            !response.headers().contains_key("content-encoding"),
            "{accept}"
        );
        assert_eq!(response.bytes().await.unwrap(), identity, "{accept}");
    }
    for accept in ["identity;q=0", "br, identity;q=0"] {
        let refused = app.get_with(search, &[("accept-encoding", accept)]).await;
        assert_eq!(refused.status(), 406, "{accept}");
        assert!(header(&refused, "content-type").starts_with("text/"));
    }

    let signed = app.sign_in().await;
    let dashboard = app
        .client
        .get(app.url("/admin"))
        .header(reqwest::header::COOKIE, &signed.cookie)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(dashboard.status(), 200);
    assert_eq!(header(&dashboard, "content-encoding"), "gzip");
    assert!(header(&dashboard, "cache-control").contains("no-store"));
    let page = decode("gzip", &dashboard.bytes().await.unwrap());
    assert!(String::from_utf8_lossy(&page).contains("Note 5 about the garden"));
}
