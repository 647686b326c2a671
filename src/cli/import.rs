//! `starpunk note import DIR`: Markdown files, with or without front
//! matter, and the media of a `starpunk export`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::Failure;
use crate::domain::{NewNote, parse_import_file};
use crate::store::{
    EXPORT_MEDIA_FOLDER, ImportOutcome, ImportRun, MediaDir, Store, read_exported_media,
};

/// Notes written per transaction during an import: the disk is synced
/// once per batch, and a batch holds a few MB of text.
const IMPORT_BATCH: usize = 5000;

/// Reads and checks every file first (notes, and the media an export
/// lists), so a bad file stops the import before anything is written; then
/// puts the media back and imports the notes in batches.
pub(super) async fn import(store: &Store, media: &MediaDir, dir: &Path) -> Result<(), Failure> {
    let mut paths = Vec::new();
    collect_markdown(dir, &mut paths)
        .map_err(|e| Failure::message(format!("cannot read folder {}: {e}", dir.display())))?;
    paths.sort();
    if paths.is_empty() {
        return Err(Failure::message(format!(
            "no .md files in {}",
            dir.display()
        )));
    }

    let progress = indicatif::ProgressBar::new(paths.len() as u64 * 2).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg:9} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    progress.set_message("reading");
    let mut notes = Vec::with_capacity(paths.len());
    let mut problems = Vec::new();
    for (path, read) in paths.iter().zip(read_all(&paths, &progress)) {
        match read {
            Ok(note) => notes.push(note),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    let images = read_exported_media(dir).unwrap_or_else(|found| {
        problems.extend(found);
        Vec::new()
    });
    if !problems.is_empty() {
        progress.abandon();
        for problem in &problems {
            eprintln!("{problem}");
        }
        eprintln!(
            "starpunk: nothing imported: {} file(s) cannot be read as notes or media",
            problems.len()
        );
        return Err(Failure::Problems);
    }

    // Oldest first, so notes get ids in the order they were written, as
    // they had on the site they were exported from: lists and feeds break
    // ties between equal dates by id. The sort is stable, so files with
    // equal dates keep their path order.
    notes.sort_by_key(|note| note.created_at.or(note.published_at));
    // Images first, so that a note is never shown before its photos.
    progress.set_message("media");
    let from = dir.join(EXPORT_MEDIA_FOLDER);
    let mut new_images = 0;
    for record in &images {
        new_images += usize::from(store.import_media(media, &from, record).await?);
    }
    progress.set_message("importing");
    let done = import_notes(store, notes, &progress).await?;
    progress.finish_and_clear();
    eprintln!(
        "imported {} notes from {} ({} already present, skipped) and {new_images} media files ({} already present)",
        done.imported,
        dir.display(),
        done.skipped,
        images.len() - new_images
    );
    Ok(())
}

/// Imports the notes in batches, counting on `progress` from its current
/// position. A failed batch leaves the earlier ones in place; the message
/// says that running the import again continues.
pub(super) async fn import_notes(
    store: &Store,
    notes: Vec<NewNote>,
    progress: &indicatif::ProgressBar,
) -> Result<ImportOutcome, Failure> {
    let mut run = ImportRun::default();
    let start = progress.position();
    let mut done = ImportOutcome::default();
    let mut notes = notes.into_iter().peekable();
    while notes.peek().is_some() {
        let batch: Vec<NewNote> = notes.by_ref().take(IMPORT_BATCH).collect();
        let outcome = match store.import_batch(batch, &mut run).await {
            Ok(outcome) => outcome,
            Err(e) => {
                run.finish().await;
                progress.abandon();
                if done.imported + done.skipped > 0 {
                    eprintln!(
                        "starpunk: the import stopped after {} notes ({} new, {} already present); \
                         running it again continues where it stopped",
                        done.imported + done.skipped,
                        done.imported,
                        done.skipped
                    );
                }
                return Err(e.into());
            }
        };
        done.imported += outcome.imported;
        done.skipped += outcome.skipped;
        progress.set_position(start + (done.imported + done.skipped) as u64);
    }
    run.finish().await;
    if done.imported > 0 {
        progress.set_message("indexing");
        store.optimize_search_index().await?;
    }
    Ok(done)
}

/// Every file read and parsed, in the order of `paths`, on every core:
/// each file is read, parsed and hashed on its own.
fn read_all(paths: &[PathBuf], progress: &indicatif::ProgressBar) -> Vec<Result<NewNote, String>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = paths.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let readers: Vec<_> = paths
            .chunks(share)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|path| {
                            let read = read_import(path);
                            progress.inc(1);
                            read
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        readers
            .into_iter()
            .flat_map(|reader| {
                reader
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// One file, with its modification time as the date when it has none.
fn read_import(path: &Path) -> Result<NewNote, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut note = parse_import_file(&text)?;
    if note.created_at.is_none() && note.published_at.is_none() {
        note.created_at = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .map(DateTime::<Utc>::from);
    }
    Ok(note)
}

fn collect_markdown(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_markdown(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
    Ok(())
}
