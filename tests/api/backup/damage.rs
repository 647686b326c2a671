//! Archives that must not be restored: damaged, incomplete, altered, or
//! from a newer StarPunk. Each is refused with a message that says why, and
//! the data already there stays exactly as it was. An archive from an
//! older StarPunk is migrated.

use std::path::Path;

use super::archive::{Member, edit_database, manifest, read_members, rewrite, write_members};
use super::{
    archive_of, assert_check_clean, backup, fails, list_notes, note_files, ok, tempdir, vars_for,
    write_a_site,
};

/// An earlier migration; an archive at this schema is one an earlier
/// StarPunk made. The test drops the tables of every later migration.
const OLDER_SCHEMA: i64 = 20261127000002;

fn flip_a_byte(bytes: &mut [u8], at: usize) {
    bytes[at] ^= 0x20;
}

#[test]
fn damaged_or_altered_archives_are_refused_and_the_data_is_untouched() {
    let (site, out) = (tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    let good = archive_of(&backup(&vars, out.path(), &[]));
    let bytes = std::fs::read(&good).unwrap();
    ok(
        &vars,
        &["note", "new", "--slug", "since"],
        "Not in the archive",
    );
    let data = (list_notes(&vars), note_files(site.path()));

    let broken = |name: &str| out.path().join(name);
    let mut flipped = bytes.clone();
    flip_a_byte(&mut flipped, bytes.len() / 2);
    std::fs::write(broken("flipped.tar.gz"), flipped).unwrap();
    std::fs::write(broken("truncated.tar.gz"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(broken("text.tar.gz"), "just some text\n").unwrap();

    let note = |members: &[Member]| {
        members
            .iter()
            .position(|m| m.name.starts_with("notes/"))
            .unwrap()
    };
    let mut members = read_members(&good);
    let removed = members.remove(note(&members));
    write_members(&broken("missing.tar.gz"), &members);

    let mut members = read_members(&good);
    members.push(Member {
        name: "notes/2026/01/stowaway.md".into(),
        bytes: b"not listed".to_vec(),
    });
    write_members(&broken("extra.tar.gz"), &members);

    let mut members = read_members(&good);
    let at = note(&members);
    members[at].bytes.extend_from_slice(b" (changed)");
    write_members(&broken("altered.tar.gz"), &members);

    // Hashes recomputed, so only `check` on the copy can tell: the database
    // lists a note whose file is not in the archive.
    rewrite(&good, &broken("incomplete.tar.gz"), |members, listing| {
        let at = note(members);
        let name = members.remove(at).name;
        let listed = listing["members"].as_array_mut().unwrap();
        listed.retain(|m| m["path"] != name.as_str());
    });

    for (name, expected) in [
        ("flipped.tar.gz", "cannot be restored"),
        ("truncated.tar.gz", "truncated"),
        ("text.tar.gz", "not a .tar.gz archive"),
        ("missing.tar.gz", &format!("{} is missing", removed.name)),
        ("extra.tar.gz", "which its manifest does not list"),
        ("altered.tar.gz", "does not match its SHA-256"),
        (
            "incomplete.tar.gz",
            "`starpunk check` fails on it: missing file",
        ),
    ] {
        let archive = broken(name);
        let archive = archive.to_str().unwrap();
        let err = fails(&vars, &["backup", "--verify", archive]);
        assert!(err.contains(expected), "{name}: {err}");
        let err = fails(&vars, &["restore", "--force", archive]);
        assert!(err.contains(expected), "{name}: {err}");
        assert_eq!(
            (list_notes(&vars), note_files(site.path())),
            data,
            "{name} changed the data"
        );
    }
    assert_check_clean(&vars);
}

#[test]
fn an_archive_from_an_older_schema_is_migrated_and_a_newer_one_refused() {
    let (site, out) = (tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    let summary = backup(&vars, out.path(), &[]);
    let good = archive_of(&summary);
    let notes = list_notes(&vars);

    let older = out.path().join("older.tar.gz");
    rewrite(&good, &older, |members, listing| {
        edit_database(
            members,
            &format!(
                "DROP TABLE authorization_codes; DROP TABLE note_media; DROP TABLE media; \
                 DROP TRIGGER note_changes_after_insert; DROP TRIGGER note_changes_after_update; \
                 DROP TRIGGER note_changes_after_delete; DROP TABLE note_changes; \
                 DROP TABLE change_cursors; DROP TABLE responses; DROP TABLE response_changes; \
                 DROP TABLE trusted_hosts; DROP TABLE blocked_domains; \
                 DROP TABLE activitypub_key; DROP TABLE remote_actors; DROP TABLE followers; \
                 DROP TABLE federated_notes; DROP TABLE deliveries; DROP TABLE outbox_activities; \
                 DROP INDEX notes_scheduled; ALTER TABLE notes DROP COLUMN visibility; \
                 DROP TABLE webmention_inbox; DROP TABLE webmention_outbox; \
                 DROP TABLE webmention_notes; DROP TABLE link_cites; \
                 DELETE FROM _sqlx_migrations WHERE version > {OLDER_SCHEMA};"
            ),
        );
        listing["schema_version"] = OLDER_SCHEMA.into();
    });
    assert_eq!(
        manifest(&read_members(&older))["schema_version"],
        OLDER_SCHEMA
    );
    let target = tempdir();
    let restored = vars_for(target.path());
    let migrated: serde_json::Value = serde_json::from_str(&ok(
        &restored,
        &["restore", "--json", older.to_str().unwrap()],
        "",
    ))
    .unwrap();
    assert_eq!(migrated["migrated_from"], OLDER_SCHEMA);
    assert_eq!(list_notes(&restored), notes);
    assert_check_clean(&restored);
    // Its database now has every migration: a backup of it says so.
    let again = backup(&restored, out.path(), &[]);
    assert_eq!(again["schema_version"], summary["schema_version"]);

    let newer = out.path().join("newer.tar.gz");
    let future = 29990101000001i64;
    rewrite(&good, &newer, |members, listing| {
        edit_database(
            members,
            &format!(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                 VALUES ({future}, 'from the future', 1, x'00', 0);"
            ),
        );
        listing["schema_version"] = future.into();
    });
    let untouched = tempdir();
    let fresh = vars_for(untouched.path());
    for args in [
        vec!["backup", "--verify", newer.to_str().unwrap()],
        vec!["restore", newer.to_str().unwrap()],
    ] {
        let err = fails(&fresh, &args);
        assert!(
            err.contains("comes from a newer StarPunk") && err.contains("upgrade StarPunk"),
            "{err}"
        );
    }
    assert!(!untouched.path().join("starpunk.db").exists());
    assert!(!Path::new(&untouched.path().join("notes")).exists());
}
