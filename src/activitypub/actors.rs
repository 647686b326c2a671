//! Other servers' actors: their keys, found from a signature's `keyId`
//! (fetched once, kept, fetched again when they stop verifying), and what
//! their documents say of them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;

use super::Federation;
use super::fetch::{FetchError, fetch_document};
use crate::outbound::Outbound;
use crate::store::RemoteActor;

/// Why a document is not an actor the site can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActorError {
    #[error("the document has no id")]
    NoId,
    #[error("the actor has no inbox")]
    NoInbox,
    #[error("the actor has no key {0}")]
    NoKey(String),
    #[error("the key {key} belongs to {owner}, not to the actor {actor}")]
    OtherOwner {
        key: String,
        owner: String,
        actor: String,
    },
}

/// The first string of a value that may be a string, a link object
/// (`{"href"}` or `{"url"}`) or a list of either.
pub fn first_url(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Array(items) => items.iter().find_map(first_url),
        Value::Object(map) => map
            .get("href")
            .or_else(|| map.get("url"))
            .and_then(first_url),
        _ => None,
    }
    .filter(|url| Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
}

/// A string field, trimmed and shortened, or `None` when blank.
pub fn text_field(value: &Value, name: &str, max: usize) -> Option<String> {
    let text = value.get(name)?.as_str()?.trim();
    (!text.is_empty()).then(|| text.chars().take(max).collect())
}

/// The actor a document describes, with the key `key_id` (which must be
/// one of its keys, owned by it).
pub fn actor_from_document(
    document: &Value,
    key_id: &str,
    now: DateTime<Utc>,
) -> Result<RemoteActor, ActorError> {
    let id = document
        .get("id")
        .and_then(Value::as_str)
        .ok_or(ActorError::NoId)?;
    let inbox = document
        .get("inbox")
        .and_then(first_url)
        .ok_or(ActorError::NoInbox)?;
    let key = public_keys(document)
        .find(|key| key.get("id").and_then(Value::as_str) == Some(key_id))
        .ok_or_else(|| ActorError::NoKey(key_id.to_owned()))?;
    let owner = key
        .get("owner")
        .and_then(Value::as_str)
        .unwrap_or(id)
        .to_owned();
    if owner != id {
        return Err(ActorError::OtherOwner {
            key: key_id.to_owned(),
            owner,
            actor: id.to_owned(),
        });
    }
    let pem = key
        .get("publicKeyPem")
        .and_then(Value::as_str)
        .ok_or_else(|| ActorError::NoKey(key_id.to_owned()))?;
    Ok(RemoteActor {
        id: id.to_owned(),
        key_id: key_id.to_owned(),
        public_key_pem: pem.to_owned(),
        inbox,
        shared_inbox: document
            .get("endpoints")
            .and_then(|e| e.get("sharedInbox"))
            .and_then(first_url),
        username: text_field(document, "preferredUsername", 100),
        name: text_field(document, "name", 200),
        url: document.get("url").and_then(first_url),
        icon_url: document.get("icon").and_then(first_url),
        avatar: None,
        fetched_at: now,
    })
}

/// The document's keys: `publicKey` as one object or a list.
fn public_keys(document: &Value) -> impl Iterator<Item = &Value> {
    let keys = document.get("publicKey");
    let list: Vec<&Value> = match keys {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(key @ Value::Object(_)) => vec![key],
        _ => Vec::new(),
    };
    list.into_iter()
}

/// Fetches the actor that holds the key `key_id`: the document at the
/// key's address (its actor, or a key document naming its owner, whose
/// own document must then list the key too).
pub async fn fetch_key_owner(
    outbound: &Outbound,
    federation: &Federation,
    key_id: &str,
    now: DateTime<Utc>,
) -> Result<RemoteActor, FetchError> {
    let address = key_id.split('#').next().unwrap_or(key_id);
    let (_, document) = fetch_document(outbound, federation, address, now).await?;
    let owner = match document.get("publicKeyPem") {
        // A key document: its owner is the actor.
        Some(_) => document
            .get("owner")
            .and_then(Value::as_str)
            .map(str::to_owned),
        None => None,
    };
    let document = match owner {
        Some(owner) => fetch_document(outbound, federation, &owner, now).await?.1,
        None => document,
    };
    actor_from_document(&document, key_id, now).map_err(|e| FetchError::NotActor(e.to_string()))
}

/// Fetches an actor's document by its id.
pub async fn fetch_actor(
    outbound: &Outbound,
    federation: &Federation,
    id: &str,
    key_id: &str,
    now: DateTime<Utc>,
) -> Result<RemoteActor, FetchError> {
    let (_, document) = fetch_document(outbound, federation, id, now).await?;
    actor_from_document(&document, key_id, now).map_err(|e| FetchError::NotActor(e.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_mastodon_actor_is_read() {
        let document = json!({
            "id": "https://m.example/users/bea",
            "type": "Person",
            "preferredUsername": "bea",
            "name": "  Bea  ",
            "inbox": "https://m.example/users/bea/inbox",
            "endpoints": {"sharedInbox": "https://m.example/inbox"},
            "url": "https://m.example/@bea",
            "icon": {"type": "Image", "url": "https://m.example/a.png"},
            "publicKey": {
                "id": "https://m.example/users/bea#main-key",
                "owner": "https://m.example/users/bea",
                "publicKeyPem": "PEM"
            }
        });
        let actor =
            actor_from_document(&document, "https://m.example/users/bea#main-key", now()).unwrap();
        assert_eq!(actor.name.as_deref(), Some("Bea"));
        assert_eq!(
            actor.shared_inbox.as_deref(),
            Some("https://m.example/inbox")
        );
        assert_eq!(actor.url.as_deref(), Some("https://m.example/@bea"));
        assert_eq!(actor.icon_url.as_deref(), Some("https://m.example/a.png"));
        assert_eq!(actor.public_key_pem, "PEM");
    }

    #[test]
    fn a_key_must_be_listed_and_owned_by_the_actor() {
        let mut document = json!({
            "id": "https://m.example/users/bea",
            "inbox": "https://m.example/users/bea/inbox",
            "publicKey": [{
                "id": "https://m.example/users/bea#main-key",
                "owner": "https://m.example/users/eve",
                "publicKeyPem": "PEM"
            }]
        });
        let key = "https://m.example/users/bea#main-key";
        assert!(matches!(
            actor_from_document(&document, key, now()),
            Err(ActorError::OtherOwner { .. })
        ));
        assert_eq!(
            actor_from_document(&document, "https://m.example/users/bea#other", now()),
            Err(ActorError::NoKey(
                "https://m.example/users/bea#other".into()
            ))
        );
        document["publicKey"][0]["owner"] = json!("https://m.example/users/bea");
        assert!(actor_from_document(&document, key, now()).is_ok());
        document.as_object_mut().unwrap().remove("inbox");
        assert_eq!(
            actor_from_document(&document, key, now()),
            Err(ActorError::NoInbox)
        );
    }

    #[test]
    fn urls_are_read_from_links_and_lists() {
        assert_eq!(
            first_url(&json!([{"type": "Link", "href": "https://a.example/x"}])).as_deref(),
            Some("https://a.example/x")
        );
        assert_eq!(first_url(&json!("javascript:x")), None);
        assert_eq!(first_url(&json!(5)), None);
    }
}
