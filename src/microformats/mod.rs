//! A small microformats2 parser: what reading another site's page needs
//! (a reply's `h-entry`, its author's `h-card`, an `h-cite`), not the whole
//! specification. Items (`h-*`), their `p-`, `u-`, `dt-` and `e-`
//! properties, microformats nested as property values or as children,
//! implied `name`, `photo` and `url`, the basics of the value-class pattern,
//! and the page's `rel` links.
//!
//! The pages come from anywhere, so everything is bounded: the depth of
//! elements looked into and the number of items made.

mod depth;
mod values;

use std::collections::BTreeMap;

use scraper::{ElementRef, Html, Selector};
use url::Url;

pub use depth::{MAX_NESTING, nests_deeper_than};
use values::{dt_value, implied, p_value, text_of, u_value};

/// Elements deeper than this are not looked into: a page nested a
/// hundred thousand levels deep is hostile, not a blog.
pub const MAX_DEPTH: usize = 100;
/// The most items one page may yield (nested ones included).
pub const MAX_ITEMS: usize = 1000;

/// A parsed page: its top-level items and its `rel` links.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    pub items: Vec<Item>,
    /// Each relation (lower case) → the absolute URLs that have it, in
    /// document order.
    pub rels: BTreeMap<String, Vec<String>>,
}

/// One microformat: `h-entry`, `h-card`, `h-cite` ….
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// Its types, sorted: `["h-entry"]`.
    pub types: Vec<String>,
    pub properties: BTreeMap<String, Vec<PropertyValue>>,
    /// Microformats inside it that are not property values.
    pub children: Vec<Item>,
    /// For an item that is a property's value: that property's plain value
    /// (the item's name for `p-`, its URL for `u-`).
    pub value: Option<String>,
}

/// One value of a property.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// `p-`, `u-` (absolute), `dt-`.
    Text(String),
    /// `e-`: the element's inner HTML, as written, and its text.
    Html { html: String, text: String },
    /// A microformat nested as the value.
    Item(Box<Item>),
}

impl PropertyValue {
    /// The plain text of the value: the text, the HTML's text, or a nested
    /// item's own value.
    pub fn text(&self) -> &str {
        match self {
            PropertyValue::Text(text) => text,
            PropertyValue::Html { text, .. } => text,
            PropertyValue::Item(item) => item.value.as_deref().unwrap_or(""),
        }
    }

    pub fn item(&self) -> Option<&Item> {
        match self {
            PropertyValue::Item(item) => Some(item),
            _ => None,
        }
    }
}

impl Item {
    pub fn has_type(&self, kind: &str) -> bool {
        self.types.iter().any(|t| t == kind)
    }

    /// Every value of a property (none when it is absent).
    pub fn values(&self, name: &str) -> &[PropertyValue] {
        self.properties.get(name).map_or(&[], Vec::as_slice)
    }

    /// The plain text of a property's first value.
    pub fn first_text(&self, name: &str) -> Option<&str> {
        self.values(name)
            .first()
            .map(PropertyValue::text)
            .filter(|t| !t.is_empty())
    }
}

impl Document {
    /// Every item in the document, nested ones included, depth first.
    pub fn all_items(&self) -> Vec<&Item> {
        let mut found = Vec::new();
        let mut stack: Vec<&Item> = self.items.iter().rev().collect();
        while let Some(item) = stack.pop() {
            found.push(item);
            let nested = item
                .properties
                .values()
                .flatten()
                .filter_map(PropertyValue::item);
            let inner: Vec<&Item> = nested.chain(item.children.iter()).collect();
            stack.extend(inner.into_iter().rev());
        }
        found
    }

    /// The first URL with relation `rel`.
    pub fn rel(&self, rel: &str) -> Option<&str> {
        self.rels
            .get(rel)
            .and_then(|urls| urls.first())
            .map(String::as_str)
    }
}

/// Parses `html`, served from `base` (a `<base href>` in it counts too).
/// A page nested more than [`MAX_NESTING`] deep is not parsed: it has no
/// microformats.
pub fn parse(html: &str, base: &Url) -> Document {
    if nests_deeper_than(html, MAX_NESTING) {
        return Document::default();
    }
    let document = Html::parse_document(html);
    let base = document_base(&document, base);
    let mut parser = Parser {
        base,
        items_made: 0,
    };
    let mut items = Vec::new();
    parser.find_roots(document.root_element(), 0, &mut items);
    Document {
        items,
        rels: rels(&document, &parser.base),
    }
}

/// The URL relative links in `document` resolve against: its `<base
/// href>`, else the address it was served from.
pub fn document_base(document: &Html, base: &Url) -> Url {
    let selector = Selector::parse("base[href]").expect("a valid selector");
    document
        .select(&selector)
        .next()
        .and_then(|element| element.attr("href"))
        .and_then(|href| base.join(href.trim()).ok())
        .unwrap_or_else(|| base.clone())
}

fn rels(document: &Html, base: &Url) -> BTreeMap<String, Vec<String>> {
    let selector = Selector::parse("a[rel][href], link[rel][href], area[rel][href]")
        .expect("a valid selector");
    let mut rels: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for element in document.select(&selector) {
        let (Some(rel), Some(href)) = (element.attr("rel"), element.attr("href")) else {
            continue;
        };
        let Ok(url) = base.join(href.trim()) else {
            continue;
        };
        for token in rel.split_ascii_whitespace() {
            let urls = rels.entry(token.to_ascii_lowercase()).or_default();
            if !urls.contains(&url.to_string()) {
                urls.push(url.to_string());
            }
        }
    }
    rels
}

