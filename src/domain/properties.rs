//! What a note holds beyond its text, tags and dates: a title (`name`), a
//! summary, photos, whether its text is HTML rather than Markdown, and any
//! other microformats2 property an app sent (kept as sent, returned by
//! Micropub's `q=source`, never rendered). The text stays in the note's
//! file; these live in the database beside it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::mf2::Properties;

/// Longest title, in characters.
pub const MAX_NAME_CHARS: usize = 300;
/// Longest summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 2_000;
/// Most photos on one note.
pub const MAX_PHOTOS: usize = 20;
/// Longest photo URL or alt text, in characters.
pub const MAX_PHOTO_TEXT_CHARS: usize = 2_000;
/// Largest set of other properties, as JSON.
pub const MAX_EXTRA_BYTES: usize = 64 * 1024;

/// How a note's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentFormat {
    #[default]
    Markdown,
    /// HTML sent by an app (Micropub `content: [{"html": …}]`): sanitised
    /// like Markdown's output, never read as Markdown.
    Html,
}

impl ContentFormat {
    fn is_markdown(&self) -> bool {
        *self == ContentFormat::Markdown
    }
}

/// A photo shown with the note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// Absolute `http(s)` URL (this site's media, or elsewhere: hotlinked).
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

/// Everything but the text, tags and dates. Stored as one JSON object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoteProperties {
    #[serde(default, skip_serializing_if = "ContentFormat::is_markdown")]
    pub format: ContentFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<Photo>,
    /// Other mf2 properties, as sent.
    #[serde(default, skip_serializing_if = "Properties::is_empty")]
    pub extra: Properties,
}

/// Why properties cannot be kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PropertiesError {
    #[error("the name is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("the summary is longer than {MAX_SUMMARY_CHARS} characters")]
    SummaryTooLong,
    #[error("a note may have at most {MAX_PHOTOS} photos")]
    TooManyPhotos,
    #[error("the photo URL {0:?} is not an absolute http or https URL")]
    BadPhotoUrl(String),
    #[error("a photo URL or alt text is longer than {MAX_PHOTO_TEXT_CHARS} characters")]
    PhotoTextTooLong,
    #[error("the other properties take more than {} KiB", MAX_EXTRA_BYTES / 1024)]
    ExtraTooLarge,
    #[error("`{property}` must be an absolute http or https URL, not {value:?}")]
    BadContextUrl {
        property: &'static str,
        value: String,
    },
}

impl NoteProperties {
    /// Checks the limits, trims titles and summaries, and drops empty ones.
    pub fn validated(mut self) -> Result<NoteProperties, PropertiesError> {
        self.name = tidy(self.name);
        self.summary = tidy(self.summary);
        if self
            .name
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
        {
            return Err(PropertiesError::NameTooLong);
        }
        if self
            .summary
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_SUMMARY_CHARS)
        {
            return Err(PropertiesError::SummaryTooLong);
        }
        if self.photos.len() > MAX_PHOTOS {
            return Err(PropertiesError::TooManyPhotos);
        }
        for photo in &mut self.photos {
            photo.alt = tidy(photo.alt.take());
            let too_long = |t: &str| t.chars().count() > MAX_PHOTO_TEXT_CHARS;
            if too_long(&photo.url) || photo.alt.as_deref().is_some_and(too_long) {
                return Err(PropertiesError::PhotoTextTooLong);
            }
            let web = url::Url::parse(&photo.url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            match web {
                Some(url) => photo.url = url.to_string(),
                None => return Err(PropertiesError::BadPhotoUrl(photo.url.clone())),
            }
        }
        if serde_json::to_vec(&self.extra).map_or(0, |json| json.len()) > MAX_EXTRA_BYTES {
            return Err(PropertiesError::ExtraTooLarge);
        }
        if let Some((property, value)) = super::kind::bad_context_value(&self.extra) {
            return Err(PropertiesError::BadContextUrl { property, value });
        }
        Ok(self)
    }

    /// The page the note replies to, likes, reposts or bookmarks, if any.
    pub fn context(&self) -> Option<super::NoteContext> {
        super::context_of(&self.extra)
    }

    /// As stored in the database.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("properties are plain JSON values")
    }

    /// From the database. Written by this program; anything unreadable
    /// (a hand edit) is logged by the caller and read as no properties.
    pub fn from_json(json: &str) -> Result<NoteProperties, serde_json::Error> {
        serde_json::from_str(json)
    }

    pub fn is_empty(&self) -> bool {
        *self == NoteProperties::default()
    }
}

fn tidy(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A photo as mf2 writes it: the URL alone, or `{"value", "alt"}`.
pub fn photo_value(photo: &Photo) -> Value {
    match &photo.alt {
        None => Value::String(photo.url.clone()),
        Some(alt) => serde_json::json!({"value": photo.url, "alt": alt}),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn markdown_notes_store_an_empty_object() {
        assert_eq!(NoteProperties::default().to_json(), "{}");
        assert_eq!(
            NoteProperties::from_json("{}").unwrap(),
            NoteProperties::default()
        );
    }

    #[test]
    fn properties_round_trip_through_json() {
        let mut extra = Properties::new();
        extra.insert(
            "checkin".into(),
            vec![json!({"type": ["h-card"], "properties": {"name": ["Café"]}})],
        );
        let properties = NoteProperties {
            format: ContentFormat::Html,
            name: Some("Title".into()),
            summary: None,
            photos: vec![Photo {
                url: "https://example.com/a.jpg".into(),
                alt: Some("A cat".into()),
            }],
            extra,
        }
        .validated()
        .unwrap();
        let json = properties.to_json();
        assert!(json.contains(r#""format":"html""#), "{json}");
        assert_eq!(NoteProperties::from_json(&json).unwrap(), properties);
        assert_eq!(
            photo_value(&properties.photos[0]),
            json!({"value": "https://example.com/a.jpg", "alt": "A cat"})
        );
    }

    #[test]
    fn limits_and_urls_are_checked() {
        let photo = |url: &str| NoteProperties {
            photos: vec![Photo {
                url: url.into(),
                alt: None,
            }],
            ..NoteProperties::default()
        };
        assert_eq!(
            photo("javascript:alert(1)").validated(),
            Err(PropertiesError::BadPhotoUrl("javascript:alert(1)".into()))
        );
        assert_eq!(
            photo("/relative.jpg").validated(),
            Err(PropertiesError::BadPhotoUrl("/relative.jpg".into()))
        );
        assert!(photo("https://example.com/x.jpg").validated().is_ok());
        let long = NoteProperties {
            name: Some("x".repeat(MAX_NAME_CHARS + 1)),
            ..NoteProperties::default()
        };
        assert_eq!(long.validated(), Err(PropertiesError::NameTooLong));
        let blank = NoteProperties {
            name: Some("  ".into()),
            ..NoteProperties::default()
        };
        assert!(blank.validated().unwrap().is_empty());
    }
}
