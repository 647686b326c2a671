//! Lists of notes: the owner's view (every state, a page at a time) and
//! the index of listed notes for the sitemap.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;

use super::notes::{COLUMNS, LISTED, NoteRow};
use super::{Store, StoreError};
use crate::domain::Note;

/// Which notes the dashboard shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoteFilter {
    /// Everything but deleted notes.
    #[default]
    Current,
    /// Published and listed: on the home page and in the feeds.
    Published,
    /// Published with a date still to come.
    Scheduled,
    /// Published, shown at their permalink only.
    Unlisted,
    Drafts,
    Deleted,
    /// Every published note, listed or not, due or not: Micropub's
    /// `post-status=published`. Not one of the dashboard's views.
    AnyPublished,
}

impl NoteFilter {
    pub const ALL: [NoteFilter; 6] = [
        NoteFilter::Current,
        NoteFilter::Published,
        NoteFilter::Scheduled,
        NoteFilter::Unlisted,
        NoteFilter::Drafts,
        NoteFilter::Deleted,
    ];

    /// The name used in the dashboard's URL (`?show=drafts`).
    pub fn as_str(self) -> &'static str {
        match self {
            NoteFilter::Current => "current",
            NoteFilter::Published => "published",
            NoteFilter::Scheduled => "scheduled",
            NoteFilter::Unlisted => "unlisted",
            NoteFilter::Drafts => "drafts",
            NoteFilter::Deleted => "deleted",
            NoteFilter::AnyPublished => "any-published",
        }
    }

    pub fn parse(text: &str) -> Option<NoteFilter> {
        NoteFilter::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// The SQL condition; see [`NoteFilter::compares_with_now`].
    pub(super) fn condition(self) -> &'static str {
        match self {
            NoteFilter::Current => "deleted_at IS NULL",
            NoteFilter::Published => LISTED,
            NoteFilter::Scheduled => "deleted_at IS NULL AND published = 1 AND published_at > ?",
            NoteFilter::Unlisted => {
                "deleted_at IS NULL AND published = 1 AND visibility = 'unlisted' \
                 AND published_at <= ?"
            }
            NoteFilter::Drafts => "deleted_at IS NULL AND published = 0",
            NoteFilter::Deleted => "deleted_at IS NOT NULL",
            NoteFilter::AnyPublished => "deleted_at IS NULL AND published = 1",
        }
    }

    /// Whether [`NoteFilter::condition`] has one parameter: now.
    pub(super) fn compares_with_now(self) -> bool {
        matches!(
            self,
            NoteFilter::Published | NoteFilter::Scheduled | NoteFilter::Unlisted
        )
    }
}

/// How many notes are in each state; each note is in exactly one.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoteCounts {
    /// Published and listed.
    pub published: i64,
    pub scheduled: i64,
    pub unlisted: i64,
    pub drafts: i64,
    pub deleted: i64,
}

impl NoteCounts {
    /// Every note not deleted.
    pub fn current(&self) -> i64 {
        self.published + self.scheduled + self.unlisted + self.drafts
    }

    pub fn of(&self, filter: NoteFilter) -> i64 {
        match filter {
            NoteFilter::Current => self.current(),
            NoteFilter::Published => self.published,
            NoteFilter::Scheduled => self.scheduled,
            NoteFilter::Unlisted => self.unlisted,
            NoteFilter::Drafts => self.drafts,
            NoteFilter::Deleted => self.deleted,
            NoteFilter::AnyPublished => self.published + self.scheduled + self.unlisted,
        }
    }
}

