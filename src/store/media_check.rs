//! `starpunk check` for uploads: does every media row have its files, with
//! the recorded content, and does every file under the media folder belong
//! to a row? A file without a row is what an upload interrupted between
//! writing its file and its row leaves; `--repair` removes those once they
//! are old enough that no upload can still be finishing.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use super::files::walk_files;
use super::media::{MEDIA_COLUMNS, MediaDir, MediaRow};
use super::{Store, StoreError, blocking};
use crate::domain::content_hash;

/// One inconsistency between the `media` table and the media folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaProblem {
    /// An upload's file is gone.
    Missing {
        path: String,
    },
    /// The smaller copy of an upload is gone.
    VariantMissing {
        path: String,
        variant: String,
    },
    /// A file's content is not what was recorded.
    Changed {
        path: String,
    },
    Unreadable {
        path: String,
        error: String,
    },
    /// A file no row owns: most likely an interrupted upload.
    Unknown {
        path: String,
    },
}

impl fmt::Display for MediaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaProblem::Missing { path } => write!(
                f,
                "missing media file: the upload {path} is recorded but not in the media folder; \
                 put it back from a backup (pages that show it have a broken image)"
            ),
            MediaProblem::VariantMissing { path, variant } => write!(
                f,
                "missing media file: {variant}, the web copy of {path}, is not in the media folder; \
                 put it back from a backup (pages that show it have a broken image)"
            ),
            MediaProblem::Changed { path } => write!(
                f,
                "changed media file: {path} does not match its recorded SHA-256; \
                 put the original back from a backup"
            ),
            MediaProblem::Unreadable { path, error } => {
                write!(
                    f,
                    "unreadable media file: {path}: {error}; check its permissions"
                )
            }
            MediaProblem::Unknown { path } => write!(
                f,
                "unknown media file: {path} belongs to no upload (an upload that was \
                 interrupted); `starpunk check --repair` removes it once it is an hour old"
            ),
        }
    }
}

/// What `check` found among the uploads.
#[derive(Debug, Clone, Default)]
pub struct MediaReport {
    /// Rows in the `media` table.
    pub uploads: usize,
    pub problems: Vec<MediaProblem>,
}

impl Store {
    /// Compares every media row with its files, and the media folder with
    /// the rows.
    pub async fn check_media(&self, dir: &MediaDir) -> Result<MediaReport, StoreError> {
        let rows = sqlx::query_as::<_, MediaRow>(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media ORDER BY path"
        ))
        .fetch_all(&self.pool)
        .await?;
        let known = self.known_media_paths().await?;
        let dir = dir.clone();
        blocking(move || {
            let mut problems = Vec::new();
            let uploads = rows.len();
            for record in rows.into_iter().filter_map(MediaRow::into_record) {
                for file in record.files() {
                    let full = dir.file(file.path);
                    let path = file.path.to_string();
                    match std::fs::read(&full) {
                        Ok(bytes) if content_hash(&bytes) == file.sha256 => {}
                        Ok(_) => problems.push(MediaProblem::Changed { path }),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            problems.push(if file.path == &record.path {
                                MediaProblem::Missing { path }
                            } else {
                                MediaProblem::VariantMissing {
                                    path: record.path.to_string(),
                                    variant: path,
                                }
                            })
                        }
                        Err(e) => problems.push(MediaProblem::Unreadable {
                            path,
                            error: e.kind().to_string(),
                        }),
                    }
                }
            }
            problems.extend(
                unknown_files(&dir, &known)?
                    .into_iter()
                    .map(|(path, _)| MediaProblem::Unknown { path }),
            );
            Ok(MediaReport { uploads, problems })
        })
        .await
    }

    /// Removes the files under the media folder that no row owns and that
    /// are at least `min_age` old. Returns their paths.
    pub async fn remove_unknown_media_files(
        &self,
        dir: &MediaDir,
        min_age: Duration,
    ) -> Result<Vec<String>, StoreError> {
        let known = self.known_media_paths().await?;
        let dir = dir.clone();
        blocking(move || {
            let mut removed = Vec::new();
            for (path, age) in unknown_files(&dir, &known)? {
                if age < min_age {
                    continue;
                }
                let full = dir.root().join(&path);
                match std::fs::remove_file(&full) {
                    Ok(()) => removed.push(path),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(StoreError::io("remove", &full, e)),
                }
            }
            Ok(removed)
        })
        .await
    }

    /// Every path a row names, as written (parsed or not, so that no file
    /// a row names is ever taken for an unknown one).
    async fn known_media_paths(&self) -> Result<HashSet<String>, StoreError> {
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT path, web_path FROM media")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .flat_map(|(path, web)| std::iter::once(path).chain(web))
            .collect())
    }
}

/// The files under the media folder that no row names, relative and with
/// `/` separators, with their age.
fn unknown_files(
    dir: &MediaDir,
    known: &HashSet<String>,
) -> Result<Vec<(String, Duration)>, StoreError> {
    let root = dir.root();
    let mut found = Vec::new();
    if !root.exists() {
        return Ok(found);
    }
    let mut failure = None;
    walk_files(root, &mut |path| {
        let relative = path.strip_prefix(root).expect("listed under the root");
        let relative = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if known.contains(&relative) {
            return false;
        }
        match std::fs::symlink_metadata(path).and_then(|m| m.modified()) {
            Ok(modified) => found.push((relative, modified.elapsed().unwrap_or_default())),
            Err(e) => failure = Some(StoreError::io("cannot stat", path, e)),
        }
        failure.is_some()
    })?;
    match failure {
        Some(e) => Err(e),
        None => {
            found.sort();
            Ok(found)
        }
    }
}
