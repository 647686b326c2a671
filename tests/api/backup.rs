//! `starpunk backup` and `starpunk restore`, run as the real binary on real
//! data folders: while writers work, over existing data, killed half way.

mod archive;
mod damage;
mod media;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::helpers::{cli_with, run_with_input, spawn_app, stderr, stdout};

fn vars_for(dir: &Path) -> HashMap<String, String> {
    HashMap::from([
        ("DATA_PATH".into(), dir.display().to_string()),
        ("SITE_URL".into(), "https://notes.example".into()),
    ])
}

fn starpunk(vars: &HashMap<String, String>, args: &[&str], input: &str) -> Output {
    run_with_input(cli_with(vars).args(args), input)
}

/// Runs a command that must succeed; returns its standard output.
fn ok(vars: &HashMap<String, String>, args: &[&str], input: &str) -> String {
    let output = starpunk(vars, args, input);
    assert!(
        output.status.success(),
        "starpunk {args:?} failed: {}",
        stderr(&output)
    );
    stdout(&output)
}

/// Runs a command that must fail with exit 1 and one line on stderr, and
/// returns that line.
fn fails(vars: &HashMap<String, String>, args: &[&str]) -> String {
    let output = starpunk(vars, args, "");
    assert_eq!(
        output.status.code(),
        Some(1),
        "starpunk {args:?}: {}",
        stdout(&output)
    );
    let err = stderr(&output);
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    err
}

/// `backup --json` into `folder`; returns the summary.
fn backup(vars: &HashMap<String, String>, folder: &Path, extra: &[&str]) -> serde_json::Value {
    let output = format!("{}/", folder.display());
    let mut args = vec!["backup", "--json", "--output", &output];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(vars, &args, "")).expect("backup --json prints JSON")
}

fn archive_of(summary: &serde_json::Value) -> PathBuf {
    PathBuf::from(summary["archive"].as_str().expect("an archive path"))
}

fn list_notes(vars: &HashMap<String, String>) -> serde_json::Value {
    let out = ok(
        vars,
        &["note", "list", "--json", "--drafts", "--deleted"],
        "",
    );
    serde_json::from_str(&out).expect("note list --json prints JSON")
}

/// Every file under the notes folder, by relative path.
fn note_files(data: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, found: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                let relative = path.strip_prefix(root).unwrap().display().to_string();
                found.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(&data.join("notes"), &data.join("notes"), &mut found);
    found
}

fn assert_check_clean(vars: &HashMap<String, String>) {
    let out = ok(vars, &["check"], "");
    assert!(out.starts_with("ok: ") && out.lines().count() == 1, "{out}");
}

/// Notes in every state: published, draft, backdated with tags, edited,
/// deleted.
fn write_a_site(vars: &HashMap<String, String>) {
    ok(vars, &["note", "new", "--slug", "first"], "The first note");
    ok(
        vars,
        &["note", "new", "--draft", "--slug", "a-draft"],
        "Not yet",
    );
    ok(
        vars,
        &[
            "note",
            "new",
            "--published-at",
            "2019-05-06T07:08:09Z",
            "--tag",
            "rust",
            "--tag",
            "web dev",
            "--slug",
            "old-one",
        ],
        "Backdated, with *tags*",
    );
    ok(
        vars,
        &["note", "edit", "first", "-"],
        "The first note, edited",
    );
    ok(vars, &["note", "new", "--slug", "gone"], "Deleted later");
    ok(vars, &["note", "delete", "gone"], "");
}

