//! Note files under `NOTES_PATH`: the only code that reads or writes them.
//!
//! Every change goes through a temporary file in the note's own folder,
//! named `.tmp-<kind>.<random>.<slug>.md.part` (see [`TempFile`]), so that a
//! writer killed at any instant leaves only files that [`super::debris`] can
//! recognise and resolve. Callers hold the database's write lock while they
//! create or rename files with these primitives, so a temporary file found
//! under that lock is either abandoned or one that a writer which has
//! committed is about to remove; the removals take a file already gone as
//! done, so a repair may remove it first.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};

mod temp;

use super::StoreError;
use crate::domain::{Slug, content_hash};
use temp::with_temp_name;
pub use temp::{TempFile, TempKind};

/// The folder of note files. Every path handed to it is relative and is
/// checked to stay inside it.
#[derive(Debug, Clone)]
pub struct NotesDir {
    root: PathBuf,
}

/// Whether a write waits for the disk. Imports defer it and sync the whole
/// file system once per batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Synced,
    Deferred,
}

/// Why a note file could not be read as the note it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileDamage {
    #[error("the file is missing")]
    Missing,
    #[error("the file cannot be read ({0})")]
    Unreadable(String),
    #[error("the file was changed outside StarPunk (its SHA-256 does not match)")]
    Changed,
    #[error("the file is not UTF-8 text")]
    NotText,
}

/// A file this writer created in a note's folder, ready to be discarded on
/// failure: its final name and the temporary twin it was linked from.
#[derive(Debug)]
pub struct CreatedFile {
    pub path: PathBuf,
    pub twin: PathBuf,
}

impl NotesDir {
    pub fn new(root: impl Into<PathBuf>) -> NotesDir {
        NotesDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `YYYY/MM/<slug>.md`, by the note's creation date.
    pub fn relative_path_for(slug: &Slug, created_at: DateTime<Utc>) -> String {
        format!(
            "{:04}/{:02}/{}.md",
            created_at.year(),
            created_at.month(),
            slug.as_str()
        )
    }

    /// The absolute path of a relative note path, refusing anything that
    /// could leave the folder (`..`, absolute paths, empty parts).
    pub fn resolve(&self, relative: &str) -> Result<PathBuf, StoreError> {
        let path = Path::new(relative);
        let safe = !relative.is_empty()
            && path
                .components()
                .all(|c| matches!(c, Component::Normal(part) if !part.is_empty()));
        if !safe {
            return Err(StoreError::UnsafePath(relative.to_owned()));
        }
        Ok(self.root.join(path))
    }

    /// A note's text, provided the file is there, is UTF-8 and still has
    /// the content the database recorded.
    pub fn read_verified(&self, relative: &str, hash: &str) -> Result<String, FileDamage> {
        let path = self
            .resolve(relative)
            .map_err(|e| FileDamage::Unreadable(e.to_string()))?;
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(FileDamage::Missing),
            Err(e) => return Err(FileDamage::Unreadable(e.kind().to_string())),
        };
        if content_hash(&bytes) != hash {
            return Err(FileDamage::Changed);
        }
        String::from_utf8(bytes).map_err(|_| FileDamage::NotText)
    }

