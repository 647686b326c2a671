//! `/admin/mentions`: what other sites sent by Webmention, waiting for the
//! owner or decided (approve, reject, delete, "always approve this
//! site"), what each verification found; and, per note, what its own
//! Webmentions did.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::note_by_id;
use crate::domain::Moderation;
use crate::render::{
    MentionRow, MentionsPage, OutcomeRow, PageContext, SentPage, SentRow, sent_summary,
};
use crate::web::session::{Authorized, CsrfForm, Owner, no_store, private_page};
use crate::web::{AppState, WebError};

/// Responses on each page of the list.
const PER_PAGE: u32 = 25;
/// Verifications listed under "Received lately".
const RECENT: u32 = 50;

#[derive(Deserialize)]
pub struct MentionsQuery {
    show: Option<String>,
    page: Option<String>,
}

/// `GET /admin/mentions`
pub async fn mentions(
    state: web::Data<AppState>,
    owner: Owner,
    query: web::Query<MentionsQuery>,
) -> Result<HttpResponse, WebError> {
    let showing = match query.show.as_deref() {
        None | Some("") => Moderation::Pending,
        Some(text) => Moderation::parse(text).ok_or_else(|| {
            WebError::BadRequest(format!(
                "{text:?} is not a list of mentions; try pending, approved or rejected."
            ))
        })?,
    };
    let page = crate::web::pages::page_number(query.page.as_deref())?;
    let offset = (page - 1).saturating_mul(u64::from(PER_PAGE));
    let store = &state.store;
    let mut responses = store
        .responses_with_status(showing, offset, PER_PAGE + 1)
        .await?;
    let more = responses.len() > PER_PAGE as usize;
    responses.truncate(PER_PAGE as usize);
    let trusted_hosts = store.trusted_hosts().await?;
    let site = &state.settings.site;
    let mut rows = Vec::with_capacity(responses.len());
    for response in &responses {
        let slug = store
            .find_by_id(response.incoming.note_id)
            .await?
            .map(|note| note.slug.to_string())
            .unwrap_or_default();
        let trusted = trusted_hosts.contains(&response.incoming.host);
        let note_url = site.url.join(&format!("note/{slug}"));
        rows.push(MentionRow::new(response, &slug, note_url, trusted));
    }
    let recent = store.recent_mentions(RECENT).await?;
    let base = format!(
        "{}admin/mentions?show={}",
        site.url.path(),
        showing.as_str()
    );
    private_page(
        StatusCode::OK,
        MentionsPage {
            ctx: PageContext { site },
            csrf: owner.csrf(),
            flash: store.take_flash(owner.session_hash()).await?.as_deref(),
            showing,
            counts: store.response_counts().await?,
            rows,
            newer: (page > 1).then(|| format!("{base}&page={}", page - 1)),
            older: more.then(|| format!("{base}&page={}", page + 1)),
            trusted_hosts,
            recent: recent.iter().map(OutcomeRow::new).collect(),
        },
    )
}

#[derive(Deserialize)]
pub struct ModerateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    /// The response's site, for "always approve".
    #[serde(default)]
    host: String,
}

impl CsrfForm for ModerateForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/mentions/moderate/{id}`: approve, reject, delete, or
/// always approve its site.
pub async fn moderate(
    state: web::Data<AppState>,
    request: Authorized<ModerateForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let store = &state.store;
    let form = &request.form;
    let message = match form.action.as_str() {
        "approve" | "reject" => {
            let status = if form.action == "approve" {
                Moderation::Approved
            } else {
                Moderation::Rejected
            };
            store
                .moderate_response(id, status)
                .await?
                .ok_or(WebError::NotFound)?;
            if status == Moderation::Approved {
                "Approved: it shows under the note.".to_owned()
            } else {
                "Rejected: it shows nowhere.".to_owned()
            }
        }
        "delete" => {
            if !store.delete_response(id).await? {
                return Err(WebError::NotFound);
            }
            "Deleted. If its site sends it again, it comes back to be moderated.".to_owned()
        }
        "trust" if !form.host.trim().is_empty() => {
            let host = form.host.trim().to_ascii_lowercase();
            let approved = store.trust_host(&host).await?;
            format!("{host} is always approved from now on; {approved} waiting approved.")
        }
        other => {
            return Err(WebError::BadRequest(format!(
                "{other:?} is not something to do with a mention."
            )));
        }
    };
    log::info!("admin: mention {id}: {}", form.action);
    back_to_mentions(&state, &request.owner, &message).await
}

#[derive(Deserialize)]
pub struct HostForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    host: String,
}

impl CsrfForm for HostForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/mentions/distrust`: a site's mentions wait again.
pub async fn distrust(
    state: web::Data<AppState>,
    request: Authorized<HostForm>,
) -> Result<HttpResponse, WebError> {
    let host = request.form.host.trim().to_ascii_lowercase();
    state.store.distrust_host(&host).await?;
    let message = format!("Mentions from {host} wait for you again.");
    back_to_mentions(&state, &request.owner, &message).await
}

/// `GET /admin/mentions/sent/{id}`: every page the note told, and how it
/// went.
pub async fn sent(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let note = note_by_id(&state, &id).await?;
    let sent = state.store.sent_webmentions(note.id).await?;
    let site = &state.settings.site;
    private_page(
        StatusCode::OK,
        SentPage {
            ctx: PageContext { site },
            csrf: owner.csrf(),
            slug: note.slug.as_str(),
            permalink: note
                .is_shown_at(state.store.now())
                .then(|| site.url.join(&format!("note/{}", note.slug))),
            summary: sent_summary(&sent).unwrap_or_else(|| "No Webmention sent".into()),
            rows: sent.iter().map(SentRow::new).collect(),
        },
    )
}

async fn back_to_mentions(
    state: &AppState,
    owner: &Owner,
    message: &str,
) -> Result<HttpResponse, WebError> {
    state.store.set_flash(owner.session_hash(), message).await?;
    // The note's page shows the change at the next request.
    state.refresh_revision().await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("{}admin/mentions", state.settings.site.url.path()),
        ))
        .insert_header(no_store())
        .finish())
}
