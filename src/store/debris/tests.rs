//! Unit tests of leftover resolution: the files several killed writers
//! leave for one note, laid out by hand, resolved in one pass.

use std::collections::HashMap;

use super::super::files::Durability;
use super::*;
use crate::domain::content_hash;

/// A notes folder in a temporary directory, and the rows it is judged by.
struct Folder {
    _dir: tempfile::TempDir,
    files: NotesDir,
    rows: HashMap<String, String>,
}

const NOTE: &str = "2026/01/note.md";
const OLD_A: &str = "2026/01/.tmp-old.AAAAAAAA.note.md.part";
const OLD_B: &str = "2026/01/.tmp-old.BBBBBBBB.note.md.part";
const ASIDE: &str = "2026/01/.tmp-del.CCCCCCCC.note.md.part";
const TWIN: &str = "2026/01/.tmp-new.DDDDDDDD.note.md.part";

impl Folder {
    fn new() -> Folder {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("2026/01")).unwrap();
        Folder {
            files: NotesDir::new(dir.path()),
            _dir: dir,
            rows: HashMap::new(),
        }
    }

    fn write(&self, relative: &str, text: &str) {
        std::fs::write(self.files.resolve(relative).unwrap(), text).unwrap();
    }

    fn link(&self, from: &str, to: &str) {
        let path = |p: &str| self.files.resolve(p).unwrap();
        std::fs::hard_link(path(from), path(to)).unwrap();
    }

    fn record(&mut self, relative: &str, text: &str) {
        self.rows
            .insert(relative.to_owned(), content_hash(text.as_bytes()));
    }

    fn read(&self, relative: &str) -> Option<String> {
        std::fs::read_to_string(self.files.resolve(relative).unwrap()).ok()
    }

    /// Resolves every leftover, then asserts that a second look finds
    /// nothing more to do and nothing kept: one pass is enough.
    fn resolve(&self) -> Vec<Repair> {
        let done = resolve_leftovers(&self.files, &self.rows).unwrap();
        let listing = self.files.list_files().unwrap();
        let again = find_leftovers(&self.files, &self.rows, &listing).unwrap();
        assert!(
            again.repairs.is_empty() && again.kept.is_empty(),
            "left after {done:?}: {:?}, kept {:?}",
            again.repairs,
            again.kept
        );
        done
    }
}

#[test]
fn a_committed_edit_then_an_interrupted_one_leave_the_recorded_text() {
    let mut folder = Folder::new();
    // Edit one committed (its old text, v0, was never removed); edit two
    // renamed v2 in and was killed before its row changed from v1.
    folder.write(OLD_A, "v0");
    folder.write(OLD_B, "v1");
    folder.write(NOTE, "v2");
    folder.record(NOTE, "v1");
    folder.resolve();
    assert_eq!(folder.read(NOTE).as_deref(), Some("v1"));
    assert_eq!(folder.files.list_files().unwrap(), [NOTE]);
}

#[test]
fn a_committed_edit_then_an_interrupted_delete_leave_the_note_in_place() {
    let mut folder = Folder::new();
    folder.write(OLD_A, "v0");
    folder.write(ASIDE, "v1");
    folder.record(NOTE, "v1");
    let done = folder.resolve();
    assert!(done.contains(&Repair::RestoreDeleted {
        path: NOTE.into(),
        aside: ASIDE.into()
    }));
    assert_eq!(folder.read(NOTE).as_deref(), Some("v1"));
    assert_eq!(folder.files.list_files().unwrap(), [NOTE]);
}

#[test]
fn an_interrupted_edit_then_an_interrupted_delete_leave_the_recorded_text() {
    let mut folder = Folder::new();
    // The edit renamed v1 in and kept v0 as old; the delete then moved
    // v1 aside; the row still says v0.
    folder.write(OLD_A, "v0");
    folder.write(ASIDE, "v1");
    folder.record(NOTE, "v0");
    folder.resolve();
    assert_eq!(folder.read(NOTE).as_deref(), Some("v0"));
    assert_eq!(folder.files.list_files().unwrap(), [NOTE]);
}

#[test]
fn a_committed_delete_then_a_new_note_with_the_same_slug_keep_the_new_note() {
    let mut folder = Folder::new();
    folder.write(ASIDE, "the deleted note");
    folder.write(NOTE, "the new note");
    folder.record(NOTE, "the new note");
    folder.resolve();
    assert_eq!(folder.read(NOTE).as_deref(), Some("the new note"));
    assert_eq!(folder.files.list_files().unwrap(), [NOTE]);
}

#[test]
fn an_unrecorded_create_is_undone_with_every_other_leftover_of_its_path() {
    let folder = Folder::new();
    folder.write(ASIDE, "a note deleted for good");
    folder.write(TWIN, "never acknowledged");
    folder.link(TWIN, NOTE);
    let done = folder.resolve();
    assert!(done.contains(&Repair::UndoCreate {
        path: NOTE.into(),
        twin: TWIN.into()
    }));
    assert!(folder.files.list_files().unwrap().is_empty());
}

#[test]
fn leftovers_of_a_note_whose_text_is_nowhere_are_kept() {
    let mut folder = Folder::new();
    folder.write(OLD_A, "v0");
    folder.write(NOTE, "changed by hand");
    folder.record(NOTE, "v1");
    let listing = folder.files.list_files().unwrap();
    let found = find_leftovers(&folder.files, &folder.rows, &listing).unwrap();
    assert!(found.repairs.is_empty(), "{:?}", found.repairs);
    assert_eq!(found.kept, [OLD_A]);
}

/// Writers remove their temporary files after committing, outside the
/// lock; a repair that came first has removed them already, which the
/// writer takes as done.
#[test]
fn a_writer_finishes_after_a_repair_removed_its_leftovers() {
    let mut folder = Folder::new();
    let files = folder.files.clone();
    let created = files
        .create_new(NOTE, b"v0", Durability::Synced)
        .unwrap()
        .expect("a free name");
    folder.record(NOTE, "v0");
    folder.resolve();
    files.forget_twin(&created);

    let old = files.replace(NOTE, b"v1").unwrap();
    folder.record(NOTE, "v1");
    folder.resolve();
    files.remove_temp(&old).unwrap();

    let aside = files.move_aside(NOTE).unwrap().expect("the note's file");
    folder.rows.clear();
    folder.resolve();
    files.remove_temp(&aside).unwrap();
    assert!(files.list_files().unwrap().is_empty());
}
