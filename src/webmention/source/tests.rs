//! Reading sources: links in markup only, kinds, authorship, dates.

use super::*;

const TARGET: &str = "https://me.example/note/hello";

fn source() -> Url {
    Url::parse("https://you.example/posts/1").unwrap()
}

fn read_html(html: &str) -> Reading {
    read(
        html.as_bytes(),
        Some("text/html; charset=utf-8"),
        &source(),
        &source(),
        TARGET,
    )
    .unwrap()
}

fn found(html: &str) -> Found {
    match read_html(html) {
        Reading::Mention(found) => found,
        Reading::NoLink => panic!("no link found in {html}"),
    }
}

#[test]
fn a_reply_is_read_with_its_author_content_and_date() {
    let reply = found(&format!(
        r#"<article class="h-entry">
             <a class="u-in-reply-to" href="{TARGET}">re</a>
             <div class="p-author h-card"><img class="u-photo" src="/me.png" alt="">
               <a class="p-name u-url" href="https://you.example/">You Person</a></div>
             <div class="e-content"><p>Nice   <b>note</b>!</p></div>
             <a class="u-url" href="/posts/1#reply"><time class="dt-published" datetime="2026-03-04T05:06:07+01:00">x</time></a>
           </article>"#
    ));
    assert_eq!(reply.kind, ResponseKind::Reply);
    assert_eq!(reply.author.name.as_deref(), Some("You Person"));
    assert_eq!(reply.author.url.as_deref(), Some("https://you.example/"));
    assert_eq!(
        reply.author.photo.as_deref(),
        Some("https://you.example/me.png")
    );
    assert!(reply.content_html.unwrap().contains("<b>note</b>"));
    assert_eq!(reply.content_text.as_deref(), Some("Nice note!"));
    assert_eq!(reply.url, "https://you.example/posts/1#reply");
    assert_eq!(
        reply.published.unwrap().to_rfc3339(),
        "2026-03-04T04:06:07+00:00"
    );
}

#[test]
fn likes_reposts_and_bookmarks_are_told_by_their_property() {
    for (property, kind) in [
        ("u-like-of", ResponseKind::Like),
        ("u-repost-of", ResponseKind::Repost),
        ("u-bookmark-of", ResponseKind::Bookmark),
    ] {
        let html = format!(
            r#"<div class="h-entry"><div class="{property} h-cite"><a class="u-url" href="{TARGET}">t</a></div></div>"#
        );
        assert_eq!(found(&html).kind, kind, "{property}");
    }
    // A property in a `data` element names the target without a link.
    let data =
        format!(r#"<div class="h-entry"><data class="u-like-of" value="{TARGET}"></data></div>"#);
    assert_eq!(found(&data).kind, ResponseKind::Like);
    // The entry that answers the target is the one read.
    let two = format!(
        r#"<div class="h-entry"><p class="p-name">other</p></div>
           <div class="h-entry"><a class="u-repost-of" href="{TARGET}">x</a></div>"#
    );
    assert_eq!(found(&two).kind, ResponseKind::Repost);
}

#[test]
fn a_link_must_be_in_the_markup() {
    for html in [
        format!("<p>I read {TARGET} today</p>"),
        format!("<!-- <a href=\"{TARGET}\">x</a> -->"),
        format!("<code>&lt;a href=\"{TARGET}\"&gt;</code>"),
        format!("<a href=\"{TARGET}/other\">x</a>"),
        "<a href=\"https://me.example/note/hello-world\">x</a>".to_owned(),
    ] {
        assert_eq!(read_html(&html), Reading::NoLink, "{html}");
    }
    for html in [
        format!("<a href=\"{TARGET}\">x</a>"),
        format!("<a href=\"{TARGET}#comments\">x</a>"),
        format!("<img src=\"{TARGET}\" alt=\"\">"),
        format!("<video><source src=\"{TARGET}\"></video>"),
        "<base href=\"https://me.example/\"><a href=\"note/hello\">x</a>".to_owned(),
    ] {
        assert_eq!(found(&html).kind, ResponseKind::Mention, "{html}");
    }
}

#[test]
fn authorship_falls_back_to_rel_author_and_the_page_s_h_card() {
    let by_rel = found(&format!(
        r#"<link rel="author" href="https://you.example/about">
           <div class="h-card"><a class="u-url p-name" href="https://you.example/about">Rel Person</a></div>
           <div class="h-entry"><a href="{TARGET}">x</a></div>"#
    ));
    assert_eq!(by_rel.author.name.as_deref(), Some("Rel Person"));
    let by_feed = found(&format!(
        r#"<div class="h-feed"><a class="p-author h-card" href="https://f.example/">Feed Person</a>
             <div class="h-entry"><a href="{TARGET}">x</a></div></div>"#
    ));
    assert_eq!(by_feed.author.name.as_deref(), Some("Feed Person"));
    let by_name = found(&format!(
        r#"<div class="h-entry"><span class="p-author">Just A Name</span><a href="{TARGET}">x</a></div>"#
    ));
    assert_eq!(by_name.author.name.as_deref(), Some("Just A Name"));
    assert_eq!(by_name.author.url, None);
    let hostile = found(&format!(
        r#"<div class="h-entry"><span class="p-author h-card"><span class="p-name">{}</span>
           <img class="u-photo" src="javascript:alert(1)"></span><a href="{TARGET}">x</a></div>"#,
        "long ".repeat(100)
    ));
    assert!(hostile.author.name.unwrap().chars().count() <= MAX_NAME_CHARS + 1);
    assert_eq!(hostile.author.photo, None);
}

#[test]
fn json_and_plain_text_sources_mention_exactly() {
    let json = format!(r#"{{"items": [{{"links": ["{TARGET}"]}}]}}"#);
    let reading = read(
        json.as_bytes(),
        Some("application/json"),
        &source(),
        &source(),
        TARGET,
    );
    assert!(matches!(reading, Ok(Reading::Mention(_))));
    let partial = format!(r#"{{"text": "see {TARGET}"}}"#);
    let reading = read(
        partial.as_bytes(),
        Some("application/json"),
        &source(),
        &source(),
        TARGET,
    );
    assert_eq!(reading, Ok(Reading::NoLink));
    let text = format!("see {TARGET} now");
    let reading = read(
        text.as_bytes(),
        Some("text/plain"),
        &source(),
        &source(),
        TARGET,
    );
    assert!(matches!(reading, Ok(Reading::Mention(_))));
    assert!(read(b"\x89PNG", Some("image/png"), &source(), &source(), TARGET).is_err());
}

#[test]
fn a_page_nested_too_deeply_is_refused() {
    let deep = format!(
        "{}<a href=\"{TARGET}\">x</a>",
        "<div>".repeat(MAX_NESTING + 1)
    );
    let refused = read(deep.as_bytes(), None, &source(), &source(), TARGET).unwrap_err();
    assert!(refused.contains("nests"), "{refused}");
}

#[test]
fn dates_in_the_forms_pages_write() {
    for text in [
        "2026-03-04T05:06:07Z",
        "2026-03-04 05:06:07Z",
        "2026-03-04T06:06:07+0100",
        "2026-03-04T05:06:07",
        "2026-03-04 05:06:07.5Z",
    ] {
        assert_eq!(
            parse_date(text)
                .map(|d| d.format("%F %T").to_string())
                .as_deref(),
            Some("2026-03-04 05:06:07"),
            "{text}"
        );
    }
    assert!(parse_date("2026-03-04").is_some());
    assert_eq!(parse_date("yesterday"), None);
}
