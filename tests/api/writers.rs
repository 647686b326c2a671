//! Writer processes for the durability tests: the real `starpunk` binary,
//! run to the end or killed with SIGKILL at random moments, and a ledger of
//! the writes it acknowledged, to compare with what the data holds after.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use starpunk::domain::content_hash;

use crate::helpers::{cli_with, run_with_input, stderr, stdout};

pub const SIGKILL: i32 = 9;

pub fn vars_for(dir: &std::path::Path) -> HashMap<String, String> {
    HashMap::from([
        ("DATA_PATH".into(), dir.display().to_string()),
        ("SITE_URL".into(), "https://notes.example".into()),
    ])
}

pub fn starpunk(vars: &HashMap<String, String>, args: &[&str], input: &str) -> Output {
    run_with_input(cli_with(vars).args(args), input)
}

/// The slug at the end of a permalink printed by `note new`.
pub fn slug_of(permalink: &str) -> String {
    permalink
        .trim()
        .rsplit_once("/note/")
        .unwrap_or_else(|| panic!("not a permalink: {permalink:?}"))
        .1
        .to_owned()
}

/// Every note in any state, as `note list --json --drafts --deleted` shows it.
pub fn list_notes(vars: &HashMap<String, String>) -> Vec<serde_json::Value> {
    let output = starpunk(
        vars,
        &["note", "list", "--json", "--drafts", "--deleted"],
        "",
    );
    assert!(output.status.success(), "note list: {}", stderr(&output));
    match serde_json::from_slice(&output.stdout).expect("note list --json prints JSON") {
        serde_json::Value::Array(notes) => notes,
        other => panic!("note list --json printed {other}"),
    }
}

pub fn field<'a>(note: &'a serde_json::Value, name: &str) -> &'a str {
    note[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} missing in {note}"))
}

/// Runs `check` and asserts it found nothing at all: exit 0 and a single
/// `ok:` line (no leftover, no problem). Returns the number of notes.
pub fn assert_check_clean(vars: &HashMap<String, String>) -> usize {
    let output = starpunk(vars, &["check"], "");
    let out = stdout(&output);
    assert!(
        output.status.success(),
        "check failed:\n{out}{}",
        stderr(&output)
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("ok: "),
        "check is not clean:\n{out}"
    );
    lines[0]["ok: ".len()..]
        .split_once(' ')
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no note count in {:?}", lines[0]))
}

/// Runs `check --repair`, which must succeed with only `repaired:` lines
/// and the `ok:` line. Returns how many leftovers it resolved.
pub fn repair(vars: &HashMap<String, String>) -> usize {
    let output = starpunk(vars, &["check", "--repair"], "");
    let out = stdout(&output);
    assert!(
        output.status.success(),
        "check --repair failed:\n{out}{}",
        stderr(&output)
    );
    let mut repaired = 0;
    for line in out.lines() {
        if line.starts_with("repaired: ") {
            repaired += 1;
        } else {
            assert!(line.starts_with("ok: "), "check --repair left:\n{out}");
        }
    }
    repaired
}

/// A small deterministic PRNG (xorshift64), so a failing run can be
/// repeated.
pub struct Xorshift(pub u64);

impl Xorshift {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One writer process and what it was asked to do.
enum Job {
    New { text: String },
    Edit { slug: String, new: String },
    HardDelete { slug: String },
}

/// What is known about one note: the texts it may hold (one once a write
/// to it is acknowledged, more after edits that were killed) and whether a
/// killed hard delete may have removed it.
struct Known {
    texts: Vec<String>,
    may_be_gone: bool,
}

impl Known {
    fn acknowledged(text: String) -> Known {
        Known {
            texts: vec![text],
            may_be_gone: false,
        }
    }
}

/// The first line of a text, to name it in a message (texts can be long).
fn headline(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// What one round of writers did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Round {
    pub killed: usize,
    pub finished: usize,
}

/// The notes the kill tests know of (ordered, so that the PRNG picks the
/// same notes on every run) and the texts of killed creates, which may or
/// may not have been saved, by content hash.
pub struct Ledger {
    notes: BTreeMap<String, Known>,
    unacknowledged: HashMap<String, String>,
    /// How many bytes of filler each text gets after its first line.
    filler: Range<u64>,
    serial: u32,
}

impl Ledger {
    /// A ledger whose notes have `filler` bytes of text after their first
    /// line (`0..0` for one-line notes).
    pub fn new(filler: Range<u64>) -> Ledger {
        Ledger {
            notes: BTreeMap::new(),
            unacknowledged: HashMap::new(),
            filler,
            serial: 0,
        }
    }

