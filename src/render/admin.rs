//! The sign-in and admin pages. They share the public site's stylesheet and
//! need no JavaScript: every action is a link or a form.

use askama::Template;
use chrono::{DateTime, Utc};

use super::PageContext;
use crate::config::SiteSettings;
use crate::domain::{Note, NoteBody, NoteState, NoteWithBody};
use crate::store::{NoteCounts, NoteFilter};

/// `/auth/login`.
#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct LoginPage<'a> {
    pub ctx: PageContext<'a>,
    /// Who can sign in; `None` when no usable identity is set.
    pub identity: Option<&'a str>,
    pub signed_out: bool,
}

/// `/auth/link/{token}`: one button that uses the link.
#[derive(Template)]
#[template(path = "admin/login_link.html")]
pub struct LoginLinkPage<'a> {
    pub ctx: PageContext<'a>,
    pub action: String,
}

/// One note on the dashboard.
pub struct AdminNoteRow {
    pub id: i64,
    pub slug: String,
    /// Its title or first line; its excerpt; `None` when its file is
    /// damaged (the row says so, and still offers every action).
    pub title: Option<String>,
    pub excerpt: String,
    pub permalink: Option<String>,
    pub status: &'static str,
    pub published: bool,
    pub deleted: bool,
    /// "Published", "Goes out", "Created" or "Deleted", and that date.
    pub date_label: &'static str,
    pub date: String,
    pub date_iso: String,
    pub updated: String,
    pub tags: Vec<String>,
    pub photos: usize,
    /// `reply`, `like`, `repost` or `bookmark`, with "In reply to" (…)
    /// and the page it answers; `None` for a plain note.
    pub kind: Option<(&'static str, &'static str, String)>,
    /// What its Webmentions did, if it sent any.
    pub webmentions: Option<String>,
}

impl AdminNoteRow {
    /// `body` is `None` when the note's file cannot be read.
    pub fn new(
        site: &SiteSettings,
        note: &Note,
        body: Option<&NoteBody>,
        now: DateTime<Utc>,
    ) -> AdminNoteRow {
        let state = note.state_at(now);
        let (title, excerpt) = match body {
            Some(body) => {
                let with_body = NoteWithBody {
                    note: note.clone(),
                    body: body.clone(),
                };
                let html = super::note_html(&with_body);
                (
                    Some(super::note_title(&with_body, &html)),
                    super::markdown::excerpt(&html),
                )
            }
            None => (None, String::new()),
        };
        let (date_label, date) = match state {
            NoteState::Published | NoteState::Unlisted => ("Published", note.display_date()),
            NoteState::Scheduled => ("Goes out", note.display_date()),
            NoteState::Draft => ("Created", note.created_at),
            NoteState::Deleted => ("Deleted", note.deleted_at.unwrap_or(note.updated_at)),
        };
        AdminNoteRow {
            id: note.id,
            slug: note.slug.to_string(),
            title,
            excerpt,
            permalink: note
                .is_shown_at(now)
                .then(|| site.url.join(&format!("note/{}", note.slug))),
            status: state.as_str(),
            published: note.published,
            deleted: note.deleted_at.is_some(),
            date_label,
            date: human(date),
            date_iso: date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            updated: human(note.updated_at),
            tags: note.tags.iter().map(|t| t.name().to_owned()).collect(),
            photos: note.properties.photos.len(),
            kind: note
                .properties
                .context()
                .map(|c| (c.kind.as_str(), c.kind.label(), c.url)),
            webmentions: None,
        }
    }
}

pub(super) fn human(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// `/admin`.
#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct Dashboard<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    pub flash: Option<&'a str>,
    pub filter: NoteFilter,
    pub counts: NoteCounts,
    pub rows: Vec<AdminNoteRow>,
    /// The search typed (empty: none), and what is wrong with it.
    pub query: &'a str,
    pub query_problem: Option<String>,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// From the last integrity scan, as `/health` reports it.
    pub damaged_notes: Option<usize>,
}

impl Dashboard<'_> {
    /// The filter links: label, URL, whether current.
    pub fn filters(&self) -> Vec<(String, String, bool)> {
        let c = &self.counts;
        NoteFilter::ALL
            .iter()
            .map(|&f| {
                let name = match f {
                    NoteFilter::Current => "All",
                    NoteFilter::Published => "Published",
                    NoteFilter::Scheduled => "Scheduled",
                    NoteFilter::Unlisted => "Unlisted",
                    NoteFilter::Drafts => "Drafts",
                    NoteFilter::Deleted => "Deleted",
                    NoteFilter::AnyPublished => "Published, listed or not",
                };
                let label = format!("{name} ({})", c.of(f));
                let url = format!("{}admin?show={}", self.ctx.site.url.path(), f.as_str());
                (label, url, f == self.filter)
            })
            .collect()
    }
}

/// Field errors of the editor, shown next to each field.
#[derive(Debug, Default)]
pub struct EditorErrors {
    pub content: Option<String>,
    pub slug: Option<String>,
    pub published_at: Option<String>,
    pub tags: Option<String>,
    /// The kind of note and the page it answers.
    pub context: Option<String>,
}

impl EditorErrors {
    pub fn is_empty(&self) -> bool {
        self.content.is_none()
            && self.slug.is_none()
            && self.published_at.is_none()
            && self.tags.is_none()
            && self.context.is_none()
    }
}

/// `/admin/new` and `/admin/edit/{id}`.
#[derive(Template)]
#[template(path = "admin/editor.html")]
pub struct Editor<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    /// `None` for a new note.
    pub note_id: Option<i64>,
    pub slug: &'a str,
    pub permalink: Option<String>,
    pub content: &'a str,
    pub published: bool,
    pub published_at: &'a str,
    /// Shown at its permalink only.
    pub unlisted: bool,
    /// Comma-separated, as typed.
    pub tags: &'a str,
    /// `reply`, `like`, `repost`, `bookmark`, or empty.
    pub kind: &'a str,
    /// The page it answers, as typed.
    pub kind_url: &'a str,
    pub based_on: &'a str,
    pub errors: EditorErrors,
    /// Sanitised HTML of the text, when Preview was pressed.
    pub preview: Option<&'a str>,
    /// On a conflict: the version saved since the editor was opened.
    pub saved_meanwhile: Option<&'a str>,
    /// The note's photos (`admin/_photos.html`).
    pub photos: super::PhotoField,
    /// The address of the editor's script.
    pub script: String,
}

impl Editor<'_> {
    /// The choices of the kind field: value, label, whether chosen.
    pub fn kinds(&self) -> Vec<(&'static str, &'static str, bool)> {
        [
            ("", "A note"),
            ("reply", "A reply to"),
            ("like", "A like of"),
            ("repost", "A repost of"),
            ("bookmark", "A bookmark of"),
        ]
        .into_iter()
        .map(|(value, label)| (value, label, value == self.kind))
        .collect()
    }

    pub fn action(&self) -> String {
        let base = self.ctx.site.url.path();
        match self.note_id {
            Some(id) => format!("{base}admin/edit/{id}"),
            None => format!("{base}admin/new"),
        }
    }
}

/// `/admin/delete/{id}`.
#[derive(Template)]
#[template(path = "admin/confirm_delete.html")]
pub struct ConfirmDelete<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    pub id: i64,
    pub slug: &'a str,
    /// Remove for good (the note is already deleted).
    pub hard: bool,
}
