//! Turning notes into what people and feed readers receive. Pure: no I/O.

mod admin;
mod admin_media;
mod apps;
mod context;
mod editor_photos;
mod federation;
mod feeds;
mod head;
pub mod markdown;
mod mentions;
mod pages;
mod photos;
mod responses;
pub mod sanitise;
mod sitemap;
mod snippet;

use chrono::{DateTime, Utc};

pub use admin::{
    AdminNoteRow, ConfirmDelete, Dashboard, Editor, EditorErrors, LoginLinkPage, LoginPage,
};
pub use admin_media::{ConfirmMediaDelete, MediaPage, MediaRow, UserLink};
pub use apps::{AppsPage, ConsentPage, ScopeChoice, TokenRow};
pub use context::ContextView;
pub use editor_photos::{PhotoField, PhotoItem, human_size};
pub use federation::{BlockedPage, DeliveryRow, FollowerRow, FollowersPage};
pub use feeds::{
    FeedChannel, FeedFormat, atom, json_feed, render_feed, rss, site_feed_url, tag_feed_url,
};
pub use head::PageHead;
pub use mentions::{MentionRow, MentionsPage, OutcomeRow, SentPage, SentRow, sent_summary};
pub use pages::{
    ErrorPage, FeedLink, HomePage, NotePage, PageContext, SearchHitView, SearchResultsPage,
    TagPage, TagsPage, css, css_version, editor_script, editor_script_version, search_link,
};
pub use photos::{MediaLookup, PhotoFile, PhotoView, own_uploads};
pub use responses::{CiteView, FaceView, ResponsesView};
pub use sitemap::{SitemapIndex, SitemapLayout, UrlSet, robots_txt, sitemap_part_url};

use crate::config::SiteSettings;
use crate::domain::{ContentFormat, NoteWithBody, Tag};

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
    /// A title the author gave (`name`), shown above the text.
    pub name: Option<String>,
    pub photos: Vec<PhotoView>,
    /// The page it replies to, likes, reposts or bookmarks.
    pub context: Option<ContextView>,
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

/// A note's text as safe HTML, from Markdown or sanitised HTML.
pub fn note_html(note: &NoteWithBody) -> String {
    let text = note.body.as_str();
    let properties = &note.note.properties;
    match properties.format {
        // A like (repost, bookmark) written without text shows none.
        _ if properties.context().is_some_and(|c| c.is_placeholder(text)) => String::new(),
        ContentFormat::Markdown => markdown::to_html(text),
        ContentFormat::Html => sanitise::sanitise(text),
    }
}

/// What a note is called: the title its author gave, else its first line,
/// else its date. `html` is [`note_html`]'s.
pub fn note_title(note: &NoteWithBody, html: &str) -> String {
    let properties = &note.note.properties;
    let title = match (&properties.name, properties.format) {
        (Some(name), _) => name.clone(),
        (None, ContentFormat::Markdown) => markdown::title(note.body.as_str(), html),
        (None, ContentFormat::Html) => markdown::title("", html),
    };
    if title.is_empty() {
        format!(
            "Note of {}",
            note.note.display_date().format("%-d %B %Y, %H:%M")
        )
    } else {
        title
    }
}

impl NoteView {
    /// `media` holds the rows of the site's uploads among the note's
    /// photos (see [`own_uploads`]).
    pub fn new(site: &SiteSettings, note: &NoteWithBody, media: &MediaLookup) -> NoteView {
        let properties = &note.note.properties;
        let context = properties.context();
        let html = note_html(note);
        let published = note.note.display_date();
        let title = note_title(note, &html);
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
            name: properties.name.clone(),
            photos: properties
                .photos
                .iter()
                .map(|photo| PhotoView::new(site, photo, media))
                .collect(),
            context: context.as_ref().map(ContextView::new),
        }
    }

    /// The text's HTML with what it answers and the photos first, for
    /// feeds (pages show those as microformats beside the text instead).
    pub fn html_with_photos(&self) -> String {
        let mut html: String = self.context.iter().map(ContextView::feed_html).collect();
        html.extend(self.photos.iter().map(PhotoView::html));
        html.push_str(&self.html);
        html
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

/// Text made safe in HTML or XML, as element text or inside a quoted
/// attribute.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}
