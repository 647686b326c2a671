//! `/admin/followers`: who follows the site in the fediverse, each one
//! removable (their server is sent a `Reject` of their follow), and where
//! the deliveries of each note stand.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::activitypub::objects::answer_follow;
use crate::random::random_token;
use crate::render::{DeliveryRow, FollowerRow, FollowersPage, PageContext};
use crate::store::ActivityKind;
use crate::web::pages::{ListQuery, page_number};
use crate::web::session::{Authorized, CsrfForm, Owner, no_store, private_page};
use crate::web::{AppState, WebError};

/// Followers on each page.
const FOLLOWERS_PER_PAGE: u32 = 100;

/// Activities listed under the followers.
const DELIVERIES_SHOWN: u32 = 30;

/// `GET /admin/followers[?page=N]`
pub async fn followers(
    state: web::Data<AppState>,
    owner: Owner,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let page = page_number(query.page.as_deref())?;
    let flash = state.store.take_flash(owner.session_hash()).await?;
    let site = &state.settings.site;
    let mut view = FollowersPage {
        ctx: PageContext { site },
        csrf: owner.csrf(),
        flash: flash.as_deref(),
        handle: None,
        count: 0,
        followers: Vec::new(),
        newer: None,
        older: None,
        deliveries: Vec::new(),
    };
    if let Some(federation) = &state.federation {
        let offset = (page - 1).saturating_mul(u64::from(FOLLOWERS_PER_PAGE));
        let mut followers = state
            .store
            .followers(offset, FOLLOWERS_PER_PAGE + 1)
            .await?;
        let link = |n: u64| format!("{}admin/followers?page={n}", site.url.path());
        view.older = (followers.len() > FOLLOWERS_PER_PAGE as usize).then(|| link(page + 1));
        view.newer = (page > 1).then(|| link(page - 1));
        followers.truncate(FOLLOWERS_PER_PAGE as usize);
        view.handle = Some(federation.ids.handle.clone());
        view.count = state.store.follower_count().await?;
        view.followers = followers.iter().map(FollowerRow::new).collect();
        for delivery in state.store.delivery_states(0, DELIVERIES_SHOWN).await? {
            let note = match delivery.note_id {
                Some(id) => state.store.find_by_id(id).await?,
                None => None,
            };
            let (name, link) = match &note {
                Some(note) => (
                    note.slug.to_string(),
                    note.is_shown_at(state.store.now())
                        .then(|| site.url.join(&format!("note/{}", note.slug))),
                ),
                None => (
                    format!("note {} (removed)", delivery.note_id.unwrap_or_default()),
                    None,
                ),
            };
            view.deliveries
                .push(DeliveryRow::new(&delivery, name, link));
        }
    }
    private_page(StatusCode::OK, view)
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    actor: String,
}

impl CsrfForm for RemoveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/followers/remove`: the follower goes, and their server is
/// told with a `Reject` of their follow.
pub async fn remove_follower(
    state: web::Data<AppState>,
    request: Authorized<RemoveForm>,
) -> Result<HttpResponse, WebError> {
    let federation = state.federation.as_ref().ok_or(WebError::NotFound)?;
    let Some(follower) = state.store.remove_follower(&request.form.actor).await? else {
        return Err(WebError::NotFound);
    };
    let reject = answer_follow(
        &federation.ids,
        "Reject",
        &follower.follow_id,
        &follower.actor,
        &random_token(),
    );
    state
        .store
        .queue_for_inbox(ActivityKind::Reject, &reject.to_string(), &follower.inbox)
        .await?;
    federation.wake_deliveries();
    log::info!(
        "activitypub: the owner removed the follower {}",
        follower.actor
    );
    let message = format!(
        "{} no longer follows this site; their server is told.",
        follower.actor
    );
    state
        .store
        .set_flash(request.owner.session_hash(), &message)
        .await?;
    Ok(see(&state, "admin/followers"))
}

/// Back to an admin page after a change.
pub(super) fn see(state: &AppState, page: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("{}{page}", state.settings.site.url.path()),
        ))
        .insert_header(no_store())
        .finish()
}
