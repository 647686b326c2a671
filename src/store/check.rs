//! `starpunk check`: does every row have its file, with the right content,
//! and does every file belong to a row? Leftovers of interrupted writes are
//! told apart from real damage: they are harmless and `repair` resolves them.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::debris::{Repair, find_leftovers};
use super::{Store, StoreError, blocking};
use crate::domain::content_hash;

/// One inconsistency between the database and the notes folder that needs
/// a person: nothing resolves it automatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    MissingFile {
        slug: String,
        path: String,
    },
    HashMismatch {
        slug: String,
        path: String,
    },
    UnreadableFile {
        slug: String,
        path: String,
        error: String,
    },
    UnknownFile {
        path: String,
    },
    /// The search index misses notes, has an older version of their text,
    /// or lists notes that are gone.
    SearchIndexStale {
        stale: Vec<String>,
        orphans: i64,
    },
}

impl Problem {
    /// Whether it makes a note unshowable (an unknown file does not).
    pub fn damages_a_note(&self) -> bool {
        !matches!(
            self,
            Problem::UnknownFile { .. } | Problem::SearchIndexStale { .. }
        )
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingFile { slug, path } => write!(
                f,
                "missing file: note {slug:?} expects {path}; put the file back from a backup, \
                 or remove the note with `starpunk note delete --hard {slug}`"
            ),
            Problem::HashMismatch { slug, path } => write!(
                f,
                "changed outside StarPunk: {path} (note {slug:?}) does not match its recorded SHA-256; \
                 save the text you want with `starpunk note edit {slug} FILE`"
            ),
            Problem::UnreadableFile { slug, path, error } => write!(
                f,
                "unreadable file: {path} (note {slug:?}): {error}; check its permissions"
            ),
            Problem::UnknownFile { path } => write!(
                f,
                "unknown file: {path} belongs to no note; import it with `starpunk note import`, \
                 or move it out of the notes folder (it is never removed automatically)"
            ),
            Problem::SearchIndexStale { stale, orphans } => {
                write!(
                    f,
                    "search index out of step: {} note(s) missing or outdated",
                    stale.len()
                )?;
                if let Some(first) = stale.first() {
                    write!(f, " (first: {first:?})")?;
                }
                write!(
                    f,
                    ", {orphans} entry(ies) for removed notes; `starpunk check --repair` rebuilds it"
                )
            }
        }
    }
}

/// What `check` found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Notes in the database, in any state.
    pub notes: usize,
    pub problems: Vec<Problem>,
    /// Leftovers of interrupted writes, resolved by [`Store::repair`].
    pub leftovers: Vec<Repair>,
}

impl Report {
    /// How many notes cannot be shown as recorded.
    pub fn damaged_notes(&self) -> usize {
        self.problems.iter().filter(|p| p.damages_a_note()).count()
    }
}

/// Rows verified per step of [`Store::count_damaged_notes`].
const SCAN_PAGE: i64 = 500;

impl Store {
    /// How many notes cannot be shown as recorded (file missing, unreadable
    /// or changed). Reads the rows a page at a time, so a large site is
    /// verified in little memory; for `/health`.
    pub async fn count_damaged_notes(&self) -> Result<usize, StoreError> {
        let mut damaged = 0;
        let mut after = 0i64;
        loop {
            let page: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT id, file_path, content_hash FROM notes WHERE id > ? ORDER BY id LIMIT ?",
            )
            .bind(after)
            .bind(SCAN_PAGE)
            .fetch_all(&self.pool)
            .await?;
            let Some(&(last, _, _)) = page.last() else {
                return Ok(damaged);
            };
            after = last;
            let files = self.files.clone();
            damaged += blocking(move || {
                Ok(page
                    .iter()
                    .filter(|(_, path, hash)| files.read_verified(path, hash).is_err())
                    .count())
            })
            .await?;
        }
    }

    /// Compares every row with its file, every file with the rows, and the
    /// search index with the notes.
    pub async fn check(&self) -> Result<Report, StoreError> {
        let index = self.search_index_state().await?;
        let mut report = self.check_files().await?;
        if !index.in_step() {
            report.problems.push(Problem::SearchIndexStale {
                stale: index.stale,
                orphans: index.orphans,
            });
        }
        Ok(report)
    }

    async fn check_files(&self) -> Result<Report, StoreError> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT slug, file_path, content_hash FROM notes ORDER BY file_path")
                .fetch_all(&self.pool)
                .await?;
        let files = self.files.clone();
        blocking(move || {
            let listing = files.list_files()?;
            let by_path: HashMap<String, String> = rows
                .iter()
                .map(|(_, path, hash)| (path.clone(), hash.clone()))
                .collect();
            let leftovers = find_leftovers(&files, &by_path, &listing)?;
            let temps: HashSet<&str> = leftovers
                .repairs
                .iter()
                .flat_map(|r| match r {
                    Repair::RemoveTemp { temp } => vec![temp.as_str()],
                    Repair::UndoCreate { path, twin } => vec![path.as_str(), twin.as_str()],
                    Repair::RestoreOld { old, .. } => vec![old.as_str()],
                    Repair::RestoreDeleted { aside, .. } => vec![aside.as_str()],
                })
                .collect();

            let mut problems = Vec::new();
            let notes = rows.len();
            for (slug, path, hash) in rows {
                if leftovers.explained.contains(&path) {
                    continue;
                }
                let full = files.resolve(&path)?;
                match std::fs::read(&full) {
                    Ok(bytes) if content_hash(&bytes) == hash => {}
                    Ok(_) => problems.push(Problem::HashMismatch { slug, path }),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        problems.push(Problem::MissingFile { slug, path })
                    }
                    Err(e) => problems.push(Problem::UnreadableFile {
                        slug,
                        path,
                        error: e.kind().to_string(),
                    }),
                }
            }
            problems.extend(
                listing
                    .iter()
                    .filter(|path| !by_path.contains_key(*path) && !temps.contains(path.as_str()))
                    .map(|path| Problem::UnknownFile { path: path.clone() }),
            );
            Ok(Report {
                notes,
                problems,
                leftovers: leftovers.repairs,
            })
        })
        .await
    }
}
