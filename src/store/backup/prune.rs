//! `--keep N`: removes older archives that StarPunk made in a folder.
//! Only files under the default name whose manifest reads are StarPunk's;
//! anything else is left alone, whatever its name.

use std::fs;
use std::path::{Path, PathBuf};

use super::manifest::is_default_name;
use super::read::read_manifest;
use super::{BackupError, sync_folder};

/// Removes all but the newest `keep` of StarPunk's archives in `folder`,
/// oldest first, and returns what it removed.
pub fn prune(folder: &Path, keep: usize) -> Result<Vec<PathBuf>, BackupError> {
    let entries =
        fs::read_dir(folder).map_err(|e| BackupError::io("cannot read folder", folder, e))?;
    let mut archives = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file || !is_default_name(&name.to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        match read_manifest(&path) {
            Ok(manifest) => archives.push((manifest.created_at, name, path)),
            Err(e) => log::warn!("not pruning {}: {e}", path.display()),
        }
    }
    // By the time in the manifest, then the name (`-2` after a second
    // backup within the same second).
    archives.sort();
    let surplus = archives.len().saturating_sub(keep);
    let mut removed = Vec::with_capacity(surplus);
    for (_, _, path) in archives.into_iter().take(surplus) {
        fs::remove_file(&path).map_err(|e| BackupError::io("cannot remove", &path, e))?;
        removed.push(path);
    }
    if !removed.is_empty() {
        sync_folder(folder)?;
    }
    Ok(removed)
}
