//! HTML pages, from the askama templates in `templates/` (compiled into the
//! binary).

use std::sync::LazyLock;

use askama::Template;

use super::feeds::{FeedFormat, site_feed_url};
use super::head::{PageHead, paged_title};
use super::sanitise::sanitise;
use super::{NoteView, TagView};
use crate::config::SiteSettings;
use crate::domain::{
    ContentFormat, NoteWithBody, SearchQuery, content_hash, plain_text, text_of_html,
};

/// The stylesheet, embedded in the binary.
pub fn css() -> &'static [u8] {
    include_bytes!("../../static/style.css")
}

/// A short hash of the stylesheet, put in its URL so browsers may cache it
/// for a year and still get a new one after an upgrade.
pub fn css_version() -> &'static str {
    static VERSION: LazyLock<String> = LazyLock::new(|| content_hash(css())[..12].to_owned());
    &VERSION
}

/// The editor's script (photos dropped, pasted, uploaded as they are
/// chosen, and reordered), embedded in the binary. The editor works
/// without it.
pub fn editor_script() -> &'static [u8] {
    include_bytes!("../../static/editor.js")
}

/// A short hash of the editor's script, for its URL (as the stylesheet's).
pub fn editor_script_version() -> &'static str {
    static VERSION: LazyLock<String> =
        LazyLock::new(|| content_hash(editor_script())[..12].to_owned());
    &VERSION
}

/// What every page needs to know about the site.
pub struct PageContext<'a> {
    pub site: &'a SiteSettings,
}

impl PageContext<'_> {
    /// Links inside pages are absolute paths under the site's own path, so
    /// they work behind a proxy that serves the site under `/blog/`.
    pub fn path(&self, relative: &str) -> String {
        format!("{}{}", self.site.url.path(), relative)
    }

    /// An absolute URL on the site, for links other sites and apps follow
    /// (`rel="micropub"`, the IndieAuth endpoints).
    pub fn absolute(&self, relative: &str) -> String {
        self.site.url.join(relative)
    }

    pub fn css_href(&self) -> String {
        format!(
            "{}static/style.css?v={}",
            self.site.url.path(),
            css_version()
        )
    }

    pub fn editor_script_href(&self) -> String {
        format!(
            "{}static/editor.js?v={}",
            self.site.url.path(),
            editor_script_version()
        )
    }

    /// The site's feeds, RSS first: for `<link rel="alternate">`, the
    /// footer, and the page that says which formats there are.
    pub fn feeds(&self) -> Vec<FeedLink> {
        FeedFormat::ALL
            .iter()
            .map(|&format| FeedLink {
                name: format.name(),
                media_type: format.media_type(),
                href: site_feed_url(self.site, format),
            })
            .collect()
    }

    /// `og:locale`: the language tag with an underscore (`en_GB`).
    pub fn og_locale(&self) -> String {
        self.site.language.replace('-', "_")
    }

    /// The author's name for the h-card: SITE_AUTHOR, else the site's name.
    pub fn author_name(&self) -> &str {
        self.site.author_name()
    }

    /// The author's URL for the h-card: ADMIN_ME, else the site itself.
    pub fn author_url(&self) -> &str {
        self.site.owner_url()
    }
}

/// One of the site's feeds, as pages link it.
pub struct FeedLink {
    /// "RSS", "Atom", "JSON Feed".
    pub name: &'static str,
    pub media_type: &'static str,
    pub href: String,
}

/// `/`: a page of notes, newest first.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub ctx: PageContext<'a>,
    pub notes: Vec<NoteView>,
    pub page: u64,
    /// Link to the page of newer notes, if any.
    pub newer: Option<String>,
    /// Link to the page of older notes, if any.
    pub older: Option<String>,
    /// The fediverse actor, when federation is on.
    pub activitypub: Option<String>,
}

impl HomePage<'_> {
    pub fn canonical(&self) -> String {
        if self.page <= 1 {
            self.ctx.site.url.as_str().to_owned()
        } else {
            self.ctx.site.url.join(&format!("?page={}", self.page))
        }
    }

    /// What `base.html` says about the page in `<head>`.
    pub fn head(&self) -> PageHead {
        let title = paged_title(&self.ctx.site.name, self.page);
        PageHead::page(&self.ctx, self.canonical(), title)
    }
}

/// `/note/{slug}`: one note.
#[derive(Template)]
#[template(path = "note.html")]
pub struct NotePage<'a> {
    pub ctx: PageContext<'a>,
    pub note: NoteView,
    /// What other sites said about it, approved by the owner.
    pub responses: super::ResponsesView,
    /// Whether federation is on: the permalink has an ActivityPub
    /// representation too.
    pub activitypub: bool,
    /// Listed nowhere: search engines are asked not to list it either.
    pub unlisted: bool,
}

impl NotePage<'_> {
    /// What `base.html` says about the page in `<head>`.
    pub fn head(&self) -> PageHead {
        let head = PageHead::page(&self.ctx, self.note.url.clone(), &self.note.title)
            .described(&self.note.excerpt)
            .article();
        if self.unlisted { head.noindex() } else { head }
    }
}

