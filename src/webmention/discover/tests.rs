//! The 23 discovery cases of webmention.rocks, and the cite of a page.

use reqwest::header::HeaderValue;

use super::*;

/// A case: its number, headers, HTML, and the endpoint it must give.
type Case = (
    u32,
    Vec<(&'static str, &'static str)>,
    &'static str,
    &'static str,
);

fn cases() -> Vec<Case> {
    let error = r#"<a rel="webmention" href="/webmention/error">wrong</a>"#;
    vec![
        (
            1,
            vec![("Link", "</test/1/webmention?head=true>; rel=webmention")],
            "",
            "https://rocks.example/test/1/webmention?head=true",
        ),
        (
            2,
            vec![(
                "Link",
                "<https://rocks.example/test/2/webmention?head=true>; rel=webmention",
            )],
            "",
            "https://rocks.example/test/2/webmention?head=true",
        ),
        (
            3,
            vec![],
            r#"<link rel="webmention" href="/test/3/webmention">"#,
            "https://rocks.example/test/3/webmention",
        ),
        (
            4,
            vec![],
            r#"<link rel="webmention" href="https://rocks.example/test/4/webmention">"#,
            "https://rocks.example/test/4/webmention",
        ),
        (
            5,
            vec![],
            r#"<a rel="webmention" href="/test/5/webmention">x</a>"#,
            "https://rocks.example/test/5/webmention",
        ),
        (
            6,
            vec![],
            r#"<a rel="webmention" href="https://rocks.example/test/6/webmention">x</a>"#,
            "https://rocks.example/test/6/webmention",
        ),
        (
            7,
            vec![(
                "LinK",
                "<https://rocks.example/test/7/webmention>; rel=webmention",
            )],
            "",
            "https://rocks.example/test/7/webmention",
        ),
        (
            8,
            vec![(
                "Link",
                r#"<https://rocks.example/test/8/webmention>; rel="webmention""#,
            )],
            "",
            "https://rocks.example/test/8/webmention",
        ),
        (
            9,
            vec![],
            r#"<link rel="webmention somethingelse" href="/test/9/webmention">"#,
            "https://rocks.example/test/9/webmention",
        ),
        (
            10,
            vec![(
                "Link",
                r#"<https://rocks.example/test/10/webmention>; rel="webmention somethingelse""#,
            )],
            "",
            "https://rocks.example/test/10/webmention",
        ),
        (
            11,
            vec![(
                "Link",
                "<https://rocks.example/test/11/webmention>; rel=webmention",
            )],
            r#"<link rel="webmention" href="/webmention/error"><a rel="webmention" href="/webmention/error">x</a>"#,
            "https://rocks.example/test/11/webmention",
        ),
        (
            12,
            vec![],
            r#"<link rel="not-webmention" href="/webmention/error"><link rel="webmention" href="/test/12/webmention">"#,
            "https://rocks.example/test/12/webmention",
        ),
        (
            13,
            vec![],
            r#"<!-- <link rel="webmention" href="/webmention/error"> --><link rel="webmention" href="/test/13/webmention">"#,
            "https://rocks.example/test/13/webmention",
        ),
        (
            14,
            vec![],
            r#"<code>&lt;a href="/webmention/error" rel="webmention"&gt;&lt;/a&gt;</code><a rel="webmention" href="/test/14/webmention">x</a>"#,
            "https://rocks.example/test/14/webmention",
        ),
        (
            15,
            vec![],
            r#"<link rel="webmention" href="">"#,
            "https://rocks.example/test/15",
        ),
        (
            16,
            vec![],
            r#"<a rel="webmention" href="/test/16/webmention">x</a><link rel="webmention" href="/webmention/error">"#,
            "https://rocks.example/test/16/webmention",
        ),
        (
            17,
            vec![],
            r#"<link rel="webmention" href="/test/17/webmention"><a rel="webmention" href="/webmention/error">x</a>"#,
            "https://rocks.example/test/17/webmention",
        ),
        (
            18,
            vec![
                (
                    "Link",
                    r#"<https://rocks.example/webmention/error>; rel="other""#,
                ),
                (
                    "Link",
                    r#"<https://rocks.example/test/18/webmention>; rel="webmention""#,
                ),
            ],
            "",
            "https://rocks.example/test/18/webmention",
        ),
        (
            19,
            vec![(
                "Link",
                r#"<https://rocks.example/webmention/error>; rel="other", <https://rocks.example/test/19/webmention>; rel="webmention""#,
            )],
            "",
            "https://rocks.example/test/19/webmention",
        ),
        (
            20,
            vec![],
            r#"<link rel="webmention"><a rel="webmention" href="/test/20/webmention">x</a>"#,
            "https://rocks.example/test/20/webmention",
        ),
        (
            21,
            vec![],
            r#"<link rel="webmention" href="/test/21/webmention?query=yes">"#,
            "https://rocks.example/test/21/webmention?query=yes",
        ),
        (
            22,
            vec![],
            r#"<link rel="webmention" href="22/webmention">"#,
            "https://rocks.example/test/22/webmention",
        ),
        (
            23,
            vec![("Link", "<webmention-endpoint/xyz>; rel=webmention")],
            error,
            "https://rocks.example/test/23/page/webmention-endpoint/xyz",
        ),
    ]
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    for (name, value) in pairs {
        headers.append(
            header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_static(value),
        );
    }
    headers
}

