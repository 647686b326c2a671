//! Uploaded images: files under `DATA_PATH/media`, one row each in `media`.
//!
//! A file is written to a temporary name in its final folder, flushed to
//! disk and renamed, and only then is its row inserted: a row never names
//! a file that is not whole. A crash in between leaves at worst a file
//! without a row, which `check` reports.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, SqliteConnection};

use super::notes::{db_time, to_millis};
use super::{Store, StoreError, blocking};
use crate::domain::{MediaPath, content_hash};
use crate::media::CleanImage;

/// The folder of uploaded images. Paths handed to it are [`MediaPath`]s,
/// which cannot leave it.
#[derive(Debug, Clone)]
pub struct MediaDir {
    root: PathBuf,
}

impl MediaDir {
    /// `media` inside the data folder.
    pub fn in_data(data_path: &Path) -> MediaDir {
        MediaDir {
            root: data_path.join("media"),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn file(&self, path: &MediaPath) -> PathBuf {
        self.root.join(path.as_str())
    }
}

/// What the site knows about one stored image. Serialised as it is listed
/// in an export's `media.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRecord {
    #[serde(with = "media_path_text")]
    pub path: MediaPath,
    pub content_type: String,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct MediaRow {
    path: String,
    content_type: String,
    bytes: i64,
    width: i64,
    height: i64,
    sha256: String,
    created_at: DateTime<Utc>,
}

const MEDIA_COLUMNS: &str = "path, content_type, bytes, width, height, sha256, created_at";

/// One file a media row owns, relative to the media folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub path: String,
    /// Its SHA-256 as recorded, when the row records one.
    pub sha256: Option<String>,
}

impl MediaRecord {
    /// Every file this row owns. Backup, restore, export and import all ask
    /// here, so a row's files are known in this one place.
    pub fn files(&self) -> Vec<MediaFile> {
        vec![MediaFile {
            path: self.path.as_str().to_owned(),
            sha256: Some(self.sha256.clone()),
        }]
    }
}

/// Every media row through `conn`, oldest first; none when the database
/// predates the media table. A row this program could not have written is
/// an error naming it, never silently left out.
pub(crate) async fn media_records(
    conn: &mut SqliteConnection,
) -> Result<Vec<MediaRecord>, StoreError> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'media')",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Ok(Vec::new());
    }
    let rows = sqlx::query_as::<_, MediaRow>(&format!(
        "SELECT {MEDIA_COLUMNS} FROM media ORDER BY created_at, id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            let path = row.path.clone();
            row.into_record().ok_or_else(|| {
                StoreError::Invalid(format!(
                    "the media row for {path:?} is not one StarPunk writes (a bad path or size)"
                ))
            })
        })
        .collect()
}

/// `MediaPath` as plain text in `media.json`, checked when read back.
mod media_path_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::domain::MediaPath;

    pub fn serialize<S: Serializer>(path: &MediaPath, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(path.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<MediaPath, D::Error> {
        let text = String::deserialize(input)?;
        MediaPath::parse(&text).ok_or_else(|| {
            D::Error::custom(format!(
                "{text:?} is not a media path (YYYY/MM/<name>.<jpg|png|gif|webp>)"
            ))
        })
    }
}

impl MediaRow {
    /// `None` for a row whose path was not written by this program.
    fn into_record(self) -> Option<MediaRecord> {
        Some(MediaRecord {
            path: MediaPath::parse(&self.path)?,
            content_type: self.content_type,
            bytes: u64::try_from(self.bytes).ok()?,
            width: u32::try_from(self.width).ok()?,
            height: u32::try_from(self.height).ok()?,
            sha256: self.sha256,
            created_at: self.created_at,
        })
    }
}

impl Store {
    /// Keeps an image under a new unguessable name and records it.
    pub async fn save_media(
        &self,
        dir: &MediaDir,
        image: CleanImage,
        now: DateTime<Utc>,
    ) -> Result<MediaRecord, StoreError> {
        let random = crate::auth::indieauth::random_token();
        let path = MediaPath::new(now, &random, image.kind)
            .ok_or_else(|| StoreError::Invalid("cannot name the uploaded file".into()))?;
        let record = MediaRecord {
            path,
            content_type: image.kind.content_type().to_owned(),
            bytes: image.bytes.len() as u64,
            width: image.width,
            height: image.height,
            sha256: content_hash(&image.bytes),
            created_at: to_millis(now),
        };
        let file = dir.file(&record.path);
        {
            let file = file.clone();
            blocking(move || write_durably(&file, &image.bytes)).await?;
        }
        let inserted = sqlx::query(
            "INSERT INTO media (path, content_type, bytes, width, height, sha256, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(record.path.as_str())
        .bind(&record.content_type)
        .bind(record.bytes as i64)
        .bind(i64::from(record.width))
        .bind(i64::from(record.height))
        .bind(&record.sha256)
        .bind(db_time(record.created_at))
        .execute(&self.pool)
        .await;
        if let Err(e) = inserted {
            // Nothing refers to the file yet: take it back.
            let _ = blocking(move || {
                fs::remove_file(&file).map_err(|e| StoreError::io("remove", &file, e))
            })
            .await;
            return Err(e.into());
        }
        Ok(record)
    }

    /// The image stored at `path`, if there is one.
    pub async fn find_media(&self, path: &MediaPath) -> Result<Option<MediaRecord>, StoreError> {
        let row = sqlx::query_as::<_, MediaRow>(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media WHERE path = ?"
        ))
        .bind(path.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(MediaRow::into_record))
    }

    /// Every stored image, oldest first.
    pub async fn all_media(&self) -> Result<Vec<MediaRecord>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        media_records(&mut conn).await
    }

    /// The image stored with these bytes, if there is one.
    pub async fn find_media_by_hash(
        &self,
        sha256: &str,
    ) -> Result<Option<MediaRecord>, StoreError> {
        let row = sqlx::query_as::<_, MediaRow>(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media WHERE sha256 = ? ORDER BY id LIMIT 1"
        ))
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(MediaRow::into_record))
    }

    /// The bytes of a stored image.
    pub async fn read_media(
        &self,
        dir: &MediaDir,
        path: &MediaPath,
    ) -> Result<Vec<u8>, StoreError> {
        let file = dir.file(path);
        blocking(move || fs::read(&file).map_err(|e| StoreError::io("read", &file, e))).await
    }
}

/// Writes `bytes` to `path` so that the name appears only once the whole
/// file is on disk: a temporary file in the same folder, fsynced, renamed
/// (never over an existing file), and the folder fsynced.
pub(super) fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let folder = path
        .parent()
        .ok_or_else(|| StoreError::Invalid("a media file has no folder".into()))?;
    fs::create_dir_all(folder).map_err(|e| StoreError::io("create the folder", folder, e))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-media.")
        .suffix(".part")
        .tempfile_in(folder)
        .map_err(|e| StoreError::io("create a temporary file in", folder, e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| StoreError::io("write", temp.path(), e))?;
    temp.persist_noclobber(path)
        .map_err(|e| StoreError::io("rename the upload to", path, e.error))?;
    File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| StoreError::io("flush the folder", folder, e))
}
