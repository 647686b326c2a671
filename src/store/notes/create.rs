//! Creating notes: one path for every writer. A single note (the CLI, the
//! admin, Micropub) and a batch of imported ones are placed by the same
//! slug allocator, written by the same `INSERT` with the same defaults,
//! and get their tags, media links and search entry in the same
//! transaction as their row.
//!
//! Files are created exclusively (a temporary twin hard-linked to the final
//! name, which never replaces an existing file), then the rows written; if
//! the transaction fails, exactly the files this writer created are removed.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::super::files::{CreatedFile, Durability};
use super::super::media_refs::link_media;
use super::super::search::index_parts;
use super::super::tags::write_tags;
use super::super::{NotesDir, Store, StoreError, blocking};
use super::{db_time, find_any, to_millis};
use crate::domain::{NewNote, Note, Slug};

/// How many numbered slugs (`slug-2`, `slug-3`, …) are tried before giving up.
const MAX_SLUG_SUFFIX: u32 = 10_000;

/// What one import batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub imported: usize,
    /// Notes already present with the same slug and text.
    pub skipped: usize,
}

/// A new note with its slug, dates and file decided.
struct Placed {
    slug: Slug,
    file_path: String,
    file: CreatedFile,
    created_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
}

/// Where a new note goes.
enum Placement {
    /// Already there (imports only): the note with this id has the same
    /// slug and text.
    Present(i64),
    New(Placed),
}

/// How a batch treats notes already in the database.
enum Existing<'a> {
    /// A taken slug is simply taken (a new note).
    Skip,
    /// A taken slug whose note has the same text *is* this note, unless an
    /// earlier file of the same import already matched it (two files with
    /// the same text are two notes).
    SameText { matched: &'a HashSet<i64> },
}

impl Store {
    /// Creates a note under the first free slug of `slug`, `slug-2`, …: a
    /// slug is free when no row has it and no file occupies its path (a
    /// stray file is never overwritten).
    pub async fn create(&self, new: NewNote) -> Result<Note, StoreError> {
        let now = self.now();
        let mut tx = self.write_lock().await?;
        let placed = match self
            .place(&mut tx, &new, now, &[], Existing::Skip, Durability::Synced)
            .await?
        {
            Placement::New(placed) => placed,
            Placement::Present(_) => unreachable!("a new note never matches an existing one"),
        };
        let written = async {
            let note = insert(&mut tx, &placed, &new, now).await?;
            tx.commit().await?;
            Ok(note)
        }
        .await;
        self.settle(vec![placed.file], written.is_ok()).await;
        written
    }

    /// Imports one batch all or nothing: its files are created (never over
    /// an existing one), the file system synced once, then every row
    /// written in one transaction. On any failure the files it created are
    /// removed and no row is left. `matched` holds the notes already
    /// matched by earlier files of the same import.
    pub async fn import_batch(
        &self,
        batch: Vec<NewNote>,
        matched: &mut HashSet<i64>,
    ) -> Result<ImportOutcome, StoreError> {
        let now = self.now();
        let mut tx = self.write_lock().await?;
        let mut planned: Vec<(Placed, NewNote)> = Vec::with_capacity(batch.len());
        let mut present = Vec::new();
        let written = async {
            for new in batch {
                let slugs: Vec<&Slug> = planned.iter().map(|(p, _)| &p.slug).collect();
                let existing = Existing::SameText { matched: &*matched };
                match self
                    .place(&mut tx, &new, now, &slugs, existing, Durability::Deferred)
                    .await?
                {
                    Placement::Present(id) => {
                        matched.insert(id);
                        present.push(id);
                    }
                    Placement::New(placed) => planned.push((placed, new)),
                }
            }
            let files = self.files.clone();
            blocking(move || files.sync_all()).await?;
            let mut ids = Vec::with_capacity(planned.len());
            for (placed, new) in &planned {
                ids.push(insert(&mut tx, placed, new, now).await?.id);
            }
            tx.commit().await?;
            Ok::<_, StoreError>(ids)
        }
        .await;
        let imported = planned.len();
        let files = planned.into_iter().map(|(placed, _)| placed.file).collect();
        self.settle(files, written.is_ok()).await;
        match written {
            Ok(new_ids) => {
                // A later file with the same text as one just imported is
                // another note, not a copy to skip.
                matched.extend(new_ids);
                Ok(ImportOutcome {
                    imported,
                    skipped: present.len(),
                })
            }
            Err(e) => {
                for id in present {
                    matched.remove(&id);
                }
                Err(e)
            }
        }
    }

