//! Reading and rewriting backup archives from the outside, as a person
//! with `tar` would: to damage them on purpose, or to make one that an
//! older or newer StarPunk could have written.

use std::io::Read;
use std::path::Path;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

pub struct Member {
    pub name: String,
    pub bytes: Vec<u8>,
}

pub fn read_members(archive: &Path) -> Vec<Member> {
    let file = std::fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    tar.entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            Member { name, bytes }
        })
        .collect()
}

/// Writes the members as they are: the manifest is not brought in line.
pub fn write_members(archive: &Path, members: &[Member]) {
    let file = std::fs::File::create(archive).unwrap();
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::default()));
    for member in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(member.bytes.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, &member.name, &member.bytes[..])
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

pub fn manifest(members: &[Member]) -> serde_json::Value {
    assert_eq!(members[0].name, "manifest.json");
    serde_json::from_slice(&members[0].bytes).unwrap()
}

/// Rewrites an archive after `edit`, with a manifest whose hashes match
/// the edited members (the manifest's other fields as `edit` left them).
pub fn rewrite(
    from: &Path,
    to: &Path,
    edit: impl FnOnce(&mut Vec<Member>, &mut serde_json::Value),
) {
    let mut members = read_members(from);
    let mut listing = manifest(&members);
    edit(&mut members, &mut listing);
    for listed in listing["members"].as_array_mut().unwrap() {
        let name = listed["path"].as_str().unwrap().to_owned();
        let member = members.iter().find(|m| m.name == name).unwrap();
        listed["sha256"] = format!("{:x}", Sha256::digest(&member.bytes)).into();
    }
    members[0].bytes = serde_json::to_vec(&listing).unwrap();
    write_members(to, &members);
}

/// Runs SQL on the archive's database member (through a file).
pub fn edit_database(members: &mut [Member], sql: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.db");
    let member = members
        .iter_mut()
        .find(|m| m.name == "starpunk.db")
        .unwrap();
    std::fs::write(&path, &member.bytes).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::{ConnectOptions, Connection};
            let mut connection = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Delete)
                .connect()
                .await
                .unwrap();
            sqlx::raw_sql(sql).execute(&mut connection).await.unwrap();
            connection.close().await.unwrap();
        });
    member.bytes = std::fs::read(&path).unwrap();
}
