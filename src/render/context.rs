//! What a note answers, as pages and feeds show it: "In reply to
//! <title> by <author>" as an `h-cite` in the note's `u-in-reply-to`
//! (`u-like-of`, `u-repost-of`, `u-bookmark-of`), with the title and author
//! the page said about itself when the Webmention to it was sent.

use crate::domain::{NoteContext, NoteKind};
use crate::store::Cite;

/// The page a note answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextView {
    /// "In reply to", "Liked" …
    pub label: &'static str,
    /// `u-in-reply-to`, `u-like-of` …
    pub class: &'static str,
    pub url: String,
    pub title: Option<String>,
    pub author_name: Option<String>,
    pub author_url: Option<String>,
}

impl ContextView {
    pub fn new(context: &NoteContext) -> ContextView {
        let class = match context.kind {
            NoteKind::Reply => "u-in-reply-to",
            NoteKind::Repost => "u-repost-of",
            NoteKind::Like => "u-like-of",
            NoteKind::Bookmark => "u-bookmark-of",
        };
        ContextView {
            label: context.kind.label(),
            class,
            url: context.url.clone(),
            title: None,
            author_name: None,
            author_url: None,
        }
    }

    /// With what the page said about itself, when it was read.
    pub fn cited(mut self, cite: Option<&Cite>) -> ContextView {
        if let Some(cite) = cite {
            self.title = cite.title.clone();
            self.author_name = cite.author_name.clone();
            self.author_url = cite.author_url.clone();
        }
        self
    }

    /// The link's text: the page's title, else its address.
    pub fn shown_title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.url)
    }

    /// For feeds: a line before the text, with the address only (a feed's
    /// bytes change only when its notes do).
    pub fn feed_html(&self) -> String {
        let url = super::escape(&self.url);
        format!("<p>{} <a href=\"{url}\">{url}</a></p>", self.label)
    }
}
