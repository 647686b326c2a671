//! A post as Micropub sees it (mf2 properties) and as StarPunk keeps it (a
//! note: text, tags, dates, status and [`NoteProperties`]), both ways: this
//! reads properties into a note, [`crate::domain::source_properties`]
//! reads a note back. Updating reads the note back into properties, applies
//! the update, and reads them in again, so both follow the same rules.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::mf2::{Properties, text_of};
use crate::domain::{
    ContentFormat, NoteBody, NoteProperties, Photo, Slug, Tag, Visibility, context_of,
};
use crate::web::WebError;

/// Properties read into what a note holds.
#[derive(Debug, Clone, PartialEq)]
pub struct PostFields {
    pub body: NoteBody,
    pub tags: Vec<Tag>,
    /// `post-status`: `None` when not given.
    pub published: Option<bool>,
    pub published_at: Option<DateTime<Utc>>,
    /// `visibility`: `None` when not given.
    pub visibility: Option<Visibility>,
    pub properties: NoteProperties,
}

/// Properties StarPunk keeps in fields of its own; any other is kept as
/// sent in [`NoteProperties::extra`].
const MAPPED: [&str; 8] = [
    "content",
    "name",
    "summary",
    "category",
    "published",
    "post-status",
    "visibility",
    "photo",
];

/// Properties that describe the note's place, not its content: answered by
/// `q=source` but never stored from a request.
const DERIVED: [&str; 3] = ["url", "updated", "uid"];

impl PostFields {
    pub fn from_properties(mut properties: Properties) -> Result<PostFields, WebError> {
        let (text, format) = match first(&properties, "content") {
            None => (None, ContentFormat::Markdown),
            Some(Value::String(text)) => (Some(text.clone()), ContentFormat::Markdown),
            Some(Value::Object(object)) => match (object.get("html"), object.get("value")) {
                (Some(Value::String(html)), _) => (Some(html.clone()), ContentFormat::Html),
                (None, Some(Value::String(text))) => (Some(text.clone()), ContentFormat::Markdown),
                _ => {
                    return Err(WebError::bad_request(
                        "`content` must be text or {\"html\": …}",
                    ));
                }
            },
            Some(_) => {
                return Err(WebError::bad_request(
                    "`content` must be text or {\"html\": …}",
                ));
            }
        };
        let name = single_text(&properties, "name")?;
        let summary = single_text(&properties, "summary")?;
        let tags = match properties.get("category") {
            None => Vec::new(),
            Some(values) => {
                let names = values
                    .iter()
                    .map(|v| {
                        v.as_str().ok_or_else(|| {
                            WebError::bad_request("each `category` must be a tag name (text)")
                        })
                    })
                    .collect::<Result<Vec<&str>, _>>()?;
                Tag::parse_list(&names).map_err(|e| WebError::bad_request(e.to_string()))?
            }
        };
        let published_at = single_text(&properties, "published")?
            .map(|text| parse_date(&text))
            .transpose()?;
        let published = match single_text(&properties, "post-status")?.as_deref() {
            None => None,
            Some("published") => Some(true),
            Some("draft") => Some(false),
            // A published post dated later is scheduled; apps that say so
            // must give the date.
            Some("scheduled") if published_at.is_some() => Some(true),
            Some("scheduled") => {
                return Err(WebError::bad_request(
                    "a scheduled post needs a `published` date: when it should appear",
                ));
            }
            Some(other) => {
                return Err(WebError::bad_request(format!(
                    "unknown post-status {other:?}: use published, draft or scheduled"
                )));
            }
        };
        let visibility = match single_text(&properties, "visibility")?.as_deref() {
            None => None,
            Some("private") => {
                return Err(WebError::bad_request(
                    "this site has no private posts: use visibility public or unlisted",
                ));
            }
            Some(text) => Some(Visibility::parse(text).ok_or_else(|| {
                WebError::bad_request(format!(
                    "unknown visibility {text:?}: use public or unlisted"
                ))
            })?),
        };
        let photos = properties
            .get("photo")
            .map(|values| values.iter().map(photo_of).collect::<Result<Vec<_>, _>>())
            .transpose()?
            .unwrap_or_default();

        // A note's file holds its text; a post with only a title keeps the
        // title as its text too, and a like (repost, bookmark) alone a line
        // saying so, which pages and `q=source` leave out.
        let text = text
            .filter(|t| !t.trim().is_empty())
            .or_else(|| name.clone())
            .or_else(|| context_of(&properties).map(|c| c.placeholder_text()))
            .ok_or_else(|| {
                WebError::bad_request(
                    "a post needs `content` (or at least a `name`, or the page it replies to, \
                     likes, reposts or bookmarks)",
                )
            })?;
        let body = NoteBody::parse(text).map_err(|e| WebError::bad_request(e.to_string()))?;

        for name in MAPPED.iter().chain(DERIVED.iter()) {
            properties.remove(*name);
        }
        let properties = NoteProperties {
            format,
            name,
            summary,
            photos,
            extra: properties,
        }
        .validated()
        .map_err(|e| WebError::bad_request(e.to_string()))?;
        Ok(PostFields {
            body,
            tags,
            published,
            published_at,
            visibility,
            properties,
        })
    }
}

fn first<'a>(properties: &'a Properties, name: &str) -> Option<&'a Value> {
    properties.get(name).and_then(|values| values.first())
}

fn single_text(properties: &Properties, name: &str) -> Result<Option<String>, WebError> {
    match first(properties, name) {
        None => Ok(None),
        Some(value) => text_of(value)
            .map(|text| Some(text.to_owned()))
            .ok_or_else(|| WebError::bad_request(format!("`{name}` must be text"))),
    }
}

