//! The plain text of a note: the words a reader sees, without Markdown
//! markup, raw HTML tags or link targets.
//!
//! Both the slug and the title are made from it, so they agree. It lives in
//! `domain`, not `render`, because `Slug::from_content` needs it and domain
//! may not depend on render; `render::markdown` uses it from here. It is
//! pure text processing (pulldown-cmark and ammonia parse strings; no I/O).

use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, TagEnd};

use super::{ContentFormat, NoteProperties};

/// The Markdown dialect of notes: CommonMark with tables and strikethrough.
/// One definition, so text and HTML are read from the same parse.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Strips every tag and keeps the text. `empty()` keeps ammonia's
/// `clean_content_tags` (script, style): their contents are never shown on
/// a page, so they are not text either.
static TEXT_ONLY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(ammonia::Builder::empty);

/// The text of a note's Markdown, on one line.
///
/// Raw HTML goes through an HTML parser one top-level block at a time, as
/// the page's sanitiser sees it, so `<b>Hi</b>` is `Hi`, a `<script>`'s
/// contents are nothing, and an unclosed tag or comment cannot swallow the
/// blocks after it.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::new();
    let mut block = String::new();
    let mut block_has_html = false;
    let mut depth = 0usize;
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(ref end) => {
                depth = depth.saturating_sub(1);
                // Inline markup ends inside a word (`**bold**ly`); blocks,
                // cells and items end between words.
                if !matches!(
                    end,
                    TagEnd::Emphasis
                        | TagEnd::Strong
                        | TagEnd::Strikethrough
                        | TagEnd::Link
                        | TagEnd::Image
                ) {
                    block.push(' ');
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if block_has_html {
                    push_escaped(&mut block, &t);
                } else {
                    block.push_str(&t);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                if !block_has_html {
                    // The text so far was pushed as it is; escape it now
                    // that the block will be read as HTML.
                    let so_far = std::mem::take(&mut block);
                    push_escaped(&mut block, &so_far);
                    block_has_html = true;
                }
                block.push_str(&html);
            }
            Event::SoftBreak | Event::HardBreak => block.push(' '),
            _ => {}
        }
        if depth == 0 && !block.is_empty() {
            if block_has_html {
                text.push_str(&text_of_html(&block));
            } else {
                text.push_str(&block);
            }
            text.push(' ');
            block.clear();
            block_has_html = false;
        }
    }
    one_line(&text)
}

/// The text of HTML (tags removed, entities decoded), on one line.
pub fn text_of_html(html: &str) -> String {
    let text = TEXT_ONLY.clean(html).to_string();
    // html5ever escapes exactly these in text; `&amp;` last, so `&amp;lt;`
    // becomes `&lt;` and not `<`.
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    one_line(&text)
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A note's words as plain text, whatever its text is written in: its
/// title first, when it has one. What the search index holds.
pub fn note_text(text: &str, properties: &NoteProperties) -> String {
    let words = match properties.format {
        ContentFormat::Markdown => plain_text(text),
        ContentFormat::Html => text_of_html(text),
    };
    match &properties.name {
        Some(name) => format!("{name}\n\n{words}"),
        None => words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_markdown_markup_and_link_targets() {
        assert_eq!(
            plain_text("# Hello *World*\n\n[my post](https://e.com/x) and `code`"),
            "Hello World my post and code"
        );
        assert_eq!(plain_text("**bold**ly ~~gone~~"), "boldly gone");
        assert_eq!(plain_text("| a | b |\n|---|---|\n| 1 | 2 |"), "a b 1 2");
        assert_eq!(plain_text("![A cat](c.png) sits"), "A cat sits");
    }

    #[test]
    fn drops_raw_html_tags_but_keeps_their_text() {
        assert_eq!(plain_text("<b>Hi</b> there"), "Hi there");
        assert_eq!(
            plain_text("<div onclick=\"x()\">Hello &amp; <b>bye</b></div>"),
            "Hello & bye"
        );
        assert_eq!(plain_text("a &lt; b <i>and</i> c > d"), "a < b and c > d");
    }

    #[test]
    fn hidden_html_contents_are_not_text() {
        assert_eq!(plain_text("<script>alert(1)</script>"), "");
        assert_eq!(plain_text("x <script>alert(1)</script> y"), "x y");
        assert_eq!(plain_text("x <style>p{}</style> y"), "x y");
    }

    #[test]
    fn an_unclosed_tag_or_comment_does_not_swallow_later_blocks() {
        assert_eq!(plain_text("a <script>x\n\nNext"), "a Next");
        assert_eq!(plain_text("a <b>bold\n\nNext"), "a bold Next");
        assert_eq!(plain_text("<!-- open\n\nstill comment"), "");
    }

    #[test]
    fn text_of_html_decodes_entities_once() {
        assert_eq!(
            text_of_html("<p>a &amp;lt; b &lt;3</p>\n<p>x&nbsp;y</p>"),
            "a &lt; b <3 x y"
        );
    }
}
