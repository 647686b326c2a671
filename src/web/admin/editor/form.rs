//! The editor's form: what was typed, read into a note's parts, each
//! error kept for the field it belongs to.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::domain::{NoteContext, NoteKind, Tag, Visibility, is_web_url};
use crate::render::EditorErrors;
use crate::web::admin::photos::EditorPhotos;

/// The editor's form, for a new note and for an edit.
#[derive(Deserialize, Default)]
pub struct NoteForm {
    #[serde(default)]
    pub(super) content: String,
    /// Present (any value) when the box is ticked.
    pub(super) published: Option<String>,
    /// New notes only.
    #[serde(default)]
    pub(super) slug: String,
    /// `YYYY-MM-DDTHH:MM` (UTC), from a datetime-local input; empty for
    /// "when it is published". A date still to come schedules the note.
    #[serde(default)]
    pub(super) published_at: String,
    /// `unlisted`, or anything else for public.
    #[serde(default)]
    pub(super) visibility: String,
    /// Comma-separated tags.
    #[serde(default)]
    pub(super) tags: String,
    /// What the note answers: empty, `reply`, `like`, `repost` or
    /// `bookmark`.
    #[serde(default)]
    pub(super) kind: String,
    /// The page it answers.
    #[serde(default)]
    pub(super) kind_url: String,
    /// Edits only: the content hash of the version the editor opened.
    #[serde(default)]
    pub(super) based_on: String,
    /// `preview`, `save`, or a photo button (see [`EditorPhotos`]).
    #[serde(default)]
    pub(super) action: String,
    /// The photos, from fields of their own.
    #[serde(skip)]
    pub(in crate::web::admin) photos: EditorPhotos,
}

impl NoteForm {
    pub(super) fn wants_preview(&self) -> bool {
        self.action == "preview"
    }

    /// What the note answers, if anything; an error goes next to the
    /// field.
    pub(super) fn parsed_context(&self, errors: &mut EditorErrors) -> Option<Option<NoteContext>> {
        let url = self.kind_url.trim();
        let kind = match self.kind.as_str() {
            "" if url.is_empty() => return Some(None),
            "" => {
                errors.context = Some(
                    "Choose whether the note replies to, likes, reposts or bookmarks it.".into(),
                );
                return None;
            }
            text => NoteKind::parse(text),
        };
        let Some(kind) = kind else {
            errors.context = Some(format!("{:?} is not a kind of note.", self.kind));
            return None;
        };
        if !is_web_url(url) {
            errors.context = Some(format!(
                "{:?} is not the address of a web page (https://…).",
                url.chars().take(100).collect::<String>()
            ));
            return None;
        }
        Some(Some(NoteContext {
            kind,
            url: url.to_owned(),
        }))
    }

    /// The text to keep: as written, or the line a like (repost,
    /// bookmark) without text keeps.
    pub(super) fn text(&self, context: Option<&NoteContext>) -> String {
        match context {
            Some(context) if self.content.trim().is_empty() => context.placeholder_text(),
            _ => self.content.clone(),
        }
    }

    pub(super) fn visibility(&self) -> Visibility {
        if self.visibility == "unlisted" {
            Visibility::Unlisted
        } else {
            Visibility::Public
        }
    }

    /// The date field, parsed; an error goes next to the field.
    pub(super) fn parsed_date(&self, errors: &mut EditorErrors) -> Option<DateTime<Utc>> {
        match self.published_at.trim() {
            "" => None,
            text => parse_datetime_local(text)
                .map_err(|e| errors.published_at = Some(e))
                .ok(),
        }
    }

    /// The tags field, parsed; an error goes next to the field.
    pub(super) fn parsed_tags(&self, errors: &mut EditorErrors) -> Option<Vec<Tag>> {
        let names: Vec<&str> = self
            .tags
            .split(',')
            .filter(|t| !t.trim().is_empty())
            .collect();
        Tag::parse_list(&names)
            .map_err(|e| errors.tags = Some(format!("{e}. Separate tags with commas.")))
            .ok()
    }
}

/// A `datetime-local` value, read as UTC.
pub(super) fn datetime_local_value(at: &DateTime<Utc>) -> String {
    use chrono::Timelike;
    if at.second() == 0 {
        at.format("%Y-%m-%dT%H:%M").to_string()
    } else {
        at.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

pub(super) fn parse_datetime_local(text: &str) -> Result<DateTime<Utc>, String> {
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
        .ok_or_else(|| format!("{text:?} is not a date and time such as 2026-11-24T09:30."))
}
