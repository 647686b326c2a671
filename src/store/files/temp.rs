//! The names of the temporary files writers leave while they work:
//! `.tmp-<kind>.<random>.<slug>.md.part`, beside the note they belong to,
//! so that [`super::super::debris`] can tell whose they are and why.

use std::path::Path;

/// The kinds of temporary file a writer leaves while it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TempKind {
    /// New content: linked to (create) or renamed over (update) the note.
    New,
    /// A hard link to a note's previous content during an update.
    Old,
    /// A note's file moved aside during a hard delete.
    Deleted,
}

impl TempKind {
    fn tag(self) -> &'static str {
        match self {
            TempKind::New => "new",
            TempKind::Old => "old",
            TempKind::Deleted => "del",
        }
    }

    fn from_tag(tag: &str) -> Option<TempKind> {
        match tag {
            "new" => Some(TempKind::New),
            "old" => Some(TempKind::Old),
            "del" => Some(TempKind::Deleted),
            _ => None,
        }
    }
}

/// A temporary file's name, parsed: which note it belongs to and why it
/// exists. Older versions of StarPunk left `.tmp-<random>.md.part` (no kind,
/// no slug) and `<slug>.md.deleting`; those are recognised too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempFile {
    /// Relative path of the temporary file itself.
    pub path: String,
    pub kind: Option<TempKind>,
    /// Relative path of the note file it belongs to, when the name says.
    pub note_path: Option<String>,
}

impl TempFile {
    /// Recognises a temporary file by its relative path.
    pub fn parse(relative: &str) -> Option<TempFile> {
        let (folder, name) = match relative.rsplit_once('/') {
            Some((folder, name)) => (Some(folder), name),
            None => (None, relative),
        };
        let in_folder = |file: &str| match folder {
            Some(folder) => format!("{folder}/{file}"),
            None => file.to_owned(),
        };
        if let Some(note) = name.strip_suffix(".deleting") {
            return note.ends_with(".md").then(|| TempFile {
                path: relative.to_owned(),
                kind: Some(TempKind::Deleted),
                note_path: Some(in_folder(note)),
            });
        }
        let inner = name.strip_prefix(".tmp-")?.strip_suffix(".md.part")?;
        let mut parts = inner.splitn(3, '.');
        let parsed = match (parts.next(), parts.next(), parts.next()) {
            (Some(tag), Some(_random), Some(slug)) => TempKind::from_tag(tag)
                .filter(|_| looks_like_slug(slug))
                .map(|kind| (kind, in_folder(&format!("{slug}.md")))),
            _ => None,
        };
        Some(match parsed {
            Some((kind, note_path)) => TempFile {
                path: relative.to_owned(),
                kind: Some(kind),
                note_path: Some(note_path),
            },
            None => TempFile {
                path: relative.to_owned(),
                kind: None,
                note_path: None,
            },
        })
    }
}

/// Runs `make` with a name builder for `.tmp-<kind>.<random>.<slug>.md.part`
/// beside the note.
pub(super) fn with_temp_name<R>(
    note: &Path,
    kind: TempKind,
    make: impl FnOnce(&tempfile::Builder<'_, '_>) -> R,
) -> R {
    let stem = note
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("note files are named <slug>.md");
    let prefix = format!(".tmp-{}.", kind.tag());
    let suffix = format!(".{stem}.md.part");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(&suffix).rand_bytes(8);
    make(&builder)
}

/// Slugs are `a-z`, `0-9` and `-` (older ones may be reserved words, so
/// this does not use [`Slug::parse`]).
fn looks_like_slug(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
