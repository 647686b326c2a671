//! The manifest: the first member of every archive. It says which StarPunk
//! and which schema made the archive, and lists every other member with its
//! kind and SHA-256, so an archive can be checked before it is trusted.

use std::collections::HashSet;
use std::path::{Component, Path};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// The manifest's own name inside the archive.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The database snapshot's name inside the archive.
pub const DATABASE_MEMBER: &str = "starpunk.db";
/// Note files sit under this folder in the archive, at their `file_path`.
pub const NOTES_FOLDER: &str = "notes";
/// Media files sit under this folder in the archive, at their path in the
/// media folder.
pub const MEDIA_FOLDER: &str = "media";

const FORMAT: &str = "starpunk-backup";
/// Raised when a reader of the previous version could not restore an
/// archive of the new one (an added member kind is such a change). Format
/// 2 added media; format 1 archives are still read.
pub const FORMAT_VERSION: u32 = 2;

const NAME_PREFIX: &str = "starpunk-backup-";
const NAME_SUFFIX: &str = ".tar.gz";
const NAME_TIME: &str = "%Y-%m-%dT%H%M%SZ";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub starpunk_version: String,
    /// The newest migration applied to the database in the archive.
    pub schema_version: i64,
    pub created_at: DateTime<Utc>,
    pub counts: Counts,
    /// Every member but the manifest, in archive order.
    pub members: Vec<Member>,
}

/// Notes in the archive's database, by state, and its media rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub notes: u64,
    pub published: u64,
    pub drafts: u64,
    pub deleted: u64,
    /// Absent from format 1 archives, which hold no media.
    #[serde(default)]
    pub media: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Path inside the archive, `/`-separated and relative.
    pub path: String,
    pub kind: MemberKind,
    pub sha256: String,
}

/// What a member is, and so where it is restored to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    /// The SQLite database: restored to `DATABASE_PATH`.
    Database,
    /// A note's Markdown file: restored under `NOTES_PATH`.
    Note,
    /// An uploaded image's file: restored under `DATA_PATH/media`.
    Media,
}

impl Manifest {
    pub fn new(schema_version: i64, created_at: DateTime<Utc>, counts: Counts) -> Manifest {
        Manifest {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            starpunk_version: env!("CARGO_PKG_VERSION").to_owned(),
            schema_version,
            created_at,
            counts,
            members: Vec::new(),
        }
    }

    /// Reads a manifest, refusing one that this version cannot restore
    /// exactly. The error says what is wrong, for a person.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        // The format fields first, so that an archive from a newer StarPunk
        // is named as such rather than as an unreadable manifest.
        #[derive(Deserialize)]
        struct Format {
            format: String,
            format_version: u32,
            #[serde(default)]
            starpunk_version: String,
        }
        let format: Format = serde_json::from_slice(bytes)
            .map_err(|e| format!("its {MANIFEST_NAME} cannot be read ({e})"))?;
        if format.format != FORMAT {
            return Err(format!("its {MANIFEST_NAME} is not a StarPunk backup's"));
        }
        if format.format_version > FORMAT_VERSION {
            return Err(format!(
                "it was made by a newer StarPunk ({}, backup format {}); this one ({}) reads format {FORMAT_VERSION}: upgrade StarPunk to restore it",
                format.starpunk_version,
                format.format_version,
                env!("CARGO_PKG_VERSION"),
            ));
        }
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| format!("its {MANIFEST_NAME} cannot be read ({e})"))?;
        manifest.check_members()?;
        Ok(manifest)
    }

    fn check_members(&self) -> Result<(), String> {
        let mut seen = HashSet::new();
        let mut databases = 0;
        for member in &self.members {
            if !seen.insert(member.path.as_str()) {
                return Err(format!("its manifest lists {} twice", member.path));
            }
            let hex = member.sha256.len() == 64
                && member
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex {
                return Err(format!(
                    "its manifest has no valid SHA-256 for {}",
                    member.path
                ));
            }
            let placed = match member.kind {
                MemberKind::Database => {
                    databases += 1;
                    member.path == DATABASE_MEMBER
                }
                MemberKind::Note => note_path(&member.path).is_some(),
                MemberKind::Media => media_path(&member.path).is_some(),
            };
            if !placed {
                return Err(format!(
                    "its manifest places a {:?} member at {:?}, where none belongs",
                    member.kind, member.path
                ));
            }
        }
        if databases != 1 {
            return Err("its manifest does not list exactly one database".to_owned());
        }
        Ok(())
    }
}

/// A note member's path relative to the notes folder, if the archive path
/// is one (`notes/…`, every part a plain name, no way out of the folder).
pub fn note_path(archive_path: &str) -> Option<&str> {
    inside(NOTES_FOLDER, archive_path)
}

/// A media member's path relative to the media folder (`media/…`), on the
/// same terms as [`note_path`].
pub fn media_path(archive_path: &str) -> Option<&str> {
    inside(MEDIA_FOLDER, archive_path)
}

fn inside<'a>(folder: &str, archive_path: &'a str) -> Option<&'a str> {
    let relative = archive_path.strip_prefix(folder)?.strip_prefix('/')?;
    let safe = !relative.is_empty()
        && Path::new(relative)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        && !relative.split('/').any(str::is_empty);
    safe.then_some(relative)
}

