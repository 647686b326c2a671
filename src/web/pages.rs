//! The public HTML pages: the list of notes and each note.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::cache::{CacheKey, Rendered};
use super::views::note_views;
use super::{AppState, WebError};
use crate::domain::Visibility;
use crate::render::{HomePage, NotePage, PageContext, ResponsesView};
use crate::store::StoreError;

/// Notes on each page of the list.
pub const NOTES_PER_PAGE: u32 = 20;

pub(super) const HTML: &str = "text/html; charset=utf-8";

#[derive(Deserialize)]
pub struct ListQuery {
    pub(super) page: Option<String>,
}

/// `?page=N` of a paginated list: 1 when absent.
pub(super) fn page_number(text: Option<&str>) -> Result<u64, WebError> {
    match text {
        None => Ok(1),
        Some(text) => text.parse::<u64>().ok().filter(|&n| n >= 1).ok_or_else(|| {
            WebError::BadRequest(format!(
                "{text:?} is not a page number; pages are numbered from 1."
            ))
        }),
    }
}

/// `GET /`: newest published notes, 20 a page, `?page=2` for older ones.
pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let page = page_number(query.page.as_deref())?;
    let mut response = state
        .serve_cached(&req, CacheKey::Home { page }, || render_home(&state, page))
        .await?;
    response.headers_mut().insert(
        actix_web::http::header::LINK,
        super::indieauth_server::metadata::discovery_links(&state.settings.site),
    );
    Ok(response)
}

/// `None` for a page past the last one (page 1 always exists).
async fn render_home(state: &AppState, page: u64) -> Result<Option<Rendered>, WebError> {
    let site_state = state.store.site_state().await?;
    let offset = (page - 1).saturating_mul(u64::from(NOTES_PER_PAGE));
    let found = state.store.public_page(offset, NOTES_PER_PAGE).await?;
    state.report_damage(&found.damaged);
    if found.notes.is_empty() && found.damaged.is_empty() && page > 1 {
        return Ok(None);
    }
    let site = &state.settings.site;
    let page_link = |n: u64| {
        if n == 1 {
            site.url.path().to_owned()
        } else {
            format!("{}?page={n}", site.url.path())
        }
    };
    let html = HomePage {
        ctx: PageContext { site },
        notes: note_views(state, &found.notes).await?,
        page,
        newer: (page > 1).then(|| page_link(page - 1)),
        older: found.has_older.then(|| page_link(page + 1)),
        activitypub: state.federation.as_ref().map(|f| f.ids.actor.clone()),
    }
    .render()
    .map_err(render_failed)?;
    Ok(Some(Rendered::new(html, site_state.changed_at, HTML)))
}

/// `GET /note/{slug}`: one published note; drafts, deleted and unknown
/// slugs are all simply not found.
pub async fn note(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    // With federation on, the permalink is also the note's id in the
    // fediverse, and answers in ActivityPub to those who ask.
    let mut response = match &state.federation {
        Some(federation) if super::activitypub::wants_activity(&req) => {
            super::activitypub::note_object(&state, federation, &req, &slug).await?
        }
        _ => {
            let key = CacheKey::Note(slug.clone());
            state
                .serve_cached(&req, key, || render_note(&state, &slug))
                .await?
        }
    };
    if state.federation.is_some() {
        super::activitypub::vary_on_accept(&mut response);
    }
    Ok(response)
}

async fn render_note(state: &AppState, slug: &str) -> Result<Option<Rendered>, WebError> {
    let found = match state.store.find_public(slug).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            // A deleted note says so: sites that kept a reply to it or a
            // mention of it remove theirs.
            return match state.store.find(slug).await? {
                Some(note) if note.deleted_at.is_some() => Err(WebError::Gone),
                _ => Ok(None),
            };
        }
        Err(StoreError::Damaged(damage)) => {
            state.report_damage(&[*damage]);
            return Err(WebError::NoteDamaged);
        }
        Err(e) => return Err(e.into()),
    };
    let site = &state.settings.site;
    let responses = state.store.shown_responses(found.note.id).await?;
    let html = NotePage {
        ctx: PageContext { site },
        note: note_views(state, std::slice::from_ref(&found))
            .await?
            .pop()
            .expect("one view for one note"),
        responses: ResponsesView::new(site, &responses),
        activitypub: state.federation.is_some(),
        unlisted: found.note.visibility == Visibility::Unlisted,
    }
    .render()
    .map_err(render_failed)?;
    // The page changes when the note does, and when what is shown under it.
    let modified = state
        .store
        .responses_changed_at(found.note.id)
        .await?
        .map_or(found.note.updated_at, |at| at.max(found.note.updated_at));
    Ok(Some(Rendered::new(html, modified, HTML)))
}

pub(super) fn render_failed(e: askama::Error) -> WebError {
    WebError::internal("cannot render the page", e)
}
