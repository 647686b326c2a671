//! Markdown files with optional YAML front matter, as `note import` reads
//! them and `starpunk export` writes them: parsed into a [`NewNote`].

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use super::mf2::Properties;
use super::{ContentFormat, NewNote, NoteBody, NoteProperties, Photo, Slug, Tag, Visibility};

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
    /// `public` (the default) or `unlisted`.
    visibility: Option<String>,
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
/// `updated`, `deleted`, `visibility`, `name`, `summary`, `photos`,
/// `format`, `properties`.
pub fn parse_import_file(text: &str) -> Result<NewNote, String> {
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
    let visibility = match front.visibility.as_deref().map(str::trim) {
        None => Visibility::Public,
        Some(text) => Visibility::parse(text)
            .ok_or_else(|| format!("visibility: {text:?} is not public or unlisted"))?,
    };
    Ok(NewNote {
        body,
        slug,
        published,
        created_at,
        published_at,
        updated_at,
        deleted_at,
        tags,
        properties,
        visibility,
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