#[test]
fn a_restore_into_an_empty_folder_reproduces_every_note() {
    let (site, out, empty) = (tempdir(), tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    let summary = backup(&vars, out.path(), &[]);
    assert_eq!(summary["counts"]["notes"], 4);
    assert_eq!(summary["counts"]["deleted"], 1);
    assert_eq!(summary["counts"]["drafts"], 1);
    let archive = archive_of(&summary);
    let name = archive.file_name().unwrap().to_string_lossy().into_owned();
    assert!(starpunk::store::backup::is_default_name(&name), "{name}");

    let verified: serde_json::Value = serde_json::from_str(&ok(
        &vars,
        &["backup", "--verify", archive.to_str().unwrap(), "--json"],
        "",
    ))
    .unwrap();
    assert_eq!(verified["ok"], true);
    assert_eq!(verified["counts"], summary["counts"]);

    // A data folder that does not exist yet.
    let target = empty.path().join("data");
    let restored = vars_for(&target);
    let said = ok(&restored, &["restore", archive.to_str().unwrap()], "");
    assert!(said.contains("`starpunk check` passes"), "{said}");
    assert_eq!(list_notes(&restored), list_notes(&vars));
    assert_eq!(note_files(&target), note_files(site.path()));
    assert_check_clean(&restored);
}

#[test]
fn restore_over_existing_notes_needs_force_and_then_replaces_them() {
    let (site, out) = (tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    let archive = archive_of(&backup(&vars, out.path(), &[]));
    let at_backup = (list_notes(&vars), note_files(site.path()));
    ok(
        &vars,
        &["note", "new", "--slug", "after"],
        "Written after the backup",
    );
    let now = (list_notes(&vars), note_files(site.path()));

    let err = fails(&vars, &["restore", archive.to_str().unwrap()]);
    assert!(
        err.contains("already holds notes") && err.contains("--force"),
        "{err}"
    );
    assert_eq!((list_notes(&vars), note_files(site.path())), now);

    ok(
        &vars,
        &["restore", "--force", archive.to_str().unwrap()],
        "",
    );
    assert_eq!((list_notes(&vars), note_files(site.path())), at_backup);
    assert_check_clean(&vars);
    let leftovers: Vec<_> = std::fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".starpunk-restore-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A writer process creates and edits notes the whole time; every archive
/// taken meanwhile is consistent: it verifies, and its restored copy passes
/// `check` with as many notes as its manifest counts.
#[test]
fn backups_taken_while_a_writer_keeps_writing_are_consistent() {
    let (site, out) = (tempdir(), tempdir());
    let vars = vars_for(site.path());
    for i in 0..4 {
        ok(
            &vars,
            &["note", "new", "--slug", &format!("seed-{i}")],
            "Seed",
        );
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (vars, stop) = (vars.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut written = 0;
            while !stop.load(Ordering::Relaxed) {
                let text = format!("Written during the backups, number {written}");
                ok(&vars, &["note", "new"], &text);
                ok(
                    &vars,
                    &["note", "edit", &format!("seed-{}", written % 4), "-"],
                    &text,
                );
                written += 1;
            }
            written
        })
    };
    let archives: Vec<PathBuf> = (0..3)
        .map(|_| archive_of(&backup(&vars, out.path(), &[])))
        .collect();
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().expect("the writer ran");
    assert!(written > 0);

    for archive in &archives {
        ok(
            &vars,
            &["backup", "--verify", archive.to_str().unwrap()],
            "",
        );
        let target = tempdir();
        let restored = vars_for(target.path());
        let summary: serde_json::Value = serde_json::from_str(&ok(
            &restored,
            &["restore", "--json", archive.to_str().unwrap()],
            "",
        ))
        .unwrap();
        assert_check_clean(&restored);
        let listed = list_notes(&restored).as_array().unwrap().len();
        assert_eq!(summary["counts"]["notes"], listed);
        assert_eq!(summary["notes"], listed);
    }
}

#[test]
fn keep_prunes_only_older_archives_made_by_starpunk() {
    let (site, out) = (tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    // Look like ours by name, but are not: never removed.
    let impostor = out.path().join("starpunk-backup-2001-01-01T000000Z.tar.gz");
    std::fs::write(&impostor, "not an archive").unwrap();
    let other = out.path().join("my-own-copy.tar.gz");
    std::fs::write(&other, "mine").unwrap();

    let first = archive_of(&backup(&vars, out.path(), &[]));
    let second = archive_of(&backup(&vars, out.path(), &[]));
    let third = backup(&vars, out.path(), &["--keep", "2"]);
    assert_eq!(third["pruned"], serde_json::json!([first]));
    assert!(!first.exists());
    for kept in [&second, &archive_of(&third), &impostor, &other] {
        assert!(kept.exists(), "{} was removed", kept.display());
    }

    let usage = starpunk(&vars, &["backup", "--keep", "0"], "");
    assert_eq!(usage.status.code(), Some(2), "{}", stderr(&usage));
}

/// A backup killed while it writes leaves no archive under a final name;
/// the next backup removes what it left and succeeds. (The stall hook
/// exists in debug builds only.)
#[cfg(debug_assertions)]
#[test]
fn a_killed_backup_leaves_no_archive_and_the_next_one_tidies_up() {
    let (site, out) = (tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    let mut child = cli_with(&vars)
        .args(["backup", "--output", &format!("{}/", out.path().display())])
        .env("STARPUNK_TEST_BACKUP_STALL", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let waiting = std::time::Instant::now();
    let partial = loop {
        assert!(
            waiting.elapsed() < std::time::Duration::from_secs(60),
            "the backup wrote nothing within a minute"
        );
        let found = entries(out.path())
            .into_iter()
            .map(|dir| out.path().join(dir).join("archive.tar.gz.part"))
            .find(|part| part.metadata().is_ok_and(|m| m.len() > 0));
        if let Some(part) = found {
            break part;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backup ended early"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(partial.exists());
    let names = entries(out.path());
    assert!(
        names
            .iter()
            .all(|n| !starpunk::store::backup::is_default_name(n)),
        "{names:?}"
    );

    let archive = archive_of(&backup(&vars, out.path(), &[]));
    let names = entries(out.path());
    assert_eq!(
        names,
        vec![archive.file_name().unwrap().to_string_lossy().into_owned()]
    );
    ok(
        &vars,
        &["backup", "--verify", archive.to_str().unwrap()],
        "",
    );
}

/// Backing up works while the server runs; restoring does not, and says
/// to stop it; once it stops, the restore goes through.
#[test]
fn restore_is_refused_while_the_server_runs() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(async {
        let app = spawn_app().await;
        app.publish("Served while backed up").await;
        app
    });
    let out = tempdir();
    let archive = archive_of(&backup(&app.vars, out.path(), &[]));
    ok(
        &app.vars,
        &["note", "new", "--slug", "later"],
        "After the backup",
    );
    let before = list_notes(&app.vars);

    let err = fails(
        &app.vars,
        &["restore", "--force", archive.to_str().unwrap()],
    );
    assert!(
        err.contains("server is running") && err.contains("stop it"),
        "{err}"
    );
    assert_eq!(list_notes(&app.vars), before);

    drop(runtime);
    ok(
        &app.vars,
        &["restore", "--force", archive.to_str().unwrap()],
        "",
    );
    assert_eq!(list_notes(&app.vars).as_array().unwrap().len(), 1);
    assert_check_clean(&app.vars);
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
