//! A note as microformats2 properties: what Micropub's `q=source` answers
//! and what `starpunk export --json` writes, from one mapping.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::mf2::Properties;
use super::{ContentFormat, NoteWithBody, SiteUrl, photo_value};

/// A note as mf2 properties, as `q=source` answers: its text (as HTML when
/// it was written as HTML), title, tags, dates, status, photos, the other
/// properties it was given, and its URL.
pub fn source_properties(site: &SiteUrl, note: &NoteWithBody) -> Properties {
    let mut properties = note.note.properties.extra.clone();
    let kept = &note.note.properties;
    let content = match kept.format {
        ContentFormat::Markdown => Value::String(note.body.as_str().to_owned()),
        ContentFormat::Html => json!({ "html": note.body.as_str() }),
    };
    // A like (repost, bookmark) sent without text has none.
    let placeholder = kept
        .context()
        .is_some_and(|c| c.is_placeholder(note.body.as_str()));
    if !placeholder {
        properties.insert("content".into(), vec![content]);
    }
    if let Some(name) = &kept.name {
        properties.insert("name".into(), vec![json!(name)]);
    }
    if let Some(summary) = &kept.summary {
        properties.insert("summary".into(), vec![json!(summary)]);
    }
    if !note.note.tags.is_empty() {
        properties.insert(
            "category".into(),
            note.note.tags.iter().map(|t| json!(t.name())).collect(),
        );
    }
    if !kept.photos.is_empty() {
        properties.insert(
            "photo".into(),
            kept.photos.iter().map(photo_value).collect(),
        );
    }
    properties.insert(
        "published".into(),
        vec![json!(iso(note.note.display_date()))],
    );
    properties.insert("updated".into(), vec![json!(iso(note.note.updated_at))]);
    properties.insert(
        "post-status".into(),
        vec![json!(if note.note.published {
            "published"
        } else {
            "draft"
        })],
    );
    properties.insert(
        "visibility".into(),
        vec![json!(note.note.visibility.as_str())],
    );
    properties.insert(
        "url".into(),
        vec![json!(site.join(&format!("note/{}", note.note.slug)))],
    );
    properties
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
