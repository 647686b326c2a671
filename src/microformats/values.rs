//! The plain value of a property element, by its prefix: `p-` text, `u-`
//! URLs, `dt-` dates (with the value-class pattern's basics), and the
//! text of an element as microformats read it.

use scraper::ElementRef;
use url::Url;

use super::{MAX_DEPTH, root_types};

/// A `p-` property's value.
pub(super) fn p_value(element: ElementRef, depth: usize) -> String {
    if let Some(parts) = value_class(element, depth) {
        return parts.concat();
    }
    let attribute = match element.value().name() {
        "abbr" | "link" => "title",
        "data" | "input" => "value",
        "img" | "area" => "alt",
        _ => "",
    };
    match element.attr(attribute) {
        Some(value) if !attribute.is_empty() => value.trim().to_owned(),
        _ => text_of(element, depth),
    }
}

/// A `u-` property's value, made absolute when it comes from a URL
/// attribute.
pub(super) fn u_value(element: ElementRef, base: &Url, depth: usize) -> String {
    let attribute = match element.value().name() {
        "a" | "area" | "link" => Some("href"),
        "img" | "audio" | "source" | "iframe" => Some("src"),
        "video" => Some(if element.attr("src").is_some() {
            "src"
        } else {
            "poster"
        }),
        "object" => Some("data"),
        _ => None,
    };
    if let Some(value) = attribute.and_then(|a| element.attr(a)) {
        return base
            .join(value.trim())
            .map_or_else(|_| value.trim().to_owned(), |url| url.to_string());
    }
    if let Some(parts) = value_class(element, depth) {
        return parts.concat();
    }
    let attribute = match element.value().name() {
        "abbr" => "title",
        "data" | "input" => "value",
        _ => "",
    };
    match element.attr(attribute) {
        Some(value) if !attribute.is_empty() => value.trim().to_owned(),
        _ => text_of(element, depth),
    }
}

/// A `dt-` property's value: the value-class parts put together (a date,
/// a time and a zone, as `YYYY-MM-DD HH:MM:SS+ZZZZ`), else the element's
/// own date attribute or text.
pub(super) fn dt_value(element: ElementRef, depth: usize) -> String {
    if let Some(parts) = value_class(element, depth) {
        return combine_date_parts(&parts);
    }
    let attribute = match element.value().name() {
        "time" | "ins" | "del" => "datetime",
        "abbr" => "title",
        "data" | "input" => "value",
        _ => "",
    };
    match element.attr(attribute) {
        Some(value) if !attribute.is_empty() => value.trim().to_owned(),
        _ => text_of(element, depth),
    }
}

fn combine_date_parts(parts: &[String]) -> String {
    let is_date = |p: &&String| p.len() >= 10 && p.as_bytes()[4] == b'-' && p.as_bytes()[7] == b'-';
    let is_zone =
        |p: &&String| p == &"Z" || ((p.starts_with('+') || p.starts_with('-')) && p.len() <= 6);
    let date = parts.iter().find(is_date);
    let time = parts
        .iter()
        .find(|p| !is_date(p) && !is_zone(p) && p.contains(':'));
    let zone = parts.iter().find(is_zone);
    match (date, time) {
        (Some(date), Some(time)) => {
            format!("{date} {time}{}", zone.map_or("", String::as_str))
        }
        (Some(date), None) => date.clone(),
        _ => parts.concat(),
    }
}

/// The values of the `value` and `value-title` elements inside a
/// property, if it has any (microformats2 § value class pattern). Nested
/// microformats are not looked into.
fn value_class(element: ElementRef, depth: usize) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    collect_values(element, depth, &mut parts);
    (!parts.is_empty()).then_some(parts)
}

fn collect_values(element: ElementRef, depth: usize, parts: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    for child in element.children().filter_map(ElementRef::wrap) {
        if !root_types(child).is_empty() {
            continue;
        }
        let classes: Vec<&str> = child.value().classes().collect();
        if classes.contains(&"value-title") {
            if let Some(title) = child.attr("title") {
                parts.push(title.trim().to_owned());
            }
        } else if classes.contains(&"value") {
            let attribute = match child.value().name() {
                "img" | "area" => "alt",
                "data" | "input" => "value",
                "abbr" => "title",
                "time" | "ins" | "del" => "datetime",
                _ => "",
            };
            let value = child
                .attr(attribute)
                .filter(|_| !attribute.is_empty())
                .map_or_else(|| text_of(child, depth + 1), |v| v.trim().to_owned());
            parts.push(value);
        } else {
            collect_values(child, depth + 1, parts);
        }
    }
}

/// The text of an element as microformats read it: its text without
/// scripts and styles, an image counting as its `alt`, trimmed.
pub(super) fn text_of(element: ElementRef, depth: usize) -> String {
    let mut text = String::new();
    text_into(element, depth, &mut text);
    text.trim().to_owned()
}

fn text_into(element: ElementRef, depth: usize, out: &mut String) {
    if depth > MAX_DEPTH {
        return;
    }
    for node in element.children() {
        if let Some(text) = node.value().as_text() {
            out.push_str(text);
        } else if let Some(child) = ElementRef::wrap(node) {
            match child.value().name() {
                "script" | "style" | "template" => {}
                "img" => out.push_str(child.attr("alt").unwrap_or_default()),
                _ => text_into(child, depth + 1, out),
            }
        }
    }
}

/// The implied name of an item with no name and no other text property:
/// an image's `alt`, an abbreviation's `title` (its own, its only
/// child's, or its only grandchild's), else its text.
pub(super) fn implied_name(element: ElementRef) -> String {
    let own = |e: ElementRef| match e.value().name() {
        "img" | "area" => e.attr("alt").map(str::to_owned),
        "abbr" => e.attr("title").map(str::to_owned),
        _ => None,
    };
    own(element)
        .or_else(|| only_child(element).and_then(own))
        .or_else(|| only_child(element).and_then(only_child).and_then(own))
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| text_of(element, 0))
}

/// The only child element, if there is exactly one and it is not a
/// microformat.
fn only_child(element: ElementRef<'_>) -> Option<ElementRef<'_>> {
    let mut children = element.children().filter_map(ElementRef::wrap);
    match (children.next(), children.next()) {
        (Some(only), None) if root_types(only).is_empty() => Some(only),
        _ => None,
    }
}

/// `attribute` of the item's own `tag` element, or of its only `tag`
/// child, or of the only `tag` child of its only child (none of them
/// microformats themselves).
pub(super) fn implied(element: ElementRef, tag: &str, attribute: &str) -> Option<String> {
    if element.value().name() == tag {
        return element.attr(attribute).map(str::to_owned);
    }
    let only_of_type = |parent: ElementRef| {
        let mut of_type = parent
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|c| c.value().name() == tag);
        match (of_type.next(), of_type.next()) {
            (Some(only), None) if root_types(only).is_empty() => {
                only.attr(attribute).map(str::to_owned)
            }
            _ => None,
        }
    };
    if let Some(found) = only_of_type(element) {
        return Some(found);
    }
    let mut children = element.children().filter_map(ElementRef::wrap);
    match (children.next(), children.next()) {
        (Some(only), None) if root_types(only).is_empty() => only_of_type(only),
        _ => None,
    }
}
