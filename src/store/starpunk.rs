//! Reading a data folder of StarPunk's Python version: its `starpunk.db`
//! (opened read-only: moving in must never change the old site), its
//! `notes/YYYY/MM/*.md` files and, from its later versions, its tags and
//! its uploaded images (`media/YYYY/MM/…`). Only reading happens here; the
//! notes are written through the import of the note service.

use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};

use super::StoreError;
use crate::domain::content_hash;

/// One row of the old `notes` table, as stored (text is parsed later, so a
/// bad value skips one note instead of the whole move).
#[derive(Debug, Clone)]
pub struct OldNote {
    pub id: i64,
    pub slug: String,
    pub file_path: String,
    pub published: bool,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
    /// SHA-256 hex of the file, as the old site last wrote it.
    pub content_hash: Option<String>,
}

/// An old data folder.
#[derive(Debug, Clone)]
pub struct OldSite {
    root: PathBuf,
}

impl OldSite {
    pub fn new(root: &Path) -> OldSite {
        OldSite {
            root: root.to_owned(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn database_path(&self) -> PathBuf {
        self.root.join("starpunk.db")
    }

    /// The old database, read-only.
    pub(super) async fn open(&self) -> Result<SqliteConnection, StoreError> {
        let path = self.database_path();
        if !path.is_file() {
            return Err(StoreError::NotStarPunk {
                root: self.root.clone(),
                database: path,
            });
        }
        Ok(SqliteConnectOptions::from_str("sqlite:")?
            .filename(&path)
            .read_only(true)
            .connect()
            .await?)
    }

    /// Every row of the old `notes` table, oldest first.
    pub async fn notes(&self) -> Result<Vec<OldNote>, StoreError> {
        let path = self.database_path();
        let mut conn = self.open().await?;
        // Casts, because the old site's columns were loosely typed: a
        // date may have been stored as text or as SQLite's own form.
        let rows = sqlx::query(
            "SELECT CAST(slug AS TEXT), CAST(file_path AS TEXT), CAST(published AS INTEGER),
                    CAST(created_at AS TEXT), CAST(updated_at AS TEXT),
                    CAST(deleted_at AS TEXT), CAST(content_hash AS TEXT), id
               FROM notes ORDER BY created_at, id",
        )
        .fetch_all(&mut conn)
        .await
        .map_err(|source| StoreError::NotStarPunkData {
            what: format!("the notes table of {}", path.display()),
            source,
        })?;
        conn.close().await?;
        rows.iter()
            .map(|row| {
                Ok(OldNote {
                    id: row.try_get(7)?,
                    slug: row.try_get::<Option<String>, _>(0)?.unwrap_or_default(),
                    file_path: row.try_get::<Option<String>, _>(1)?.unwrap_or_default(),
                    published: row.try_get::<Option<i64>, _>(2)?.unwrap_or(0) != 0,
                    created_at: row.try_get(3)?,
                    updated_at: row.try_get(4)?,
                    deleted_at: row.try_get(5)?,
                    content_hash: row.try_get(6)?,
                })
            })
            .collect()
    }

    /// The note's file. The old `file_path` was written three ways over
    /// the old site's life: relative to the data folder (`notes/2024/…`),
    /// relative to the notes folder (`2024/…`), or absolute on the old
    /// server (`/srv/starpunk/data/notes/2024/…`, read here as the part
    /// after `notes/` under this folder's `notes/`). Paths that would
    /// leave the folder (`..`) are never followed.
    pub fn note_file(&self, file_path: &str) -> Option<PathBuf> {
        let path = Path::new(file_path);
        if path.is_absolute() {
            let parts: Vec<Component> = path.components().collect();
            return parts
                .iter()
                .rposition(|c| c.as_os_str() == "notes")
                .map(|i| parts[i + 1..].iter().collect::<PathBuf>())
                .filter(|rest| stays_inside(rest))
                .map(|rest| self.root.join("notes").join(rest))
                .filter(|p| p.is_file());
        }
        if !stays_inside(path) {
            return None;
        }
        [self.root.join(path), self.root.join("notes").join(path)]
            .into_iter()
            .find(|p| p.is_file())
    }
}

/// An old note's text and the SHA-256 of its file's bytes.
#[derive(Debug, Clone)]
pub struct OldText {
    pub text: String,
    pub hash: String,
}

impl OldSite {
    /// Reads a note's file, or says why it cannot be read.
    pub fn read_note(&self, file_path: &str) -> Result<OldText, String> {
        let path = self
            .note_file(file_path)
            .ok_or_else(|| format!("its file {file_path:?} is missing"))?;
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("cannot read its file {}: {e}", path.display()))?;
        let hash = content_hash(&bytes);
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("its file {} is not UTF-8 text", path.display()))?;
        Ok(OldText { text, hash })
    }
}

pub(super) fn stays_inside(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// A time as the old site stored it: `2024-11-18 09:15:00`, with
/// microseconds, with `T`, with `+00:00` or `Z`, or a bare date. Times
/// without an offset are UTC: the old site wrote them with SQLite's
/// `CURRENT_TIMESTAMP` and Python's `utcnow()`, both UTC.
pub fn old_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let with_t = text.replacen(' ', "T", 1);
    for candidate in [text, with_t.as_str()] {
        if let Ok(at) = DateTime::parse_from_rfc3339(candidate) {
            return Some(at.to_utc());
        }
        if let Ok(at) = DateTime::parse_from_str(candidate, "%Y-%m-%dT%H:%M:%S%.f%#z") {
            return Some(at.to_utc());
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(&with_t, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_old_time_is_read_as_utc() {
        let expect = "2024-11-18T09:15:00Z";
        for text in [
            "2024-11-18 09:15:00",
            "2024-11-18T09:15:00",
            "2024-11-18 09:15:00+00:00",
            "2024-11-18T09:15:00Z",
            "2024-11-18T10:15:00+01:00",
            " 2024-11-18 09:15 ",
        ] {
            let at = old_time(text).unwrap_or_else(|| panic!("{text:?} not read"));
            assert_eq!(
                at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                expect,
                "{text:?}"
            );
        }
        let micro = old_time("2024-11-18 09:15:00.123456").unwrap();
        assert_eq!(micro.timestamp_subsec_micros(), 123_456);
        assert_eq!(
            old_time("2024-11-18 09:15:00.5+00:00")
                .unwrap()
                .timestamp_subsec_millis(),
            500
        );
        assert!(old_time("2024-11-18").is_some());
        assert!(old_time("yesterday").is_none());
        assert!(old_time("").is_none());
    }

    #[test]
    fn file_paths_of_all_three_forms_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notes/2024/11/a.md");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "x").unwrap();
        let site = OldSite::new(dir.path());
        for form in [
            "notes/2024/11/a.md",
            "2024/11/a.md",
            "/srv/old/data/notes/2024/11/a.md",
        ] {
            assert_eq!(site.note_file(form), Some(file.clone()), "{form}");
        }
        assert_eq!(site.note_file("../notes/2024/11/a.md"), None);
        assert_eq!(site.note_file("/etc/passwd"), None);
        assert_eq!(site.note_file("2024/11/missing.md"), None);
    }
}
