//! `starpunk import-starpunk PATH`: moves the notes of a StarPunk (Python)
//! data folder in, with the same slugs, dates and published state, so
//! every permalink and feed GUID stays what readers already have.

use std::io::IsTerminal;
use std::path::PathBuf;

use chrono::Utc;

use super::Failure;
use super::note::import_notes;
use crate::config::Settings;
use crate::domain::{NoteBody, NoteProperties, Slug};
use crate::startup::open_store;
use crate::store::{ImportedNote, OldNote, OldSite, old_time};

#[derive(Debug, clap::Args)]
pub struct ImportStarpunkArgs {
    /// The old data folder: the one holding `starpunk.db` and `notes/`.
    /// It is only read, never changed.
    path: PathBuf,
}

/// An old note read and ready to import, with a warning to show if its
/// file changed since the old site recorded it.
struct Readied {
    note: ImportedNote,
    warning: Option<String>,
}

pub async fn import_starpunk(args: ImportStarpunkArgs, settings: Settings) -> Result<(), Failure> {
    let old = OldSite::new(&args.path);
    let rows = old.notes().await?;
    let store = open_store(&settings).await?;

    let mut skipped = Vec::new();
    let mut warnings = Vec::new();
    let mut notes = Vec::with_capacity(rows.len());
    for row in &rows {
        match ready(&old, row) {
            Ok(Readied { note, warning }) => {
                // Same slug, same text: already moved in (the import skips
                // it). Same slug, other text: a note of this site's own,
                // which must not be renumbered into or overwritten.
                let slug = note.slug.as_ref().expect("ready sets the slug");
                let existing = store.find(slug.as_str()).await?;
                if existing.is_some_and(|e| e.content_hash != note.body.hash()) {
                    skipped.push(format!(
                        "{}: this site already has a different note with this slug",
                        row.slug
                    ));
                    continue;
                }
                warnings.extend(warning);
                notes.push(note);
            }
            Err(reason) => skipped.push(format!("{:?}: {reason}", row.slug)),
        }
    }

    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(notes.len() as u64).with_style(
            indicatif::ProgressStyle::with_template("{msg:9} [{bar:40}] {pos}/{len} ({eta} left)")
                .expect("a valid template")
                .progress_chars("=> "),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    progress.set_message("importing");
    let done = import_notes(&store, notes, &progress, Utc::now()).await?;
    progress.finish_and_clear();

    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    for reason in &skipped {
        eprintln!("skipped {reason}");
    }
    eprintln!(
        "moved in {} notes from {} ({} already present, {} skipped)",
        done.imported,
        args.path.display(),
        done.skipped,
        skipped.len()
    );
    Ok(())
}

/// Reads one old note, or says why it cannot be moved in.
fn ready(old: &OldSite, row: &OldNote) -> Result<Readied, String> {
    let slug = Slug::parse(&row.slug).map_err(|e| format!("its slug is not accepted: {e}"))?;
    let created_at = row
        .created_at
        .as_deref()
        .and_then(old_time)
        .ok_or_else(|| format!("its created_at {:?} is not a date", row.created_at))?;
    let updated_at = row.updated_at.as_deref().and_then(old_time);
    let deleted_at = match row.deleted_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            Some(old_time(text).ok_or_else(|| format!("its deleted_at {text:?} is not a date"))?)
        }
    };
    let file = old.read_note(&row.file_path)?;
    // The file is imported even when it no longer matches the recorded
    // hash: it is the only copy of the note's text, the old site showed it
    // as it is, and a mismatch most often means it was edited by hand.
    let warning = row
        .content_hash
        .as_deref()
        .filter(|recorded| !recorded.trim().eq_ignore_ascii_case(&file.hash))
        .map(|_| {
            format!(
                "{:?}: its file {:?} changed since the old site recorded it; imported as it is now",
                row.slug, row.file_path
            )
        });
    let body = NoteBody::parse(file.text).map_err(|e| format!("its file: {e}"))?;
    Ok(Readied {
        note: ImportedNote {
            body,
            slug: Some(slug),
            published: row.published,
            created_at: Some(created_at),
            // The old site had no publication date: its pages and feed
            // dated a note by when it was written.
            published_at: row.published.then_some(created_at),
            updated_at: Some(updated_at.unwrap_or(created_at)),
            deleted_at,
            tags: Vec::new(),
            properties: NoteProperties::default(),
        },
        warning,
    })
}
