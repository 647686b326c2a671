//! Uploaded images: files under `DATA_PATH/media`, one row each in `media`.
//!
//! A file is written to a temporary name in its final folder, flushed to
//! disk and renamed, and only then is its row inserted: a row never names
//! a file that is not whole. A crash in between leaves at worst a file
//! without a row, which `check` reports.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, SqliteConnection};

use super::notes::{db_time, to_millis};
use super::{Store, StoreError, blocking};
use crate::domain::{MediaPath, content_hash};
use crate::media::{ImageKind, PreparedImage};

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
    /// The smaller copy pages show, when the image is wider than that.
    /// Absent from listings made before web copies existed.
    #[serde(default)]
    pub web: Option<WebVariant>,
}

/// The copy of a wide image made for pages: a file of its own, in the
/// upload's format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebVariant {
    #[serde(with = "media_path_text")]
    pub path: MediaPath,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// One file a media row owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaFile<'a> {
    pub path: &'a MediaPath,
    pub bytes: u64,
    pub sha256: &'a str,
}

impl MediaRecord {
    /// Every file the row owns: the upload, then its web variant.
    pub fn files(&self) -> Vec<MediaFile<'_>> {
        let mut files = vec![MediaFile {
            path: &self.path,
            bytes: self.bytes,
            sha256: &self.sha256,
        }];
        if let Some(web) = &self.web {
            files.push(MediaFile {
                path: &web.path,
                bytes: web.bytes,
                sha256: &web.sha256,
            });
        }
        files
    }

    /// The file of the row at `path`, if it owns one there.
    pub fn file(&self, path: &MediaPath) -> Option<MediaFile<'_>> {
        self.files().into_iter().find(|file| file.path == path)
    }
}

#[derive(FromRow)]
pub(super) struct MediaRow {
    path: String,
    content_type: String,
    bytes: i64,
    width: i64,
    height: i64,
    sha256: String,
    created_at: DateTime<Utc>,
    web_path: Option<String>,
    web_width: Option<i64>,
    web_height: Option<i64>,
    web_bytes: Option<i64>,
    web_sha256: Option<String>,
}

pub(super) const MEDIA_COLUMNS: &str = "path, content_type, bytes, width, height, sha256, created_at, \
     web_path, web_width, web_height, web_bytes, web_sha256";

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
            row.into_record()
                .ok_or_else(|| StoreError::BadMediaRow(path))
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
    /// The path as stored, for messages about a row that cannot be read.
    pub(super) fn path(&self) -> &str {
        &self.path
    }

    /// `None` for a row whose paths were not written by this program.
    pub(super) fn into_record(self) -> Option<MediaRecord> {
        let web = match (
            self.web_path,
            self.web_width,
            self.web_height,
            self.web_bytes,
            self.web_sha256,
        ) {
            (Some(path), Some(width), Some(height), Some(bytes), Some(sha256)) => {
                Some(WebVariant {
                    path: MediaPath::parse(&path)?,
                    width: u32::try_from(width).ok()?,
                    height: u32::try_from(height).ok()?,
                    bytes: u64::try_from(bytes).ok()?,
                    sha256,
                })
            }
            _ => None,
        };
        Some(MediaRecord {
            path: MediaPath::parse(&self.path)?,
            content_type: self.content_type,
            bytes: u64::try_from(self.bytes).ok()?,
            width: u32::try_from(self.width).ok()?,
            height: u32::try_from(self.height).ok()?,
            sha256: self.sha256,
            created_at: self.created_at,
            web,
        })
    }
}

