//! Reading an archive back, trusting nothing in it: the manifest must come
//! first and be one this version can restore; every member must be listed
//! in it, once, with the SHA-256 it lists; none may be missing; the gzip
//! stream must end with its checksum. The extracted copy's database must
//! open, pass SQLite's own check, carry only migrations this binary knows,
//! and, once migrated, pass `starpunk check`.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use super::manifest::{
    DATABASE_MEMBER, MANIFEST_NAME, MEDIA_FOLDER, Manifest, MemberKind, NOTES_FOLDER, media_path,
    note_path,
};
use super::{BackupError, Progress, blocking};
use crate::store::{
    MediaDir, NotesDir, PageCache, Store, connect, knows_migration, latest_schema_version, migrate,
};

/// A manifest larger than this is not one StarPunk wrote (a million notes
/// list in about 150 MB).
const MANIFEST_LIMIT: u64 = 512 * 1024 * 1024;

/// What a verified archive holds.
#[derive(Debug, Clone)]
pub struct Verified {
    pub manifest: Manifest,
    /// Notes that passed `check` in the extracted copy.
    pub notes: usize,
}

/// Checks an archive without restoring it: extracts it into a temporary
/// folder and checks everything there.
pub async fn verify(archive: &Path, progress: Option<Progress>) -> Result<Verified, BackupError> {
    let dir = tempfile::Builder::new()
        .prefix("starpunk-verify-")
        .tempdir()
        .map_err(|e| {
            BackupError::io(
                "cannot create a temporary folder in",
                &std::env::temp_dir(),
                e,
            )
        })?;
    let manifest = extract(archive, dir.path(), false, progress).await?;
    let notes = check_copy(archive, dir.path(), &manifest).await?;
    Ok(Verified { manifest, notes })
}

/// Reads only the manifest (for pruning: is this one of ours?).
pub(super) fn read_manifest(archive: &Path) -> Result<Manifest, BackupError> {
    let file = File::open(archive).map_err(|e| BackupError::io("cannot open", archive, e))?;
    let mut tar = tar::Archive::new(GzDecoder::new(BufReader::new(file)));
    let mut entries = tar
        .entries()
        .map_err(|e| BackupError::damaged(archive, read_failure(&e)))?;
    first_manifest(archive, &mut entries)
}

fn first_manifest<R: Read>(
    archive: &Path,
    entries: &mut tar::Entries<'_, R>,
) -> Result<Manifest, BackupError> {
    let damaged = |reason: String| BackupError::damaged(archive, reason);
    let mut first = entries
        .next()
        .ok_or_else(|| damaged("it is empty".to_owned()))?
        .map_err(|e| damaged(read_failure(&e)))?;
    if first.path_bytes().as_ref() != MANIFEST_NAME.as_bytes() {
        return Err(damaged(format!(
            "its first member is not {MANIFEST_NAME}: it is not a StarPunk backup"
        )));
    }
    if first.size() > MANIFEST_LIMIT {
        return Err(damaged(format!("its {MANIFEST_NAME} is implausibly large")));
    }
    let mut bytes = Vec::new();
    first
        .read_to_end(&mut bytes)
        .map_err(|e| damaged(read_failure(&e)))?;
    Manifest::parse(&bytes).map_err(damaged)
}

/// What a read error of the archive means to its owner.
fn read_failure(error: &io::Error) -> String {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return "it ends early: the file is truncated (an incomplete copy or download?)".to_owned();
    }
    format!("it is damaged or not a .tar.gz archive ({error})")
}

/// Extracts every member into `into` (`starpunk.db`, `notes/…`, `media/…`), checking
/// each against the manifest. `durable` syncs each file, for a restore.
pub(super) async fn extract(
    archive: &Path,
    into: &Path,
    durable: bool,
    progress: Option<Progress>,
) -> Result<Manifest, BackupError> {
    let (archive, into) = (archive.to_owned(), into.to_owned());
    blocking(move || extract_members(&archive, &into, durable, progress.as_ref())).await
}

fn extract_members(
    archive: &Path,
    into: &Path,
    durable: bool,
    progress: Option<&Progress>,
) -> Result<Manifest, BackupError> {
    let damaged = |reason: String| BackupError::damaged(archive, reason);
    let file = File::open(archive).map_err(|e| BackupError::io("cannot open", archive, e))?;
    let mut tar = tar::Archive::new(GzDecoder::new(BufReader::new(file)));
    let mut entries = tar.entries().map_err(|e| damaged(read_failure(&e)))?;
    let manifest = first_manifest(archive, &mut entries)?;

    let listed: HashMap<&str, (MemberKind, &str)> = manifest
        .members
        .iter()
        .map(|m| (m.path.as_str(), (m.kind, m.sha256.as_str())))
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    let total = listed.len() as u64;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(read_failure(&e)))?;
        let name = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| damaged("a member's name is not UTF-8".to_owned()))?;
        let Some(&(kind, sha256)) = listed.get(name.as_str()) else {
            return Err(damaged(format!(
                "it holds {name:?}, which its manifest does not list"
            )));
        };
        if !seen.insert(name.clone()) {
            return Err(damaged(format!("it holds {name:?} twice")));
        }
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(damaged(format!("{name:?} is not a plain file")));
        }
        let target = match kind {
            MemberKind::Database => into.join(DATABASE_MEMBER),
            MemberKind::Note => into
                .join(NOTES_FOLDER)
                .join(note_path(&name).expect("the manifest's paths were checked")),
            MemberKind::Media => into
                .join(MEDIA_FOLDER)
                .join(media_path(&name).expect("the manifest's paths were checked")),
        };
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| BackupError::io("cannot create folder", parent, e))?;
        }
        let mut out =
            File::create(&target).map_err(|e| BackupError::io("cannot write", &target, e))?;
        let hash = copy_hashing(archive, &mut entry, &mut out, &target)?;
        if hash != sha256 {
            return Err(damaged(format!(
                "{name} does not match its SHA-256 in the manifest (the archive was changed or damaged)"
            )));
        }
        if durable {
            out.sync_all()
                .map_err(|e| BackupError::io("cannot sync", &target, e))?;
        }
        if let Some(progress) = progress {
            progress(seen.len() as u64, total);
        }
    }
    if seen.len() < listed.len() {
        let missing = manifest
            .members
            .iter()
            .find(|m| !seen.contains(&m.path))
            .map_or("", |m| m.path.as_str());
        return Err(damaged(format!(
            "{missing} is missing ({} of the {} members its manifest lists are absent)",
            listed.len() - seen.len(),
            listed.len()
        )));
    }
    // The gzip stream's checksum and length follow the tar's end marker:
    // reading to the end checks them.
    io::copy(&mut tar.into_inner(), &mut io::sink()).map_err(|e| damaged(read_failure(&e)))?;
    Ok(manifest)
}