fn photo_of(value: &Value) -> Result<Photo, WebError> {
    let bad =
        || WebError::bad_request("each `photo` must be a URL or {\"value\": URL, \"alt\": text}");
    match value {
        Value::String(url) => Ok(Photo {
            url: url.clone(),
            alt: None,
        }),
        Value::Object(object) => Ok(Photo {
            url: object
                .get("value")
                .and_then(Value::as_str)
                .ok_or_else(bad)?
                .to_owned(),
            alt: match object.get("alt") {
                None => None,
                Some(Value::String(alt)) => Some(alt.clone()),
                Some(_) => return Err(bad()),
            },
        }),
        _ => Err(bad()),
    }
}

/// `published` as apps send it: RFC 3339, or ISO 8601 without a zone
/// (read as UTC).
pub fn parse_date(text: &str) -> Result<DateTime<Utc>, WebError> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Ok(at.and_utc());
        }
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(WebError::bad_request(format!(
        "`published` {text:?} is not a date; use ISO 8601, e.g. 2026-11-24T09:30:00Z"
    )))
}

/// `mp-slug`, validated like any slug.
pub fn requested_slug(commands: &Properties) -> Result<Option<Slug>, WebError> {
    match first(commands, "mp-slug").and_then(Value::as_str) {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(None),
        Some(text) => Slug::parse(text.trim())
            .map(Some)
            .map_err(|e| WebError::bad_request(format!("mp-slug: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn props(value: Value) -> Properties {
        value
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_array().unwrap().clone()))
            .collect()
    }

    #[test]
    fn text_html_tags_photos_and_unknown_properties_are_read() {
        let fields = PostFields::from_properties(props(json!({
            "content": [{"html": "<p>Hi <b>there</b></p>"}],
            "name": ["A title"],
            "category": ["Rust", "web dev"],
            "photo": ["https://example.com/a.jpg", {"value": "https://example.com/b.jpg", "alt": "B"}],
            "post-status": ["draft"],
            "published": ["2026-01-02T03:04:05+01:00"],
            "checkin": [{"type": ["h-card"], "properties": {"name": ["Café"]}}],
            "url": ["https://elsewhere.example/"],
        })))
        .unwrap();
        assert_eq!(fields.body.as_str(), "<p>Hi <b>there</b></p>");
        assert_eq!(fields.properties.format, ContentFormat::Html);
        assert_eq!(fields.properties.name.as_deref(), Some("A title"));
        assert_eq!(fields.tags.len(), 2);
        assert_eq!(fields.properties.photos.len(), 2);
        assert_eq!(fields.properties.photos[1].alt.as_deref(), Some("B"));
        assert_eq!(fields.published, Some(false));
        assert_eq!(
            fields.published_at.unwrap().to_rfc3339(),
            "2026-01-02T02:04:05+00:00"
        );
        assert!(fields.properties.extra.contains_key("checkin"));
        assert!(!fields.properties.extra.contains_key("url"));
    }

    #[test]
    fn bad_values_are_refused_with_their_name() {
        for (bad, says) in [
            (json!({"content": [""]}), "needs `content`"),
            (
                json!({"content": ["x"], "post-status": ["pending"]}),
                "post-status",
            ),
            (
                json!({"content": ["x"], "post-status": ["scheduled"]}),
                "needs a `published` date",
            ),
            (
                json!({"content": ["x"], "visibility": ["private"]}),
                "no private posts",
            ),
            (
                json!({"content": ["x"], "visibility": ["friends"]}),
                "unknown visibility",
            ),
            (
                json!({"content": ["x"], "published": ["yesterday"]}),
                "published",
            ),
            (
                json!({"content": ["x"], "category": [{"a": 1}]}),
                "category",
            ),
            (
                json!({"content": ["x"], "photo": ["javascript:alert(1)"]}),
                "photo URL",
            ),
            (json!({"content": [3]}), "content"),
        ] {
            let err = PostFields::from_properties(props(bad.clone())).unwrap_err();
            assert!(err.to_string().contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn a_like_alone_gets_a_line_of_text_and_a_bad_target_is_refused() {
        let fields =
            PostFields::from_properties(props(json!({"like-of": ["https://a.example/p"]})))
                .unwrap();
        assert_eq!(fields.body.as_str(), "Liked https://a.example/p");
        assert_eq!(
            fields.properties.context().map(|c| c.url),
            Some("https://a.example/p".to_owned())
        );
        let err = PostFields::from_properties(props(json!({"in-reply-to": ["javascript:x"]})))
            .unwrap_err();
        assert!(err.to_string().contains("in-reply-to"), "{err}");
    }

    #[test]
    fn a_title_alone_is_the_text() {
        let fields = PostFields::from_properties(props(json!({"name": ["Just a title"]}))).unwrap();
        assert_eq!(fields.body.as_str(), "Just a title");
    }

    #[test]
    fn dates_in_the_forms_apps_send() {
        for text in [
            "2026-11-24T09:30:00Z",
            "2026-11-24T09:30:00.123+00:00",
            "2026-11-24T09:30:00",
            "2026-11-24T09:30",
            "2026-11-24 09:30:00",
        ] {
            assert_eq!(
                parse_date(text).unwrap().format("%F %R").to_string(),
                "2026-11-24 09:30",
                "{text}"
            );
        }
        assert!(parse_date("2026-13-01").is_err());
    }
}
