//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>). Optional fields
//! without a value are left out rather than written empty or `null`.

use serde::Serialize;

use super::{FeedChannel, FeedFormat, item_html, rfc3339};
use crate::config::SiteSettings;
use crate::render::NoteView;

pub const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    language: &'a str,
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    summary: &'a str,
    date_published: String,
    date_modified: String,
    /// The first photo, as pages show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
    /// Every photo that is an upload of this site, at full size.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    size_in_bytes: u64,
}

/// The feed for these notes (newest first): each item's `id` is its
/// permalink, `content_html` its full HTML, `tags` the tags' names.
pub fn json_feed(site: &SiteSettings, channel: &FeedChannel, notes: &[NoteView]) -> String {
    let feed = JsonFeed {
        version: JSON_FEED_VERSION,
        title: &channel.title,
        home_page_url: &channel.home_url,
        feed_url: channel.self_url(FeedFormat::Json),
        description: &channel.description,
        language: &site.language,
        authors: vec![Author {
            name: site.author_name(),
            url: site.admin_me.as_deref(),
        }],
        hubs: channel
            .hub
            .iter()
            .map(|url| Hub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items: notes.iter().map(item).collect(),
    };
    let mut text = serde_json::to_string_pretty(&feed).expect("these values always serialise");
    text.push('\n');
    text
}

fn item(note: &NoteView) -> Item<'_> {
    Item {
        id: &note.url,
        url: &note.url,
        title: &note.title,
        content_html: item_html(note),
        summary: &note.excerpt,
        date_published: rfc3339(note.published),
        date_modified: rfc3339(note.updated),
        image: note.photos.first().map(|photo| photo.src.as_str()),
        tags: note.tags.iter().map(|tag| tag.name.as_str()).collect(),
        attachments: note
            .photos
            .iter()
            .filter_map(|photo| {
                let file = photo.file.as_ref()?;
                Some(Attachment {
                    url: &photo.url,
                    mime_type: &file.media_type,
                    size_in_bytes: file.bytes,
                })
            })
            .collect(),
    }
}
