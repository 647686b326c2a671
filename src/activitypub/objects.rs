//! The JSON of the actor, its notes and its activities, as Mastodon reads
//! them. Pure: values in, JSON out.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::ids::Ids;
use crate::config::{ActivityPubSettings, SiteSettings};
use crate::domain::{Note, Visibility, content_hash};
use crate::render::sanitise::with_absolute_urls;
use crate::render::{NoteView, PhotoView};

/// Everyone: a public note's `to`.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The media type of every ActivityPub document the site serves.
pub const ACTIVITY_JSON: &str = "application/activity+json";

const ACTIVITYSTREAMS: &str = "https://www.w3.org/ns/activitystreams";

/// What a note's object is made from besides its view.
pub struct NoteSource<'a> {
    pub note: &'a Note,
    pub view: &'a NoteView,
    /// Of its id: 1 for the permalink, more after undeletes.
    pub version: i64,
}

/// The actor: a `Person`, with its key and where it takes deliveries.
pub fn actor(
    site: &SiteSettings,
    settings: &ActivityPubSettings,
    ids: &Ids,
    public_pem: &str,
    icon: Option<&str>,
) -> Value {
    let mut actor = json!({
        "@context": [
            ACTIVITYSTREAMS,
            "https://w3id.org/security/v1",
            {
                "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
                "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
                "toot": "http://joinmastodon.org/ns#",
                "discoverable": "toot:discoverable",
                "indexable": "toot:indexable"
            }
        ],
        "id": ids.actor,
        "type": "Person",
        "preferredUsername": ids.username,
        "name": site.author_name(),
        "summary": paragraph(&site.description),
        "url": ids.profile,
        "inbox": ids.inbox,
        "outbox": ids.outbox,
        "followers": ids.followers,
        "endpoints": {"sharedInbox": ids.inbox},
        "publicKey": {
            "id": ids.key,
            "owner": ids.actor,
            "publicKeyPem": public_pem,
        },
        "manuallyApprovesFollowers": false,
        "discoverable": true,
        "indexable": true,
    });
    if !settings.also_known_as.is_empty() {
        actor["alsoKnownAs"] = json!(
            settings
                .also_known_as
                .iter()
                .map(url::Url::as_str)
                .collect::<Vec<_>>()
        );
    }
    if let Some(icon) = icon {
        let mut image = json!({"type": "Image", "url": icon});
        if let Some(media_type) = media_type_of(icon) {
            image["mediaType"] = json!(media_type);
        }
        actor["icon"] = image;
    }
    actor
}

/// A shown note as a `Note`: Mastodon shows a Note in full (an Article
/// only as its title and a link), so a title becomes the first paragraph.
/// An unlisted note is addressed as Mastodon addresses its unlisted posts
/// (to the followers, Public only in `cc`): in their home timelines, in no
/// public one.
pub fn note(ids: &Ids, source: &NoteSource) -> Value {
    let NoteSource {
        note,
        view,
        version,
    } = source;
    let id = ids.note_object(&view.slug, *version);
    let (to, cc) = match note.visibility {
        Visibility::Public => (PUBLIC, ids.followers.as_str()),
        Visibility::Unlisted => (ids.followers.as_str(), PUBLIC),
    };
    let mut object = json!({
        "@context": [ACTIVITYSTREAMS, {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive"}],
        "id": id,
        "type": "Note",
        "url": view.url,
        "attributedTo": ids.actor,
        "content": content(view),
        "published": time(view.published),
        "to": [to],
        "cc": [cc],
        "sensitive": false,
        "tag": hashtags(view),
        "attachment": view.photos.iter().map(attachment).collect::<Vec<_>>(),
    });
    // Edited after it was published: Mastodon shows it as edited, and
    // takes an Update only with a later `updated` than the last (to the
    // millisecond, so two edits within a second both count).
    if note.updated_at > view.published {
        object["updated"] = json!(note.updated_at.to_rfc3339_opts(SecondsFormat::Millis, true));
    }
    if let Some(reply_to) = in_reply_to(note) {
        object["inReplyTo"] = json!(reply_to);
    }
    object
}

/// The note's HTML as the feeds have it (absolute URLs), its title first
/// and its hashtags last, as links Mastodon recognises.
fn content(view: &NoteView) -> String {
    let mut html = String::new();
    if let Some(name) = &view.name {
        html.push_str(&format!(
            "<p><strong>{}</strong></p>",
            crate::render::escape(name)
        ));
    }
    match url::Url::parse(&view.url) {
        Ok(permalink) => html.push_str(&with_absolute_urls(&view.html, &permalink)),
        Err(_) => html.push_str(&view.html),
    }
    let links: Vec<String> = view
        .tags
        .iter()
        .filter_map(|tag| {
            let name = hashtag_name(&tag.name)?;
            Some(format!(
                "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                crate::render::escape(&tag.url),
                crate::render::escape(&name)
            ))
        })
        .collect();
    if !links.is_empty() {
        html.push_str(&format!("<p>{}</p>", links.join(" ")));
    }
    html
}

fn hashtags(view: &NoteView) -> Vec<Value> {
    view.tags
        .iter()
        .filter_map(|tag| {
            let name = hashtag_name(&tag.name)?;
            Some(json!({"type": "Hashtag", "name": format!("#{name}"), "href": tag.url}))
        })
        .collect()
}

/// A tag as a Mastodon hashtag: letters, digits and `_` only (`Web Dev`
/// is `WebDev`), with at least one letter; `None` when nothing is left.
pub fn hashtag_name(tag: &str) -> Option<String> {
    let name: String = tag
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    name.chars().any(char::is_alphabetic).then_some(name)
}

fn attachment(photo: &PhotoView) -> Value {
    let mut image = json!({"type": "Image", "url": photo.src, "name": photo.alt});
    let media_type = photo
        .file
        .as_ref()
        .map(|file| file.media_type.clone())
        .or_else(|| media_type_of(&photo.src).map(str::to_owned));
    if let Some(media_type) = media_type {
        image["mediaType"] = json!(media_type);
    }
    if let (Some(width), Some(height)) = (photo.width, photo.height) {
        image["width"] = json!(width);
        image["height"] = json!(height);
    }
    image
}

/// An image's type from its address's ending, when it says.
fn media_type_of(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        _ => return None,
    })
}

