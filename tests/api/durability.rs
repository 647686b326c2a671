//! Durability under concurrency and crashes: many `starpunk` processes
//! writing at once, writers killed with SIGKILL at random moments, an import
//! killed halfway, and a stray file that repair must never remove. The
//! binary is the real one; the server, where there is one, runs on a
//! runtime of its own so that its background tasks keep running while this
//! thread waits for child processes.

use std::collections::{HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use starpunk::domain::content_hash;

use crate::helpers::{TestApp, cli_with, eventually, spawn_app, stderr, stdout};
use crate::writers::{
    Ledger, SIGKILL, Xorshift, assert_check_clean, field, list_notes, repair, slug_of, starpunk,
    vars_for,
};

/// The server on a multi-threaded runtime owned by the test: child
/// processes are waited for on the test's own thread, never on a thread the
/// server's background tasks (which take the write lock) need.
fn serve() -> (TestApp, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the server");
    let app = runtime.block_on(spawn_app());
    (app, runtime)
}

/// Asks the server until `path` answers 200 with a body containing `text`
/// and none of `absent` (the server notices CLI writes within a second).
fn assert_served(
    runtime: &tokio::runtime::Runtime,
    app: &TestApp,
    path: &str,
    text: &str,
    absent: &[&str],
) {
    runtime.block_on(eventually(Duration::from_secs(10), || async {
        let response = app.get(path).await;
        if response.status() != 200 {
            return false;
        }
        let body = response.text().await.expect("a body");
        body.contains(text) && absent.iter().all(|other| !body.contains(other))
    }));
}

fn assert_not_served(runtime: &tokio::runtime::Runtime, app: &TestApp, path: &str) {
    runtime.block_on(eventually(Duration::from_secs(10), || async {
        matches!(app.get(path).await.status().as_u16(), 404 | 410)
    }));
}

#[test]
fn sixteen_concurrent_creates_with_the_same_first_words_all_survive() {
    let (app, runtime) = serve();
    let texts: Vec<String> = (0..16)
        .map(|i| format!("Same five words open here and then this is note q{i}q with its own tail"))
        .collect();
    let mut children: Vec<Child> = texts
        .iter()
        .map(|_| {
            app.cli()
                .args(["note", "new", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn starpunk")
        })
        .collect();
    // All sixteen are running before any gets its text, so they race.
    for (child, text) in children.iter_mut().zip(&texts) {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin.write_all(text.as_bytes()).expect("write the note");
    }
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|child| child.wait_with_output().expect("wait for starpunk"))
        .collect();

    let mut slugs = HashSet::new();
    for (output, text) in outputs.iter().zip(&texts) {
        assert!(output.status.success(), "{text}: {}", stderr(output));
        let permalink = stdout(output);
        let path = permalink
            .trim()
            .strip_prefix(&app.address)
            .unwrap_or_else(|| panic!("{permalink:?} is not on {}", app.address));
        let slug = slug_of(&permalink);
        assert!(slug.starts_with("same-five-words-open-here"), "{slug}");
        assert!(slugs.insert(slug), "two notes got {permalink}");
        let others: Vec<&str> = texts
            .iter()
            .filter(|other| *other != text)
            .map(String::as_str)
            .collect();
        assert_served(&runtime, &app, path, text, &others);
    }
    assert_eq!(slugs.len(), 16);

    assert_eq!(assert_check_clean(&app.vars), 16);
    let listed: HashSet<String> = list_notes(&app.vars)
        .iter()
        .map(|note| field(note, "slug").to_owned())
        .collect();
    assert_eq!(listed, slugs);
}

/// What a writer in the mixed test expects of one of its notes.
#[derive(Debug, Clone)]
struct Expected {
    text: String,
    status: &'static str,
}

/// One process-spawning writer of the mixed test, recording what was
/// acknowledged to it.
struct Writer<'a> {
    id: usize,
    vars: &'a HashMap<String, String>,
    notes: HashMap<String, Expected>,
    creates: usize,
    hard_deleted: Vec<String>,
    shared_edits: Vec<String>,
}

impl Writer<'_> {
    fn ok(&self, args: &[&str], input: &str) -> Output {
        let output = starpunk(self.vars, args, input);
        assert!(
            output.status.success(),
            "writer {}: {args:?} failed: {}",
            self.id,
            stderr(&output)
        );
        output
    }

    fn create(&mut self, which: &str, draft: bool) -> String {
        let text = format!(
            "Mixed writers share these words, writer {} note {which}",
            self.id
        );
        let args: &[&str] = if draft {
            &["note", "new", "--draft", "-"]
        } else {
            &["note", "new", "-"]
        };
        let slug = slug_of(&stdout(&self.ok(args, &text)));
        let status = if draft { "draft" } else { "published" };
        assert!(
            self.notes
                .insert(slug.clone(), Expected { text, status })
                .is_none()
        );
        self.creates += 1;
        slug
    }

    fn edit(&mut self, slug: &str, text: String) {
        self.ok(&["note", "edit", slug, "-"], &text);
        self.notes.get_mut(slug).expect("an own note").text = text;
    }

    /// `publish`, `unpublish` or `delete` (soft).
    fn set(&mut self, slug: &str, command: &str) {
        self.ok(&["note", command, slug], "");
        self.notes.get_mut(slug).expect("an own note").status = match command {
            "publish" => "published",
            "unpublish" => "draft",
            _ => "deleted",
        };
    }

    fn hard_delete(&mut self, slug: &str) {
        self.ok(&["note", "delete", slug, "--hard"], "");
        self.notes.remove(slug).expect("an own note");
        self.hard_deleted.push(slug.to_owned());
    }

    /// Edits the note every writer edits: a conflict is the one failure
    /// allowed.
    fn edit_shared(&mut self, slug: &str, text: String) {
        let output = starpunk(self.vars, &["note", "edit", slug, "-"], &text);
        if output.status.success() {
            self.shared_edits.push(text);
        } else {
            assert!(
                stderr(&output).contains("changed since"),
                "writer {}: editing the shared note failed: {}",
                self.id,
                stderr(&output)
            );
        }
    }

    fn run(&mut self, shared: &str) {
        let id = self.id;
        let a = self.create("a", false);
        let b = self.create("b", true);
        self.edit(&a, format!("Writer {id} changed note a once"));
        self.set(&b, "publish");
        let c = self.create("c", false);
        self.edit_shared(shared, format!("Shared note as writer {id} wrote it first"));
        self.edit(&b, format!("Writer {id} changed note b"));
        self.set(&a, "unpublish");
        self.set(&c, "delete");
        let d = self.create("d", false);
        self.hard_delete(&b);
        self.edit(&d, format!("Writer {id} changed note d"));
        self.set(&a, "publish");
        self.edit_shared(shared, format!("Shared note as writer {id} wrote it last"));
        self.edit(&a, format!("Writer {id} changed note a twice"));
        let e = self.create("e", true);
        self.edit(&e, format!("Writer {id} changed draft e"));
    }
}

