//! Reading a target page fetched for sending: its Webmention endpoint
//! (Webmention § 3.1.2: the HTTP `Link` header first, then the first
//! `<link>` or `<a>` with `rel="webmention"` in document order, resolved
//! against the page's final URL), and what it says about itself (title
//! and author) for the `h-cite` of a note that answers it. Pure.

use reqwest::header::{self, HeaderMap};
use scraper::{Html, Selector};
use url::Url;

use super::author::author_of;
use crate::domain::shortened;
use crate::microformats::{self, MAX_NESTING, nests_deeper_than};
use crate::outbound::{first_in_headers, first_link_or_anchor};
use crate::store::Cite;

/// The longest title kept for an `h-cite`, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// The endpoint a page names, if any, as an absolute http(s) URL.
pub fn endpoint(headers: &HeaderMap, body: &[u8], final_url: &Url) -> Option<Url> {
    let links: Vec<String> = headers
        .get_all(header::LINK)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect();
    let written = first_in_headers(&links, "webmention").or_else(|| {
        let html = html_of(headers, body)?;
        first_link_or_anchor(&html, "webmention")
    })?;
    final_url
        .join(written.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
}

/// The page's title and author: its first `h-entry`'s explicit name and
/// author, else its `<title>`.
pub fn cite_of(url: &str, headers: &HeaderMap, body: &[u8], final_url: &Url) -> Cite {
    let mut cite = Cite {
        url: url.to_owned(),
        ..Cite::default()
    };
    let Some(html) = html_of(headers, body) else {
        return cite;
    };
    let document = microformats::parse(&html, final_url);
    let entry = document
        .all_items()
        .into_iter()
        .find(|item| item.has_type("h-entry"));
    if let Some(entry) = entry {
        // A name that is only the whole text is not a title.
        let content = entry.first_text("content").unwrap_or_default();
        cite.title = entry
            .first_text("name")
            .filter(|name| name.trim() != content.trim() && name.chars().count() <= 300)
            .and_then(tidy);
        let author = author_of(Some(entry), &document);
        cite.author_name = author.name;
        cite.author_url = author.url;
    }
    if cite.title.is_none() {
        let title = Selector::parse("title").expect("a valid selector");
        cite.title = Html::parse_document(&html)
            .select(&title)
            .next()
            .and_then(|t| tidy(&t.text().collect::<String>()));
    }
    cite
}

/// The body as HTML text, when the page is HTML (or does not say) and not
/// nested too deeply to parse.
fn html_of(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/html")
        .to_ascii_lowercase();
    if !content_type.contains("html") {
        return None;
    }
    let html = String::from_utf8_lossy(body).into_owned();
    (!nests_deeper_than(&html, MAX_NESTING)).then_some(html)
}

fn tidy(text: &str) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then(|| shortened(&text, MAX_TITLE_CHARS))
}

#[cfg(test)]
mod tests;