/// `starpunk-backup-2026-11-23T101500Z.tar.gz`: the name a backup gets when
/// `--output` names no file. `--keep` prunes only archives named so.
pub fn default_name(created_at: DateTime<Utc>, attempt: u32) -> String {
    let time = created_at.format(NAME_TIME);
    match attempt {
        0 | 1 => format!("{NAME_PREFIX}{time}{NAME_SUFFIX}"),
        n => format!("{NAME_PREFIX}{time}-{n}{NAME_SUFFIX}"),
    }
}

/// Whether a file name is one [`default_name`] gives.
pub fn is_default_name(name: &str) -> bool {
    let Some(middle) = name
        .strip_prefix(NAME_PREFIX)
        .and_then(|rest| rest.strip_suffix(NAME_SUFFIX))
    else {
        return false;
    };
    let time = match middle.split_once("Z-") {
        Some((time, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{time}Z")
        }
        Some(_) => return false,
        None => middle.to_owned(),
    };
    NaiveDateTime::parse_from_str(&time, NAME_TIME).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        let mut manifest = Manifest::new(7, Utc::now(), Counts::default());
        manifest.members = vec![
            Member {
                path: DATABASE_MEMBER.into(),
                kind: MemberKind::Database,
                sha256: "a".repeat(64),
            },
            Member {
                path: "notes/2026/11/hello.md".into(),
                kind: MemberKind::Note,
                sha256: "b".repeat(64),
            },
        ];
        manifest
    }

    #[test]
    fn a_manifest_reads_back_as_written() {
        let manifest = manifest();
        let bytes = serde_json::to_vec(&manifest).unwrap();
        assert_eq!(Manifest::parse(&bytes).unwrap(), manifest);
    }

    #[test]
    fn members_that_could_land_outside_their_folder_are_refused() {
        for path in [
            "notes/../escape.md",
            "notes//x.md",
            "notes/",
            "/etc/passwd",
            "other/x.md",
            "media/../notes/x.md",
        ] {
            let mut manifest = manifest();
            manifest.members[1].path = path.into();
            let bytes = serde_json::to_vec(&manifest).unwrap();
            let error = Manifest::parse(&bytes).unwrap_err();
            assert!(error.contains("where none belongs"), "{path}: {error}");
        }
    }

    #[test]
    fn a_format_1_manifest_without_media_still_reads() {
        let mut value = serde_json::to_value(manifest()).unwrap();
        value["format_version"] = 1.into();
        value["counts"].as_object_mut().unwrap().remove("media");
        let read = Manifest::parse(&serde_json::to_vec(&value).unwrap()).unwrap();
        assert_eq!(read.counts.media, 0);
    }

    #[test]
    fn media_members_belong_under_media() {
        let mut manifest = manifest();
        manifest.members.push(Member {
            path: "media/2026/11/x.jpg".into(),
            kind: MemberKind::Media,
            sha256: "c".repeat(64),
        });
        assert!(Manifest::parse(&serde_json::to_vec(&manifest).unwrap()).is_ok());
        manifest.members[2].path = "notes/2026/11/x.jpg".into();
        let error = Manifest::parse(&serde_json::to_vec(&manifest).unwrap()).unwrap_err();
        assert!(error.contains("where none belongs"), "{error}");
    }

    #[test]
    fn a_newer_format_or_kind_is_named_as_such() {
        let mut value = serde_json::to_value(manifest()).unwrap();
        value["format_version"] = (FORMAT_VERSION + 1).into();
        let error = Manifest::parse(&serde_json::to_vec(&value).unwrap()).unwrap_err();
        assert!(error.contains("newer StarPunk"), "{error}");

        let mut value = serde_json::to_value(manifest()).unwrap();
        value["members"][1]["kind"] = "video".into();
        let error = Manifest::parse(&serde_json::to_vec(&value).unwrap()).unwrap_err();
        assert!(error.contains("unknown variant `video`"), "{error}");
    }

    #[test]
    fn duplicate_members_and_bad_hashes_are_refused() {
        let mut twice = manifest();
        twice.members.push(twice.members[1].clone());
        let error = Manifest::parse(&serde_json::to_vec(&twice).unwrap()).unwrap_err();
        assert!(error.contains("twice"), "{error}");

        let mut bad = manifest();
        bad.members[1].sha256 = "XYZ".into();
        let error = Manifest::parse(&serde_json::to_vec(&bad).unwrap()).unwrap_err();
        assert!(error.contains("SHA-256"), "{error}");
    }

    #[test]
    fn default_names_are_recognised_and_others_are_not() {
        let at = DateTime::parse_from_rfc3339("2026-11-23T10:15:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            default_name(at, 1),
            "starpunk-backup-2026-11-23T101500Z.tar.gz"
        );
        assert!(is_default_name(&default_name(at, 1)));
        assert!(is_default_name(&default_name(at, 3)));
        for other in [
            "starpunk-backup-2026-11-23T101500Z.tar.gz.part",
            "starpunk-backup-latest.tar.gz",
            "starpunk-backup-2026-11-23T101500Z-.tar.gz",
            "my-backup.tar.gz",
        ] {
            assert!(!is_default_name(other), "{other}");
        }
    }
}