    /// How many notes there are, once [`Ledger::resolve`] has run.
    pub fn len(&self) -> usize {
        self.notes.len()
    }

    /// Creates `count` notes with writers that are not killed, for later
    /// rounds to work on.
    pub fn create_notes(
        &mut self,
        vars: &HashMap<String, String>,
        rng: &mut Xorshift,
        count: usize,
    ) {
        for _ in 0..count {
            self.serial += 1;
            let text = self.text(
                rng,
                format!("Durable note {} written in one go", self.serial),
            );
            let output = starpunk(vars, &["note", "new", "-"], &text);
            assert!(output.status.success(), "{}", stderr(&output));
            let slug = slug_of(&stdout(&output));
            assert!(self.notes.insert(slug, Known::acknowledged(text)).is_none());
        }
    }

    /// Runs one to three writers at once, each of which is killed, with
    /// odds of two in three, within `kill_within` of the round's start;
    /// records what they acknowledged and checks it can be read at once.
    pub fn round(
        &mut self,
        vars: &HashMap<String, String>,
        inputs: &std::path::Path,
        rng: &mut Xorshift,
        kill_within: Duration,
    ) -> Round {
        let window = u64::try_from(kill_within.as_micros()).expect("a short window");
        let mut taken = HashSet::new();
        let mut writers = Vec::new();
        for _ in 0..1 + rng.below(3) {
            self.serial += 1;
            let job = self.next_job(rng, &mut taken);
            let child = spawn_writer(vars, inputs, self.serial, &job);
            let kill_after = (rng.below(3) > 0).then(|| Duration::from_micros(rng.below(window)));
            writers.push((job, child, kill_after));
        }
        kill_on_schedule(&mut writers, Instant::now());

        let mut round = Round::default();
        let mut acknowledged = Vec::new();
        for (job, child, _) in writers {
            let output = child.wait_with_output().expect("wait for starpunk");
            if output.status.signal() == Some(SIGKILL) {
                round.killed += 1;
            } else {
                round.finished += 1;
                assert!(output.status.success(), "{}", stderr(&output));
            }
            if let Job::HardDelete { slug } = &job
                && output.status.success()
            {
                let show = starpunk(vars, &["note", "show", slug], "");
                assert_eq!(show.status.code(), Some(1), "{slug} was deleted");
            }
            acknowledged.extend(self.record(job, &output));
        }

        // Acknowledged writes are readable before any repair.
        for slug in acknowledged {
            let [text] = &self.notes[&slug].texts[..] else {
                unreachable!("an acknowledged note has one known text")
            };
            let show = starpunk(vars, &["note", "show", &slug], "");
            assert!(show.status.success(), "{slug}: {}", stderr(&show));
            assert!(
                &stdout(&show) == text,
                "{slug} does not show {:?}",
                headline(text)
            );
        }
        round
    }

    /// A text whose first line is `headline`, with this ledger's filler.
    fn text(&self, rng: &mut Xorshift, headline: String) -> String {
        if self.filler.is_empty() {
            return headline;
        }
        let size = self.filler.start + rng.below(self.filler.end - self.filler.start);
        let mut text = headline;
        let mut line = 0;
        while (text.len() as u64) < size {
            line += 1;
            text.push_str(&format!("\nFiller line {line}, to make the note long."));
        }
        text
    }

    /// A create, or an edit or hard delete of a note that is certainly
    /// there and not in `taken`.
    fn next_job(&self, rng: &mut Xorshift, taken: &mut HashSet<String>) -> Job {
        let serial = self.serial;
        let pick = rng.below(10);
        let candidates: Vec<&String> = self
            .notes
            .iter()
            .filter(|(slug, known)| !known.may_be_gone && !taken.contains(*slug))
            .map(|(slug, _)| slug)
            .collect();
        if pick < 5 || candidates.len() < 3 {
            return Job::New {
                text: self.text(
                    rng,
                    format!("Durable note {serial} written by a writer that may be killed"),
                ),
            };
        }
        let slug = candidates[rng.below(candidates.len() as u64) as usize].clone();
        taken.insert(slug.clone());
        if pick >= 8 {
            return Job::HardDelete { slug };
        }
        Job::Edit {
            new: self.text(rng, format!("Edit number {serial} of a durable note")),
            slug,
        }
    }