#[test]
fn every_webmention_rocks_discovery_case() {
    for (number, pairs, body, expected) in cases() {
        // Case 23 redirects: its final URL is another page.
        let page = if number == 23 {
            "https://rocks.example/test/23/page/".to_owned()
        } else {
            format!("https://rocks.example/test/{number}")
        };
        let html = format!(
            "<!doctype html><html><head><title>{number}</title></head><body>{body}</body></html>"
        );
        let found = endpoint(
            &headers(&pairs),
            html.as_bytes(),
            &Url::parse(&page).unwrap(),
        );
        assert_eq!(
            found.map(String::from).as_deref(),
            Some(expected),
            "case {number}"
        );
    }
}

#[test]
fn no_endpoint_and_unusable_ones() {
    let page = Url::parse("https://x.example/a").unwrap();
    assert_eq!(endpoint(&headers(&[]), b"<p>none</p>", &page), None);
    let mailto = r#"<link rel="webmention" href="mailto:me@x.example">"#;
    assert_eq!(endpoint(&headers(&[]), mailto.as_bytes(), &page), None);
    let mut json = HeaderMap::new();
    json.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let in_json = r#"{"a": "<link rel=\"webmention\" href=\"/w\">"}"#;
    assert_eq!(endpoint(&json, in_json.as_bytes(), &page), None);
}

#[test]
fn a_page_cites_its_entry_s_name_and_author_else_its_title() {
    let page = Url::parse("https://x.example/post").unwrap();
    let html = r#"<title>Site | Post</title><article class="h-entry"><h1 class="p-name">A   Post</h1>
        <a class="p-author h-card" href="https://x.example/">Xavier</a>
        <div class="e-content">Body</div></article>"#;
    let cite = cite_of(page.as_str(), &headers(&[]), html.as_bytes(), &page);
    assert_eq!(cite.title.as_deref(), Some("A Post"));
    assert_eq!(cite.author_name.as_deref(), Some("Xavier"));
    assert_eq!(cite.author_url.as_deref(), Some("https://x.example/"));
    let note = r#"<title>Just a note</title><div class="h-entry"><p class="e-content">Only text</p></div>"#;
    let cite = cite_of(page.as_str(), &headers(&[]), note.as_bytes(), &page);
    assert_eq!(cite.title.as_deref(), Some("Just a note"));
    let plain = "<title>\n  Plain   page </title><p>hi</p>";
    let cite = cite_of(page.as_str(), &headers(&[]), plain.as_bytes(), &page);
    assert_eq!(
        (cite.title.as_deref(), cite.author_name),
        (Some("Plain page"), None)
    );
}
