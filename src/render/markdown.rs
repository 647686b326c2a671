//! Markdown to safe HTML, and the plain-text title and excerpt of a note.

use pulldown_cmark::{CowStr, Event, Parser, Tag, TagEnd};

use super::sanitise::sanitise;
use crate::domain::{markdown_options, plain_text, text_of_html};

/// Longest excerpt, in characters.
const EXCERPT_CHARS: usize = 200;
/// Longest title, in characters.
const TITLE_CHARS: usize = 100;

/// CommonMark (with tables, strikethrough and bare-URL autolinks) rendered to
/// HTML and sanitised, whatever the note contains.
///
/// Top-level blocks that contain inline HTML are sanitised on their own, so
/// an unclosed tag (`<b>bold` …) cannot spill into the blocks after it and
/// make the page invalid; other blocks are sanitised together, so block HTML
/// that wraps Markdown (`<details>` … `</details>`) keeps working.
pub fn to_html(markdown: &str) -> String {
    let events = autolink(Parser::new_ext(markdown, markdown_options()));
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    let mut pending = String::new();
    for block in top_level_blocks(events) {
        let contained = block.iter().any(|e| matches!(e, Event::InlineHtml(_)));
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, block.into_iter());
        if contained {
            out.push_str(&sanitise(&std::mem::take(&mut pending)));
            out.push_str(&sanitise(&html));
        } else {
            pending.push_str(&html);
        }
    }
    out.push_str(&sanitise(&pending));
    out
}