/// Copies one member to its file and returns its SHA-256. Read errors are
/// the archive's damage; write errors are this machine's.
fn copy_hashing(
    archive: &Path,
    from: &mut impl Read,
    to: &mut File,
    target: &Path,
) -> Result<String, BackupError> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(BackupError::damaged(archive, read_failure(&e))),
        };
        hasher.update(&buffer[..read]);
        to.write_all(&buffer[..read])
            .map_err(|e| BackupError::io("cannot write", target, e))?;
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Opens the extracted copy's database, refuses it if this binary cannot
/// read it, migrates it if it is older, and runs `check` on the copy.
/// Returns how many notes it holds.
pub(super) async fn check_copy(
    archive: &Path,
    dir: &Path,
    manifest: &Manifest,
) -> Result<usize, BackupError> {
    let database = dir.join(DATABASE_MEMBER);
    let pool = connect(&database, 1, PageCache::Small).await.map_err(|e| {
        BackupError::damaged(archive, format!("its database cannot be opened ({e})"))
    })?;
    let checked = check_open_copy(archive, &pool, dir, manifest).await;
    pool.close().await;
    checked
}

async fn check_open_copy(
    archive: &Path,
    pool: &SqlitePool,
    dir: &Path,
    manifest: &Manifest,
) -> Result<usize, BackupError> {
    let damaged = |reason: String| BackupError::damaged(archive, reason);
    let integrity: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(pool)
        .await
        .map_err(|e| damaged(format!("its database cannot be read ({e})")))?;
    if integrity != "ok" {
        return Err(damaged(format!(
            "its database is damaged (SQLite: {integrity})"
        )));
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await
            .map_err(|e| damaged(format!("its database is not a StarPunk database ({e})")))?;
    let newest = applied.last().copied().unwrap_or(0);
    if newest != manifest.schema_version {
        return Err(damaged(format!(
            "its database has schema {newest}, its manifest says {}",
            manifest.schema_version
        )));
    }
    if newest > latest_schema_version() {
        return Err(BackupError::NewerSchema {
            archive: archive.to_owned(),
            archive_schema: newest,
            known: latest_schema_version(),
        });
    }
    if let Some(unknown) = applied.iter().find(|&&v| !knows_migration(v)) {
        return Err(damaged(format!(
            "its database has migration {unknown}, which this StarPunk does not know"
        )));
    }
    migrate(pool, &dir.join(DATABASE_MEMBER)).await?;
    let store = Store::new(
        pool.clone(),
        NotesDir::new(dir.join(NOTES_FOLDER)),
        crate::clock::SystemClock::shared(),
    );
    store.build_search_index_if_missing().await?;
    let report = store.check().await?;
    if report.notes as u64 != manifest.counts.notes {
        return Err(damaged(format!(
            "its database holds {} notes, its manifest says {}",
            report.notes, manifest.counts.notes
        )));
    }
    if let Some(problem) = report.problems.first() {
        return Err(damaged(format!("`starpunk check` fails on it: {problem}")));
    }
    let media = store.all_media().await?;
    if media.len() as u64 != manifest.counts.media {
        return Err(damaged(format!(
            "its database holds {} media files, its manifest says {}",
            media.len(),
            manifest.counts.media
        )));
    }
    let listed: HashMap<&str, (MemberKind, &str)> = manifest
        .members
        .iter()
        .map(|m| (m.path.as_str(), (m.kind, m.sha256.as_str())))
        .collect();
    for file in media.iter().flat_map(|record| record.files()) {
        let name = format!("{MEDIA_FOLDER}/{}", file.path);
        match listed.get(name.as_str()) {
            Some((MemberKind::Media, sha256)) if file.sha256 == *sha256 => {}
            Some(_) => {
                return Err(damaged(format!(
                    "{name} is not the file its database records"
                )));
            }
            None => {
                return Err(damaged(format!(
                    "its database records the media file {name}, which it does not hold"
                )));
            }
        }
    }
    Ok(report.notes)
}

/// The first file a media row owns that is not in `dir`, as
/// `media/<path>`.
pub(super) async fn missing_media(
    store: &Store,
    dir: &MediaDir,
) -> Result<Option<String>, BackupError> {
    let media = store.all_media().await?;
    let root = dir.root().to_owned();
    blocking(move || {
        Ok(media
            .iter()
            .flat_map(|record| record.files())
            .find(|file| !root.join(file.path.as_str()).is_file())
            .map(|file| format!("{MEDIA_FOLDER}/{}", file.path)))
    })
    .await
}
