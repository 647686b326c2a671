//! Reading a fetched source: does it link to the target (in its markup,
//! not in its text), and if so, what it is: a reply, a like, a repost, a
//! bookmark or a mention, by whom, saying what (microformats2 `h-entry`,
//! with authorship by the IndieWeb authorship algorithm). Pure.

use chrono::{DateTime, Utc};
use scraper::{Html, Selector};
use url::Url;

#[cfg(test)]
use super::author::MAX_NAME_CHARS;
use super::author::{FoundAuthor, author_of};
use crate::domain::ResponseKind;
use crate::microformats::{self, Document, Item, MAX_NESTING, PropertyValue, nests_deeper_than};

/// The most link-bearing elements looked at in one source.
pub const MAX_LINKS: usize = 20_000;

/// What a source says about the target.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// It does not link to the target.
    NoLink,
    Mention(Found),
}

/// A source that links to the target, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub kind: ResponseKind,
    /// Where a reader goes to see it.
    pub url: String,
    pub author: FoundAuthor,
    /// As written (sanitised when kept).
    pub content_html: Option<String>,
    pub content_text: Option<String>,
    pub published: Option<DateTime<Utc>>,
}

/// Reads a source served from `base` (after redirects) with `content_type`.
/// An error says why the source cannot be read at all.
pub fn read(
    body: &[u8],
    content_type: Option<&str>,
    base: &Url,
    source: &Url,
    target: &str,
) -> Result<Reading, String> {
    let target = Url::parse(target).map_err(|e| format!("the target is not a URL: {e}"))?;
    let kind = content_type.unwrap_or("text/html").to_ascii_lowercase();
    let text = String::from_utf8_lossy(body);
    if kind.contains("json") {
        let json: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| "the source is not valid JSON".to_owned())?;
        return Ok(plain_mention(json_has(&json, target.as_str()), source));
    }
    if kind.starts_with("text/plain") {
        return Ok(plain_mention(text.contains(target.as_str()), source));
    }
    if !kind.contains("html") {
        return Err(format!(
            "the source is {kind}, not HTML, JSON or plain text"
        ));
    }
    if nests_deeper_than(&text, MAX_NESTING) {
        return Err(format!(
            "the source's HTML nests elements more than {MAX_NESTING} deep"
        ));
    }
    let document = microformats::parse(&text, base);
    let entry = entry_for(&document, base, &target);
    let kind = entry.map_or(ResponseKind::Mention, |e| kind_of(e, base, &target));
    if kind == ResponseKind::Mention && !links_in_markup(&text, base, &target) {
        return Ok(Reading::NoLink);
    }
    let (content_html, content_text) = entry.map_or((None, None), content_of);
    Ok(Reading::Mention(Found {
        kind,
        url: entry
            .and_then(|e| e.first_text("url"))
            .filter(|url| same_host(url, source))
            .map_or_else(|| source.to_string(), str::to_owned),
        author: author_of(entry, &document),
        content_html,
        content_text,
        published: entry
            .and_then(|e| e.first_text("published"))
            .and_then(parse_date),
    }))
}

fn plain_mention(found: bool, source: &Url) -> Reading {
    if !found {
        return Reading::NoLink;
    }
    Reading::Mention(Found {
        kind: ResponseKind::Mention,
        url: source.to_string(),
        author: FoundAuthor::default(),
        content_html: None,
        content_text: None,
        published: None,
    })
}

fn json_has(value: &serde_json::Value, target: &str) -> bool {
    match value {
        serde_json::Value::String(text) => text == target,
        serde_json::Value::Array(values) => values.iter().any(|v| json_has(v, target)),
        serde_json::Value::Object(map) => map.values().any(|v| json_has(v, target)),
        _ => false,
    }
}

/// Whether an `a[href]`, `img[src]`, or a `video`, `audio` or `source`
/// `[src]` points at the target, once resolved against the page.
fn links_in_markup(html: &str, base: &Url, target: &Url) -> bool {
    let document = Html::parse_document(html);
    let base = &microformats::document_base(&document, base);
    let selector = Selector::parse("a[href], img[src], video[src], audio[src], source[src]")
        .expect("a valid selector");
    document.select(&selector).take(MAX_LINKS).any(|element| {
        let attribute = if element.value().name() == "a" {
            "href"
        } else {
            "src"
        };
        element
            .attr(attribute)
            .is_some_and(|url| same_url(url, base, target))
    })
}

/// Whether `url` (resolved against `base`) is `target`, fragments aside.
pub fn same_url(url: &str, base: &Url, target: &Url) -> bool {
    let Ok(mut url) = base.join(url.trim()) else {
        return false;
    };
    let mut target = target.clone();
    url.set_fragment(None);
    target.set_fragment(None);
    url == target
}

fn same_host(url: &str, source: &Url) -> bool {
    Url::parse(url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str() == source.host_str())
}

/// The properties by which an entry answers a page, in the order a kind
/// is decided.
const ANSWERS: [(&str, ResponseKind); 4] = [
    ("in-reply-to", ResponseKind::Reply),
    ("repost-of", ResponseKind::Repost),
    ("like-of", ResponseKind::Like),
    ("bookmark-of", ResponseKind::Bookmark),
];

/// The `h-entry` that answers the target, else the page's first one.
fn entry_for<'a>(document: &'a Document, base: &Url, target: &Url) -> Option<&'a Item> {
    let entries: Vec<&Item> = document
        .all_items()
        .into_iter()
        .filter(|item| item.has_type("h-entry"))
        .collect();
    entries
        .iter()
        .find(|entry| kind_of(entry, base, target) != ResponseKind::Mention)
        .or_else(|| entries.first())
        .copied()
}

fn kind_of(entry: &Item, base: &Url, target: &Url) -> ResponseKind {
    ANSWERS
        .into_iter()
        .find(|(property, _)| {
            entry
                .values(property)
                .iter()
                .any(|value| value_names(value, base, target))
        })
        .map_or(ResponseKind::Mention, |(_, kind)| kind)
}

/// Whether a property's value is the target: a URL, or an `h-cite` whose
/// value or `url` is.
fn value_names(value: &PropertyValue, base: &Url, target: &Url) -> bool {
    if same_url(value.text(), base, target) {
        return true;
    }
    value.item().is_some_and(|item| {
        item.values("url")
            .iter()
            .any(|url| same_url(url.text(), base, target))
    })
}

/// The entry's content (HTML and text), else its summary as text.
fn content_of(entry: &Item) -> (Option<String>, Option<String>) {
    if let Some(PropertyValue::Html { html, text }) = entry.values("content").first() {
        return (Some(html.clone()), Some(collapse(text)));
    }
    let text = entry
        .first_text("content")
        .or_else(|| entry.first_text("summary"))
        .map(collapse);
    (None, text)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A `dt-published` as pages write it: RFC 3339, with a space for the `T`,
/// a zone without a colon, or no zone (read as UTC), or a date alone.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim().replacen(' ', "T", 1);
    if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(at) = DateTime::parse_from_str(&text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    let text = text.trim_end_matches('Z');
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

#[cfg(test)]
mod tests;
