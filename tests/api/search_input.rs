//! Whatever a visitor sends as `q`, `/search` answers 200 or a 400 that
//! says why, never a 5xx, and shows the query only escaped: control
//! characters, bytes that are not UTF-8, FTS5 syntax, very long text.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use scraper::Html;
use starpunk::domain::{MAX_QUERY_CHARS, SearchQuery};

use crate::helpers::{TestApp, select, spawn_app};

/// Percent-encodes every byte, as a browser encodes a form's bytes.
fn encoded(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

/// The titles of the notes a search page lists.
fn hits(html: &Html) -> Vec<String> {
    select(html, ".search-results .p-name")
        .iter()
        .map(|h| h.text().collect())
        .collect()
}

fn problem(html: &Html) -> Option<String> {
    select(html, ".search-problem")
        .first()
        .map(|p| p.text().collect())
}

async fn search(app: &TestApp, bytes: &[u8]) -> (u16, Html) {
    let response = app.get(&format!("/search?q={}", encoded(bytes))).await;
    let status = response.status().as_u16();
    (
        status,
        Html::parse_document(&response.text().await.unwrap()),
    )
}

#[tokio::test]
async fn control_characters_separate_words() {
    let app = spawn_app().await;
    app.create("A quokka at dawn", true, Some("quokka")).await;
    for query in [
        &b"quokka\0"[..],
        b"\0quokka",
        b"quokka\0dawn",
        b"quokka\x7f\x1b",
    ] {
        let (status, html) = search(&app, query).await;
        assert_eq!(status, 200, "{query:?}");
        assert_eq!(hits(&html), ["A quokka at dawn"], "{query:?}");
    }
    let (status, html) = search(&app, b"quokka\0x").await;
    assert_eq!(status, 200);
    assert!(hits(&html).is_empty());
    let value = select(&html, "#search-page-q")[0].value().attr("value");
    assert_eq!(value, Some("quokka x"));
    // Nothing but control characters is an empty search: the search page.
    let (status, html) = search(&app, b"\0\x01\x1f\x7f").await;
    assert_eq!(status, 200);
    assert_eq!(problem(&html), None);
}

#[tokio::test]
async fn bytes_that_are_not_utf8_get_a_400_that_says_so() {
    let app = spawn_app().await;
    app.create("A quokka at dawn", true, Some("quokka")).await;
    // A lone surrogate, an invalid byte, a sequence cut short.
    for query in [&b"\xed\xa0\x80"[..], b"quokka\xff", b"quokka \xe2\x82"] {
        let (status, html) = search(&app, query).await;
        assert_eq!(status, 400, "{query:?}");
        let problem = problem(&html).unwrap_or_default();
        assert!(problem.contains("not text (UTF-8)"), "{problem}");
    }
}

#[tokio::test]
async fn fts5_syntax_is_searched_for_as_text() {
    let app = spawn_app().await;
    app.create("Body and tags of a quokka", true, Some("quokka"))
        .await;
    for query in [
        "\"quokka",
        "quokka\"",
        "body:quokka",
        "{body tags}: quokka",
        "- body : quokka",
        "tags:quokka*",
        "NEAR(quokka body, 2)",
        "quokka AND body OR NOT tags",
        "^quokka",
        "quokka + body",
        "'quokka'",
        "indexed_hash:x quokka",
    ] {
        let (status, _) = search(&app, query.as_bytes()).await;
        assert_eq!(status, 200, "{query}");
    }
    let (_, html) = search(&app, b"tags:quokka* {body}").await;
    assert!(hits(&html).is_empty());
    let (_, html) = search(&app, b"quokka body tags").await;
    assert_eq!(hits(&html), ["Body and tags of a quokka"]);
    let (status, html) = search(&app, "quokka ".repeat(150).as_bytes()).await;
    assert_eq!(status, 400);
    let problem = problem(&html).unwrap_or_default();
    assert!(problem.contains("longer than 200 characters"), "{problem}");
    // 10 000 characters make a request line longer than any server reads.
    let (status, _) = search(&app, "quokka ".repeat(1_430).as_bytes()).await;
    assert_eq!(status, 414);
}

/// Query text with the pieces that have broken searches, or could:
/// FTS5 syntax, quotes, markup, control characters, long runs.
fn hostile_query() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(&[
            "quokka", " ", "\"", "'", "*", "^", ":", "-", "+", "(", ")", "{", "}", ",", "NEAR",
            "AND", "OR", "NOT", "body:", "tags:", "indexed_hash", "<b>", "</h1>", "<script>",
            "&amp;", "&", "\0", "\u{1}", "\t", "\n", "\r", "\u{1f}", "\u{7f}", "\u{85}", "\u{9f}",
            "\u{fffd}", "\u{feff}", "\u{200b}", "é", "東京",
        ][..])
        .prop_map(str::to_owned),
        2 => any::<char>().prop_map(String::from),
        1 => "[a-z]{1,300}",
    ];
    prop_oneof![
        4 => proptest::collection::vec(piece, 0..30).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

/// Checks one answer: 200, or 400 with a reason; the query shown in the
/// box and heading exactly as tidied, so nothing in it became markup.
async fn answers_sensibly(app: &TestApp, bytes: &[u8]) -> Result<(), TestCaseError> {
    let (status, html) = search(app, bytes).await;
    prop_assert!(status == 200 || status == 400, "{status} for {bytes:?}");
    let problem = problem(&html);
    prop_assert_eq!(status == 400, problem.is_some(), "{:?}", problem);
    prop_assert!(!problem.unwrap_or_else(|| "-".into()).trim().is_empty());
    let shown = SearchQuery::tidy(&String::from_utf8_lossy(bytes))
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect::<String>();
    let value = select(&html, "#search-page-q")[0].value().attr("value");
    prop_assert_eq!(value.unwrap_or_default(), shown.as_str());
    let heading = &select(&html, "h1.page-heading")[0];
    prop_assert_eq!(
        heading.children().count(),
        1,
        "markup in {}",
        heading.html()
    );
    let inside = select(&html, ".search-problem *, .empty *");
    prop_assert!(inside.is_empty(), "markup in {:?}", inside[0].html());
    let title: String = select(&html, "title")[0].text().collect();
    if shown.is_empty() {
        prop_assert_eq!(title, "Search · Test Site");
    } else {
        prop_assert_eq!(title, format!("Search: {shown} · Test Site"));
    }
    prop_assert!(select(&html, "script").is_empty());
    Ok(())
}

/// Runs `check` on `cases` values of `strategy` against one server.
fn property<S: Strategy>(
    cases: u32,
    strategy: S,
    check: impl AsyncFn(&TestApp, S::Value) -> Result<(), TestCaseError>,
) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let app = runtime.block_on(async {
        let app = spawn_app().await;
        app.create(
            "A quokka said \"body: tags\" <b>near</b> the café",
            true,
            None,
        )
        .await;
        app
    });
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let result =
        TestRunner::new(config).run(&strategy, |value| runtime.block_on(check(&app, value)));
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

#[test]
fn any_text_gets_a_page_or_a_reason() {
    property(400, hostile_query(), async |app, text| {
        answers_sensibly(app, text.as_bytes()).await
    });
}

#[test]
fn any_bytes_get_a_page_or_a_reason() {
    property(
        200,
        proptest::collection::vec(any::<u8>(), 0..64),
        async |app, bytes| answers_sensibly(app, &bytes).await,
    );
}
