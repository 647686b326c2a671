//! Media moving in and out: an export holds every stored image under
//! `media/` at its own path, listed with its row in `media.json`, so that
//! importing the export puts each image back at the same path (and so the
//! same URL). Images from elsewhere (StarPunk's Python version) are taken
//! in under new names.

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::media::{insert_media_row, write_durably};
use super::{MediaDir, MediaRecord, Store, StoreError, blocking};
use crate::domain::content_hash;
use crate::media::{CleanImage, ImageKind, PreparedImage};

/// The listing of an export's media, beside its `media/` folder.
pub const MEDIA_LISTING: &str = "media.json";
/// The folder of an export's media files.
pub const EXPORT_MEDIA_FOLDER: &str = "media";

/// The text of `media.json`: the rows, as JSON.
pub fn media_listing(records: &[MediaRecord]) -> String {
    serde_json::to_string_pretty(records).expect("media rows serialise") + "\n"
}

impl MediaDir {
    /// One file of the media folder, by its path relative to it (as
    /// [`MediaRecord::files`] gives them).
    pub fn read_file(&self, relative: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.root().join(relative);
        fs::read(&path).map_err(|e| StoreError::io("read", &path, e))
    }
}

/// Reads an export's `media.json` and checks that every file it lists is
/// in `dir/media/` with the SHA-256 it records. Nothing listed means no
/// media. `Err` lists every problem found, one line each.
pub fn read_exported_media(dir: &Path) -> Result<Vec<MediaRecord>, Vec<String>> {
    let listing = dir.join(MEDIA_LISTING);
    let text = match fs::read_to_string(&listing) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return if dir.join(EXPORT_MEDIA_FOLDER).is_dir() {
                Err(vec![format!(
                    "{}: a media folder without the {MEDIA_LISTING} that lists its files \
                     (export again to get one)",
                    dir.join(EXPORT_MEDIA_FOLDER).display()
                )])
            } else {
                Ok(Vec::new())
            };
        }
        Err(e) => return Err(vec![format!("{}: {e}", listing.display())]),
    };
    let records: Vec<MediaRecord> = serde_json::from_str(&text)
        .map_err(|e| vec![format!("{}: not a list of media ({e})", listing.display())])?;
    let problems: Vec<String> = records
        .iter()
        .flat_map(MediaRecord::files)
        .filter_map(|file| {
            let path = dir.join(EXPORT_MEDIA_FOLDER).join(file.path.as_str());
            match fs::read(&path) {
                Err(e) => Some(format!("{}: {e}", path.display())),
                Ok(bytes) if file.sha256 != content_hash(&bytes) => Some(format!(
                    "{}: does not match the SHA-256 {MEDIA_LISTING} records (changed or damaged)",
                    path.display()
                )),
                Ok(_) => None,
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(records)
    } else {
        Err(problems)
    }
}

/// Why an image from elsewhere is not taken in.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error("it is not a JPEG, PNG, GIF or WebP image")]
    NotAnImage,
    #[error("it looks like a {} image but cannot be read ({reason})", kind.extension())]
    Unreadable { kind: ImageKind, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Puts back an exported image at its own path with its own row; false
    /// when it is already there. `from` is the export's `media/` folder.
    /// A different image already at that path is refused, never replaced.
    pub async fn import_media(
        &self,
        dir: &MediaDir,
        from: &Path,
        record: &MediaRecord,
    ) -> Result<bool, StoreError> {
        if let Some(present) = self.find_media(&record.path).await? {
            if present.sha256 == record.sha256 {
                return Ok(false);
            }
            return Err(StoreError::Occupied(format!("media/{}", record.path)));
        }
        let files: Vec<(PathBuf, PathBuf)> = record
            .files()
            .into_iter()
            .map(|file| {
                (
                    from.join(file.path.as_str()),
                    dir.root().join(file.path.as_str()),
                )
            })
            .collect();
        let copies = files.clone();
        let written = blocking(move || copy_in(&copies)).await?;
        let inserted = insert_media_row(&self.pool, record).await;
        if let Err(e) = inserted {
            // Nothing refers to the files this call wrote: take them back.
            let _ = blocking(move || {
                written.iter().for_each(|path| {
                    let _ = fs::remove_file(path);
                });
                Ok(())
            })
            .await;
            return Err(e.into());
        }
        Ok(true)
    }

    /// Keeps an image from elsewhere as it is, under a new name in the
    /// month of `created_at`, and says it is new; or gives the image
    /// already stored with the same bytes (so moving in twice adds
    /// nothing).
    pub async fn adopt_media(
        &self,
        dir: &MediaDir,
        bytes: Vec<u8>,
        created_at: DateTime<Utc>,
    ) -> Result<(MediaRecord, bool), AdoptError> {
        if let Some(present) = self.find_media_by_hash(&content_hash(&bytes)).await? {
            return Ok((present, false));
        }
        let kind = ImageKind::sniff(&bytes).ok_or(AdoptError::NotAnImage)?;
        let unreadable = |reason: String| AdoptError::Unreadable { kind, reason };
        let (width, height) = image::ImageReader::new(Cursor::new(&bytes))
            .with_guessed_format()
            .map_err(|e| unreadable(e.to_string()))?
            .into_dimensions()
            .map_err(|e| unreadable(e.to_string()))?;
        let image = CleanImage {
            kind,
            bytes,
            width,
            height,
        };
        // Kept as it came, so it gets no web copy: pages show it whole.
        let prepared = PreparedImage { image, web: None };
        Ok((self.save_media(dir, prepared, created_at).await?, true))
    }
}

/// Copies each `(from, to)`, never over a different file; returns the
/// files it created, or on failure removes them. A file already at `to`
/// with the same bytes (left by an import that stopped before its row) is
/// kept as it is.
fn copy_in(files: &[(PathBuf, PathBuf)]) -> Result<Vec<PathBuf>, StoreError> {
    let mut created = Vec::new();
    let copied = files.iter().try_for_each(|(from, to)| {
        let bytes = fs::read(from).map_err(|e| StoreError::io("read", from, e))?;
        match fs::read(to) {
            Ok(present) if present == bytes => return Ok(()),
            Ok(_) => return Err(StoreError::Occupied(to.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io("read", to, e)),
        }
        write_durably(to, &bytes)?;
        created.push(to.clone());
        Ok(())
    });
    match copied {
        Ok(()) => Ok(created),
        Err(e) => {
            created.iter().for_each(|path| {
                let _ = fs::remove_file(path);
            });
            Err(e)
        }
    }
}
