//! Who wrote an entry, by the IndieWeb authorship algorithm, within the
//! one page fetched: the entry's `author` (an `h-card`, a URL or a name),
//! else the author of the `h-feed` it is in, else the page's `rel=author`
//! (with the `h-card` that has that URL, if any), else the page's first
//! `h-card`.

use crate::domain::{is_web_url, shortened};
use crate::microformats::{Document, Item, PropertyValue};

/// The longest author name kept, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// An author as the source names them; the photo is the other site's
/// address, to be copied, never shown as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundAuthor {
    pub name: Option<String>,
    pub url: Option<String>,
    pub photo: Option<String>,
}

pub fn author_of(entry: Option<&Item>, document: &Document) -> FoundAuthor {
    let from_entry = entry.and_then(|entry| {
        entry
            .values("author")
            .first()
            .or_else(|| feed_author(entry, document))
    });
    if let Some(value) = from_entry {
        return match value {
            PropertyValue::Item(card) => from_card(card),
            other => from_text(other.text(), document),
        };
    }
    if let Some(url) = document.rel("author") {
        return from_text(url, document);
    }
    document
        .items
        .iter()
        .find(|item| item.has_type("h-card"))
        .map(from_card)
        .unwrap_or_default()
}

/// The `author` of the `h-feed` that holds `entry`.
fn feed_author<'a>(entry: &Item, document: &'a Document) -> Option<&'a PropertyValue> {
    document
        .all_items()
        .into_iter()
        .filter(|item| item.has_type("h-feed"))
        .find(|feed| feed.children.iter().any(|child| child == entry))
        .and_then(|feed| feed.values("author").first())
}

/// An author given as text: a URL (with the page's `h-card` for it, if
/// there is one), or a name.
fn from_text(text: &str, document: &Document) -> FoundAuthor {
    if !is_web_url(text) {
        return FoundAuthor {
            name: name(text),
            ..FoundAuthor::default()
        };
    }
    let card = document.all_items().into_iter().find(|item| {
        item.has_type("h-card")
            && item
                .values("url")
                .iter()
                .chain(item.values("uid"))
                .any(|url| url.text() == text)
    });
    match card {
        Some(card) => FoundAuthor {
            url: Some(text.to_owned()),
            ..from_card(card)
        },
        None => FoundAuthor {
            url: Some(text.to_owned()),
            ..FoundAuthor::default()
        },
    }
}

fn from_card(card: &Item) -> FoundAuthor {
    FoundAuthor {
        name: card.first_text("name").and_then(name),
        url: card
            .first_text("url")
            .filter(|u| is_web_url(u))
            .map(str::to_owned),
        photo: card
            .first_text("photo")
            .filter(|u| is_web_url(u))
            .map(str::to_owned),
    }
}

fn name(text: &str) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then(|| shortened(&text, MAX_NAME_CHARS))
}