/// Asks for `/` and `/feed.xml` until `stop`; returns how many answers
/// came and every answer that was not a success.
async fn poll_pages(app_address: String, stop: Arc<AtomicBool>) -> (usize, Vec<String>) {
    let client = reqwest::Client::new();
    let (mut answers, mut failures) = (0, Vec::new());
    while !stop.load(Ordering::SeqCst) {
        for path in ["/", "/feed.xml"] {
            match client.get(format!("{app_address}{path}")).send().await {
                Ok(response) if response.status().is_success() => answers += 1,
                Ok(response) => failures.push(format!("{path}: {}", response.status())),
                Err(e) => failures.push(format!("{path}: {e}")),
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (answers, failures)
}

#[test]
fn a_mix_of_writers_in_several_processes_keeps_every_acknowledged_note() {
    let (app, runtime) = serve();
    let vars = &app.vars;
    let shared_text = "The shared note every writer edits";
    let shared = slug_of(&stdout(&starpunk(vars, &["note", "new", "-"], shared_text)));

    let stop = Arc::new(AtomicBool::new(false));
    let poller = runtime.spawn(poll_pages(app.address.clone(), stop.clone()));
    let writers: Vec<Writer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|id| {
                let shared = shared.as_str();
                scope.spawn(move || {
                    let mut writer = Writer {
                        id,
                        vars,
                        notes: HashMap::new(),
                        creates: 0,
                        hard_deleted: Vec::new(),
                        shared_edits: Vec::new(),
                    };
                    writer.run(shared);
                    writer
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a writer panicked"))
            .collect()
    });
    stop.store(true, Ordering::SeqCst);
    let (answers, failures) = runtime.block_on(poller).expect("the poller ran");
    assert!(answers > 0, "no page was asked for while the writers ran");
    assert!(failures.is_empty(), "while the writers ran: {failures:?}");

    let listed: HashMap<String, serde_json::Value> = list_notes(vars)
        .into_iter()
        .map(|note| (field(&note, "slug").to_owned(), note))
        .collect();
    let creates: usize = writers.iter().map(|w| w.creates).sum();
    let hard_deleted: Vec<&String> = writers.iter().flat_map(|w| &w.hard_deleted).collect();
    assert_eq!(listed.len(), 1 + creates - hard_deleted.len());
    assert_eq!(assert_check_clean(vars), listed.len());

    for writer in &writers {
        for (slug, expected) in &writer.notes {
            let note = listed
                .get(slug)
                .unwrap_or_else(|| panic!("acknowledged note {slug} is gone"));
            assert_eq!(field(note, "status"), expected.status, "{slug}");
            assert_eq!(
                field(note, "content_hash"),
                content_hash(expected.text.as_bytes()),
                "{slug} does not hold {:?}",
                expected.text
            );
            let path = format!("/note/{slug}");
            if expected.status == "published" {
                assert_served(&runtime, &app, &path, &expected.text, &[]);
            } else {
                assert_not_served(&runtime, &app, &path);
            }
        }
    }

    // A hard delete frees its slug, so a later create with the same first
    // words may hold it (and was checked above as that writer's note).
    let live: HashSet<&String> = writers.iter().flat_map(|w| w.notes.keys()).collect();
    for slug in hard_deleted.into_iter().filter(|slug| !live.contains(slug)) {
        assert!(!listed.contains_key(slug), "{slug} was deleted for good");
        assert_not_served(&runtime, &app, &format!("/note/{slug}"));
    }

    // The shared note holds the text of one acknowledged edit (the last
    // one to commit), never that of an edit refused as a conflict.
    let acknowledged: Vec<&String> = writers.iter().flat_map(|w| &w.shared_edits).collect();
    let shown = stdout(&starpunk(vars, &["note", "show", &shared], ""));
    if acknowledged.is_empty() {
        assert_eq!(shown, shared_text);
    } else {
        assert!(
            acknowledged.contains(&&shown),
            "shared note holds {shown:?}"
        );
    }
    assert_served(&runtime, &app, &format!("/note/{shared}"), &shown, &[]);
}

#[test]
fn writers_killed_at_random_moments_never_lose_an_acknowledged_note() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = tempfile::tempdir().expect("temp dir");
    let vars = vars_for(dir.path());
    let mut rng = Xorshift(0x5eed_1234_abcd_0001);
    let mut ledger = Ledger::new(0..0);
    let (mut killed, mut finished, mut repaired, mut rounds) = (0, 0, 0, 0);
    let started = Instant::now();

    while rounds < 150 && started.elapsed() < Duration::from_secs(15) {
        rounds += 1;
        let round = ledger.round(&vars, inputs.path(), &mut rng, Duration::from_millis(16));
        (killed, finished) = (killed + round.killed, finished + round.finished);
        repaired += repair(&vars);
        let count = assert_check_clean(&vars);
        ledger.resolve(&list_notes(&vars));
        assert_eq!(count, ledger.len());
    }
    eprintln!(
        "{rounds} rounds: {killed} writers killed, {finished} finished, \
         {repaired} leftovers repaired, {} notes",
        ledger.len()
    );
    assert!(killed > 0, "no writer was killed: nothing was tested");
    assert!(finished > 0, "no writer finished");
}

/// Counts the note files (not temporary ones) under `dir`.
fn count_note_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                count_note_files(&path)
            } else {
                usize::from(!entry.file_name().to_string_lossy().starts_with('.'))
            }
        })
        .sum()
}