/// Writes the row of an image whose files are already in place.
pub(super) async fn insert_media_row(
    pool: &sqlx::SqlitePool,
    record: &MediaRecord,
) -> Result<(), sqlx::Error> {
    let web = record.web.as_ref();
    let size = |bytes: u64| i64::try_from(bytes).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO media (path, content_type, bytes, width, height, sha256, created_at,
                            web_path, web_width, web_height, web_bytes, web_sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(record.path.as_str())
    .bind(&record.content_type)
    .bind(size(record.bytes))
    .bind(i64::from(record.width))
    .bind(i64::from(record.height))
    .bind(&record.sha256)
    .bind(db_time(record.created_at))
    .bind(web.map(|w| w.path.as_str()))
    .bind(web.map(|w| i64::from(w.width)))
    .bind(web.map(|w| i64::from(w.height)))
    .bind(web.map(|w| size(w.bytes)))
    .bind(web.map(|w| w.sha256.as_str()))
    .execute(pool)
    .await
    .map(|_| ())
}

impl Store {
    /// Keeps an image (and its web variant) under new unguessable names
    /// and records it.
    pub async fn save_media(
        &self,
        dir: &MediaDir,
        prepared: PreparedImage,
        now: DateTime<Utc>,
    ) -> Result<MediaRecord, StoreError> {
        let PreparedImage { image, web } = prepared;
        let record = MediaRecord {
            path: new_path(now, image.kind)?,
            content_type: image.kind.content_type().to_owned(),
            bytes: image.bytes.len() as u64,
            width: image.width,
            height: image.height,
            sha256: content_hash(&image.bytes),
            created_at: to_millis(now),
            web: match &web {
                None => None,
                Some(web) => Some(WebVariant {
                    path: new_path(now, web.kind)?,
                    width: web.width,
                    height: web.height,
                    bytes: web.bytes.len() as u64,
                    sha256: content_hash(&web.bytes),
                }),
            },
        };
        let mut writes = vec![(dir.file(&record.path), image.bytes)];
        if let (Some(variant), Some(web)) = (&record.web, web) {
            writes.push((dir.file(&variant.path), web.bytes));
        }
        let files: Vec<PathBuf> = writes.iter().map(|(file, _)| file.clone()).collect();
        let written = blocking(move || {
            let mut done = Vec::new();
            for (file, bytes) in writes {
                if let Err(e) = write_durably(&file, &bytes) {
                    remove_files(&done);
                    return Err(e);
                }
                done.push(file);
            }
            Ok(())
        })
        .await;
        written?;
        let inserted = insert_media_row(&self.pool, &record).await;
        if let Err(e) = inserted {
            // Nothing refers to the files yet: take them back.
            let _ = blocking(move || {
                remove_files(&files);
                Ok(())
            })
            .await;
            return Err(e.into());
        }
        Ok(record)
    }

    /// The image that owns the file at `path` (the upload or its web
    /// variant), if there is one.
    pub async fn find_media(&self, path: &MediaPath) -> Result<Option<MediaRecord>, StoreError> {
        let row = sqlx::query_as::<_, MediaRow>(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media WHERE path = ?1 OR web_path = ?1"
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

    /// The rows of the uploads at `paths` (those that exist), by path: what
    /// a page or feed needs to show its photos, in one query.
    pub async fn find_media_many(
        &self,
        paths: impl IntoIterator<Item = MediaPath>,
    ) -> Result<HashMap<MediaPath, MediaRecord>, StoreError> {
        let paths: Vec<String> = paths.into_iter().map(|p| p.as_str().to_owned()).collect();
        if paths.is_empty() {
            return Ok(HashMap::new());
        }
        let json = serde_json::to_string(&paths).expect("strings serialise");
        let rows = sqlx::query_as::<_, MediaRow>(&format!(
            "SELECT {MEDIA_COLUMNS} FROM media WHERE path IN (SELECT value FROM json_each(?))"
        ))
        .bind(json)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(MediaRow::into_record)
            .map(|record| (record.path.clone(), record))
            .collect())
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

fn new_path(now: DateTime<Utc>, kind: ImageKind) -> Result<MediaPath, StoreError> {
    let random = crate::random::random_token();
    MediaPath::new(now, &random, kind).ok_or(StoreError::UploadName(now))
}

/// Removes files written for an upload that is not kept. Best effort: a
/// file left behind has no row, which `check --repair` cleans up.
fn remove_files(files: &[PathBuf]) {
    for file in files {
        if let Err(e) = fs::remove_file(file) {
            log::warn!("cannot remove {}: {e}", file.display());
        }
    }
}

/// Writes `bytes` to `path` so that the name appears only once the whole
/// file is on disk: a temporary file in the same folder, fsynced, renamed
/// (never over an existing file), and the folder fsynced.
pub(super) fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let folder = path
        .parent()
        .expect("media files are always in a folder of the media folder");
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