/// The post a note replies to: its `in-reply-to` (a URL, or an `h-cite`
/// with one), as Micropub keeps it.
pub fn in_reply_to(note: &Note) -> Option<String> {
    let first = note.properties.extra.get("in-reply-to")?.first()?;
    let url = match first {
        Value::String(url) => Some(url.as_str()),
        Value::Object(map) => map
            .get("value")
            .and_then(Value::as_str)
            .or_else(|| map.get("properties")?.get("url")?.get(0)?.as_str()),
        _ => None,
    }?;
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// What an Update must change to be sent: the object without its
/// `updated`, hashed.
pub fn object_hash(object: &Value) -> String {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("updated");
    }
    content_hash(object.to_string().as_bytes())
}

/// A deleted note's object: answered with 410, and sent in a Delete.
pub fn tombstone(id: &str, deleted: Option<DateTime<Utc>>) -> Value {
    let mut object = json!({
        "@context": ACTIVITYSTREAMS,
        "id": id,
        "type": "Tombstone",
        "formerType": "Note",
    });
    if let Some(at) = deleted {
        object["deleted"] = json!(time(at));
    }
    object
}

/// `Create` of a note's object.
pub fn create(ids: &Ids, object: &Value) -> Value {
    wrap(ids, "Create", "create", object)
}

/// `Update` of a note's object, named by the time of the edit.
pub fn update(ids: &Ids, object: &Value, at: DateTime<Utc>) -> Value {
    wrap(
        ids,
        "Update",
        &format!("update-{}", at.timestamp_millis()),
        object,
    )
}

fn wrap(ids: &Ids, kind: &str, fragment: &str, object: &Value) -> Value {
    let id = object["id"].as_str().unwrap_or_default();
    let mut inner = object.clone();
    let context = inner
        .as_object_mut()
        .and_then(|map| map.remove("@context"))
        .unwrap_or_else(|| json!(ACTIVITYSTREAMS));
    json!({
        "@context": context,
        "id": format!("{id}#{fragment}"),
        "type": kind,
        "actor": ids.actor,
        "published": inner["published"],
        "to": inner["to"],
        "cc": inner["cc"],
        "object": inner,
    })
}

/// `Delete` of a note's object, as a Tombstone.
pub fn delete(ids: &Ids, object_id: &str) -> Value {
    json!({
        "@context": ACTIVITYSTREAMS,
        "id": format!("{object_id}#delete"),
        "type": "Delete",
        "actor": ids.actor,
        "to": [PUBLIC],
        "cc": [ids.followers],
        "object": {"id": object_id, "type": "Tombstone"},
    })
}

/// The answer to a follow: `Accept` (kind) or `Reject` (a follower
/// removed) of it. `token` makes its id unique.
pub fn answer_follow(ids: &Ids, kind: &str, follow_id: &str, follower: &str, token: &str) -> Value {
    json!({
        "@context": ACTIVITYSTREAMS,
        "id": format!("{}#{}/{token}", ids.actor, kind.to_ascii_lowercase()),
        "type": kind,
        "actor": ids.actor,
        "object": {
            "id": follow_id,
            "type": "Follow",
            "actor": follower,
            "object": ids.actor,
        },
    })
}

/// The outbox, or the followers: a collection and how many it holds,
/// with its first and last page when it has pages.
pub fn collection(id: &str, total: i64, pages: Option<u64>) -> Value {
    let mut collection = json!({
        "@context": ACTIVITYSTREAMS,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
    });
    if let Some(pages) = pages {
        collection["first"] = json!(format!("{id}?page=1"));
        collection["last"] = json!(format!("{id}?page={}", pages.max(1)));
    }
    collection
}

/// One page of the outbox: `Create` activities, newest first.
pub fn outbox_page(ids: &Ids, page: u64, items: Vec<Value>, has_older: bool) -> Value {
    let mut collection = json!({
        "@context": ACTIVITYSTREAMS,
        "id": format!("{}?page={page}", ids.outbox),
        "type": "OrderedCollectionPage",
        "partOf": ids.outbox,
        "orderedItems": items,
    });
    if has_older {
        collection["next"] = json!(format!("{}?page={}", ids.outbox, page + 1));
    }
    if page > 1 {
        collection["prev"] = json!(format!("{}?page={}", ids.outbox, page - 1));
    }
    collection
}

/// Plain text as one HTML paragraph, or nothing.
fn paragraph(text: &str) -> String {
    if text.trim().is_empty() {
        String::new()
    } else {
        format!("<p>{}</p>", crate::render::escape(text.trim()))
    }
}

/// RFC 3339 in whole seconds, UTC.
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
