//! A quick look at how deeply a page's elements nest, before it is
//! parsed. An HTML parser's work grows with the square of the nesting
//! (each new element looks through the open ones), so a page of a hundred
//! thousand unclosed `<div>`s would hold a core for minutes: such a page
//! is refused instead.
//!
//! The count errs on the high side: every start tag that the HTML parser
//! could keep open is counted, and an end tag closes only an element that
//! is open.

use std::collections::HashMap;

/// The deepest nesting a page from another site may have.
pub const MAX_NESTING: usize = 1000;

/// Elements that have no end tag, or whose end tag is implied by the next
/// sibling: they never pile up.
const NEVER_NEST: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody",
    "thead", "tfoot", "colgroup", "caption", "rb", "rt", "rp",
];

/// Whether `html` nests elements more than `limit` deep.
pub fn nests_deeper_than(html: &str, limit: usize) -> bool {
    let mut open: Vec<String> = Vec::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    let bytes = html.as_bytes();
    let mut at = 0;
    while let Some(found) = html[at..].find('<') {
        let start = at + found + 1;
        let closing = bytes.get(start) == Some(&b'/');
        let name_start = if closing { start + 1 } else { start };
        let name_end = html[name_start..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(html.len(), |n| name_start + n);
        at = name_end.max(start);
        if name_end == name_start {
            continue;
        }
        let name = html[name_start..name_end].to_ascii_lowercase();
        if !name.as_bytes()[0].is_ascii_alphabetic() || NEVER_NEST.contains(&name.as_str()) {
            continue;
        }
        if closing {
            if counts.get(&name).copied().unwrap_or(0) > 0 {
                while let Some(top) = open.pop() {
                    if let Some(count) = counts.get_mut(&top) {
                        *count -= 1;
                    }
                    if top == name {
                        break;
                    }
                }
            }
        } else {
            *counts.entry(name.clone()).or_insert(0) += 1;
            open.push(name);
            if open.len() > limit {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_are_shallow() {
        let page = "<!doctype html><html><head><meta charset=utf-8><title>x</title></head>\
                    <body><div><p>one<p>two<ul><li>a<li>b</ul><img src=x><br></div></body></html>";
        assert!(!nests_deeper_than(page, 5));
        let list = "<ul>".to_owned() + &"<li>item".repeat(10_000) + "</ul>";
        assert!(!nests_deeper_than(&list, 5));
    }

    #[test]
    fn unclosed_and_unmatched_tags_count() {
        assert!(nests_deeper_than(&"<div>".repeat(11), 10));
        assert!(!nests_deeper_than(&"<div></div>".repeat(1000), 10));
        // An end tag of an element that is not open closes nothing.
        assert!(nests_deeper_than(&"<div></b>".repeat(11), 10));
        assert!(nests_deeper_than(
            &"<span><b>".repeat(6).replace("<b>", "<b></i>"),
            10
        ));
    }
}
