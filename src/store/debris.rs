//! What an interrupted write leaves behind, and how to resolve it.
//!
//! A writer killed at any instant (SIGKILL, power loss) leaves the old state
//! or the new one, plus at most a few temporary files named by
//! [`TempFile`]. Each is resolved to the state the database recorded, which
//! is the state that was acknowledged: an uncommitted create is undone, an
//! uncommitted edit or delete is rolled back, and a committed one's leftover
//! is removed. Resolution runs under the write lock, so the only files of a
//! live writer it can meet are those the writer removes after committing,
//! and it does the same with them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

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
///
/// The temporary files of one note are judged together, against its row:
/// several writers killed one after another can leave several for one note
/// (an edit's old text, then another edit's, then a delete's), and each is
/// only understood next to the others. What a repair does is then complete
/// in one pass, and `check` lists exactly what it will do.
pub(crate) fn find_leftovers(
    files: &NotesDir,
    rows: &HashMap<String, String>,
    listing: &[String],
) -> Result<Leftovers, StoreError> {
    let mut found = Leftovers::default();
    let mut by_note: BTreeMap<String, Vec<TempFile>> = BTreeMap::new();
    for temp in listing.iter().filter_map(|path| TempFile::parse(path)) {
        match (temp.kind, temp.note_path.clone()) {
            (Some(_), Some(note)) => by_note.entry(note).or_default().push(temp),
            // A name that says no note: an older version's, or a stray.
            _ => found.repairs.push(Repair::RemoveTemp { temp: temp.path }),
        }
    }
    for (note, temps) in by_note {
        match rows.get(&note) {
            None => resolve_unrecorded(files, note, temps, &mut found)?,
            Some(hash) => resolve_recorded(files, note, hash, temps, &mut found)?,
        }
    }
    Ok(found)
}

/// A note path with no row: nothing there was ever acknowledged. Its file,
/// if it is linked to a `new` twin, is a create that never wrote its row;
/// a file without such a twin is not StarPunk's to remove. Every temporary
/// file goes (the leftovers of committed deletes among them).
fn resolve_unrecorded(
    files: &NotesDir,
    note: String,
    mut temps: Vec<TempFile>,
    found: &mut Leftovers,
) -> Result<(), StoreError> {
    let mut twin = None;
    for (i, temp) in temps.iter().enumerate() {
        if temp.kind == Some(TempKind::New) && files.same_file(&temp.path, &note)? {
            twin = Some(i);
            break;
        }
    }
    if let Some(i) = twin {
        let twin = temps.remove(i).path;
        found.explained.insert(note.clone());
        found.repairs.push(Repair::UndoCreate { path: note, twin });
    }
    remove_all(temps, found);
    Ok(())
}

/// A note with a row: its file must hold the recorded text. If it does,
/// every write that left something here either committed or changed
/// nothing, and the temporary files go. If it does not, an edit or delete
/// stopped before changing the row, and one of the temporary files holds
/// the recorded text (a writer keeps it until its row changes): it is put
/// back and the others go. If none does, the text was changed outside
/// StarPunk and every file is kept for the owner to look at.
fn resolve_recorded(
    files: &NotesDir,
    note: String,
    hash: &str,
    mut temps: Vec<TempFile>,
    found: &mut Leftovers,
) -> Result<(), StoreError> {
    if files.hash_of(&note)?.as_deref() == Some(hash) {
        remove_all(temps, found);
        return Ok(());
    }
    let mut saved = None;
    for (i, temp) in temps.iter().enumerate() {
        if files.hash_of(&temp.path)?.as_deref() == Some(hash) {
            saved = Some(i);
            break;
        }
    }
    let Some(i) = saved else {
        found.kept.extend(temps.into_iter().map(|temp| temp.path));
        return Ok(());
    };
    let saved = temps.remove(i);
    found.explained.insert(note.clone());
    found.repairs.push(match saved.kind {
        Some(TempKind::Deleted) => Repair::RestoreDeleted {
            path: note,
            aside: saved.path,
        },
        _ => Repair::RestoreOld {
            path: note,
            old: saved.path,
        },
    });
    remove_all(temps, found);
    Ok(())
}

fn remove_all(temps: Vec<TempFile>, found: &mut Leftovers) {
    found.repairs.extend(
        temps
            .into_iter()
            .map(|temp| Repair::RemoveTemp { temp: temp.path }),
    );
}

/// Lists the notes folder, classifies its temporary files against `rows`
/// and resolves them all, in the order [`find_leftovers`] gives (a note's
/// text put back before its other temporary files go). The caller holds
/// the write lock.
fn resolve_leftovers(
    files: &NotesDir,
    rows: &HashMap<String, String>,
) -> Result<Vec<Repair>, StoreError> {
    let listing = files.list_files()?;
    let repairs = find_leftovers(files, rows, &listing)?.repairs;
    for repair in &repairs {
        repair.apply(files)?;
    }
    Ok(repairs)
}

impl Store {
    /// Resolves every leftover of an interrupted write, however young,
    /// under the write lock. Returns what was done. A note that got its
    /// text back makes the site re-render.
    ///
    /// Holding the lock is what makes every temporary file found fair game:
    /// a writer creates and renames its files only while it holds the lock,
    /// and what it still has to do after committing (removing its
    /// temporary twin) is exactly what resolving that file does; the
    /// writer takes a twin already gone as done.
    pub async fn repair(&self) -> Result<Vec<Repair>, StoreError> {
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
        let done = blocking(move || resolve_leftovers(&files, &rows.into_iter().collect())).await?;
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

#[cfg(test)]
mod tests;
