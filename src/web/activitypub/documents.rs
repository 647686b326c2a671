//! The actor, its outbox and followers, and notes as ActivityPub objects:
//! JSON for other servers, cached like every page (the actor and notes
//! are rendered once per change of the data).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::{federation, vary_on_accept, wants_activity};
use crate::activitypub::Federation;
use crate::activitypub::objects::{self, ACTIVITY_JSON};
use crate::activitypub::reconcile::note_object as object_of;
use crate::store::next_version;
use crate::web::cache::{CacheKey, Rendered};
use crate::web::error::ApiError;
use crate::web::pages::{ListQuery, page_number};
use crate::web::{AppState, NOTES_PER_PAGE, WebError};

fn json(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON values serialise")
}

/// `GET /activitypub/actor`: the actor's JSON; a browser is sent to the
/// site itself.
pub async fn actor(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let federation = federation(&state)?;
    let mut response = if wants_activity(&req) || !accepts_html(&req) {
        state
            .serve_cached(&req, CacheKey::Actor, || async {
                let site = &state.settings.site;
                let icon = federation.settings.icon.as_ref().map(url::Url::as_str);
                let actor = objects::actor(
                    site,
                    &federation.settings,
                    &federation.ids,
                    federation.key().public_pem(),
                    icon,
                );
                let since = state.store.site_state().await?.changed_at;
                Ok(Some(Rendered::new(json(&actor), since, ACTIVITY_JSON)))
            })
            .await?
    } else {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, federation.ids.profile.as_str()))
            .finish()
    };
    vary_on_accept(&mut response);
    Ok(response)
}

/// Whether `Accept` names HTML at all (a browser's does).
fn accepts_html(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

/// `GET /activitypub/outbox[?page=N]`: the notes as `Create` activities,
/// newest first, 20 a page.
pub async fn outbox(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let federation = federation(&state)?;
    let page = match query.page.as_deref() {
        None => 0,
        some => page_number(some)?,
    };
    Ok(state
        .serve_cached(&req, CacheKey::Outbox { page }, || {
            render_outbox(&state, federation, page)
        })
        .await?)
}

async fn render_outbox(
    state: &AppState,
    federation: &Federation,
    page: u64,
) -> Result<Option<Rendered>, WebError> {
    let site_state = state.store.site_state().await?;
    let total = state.store.note_counts().await?.published;
    if page == 0 {
        let pages = u64::try_from(total)
            .unwrap_or(0)
            .div_ceil(u64::from(NOTES_PER_PAGE));
        let collection = objects::collection(&federation.ids.outbox, total, Some(pages));
        return Ok(Some(Rendered::new(
            json(&collection),
            site_state.changed_at,
            ACTIVITY_JSON,
        )));
    }
    let offset = (page - 1).saturating_mul(u64::from(NOTES_PER_PAGE));
    let found = state.store.public_page(offset, NOTES_PER_PAGE).await?;
    state.report_damage(&found.damaged);
    if found.notes.is_empty() && page > 1 {
        return Ok(None);
    }
    let mut items = Vec::new();
    for with_body in found.notes {
        let note = with_body.note;
        let row = state.store.federated_note(note.id).await?;
        let object = object_of(state, federation, note, next_version(row.as_ref())).await?;
        items.push(objects::create(&federation.ids, &object));
    }
    let body = objects::outbox_page(&federation.ids, page, items, found.has_older);
    Ok(Some(Rendered::new(
        json(&body),
        site_state.changed_at,
        ACTIVITY_JSON,
    )))
}

/// `GET /activitypub/followers`: how many; who they are is left out.
pub async fn followers(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let federation = federation(&state)?;
    let total = state.store.follower_count().await?;
    let collection = objects::collection(&federation.ids.followers, total, None);
    Ok(HttpResponse::Ok()
        .content_type(ACTIVITY_JSON)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(json(&collection)))
}

/// `GET /note/{slug}` asking for ActivityPub: the note's `Note`, a
/// `Tombstone` (410) once deleted, or for `?v=N` of an id it had before
/// it was deleted and brought back.
pub async fn note_object(
    state: &AppState,
    federation: &Federation,
    req: &HttpRequest,
    slug: &str,
) -> Result<HttpResponse, WebError> {
    if let Some(asked) = asked_version(req) {
        let Some(note) = state.store.find(slug).await? else {
            return Err(WebError::NotFound);
        };
        let row = state.store.federated_note(note.id).await?;
        let current = next_version(row.as_ref());
        if asked < current || (asked == current && !note.is_shown_at(state.store.now())) {
            let id = federation.ids.note_object(slug, asked);
            return Ok(tombstone(&id, note.deleted_at.or(Some(note.updated_at))));
        }
        if asked > current {
            return Err(WebError::NotFound);
        }
    }
    let key = CacheKey::NoteObject(slug.to_owned());
    match state
        .serve_cached(req, key, || render_note_object(state, federation, slug))
        .await
    {
        Err(WebError::Gone) => {
            let note = state.store.find(slug).await?.ok_or(WebError::NotFound)?;
            let row = state.store.federated_note(note.id).await?;
            let version = row.map_or(1, |row| row.version.max(1));
            let id = federation.ids.note_object(slug, version);
            Ok(tombstone(&id, note.deleted_at))
        }
        other => other,
    }
}

/// `?v=N` of a note's permalink, when given.
fn asked_version(req: &HttpRequest) -> Option<i64> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(name, _)| name == "v")
        .and_then(|(_, value)| value.parse().ok())
}

fn tombstone(id: &str, deleted: Option<chrono::DateTime<chrono::Utc>>) -> HttpResponse {
    HttpResponse::Gone()
        .content_type(ACTIVITY_JSON)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(json(&objects::tombstone(id, deleted)))
}

/// A shown note's object; `None` for drafts, notes published for later
/// and unknown slugs, [`WebError::Gone`] for deleted ones.
async fn render_note_object(
    state: &AppState,
    federation: &Federation,
    slug: &str,
) -> Result<Option<Rendered>, WebError> {
    let Some(note) = state.store.find(slug).await? else {
        return Ok(None);
    };
    if note.deleted_at.is_some() {
        return Err(WebError::Gone);
    }
    if !note.is_shown_at(state.store.now()) {
        return Ok(None);
    }
    let row = state.store.federated_note(note.id).await?;
    let modified = note.updated_at;
    let object = object_of(state, federation, note, next_version(row.as_ref())).await?;
    Ok(Some(Rendered::new(json(&object), modified, ACTIVITY_JSON)))
}