impl Store {
    /// Notes matching `filter`, newest first (by creation: drafts have no
    /// publication date); `limit` of them after `offset`, and whether
    /// there are more.
    pub async fn owner_page(
        &self,
        filter: NoteFilter,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<Note>, bool), StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM notes WHERE {}
             ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            filter.condition()
        );
        let mut query = sqlx::query_as::<_, NoteRow>(&sql);
        if filter.compares_with_now() {
            query = query.bind(self.listed_at());
        }
        let rows = query
            .bind(i64::from(limit) + 1)
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let more = rows.len() > limit as usize;
        Ok((
            rows.into_iter()
                .take(limit as usize)
                .map(Note::from)
                .collect(),
            more,
        ))
    }

    /// Any note with this id, whatever its state.
    pub async fn find_by_id(&self, id: i64) -> Result<Option<Note>, StoreError> {
        let row =
            sqlx::query_as::<_, NoteRow>(&format!("SELECT {COLUMNS} FROM notes WHERE id = ?"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Note::from))
    }

    /// Listed notes' slugs and last changes, in the order they were
    /// created (so a new note only adds to the end): what the sitemap
    /// lists, read without opening a single file. From the `skip`th note,
    /// at most `take`, handed to `visit` one at a time, so a large site is
    /// never held in memory.
    pub async fn each_listed(
        &self,
        skip: usize,
        take: usize,
        mut visit: impl FnMut(&str, DateTime<Utc>),
    ) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT slug, updated_at FROM notes WHERE {LISTED} ORDER BY id LIMIT ? OFFSET ?"
        );
        let mut rows = sqlx::query_as::<_, (String, DateTime<Utc>)>(&sql)
            .bind(self.listed_at())
            .bind(i64::try_from(take).unwrap_or(i64::MAX))
            .bind(i64::try_from(skip).unwrap_or(i64::MAX))
            .fetch(&self.pool);
        while let Some((slug, updated)) = rows.try_next().await? {
            visit(&slug, updated);
        }
        Ok(())
    }

    /// Listed notes in runs of `run` (in the order they were created,
    /// the first run `run - lead` long): how many each run holds and the
    /// latest change among them. What a sitemap index says of its parts,
    /// counted by SQLite without a row leaving the database.
    pub async fn listed_runs(
        &self,
        run: usize,
        lead: usize,
    ) -> Result<Vec<(usize, DateTime<Utc>)>, StoreError> {
        let run = i64::try_from(run.max(1)).unwrap_or(i64::MAX);
        let mut length = run - i64::try_from(lead).unwrap_or(0).clamp(0, run - 1);
        let mut after = i64::MIN;
        let mut runs = Vec::new();
        let now = self.listed_at();
        let sql = format!(
            "SELECT COUNT(*), MAX(updated_at), MAX(id) FROM (
                 SELECT id, updated_at FROM notes WHERE {LISTED} AND id > ? ORDER BY id LIMIT ?)"
        );
        loop {
            // Each run starts after the last id of the one before, so the
            // whole walk reads every row once. Times are stored in one fixed
            // format: the greatest string is the latest time.
            let (count, latest, last_id) =
                sqlx::query_as::<_, (i64, Option<DateTime<Utc>>, Option<i64>)>(&sql)
                    .bind(&now)
                    .bind(after)
                    .bind(length)
                    .fetch_one(&self.pool)
                    .await?;
            let (Some(latest), Some(last_id)) = (latest, last_id) else {
                break;
            };
            runs.push((usize::try_from(count).unwrap_or(0), latest));
            if count < length {
                break;
            }
            after = last_id;
            length = run;
        }
        Ok(runs)
    }

    pub async fn note_counts(&self) -> Result<NoteCounts, StoreError> {
        let (published, scheduled, unlisted, drafts, deleted) =
            sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(
                "SELECT
                     COALESCE(SUM(live AND published_at <= ?1 AND visibility = 'public'), 0),
                     COALESCE(SUM(live AND published_at > ?1), 0),
                     COALESCE(SUM(live AND published_at <= ?1 AND visibility = 'unlisted'), 0),
                     COALESCE(SUM(deleted_at IS NULL AND published = 0), 0),
                     COALESCE(SUM(deleted_at IS NOT NULL), 0)
                 FROM (SELECT *, deleted_at IS NULL AND published = 1 AS live FROM notes)",
            )
            .bind(self.listed_at())
            .fetch_one(&self.pool)
            .await?;
        Ok(NoteCounts {
            published,
            scheduled,
            unlisted,
            drafts,
            deleted,
        })
    }
}

/// What the feeds list, in brief: it changes whenever a listed note comes,
/// goes or changes (every change of a note moves its `updated_at`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFingerprint {
    count: i64,
    latest_change: Option<String>,
}

impl Store {
    pub async fn listed_fingerprint(&self) -> Result<ListedFingerprint, StoreError> {
        let (count, latest_change) = sqlx::query_as::<_, (i64, Option<String>)>(&format!(
            "SELECT COUNT(*), MAX(updated_at) FROM notes WHERE {LISTED}"
        ))
        .bind(self.listed_at())
        .fetch_one(&self.pool)
        .await?;
        Ok(ListedFingerprint {
            count,
            latest_change,
        })
    }
}
