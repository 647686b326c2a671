//! Restoring an archive into the data folder. Everything is extracted,
//! verified and migrated in a temporary folder inside the data folder (the
//! same file system, so moves are renames); then the data is swapped: the
//! current database, notes folder and media folder are moved aside, the
//! new ones moved in, and the old ones removed only once the restored data
//! passes `check`. Any failure moves everything back. Only the database
//! files and those folders move, never the data folder itself, which may be
//! a mount point (a container's volume); other files in it, such as
//! backups, stay where they are.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use super::create::Sources;
use super::lock::DataLock;
use super::manifest::{DATABASE_MEMBER, MEDIA_FOLDER, Manifest, NOTES_FOLDER};
use super::read::{check_copy, extract, missing_media};
use super::{BackupError, Progress, sync_folder};
use crate::store::{PageCache, Store, connect, ensure_dir, latest_schema_version, migrate};

/// A database's companion files, moved with it.
const DATABASE_SUFFIXES: [&str; 3] = ["", "-wal", "-shm"];

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreSummary {
    pub manifest: Manifest,
    pub notes: usize,
    /// The archive's schema, when it was older and was migrated.
    pub migrated_from: Option<i64>,
}

/// Replaces the data at `target` with the archive's. Refuses while a
/// server runs, and over existing notes or media unless `force`.
pub async fn restore(
    archive: &Path,
    target: &Sources,
    force: bool,
    progress: Option<Progress>,
) -> Result<RestoreSummary, BackupError> {
    let database_path = target.database.as_path();
    let data = database_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    ensure_dir(&data)?;
    let Some(_lock) = DataLock::exclusive(database_path)? else {
        return Err(BackupError::ServerRunning(data));
    };
    if !force && holds_data(target)? {
        return Err(BackupError::DataPresent(data));
    }

    let staging = tempfile::Builder::new()
        .prefix(".starpunk-restore-")
        .tempdir_in(&data)
        .map_err(|e| BackupError::io("cannot create a temporary folder in", &data, e))?;
    let new = staging.path().join("new");
    let manifest = extract(archive, &new, true, progress).await?;
    check_copy(archive, &new, &manifest).await?;
    // An archive without notes or media still replaces what is there.
    for folder in [NOTES_FOLDER, MEDIA_FOLDER] {
        let folder = new.join(folder);
        fs::create_dir_all(&folder)
            .map_err(|e| BackupError::io("cannot create folder", &folder, e))?;
    }
    sync_folder(&new)?;

    let old = staging.path().join("old");
    fs::create_dir(&old).map_err(|e| BackupError::io("cannot create folder", &old, e))?;
    let mut swap = Swap::default();
    let swapped = swap_in(&mut swap, &new, &old, target);
    let checked = match swapped {
        Ok(()) => check_restored(target).await,
        Err(e) => Err(e),
    };
    let notes = match checked {
        Ok(notes) => notes,
        Err(e) => {
            if !swap.undo() {
                let kept = staging.keep();
                log::error!(
                    "could not put all the previous data back; what is missing is in {}",
                    kept.join("old").display()
                );
            }
            return Err(e);
        }
    };
    // The previous data goes with the temporary folder.
    drop(staging);
    let migrated_from =
        (manifest.schema_version < latest_schema_version()).then_some(manifest.schema_version);
    Ok(RestoreSummary {
        manifest,
        notes,
        migrated_from,
    })
}

/// Whether there is data to lose: a database, or anything in the notes
/// or media folder.
fn holds_data(target: &Sources) -> Result<bool, BackupError> {
    if target.database.exists() {
        return Ok(true);
    }
    for folder in [target.notes.root(), target.media.root()] {
        match fs::read_dir(folder) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Ok(true);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(BackupError::io("cannot read folder", folder, e)),
        }
    }
    Ok(false)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Moves the current data into `old` and the new data into place.
fn swap_in(swap: &mut Swap, new: &Path, old: &Path, target: &Sources) -> Result<(), BackupError> {
    let database_path = target.database.as_path();
    let folders = [
        (NOTES_FOLDER, target.notes.root()),
        (MEDIA_FOLDER, target.media.root()),
    ];
    let database_name = database_path
        .file_name()
        .map_or_else(|| OsString::from(DATABASE_MEMBER), OsString::from);
    for suffix in DATABASE_SUFFIXES {
        let live = with_suffix(database_path, suffix);
        if live.exists() {
            swap.rename(&live, &with_suffix(&old.join(&database_name), suffix))?;
        }
    }
    for (name, live) in folders {
        if live.exists() {
            swap.rename(live, &old.join(name))?;
        }
    }
    for suffix in DATABASE_SUFFIXES {
        let staged = with_suffix(&new.join(DATABASE_MEMBER), suffix);
        if staged.exists() {
            swap.rename(&staged, &with_suffix(database_path, suffix))?;
        }
    }
    for (name, live) in folders {
        if let Some(parent) = live.parent().filter(|p| !p.as_os_str().is_empty()) {
            ensure_dir(parent)?;
        }
        swap.rename(&new.join(name), live)?;
    }
    let parents = [database_path.parent()]
        .into_iter()
        .chain(folders.iter().map(|(_, live)| live.parent()));
    for folder in parents.flatten().filter(|p| !p.as_os_str().is_empty()) {
        sync_folder(folder)?;
    }
    Ok(())
}

/// The renames done so far, to undo in reverse.
#[derive(Default)]
struct Swap {
    done: Vec<(PathBuf, PathBuf)>,
}

impl Swap {
    fn rename(&mut self, from: &Path, to: &Path) -> Result<(), BackupError> {
        fs::rename(from, to).map_err(|e| BackupError::io("cannot move data to", to, e))?;
        self.done.push((from.to_owned(), to.to_owned()));
        Ok(())
    }

    /// Moves everything back; false if some move failed.
    fn undo(&mut self) -> bool {
        let mut complete = true;
        while let Some((from, to)) = self.done.pop() {
            if let Err(e) = fs::rename(&to, &from) {
                log::error!(
                    "cannot move {} back to {}: {e}",
                    to.display(),
                    from.display()
                );
                complete = false;
            }
        }
        complete
    }
}

/// Opens the restored data where it now lives and checks it.
async fn check_restored(target: &Sources) -> Result<usize, BackupError> {
    let pool = connect(&target.database, 1, PageCache::Small).await?;
    let store = Store::new(
        pool.clone(),
        target.notes.clone(),
        crate::clock::SystemClock::shared(),
    );
    let checked = async {
        migrate(&pool, &target.database).await?;
        let report = store.check().await?;
        if let Some(problem) = report.problems.first() {
            return Err(BackupError::RestoredDataFailsCheck(problem.to_string()));
        }
        if let Some(missing) = missing_media(&store, &target.media).await? {
            return Err(BackupError::RestoredDataFailsCheck(format!(
                "{missing} is missing"
            )));
        }
        Ok(report.notes)
    }
    .await;
    pool.close().await;
    checked
}
