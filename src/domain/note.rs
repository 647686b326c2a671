//! A note: its metadata and its Markdown text.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{NoteProperties, Slug, Tag};

/// Largest note accepted, in bytes. Notes are short; this stops a mistake
/// (piping a binary file, say) from filling the disk or the feed.
pub const MAX_NOTE_BYTES: usize = 1024 * 1024;

/// A note as the database knows it. The text itself lives in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: i64,
    pub slug: Slug,
    /// Relative to `NOTES_PATH`: `YYYY/MM/<slug>.md`.
    pub file_path: String,
    pub published: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub content_hash: String,
    /// In the order the author gave them.
    pub tags: Vec<Tag>,
    /// Title, summary, photos, text format, other mf2 properties.
    pub properties: NoteProperties,
    /// Listed everywhere, or only at its permalink.
    pub visibility: Visibility,
}

/// Who a published note is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    /// The home page, the feeds, tags, search and the sitemap list it.
    #[default]
    Public,
    /// Served at its permalink (to whoever has the address), listed
    /// nowhere.
    Unlisted,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
        }
    }

    /// `public` or `unlisted` (Micropub's `visibility`; `private` is not
    /// something this site keeps).
    pub fn parse(text: &str) -> Option<Visibility> {
        match text {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            _ => None,
        }
    }
}

/// Where a note stands for its owner; each note is in exactly one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteState {
    /// Listed everywhere.
    Published,
    /// Published for a date still to come: shown nowhere yet.
    Scheduled,
    /// Shown at its permalink, listed nowhere.
    Unlisted,
    Draft,
    Deleted,
}

impl NoteState {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteState::Published => "published",
            NoteState::Scheduled => "scheduled",
            NoteState::Unlisted => "unlisted",
            NoteState::Draft => "draft",
            NoteState::Deleted => "deleted",
        }
    }
}

impl Note {
    /// Whether its permalink is served at `now`: published, not deleted,
    /// and its publication date come (public or unlisted).
    pub fn is_shown_at(&self, now: DateTime<Utc>) -> bool {
        self.published && self.deleted_at.is_none() && self.published_at.is_none_or(|at| at <= now)
    }

    /// Whether lists show it at `now` (the home page, feeds, tags, search,
    /// the sitemap, other sites' timelines): shown and not unlisted.
    pub fn is_listed_at(&self, now: DateTime<Utc>) -> bool {
        self.is_shown_at(now) && self.visibility == Visibility::Public
    }

    /// Which of the owner's lists it is in at `now`.
    pub fn state_at(&self, now: DateTime<Utc>) -> NoteState {
        if self.deleted_at.is_some() {
            NoteState::Deleted
        } else if !self.published {
            NoteState::Draft
        } else if self.is_scheduled_at(now) {
            NoteState::Scheduled
        } else if self.visibility == Visibility::Unlisted {
            NoteState::Unlisted
        } else {
            NoteState::Published
        }
    }

    /// Whether it is published for a time still to come.
    pub fn is_scheduled_at(&self, now: DateTime<Utc>) -> bool {
        self.published && self.deleted_at.is_none() && self.published_at.is_some_and(|at| at > now)
    }

    /// The date shown and used in feeds: when it was published, or created
    /// for a draft.
    pub fn display_date(&self) -> DateTime<Utc> {
        self.published_at.unwrap_or(self.created_at)
    }
}

/// A note together with its text, ready to render.
#[derive(Debug, Clone)]
pub struct NoteWithBody {
    pub note: Note,
    pub body: NoteBody,
}

/// The Markdown text of a note: not blank, not too large, no NUL bytes.
/// Its hash is taken once, when it is checked: a note's text is compared,
/// stored and indexed by it several times on its way in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteBody {
    text: String,
    hash: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteBodyError {
    #[error("the note is empty")]
    Empty,
    #[error("the note is larger than {} KiB", MAX_NOTE_BYTES / 1024)]
    TooLarge,
    #[error("the note contains a NUL byte; is it a text file?")]
    NotText,
}

impl NoteBody {
    pub fn parse(text: impl Into<String>) -> Result<NoteBody, NoteBodyError> {
        let mut text: String = text.into();
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        if text.trim().is_empty() {
            return Err(NoteBodyError::Empty);
        }
        if text.len() > MAX_NOTE_BYTES {
            return Err(NoteBodyError::TooLarge);
        }
        if text.contains('\0') {
            return Err(NoteBodyError::NotText);
        }
        let hash = content_hash(text.as_bytes());
        Ok(NoteBody { text, hash })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// SHA-256 of the text as stored on disk, lowercase hex.
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

/// SHA-256 of some bytes, lowercase hex: the `content_hash` of a note file.
pub fn content_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_blank_binary_and_huge_text() {
        assert_eq!(NoteBody::parse("  \n\t"), Err(NoteBodyError::Empty));
        assert_eq!(NoteBody::parse("a\0b"), Err(NoteBodyError::NotText));
        assert_eq!(
            NoteBody::parse("x".repeat(MAX_NOTE_BYTES + 1)),
            Err(NoteBodyError::TooLarge)
        );
    }

    #[test]
    fn drops_a_byte_order_mark() {
        assert_eq!(NoteBody::parse("\u{feff}Hi").unwrap().as_str(), "Hi");
    }

    #[test]
    fn hashes_with_sha256() {
        assert_eq!(
            content_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