/// 404, 405, 500 and other errors, for browsers.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub ctx: PageContext<'a>,
    pub status: u16,
    pub heading: &'a str,
    pub message: &'a str,
    /// Whether to list the site's feeds (when none was acceptable).
    pub list_feeds: bool,
}

impl ErrorPage<'_> {
    /// What `base.html` says about the page in `<head>`.
    pub fn head(&self) -> PageHead {
        PageHead::error(&self.ctx, self.heading)
    }
}

/// `/tag/{key}`: a page of the published notes with one tag.
#[derive(Template)]
#[template(path = "tag.html")]
pub struct TagPage<'a> {
    pub ctx: PageContext<'a>,
    pub tag: TagView,
    pub notes: Vec<NoteView>,
    pub page: u64,
    pub newer: Option<String>,
    pub older: Option<String>,
}

impl TagPage<'_> {
    /// The tag's own feeds, RSS first.
    pub fn tag_feeds(&self) -> Vec<FeedLink> {
        FeedFormat::ALL
            .iter()
            .map(|&format| FeedLink {
                name: format.name(),
                media_type: format.media_type(),
                href: super::feeds::tag_feed_url(&self.tag, format),
            })
            .collect()
    }

    pub fn canonical(&self) -> String {
        if self.page <= 1 {
            self.tag.url.clone()
        } else {
            format!("{}?page={}", self.tag.url, self.page)
        }
    }

    /// What `base.html` says about the page in `<head>`.
    pub fn head(&self) -> PageHead {
        let title = paged_title(&format!("Notes tagged “{}”", self.tag.name), self.page);
        let description = format!("Notes tagged “{}” on {}", self.tag.name, self.ctx.site.name);
        PageHead::page(&self.ctx, self.canonical(), title).described(description)
    }
}

/// `/tags`: every tag on a published note, with how many notes carry it.
#[derive(Template)]
#[template(path = "tags.html")]
pub struct TagsPage<'a> {
    pub ctx: PageContext<'a>,
    pub tags: Vec<(TagView, i64)>,
}

impl TagsPage<'_> {
    /// What `base.html` says about the page in `<head>`.
    pub fn head(&self) -> PageHead {
        let description = format!("Every topic on {}", self.ctx.site.name);
        PageHead::page(&self.ctx, self.ctx.site.url.join("tags"), "Tags").described(description)
    }
}

/// `/search`: the form, and the notes found for a query.
#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchResultsPage<'a> {
    pub ctx: PageContext<'a>,
    /// The query as typed (tidied), for the box and the heading.
    pub query: &'a str,
    /// Why the query was not run, in words for the visitor.
    pub problem: Option<String>,
    pub hits: Vec<SearchHitView>,
    pub page: u64,
    pub newer: Option<String>,
    pub older: Option<String>,
}

impl SearchResultsPage<'_> {
    /// Its own address, with the query as tidied: one address per search
    /// and page. Search pages are not for indexes, but a preview of a
    /// shared search shows what was searched for.
    pub fn head(&self) -> PageHead {
        let canonical = self.ctx.site.url.join(&search_link(self.query, self.page));
        let title = if self.query.is_empty() {
            "Search".to_owned()
        } else {
            paged_title(&format!("Search results for “{}”", self.query), self.page)
        };
        PageHead::page(&self.ctx, canonical, title).noindex()
    }
}

/// The address of a page of search results, relative to the site.
pub fn search_link(query: &str, page: u64) -> String {
    if query.is_empty() {
        return "search".to_owned();
    }
    let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    if page > 1 {
        format!("search?q={q}&page={page}")
    } else {
        format!("search?q={q}")
    }
}

/// One note found: its address, title and date, and the text around the
/// matched words. Lighter than a [`NoteView`]: the note's HTML is not made
/// unless its title needs it.
pub struct SearchHitView {
    pub url: String,
    pub title: String,
    pub published: chrono::DateTime<chrono::Utc>,
    /// Escaped text with `<mark>` around each matched word.
    pub snippet_html: String,
}

impl SearchHitView {
    pub fn new(site: &SiteSettings, note: &NoteWithBody, query: &SearchQuery) -> SearchHitView {
        let text = note.body.as_str();
        let properties = &note.note.properties;
        let published = note.note.display_date();
        let words = match properties.format {
            ContentFormat::Markdown => plain_text(text),
            ContentFormat::Html => text_of_html(text),
        };
        let mut title = match (&properties.name, properties.format) {
            (Some(name), _) => name.clone(),
            (None, ContentFormat::Markdown) => super::markdown::title_of(text),
            (None, ContentFormat::Html) => super::markdown::title("", &sanitise(text)),
        };
        if title.is_empty() {
            title = format!("Note of {}", published.format("%-d %B %Y, %H:%M"));
        }
        SearchHitView {
            url: site.url.join(&format!("note/{}", note.note.slug)),
            title,
            published,
            snippet_html: super::snippet::snippet_html(&words, query.terms()),
        }
    }

    pub fn published_iso(&self) -> String {
        self.published
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    pub fn published_human(&self) -> String {
        self.published.format("%-d %B %Y").to_string()
    }
}
