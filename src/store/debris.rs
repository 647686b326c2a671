//! What an interrupted write leaves behind, and how to resolve it.
//!
//! A writer killed at any instant (SIGKILL, power loss) leaves the old state
//! or the new one, plus at most a few temporary files named by
//! [`TempFile`]. Each is resolved to the state the database recorded, which
//! is the state that was acknowledged: an uncommitted create is undone, an
//! uncommitted edit or delete is rolled back, and a committed one's leftover
//! is removed. Resolution runs under the write lock, so it never touches the
//! files of a live writer.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use super::files::{NotesDir, TempFile, TempKind};
use super::{Store, StoreError, blocking};

/// One leftover of an interrupted write and what resolving it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// A temporary file nothing needs: remove it.
    RemoveTemp { temp: String },
    /// A note file created by a writer that died before its row was
    /// written (it is hard-linked to its temporary twin): remove both.
    UndoCreate { path: String, twin: String },
    /// An edit whose row was never updated: put the recorded text back.
    RestoreOld { path: String, old: String },
    /// A delete whose row was never removed: put the file back.
    RestoreDeleted { path: String, aside: String },
}

impl Repair {
    /// Whether resolving it changes what a note shows.
    fn restores_a_note(&self) -> bool {
        matches!(
            self,
            Repair::RestoreOld { .. } | Repair::RestoreDeleted { .. }
        )
    }

    /// The temporary file it is about (for age checks).
    fn temp(&self) -> &str {
        match self {
            Repair::RemoveTemp { temp } => temp,
            Repair::UndoCreate { twin, .. } => twin,
            Repair::RestoreOld { old, .. } => old,
            Repair::RestoreDeleted { aside, .. } => aside,
        }
    }

    fn apply(&self, files: &NotesDir) -> Result<(), StoreError> {
        match self {
            Repair::RemoveTemp { temp } => files.remove(temp),
            Repair::UndoCreate { path, twin } => {
                files.remove(path)?;
                files.remove(twin)
            }
            Repair::RestoreOld { path, old } => files.rename(old, path),
            Repair::RestoreDeleted { path, aside } => files.rename(aside, path),
        }
    }
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repair::RemoveTemp { temp } => {
                write!(f, "{temp}: temporary file of an interrupted write")
            }
            Repair::UndoCreate { path, .. } => write!(
                f,
                "{path}: half-created note (its writer stopped before saving it); removed on repair"
            ),
            Repair::RestoreOld { path, .. } => write!(
                f,
                "{path}: interrupted edit; its saved text is put back on repair"
            ),
            Repair::RestoreDeleted { path, .. } => write!(
                f,
                "{path}: interrupted delete; the file is put back on repair"
            ),
        }
    }
}

/// Leftovers found in a listing of the notes folder, and the note files
/// they explain (which are then not reported as damaged or unknown).
#[derive(Debug, Default)]
pub(crate) struct Leftovers {
    pub repairs: Vec<Repair>,
    pub explained: HashSet<String>,
    /// Temporary files kept because resolving them could lose text: shown
    /// to the owner as unknown files.
    pub kept: Vec<String>,
}

/// Classifies every temporary file in `listing`. `rows` maps each note's
/// file path to its recorded content hash.
pub(crate) fn find_leftovers(
    files: &NotesDir,
    rows: &HashMap<String, String>,
    listing: &[String],
) -> Result<Leftovers, StoreError> {
    let mut found = Leftovers::default();
    for temp in listing.iter().filter_map(|path| TempFile::parse(path)) {
        let remove = Repair::RemoveTemp {
            temp: temp.path.clone(),
        };
        let (Some(kind), Some(note)) = (temp.kind, temp.note_path.clone()) else {
            found.repairs.push(remove);
            continue;
        };
        let recorded = rows.get(&note);
        let repair = match kind {
            TempKind::New if recorded.is_none() && files.same_file(&temp.path, &note)? => {
                Some(Repair::UndoCreate {
                    path: note.clone(),
                    twin: temp.path.clone(),
                })
            }
            TempKind::New => Some(remove),
            TempKind::Old => match recorded {
                None => Some(remove),
                Some(hash) if files.hash_of(&note)?.as_ref() == Some(hash) => Some(remove),
                Some(hash) if files.hash_of(&temp.path)?.as_ref() == Some(hash) => {
                    Some(Repair::RestoreOld {
                        path: note.clone(),
                        old: temp.path.clone(),
                    })
                }
                Some(_) => None,
            },
            TempKind::Deleted => match recorded {
                None => Some(remove),
                Some(hash)
                    if files.hash_of(&note)?.is_none()
                        && files.hash_of(&temp.path)?.as_ref() == Some(hash) =>
                {
                    Some(Repair::RestoreDeleted {
                        path: note.clone(),
                        aside: temp.path.clone(),
                    })
                }
                Some(_) => None,
            },
        };
        match repair {
            Some(repair) => {
                if !matches!(repair, Repair::RemoveTemp { .. }) {
                    found.explained.insert(note);
                }
                found.repairs.push(repair);
            }
            None => found.kept.push(temp.path),
        }
    }
    Ok(found)
}

impl Store {
    /// Resolves the leftovers of interrupted writes whose temporary file is
    /// at least `min_age` old, under the write lock. Returns what was done.
    /// A note that got its text back makes the site re-render.
    pub async fn repair(&self, min_age: Duration) -> Result<Vec<Repair>, StoreError> {
        // Most sweeps find nothing: look first without holding up writers.
        let files = self.files.clone();
        if !blocking(move || files.has_temp_files()).await? {
            return Ok(Vec::new());
        }
        let mut tx = self.write_lock().await?;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT file_path, content_hash FROM notes")
                .fetch_all(&mut *tx)
                .await?;
        let files = self.files.clone();
        let done = blocking(move || {
            let rows: HashMap<String, String> = rows.into_iter().collect();
            let listing = files.list_files()?;
            let mut done = Vec::new();
            for repair in find_leftovers(&files, &rows, &listing)?.repairs {
                match files.age(repair.temp())? {
                    Some(age) if age >= min_age => {}
                    // Too fresh to be sure, or already gone.
                    _ => continue,
                }
                repair.apply(&files)?;
                done.push(repair);
            }
            Ok(done)
        })
        .await?;
        if done.iter().any(Repair::restores_a_note) {
            sqlx::query(
                "UPDATE site_state SET revision = revision + 1,
                        changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 1",
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }
}
