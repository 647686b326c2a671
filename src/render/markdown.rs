//! Markdown to safe HTML, and the plain-text title and excerpt of a note.

use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

/// Longest excerpt, in characters.
const EXCERPT_CHARS: usize = 200;
/// Longest title, in characters.
const TITLE_CHARS: usize = 100;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// The sanitiser: ammonia's defaults (no script or style, no event handler
/// attributes, only http/https/mailto and relative URLs), with outgoing
/// links marked `noopener`.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder.link_rel(Some("noopener"));
    builder
});

/// CommonMark (with tables, strikethrough and bare-URL autolinks) rendered to
/// HTML and sanitised, whatever the note contains.
pub fn to_html(markdown: &str) -> String {
    let events = autolink(Parser::new_ext(markdown, options()));
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    SANITIZER.clean(&html).to_string()
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
            Event::Start(Tag::Link { .. }) | Event::Start(Tag::Image { .. }) => {
                inside_link += 1;
                out.push(event);
            }
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
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

/// The note's title: its first non-blank line, as plain text (Markdown
/// markup removed), shortened to about 100 characters.
pub fn title(markdown: &str) -> String {
    let first_line = markdown
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    shorten(&plain_text(first_line), TITLE_CHARS)
}

/// The first ~200 characters of the note's text, cut at a word.
pub fn excerpt(markdown: &str) -> String {
    shorten(&plain_text(markdown), EXCERPT_CHARS)
}

/// The text of rendered Markdown, without markup, on one line.
fn plain_text(markdown: &str) -> String {
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image,
            ) => {}
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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
        assert!(html.contains(r#"<a href="https://example.com/a?b=1" rel="noopener">https://example.com/a?b=1</a>"#), "{html}");
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

    #[test]
    fn title_is_first_line_as_text() {
        assert_eq!(title("# Hello *World*\n\nBody"), "Hello World");
        assert_eq!(
            title("\n\n[link](http://x) and `code`\nmore"),
            "link and code"
        );
        assert!(title(&"word ".repeat(50)).chars().count() <= 101);
    }

    #[test]
    fn excerpt_is_short_plain_text() {
        assert_eq!(excerpt("Para one.\n\nPara **two**."), "Para one. Para two.");
        let long = excerpt(&"lorem ipsum ".repeat(50));
        assert!(long.ends_with('…'));
        assert!(long.chars().count() <= 201);
    }
}
