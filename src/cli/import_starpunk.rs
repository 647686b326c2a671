//! `starpunk import-starpunk PATH`: moves the notes of a StarPunk (Python)
//! data folder in, with the same slugs, dates and published state, so
//! every permalink and feed GUID stays what readers already have; with
//! their tags and photos when the old site had them.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::Failure;
use super::import::import_notes;
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::domain::{MAX_PHOTOS, NewNote, NoteBody, NoteProperties, Photo, Slug, Tag, Visibility};
use crate::startup::open_store_with;
use crate::store::{AdoptError, MediaDir, OldExtras, OldNote, OldSite, PageCache, Store, old_time};

#[derive(Debug, clap::Args)]
pub struct ImportStarpunkArgs {
    /// The old data folder: the one holding `starpunk.db` and `notes/`.
    /// It is only read, never changed.
    path: PathBuf,
}

/// An old note read and ready to import, with a warning to show if its
/// file changed since the old site recorded it.
struct Readied {
    note: NewNote,
    warning: Option<String>,
}

pub async fn import_starpunk(args: ImportStarpunkArgs, settings: Settings) -> Result<(), Failure> {
    let old = OldSite::new(&args.path);
    let rows = old.notes().await?;
    let extras = old.extras().await?;
    let store = open_store_with(&settings, SystemClock::shared(), PageCache::Bulk).await?;
    let mut moved = MovedMedia::default();

    let mut skipped = Vec::new();
    let mut warnings = Vec::new();
    let mut notes = Vec::with_capacity(rows.len());
    for row in &rows {
        match ready(&old, row) {
            Ok(Readied { mut note, warning }) => {
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
                note.tags = old_tags(&extras, row, &mut warnings);
                note.properties.photos =
                    move_photos(&old, &store, &settings, &extras, row, &mut moved).await?;
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
    let done = import_notes(&store, notes, &progress).await?;
    progress.finish_and_clear();

    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    for reason in &skipped {
        eprintln!("skipped {reason}");
    }
    for path in &extras.unattached {
        moved
            .skipped
            .push(format!("{path:?}: it is attached to no note"));
    }
    for reason in &moved.skipped {
        eprintln!("skipped media {reason}");
    }
    eprintln!(
        "moved in {} notes from {} ({} already present, {} skipped) and {} media files ({} already present, {} skipped)",
        done.imported,
        args.path.display(),
        done.skipped,
        skipped.len(),
        moved.copied,
        moved.present,
        moved.skipped.len()
    );
    Ok(())
}

/// What moving the old images in did.
#[derive(Default)]
struct MovedMedia {
    copied: usize,
    present: usize,
    skipped: Vec<String>,
}

/// The note's old tags; one this site cannot take is left out, with a
/// warning.
fn old_tags(extras: &OldExtras, row: &OldNote, warnings: &mut Vec<String>) -> Vec<Tag> {
    let mut tags: Vec<Tag> = Vec::new();
    for name in extras.tags.get(&row.id).into_iter().flatten() {
        match Tag::parse(name) {
            Ok(tag) if !tags.iter().any(|t| t.key() == tag.key()) => tags.push(tag),
            Ok(_) => {}
            Err(e) => warnings.push(format!("{:?}: its tag {name:?} is left out: {e}", row.slug)),
        }
    }
    if let Err(e) = Tag::parse_list(&tags.iter().map(Tag::name).collect::<Vec<_>>()) {
        warnings.push(format!("{:?}: its tags are left out: {e}", row.slug));
        tags.clear();
    }
    tags
}

/// Copies the note's old images into the media folder (each once, however
/// many notes show it, and not again on a second run) and returns them as
/// its photos, in the old order, with their captions as alt text. An image
/// that cannot be moved is reported and the note keeps the others.
async fn move_photos(
    old: &OldSite,
    store: &Store,
    settings: &Settings,
    extras: &OldExtras,
    row: &OldNote,
    moved: &mut MovedMedia,
) -> Result<Vec<Photo>, Failure> {
    let dir = MediaDir::in_data(&settings.data_path);
    let mut photos = Vec::new();
    for media in extras.media.get(&row.id).into_iter().flatten() {
        let skip = |why: String| format!("{:?} of {:?}: {why}", media.path, row.slug);
        let Some(file) = old.media_file(&media.path) else {
            moved.skipped.push(skip("its file is missing".into()));
            continue;
        };
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(e) => {
                moved
                    .skipped
                    .push(skip(format!("cannot read {}: {e}", file.display())));
                continue;
            }
        };
        let uploaded = media.uploaded_at.as_deref().and_then(old_time);
        let created_at = uploaded.or_else(|| row.created_at.as_deref().and_then(old_time));
        let (record, new) = match store
            .adopt_media(&dir, bytes, created_at.unwrap_or_else(|| store.now()))
            .await
        {
            Ok(adopted) => adopted,
            Err(AdoptError::Store(e)) => return Err(e.into()),
            Err(refused) => {
                moved.skipped.push(skip(refused.to_string()));
                continue;
            }
        };
        if new {
            moved.copied += 1;
        } else {
            moved.present += 1;
        }
        photos.push(Photo {
            url: settings.site.url.join(&format!("media/{}", record.path)),
            alt: media.alt.clone(),
        });
    }
    if photos.len() > MAX_PHOTOS {
        moved.skipped.push(format!(
            "{} of the photos of {:?}: a note shows at most {}",
            photos.len() - MAX_PHOTOS,
            row.slug,
            MAX_PHOTOS
        ));
        photos.truncate(MAX_PHOTOS);
    }
    Ok(photos)
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
        note: NewNote {
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
            visibility: Visibility::Public,
        },
        warning,
    })
}