#[test]
fn an_interrupted_import_can_be_run_again_without_duplicates() {
    const FILES: usize = 3000;
    let dir = tempfile::tempdir().expect("temp dir");
    let source = tempfile::tempdir().expect("temp dir");
    let vars = vars_for(dir.path());
    let identical = "Every tenth file holds this very text";
    for i in 0..FILES {
        let text = if i % 10 == 0 {
            identical.to_owned()
        } else if i % 13 == 0 {
            format!("---\nslug: shared-slug\ndate: 2024-05-01\n---\nShared slug, text {i}")
        } else if i % 7 == 0 {
            format!("---\nslug: imported-{i}\n---\nFront matter note {i}")
        } else {
            format!("Imported note number {i}")
        };
        std::fs::write(source.path().join(format!("note-{i:04}.md")), text).expect("write");
    }
    let import = [
        "note",
        "import",
        source.path().to_str().expect("UTF-8 path"),
    ];

    // Killed once the second batch has started writing files, if it gets
    // there; an import that finished first still tests running it again.
    let mut child = cli_with(&vars)
        .args(import)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn starpunk");
    let notes_dir = dir.path().join("notes");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("poll the import").is_none()
        && count_note_files(&notes_dir) < 1300
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("kill the import");
    let first = child.wait_with_output().expect("wait for the import");
    eprintln!(
        "first import: {:?} with {} note files",
        first.status,
        count_note_files(&notes_dir)
    );
    if first.status.signal() != Some(SIGKILL) {
        assert!(first.status.success(), "{}", stderr(&first));
    }

    // What a kill leaves is harmless until repaired.
    let check = starpunk(&vars, &["check"], "");
    assert!(check.status.success(), "{}", stdout(&check));
    repair(&vars);
    assert_check_clean(&vars);

    let second = starpunk(&vars, &import, "");
    assert!(second.status.success(), "{}", stderr(&second));
    let notes = list_notes(&vars);
    assert_eq!(
        notes.len(),
        FILES,
        "one note per file after running the import again: {}",
        stderr(&second)
    );
    let copies = notes
        .iter()
        .filter(|note| field(note, "content_hash") == content_hash(identical.as_bytes()))
        .count();
    assert_eq!(copies, FILES / 10, "identical texts stay separate notes");
    assert_eq!(assert_check_clean(&vars), FILES);

    let third = starpunk(&vars, &import, "");
    assert!(third.status.success(), "{}", stderr(&third));
    let message = stderr(&third);
    assert!(
        message.contains("imported 0 notes")
            && message.contains(&format!("({FILES} already present, skipped)")),
        "{message}"
    );
    assert_eq!(list_notes(&vars).len(), FILES);
    assert_eq!(assert_check_clean(&vars), FILES);
}

#[test]
fn a_stray_markdown_file_is_reported_and_never_removed_by_repair() {
    let dir = tempfile::tempdir().expect("temp dir");
    let vars = vars_for(dir.path());
    let created = starpunk(&vars, &["note", "new", "-"], "A note of the site's own");
    assert!(created.status.success(), "{}", stderr(&created));
    let stray = dir.path().join("notes/2026/01/mine.md");
    std::fs::create_dir_all(stray.parent().expect("a folder")).expect("mkdir");
    let content = "My own notes, not StarPunk's";
    std::fs::write(&stray, content).expect("write the stray file");

    for args in [&["check"][..], &["check", "--repair"][..]] {
        let output = starpunk(&vars, args, "");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let out = stdout(&output);
        assert!(
            out.contains("unknown file: 2026/01/mine.md"),
            "{args:?}: {out}"
        );
        assert!(!out.contains("repaired:"), "{args:?}: {out}");
        assert_eq!(
            std::fs::read_to_string(&stray).expect("the stray file is still there"),
            content
        );
    }
}
