//! The renderers on hand-made notes: tags, the hub, optional fields.

use chrono::{TimeZone, Utc};

use super::*;
use crate::domain::{ProfileUrl, SiteUrl};
use crate::render::TagView;

pub(crate) fn site() -> SiteSettings {
    SiteSettings {
        url: SiteUrl::parse("https://example.com/blog/").unwrap(),
        name: "Example & Co".into(),
        description: "Notes <here>".into(),
        author: "Ada".into(),
        admin_me: Some(ProfileUrl::parse("https://ada.example/").unwrap()),
        language: "en-GB".into(),
    }
}

pub(crate) fn note(slug: &str, tags: &[(&str, &str)]) -> NoteView {
    NoteView {
        slug: slug.into(),
        url: format!("https://example.com/blog/note/{slug}"),
        title: format!("Title of {slug}"),
        excerpt: format!("Excerpt of {slug}"),
        html: "<p>See <a href=\"other\">this</a> &amp; <img src=\"/a.png\" alt=\"a\"></p>".into(),
        published: Utc.with_ymd_and_hms(2026, 11, 20, 8, 30, 15).unwrap(),
        updated: Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
            + chrono::Duration::milliseconds(250),
        tags: tags
            .iter()
            .map(|(name, key)| TagView {
                name: (*name).into(),
                key: (*key).into(),
                url: format!("https://example.com/blog/tag/{key}"),
            })
            .collect(),
        name: None,
        photos: Vec::new(),
        context: None,
    }
}

fn channel(hub: Option<&str>) -> FeedChannel {
    let hub = hub.map(|h| url::Url::parse(h).unwrap());
    let changed = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    FeedChannel::site(&site(), hub.as_ref(), changed)
}

fn notes() -> Vec<NoteView> {
    vec![
        note("newer", &[("Rust Lang", "rust-lang"), ("Web", "web")]),
        note("older", &[]),
    ]
}

#[test]
fn the_site_feed_lives_at_feed_with_each_ending() {
    let channel = channel(None);
    assert_eq!(
        FeedFormat::ALL.map(|f| channel.self_url(f)),
        [
            "https://example.com/blog/feed.xml",
            "https://example.com/blog/feed.atom",
            "https://example.com/blog/feed.json"
        ]
    );
    assert_eq!(
        site_feed_url(&site(), FeedFormat::Atom),
        channel.self_url(FeedFormat::Atom)
    );
    assert_eq!(channel.home_url, "https://example.com/blog/");
}

#[test]
fn rss_has_a_category_per_tag_with_the_tag_page_as_domain() {
    let xml = rss(&site(), &channel(None), &notes());
    let parsed = ::rss::Channel::read_from(xml.as_bytes()).unwrap();
    let categories: Vec<_> = parsed.items()[0]
        .categories()
        .iter()
        .map(|c| (c.name(), c.domain()))
        .collect();
    assert_eq!(
        categories,
        vec![
            ("Rust Lang", Some("https://example.com/blog/tag/rust-lang")),
            ("Web", Some("https://example.com/blog/tag/web")),
        ]
    );
    assert!(parsed.items()[1].categories().is_empty());
    assert!(!xml.contains("rel=\"hub\""));
}

#[test]
fn atom_has_the_feed_and_entry_metadata() {
    let xml = atom(&site(), &channel(None), &notes());
    assert!(xml.starts_with("<?xml version=\"1.0\"?>"), "{xml}");
    let feed = atom_syndication::Feed::read_from(xml.as_bytes()).unwrap();
    assert_eq!(feed.id(), "https://example.com/blog/");
    assert_eq!(feed.title().as_str(), "Example & Co");
    assert_eq!(feed.subtitle().map(|t| t.as_str()), Some("Notes <here>"));
    assert_eq!(feed.updated().to_rfc3339(), "2026-11-22T10:00:00+00:00");
    assert_eq!(feed.lang(), Some("en-GB"));
    let author = &feed.authors()[0];
    assert_eq!(
        (author.name(), author.uri()),
        ("Ada", Some("https://ada.example/"))
    );
    let links: Vec<_> = feed
        .links()
        .iter()
        .map(|l| (l.rel(), l.href(), l.mime_type()))
        .collect();
    assert_eq!(
        links,
        vec![
            (
                "self",
                "https://example.com/blog/feed.atom",
                Some("application/atom+xml")
            ),
            ("alternate", "https://example.com/blog/", Some("text/html")),
        ]
    );
    assert_eq!(feed.generator().unwrap().value(), "StarPunk");

    let entry = &feed.entries()[0];
    assert_eq!(entry.id(), "https://example.com/blog/note/newer");
    assert_eq!(entry.title().as_str(), "Title of newer");
    assert_eq!(
        entry.published().unwrap().to_rfc3339(),
        "2026-11-20T08:30:15+00:00"
    );
    assert_eq!(entry.updated().to_rfc3339(), "2026-11-21T09:00:00+00:00");
    assert_eq!(entry.links()[0].rel(), "alternate");
    assert_eq!(entry.links()[0].href(), entry.id());
    let content = entry.content().unwrap();
    assert_eq!(content.content_type(), Some("html"));
    assert_eq!(
        content.value(),
        Some(
            "<p>See <a href=\"https://example.com/blog/note/other\">this</a> &amp; \
             <img src=\"https://example.com/a.png\" alt=\"a\"></p>"
        )
    );
    assert_eq!(
        entry.summary().map(|t| t.as_str()),
        Some("Excerpt of newer")
    );
    let categories: Vec<_> = entry
        .categories()
        .iter()
        .map(|c| (c.term(), c.label()))
        .collect();
    assert_eq!(
        categories,
        vec![("rust-lang", Some("Rust Lang")), ("web", Some("Web"))]
    );
    assert!(feed.entries()[1].categories().is_empty());
}

