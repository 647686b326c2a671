//! The 23 discovery cases of webmention.rocks, as pages of a fake site:
//! a note linking to all of them sends exactly one Webmention to each
//! endpoint, fetching each page once.

use std::time::Duration;

use starpunk::store::SendState;

use crate::fake_site::{FakeSite, Page};
use crate::helpers::eventually;
use crate::webmention::{app, permalink};

/// A case: headers, HTML body, and the endpoint's path (and query).
type Case = (Vec<(&'static str, String)>, String, String);

fn cases() -> Vec<Case> {
    let n = |case: u32| format!("/test/{case}/webmention");
    let link = |case: u32, href: String| (vec![("Link", href)], String::new(), n(case));
    let html = |case: u32, body: &str| (vec![], body.to_owned(), n(case));
    vec![
        (vec![("Link", "</test/1/webmention?head=true>; rel=webmention".into())], String::new(), format!("{}?head=true", n(1))),
        (vec![("Link", "<{base}/test/2/webmention?head=true>; rel=webmention".into())], String::new(), format!("{}?head=true", n(2))),
        html(3, r#"<link rel="webmention" href="/test/3/webmention">"#),
        html(4, r#"<link rel="webmention" href="{base}/test/4/webmention">"#),
        html(5, r#"<a rel="webmention" href="/test/5/webmention">x</a>"#),
        html(6, r#"<a rel="webmention" href="{base}/test/6/webmention">x</a>"#),
        (vec![("LinK", "<{base}/test/7/webmention>; rel=webmention".into())], String::new(), n(7)),
        link(8, r#"<{base}/test/8/webmention>; rel="webmention""#.into()),
        html(9, r#"<link rel="webmention somethingelse" href="/test/9/webmention">"#),
        link(10, r#"<{base}/test/10/webmention>; rel="webmention somethingelse""#.into()),
        (
            vec![("Link", "<{base}/test/11/webmention>; rel=webmention".into())],
            r#"<link rel="webmention" href="/webmention/error"><a rel="webmention" href="/webmention/error">x</a>"#.into(),
            n(11),
        ),
        html(12, r#"<link rel="not-webmention" href="/webmention/error"><link rel="webmention" href="/test/12/webmention">"#),
        html(13, r#"<!-- <link rel="webmention" href="/webmention/error"> --><link rel="webmention" href="/test/13/webmention">"#),
        html(14, r#"<code>&lt;a href="/webmention/error" rel="webmention"&gt;&lt;/a&gt;</code><a rel="webmention" href="/test/14/webmention">x</a>"#),
        (vec![], r#"<link rel="webmention" href="">"#.into(), "/test/15".into()),
        html(16, r#"<a rel="webmention" href="/test/16/webmention">x</a><link rel="webmention" href="/webmention/error">"#),
        html(17, r#"<link rel="webmention" href="/test/17/webmention"><a rel="webmention" href="/webmention/error">x</a>"#),
        (
            vec![
                ("Link", r#"<{base}/webmention/error>; rel="other""#.into()),
                ("Link", r#"<{base}/test/18/webmention>; rel="webmention""#.into()),
            ],
            String::new(),
            n(18),
        ),
        link(19, r#"<{base}/webmention/error>; rel="other", <{base}/test/19/webmention>; rel="webmention""#.into()),
        html(20, r#"<link rel="webmention"><a rel="webmention" href="/test/20/webmention">x</a>"#),
        (vec![], r#"<link rel="webmention" href="/test/21/webmention?query=yes">"#.into(), format!("{}?query=yes", n(21))),
        html(22, r#"<link rel="webmention" href="22/webmention">"#),
        (
            vec![("Link", "<webmention-endpoint/xyz>; rel=webmention".into())],
            String::new(),
            "/test/23/page/webmention-endpoint/xyz".into(),
        ),
    ]
}

#[tokio::test]
async fn a_note_linking_to_23_differently_advertised_endpoints_sends_one_to_each() {
    let app = app(true).await;
    let rocks = FakeSite::start(5).await;
    let base = rocks.base.clone();
    let mut links = String::from("Testing discovery:");
    for (index, (headers, body, _)) in cases().into_iter().enumerate() {
        let case = index + 1;
        let mut page = Page::html(format!(
            "<!doctype html><title>Test {case}</title><body>{}</body>",
            body.replace("{base}", &base)
        ))
        .once();
        for (name, value) in &headers {
            page = page.header(name, &value.replace("{base}", &base));
        }
        let path = format!("/test/{case}");
        if case == 23 {
            // The page redirects: its endpoint is relative to where it ends.
            rocks.page(&path, Page::redirect(302, "/test/23/page/").once());
            rocks.page("/test/23/page/", page);
        } else {
            rocks.page(&path, page);
        }
        links.push_str(&format!(" [{case}]({base}{path})"));
    }
    for (_, _, endpoint) in cases() {
        let path = endpoint.split('?').next().unwrap();
        if path != "/test/15" {
            rocks.page(path, Page::endpoint(202));
        }
    }
    rocks.page("/webmention/error", Page::endpoint(400));

    let note = app.publish(&links).await;
    let source = permalink(&app, &note);
    eventually(Duration::from_secs(30), || async {
        let sent = app.store().sent_webmentions(note.id).await.unwrap();
        sent.len() == 23 && sent.iter().all(|s| s.state == SendState::Sent)
    })
    .await;

    let posts = rocks.all_posts();
    assert_eq!(posts.len(), 23, "{posts:#?}");
    for (index, (_, _, endpoint)) in cases().into_iter().enumerate() {
        let case = index + 1;
        let (path, query) = endpoint.split_once('?').unwrap_or((&endpoint, ""));
        let to_it: Vec<_> = posts.iter().filter(|p| p.path == path).collect();
        assert_eq!(to_it.len(), 1, "case {case}: {path}");
        assert_eq!(to_it[0].query, query, "case {case}: the query is kept");
        let form = to_it[0].form();
        assert_eq!(form["source"], source, "case {case}");
        assert_eq!(form["target"], format!("{base}/test/{case}"), "case {case}");
        assert_eq!(
            rocks.gets(&format!("/test/{case}")),
            1,
            "case {case}: one fetch"
        );
    }
}
