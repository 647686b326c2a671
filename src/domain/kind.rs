//! What a note answers: a reply to another page, a like, a repost or a
//! bookmark of it. Kept among the note's other properties under the
//! microformats2 names Micropub sends (`in-reply-to`, `like-of`,
//! `repost-of`, `bookmark-of`), so `q=source` and exports carry them as
//! sent.

use serde_json::Value;

use super::mf2::{Properties, text_of};

/// The longest URL a note may answer.
pub const MAX_CONTEXT_URL_CHARS: usize = 2000;

/// How a note relates to the page it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoteKind {
    Reply,
    Repost,
    Like,
    Bookmark,
}

impl NoteKind {
    /// In the order a note with several is read: a reply first.
    pub const ALL: [NoteKind; 4] = [
        NoteKind::Reply,
        NoteKind::Repost,
        NoteKind::Like,
        NoteKind::Bookmark,
    ];

    /// For forms: `reply`, `repost`, `like`, `bookmark`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Reply => "reply",
            NoteKind::Repost => "repost",
            NoteKind::Like => "like",
            NoteKind::Bookmark => "bookmark",
        }
    }

    pub fn parse(text: &str) -> Option<NoteKind> {
        NoteKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The microformats2 property.
    pub fn property(self) -> &'static str {
        match self {
            NoteKind::Reply => "in-reply-to",
            NoteKind::Repost => "repost-of",
            NoteKind::Like => "like-of",
            NoteKind::Bookmark => "bookmark-of",
        }
    }

    /// For people, before the page's name: "In reply to …".
    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Reply => "In reply to",
            NoteKind::Repost => "Reposted",
            NoteKind::Like => "Liked",
            NoteKind::Bookmark => "Bookmarked",
        }
    }
}

/// The page a note answers, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteContext {
    pub kind: NoteKind,
    pub url: String,
}

impl NoteContext {
    /// The text of a note that was given none (a like or a bookmark
    /// alone): its file holds this, and pages and `q=source` leave it out.
    pub fn placeholder_text(&self) -> String {
        format!("{} {}", self.kind.label(), self.url)
    }

    /// Whether `text` is this context's placeholder.
    pub fn is_placeholder(&self, text: &str) -> bool {
        text.trim() == self.placeholder_text()
    }
}

/// The page `properties` answer, if any: the first of the four
/// properties present, its first value (a URL, or an `h-cite` with one).
pub fn context_of(properties: &Properties) -> Option<NoteContext> {
    NoteKind::ALL.into_iter().find_map(|kind| {
        let value = properties.get(kind.property())?.first()?;
        Some(NoteContext {
            kind,
            url: url_of(value)?.trim().to_owned(),
        })
    })
}

/// Replaces whatever the properties answered with `context`.
pub fn set_context(properties: &mut Properties, context: Option<&NoteContext>) {
    for kind in NoteKind::ALL {
        properties.remove(kind.property());
    }
    if let Some(context) = context {
        properties.insert(
            context.kind.property().to_owned(),
            vec![Value::String(context.url.clone())],
        );
    }
}

/// Every value of the four properties that is not an absolute http(s)
/// URL of reasonable length: the property and what it holds.
pub fn bad_context_value(properties: &Properties) -> Option<(&'static str, String)> {
    for kind in NoteKind::ALL {
        for value in properties.get(kind.property()).into_iter().flatten() {
            let text = url_of(value).unwrap_or_default();
            if !is_web_url(text) {
                let shown: String = text.chars().take(100).collect();
                return Some((kind.property(), shown));
            }
        }
    }
    None
}

/// Whether `text` is an absolute http or https URL with a host, not too
/// long.
pub fn is_web_url(text: &str) -> bool {
    text.chars().count() <= MAX_CONTEXT_URL_CHARS
        && url::Url::parse(text.trim())
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// A URL value, or the `url` of a nested `h-cite`.
fn url_of(value: &Value) -> Option<&str> {
    if let Some(url) = value
        .get("properties")
        .and_then(|p| p.get("url"))
        .and_then(|urls| urls.get(0))
    {
        return text_of(url);
    }
    text_of(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn props(value: Value) -> Properties {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_context_comes_from_a_url_or_an_h_cite() {
        let like = props(json!({"like-of": ["https://a.example/p"]}));
        assert_eq!(
            context_of(&like),
            Some(NoteContext {
                kind: NoteKind::Like,
                url: "https://a.example/p".into()
            })
        );
        let cite = props(json!({"in-reply-to": [{"type": ["h-cite"],
            "properties": {"url": ["https://b.example/q"], "name": ["Q"]}}]}));
        assert_eq!(context_of(&cite).unwrap().url, "https://b.example/q");
        assert_eq!(context_of(&Properties::new()), None);
    }

    #[test]
    fn setting_a_context_replaces_the_previous_one() {
        let mut properties = props(json!({"like-of": ["https://a.example/"], "x": ["y"]}));
        let reply = NoteContext {
            kind: NoteKind::Reply,
            url: "https://c.example/".into(),
        };
        set_context(&mut properties, Some(&reply));
        assert_eq!(
            properties,
            props(json!({"in-reply-to": ["https://c.example/"], "x": ["y"]}))
        );
        assert_eq!(reply.placeholder_text(), "In reply to https://c.example/");
        assert!(reply.is_placeholder(" In reply to https://c.example/\n"));
        set_context(&mut properties, None);
        assert_eq!(properties, props(json!({"x": ["y"]})));
    }

    #[test]
    fn only_web_urls_may_be_answered() {
        for bad in ["javascript:alert(1)", "/relative", "", "ftp://x.example/"] {
            let properties = props(json!({"repost-of": [bad]}));
            assert_eq!(
                bad_context_value(&properties),
                Some(("repost-of", bad.to_owned()))
            );
        }
        let long = format!("https://x.example/{}", "a".repeat(MAX_CONTEXT_URL_CHARS));
        assert!(bad_context_value(&props(json!({"bookmark-of": [long]}))).is_some());
        assert!(bad_context_value(&props(json!({"bookmark-of": [{"x": 1}]}))).is_some());
        assert_eq!(
            bad_context_value(&props(json!({"like-of": ["https://ok.example/"]}))),
            None
        );
    }
}
