//! Likes, boosts and replies to the site's notes, kept as responses
//! beside the Webmentions: the same moderation, the same display, the
//! author's name and link, and a copy of their picture (never the other
//! server's address). A reply is kept only when it is public: one
//! addressed to a few people is not the site's to show.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{InboxError, Outcome, host_of, id_of, on_server_of, type_of};
use crate::activitypub::Federation;
use crate::activitypub::objects::PUBLIC;
use crate::domain::{
    Author, IncomingResponse, MAX_RESPONSE_CHARS, MediaPath, Note, Protocol, ResponseKind,
    content_hash, shortened, text_of_html,
};
use crate::outbound::Request;
use crate::render::sanitise::sanitise_foreign;
use crate::store::{MediaDir, RemoteActor};
use crate::web::AppState;

/// The largest picture copied.
const AVATAR_LIMIT: usize = 1024 * 1024;

/// How long copying a picture may take, all told.
const AVATAR_TIME: Duration = Duration::from_secs(4);

/// Types of objects a reply can be.
const POSTS: &[&str] = &["Note", "Article", "Page", "Question"];

pub(super) async fn respond(
    state: &AppState,
    federation: &Federation,
    sender: &RemoteActor,
    kind: &str,
    activity: &Value,
) -> Result<Outcome, InboxError> {
    let object = activity.get("object").unwrap_or(&Value::Null);
    match kind {
        "Like" | "Announce" => {
            let kind = if kind == "Like" {
                ResponseKind::Like
            } else {
                ResponseKind::Repost
            };
            react(state, federation, sender, kind, activity, object).await
        }
        _ if kind == "Update" && id_of(object) == Some(sender.id.as_str()) => {
            profile_changed(state, sender, object).await
        }
        _ => reply(state, federation, sender, object).await,
    }
}

/// A like or a boost of one of the notes.
async fn react(
    state: &AppState,
    federation: &Federation,
    sender: &RemoteActor,
    kind: ResponseKind,
    activity: &Value,
    object: &Value,
) -> Result<Outcome, InboxError> {
    let Some(note) = our_note(state, federation, id_of(object)).await? else {
        return Ok(Outcome::Ignored);
    };
    let source = activity
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| on_server_of(id, sender))
        .ok_or_else(|| {
            InboxError::Malformed("the activity has no id on its actor's server".into())
        })?;
    let incoming = IncomingResponse {
        note_id: note.id,
        protocol: Protocol::ActivityPub,
        source: source.to_owned(),
        kind,
        url: profile(sender),
        host: host_of(&sender.id).unwrap_or_default(),
        author: author(state, sender).await,
        actor: Some(sender.id.clone()),
        content_html: None,
        content_text: None,
        published: time(activity.get("published")),
    };
    keep(state, &incoming).await
}

/// A post (new or edited) that replies to one of the notes.
async fn reply(
    state: &AppState,
    federation: &Federation,
    sender: &RemoteActor,
    object: &Value,
) -> Result<Outcome, InboxError> {
    if !type_of(object).is_some_and(|kind| POSTS.contains(&kind)) {
        return Ok(Outcome::Ignored);
    }
    let source = object
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| on_server_of(id, sender))
        .ok_or_else(|| InboxError::Malformed("the post has no id on its actor's server".into()))?;
    let author_id = object.get("attributedTo").and_then(id_of);
    if author_id != Some(sender.id.as_str()) {
        return Err(InboxError::Malformed(
            "the post is not attributed to the activity's actor".into(),
        ));
    }
    let replied_to = object.get("inReplyTo").and_then(id_of);
    let note = our_note(state, federation, replied_to).await?;
    let Some(note) = note.filter(|_| is_public(object)) else {
        // Not (or no longer) a public reply to a note here: an edit may
        // have taken it away.
        let removed = state
            .store
            .remove_responses_from(Protocol::ActivityPub, source)
            .await?;
        return Ok(if removed > 0 {
            Outcome::Done
        } else {
            Outcome::Ignored
        });
    };
    let url = object
        .get("url")
        .and_then(crate::activitypub::actors::first_url)
        .unwrap_or_else(|| source.to_owned());
    let base = url::Url::parse(&url).map_err(|_| InboxError::Malformed("bad url".into()))?;
    let raw = object.get("content").and_then(Value::as_str).unwrap_or("");
    let html = sanitise_foreign(raw, &base);
    let text = text_of_html(&html);
    let fits = text.chars().count() <= MAX_RESPONSE_CHARS;
    let incoming = IncomingResponse {
        note_id: note.id,
        protocol: Protocol::ActivityPub,
        source: source.to_owned(),
        kind: ResponseKind::Reply,
        url,
        host: host_of(&sender.id).unwrap_or_default(),
        author: author(state, sender).await,
        actor: Some(sender.id.clone()),
        content_html: fits.then_some(html),
        content_text: Some(shortened(&text, MAX_RESPONSE_CHARS)),
        published: time(object.get("published")),
    };
    keep(state, &incoming).await
}