    /// Creates a note's file, never replacing one that exists: the content
    /// goes to a temporary twin first, which is then hard-linked to the
    /// final name (`link(2)` fails if that name is taken). `Ok(None)` means
    /// the name is taken. The twin stays until [`NotesDir::forget_twin`], so
    /// that a crash before the row is written leaves a pair that proves the
    /// file was never acknowledged.
    pub fn create_new(
        &self,
        relative: &str,
        content: &[u8],
        durability: Durability,
    ) -> Result<Option<CreatedFile>, StoreError> {
        let path = self.resolve(relative)?;
        let dir = parent(&path);
        self.create_folders(dir, durability)?;
        let twin = self.write_temp(&path, TempKind::New, content, durability)?;
        match fs::hard_link(&twin, &path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                remove_quietly(&twin);
                return Ok(None);
            }
            Err(e) => {
                remove_quietly(&twin);
                return Err(StoreError::io("cannot create", &path, e));
            }
        }
        if durability == Durability::Synced {
            sync_dir(dir)?;
        }
        Ok(Some(CreatedFile { path, twin }))
    }

    /// Removes the temporary twin of a file whose row is written (a twin
    /// a repair has removed already is fine).
    pub fn forget_twin(&self, created: &CreatedFile) {
        remove_quietly(&created.twin);
    }

    /// Removes a file this writer created (its row could not be written).
    pub fn discard_created(&self, created: &CreatedFile) -> Result<(), StoreError> {
        remove_file(&created.path)?;
        remove_quietly(&created.twin);
        Ok(())
    }

    /// Replaces a note's content in one step. The previous content stays
    /// reachable under a temporary `old` name (a hard link, no copy) until
    /// the caller either commits ([`NotesDir::remove_temp`]) or rolls back
    /// ([`NotesDir::restore_old`]).
    pub fn replace(&self, relative: &str, content: &[u8]) -> Result<PathBuf, StoreError> {
        let path = self.resolve(relative)?;
        let dir = parent(&path);
        let old = self.link_temp(&path, TempKind::Old)?;
        let new = match self.write_temp(&path, TempKind::New, content, Durability::Synced) {
            Ok(new) => new,
            Err(e) => {
                remove_quietly(&old);
                return Err(e);
            }
        };
        if let Err(e) = fs::rename(&new, &path) {
            remove_quietly(&new);
            remove_quietly(&old);
            return Err(StoreError::io("cannot replace", &path, e));
        }
        sync_dir(dir)?;
        Ok(old)
    }

    /// Puts the previous content back after a failed update.
    pub fn restore_old(&self, old: &Path, relative: &str) -> Result<(), StoreError> {
        let path = self.resolve(relative)?;
        fs::rename(old, &path).map_err(|e| StoreError::io("cannot restore", &path, e))?;
        sync_dir(parent(&path))
    }

    /// Moves a note's file out of the way before its row is deleted;
    /// `None` when there was no file.
    pub fn move_aside(&self, relative: &str) -> Result<Option<PathBuf>, StoreError> {
        let path = self.resolve(relative)?;
        let moved = with_temp_name(&path, TempKind::Deleted, |name| {
            name.make_in(parent(&path), |aside| fs::rename(&path, aside))
        });
        let aside = match moved {
            Ok(aside) => aside.into_temp_path(),
            Err(e) if e.kind() == io::ErrorKind::NotFound && !path.exists() => return Ok(None),
            Err(e) => return Err(StoreError::io("cannot move aside", &path, e)),
        };
        let aside = aside
            .keep()
            .map_err(|e| StoreError::io("cannot keep", &e.path, e.error))?;
        sync_dir(parent(&path))?;
        Ok(Some(aside))
    }

    /// Puts a file moved aside back under its name (a delete that failed).
    pub fn put_back(&self, aside: &Path, relative: &str) -> Result<(), StoreError> {
        self.restore_old(aside, relative)
    }

    /// Removes a temporary file and makes the removal durable; a file a
    /// repair has removed already is not an error.
    pub fn remove_temp(&self, temp: &Path) -> Result<(), StoreError> {
        remove_file(temp)?;
        sync_dir(parent(temp))
    }

    /// Removes a note file; a file already gone is not an error.
    pub fn remove(&self, relative: &str) -> Result<(), StoreError> {
        let path = self.resolve(relative)?;
        remove_file(&path)?;
        sync_dir(parent(&path))
    }

    /// Whether two relative paths name the same file (hard links).
    pub fn same_file(&self, a: &str, b: &str) -> Result<bool, StoreError> {
        let identity = |relative: &str| -> Result<Option<(u64, u64)>, StoreError> {
            let path = self.resolve(relative)?;
            match fs::symlink_metadata(&path) {
                Ok(meta) => Ok(Some((meta.dev(), meta.ino()))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StoreError::io("cannot stat", &path, e)),
            }
        };
        Ok(match (identity(a)?, identity(b)?) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        })
    }

    /// SHA-256 of a file, `None` when it is missing.
    pub fn hash_of(&self, relative: &str) -> Result<Option<String>, StoreError> {
        let path = self.resolve(relative)?;
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(content_hash(&bytes))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io("cannot read", &path, e)),
        }
    }

    /// Renames one relative path to another (used to roll back an
    /// interrupted write found after a crash).
    pub fn rename(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let (from, to) = (self.resolve(from)?, self.resolve(to)?);
        fs::rename(&from, &to).map_err(|e| StoreError::io("cannot rename", &from, e))?;
        sync_dir(parent(&to))
    }

    /// Flushes everything written to the file system holding the notes.
    pub fn sync_all(&self) -> Result<(), StoreError> {
        let dir =
            File::open(&self.root).map_err(|e| StoreError::io("cannot open", &self.root, e))?;
        rustix::fs::syncfs(&dir)
            .map_err(|e| StoreError::io("cannot sync the file system of", &self.root, e.into()))
    }

    /// Whether any temporary file is under the folder; stops at the first,
    /// and holds no listing in memory.
    pub fn has_temp_files(&self) -> Result<bool, StoreError> {
        if !self.root.exists() {
            return Ok(false);
        }
        walk_files(&self.root, &mut |path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .and_then(TempFile::parse)
                .is_some()
        })
    }

    /// Every file under the folder, as relative paths with `/` separators.
    pub fn list_files(&self) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        if self.root.exists() {
            walk_files(&self.root, &mut |path| {
                let relative = path.strip_prefix(&self.root).expect("listed under root");
                let parts: Vec<_> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect();
                found.push(parts.join("/"));
                false
            })?;
        }
        found.sort();
        Ok(found)
    }

    /// Creates the folders of a note path that do not exist yet. With
    /// `Synced`, each new folder's entry is made durable in its parent, so a
    /// power loss cannot lose a folder that holds an acknowledged note.
    fn create_folders(&self, dir: &Path, durability: Durability) -> Result<(), StoreError> {
        if dir.is_dir() {
            return Ok(());
        }
        let mut missing = Vec::new();
        let mut cursor = Some(dir);
        while let Some(folder) = cursor.filter(|f| !f.exists() && f.starts_with(&self.root)) {
            missing.push(folder);
            cursor = folder.parent();
        }
        for folder in missing.into_iter().rev() {
            match fs::create_dir(folder) {
                Ok(()) => {}
                // Another writer made it first: it syncs its own parent.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(StoreError::io("cannot create folder", folder, e)),
            }
            if durability == Durability::Synced {
                sync_dir(parent(folder))?;
            }
        }
        Ok(())
    }

    fn write_temp(
        &self,
        note: &Path,
        kind: TempKind,
        content: &[u8],
        durability: Durability,
    ) -> Result<PathBuf, StoreError> {
        let dir = parent(note);
        let mut temp = with_temp_name(note, kind, |name| name.tempfile_in(dir))
            .map_err(|e| StoreError::io("cannot create a temporary file in", dir, e))?;
        temp.write_all(content)
            .map_err(|e| StoreError::io("cannot write", temp.path(), e))?;
        if durability == Durability::Synced {
            temp.as_file()
                .sync_all()
                .map_err(|e| StoreError::io("cannot fsync", temp.path(), e))?;
        }
        temp.into_temp_path()
            .keep()
            .map_err(|e| StoreError::io("cannot keep", &e.path, e.error))
    }

    fn link_temp(&self, note: &Path, kind: TempKind) -> Result<PathBuf, StoreError> {
        with_temp_name(note, kind, |name| {
            name.make_in(parent(note), |temp| fs::hard_link(note, temp))
        })
        .map_err(|e| StoreError::io("cannot link", note, e))?
        .into_temp_path()
        .keep()
        .map_err(|e| StoreError::io("cannot keep", &e.path, e.error))
    }
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .expect("a resolved note path has a parent folder")
}

fn remove_file(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("cannot remove", path, e)),
    }
}

/// For temporary files whose removal does not matter for correctness: one
/// that survives is recognised and cleaned up later.
fn remove_quietly(path: &Path) {
    if let Err(e) = fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        log::warn!("cannot remove temporary file {}: {e}", path.display());
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("cannot fsync folder", dir, e))
}

/// Calls `visit` with every file under `dir`, depth first, until it
/// returns `true`; returns whether it did.
pub(super) fn walk_files(
    dir: &Path,
    visit: &mut dyn FnMut(&Path) -> bool,
) -> Result<bool, StoreError> {
    let entries = fs::read_dir(dir).map_err(|e| StoreError::io("cannot list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("cannot list", dir, e))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| StoreError::io("cannot stat", &path, e))?;
        let stop = if kind.is_dir() {
            walk_files(&path, visit)?
        } else {
            visit(&path)
        };
        if stop {
            return Ok(true);
        }
    }
    Ok(false)
}
