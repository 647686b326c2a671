//! Follows: a `Follow` of the actor is recorded and answered with a
//! signed `Accept` (the site approves every follower); its `Undo` ends
//! it. A repeated `Follow` changes nothing but is accepted again, as its
//! sender may have missed the first `Accept`.

use serde_json::Value;

use super::{InboxError, Outcome, host_of, id_of};
use crate::activitypub::Federation;
use crate::activitypub::objects::answer_follow;
use crate::random::random_token;
use crate::store::{ActivityKind, Follower, RemoteActor};
use crate::web::AppState;

pub(super) async fn follow(
    state: &AppState,
    federation: &Federation,
    sender: &RemoteActor,
    activity: &Value,
) -> Result<Outcome, InboxError> {
    let object = activity.get("object").and_then(id_of);
    if object != Some(federation.ids.actor.as_str()) {
        // A follow of someone else, delivered to the shared inbox.
        return Ok(Outcome::Ignored);
    }
    let follow_id = activity
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| InboxError::Malformed("the Follow has no id".into()))?;
    let follower = Follower {
        actor: sender.id.clone(),
        follow_id: follow_id.to_owned(),
        inbox: sender.inbox.clone(),
        shared_inbox: sender.shared_inbox.clone(),
        host: host_of(&sender.id).unwrap_or_default(),
        followed_at: state.store.now(),
        failing_since: None,
    };
    let new = state.store.add_follower(&follower).await?;
    let accept = answer_follow(
        &federation.ids,
        "Accept",
        follow_id,
        &sender.id,
        &random_token(),
    );
    state
        .store
        .queue_for_inbox(ActivityKind::Accept, &accept.to_string(), &sender.inbox)
        .await?;
    federation.wake_deliveries();
    if new {
        log::info!("activitypub: {} follows the site", sender.id);
    }
    Ok(Outcome::Done)
}

/// Whether `id` is the sender's follow of the site.
pub(super) async fn is_their_follow(
    state: &AppState,
    sender: &RemoteActor,
    id: &str,
) -> Result<bool, InboxError> {
    Ok(state
        .store
        .follower(&sender.id)
        .await?
        .is_some_and(|follower| follower.follow_id == id))
}

pub(super) async fn unfollow(
    state: &AppState,
    sender: &RemoteActor,
) -> Result<Outcome, InboxError> {
    Ok(match state.store.remove_follower(&sender.id).await? {
        Some(_) => {
            log::info!("activitypub: {} stopped following the site", sender.id);
            Outcome::Done
        }
        None => Outcome::Ignored,
    })
}