/// Which kind of property a class names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    P,
    U,
    Dt,
    E,
}

/// What an item contains besides explicit names, for the implied
/// properties.
#[derive(Default)]
struct Seen {
    text_property: bool,
    url_property: bool,
    nested: bool,
}

struct Parser {
    base: Url,
    items_made: usize,
}

impl Parser {
    fn find_roots(&mut self, element: ElementRef, depth: usize, out: &mut Vec<Item>) {
        if depth > MAX_DEPTH {
            return;
        }
        if !root_types(element).is_empty() {
            out.extend(self.parse_item(element, depth));
            return;
        }
        for child in element.children().filter_map(ElementRef::wrap) {
            self.find_roots(child, depth + 1, out);
        }
    }

    fn parse_item(&mut self, element: ElementRef, depth: usize) -> Option<Item> {
        if self.items_made >= MAX_ITEMS {
            return None;
        }
        self.items_made += 1;
        let mut item = Item {
            types: root_types(element),
            ..Item::default()
        };
        let mut seen = Seen::default();
        for child in element.children().filter_map(ElementRef::wrap) {
            self.walk(child, depth + 1, &mut item, &mut seen);
        }
        self.imply(element, &mut item, &seen);
        Some(item)
    }

    /// Reads the properties of `item` in `element` and below it.
    fn walk(&mut self, element: ElementRef, depth: usize, item: &mut Item, seen: &mut Seen) {
        if depth > MAX_DEPTH {
            return;
        }
        let properties = property_classes(element);
        if !root_types(element).is_empty() {
            seen.nested = true;
            let Some(nested) = self.parse_item(element, depth) else {
                return;
            };
            if properties.is_empty() {
                item.children.push(nested);
                return;
            }
            for (prefix, name) in properties {
                let mut value = nested.clone();
                value.value = Some(match prefix {
                    Prefix::P => nested
                        .first_text("name")
                        .map_or_else(|| p_value(element, depth), str::to_owned),
                    Prefix::U => nested
                        .first_text("url")
                        .map_or_else(|| u_value(element, &self.base, depth), str::to_owned),
                    Prefix::Dt => dt_value(element, depth),
                    Prefix::E => text_of(element, depth),
                });
                mark(seen, prefix);
                push(item, name, PropertyValue::Item(Box::new(value)));
            }
            return;
        }
        for (prefix, name) in properties {
            let value = match prefix {
                Prefix::P => PropertyValue::Text(p_value(element, depth)),
                Prefix::U => PropertyValue::Text(u_value(element, &self.base, depth)),
                Prefix::Dt => PropertyValue::Text(dt_value(element, depth)),
                Prefix::E => PropertyValue::Html {
                    html: element.inner_html(),
                    text: text_of(element, depth),
                },
            };
            mark(seen, prefix);
            push(item, name, value);
        }
        for child in element.children().filter_map(ElementRef::wrap) {
            self.walk(child, depth + 1, item, seen);
        }
    }

    /// The implied `name`, `photo` and `url` (microformats2 parsing §
    /// "parsing for implied properties").
    fn imply(&self, element: ElementRef, item: &mut Item, seen: &Seen) {
        if !item.properties.contains_key("name") && !seen.text_property && !seen.nested {
            let name = values::implied_name(element);
            push(item, "name".into(), PropertyValue::Text(name));
        }
        if !seen.url_property && !seen.nested {
            if !item.properties.contains_key("photo")
                && let Some(src) =
                    implied(element, "img", "src").or_else(|| implied(element, "object", "data"))
                && let Ok(url) = self.base.join(src.trim())
            {
                push(item, "photo".into(), PropertyValue::Text(url.to_string()));
            }
            if !item.properties.contains_key("url")
                && let Some(href) =
                    implied(element, "a", "href").or_else(|| implied(element, "area", "href"))
                && let Ok(url) = self.base.join(href.trim())
            {
                push(item, "url".into(), PropertyValue::Text(url.to_string()));
            }
        }
    }
}

fn mark(seen: &mut Seen, prefix: Prefix) {
    match prefix {
        Prefix::U => seen.url_property = true,
        Prefix::P | Prefix::E => seen.text_property = true,
        Prefix::Dt => {}
    }
}

fn push(item: &mut Item, name: String, value: PropertyValue) {
    item.properties.entry(name).or_default().push(value);
}

/// The `h-*` classes of an element, sorted and without repeats.
fn root_types(element: ElementRef) -> Vec<String> {
    let mut types: Vec<String> = element
        .value()
        .classes()
        .filter_map(|class| {
            class
                .strip_prefix("h-")
                .filter(|n| is_name(n))
                .map(|_| class)
        })
        .map(str::to_owned)
        .collect();
    types.sort();
    types.dedup();
    types
}

/// The property classes of an element: prefix and name.
fn property_classes(element: ElementRef) -> Vec<(Prefix, String)> {
    let mut found: Vec<(Prefix, String)> = Vec::new();
    for class in element.value().classes() {
        let parsed = [
            ("p-", Prefix::P),
            ("u-", Prefix::U),
            ("dt-", Prefix::Dt),
            ("e-", Prefix::E),
        ]
        .into_iter()
        .find_map(|(start, prefix)| {
            class
                .strip_prefix(start)
                .filter(|name| is_name(name))
                .map(|name| (prefix, name.to_owned()))
        });
        if let Some(property) = parsed
            && !found.contains(&property)
        {
            found.push(property);
        }
    }
    found
}

/// A microformats name: lower-case letters, digits and inner hyphens.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.chars().any(|c| c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests;
