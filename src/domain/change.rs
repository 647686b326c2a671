//! What a writer asks of the note service: a note to create
//! ([`NewNote`]) or a change to make to one ([`NoteEdit`]). Plain values;
//! the store applies each whole, in one transaction, or not at all.

use chrono::{DateTime, Utc};

use super::{NoteBody, NoteProperties, Slug, Tag, Visibility};

/// A note about to be created, by any writer (the CLI, the admin,
/// Micropub, an import).
#[derive(Debug, Clone)]
pub struct NewNote {
    pub body: NoteBody,
    /// The author's own slug; `None` makes one from the text.
    pub slug: Option<Slug>,
    pub published: bool,
    /// When it was published, if not now (imports, back-dating).
    pub published_at: Option<DateTime<Utc>>,
    /// When it was written, if not when it was published (or now).
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed, if not now (imports keep the original's).
    pub updated_at: Option<DateTime<Utc>>,
    /// Set for a note imported as deleted (an export keeps deleted notes).
    pub deleted_at: Option<DateTime<Utc>>,
    /// In the author's order.
    pub tags: Vec<Tag>,
    /// Title, summary, photos, text format, other mf2 properties.
    pub properties: NoteProperties,
    pub visibility: Visibility,
}

impl NewNote {
    /// A published note with this text and nothing else set.
    pub fn new(body: NoteBody) -> NewNote {
        NewNote {
            body,
            slug: None,
            published: true,
            published_at: None,
            created_at: None,
            updated_at: None,
            deleted_at: None,
            tags: Vec::new(),
            properties: NoteProperties::default(),
            visibility: Visibility::Public,
        }
    }

    /// Its creation and publication dates, by the one rule every writer
    /// follows: created when given, else when published if that is not in
    /// the future, else now; a published note without a date is published
    /// when it was created.
    pub fn dates(&self, now: DateTime<Utc>) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        let created_at = self
            .created_at
            .or(self.published_at.filter(|at| *at <= now))
            .unwrap_or(now);
        let published_at = self.published_at.or(self.published.then_some(created_at));
        (created_at, published_at)
    }
}

/// A change to one note: every field set is applied, in one transaction,
/// or none is. Fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoteEdit {
    /// The content hash of the version this change was based on: if the
    /// note's text is another by now, nothing is changed and the writer is
    /// told (compare-and-swap).
    pub based_on: Option<String>,
    pub body: Option<NoteBody>,
    pub tags: Option<Vec<Tag>>,
    pub properties: Option<NoteProperties>,
    pub published: Option<bool>,
    pub published_at: Option<DateTime<Utc>>,
    pub visibility: Option<Visibility>,
    /// `Some(true)` deletes (hides it everywhere, keeping its file),
    /// `Some(false)` brings a deleted note back.
    pub deleted: Option<bool>,
}

impl NoteEdit {
    pub fn publish(published: bool) -> NoteEdit {
        NoteEdit {
            published: Some(published),
            ..NoteEdit::default()
        }
    }

    pub fn delete() -> NoteEdit {
        NoteEdit {
            deleted: Some(true),
            ..NoteEdit::default()
        }
    }

    pub fn undelete() -> NoteEdit {
        NoteEdit {
            deleted: Some(false),
            ..NoteEdit::default()
        }
    }

    pub fn tags(tags: Vec<Tag>) -> NoteEdit {
        NoteEdit {
            tags: Some(tags),
            ..NoteEdit::default()
        }
    }

    /// New text, provided the note still has the text whose hash is
    /// `based_on`.
    pub fn text(body: NoteBody, based_on: impl Into<String>) -> NoteEdit {
        NoteEdit {
            based_on: Some(based_on.into()),
            body: Some(body),
            ..NoteEdit::default()
        }
    }

    /// Whether it would bring back a deleted note (a change to a deleted
    /// note is refused otherwise).
    pub fn undeletes(&self) -> bool {
        self.deleted == Some(false)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn note() -> NewNote {
        NewNote::new(NoteBody::parse("Hello").unwrap())
    }

    #[test]
    fn a_new_note_is_created_and_published_now() {
        assert_eq!(note().dates(at(0)), (at(0), Some(at(0))));
        let draft = NewNote {
            published: false,
            ..note()
        };
        assert_eq!(draft.dates(at(0)), (at(0), None));
    }

    #[test]
    fn a_back_dated_note_was_written_when_it_was_published() {
        let old = NewNote {
            published_at: Some(at(-100)),
            ..note()
        };
        assert_eq!(old.dates(at(0)), (at(-100), Some(at(-100))));
        let imported = NewNote {
            created_at: Some(at(-200)),
            ..note()
        };
        assert_eq!(imported.dates(at(0)), (at(-200), Some(at(-200))));
    }

    #[test]
    fn a_note_for_later_is_written_now() {
        let later = at(0) + TimeDelta::days(2);
        let scheduled = NewNote {
            published_at: Some(later),
            ..note()
        };
        assert_eq!(scheduled.dates(at(0)), (at(0), Some(later)));
    }
}
