//! What the inbox does with an activity whose signature verified: follows
//! and their undoing, likes, boosts and replies kept as responses (and
//! their undoing, deletion and update), and the deletion of an actor.
//! Anything else is accepted and ignored, as ActivityPub asks.

mod follows;
mod responses;

use serde_json::Value;

use super::Federation;
use crate::domain::Protocol;
use crate::store::{RemoteActor, StoreError};
use crate::web::AppState;

/// What became of an activity (answered 202 either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It changed something.
    Done,
    /// Nothing here for it (an unknown type, a like of another site's post).
    Ignored,
}

/// Why an activity is refused.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// Not an activity the site can read: 400.
    #[error("{0}")]
    Malformed(String),
    /// Signed by one actor, claiming to be another's: 401.
    #[error("the activity's actor {actor} is not the signer {signer}")]
    NotSigner { actor: String, signer: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The id of a value that is an id or an object with one.
pub fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(id) => Some(id),
        Value::Object(map) => map.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// The type of an object (the first, when it lists several).
fn type_of(value: &Value) -> Option<&str> {
    match value.get("type")? {
        Value::String(kind) => Some(kind),
        Value::Array(kinds) => kinds.first()?.as_str(),
        _ => None,
    }
}

/// The host of a URL, lowercase.
pub fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(str::to_ascii_lowercase)
}

/// Whether `id` lives on the signer's server: an actor speaks only for
/// what is on its own server.
fn on_server_of(id: &str, actor: &RemoteActor) -> bool {
    host_of(id).is_some_and(|host| Some(host) == host_of(&actor.id))
}

/// Acts on an activity signed by `sender`.
pub async fn receive(
    state: &AppState,
    federation: &Federation,
    sender: &RemoteActor,
    activity: &Value,
) -> Result<Outcome, InboxError> {
    let actor = activity
        .get("actor")
        .and_then(id_of)
        .ok_or_else(|| InboxError::Malformed("the activity has no actor".into()))?;
    if actor != sender.id {
        return Err(InboxError::NotSigner {
            actor: actor.to_owned(),
            signer: sender.id.clone(),
        });
    }
    let kind = type_of(activity)
        .ok_or_else(|| InboxError::Malformed("the activity has no type".into()))?;
    let object = activity.get("object").unwrap_or(&Value::Null);
    let outcome = match kind {
        "Follow" => follows::follow(state, federation, sender, activity).await?,
        "Undo" => undo(state, federation, sender, object).await?,
        "Like" | "Announce" | "Create" | "Update" => {
            responses::respond(state, federation, sender, kind, activity).await?
        }
        "Delete" => delete(state, sender, object).await?,
        _ => Outcome::Ignored,
    };
    if outcome == Outcome::Done {
        // The note's page shows it (or no longer does) at once.
        let _ = state.refresh_revision().await;
    }
    Ok(outcome)
}

/// `Undo` of a follow, a like or a boost.
async fn undo(
    state: &AppState,
    federation: &Federation,
    sender: &RemoteActor,
    object: &Value,
) -> Result<Outcome, InboxError> {
    let id =
        id_of(object).ok_or_else(|| InboxError::Malformed("the Undo names no object".into()))?;
    if type_of(object) == Some("Follow") {
        // A follow of someone else, delivered to the shared inbox, is not
        // the site's to undo.
        let followed = object.get("object").and_then(id_of);
        if followed.is_some_and(|followed| followed != federation.ids.actor) {
            return Ok(Outcome::Ignored);
        }
        return follows::unfollow(state, sender).await;
    }
    if follows::is_their_follow(state, sender, id).await? {
        return follows::unfollow(state, sender).await;
    }
    if !on_server_of(id, sender) {
        return Ok(Outcome::Ignored);
    }
    let removed = state
        .store
        .remove_responses_from(Protocol::ActivityPub, id)
        .await?;
    Ok(if removed > 0 {
        Outcome::Done
    } else {
        Outcome::Ignored
    })
}

/// `Delete` of the sender itself (its account is gone: it stops
/// following, and what it said goes), or of something it wrote.
async fn delete(
    state: &AppState,
    sender: &RemoteActor,
    object: &Value,
) -> Result<Outcome, InboxError> {
    let id =
        id_of(object).ok_or_else(|| InboxError::Malformed("the Delete names no object".into()))?;
    if id == sender.id {
        state.store.remove_follower(&sender.id).await?;
        state.store.remove_responses_by_actor(&sender.id).await?;
        state.store.forget_remote_actor(&sender.id).await?;
        log::info!("activitypub: {} was deleted on its server", sender.id);
        return Ok(Outcome::Done);
    }
    if !on_server_of(id, sender) {
        return Ok(Outcome::Ignored);
    }
    let removed = state
        .store
        .remove_responses_from(Protocol::ActivityPub, id)
        .await?;
    Ok(if removed > 0 {
        Outcome::Done
    } else {
        Outcome::Ignored
    })
}
