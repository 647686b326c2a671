//! Bulk import of Markdown files, in batches: each batch's files are written,
//! the file system synced once, then its rows inserted in one transaction.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use super::notes::{db_time, to_millis};
use super::{NotesDir, Store, StoreError, blocking};
use crate::domain::{NoteBody, Slug};

/// One file to import, parsed and valid.
#[derive(Debug, Clone)]
pub struct ImportedNote {
    pub body: NoteBody,
    pub slug: Option<Slug>,
    pub published: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
}

/// An imported note with its slug, path and dates decided.
struct PlannedNote {
    slug: Slug,
    path: String,
    note: ImportedNote,
    created_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
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
    // Common fields of other tools, accepted and ignored.
    #[allow(dead_code)]
    title: Option<serde_yaml_ng::Value>,
    #[allow(dead_code)]
    tags: Option<serde_yaml_ng::Value>,
}

/// Splits optional front matter (`---` … `---`) from the Markdown and reads
/// it: `slug`, `published` (true/false or a date), `created` or `date`, `draft`.
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
    let (mut published, published_at) = match &front.published {
        None => (true, None),
        Some(serde_yaml_ng::Value::Bool(flag)) => (*flag, None),
        Some(value) => (true, Some(yaml_time(value, "published")?)),
    };
    if front.draft == Some(true) {
        published = false;
    }
    Ok(ImportedNote {
        body,
        slug,
        published,
        created_at,
        published_at,
    })
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
    /// Every slug in use, to pick free ones for a whole import in memory.
    pub async fn all_slugs(&self) -> Result<HashSet<String>, StoreError> {
        let slugs: Vec<String> = sqlx::query_scalar("SELECT slug FROM notes")
            .fetch_all(&self.pool)
            .await?;
        Ok(slugs.into_iter().collect())
    }

    /// Imports one batch all or nothing: on any failure its files are
    /// removed and no row is left. `taken` is updated with the new slugs.
    pub async fn import_batch(
        &self,
        batch: Vec<ImportedNote>,
        taken: &mut HashSet<String>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let now = to_millis(now);
        let mut planned = Vec::with_capacity(batch.len());
        for note in batch {
            let created_at = to_millis(note.created_at.or(note.published_at).unwrap_or(now));
            let base = note
                .slug
                .clone()
                .unwrap_or_else(|| Slug::from_content(note.body.as_str(), created_at));
            let slug = (1..)
                .map(|n| {
                    if n == 1 {
                        base.clone()
                    } else {
                        base.with_suffix(n)
                    }
                })
                .find(|s| {
                    !taken.contains(s.as_str())
                        && !self
                            .files
                            .exists(&NotesDir::relative_path_for(s, created_at))
                            .unwrap_or(true)
                })
                .expect("some suffix is free");
            taken.insert(slug.as_str().to_owned());
            let published_at = match (note.published, note.published_at) {
                (_, Some(at)) => Some(to_millis(at)),
                (true, None) => Some(created_at),
                (false, None) => None,
            };
            let path = NotesDir::relative_path_for(&slug, created_at);
            planned.push(PlannedNote {
                slug,
                path,
                note,
                created_at,
                published_at,
            });
        }

        let files = self.files.clone();
        let writes: Vec<(String, String)> = planned
            .iter()
            .map(|p| (p.path.clone(), p.note.body.as_str().to_owned()))
            .collect();
        let paths: Vec<String> = writes.iter().map(|(p, _)| p.clone()).collect();
        let written = blocking(move || {
            for (path, text) in &writes {
                files.write_unsynced(path, text.as_bytes())?;
            }
            files.sync_all()
        })
        .await;

        let result = match written {
            Ok(()) => self.insert_batch(&planned, now).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            for p in &planned {
                taken.remove(p.slug.as_str());
            }
            let files = self.files.clone();
            let _ = blocking(move || {
                for path in &paths {
                    files.remove(path)?;
                }
                Ok(())
            })
            .await;
            return Err(e);
        }
        Ok(planned.len())
    }

    async fn insert_batch(
        &self,
        planned: &[PlannedNote],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for PlannedNote {
            slug,
            path,
            note,
            created_at,
            published_at,
        } in planned
        {
            sqlx::query(
                "INSERT INTO notes (slug, file_path, published, created_at, updated_at, published_at, content_hash)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(slug.as_str())
            .bind(path)
            .bind(note.published)
            .bind(db_time(*created_at))
            .bind(db_time(now))
            .bind(published_at.map(db_time))
            .bind(note.body.hash())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
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
