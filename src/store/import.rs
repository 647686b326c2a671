//! Bulk import of Markdown files, in batches. Each batch is all or nothing:
//! under the write lock its files are created (never over an existing one),
//! the file system synced once, then its rows inserted in one transaction.
//! Importing is idempotent: a note whose slug already holds the same text is
//! skipped, so re-running an import after a failure or a kill adds no
//! duplicates.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use super::files::{CreatedFile, Durability};
use super::media_refs::link_media;
use super::notes::{db_time, find_any, numbered, to_millis};
use super::search::index_parts;
use super::tags::write_tags;
use super::{NotesDir, Store, StoreError, blocking};
use crate::domain::mf2::Properties;
use crate::domain::{ContentFormat, NoteBody, NoteProperties, Photo, Slug, Tag};

/// One file to import, parsed and valid.
#[derive(Debug, Clone)]
pub struct ImportedNote {
    pub body: NoteBody,
    pub slug: Option<Slug>,
    pub published: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    /// When it last changed; `None` means now.
    pub updated_at: Option<DateTime<Utc>>,
    /// Set for a note imported as deleted (an export keeps deleted notes).
    pub deleted_at: Option<DateTime<Utc>>,
    pub tags: Vec<Tag>,
    pub properties: NoteProperties,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub imported: usize,
    /// Notes already present with the same slug and text.
    pub skipped: usize,
}

/// An imported note with its slug, file and dates decided.
struct PlannedNote {
    slug: Slug,
    path: String,
    note: ImportedNote,
    created_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
}

/// Where an imported note goes.
enum Placement {
    /// Already there: a note with this slug (or a numbered one) has the
    /// same text and was not matched by another file of this import.
    Present(i64),
    New(Slug, CreatedFile),
}

/// Optional YAML front matter of an imported file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    slug: Option<String>,
    published: Option<serde_yaml_ng::Value>,
    created: Option<serde_yaml_ng::Value>,
    date: Option<serde_yaml_ng::Value>,
    draft: Option<bool>,
    /// A list (`[a, b]` or one per line) or one comma-separated string.
    tags: Option<serde_yaml_ng::Value>,
    // A common field of other tools, accepted and ignored.
    #[allow(dead_code)]
    title: Option<serde_yaml_ng::Value>,
    // What `starpunk export` writes besides the keys above.
    published_at: Option<serde_yaml_ng::Value>,
    updated: Option<serde_yaml_ng::Value>,
    deleted: Option<serde_yaml_ng::Value>,
    name: Option<String>,
    summary: Option<String>,
    #[serde(default)]
    photos: Vec<Photo>,
    #[serde(default)]
    format: ContentFormat,
    #[serde(default)]
    properties: Properties,
}

/// Splits optional front matter (`---` … `---`) from the Markdown and reads
/// it: `slug`, `published` (true/false or a date), `created` or `date`,
/// `draft`, `tags`, and what `starpunk export` adds: `published_at`,
/// `updated`, `deleted`, `name`, `summary`, `photos`, `format`,
/// `properties`.
pub fn parse_import_file(text: &str) -> Result<ImportedNote, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (front, body) = split_front_matter(text)?;
    let front: FrontMatter = match front {
        Some(yaml) if !yaml.trim().is_empty() => {
            serde_yaml_ng::from_str(yaml).map_err(|e| format!("front matter: {e}"))?
        }
        _ => FrontMatter::default(),
    };
    let body = NoteBody::parse(body.trim_start_matches(['\n', '\r'])).map_err(|e| e.to_string())?;
    let slug = front
        .slug
        .as_deref()
        .map(Slug::parse)
        .transpose()
        .map_err(|e| e.to_string())?;
    let created_at = front
        .created
        .as_ref()
        .or(front.date.as_ref())
        .map(|v| yaml_time(v, "created"))
        .transpose()?;
    let (mut published, mut published_at) = match &front.published {
        None => (true, None),
        Some(serde_yaml_ng::Value::Bool(flag)) => (*flag, None),
        Some(value) => (true, Some(yaml_time(value, "published")?)),
    };
    if let Some(value) = &front.published_at {
        published_at = Some(yaml_time(value, "published_at")?);
    }
    let updated_at = front
        .updated
        .as_ref()
        .map(|v| yaml_time(v, "updated"))
        .transpose()?;
    let deleted_at = front
        .deleted
        .as_ref()
        .map(|v| yaml_time(v, "deleted"))
        .transpose()?;
    let properties = NoteProperties {
        format: front.format,
        name: front.name,
        summary: front.summary,
        photos: front.photos,
        extra: front.properties,
    }
    .validated()
    .map_err(|e| e.to_string())?;
    if front.draft == Some(true) {
        published = false;
    }
    let tags = match &front.tags {
        None | Some(serde_yaml_ng::Value::Null) => Vec::new(),
        Some(value) => Tag::parse_list(&yaml_tags(value)?).map_err(|e| format!("tags: {e}"))?,
    };
    Ok(ImportedNote {
        body,
        slug,
        published,
        created_at,
        published_at,
        updated_at,
        deleted_at,
        tags,
        properties,
    })
}

