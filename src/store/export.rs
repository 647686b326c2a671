//! `starpunk export`: every note as a Markdown file with YAML front matter,
//! in the format [`super::parse_import_file`] reads, so that exporting and
//! importing into an empty site gives back the same notes. Files are
//! written through a temporary file and a rename, so a file in the export
//! is always either the previous version or the new one, never half.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::{NotesDir, StoreError};
use crate::domain::mf2::Properties;
use crate::domain::{ContentFormat, Note, NoteBody, Photo, Visibility};

/// The front matter of an exported note, in the order it is written.
#[derive(Serialize)]
struct ExportedFrontMatter<'a> {
    slug: &'a str,
    published: bool,
    created: String,
    updated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    published_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<String>,
    /// Written only for an unlisted note (public is the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    visibility: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "<[Photo]>::is_empty")]
    photos: &'a [Photo],
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<ContentFormat>,
    #[serde(skip_serializing_if = "Properties::is_empty")]
    properties: &'a Properties,
}

/// Dates keep the milliseconds the database keeps, so they read back equal.
fn exported_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Where a note goes in an export: `YYYY/MM/<slug>` by its creation date,
/// without the extension (`.md`, and `.json` with `--json`).
pub fn export_stem(note: &Note) -> String {
    let path = NotesDir::relative_path_for(&note.slug, note.created_at);
    path.strip_suffix(".md").unwrap_or(&path).to_owned()
}

/// A note as an exported Markdown file: front matter, a blank line, its text.
pub fn export_text(note: &Note, body: &NoteBody) -> String {
    let properties = &note.properties;
    let front = ExportedFrontMatter {
        slug: note.slug.as_str(),
        published: note.published,
        created: exported_time(note.created_at),
        updated: exported_time(note.updated_at),
        published_at: note.published_at.map(exported_time),
        deleted: note.deleted_at.map(exported_time),
        visibility: (note.visibility != Visibility::Public).then(|| note.visibility.as_str()),
        tags: note.tags.iter().map(|t| t.name()).collect(),
        name: properties.name.as_deref(),
        summary: properties.summary.as_deref(),
        photos: &properties.photos,
        format: (properties.format != ContentFormat::Markdown).then_some(properties.format),
        properties: &properties.extra,
    };
    let yaml = serde_yaml_ng::to_string(&front).expect("front matter is plain YAML values");
    format!("---\n{yaml}---\n\n{}", body.as_str())
}

/// What writing one exported file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Replaced,
    /// The file already held exactly this content.
    Unchanged,
}

/// The folder an export is written to. Re-exporting into it writes only
/// the files that are missing or different, and removes nothing.
#[derive(Debug, Clone)]
pub struct ExportDir {
    root: PathBuf,
}

impl ExportDir {
    /// Opens (and if needed creates) the export folder.
    pub fn open(root: &Path) -> Result<ExportDir, StoreError> {
        std::fs::create_dir_all(root)
            .map_err(|e| StoreError::io("cannot create the export folder", root, e))?;
        Ok(ExportDir {
            root: root.to_owned(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes one file under its relative path (made by [`export_stem`],
    /// so it never leaves the folder): into a temporary file beside it,
    /// then renamed over the old one.
    pub fn write(&self, relative: &str, content: &[u8]) -> Result<Written, StoreError> {
        let path = self.root.join(relative);
        let existed = match std::fs::read(&path) {
            Ok(old) if old == content => return Ok(Written::Unchanged),
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(StoreError::io("cannot read", &path, e)),
        };
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io("cannot create", dir, e))?;
        let mut temp = tempfile::Builder::new()
            .prefix(".export-")
            .tempfile_in(dir)
            .map_err(|e| StoreError::io("cannot create a temporary file in", dir, e))?;
        temp.write_all(content)
            .and_then(|()| temp.as_file().sync_data())
            .map_err(|e| StoreError::io("cannot write", temp.path(), e))?;
        temp.persist(&path)
            .map_err(|e| StoreError::io("cannot write", &path, e.error))?;
        Ok(if existed {
            Written::Replaced
        } else {
            Written::Created
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parse_import_file;
    use crate::domain::{NoteProperties, Slug, Tag};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn note() -> Note {
        Note {
            id: 1,
            slug: Slug::parse("cafe-notes").unwrap(),
            file_path: "2024/02/cafe-notes.md".into(),
            published: false,
            created_at: at("2024-02-03T04:05:06.789Z"),
            updated_at: at("2024-02-04T00:00:00Z"),
            published_at: Some(at("2024-02-03T05:00:00Z")),
            deleted_at: Some(at("2024-03-01T00:00:00Z")),
            content_hash: String::new(),
            tags: Tag::parse_list(&["Web Dev", "123"]).unwrap(),
            properties: NoteProperties {
                format: ContentFormat::Html,
                name: Some("A: title # with \"quotes\"".into()),
                summary: Some("yes".into()),
                photos: vec![Photo {
                    url: "https://img.example/a.jpg".into(),
                    alt: Some("a cat".into()),
                }],
                extra: Properties::from([(
                    "location".into(),
                    vec![serde_json::json!({"type": ["h-card"], "properties": {"name": ["Home"]}})],
                )]),
            },
            visibility: Visibility::Unlisted,
        }
    }

    #[test]
    fn an_exported_note_reads_back_as_the_same_note() {
        let note = note();
        let body = NoteBody::parse("<p>Hello</p>\n\n---\nnot front matter\n").unwrap();
        let read = parse_import_file(&export_text(&note, &body)).unwrap();
        assert_eq!(read.body, body);
        assert_eq!(read.slug, Some(note.slug.clone()));
        assert!(!read.published);
        assert_eq!(read.created_at, Some(note.created_at));
        assert_eq!(read.updated_at, Some(note.updated_at));
        assert_eq!(read.published_at, note.published_at);
        assert_eq!(read.deleted_at, note.deleted_at);
        assert_eq!(read.tags, note.tags);
        assert_eq!(read.properties, note.properties);
        assert_eq!(read.visibility, Visibility::Unlisted);
    }

    #[test]
    fn exports_go_under_the_creation_month() {
        assert_eq!(export_stem(&note()), "2024/02/cafe-notes");
    }
}
