//! What other sites said about a note, as its page shows it: replies as
//! comments, likes and reposts as a count and a row of faces, bookmarks and
//! mentions as a list. Everything in microformats2 (`u-comment`, `u-like`,
//! `u-repost`, `u-bookmark`, `u-mention`, each an `h-cite` with an
//! `h-card` author), so other sites and readers understand it too.

use chrono::{DateTime, Utc};

use super::sanitise::sanitise_foreign;
use crate::config::SiteSettings;
use crate::domain::{MAX_RESPONSE_CHARS, Response, ResponseKind, shortened};

/// Someone who responded, with their picture as the site keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceView {
    pub name: String,
    /// Their page, else the response itself.
    pub url: String,
    /// `/media/…`: the site's own copy, or none.
    pub photo: Option<String>,
    /// The response (for a like or repost: where it was made).
    pub source: String,
}

/// A reply, a bookmark or a mention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiteView {
    pub author: FaceView,
    pub published: Option<DateTime<Utc>>,
    /// Sanitised HTML, when the whole text fits.
    pub html: Option<String>,
    /// The text, shortened, when it is too long or has no HTML.
    pub text: Option<String>,
    /// Whether the text was cut (the source has the rest).
    pub cut: bool,
}

impl CiteView {
    pub fn published_iso(&self) -> Option<String> {
        self.published
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }

    pub fn published_human(&self) -> Option<String> {
        self.published.map(|at| at.format("%-d %B %Y").to_string())
    }
}

/// Everything shown under a note, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponsesView {
    pub replies: Vec<CiteView>,
    pub likes: Vec<FaceView>,
    pub reposts: Vec<FaceView>,
    pub bookmarks: Vec<CiteView>,
    pub mentions: Vec<CiteView>,
}

impl ResponsesView {
    /// The approved responses to one note, oldest first.
    pub fn new(site: &SiteSettings, responses: &[Response]) -> ResponsesView {
        let mut view = ResponsesView::default();
        for response in responses {
            let face = face(site, response);
            match response.incoming.kind {
                ResponseKind::Like => view.likes.push(face),
                ResponseKind::Repost => view.reposts.push(face),
                ResponseKind::Reply => view.replies.push(cite(face, response)),
                ResponseKind::Bookmark => view.bookmarks.push(cite(face, response)),
                ResponseKind::Mention => view.mentions.push(cite(face, response)),
            }
        }
        view
    }

    pub fn is_empty(&self) -> bool {
        self.replies.is_empty()
            && self.likes.is_empty()
            && self.reposts.is_empty()
            && self.bookmarks.is_empty()
            && self.mentions.is_empty()
    }
}

fn face(site: &SiteSettings, response: &Response) -> FaceView {
    let incoming = &response.incoming;
    let author = &incoming.author;
    let name = author
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| incoming.host.clone());
    FaceView {
        name: shortened(&name, 100),
        url: author.url.clone().unwrap_or_else(|| incoming.url.clone()),
        photo: author
            .photo
            .as_ref()
            .map(|path| site.url.join(&format!("media/{path}"))),
        source: incoming.url.clone(),
    }
}

/// The text of a response: its HTML when the whole of it fits, else its
/// text cut to [`MAX_RESPONSE_CHARS`] with a link to the rest.
fn cite(author: FaceView, response: &Response) -> CiteView {
    let incoming = &response.incoming;
    let text = incoming.content_text.as_deref().unwrap_or("").trim();
    let fits = text.chars().count() <= MAX_RESPONSE_CHARS;
    let base = url::Url::parse(&incoming.url).ok();
    let html = match (incoming.content_html.as_deref(), base) {
        // Sanitised when it was kept, and again here: nothing a source
        // wrote reaches a page unchecked.
        (Some(html), Some(base)) if fits && !html.trim().is_empty() => {
            Some(sanitise_foreign(html, &base))
        }
        _ => None,
    };
    CiteView {
        author,
        published: incoming.published,
        text: (html.is_none() && !text.is_empty()).then(|| shortened(text, MAX_RESPONSE_CHARS)),
        html,
        cut: !fits,
    }
}