fn yaml_tags(value: &serde_yaml_ng::Value) -> Result<Vec<String>, String> {
    use serde_yaml_ng::Value;
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err("tags: each tag must be a word or phrase".to_owned()),
    };
    match value {
        Value::Sequence(items) => items.iter().map(scalar).collect(),
        Value::String(text) => Ok(text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()),
        other => scalar(other).map(|t| vec![t]),
    }
}

fn split_front_matter(text: &str) -> Result<(Option<&str>, &str), String> {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok((None, text));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Ok((Some(&rest[..offset]), &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err("front matter starts with --- but never ends with a --- line".into())
}

/// A date or date-time from YAML: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC)
/// or `YYYY-MM-DD` (midnight UTC).
fn yaml_time(value: &serde_yaml_ng::Value, field: &str) -> Result<DateTime<Utc>, String> {
    let text = match value {
        serde_yaml_ng::Value::String(s) => s.trim().to_owned(),
        other => return Err(format!("{field}: expected a date, found {other:?}")),
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(&text, format) {
            return Ok(at.and_utc());
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(format!(
        "{field}: {text:?} is not a date (use 2026-11-23 or 2026-11-23T10:20:00Z)"
    ))
}

impl Store {
    /// Imports one batch all or nothing: on any failure the files it
    /// created are removed and no row is left. `matched` holds the notes
    /// already matched by earlier files of the same import, so that two
    /// files with the same text are both kept.
    pub async fn import_batch(
        &self,
        batch: Vec<ImportedNote>,
        matched: &mut HashSet<i64>,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome, StoreError> {
        let now = to_millis(now);
        let mut tx = self.write_lock().await?;
        let mut planned: Vec<PlannedNote> = Vec::with_capacity(batch.len());
        let mut created: Vec<CreatedFile> = Vec::with_capacity(batch.len());
        let mut newly_matched = Vec::new();
        let mut outcome = ImportOutcome::default();

        let mut result = Ok(());
        for note in batch {
            let created_at = to_millis(note.created_at.or(note.published_at).unwrap_or(now));
            match self
                .place(&mut tx, &note, created_at, &planned, matched)
                .await
            {
                Ok(Placement::Present(id)) => {
                    matched.insert(id);
                    newly_matched.push(id);
                    outcome.skipped += 1;
                }
                Ok(Placement::New(slug, file)) => {
                    let published_at = match (note.published, note.published_at) {
                        (_, Some(at)) => Some(to_millis(at)),
                        (true, None) => Some(created_at),
                        (false, None) => None,
                    };
                    planned.push(PlannedNote {
                        path: NotesDir::relative_path_for(&slug, created_at),
                        slug,
                        note,
                        created_at,
                        published_at,
                    });
                    created.push(file);
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_ok() {
            let files = self.files.clone();
            result = blocking(move || files.sync_all()).await;
        }
        let mut new_ids = Vec::new();
        if result.is_ok() {
            result = insert_batch(&mut tx, &planned, now)
                .await
                .map(|ids| new_ids = ids);
        }
        if result.is_ok() {
            result = tx.commit().await.map_err(StoreError::from);
        }
        let files = self.files.clone();
        match result {
            Ok(()) => {
                blocking(move || {
                    created.iter().for_each(|file| files.forget_twin(file));
                    Ok(())
                })
                .await?;
                outcome.imported = planned.len();
                // A later file of this import with the same text as one
                // just created is another note, not a copy to skip.
                matched.extend(new_ids);
                Ok(outcome)
            }
            Err(e) => {
                for id in newly_matched {
                    matched.remove(&id);
                }
                let cleanup = blocking(move || {
                    created
                        .iter()
                        .try_for_each(|file| files.discard_created(file))
                })
                .await;
                if let Err(cleanup) = cleanup {
                    log::error!(
                        "could not remove the files of a failed import batch: {}",
                        crate::web::error_chain(&cleanup)
                    );
                }
                Err(e)
            }
        }
    }

    /// Finds the note's slug: the first of `slug`, `slug-2`, … that is
    /// either the same note already present (skip it) or free in the
    /// database, in this batch and on disk (its file is then created).
    async fn place(
        &self,
        tx: &mut sqlx::SqliteConnection,
        note: &ImportedNote,
        created_at: DateTime<Utc>,
        planned: &[PlannedNote],
        matched: &HashSet<i64>,
    ) -> Result<Placement, StoreError> {
        let base = note
            .slug
            .clone()
            .unwrap_or_else(|| Slug::from_content(note.body.as_str(), created_at));
        let hash = note.body.hash();
        for n in 1..10_000u32 {
            let slug = numbered(&base, n);
            if let Some(existing) = find_any(tx, slug.as_str()).await? {
                if existing.content_hash == hash && !matched.contains(&existing.id) {
                    return Ok(Placement::Present(existing.id));
                }
                continue;
            }
            if planned.iter().any(|p| p.slug == slug) {
                continue;
            }
            let files = self.files.clone();
            let path = NotesDir::relative_path_for(&slug, created_at);
            let text = note.body.as_str().to_owned();
            if let Some(file) =
                blocking(move || files.create_new(&path, text.as_bytes(), Durability::Deferred))
                    .await?
            {
                return Ok(Placement::New(slug, file));
            }
        }
        Err(StoreError::Invalid(format!("no free slug left for {base}")))
    }
}

/// Inserts the batch's rows, returning their ids.
async fn insert_batch(
    tx: &mut sqlx::SqliteConnection,
    planned: &[PlannedNote],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(planned.len());
    for PlannedNote {
        slug,
        path,
        note,
        created_at,
        published_at,
    } in planned
    {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notes (slug, file_path, published, created_at, updated_at, published_at, deleted_at, content_hash, properties)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(slug.as_str())
        .bind(path)
        .bind(note.published)
        .bind(db_time(*created_at))
        .bind(db_time(note.updated_at.map_or(now, to_millis)))
        .bind(published_at.map(db_time))
        .bind(note.deleted_at.map(|at| db_time(to_millis(at))))
        .bind(note.body.hash())
        .bind(note.properties.to_json())
        .fetch_one(&mut *tx)
        .await?;
        write_tags(&mut *tx, id, &note.tags).await?;
        link_media(&mut *tx, id, &note.properties, note.body.as_str()).await?;
        index_parts(&mut *tx, id, &note.body, &note.properties, &note.tags).await?;
        ids.push(id);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_markdown_is_a_published_note() {
        let note = parse_import_file("Hello *world*\n").unwrap();
        assert_eq!(note.body.as_str(), "Hello *world*\n");
        assert!(note.published);
        assert!(note.slug.is_none());
    }

    #[test]
    fn front_matter_sets_slug_dates_and_draft() {
        let note = parse_import_file(
            "---\nslug: my-trip\ndate: 2024-05-01\ndraft: true\ntitle: ignored\n---\n\nBody here\n",
        )
        .unwrap();
        assert_eq!(note.slug.unwrap().as_str(), "my-trip");
        assert_eq!(
            note.created_at.unwrap().to_rfc3339(),
            "2024-05-01T00:00:00+00:00"
        );
        assert!(!note.published);
        assert_eq!(note.body.as_str(), "Body here\n");

        let note = parse_import_file("---\npublished: 2024-05-02T10:00:00+02:00\n---\nx").unwrap();
        assert!(note.published);
        assert_eq!(
            note.published_at.unwrap().to_rfc3339(),
            "2024-05-02T08:00:00+00:00"
        );
        assert!(
            !parse_import_file("---\npublished: false\n---\nx")
                .unwrap()
                .published
        );
    }

    #[test]
    fn bad_front_matter_is_explained() {
        assert!(
            parse_import_file("---\nslug: Bad Slug\n---\nx")
                .unwrap_err()
                .contains("slug")
        );
        assert!(
            parse_import_file("---\ndate: yesterday\n---\nx")
                .unwrap_err()
                .contains("date")
        );
        assert!(
            parse_import_file("---\nslug: a\nx")
                .unwrap_err()
                .contains("never ends")
        );
        assert!(
            parse_import_file("---\nunknown: 1\n---\nx")
                .unwrap_err()
                .contains("unknown")
        );
        assert!(parse_import_file("---\n---\n   \n").is_err());
    }
}