    /// Records what a writer's output acknowledged. A writer killed after
    /// printing its acknowledgement counts as acknowledged. Returns the
    /// note whose text it acknowledged.
    fn record(&mut self, job: Job, output: &Output) -> Option<String> {
        let out = stdout(output);
        let printed = out.ends_with('\n') && out.contains("/note/");
        match job {
            Job::New { text } if printed => {
                let slug = slug_of(&out);
                let known = Known::acknowledged(text);
                assert!(self.notes.insert(slug.clone(), known).is_none());
                Some(slug)
            }
            Job::New { text } => {
                self.unacknowledged
                    .insert(content_hash(text.as_bytes()), text);
                None
            }
            Job::Edit { slug, new } if printed => {
                self.notes.insert(slug.clone(), Known::acknowledged(new));
                Some(slug)
            }
            Job::Edit { slug, new } => {
                self.notes
                    .get_mut(&slug)
                    .expect("an edited note is known")
                    .texts
                    .push(new);
                None
            }
            Job::HardDelete { slug } if stderr(output).contains("deleted, with its file") => {
                self.notes.remove(&slug);
                None
            }
            Job::HardDelete { slug } => {
                self.notes
                    .get_mut(&slug)
                    .expect("a deleted note is known")
                    .may_be_gone = true;
                None
            }
        }
    }

    /// Compares the notes listed (after a repair) with what is known: every
    /// acknowledged note holds its text, a note edited by killed writers
    /// holds one of the texts it may hold, a killed delete either happened
    /// or not, and any other note is a killed create that happened to be
    /// saved.
    pub fn resolve(&mut self, listed: &[serde_json::Value]) {
        let by_slug: HashMap<&str, &str> = listed
            .iter()
            .map(|note| (field(note, "slug"), field(note, "content_hash")))
            .collect();
        let mut gone = Vec::new();
        for (slug, known) in self.notes.iter_mut() {
            let found = by_slug.get(slug.as_str()).copied();
            let held = known
                .texts
                .iter()
                .find(|text| Some(content_hash(text.as_bytes()).as_str()) == found);
            match (held, found) {
                (Some(text), _) => *known = Known::acknowledged(text.clone()),
                (None, None) if known.may_be_gone => gone.push(slug.clone()),
                (None, found) => {
                    let texts: Vec<&str> = known.texts.iter().map(|t| headline(t)).collect();
                    panic!("note {slug} should hold one of {texts:?}; found hash {found:?}")
                }
            }
        }
        for slug in gone {
            self.notes.remove(&slug);
        }
        for (slug, hash) in by_slug {
            if !self.notes.contains_key(slug) {
                let text = self
                    .unacknowledged
                    .remove(hash)
                    .unwrap_or_else(|| panic!("note {slug} was never written (hash {hash})"));
                self.notes
                    .insert(slug.to_owned(), Known::acknowledged(text));
            }
        }
    }
}

/// Starts a writer process for `job`, its text in a file under `inputs`.
fn spawn_writer(
    vars: &HashMap<String, String>,
    inputs: &std::path::Path,
    serial: u32,
    job: &Job,
) -> Child {
    let input = inputs.join(format!("{serial}.md"));
    let file = input.display().to_string();
    let args: Vec<&str> = match job {
        Job::New { text } => {
            std::fs::write(&input, text).expect("write the note's text");
            vec!["note", "new", &file]
        }
        Job::Edit { slug, new, .. } => {
            std::fs::write(&input, new).expect("write the note's text");
            vec!["note", "edit", slug, &file]
        }
        Job::HardDelete { slug } => vec!["note", "delete", slug, "--hard"],
    };
    cli_with(vars)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn starpunk")
}

/// Sends SIGKILL to each writer that has a delay, that long after `start`
/// (a writer that has already exited is not affected).
fn kill_on_schedule(writers: &mut [(Job, Child, Option<Duration>)], start: Instant) {
    let mut order: Vec<usize> = (0..writers.len()).collect();
    order.sort_by_key(|&i| writers[i].2);
    for i in order {
        if let (_, child, Some(after)) = &mut writers[i] {
            std::thread::sleep(after.saturating_sub(start.elapsed()));
            child.kill().expect("kill a writer");
        }
    }
}