#[test]
fn atom_leaves_out_what_is_not_set() {
    let mut site = site();
    site.author = String::new();
    site.admin_me = None;
    let mut channel = channel(None);
    channel.description = String::new();
    let mut quiet = note("quiet", &[]);
    quiet.excerpt = String::new();
    let xml = atom(&site, &channel, &[quiet]);
    let feed = atom_syndication::Feed::read_from(xml.as_bytes()).unwrap();
    assert!(feed.subtitle().is_none());
    assert_eq!(feed.authors()[0].name(), "Example & Co", "the site's name");
    assert!(feed.authors()[0].uri().is_none());
    assert!(feed.entries()[0].summary().is_none());
    assert!(!xml.contains("<summary"), "{xml}");
}

#[test]
fn json_feed_follows_version_1_1() {
    let text = json_feed(&site(), &channel(None), &notes());
    let feed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["title"], "Example & Co");
    assert_eq!(feed["home_page_url"], "https://example.com/blog/");
    assert_eq!(feed["feed_url"], "https://example.com/blog/feed.json");
    assert_eq!(feed["description"], "Notes <here>");
    assert_eq!(feed["language"], "en-GB");
    assert_eq!(
        feed["authors"],
        serde_json::json!([{"name": "Ada", "url": "https://ada.example/"}])
    );
    assert!(feed.get("hubs").is_none());
    let item = &feed["items"][0];
    assert_eq!(item["id"], "https://example.com/blog/note/newer");
    assert_eq!(item["url"], item["id"]);
    assert_eq!(item["title"], "Title of newer");
    assert!(
        item["content_html"]
            .as_str()
            .unwrap()
            .contains("src=\"https://example.com/a.png\"")
    );
    assert_eq!(item["summary"], "Excerpt of newer");
    assert_eq!(item["date_published"], "2026-11-20T08:30:15Z");
    assert_eq!(item["date_modified"], "2026-11-21T09:00:00Z");
    assert_eq!(item["tags"], serde_json::json!(["Rust Lang", "Web"]));
    assert!(feed["items"][1].get("tags").is_none(), "no empty list");
}

#[test]
fn json_feed_leaves_out_what_is_not_set() {
    let mut site = site();
    site.admin_me = None;
    let mut channel = channel(None);
    channel.description = String::new();
    let mut quiet = note("quiet", &[]);
    quiet.excerpt = String::new();
    let text = json_feed(&site, &channel, &[quiet]);
    assert!(!text.contains("null") && !text.contains("\"\""), "{text}");
    let feed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(feed.get("description").is_none());
    assert_eq!(feed["authors"], serde_json::json!([{"name": "Ada"}]));
    assert!(feed["items"][0].get("summary").is_none());
}

#[test]
fn a_hub_is_named_in_every_format() {
    let channel = channel(Some("https://hub.example/"));
    let xml = rss(&site(), &channel, &notes());
    let parsed = ::rss::Channel::read_from(xml.as_bytes()).unwrap();
    let links: Vec<_> = parsed
        .atom_ext()
        .unwrap()
        .links()
        .iter()
        .map(|l| (l.rel(), l.href()))
        .collect();
    assert_eq!(
        links,
        vec![
            ("self", "https://example.com/blog/feed.xml"),
            ("hub", "https://hub.example/"),
        ]
    );

    let xml = atom(&site(), &channel, &notes());
    let feed = atom_syndication::Feed::read_from(xml.as_bytes()).unwrap();
    let hubs: Vec<_> = feed
        .links()
        .iter()
        .filter(|l| l.rel() == "hub")
        .map(|l| l.href())
        .collect();
    assert_eq!(hubs, vec!["https://hub.example/"]);

    let feed: serde_json::Value =
        serde_json::from_str(&json_feed(&site(), &channel, &notes())).unwrap();
    assert_eq!(
        feed["hubs"],
        serde_json::json!([{"type": "WebSub", "url": "https://hub.example/"}])
    );
}

#[test]
fn every_format_lists_the_same_notes_in_the_same_order() {
    let channel = channel(None);
    let rss_ids: Vec<String> = ::rss::Channel::read_from(
        render_feed(FeedFormat::Rss, &site(), &channel, &notes()).as_bytes(),
    )
    .unwrap()
    .items()
    .iter()
    .map(|i| i.guid().unwrap().value().to_owned())
    .collect();
    let atom_ids: Vec<String> = atom_syndication::Feed::read_from(
        render_feed(FeedFormat::Atom, &site(), &channel, &notes()).as_bytes(),
    )
    .unwrap()
    .entries()
    .iter()
    .map(|e| e.id().to_owned())
    .collect();
    let json: serde_json::Value =
        serde_json::from_str(&render_feed(FeedFormat::Json, &site(), &channel, &notes())).unwrap();
    let json_ids: Vec<String> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rss_ids, atom_ids);
    assert_eq!(rss_ids, json_ids);
    assert_eq!(rss_ids.len(), 2);
}
