//! The parser against the microformats2 parsing specification's examples
//! and against hostile pages.

use super::*;

fn base() -> Url {
    Url::parse("https://example.com/posts/1").unwrap()
}

fn first_item(html: &str) -> Item {
    parse(html, &base())
        .items
        .into_iter()
        .next()
        .expect("an item")
}

fn texts(item: &Item, name: &str) -> Vec<String> {
    item.values(name)
        .iter()
        .map(|v| v.text().to_owned())
        .collect()
}

#[test]
fn an_h_card_link_implies_its_name_and_url() {
    // The specification's first example.
    let card = first_item(r#"<a class="h-card" href="http://benward.me">Ben Ward</a>"#);
    assert_eq!(card.types, ["h-card"]);
    assert_eq!(texts(&card, "name"), ["Ben Ward"]);
    assert_eq!(texts(&card, "url"), ["http://benward.me/"]);
}

#[test]
fn an_image_implies_name_and_photo_and_relative_urls_resolve() {
    let card = first_item(r#"<img class="h-card" src="/me.png" alt="Jane Doe">"#);
    assert_eq!(texts(&card, "name"), ["Jane Doe"]);
    assert_eq!(texts(&card, "photo"), ["https://example.com/me.png"]);
    let nested =
        first_item(r#"<div class="h-card"><a href="/jane"><img src="j.png" alt="Jane"></a></div>"#);
    assert_eq!(texts(&nested, "name"), ["Jane"]);
    assert_eq!(texts(&nested, "photo"), ["https://example.com/posts/j.png"]);
    assert_eq!(texts(&nested, "url"), ["https://example.com/jane"]);
}

#[test]
fn an_entry_reads_each_kind_of_property() {
    let entry = first_item(
        r#"<article class="h-entry">
             <h1 class="p-name">Hello</h1>
             <div class="e-content"><p>Hi <b>there</b><script>x()</script></p></div>
             <a class="u-url" href="/post/1">link</a>
             <time class="dt-published" datetime="2026-01-02T03:04:05Z">2 Jan</time>
             <a class="p-author h-card" href="https://alice.example/">Alice</a>
             <a class="u-in-reply-to" href="https://bob.example/note">re</a>
             <data class="p-rating" value="5">five</data>
           </article>"#,
    );
    assert_eq!(texts(&entry, "name"), ["Hello"]);
    let PropertyValue::Html { html, text } = &entry.values("content")[0] else {
        panic!("e-content is HTML")
    };
    assert!(html.contains("<b>there</b>"), "{html}");
    assert_eq!(text, "Hi there", "no script text");
    assert_eq!(texts(&entry, "url"), ["https://example.com/post/1"]);
    assert_eq!(texts(&entry, "published"), ["2026-01-02T03:04:05Z"]);
    assert_eq!(texts(&entry, "in-reply-to"), ["https://bob.example/note"]);
    assert_eq!(texts(&entry, "rating"), ["5"]);
    let author = entry.values("author")[0].item().expect("a nested h-card");
    assert_eq!(author.types, ["h-card"]);
    assert_eq!(author.value.as_deref(), Some("Alice"));
    assert_eq!(texts(author, "url"), ["https://alice.example/"]);
    // Explicit properties mean no implied name from the whole text.
    assert_eq!(entry.values("name").len(), 1);
}

#[test]
fn a_nested_u_property_takes_the_url_as_its_value() {
    let entry = first_item(
        r#"<div class="h-entry">
             <div class="u-like-of h-cite">
               <a class="u-url p-name" href="https://target.example/a">A post</a>
               by <span class="p-author h-card">Tam</span>
             </div>
           </div>"#,
    );
    let cite = &entry.values("like-of")[0];
    assert_eq!(cite.text(), "https://target.example/a");
    let cite = cite.item().expect("an h-cite");
    assert_eq!(texts(cite, "name"), ["A post"]);
    assert_eq!(cite.values("author")[0].text(), "Tam");
}

#[test]
fn microformats_without_a_property_class_are_children() {
    let document = parse(
        r#"<div class="h-feed"><h1 class="p-name">Posts</h1>
             <div class="h-entry"><p class="p-name">One</p></div>
             <div class="h-entry"><p class="p-name">Two</p></div>
           </div>
           <div class="h-card"><span class="p-name">Owner</span></div>"#,
        &base(),
    );
    assert_eq!(document.items.len(), 2);
    let feed = &document.items[0];
    assert_eq!(feed.children.len(), 2);
    assert_eq!(texts(&feed.children[1], "name"), ["Two"]);
    let all: Vec<&str> = document
        .all_items()
        .iter()
        .map(|i| i.types[0].as_str())
        .collect();
    assert_eq!(all, ["h-feed", "h-entry", "h-entry", "h-card"]);
}

#[test]
fn the_value_class_pattern_joins_a_date_and_a_time() {
    let entry = first_item(
        r#"<div class="h-entry"><p class="p-name">x</p>
             <span class="dt-published"><span class="value">2026-01-02</span> at
             <span class="value">10:30</span><span class="value">Z</span></span>
             <span class="p-summary"><span class="value">A</span> and <b class="value">B</b></span>
             <span class="dt-updated"><span class="value-title" title="2026-02-03"></span>3 Feb</span>
           </div>"#,
    );
    assert_eq!(texts(&entry, "published"), ["2026-01-02 10:30Z"]);
    assert_eq!(texts(&entry, "summary"), ["AB"]);
    assert_eq!(texts(&entry, "updated"), ["2026-02-03"]);
}

#[test]
fn rels_are_absolute_and_by_token() {
    let document = parse(
        r#"<head><base href="https://cdn.example/base/"><link rel="Author me" href="/about"></head>
           <body><a rel="author" href="other">x</a><a rel="nofollow" href="https://n.example/">y</a>
           <span class="h-card"><a class="u-url" href="about">me</a></span></body>"#,
        &base(),
    );
    assert_eq!(
        document.rels["author"],
        [
            "https://cdn.example/about",
            "https://cdn.example/base/other"
        ]
    );
    assert_eq!(document.rel("me"), Some("https://cdn.example/about"));
    assert_eq!(
        texts(&document.items[0], "url"),
        ["https://cdn.example/base/about"]
    );
}

#[test]
fn comments_and_invalid_class_names_are_not_microformats() {
    let document = parse(
        r#"<!-- <div class="h-entry"><p class="p-name">hidden</p></div> -->
           <div class="h-Entry h- hentry"><p class="p-name">old style</p></div>
           <div class="h-entry"><p class="p-Name p-">x</p></div>"#,
        &base(),
    );
    assert_eq!(document.items.len(), 1);
    assert_eq!(texts(&document.items[0], "name"), ["x"], "implied");
}

#[test]
fn deep_and_wide_hostile_pages_are_bounded() {
    let deep = format!(
        "{}<div class=\"h-entry\"><p class=\"p-name\">deep</p></div>{}",
        "<div>".repeat(200_000),
        "</div>".repeat(200_000)
    );
    assert!(parse(&deep, &base()).items.is_empty());
    let wide = "<span class=\"h-card\">x</span>".repeat(MAX_ITEMS + 500);
    assert_eq!(parse(&wide, &base()).items.len(), MAX_ITEMS);
    let nested_cards = format!(
        "{}{}",
        "<div class=\"h-card p-author\">".repeat(1_000),
        "</div>".repeat(1_000)
    );
    assert!(parse(&nested_cards, &base()).all_items().len() <= MAX_DEPTH + 1);
}