    /// Finds a new note's slug: the first of `slug`, `slug-2`, … that is
    /// free in the database, in this batch (`planned`) and on disk (its
    /// file is then created), or (for imports) the same note already there.
    async fn place(
        &self,
        tx: &mut SqliteConnection,
        new: &NewNote,
        now: DateTime<Utc>,
        planned: &[&Slug],
        existing: Existing<'_>,
        durability: Durability,
    ) -> Result<Placement, StoreError> {
        let (created_at, published_at) = new.dates(now);
        let (created_at, published_at) = (to_millis(created_at), published_at.map(to_millis));
        let base = new
            .slug
            .clone()
            .unwrap_or_else(|| Slug::from_content(new.body.as_str(), created_at));
        let hash = new.body.hash();
        for n in 1..MAX_SLUG_SUFFIX {
            let slug = numbered(&base, n);
            if let Some(found) = find_any(tx, slug.as_str()).await? {
                if let Existing::SameText { matched } = existing
                    && found.content_hash == hash
                    && !matched.contains(&found.id)
                {
                    return Ok(Placement::Present(found.id));
                }
                continue;
            }
            if planned.contains(&&slug) {
                continue;
            }
            let file_path = NotesDir::relative_path_for(&slug, created_at);
            let files = self.files.clone();
            let (path, text) = (file_path.clone(), new.body.as_str().to_owned());
            let created =
                blocking(move || files.create_new(&path, text.as_bytes(), durability)).await?;
            if let Some(file) = created {
                return Ok(Placement::New(Placed {
                    slug,
                    file_path,
                    file,
                    created_at,
                    published_at,
                }));
            }
        }
        Err(StoreError::SlugsExhausted {
            base: base.to_string(),
        })
    }

    /// After the transaction: the twins of a committed batch are no longer
    /// needed; the files of a failed one are removed.
    async fn settle(&self, created: Vec<CreatedFile>, committed: bool) {
        let files = self.files.clone();
        let settled = blocking(move || {
            for file in &created {
                if committed {
                    files.forget_twin(file);
                } else {
                    files.discard_created(file)?;
                }
            }
            Ok(())
        })
        .await;
        if let Err(e) = settled {
            log::error!(
                "could not remove the files of a failed write: {}",
                crate::error::error_chain(&e)
            );
        }
    }
}

/// Writes a placed note's row, tags, media links and search entry.
async fn insert(
    tx: &mut SqliteConnection,
    placed: &Placed,
    new: &NewNote,
    now: DateTime<Utc>,
) -> Result<Note, StoreError> {
    let updated_at = new.updated_at.map_or(now, to_millis);
    let deleted_at = new.deleted_at.map(to_millis);
    let content_hash = new.body.hash();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notes (slug, file_path, published, created_at, updated_at, published_at,
                            deleted_at, content_hash, properties, visibility)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(placed.slug.as_str())
    .bind(&placed.file_path)
    .bind(new.published)
    .bind(db_time(placed.created_at))
    .bind(db_time(updated_at))
    .bind(placed.published_at.map(db_time))
    .bind(deleted_at.map(db_time))
    .bind(&content_hash)
    .bind(new.properties.to_json())
    .bind(new.visibility.as_str())
    .fetch_one(&mut *tx)
    .await?;
    write_tags(&mut *tx, id, &new.tags).await?;
    link_media(&mut *tx, id, &new.properties, new.body.as_str()).await?;
    index_parts(&mut *tx, id, &new.body, &new.properties, &new.tags).await?;
    Ok(Note {
        id,
        slug: placed.slug.clone(),
        file_path: placed.file_path.clone(),
        published: new.published,
        created_at: placed.created_at,
        updated_at,
        published_at: placed.published_at,
        deleted_at,
        content_hash,
        tags: new.tags.clone(),
        properties: new.properties.clone(),
        visibility: new.visibility,
    })
}

/// `base` for 1, `base-n` after.
fn numbered(base: &Slug, n: u32) -> Slug {
    if n == 1 {
        base.clone()
    } else {
        base.with_suffix(n)
    }
}
