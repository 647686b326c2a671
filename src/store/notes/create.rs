//! Creating notes: one path for every writer. A single note (the CLI, the
//! admin, Micropub) and a batch of imported ones are placed by the same
//! slug allocator, written by the same `INSERT` with the same defaults,
//! and get their tags, media links and search entry in the same
//! transaction as their row.
//!
//! Files are created exclusively (a temporary twin hard-linked to the final
//! name, which never replaces an existing file), then the rows written; if
//! the transaction fails, exactly the files this writer created are removed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::super::files::{CreatedFile, Durability};
use super::super::{NotesDir, Store, StoreError, blocking};
use super::insert::{NewRow, ROWS_PER_STATEMENT, insert_notes};
use super::{find_any, to_millis};
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

/// An import under way, batch after batch.
#[derive(Default)]
pub struct ImportRun {
    /// Notes already matched by earlier files of the same import (two
    /// files with the same text are two notes).
    matched: HashSet<i64>,
    /// The removal of the last committed batch's twins, left to run while
    /// the next batch is written.
    forgetting: Option<tokio::task::JoinHandle<()>>,
}

impl ImportRun {
    /// Waits for the last batch's twins to be removed.
    pub async fn finish(mut self) {
        self.forgotten().await;
    }

    async fn forgotten(&mut self) {
        if let Some(forgetting) = self.forgetting.take()
            && let Err(e) = forgetting.await
        {
            log::error!("could not remove the temporary twins of imported notes: {e}");
        }
    }
}

/// A new note with its slug, dates and file decided.
struct Placed {
    slug: Slug,
    file_path: String,
    file: CreatedFile,
    created_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
}

