//! Turning notes into what people and feed readers receive. Pure: no I/O.

mod admin;
mod apps;
mod feeds;
pub mod markdown;
mod pages;
pub mod sanitise;
mod sitemap;
mod snippet;

use chrono::{DateTime, Utc};

pub use admin::{
    AdminNoteRow, ConfirmDelete, Dashboard, Editor, EditorErrors, LoginLinkPage, LoginPage,
};
pub use apps::{AppsPage, ConsentPage, ScopeChoice, TokenRow};
pub use feeds::{
    FeedChannel, FeedFormat, atom, json_feed, render_feed, rss, site_feed_url, tag_feed_url,
};
pub use pages::{
    ErrorPage, FeedLink, HomePage, NotePage, PageContext, SearchHitView, SearchResultsPage,
    TagPage, TagsPage, css, css_version,
};
pub use sitemap::{SitemapIndex, SitemapLayout, UrlSet, robots_txt, sitemap_part_url};

use crate::config::SiteSettings;
use crate::domain::{NoteWithBody, Tag};

/// A note prepared for display: its absolute URL, title and safe HTML.
#[derive(Debug, Clone)]
pub struct NoteView {
    pub slug: String,
    pub url: String,
    pub title: String,
    pub excerpt: String,
    pub html: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// In the author's order.
    pub tags: Vec<TagView>,
}

/// A tag as pages and feeds show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagView {
    /// As the author wrote it: "Rust Lang".
    pub name: String,
    /// The URL form: `rust-lang`.
    pub key: String,
    /// Its page: `{SITE_URL}tag/rust-lang`.
    pub url: String,
}

impl TagView {
    pub fn new(site: &SiteSettings, tag: &Tag) -> TagView {
        TagView {
            name: tag.name().to_owned(),
            key: tag.key().to_owned(),
            url: site.url.join(&format!("tag/{}", tag.key())),
        }
    }
}

impl NoteView {
    pub fn new(site: &SiteSettings, note: &NoteWithBody) -> NoteView {
        let markdown = note.body.as_str();
        let html = markdown::to_html(markdown);
        let published = note.note.display_date();
        let mut title = markdown::title(markdown, &html);
        if title.is_empty() {
            title = format!("Note of {}", published.format("%-d %B %Y, %H:%M"));
        }
        NoteView {
            slug: note.note.slug.to_string(),
            url: site.url.join(&format!("note/{}", note.note.slug)),
            title,
            excerpt: markdown::excerpt(&html),
            html,
            published,
            updated: note.note.updated_at,
            tags: note
                .note
                .tags
                .iter()
                .map(|t| TagView::new(site, t))
                .collect(),
        }
    }

    /// For `datetime` attributes.
    pub fn published_iso(&self) -> String {
        self.published
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// When it last changed, for `article:modified_time`.
    pub fn updated_iso(&self) -> String {
        self.updated
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// For people: "23 November 2026".
    pub fn published_human(&self) -> String {
        self.published.format("%-d %B %Y").to_string()
    }
}
