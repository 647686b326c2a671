//! `starpunk check`: does every row have its file, with the right content,
//! and does every file belong to a row?

use std::collections::HashSet;
use std::fmt;

use super::{Store, StoreError, blocking};
use crate::domain::content_hash;

/// One inconsistency between the database and the notes folder.
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
    StrayFile {
        path: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingFile { slug, path } => {
                write!(f, "missing file: note {slug:?} expects {path}")
            }
            Problem::HashMismatch { slug, path } => write!(
                f,
                "changed outside StarPunk: {path} (note {slug:?}) does not match its recorded SHA-256"
            ),
            Problem::UnreadableFile { slug, path, error } => {
                write!(f, "unreadable file: {path} (note {slug:?}): {error}")
            }
            Problem::StrayFile { path } => write!(f, "stray file: {path} belongs to no note"),
        }
    }
}

impl Store {
    /// Compares every row with its file, and every file with the rows.
    pub async fn check(&self) -> Result<Vec<Problem>, StoreError> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT slug, file_path, content_hash FROM notes ORDER BY file_path")
                .fetch_all(&self.pool)
                .await?;
        let files = self.files.clone();
        blocking(move || {
            let mut problems = Vec::new();
            let on_disk: HashSet<String> = files.list_files()?.into_iter().collect();
            let mut known = HashSet::with_capacity(rows.len());
            for (slug, path, hash) in rows {
                known.insert(path.clone());
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
                        error: e.to_string(),
                    }),
                }
            }
            let mut stray: Vec<_> = on_disk.difference(&known).cloned().collect();
            stray.sort();
            problems.extend(stray.into_iter().map(|path| Problem::StrayFile { path }));
            Ok(problems)
        })
        .await
    }
}
