//! The feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1, all from one list of
//! notes and one description of the feed, so that every format carries
//! the same items in the same order.

mod atom;
mod json;
mod rss;

use chrono::{DateTime, SubsecRound, Utc};

pub use atom::atom;
pub use json::json_feed;
pub use rss::rss;

use super::NoteView;
use super::sanitise::with_absolute_urls;
use crate::config::SiteSettings;

/// The formats every feed is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedFormat {
    Rss,
    Atom,
    Json,
}

impl FeedFormat {
    /// In the order pages list them, which is also the order of preference
    /// when a client accepts several equally.
    pub const ALL: [FeedFormat; 3] = [FeedFormat::Rss, FeedFormat::Atom, FeedFormat::Json];

    /// The ending of the feed's address: `feed.xml`, `feed.atom`, `feed.json`.
    pub fn extension(self) -> &'static str {
        match self {
            FeedFormat::Rss => "xml",
            FeedFormat::Atom => "atom",
            FeedFormat::Json => "json",
        }
    }

    /// The registered media type, for `type` attributes and `Accept`.
    pub fn media_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml",
            FeedFormat::Atom => "application/atom+xml",
            FeedFormat::Json => "application/feed+json",
        }
    }

    /// The `Content-Type` the feed is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml; charset=utf-8",
            FeedFormat::Atom => "application/atom+xml; charset=utf-8",
            FeedFormat::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The format served at an address ending in `.{extension}`.
    pub fn from_extension(extension: &str) -> Option<FeedFormat> {
        FeedFormat::ALL
            .into_iter()
            .find(|f| f.extension() == extension)
    }

    /// For people: "RSS", "Atom", "JSON Feed".
    pub fn name(self) -> &'static str {
        match self {
            FeedFormat::Rss => "RSS",
            FeedFormat::Atom => "Atom",
            FeedFormat::Json => "JSON Feed",
        }
    }
}

/// The site's own feed in `format`: `{SITE_URL}feed.xml` and its siblings.
pub fn site_feed_url(site: &SiteSettings, format: FeedFormat) -> String {
    format!("{}.{}", site_feed_address(site), format.extension())
}

fn site_feed_address(site: &SiteSettings) -> String {
    site.url.join("feed")
}

/// A tag's feed in `format`: `{SITE_URL}tag/rust/feed.xml` and siblings.
pub fn tag_feed_url(tag: &super::TagView, format: FeedFormat) -> String {
    format!("{}.{}", tag_feed_address(tag), format.extension())
}

fn tag_feed_address(tag: &super::TagView) -> String {
    format!("{}/feed", tag.url)
}

/// What a feed is about, whatever its format: the site's own feed, and
/// later each tag's.
#[derive(Debug, Clone)]
pub struct FeedChannel {
    pub title: String,
    /// One line about the feed; empty for none.
    pub description: String,
    /// The page the feed mirrors (`rel="alternate"`, `home_page_url`). It
    /// is also the Atom feed's `id`: one page, one feed, for good.
    pub home_url: String,
    /// The feed's address without its ending: `{SITE_URL}feed` is served
    /// as `feed.xml`, `feed.atom` and `feed.json`.
    pub address: String,
    /// The WebSub hub the feed names, if any.
    pub hub: Option<String>,
    /// The last change of the data, for `lastBuildDate` and `updated`.
    pub updated: DateTime<Utc>,
}

impl FeedChannel {
    /// The site's feed: every published note.
    pub fn site(
        site: &SiteSettings,
        hub: Option<&url::Url>,
        updated: DateTime<Utc>,
    ) -> FeedChannel {
        FeedChannel {
            title: site.name.clone(),
            description: site.description.clone(),
            home_url: site.url.as_str().to_owned(),
            address: site_feed_address(site),
            hub: hub.map(|url| url.as_str().to_owned()),
            updated,
        }
    }

    /// One tag's feed: its published notes, at `{tag page}/feed.xml` etc.
    pub fn tag(
        site: &SiteSettings,
        tag: &super::TagView,
        hub: Option<&url::Url>,
        updated: DateTime<Utc>,
    ) -> FeedChannel {
        FeedChannel {
            title: format!("{}: {}", site.name, tag.name),
            description: format!("Notes tagged “{}” on {}", tag.name, site.name),
            home_url: tag.url.clone(),
            address: tag_feed_address(tag),
            hub: hub.map(|url| url.as_str().to_owned()),
            updated,
        }
    }

    /// The feed's own address in `format` (`rel="self"`, `feed_url`).
    pub fn self_url(&self, format: FeedFormat) -> String {
        format!("{}.{}", self.address, format.extension())
    }
}

/// The feed in `format` for these notes (newest first). Everything in it
/// comes from the data, so the bytes stay identical until a note changes.
pub fn render_feed(
    format: FeedFormat,
    site: &SiteSettings,
    channel: &FeedChannel,
    notes: &[NoteView],
) -> String {
    match format {
        FeedFormat::Rss => rss(site, channel, notes),
        FeedFormat::Atom => atom(site, channel, notes),
        FeedFormat::Json => json_feed(site, channel, notes),
    }
}

/// The note's HTML with absolute URLs: a feed reader shows it away from the
/// site and cannot resolve `/static/a.png` or `other`. They are resolved
/// against the note's permalink, exactly as a browser does on the note's own
/// page (the page has no `<base>`), so `other` is a sibling note and
/// `/x` is at the root of the host, even when the site lives under `/blog/`.
fn item_html(note: &NoteView) -> String {
    match url::Url::parse(&note.url) {
        Ok(permalink) => with_absolute_urls(&note.html_with_photos(), &permalink),
        // The permalink is built from SITE_URL, which parsed as a URL.
        Err(_) => note.html_with_photos(),
    }
}

/// What made the feed, for RSS's `generator`.
fn generator() -> String {
    format!("StarPunk {}", env!("CARGO_PKG_VERSION"))
}

/// An RFC 3339 date in whole seconds and UTC (`2026-11-24T10:00:00Z`), as
/// Atom and JSON Feed write it: the same instant as RSS's RFC 2822 date.
fn rfc3339(date: DateTime<Utc>) -> String {
    date.trunc_subsecs(0)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
pub(super) mod tests;
