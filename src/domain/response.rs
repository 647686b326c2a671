//! What other sites say about a note: a reply, a like, a repost, a bookmark
//! or a mention, received as a Webmention or from the fediverse, and
//! whether the owner let it be shown.

use chrono::{DateTime, Utc};

use super::MediaPath;

/// How it relates to the note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseKind {
    Reply,
    Like,
    Repost,
    Bookmark,
    Mention,
}

impl ResponseKind {
    pub const ALL: [ResponseKind; 5] = [
        ResponseKind::Reply,
        ResponseKind::Like,
        ResponseKind::Repost,
        ResponseKind::Bookmark,
        ResponseKind::Mention,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseKind::Reply => "reply",
            ResponseKind::Like => "like",
            ResponseKind::Repost => "repost",
            ResponseKind::Bookmark => "bookmark",
            ResponseKind::Mention => "mention",
        }
    }

    pub fn parse(text: &str) -> Option<ResponseKind> {
        ResponseKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// How it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Webmention,
    ActivityPub,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Webmention => "webmention",
            Protocol::ActivityPub => "activitypub",
        }
    }

    pub fn parse(text: &str) -> Option<Protocol> {
        [Protocol::Webmention, Protocol::ActivityPub]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

/// Whether it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Moderation {
    /// Waiting for the owner.
    Pending,
    Approved,
    Rejected,
}

impl Moderation {
    pub const ALL: [Moderation; 3] = [
        Moderation::Pending,
        Moderation::Approved,
        Moderation::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Moderation::Pending => "pending",
            Moderation::Approved => "approved",
            Moderation::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Moderation> {
        Moderation::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// Who wrote it, as their page or actor says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Author {
    pub name: Option<String>,
    pub url: Option<String>,
    /// The copy of their picture kept with the uploads.
    pub photo: Option<MediaPath>,
}

/// A response as a protocol read it from the other site: what to keep.
/// Its text is already sanitised and shortened by the time it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingResponse {
    pub note_id: i64,
    pub protocol: Protocol,
    /// The source URL, or the fediverse object's id.
    pub source: String,
    pub kind: ResponseKind,
    /// Where a reader goes to see it.
    pub url: String,
    /// Its host, for moderation by site.
    pub host: String,
    pub author: Author,
    /// The fediverse actor, for an `Undo` or a `Delete` of the actor.
    pub actor: Option<String>,
    pub content_html: Option<String>,
    pub content_text: Option<String>,
    pub published: Option<DateTime<Utc>>,
}

/// A response as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub id: i64,
    pub status: Moderation,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub incoming: IncomingResponse,
}

/// The longest text kept from a response, in characters; the rest is a
/// link away.
pub const MAX_RESPONSE_CHARS: usize = 1000;

/// `text` cut to at most `max` characters at a word, with an ellipsis when
/// anything was cut.
pub fn shortened(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word = cut
        .rfind(char::is_whitespace)
        .filter(|&at| at > max / 2)
        .map_or(cut.as_str(), |at| &cut[..at]);
    format!("{}…", at_word.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ResponseKind::ALL {
            assert_eq!(ResponseKind::parse(kind.as_str()), Some(kind));
        }
        for status in Moderation::ALL {
            assert_eq!(Moderation::parse(status.as_str()), Some(status));
        }
        assert_eq!(Protocol::parse("activitypub"), Some(Protocol::ActivityPub));
        assert_eq!(ResponseKind::parse("love"), None);
    }

    #[test]
    fn long_text_is_cut_at_a_word() {
        assert_eq!(shortened("  short  ", 10), "short");
        assert_eq!(shortened("one two three four", 12), "one two…");
        let long = "x".repeat(20);
        assert_eq!(shortened(&long, 10), format!("{}…", "x".repeat(10)));
    }
}
