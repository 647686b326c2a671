//! Note files under `NOTES_PATH`: the only code that reads or writes them.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};

use super::StoreError;
use crate::domain::Slug;

/// The folder of note files. Every path handed to it is relative and is
/// checked to stay inside it.
#[derive(Debug, Clone)]
pub struct NotesDir {
    root: PathBuf,
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

    pub fn exists(&self, relative: &str) -> Result<bool, StoreError> {
        Ok(self.resolve(relative)?.exists())
    }

    pub fn read(&self, relative: &str) -> Result<String, StoreError> {
        let path = self.resolve(relative)?;
        fs::read_to_string(&path).map_err(|e| StoreError::io("cannot read", &path, e))
    }

    /// Replaces the file in one step: a temp file in the same folder is
    /// written and fsynced, renamed over the target, and the folder fsynced,
    /// so a crash leaves either the old content or the new, never a mix.
    pub fn write_atomic(&self, relative: &str, content: &[u8]) -> Result<(), StoreError> {
        self.write(relative, content, Durability::Synced)
    }

    /// Like [`NotesDir::write_atomic`] but without the fsyncs, for bulk
    /// imports that sync the whole file system once per batch.
    pub fn write_unsynced(&self, relative: &str, content: &[u8]) -> Result<(), StoreError> {
        self.write(relative, content, Durability::Deferred)
    }

    fn write(
        &self,
        relative: &str,
        content: &[u8],
        durability: Durability,
    ) -> Result<(), StoreError> {
        let path = self.resolve(relative)?;
        let dir = path
            .parent()
            .expect("a resolved note path has a parent folder");
        fs::create_dir_all(dir).map_err(|e| StoreError::io("cannot create folder", dir, e))?;
        let mut temp = tempfile::Builder::new()
            .prefix(".tmp-")
            .suffix(".md.part")
            .tempfile_in(dir)
            .map_err(|e| StoreError::io("cannot create a temp file in", dir, e))?;
        temp.write_all(content)
            .map_err(|e| StoreError::io("cannot write", temp.path(), e))?;
        if durability == Durability::Synced {
            temp.as_file()
                .sync_all()
                .map_err(|e| StoreError::io("cannot fsync", temp.path(), e))?;
        }
        temp.persist(&path)
            .map_err(|e| StoreError::io("cannot rename into", &path, e.error))?;
        if durability == Durability::Synced {
            sync_dir(dir)?;
        }
        Ok(())
    }

    /// Removes a note file; a file already gone is not an error.
    pub fn remove(&self, relative: &str) -> Result<(), StoreError> {
        let path = self.resolve(relative)?;
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(
                path.parent()
                    .expect("a resolved note path has a parent folder"),
            ),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io("cannot remove", &path, e)),
        }
    }

    /// Flushes everything written to the file system holding the notes.
    pub fn sync_all(&self) -> Result<(), StoreError> {
        let dir =
            File::open(&self.root).map_err(|e| StoreError::io("cannot open", &self.root, e))?;
        rustix::fs::syncfs(&dir)
            .map_err(|e| StoreError::io("cannot sync the file system of", &self.root, e.into()))
    }

    /// Every file under the folder, as relative paths with `/` separators.
    pub fn list_files(&self) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        if self.root.exists() {
            collect_files(&self.root, &self.root, &mut found)?;
        }
        found.sort();
        Ok(found)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    Synced,
    Deferred,
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("cannot fsync folder", dir, e))
}

fn collect_files(root: &Path, dir: &Path, found: &mut Vec<String>) -> Result<(), StoreError> {
    let entries = fs::read_dir(dir).map_err(|e| StoreError::io("cannot list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("cannot list", dir, e))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| StoreError::io("cannot stat", &path, e))?;
        if kind.is_dir() {
            collect_files(root, &path, found)?;
        } else {
            let relative = path.strip_prefix(root).expect("listed under root");
            let parts: Vec<_> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect();
            found.push(parts.join("/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn paths_are_by_year_and_month() {
        let slug = Slug::parse("hello").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap();
        assert_eq!(NotesDir::relative_path_for(&slug, at), "2026/03/hello.md");
    }

    #[test]
    fn refuses_paths_that_leave_the_folder() {
        let dir = NotesDir::new("/srv/notes");
        for bad in ["", "../x.md", "/etc/passwd", "2026/../../x.md", "./x.md"] {
            assert!(
                matches!(dir.resolve(bad), Err(StoreError::UnsafePath(_))),
                "{bad}"
            );
        }
        assert_eq!(
            dir.resolve("2026/01/a.md").unwrap(),
            PathBuf::from("/srv/notes/2026/01/a.md")
        );
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = NotesDir::new(tmp.path());
        dir.write_atomic("2026/01/a.md", b"one").unwrap();
        dir.write_atomic("2026/01/a.md", b"two").unwrap();
        assert_eq!(dir.read("2026/01/a.md").unwrap(), "two");
        assert_eq!(dir.list_files().unwrap(), vec!["2026/01/a.md".to_string()]);
        dir.remove("2026/01/a.md").unwrap();
        dir.remove("2026/01/a.md").unwrap();
        assert!(dir.list_files().unwrap().is_empty());
    }
}
