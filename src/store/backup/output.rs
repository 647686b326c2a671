//! Where an archive is written: the destination given by `--output`, the
//! temporary folder a backup works in, and the final rename.
//!
//! A backup works inside a temporary folder beside its final place, locked
//! while the backup runs. A backup killed at any moment leaves no archive
//! under the final name, only that folder, which the next backup into the
//! same place removes once no process holds its lock.

use std::fs::{self, File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

use super::manifest::default_name;
use super::{BackupError, sync_folder};

const TEMP_PREFIX: &str = ".starpunk-backup-";
const TEMP_SUFFIX: &str = ".tmp";
/// A temporary folder without its lock file was left by a backup killed
/// as it started; past this age, no live backup can own it.
const ABANDONED_AFTER: Duration = Duration::from_secs(600);

/// Where an archive goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// Into this folder, under the default name (by date).
    Folder(PathBuf),
    /// Under exactly this name, which must not exist yet.
    File(PathBuf),
}

impl Destination {
    /// `--output`: an existing folder, or a path ending in `/`, is a folder
    /// (created if missing); anything else names the archive. Nothing means
    /// the current folder.
    pub fn from_output(output: Option<&Path>) -> Destination {
        match output {
            None => Destination::Folder(PathBuf::from(".")),
            Some(path) if path.is_dir() || path.as_os_str().to_string_lossy().ends_with('/') => {
                Destination::Folder(path.to_owned())
            }
            Some(path) => Destination::File(path.to_owned()),
        }
    }

    /// The folder the archive lands in.
    pub fn folder(&self) -> PathBuf {
        match self {
            Destination::Folder(folder) => folder.clone(),
            Destination::File(file) => file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        }
    }
}

/// Renames the finished archive to its final name, never over a file.
pub(super) fn place(
    partial: &Path,
    destination: &Destination,
    now: DateTime<Utc>,
) -> Result<PathBuf, BackupError> {
    let target = match destination {
        Destination::File(file) if file.exists() => {
            return Err(BackupError::OutputExists(file.clone()));
        }
        Destination::File(file) => file.clone(),
        // Two backups within one second get `-2`, `-3`… after the time.
        Destination::Folder(folder) => (1..=1000)
            .map(|n| folder.join(default_name(now, n)))
            .find(|path| !path.exists())
            .ok_or_else(|| BackupError::OutputExists(folder.join(default_name(now, 1))))?,
    };
    fs::rename(partial, &target).map_err(|e| BackupError::io("cannot rename into", &target, e))?;
    sync_folder(&destination.folder())?;
    Ok(target)
}

/// The temporary folder a backup works in, locked for as long as the
/// backup runs so that another backup can tell it from an abandoned one.
pub(super) struct WorkFolder {
    dir: tempfile::TempDir,
    _lock: File,
}

impl WorkFolder {
    pub(super) fn new(folder: &Path) -> Result<WorkFolder, BackupError> {
        let dir = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .tempdir_in(folder)
            .map_err(|e| BackupError::io("cannot create a temporary folder in", folder, e))?;
        let lock_path = dir.path().join("lock");
        let lock = File::create(&lock_path)
            .and_then(|file| file.lock().map(|()| file))
            .map_err(|e| BackupError::io("cannot lock", &lock_path, e))?;
        Ok(WorkFolder { dir, _lock: lock })
    }

    pub(super) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(super) fn partial(&self) -> PathBuf {
        self.dir.path().join("archive.tar.gz.part")
    }
}

/// Removes what killed backups left in `folder`: temporary folders whose
/// lock no process holds.
pub(super) fn remove_abandoned(folder: &Path) -> Result<(), BackupError> {
    let entries =
        fs::read_dir(folder).map_err(|e| BackupError::io("cannot read folder", folder, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let path = entry.path();
        let abandoned = match File::open(path.join("lock")) {
            Ok(lock) => match lock.try_lock() {
                Ok(()) => true,
                Err(TryLockError::WouldBlock) => false,
                Err(TryLockError::Error(e)) => {
                    return Err(BackupError::io("cannot lock", &path.join("lock"), e));
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| SystemTime::now().duration_since(modified).ok())
                .is_some_and(|age| age > ABANDONED_AFTER),
            Err(e) => return Err(BackupError::io("cannot open", &path.join("lock"), e)),
        };
        if abandoned {
            log::info!("removing {}, left by an interrupted backup", path.display());
            fs::remove_dir_all(&path).map_err(|e| BackupError::io("cannot remove", &path, e))?;
        }
    }
    Ok(())
}