/// Splits events into top-level blocks (a paragraph, a list, an HTML block …).
fn top_level_blocks(events: Vec<Event<'_>>) -> Vec<Vec<Event<'_>>> {
    let mut blocks = Vec::new();
    let mut current = Vec::new();
    let mut depth = 0usize;
    for event in events {
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        current.push(event);
        if depth == 0 {
            blocks.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

/// Whether raw HTML is the tag `name` (`a` matches `<a href…>`, `/a` `</a>`).
fn is_tag(html: &str, name: &str) -> bool {
    let lower = html.trim_start().to_ascii_lowercase();
    lower
        .strip_prefix('<')
        .and_then(|t| t.strip_prefix(name))
        .is_some_and(|after| after.starts_with(|c: char| c == '>' || c.is_whitespace()))
}

/// Turns bare URLs in text (outside links, code and raw HTML) into links.
fn autolink<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let finder = {
        let mut f = linkify::LinkFinder::new();
        f.kinds(&[linkify::LinkKind::Url]);
        f
    };
    let mut out = Vec::new();
    let mut inside_link = 0usize;
    for event in events {
        match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_)) => {
                inside_link += 1;
                out.push(event);
            }
            Event::End(TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock) => {
                inside_link = inside_link.saturating_sub(1);
                out.push(event);
            }
            Event::InlineHtml(ref html) if is_tag(html, "a") => {
                inside_link += 1;
                out.push(event);
            }
            Event::InlineHtml(ref html) if is_tag(html, "/a") => {
                inside_link = inside_link.saturating_sub(1);
                out.push(event);
            }
            Event::Text(text) if inside_link == 0 && text.contains("://") => {
                let mut last = 0;
                for link in finder.links(&text) {
                    if link.start() > last {
                        out.push(Event::Text(CowStr::from(
                            text[last..link.start()].to_owned(),
                        )));
                    }
                    let url = CowStr::from(link.as_str().to_owned());
                    out.push(Event::Start(Tag::Link {
                        link_type: pulldown_cmark::LinkType::Autolink,
                        dest_url: url.clone(),
                        title: CowStr::Borrowed(""),
                        id: CowStr::Borrowed(""),
                    }));
                    out.push(Event::Text(url));
                    out.push(Event::End(TagEnd::Link));
                    last = link.end();
                }
                if last < text.len() {
                    out.push(Event::Text(CowStr::from(text[last..].to_owned())));
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The note's title: its first non-blank line, as plain text (the same
/// text the slug is made from: no markup, tags or link targets), shortened
/// to about 100 characters. When that line has no text (an image, a
/// script), the text of the whole note is used; it can still be empty (an
/// image alone), and the caller then names it by date.
pub fn title(markdown: &str, html: &str) -> String {
    let first_line = markdown
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let title = plain_text(first_line);
    if title.is_empty() {
        shorten(&text_of_html(html), TITLE_CHARS)
    } else {
        shorten(&title, TITLE_CHARS)
    }
}

/// [`title`] without the note's HTML at hand: made only when the first
/// line has no text.
pub fn title_of(markdown: &str) -> String {
    let first_line = markdown
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let text = plain_text(first_line);
    if text.is_empty() {
        title(markdown, &to_html(markdown))
    } else {
        shorten(&text, TITLE_CHARS)
    }
}

/// The first ~200 characters of the note's text (from its safe HTML), cut
/// at a word.
pub fn excerpt(html: &str) -> String {
    shorten(&text_of_html(html), EXCERPT_CHARS)
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let at_word = match cut.rfind(' ') {
        Some(i) if i > max_chars / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end_matches([' ', ',', ';', ':', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_commonmark_with_extensions() {
        let html = to_html("# Hi\n\n*em* ~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<h1>Hi</h1>"));
        assert!(html.contains("<em>em</em>"));
        assert!(html.contains("<del>gone</del>"));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn links_bare_urls_but_not_code() {
        let html = to_html("see https://example.com/a?b=1 now\n\n`https://not.linked`");
        assert!(
            html.contains(r#"<a href="https://example.com/a?b=1">https://example.com/a?b=1</a>"#),
            "{html}"
        );
        assert!(html.contains("<code>https://not.linked</code>"));
        let html = to_html("[text](https://example.com)");
        assert_eq!(html.matches("<a ").count(), 1);
    }

    #[test]
    fn removes_anything_dangerous() {
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil\"></iframe>",
            "<style>body{}</style>",
            "<div onclick=\"x()\">hi</div>",
            "<svg><script>alert(1)</script></svg>",
        ] {
            let html = to_html(evil).to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onclick",
                "javascript:",
                "<iframe",
                "<style",
            ] {
                assert!(!html.contains(bad), "{evil} gave {html}");
            }
        }
    }

    fn title_of(markdown: &str) -> String {
        title(markdown, &to_html(markdown))
    }

    #[test]
    fn title_is_first_line_as_text() {
        assert_eq!(title_of("# Hello *World*\n\nBody"), "Hello World");
        assert_eq!(
            title_of("\n\n[link](http://x) and `code`\nmore"),
            "link and code"
        );
        assert!(title_of(&"word ".repeat(50)).chars().count() <= 101);
    }

    #[test]
    fn title_falls_back_to_the_text_of_raw_html() {
        assert_eq!(
            title_of("<div onclick=\"x()\">Hello &amp; <b>bye</b></div>"),
            "Hello & bye"
        );
        assert_eq!(title_of("<script>alert(1)</script>"), "");
    }

    #[test]
    fn excerpt_is_short_plain_text() {
        assert_eq!(
            excerpt(&to_html("Para one.\n\nPara **two** &lt;3")),
            "Para one. Para two <3"
        );
        let long = excerpt(&to_html(&"lorem ipsum ".repeat(50)));
        assert!(long.ends_with('…'));
        assert!(long.chars().count() <= 201);
    }

    #[test]
    fn unclosed_inline_html_stays_in_its_paragraph() {
        let html = to_html("<b>bold <i>italic\n\nNext paragraph");
        assert!(html.ends_with("<p>Next paragraph</p>\n"), "{html}");
        let html = to_html("<details>\n<summary>More</summary>\n\nHidden *text*\n\n</details>");
        assert!(
            html.contains("<em>text</em>") && html.trim_end().ends_with("</details>"),
            "{html}"
        );
    }

    #[test]
    fn images_always_have_alt_text() {
        assert_eq!(
            to_html("<img src=\"https://e.com/a.png\">"),
            "<img src=\"https://e.com/a.png\" alt=\"\">"
        );
        assert!(to_html("![A cat](https://e.com/c.png)").contains("alt=\"A cat\""));
        let kept = to_html("<img alt=\"x > y\" src=\"https://e.com/a.png\">");
        assert_eq!(kept.matches("alt=").count(), 1, "{kept}");
    }

    #[test]
    fn links_whose_url_was_removed_keep_no_attributes() {
        assert_eq!(to_html("[x](javascript:alert(1))"), "<p><a>x</a></p>\n");
    }

    #[test]
    fn urls_in_code_blocks_and_html_links_are_not_linked_again() {
        let html = to_html("```\nhttps://example.com\n```");
        assert!(!html.contains("<a"), "{html}");
        let html = to_html("<a href=\"https://e.com\">https://e.com</a>");
        assert_eq!(html.matches("<a ").count(), 1, "{html}");
    }
}