/// The actor's own profile changed (a new name, picture or inbox): kept
/// from the document it sent, signed by itself, when that still lists the
/// key it signed with.
async fn profile_changed(
    state: &AppState,
    sender: &RemoteActor,
    document: &Value,
) -> Result<Outcome, InboxError> {
    let now = state.store.now();
    let Ok(actor) = crate::activitypub::actors::actor_from_document(document, &sender.key_id, now)
    else {
        return Ok(Outcome::Ignored);
    };
    state.store.keep_remote_actor(&actor).await?;
    Ok(Outcome::Done)
}

async fn keep(state: &AppState, incoming: &IncomingResponse) -> Result<Outcome, InboxError> {
    state
        .store
        .keep_response(incoming, state.settings.social.moderation)
        .await?;
    Ok(Outcome::Done)
}

/// The shown note (public or unlisted) an id of ours names.
async fn our_note(
    state: &AppState,
    federation: &Federation,
    id: Option<&str>,
) -> Result<Option<Note>, InboxError> {
    let Some((slug, _)) = id.and_then(|id| federation.ids.note_in(id)) else {
        return Ok(None);
    };
    let now = state.store.now();
    Ok(state
        .store
        .find(&slug)
        .await?
        .filter(|note| note.is_shown_at(now)))
}

/// Whether everyone may see it (public or unlisted).
fn is_public(object: &Value) -> bool {
    ["to", "cc"].iter().any(|field| {
        let listed: Vec<&Value> = match object.get(*field) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(item) => vec![item],
            None => Vec::new(),
        };
        listed
            .into_iter()
            .filter_map(Value::as_str)
            .any(|to| matches!(to, PUBLIC | "as:Public" | "Public"))
    })
}

/// Where a reader goes to see who it was.
fn profile(actor: &RemoteActor) -> String {
    actor.url.clone().unwrap_or_else(|| actor.id.clone())
}

fn time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let text = value?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

async fn author(state: &AppState, actor: &RemoteActor) -> Author {
    Author {
        name: actor.name.clone().or_else(|| actor.username.clone()),
        url: Some(profile(actor)),
        photo: avatar(state, actor).await,
    }
}

/// The site's copy of an actor's picture, made now if it has none: on any
/// failure, no picture (never the other server's address).
async fn avatar(state: &AppState, actor: &RemoteActor) -> Option<MediaPath> {
    if let Some(path) = &actor.avatar
        && let Ok(Some(_)) = state.store.find_media(path).await
    {
        return Some(path.clone());
    }
    let icon = url::Url::parse(actor.icon_url.as_deref()?).ok()?;
    match tokio::time::timeout(AVATAR_TIME, copy_avatar(state, icon)).await {
        Ok(Ok(path)) => {
            let _ = state.store.set_actor_avatar(&actor.id, &path).await;
            Some(path)
        }
        Ok(Err(reason)) => {
            log::info!("activitypub: no picture for {}: {reason}", actor.id);
            None
        }
        Err(_) => {
            log::info!("activitypub: no picture for {}: it took too long", actor.id);
            None
        }
    }
}

async fn copy_avatar(state: &AppState, icon: url::Url) -> Result<MediaPath, String> {
    let answer = state
        .outbound
        .fetch(Request::get(icon, AVATAR_LIMIT))
        .await
        .map_err(|e| e.to_string())?;
    if !answer.status.is_success() {
        return Err(format!("its server answered {}", answer.status));
    }
    let prepared = {
        let _turn = state
            .image_work
            .acquire()
            .await
            .map_err(|e| e.to_string())?;
        tokio::task::spawn_blocking(move || crate::media::avatar(&answer.body))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?
    };
    let hash = content_hash(&prepared.image.bytes);
    if let Ok(Some(same)) = state.store.find_media_by_hash(&hash).await {
        return Ok(same.path);
    }
    let dir = MediaDir::in_data(&state.settings.data_path);
    state
        .store
        .save_media(&dir, prepared, state.store.now())
        .await
        .map(|record| record.path)
        .map_err(|e| e.to_string())
}