/// Where a new note's file is to go, and its dates.
struct FilePlan {
    file_path: String,
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
#[derive(Clone, Copy)]
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
            .place(
                &mut tx,
                &new,
                now,
                &Planned::default(),
                Existing::Skip,
                Durability::Synced,
                1,
            )
            .await?
        {
            Placement::New(placed) => placed,
            Placement::Present(_) => unreachable!("a new note never matches an existing one"),
        };
        let written = async {
            let mut notes = insert_notes(&mut tx, &[placed.row(&new)], now).await?;
            tx.commit().await?;
            Ok(notes.remove(0))
        }
        .await;
        self.settle(vec![placed.file], written.is_ok()).await;
        written
    }

    /// Imports one batch all or nothing: its files are created (never over
    /// an existing one), the file system synced once, then every row
    /// written in one transaction. On any failure the files it created are
    /// removed and no row is left. Once [`ImportRun::finish`] returns, no
    /// temporary file of the import is left.
    pub async fn import_batch(
        &self,
        batch: Vec<NewNote>,
        run: &mut ImportRun,
    ) -> Result<ImportOutcome, StoreError> {
        let matched = &mut run.matched;
        let now = self.now();
        let mut tx = self.write_lock().await?;
        let mut planned: Vec<(Placed, NewNote)> = Vec::with_capacity(batch.len());
        let mut present = Vec::new();
        let written = async {
            // One query for every base slug of the batch, not one per note.
            let bases: Vec<Slug> = batch.iter().map(|new| base_slug(new, now)).collect();
            let mut known = Planned {
                taken: taken_slugs(&mut tx, &bases).await?,
                slugs: HashSet::with_capacity(batch.len()),
            };
            // Slugs first, then every file in one trip to a blocking
            // thread: a trip per note cost more than writing the file.
            let mut chosen = Vec::with_capacity(batch.len());
            for (new, base) in batch.into_iter().zip(&bases) {
                let existing = Existing::SameText { matched: &*matched };
                match choose_slug(&mut tx, &new, base, &known, existing, 1).await? {
                    Choice::Present(id) => {
                        matched.insert(id);
                        present.push(id);
                    }
                    Choice::Free(slug, n) => {
                        known.slugs.insert(slug.clone());
                        chosen.push((new, slug, n));
                    }
                }
            }
            // The files are written on a blocking thread while their rows
            // are inserted, in a savepoint: each takes about as long as the
            // other. The rows are committed only once the files are synced.
            let placements: Vec<FilePlan> = chosen
                .iter()
                .map(|(new, slug, _)| {
                    let (created_at, published_at) = placement_dates(new, now);
                    FilePlan {
                        file_path: NotesDir::relative_path_for(slug, created_at),
                        created_at,
                        published_at,
                    }
                })
                .collect();
            let creating = self.create_files(&chosen, &placements);
            let rows: Vec<NewRow> = chosen
                .iter()
                .zip(&placements)
                .map(|((new, slug, _), plan)| NewRow {
                    slug,
                    file_path: &plan.file_path,
                    created_at: plan.created_at,
                    published_at: plan.published_at,
                    note: new,
                })
                .collect();
            let (inserted, (created, failed)) = tokio::join!(
                async {
                    let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
                    let notes = insert_notes(&mut savepoint, &rows, now).await?;
                    Ok::<_, StoreError>((savepoint, notes))
                },
                creating
            );
            let mut clashed = Vec::new();
            for (((new, slug, n), plan), file) in chosen.into_iter().zip(placements).zip(created) {
                match file {
                    Some(file) => planned.push((
                        Placed {
                            slug,
                            file_path: plan.file_path,
                            file,
                            created_at: plan.created_at,
                            published_at: plan.published_at,
                        },
                        new,
                    )),
                    None => clashed.push((new, n)),
                }
            }
            if let Some(e) = failed {
                return Err(e);
            }
            let (savepoint, mut notes) = inserted?;
            if clashed.is_empty() {
                savepoint.commit().await?;
            } else {
                // A file of that name was there already (a stray file,
                // never overwritten): those notes take the next free name,
                // one at a time, and the rows are written again.
                savepoint.rollback().await?;
                for (new, n) in clashed {
                    let existing = Existing::SameText { matched: &*matched };
                    match self
                        .place(
                            &mut tx,
                            &new,
                            now,
                            &known,
                            existing,
                            Durability::Deferred,
                            n + 1,
                        )
                        .await?
                    {
                        Placement::Present(id) => {
                            matched.insert(id);
                            present.push(id);
                        }
                        Placement::New(placed) => {
                            known.slugs.insert(placed.slug.clone());
                            planned.push((placed, new));
                        }
                    }
                }
                let rows: Vec<NewRow> = planned.iter().map(|(p, new)| p.row(new)).collect();
                notes = insert_notes(&mut tx, &rows, now).await?;
                let files = self.files.clone();
                blocking(move || files.sync_all()).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(notes.into_iter().map(|note| note.id).collect::<Vec<_>>())
        }
        .await;
        let imported = planned.len();
        let files: Vec<CreatedFile> = planned.into_iter().map(|(placed, _)| placed.file).collect();
        match written {
            Ok(new_ids) => {
                // A later file with the same text as one just imported is
                // another note, not a copy to skip.
                matched.extend(new_ids);
                // The twins are removed while the next batch is written.
                run.forgotten().await;
                let notes_dir = self.files.clone();
                run.forgetting = Some(tokio::task::spawn_blocking(move || {
                    for file in &files {
                        notes_dir.forget_twin(file);
                    }
                }));
                Ok(ImportOutcome {
                    imported,
                    skipped: present.len(),
                })
            }
            Err(e) => {
                self.settle(files, false).await;
                for id in present {
                    matched.remove(&id);
                }
                Err(e)
            }
        }
    }

    /// Starts creating the files of `chosen` (notes with their slugs) at
    /// `placements`' paths, then syncing them, without waiting for the
    /// disk. The future gives, for each, the file or `None` when the name
    /// is taken; on an error, the files created before it and the error.
    fn create_files(
        &self,
        chosen: &[(NewNote, Slug, u32)],
        placements: &[FilePlan],
    ) -> impl Future<Output = (Vec<Option<CreatedFile>>, Option<StoreError>)> + use<> {
        let work: Vec<(String, String)> = chosen
            .iter()
            .zip(placements)
            .map(|((new, _, _), plan)| (plan.file_path.clone(), new.body.as_str().to_owned()))
            .collect();
        let files = self.files.clone();
        let creating = tokio::task::spawn_blocking(move || {
            let mut created = Vec::with_capacity(work.len());
            for (path, text) in work {
                match files.create_new(&path, text.as_bytes(), Durability::Deferred) {
                    Ok(file) => created.push(file),
                    Err(e) => return (created, Some(e)),
                }
            }
            // Synced here, while the rows may still be going in.
            let synced = files.sync_all().err();
            (created, synced)
        });
        async move {
            match creating.await {
                Ok(done) => done,
                Err(e) => (Vec::new(), Some(e.into())),
            }
        }
    }

    /// Finds a new note's slug: the first of `slug`, `slug-2`, … from
    /// number `from` that is free in the database, in this batch
    /// (`planned`) and on disk (its file is then created), or (for imports)
    /// the same note already there.
    #[allow(clippy::too_many_arguments)]
    async fn place(
        &self,
        tx: &mut SqliteConnection,
        new: &NewNote,
        now: DateTime<Utc>,
        planned: &Planned,
        existing: Existing<'_>,
        durability: Durability,
        mut from: u32,
    ) -> Result<Placement, StoreError> {
        let (created_at, published_at) = placement_dates(new, now);
        let base = base_slug(new, now);
        loop {
            let (slug, n) = match choose_slug(tx, new, &base, planned, existing, from).await? {
                Choice::Present(id) => return Ok(Placement::Present(id)),
                Choice::Free(slug, n) => (slug, n),
            };
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
            from = n + 1;
        }
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

impl Placed {
    fn row<'a>(&'a self, note: &'a NewNote) -> NewRow<'a> {
        NewRow {
            slug: &self.slug,
            file_path: &self.file_path,
            created_at: self.created_at,
            published_at: self.published_at,
            note,
        }
    }
}

/// What a batch knows of slugs before placing a note.
#[derive(Default)]
struct Planned {
    /// Slugs read from the database at the start of the batch (under the
    /// write lock, so still true): the note that has each, or `None` when
    /// free. Slugs not in it are looked up.
    taken: HashMap<String, Option<(i64, String)>>,
    /// Slugs given to earlier notes of the batch, whose rows are not
    /// written yet.
    slugs: HashSet<Slug>,
}

/// The slug a new note asks for: its own, or one made from its text.
fn base_slug(new: &NewNote, now: DateTime<Utc>) -> Slug {
    let created_at = to_millis(new.dates(now).0);
    new.slug
        .clone()
        .unwrap_or_else(|| Slug::from_content(new.body.as_str(), created_at))
}

/// Which of `slugs` notes have (their id and content hash); every slug
/// asked is in the answer.
async fn taken_slugs(
    tx: &mut SqliteConnection,
    slugs: &[Slug],
) -> Result<HashMap<String, Option<(i64, String)>>, StoreError> {
    let mut taken: HashMap<String, Option<(i64, String)>> = slugs
        .iter()
        .map(|slug| (slug.as_str().to_owned(), None))
        .collect();
    for chunk in slugs.chunks(ROWS_PER_STATEMENT) {
        let mut query: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT slug, id, content_hash FROM notes WHERE slug IN (");
        let mut list = query.separated(", ");
        for slug in chunk {
            list.push_bind(slug.as_str());
        }
        query.push(")");
        let found = query
            .build_query_as::<(String, i64, String)>()
            .fetch_all(&mut *tx)
            .await?;
        for (slug, id, hash) in found {
            taken.insert(slug, Some((id, hash)));
        }
    }
    Ok(taken)
}

/// `base` for 1, `base-n` after.
fn numbered(base: &Slug, n: u32) -> Slug {
    if n == 1 {
        base.clone()
    } else {
        base.with_suffix(n)
    }
}

/// What the database and the batch say of a new note's slug.
enum Choice {
    /// (Imports only) the note with this id has the same slug and text.
    Present(i64),
    /// The first slug from number `n` that no note has and the batch has
    /// not given; its file may still be taken.
    Free(Slug, u32),
}

/// The first of `base`, `base-2`, … from number `from` that is free in the
/// database and in this batch (`planned`), or (for imports) the same note
/// already there.
async fn choose_slug(
    tx: &mut SqliteConnection,
    new: &NewNote,
    base: &Slug,
    planned: &Planned,
    existing: Existing<'_>,
    from: u32,
) -> Result<Choice, StoreError> {
    let hash = new.body.hash();
    for n in from..MAX_SLUG_SUFFIX {
        let slug = numbered(base, n);
        let found = match planned.taken.get(slug.as_str()) {
            Some(known) => known.clone(),
            None => find_any(tx, slug.as_str())
                .await?
                .map(|note| (note.id, note.content_hash)),
        };
        if let Some((id, content_hash)) = found {
            if let Existing::SameText { matched } = existing
                && content_hash == hash
                && !matched.contains(&id)
            {
                return Ok(Choice::Present(id));
            }
            continue;
        }
        if !planned.slugs.contains(&slug) {
            return Ok(Choice::Free(slug, n));
        }
    }
    Err(StoreError::SlugsExhausted {
        base: base.to_string(),
    })
}

/// A new note's creation and publication dates, to the millisecond.
fn placement_dates(new: &NewNote, now: DateTime<Utc>) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    let (created_at, published_at) = new.dates(now);
    (to_millis(created_at), published_at.map(to_millis))
}

#[cfg(test)]
mod tests;
