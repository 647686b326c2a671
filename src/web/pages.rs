//! The public HTML pages: the list of notes and each note.

use std::sync::Arc;

use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::conditional::Cached;
use super::state::Versioned;
use super::views::note_views;
use super::{AppState, WebError};
use crate::render::{HomePage, NotePage, PageContext};
use crate::store::StoreError;

/// Notes on each page of the list.
pub const NOTES_PER_PAGE: u32 = 20;

pub(super) const HTML: &str = "text/html; charset=utf-8";

/// Pages change whenever a note does: browsers must check back each time
/// (a cheap 304 when nothing changed).
pub(super) fn page_cache_control() -> HeaderValue {
    HeaderValue::from_static("no-cache")
}

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
    let key = format!("home:{page}");
    let cached = match state.cache.page(&key) {
        Some(hit) => hit,
        None => {
            let epoch = state.cache.epoch();
            let Some(response) = render_home(&state, page).await? else {
                return Err(WebError::NotFound);
            };
            let fresh = Arc::new(Versioned { epoch, response });
            state.cache.store_page(key, fresh.clone());
            fresh
        }
    };
    let mut response = cached.response.respond(&req, &page_cache_control());
    response.headers_mut().insert(
        actix_web::http::header::LINK,
        super::metadata::discovery_links(&state.settings.site),
    );
    Ok(response)
}

/// `None` for a page past the last one (page 1 always exists).
async fn render_home(state: &AppState, page: u64) -> Result<Option<Cached>, WebError> {
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
    }
    .render()
    .map_err(render_failed)?;
    Ok(Some(Cached::new(html, site_state.changed_at, HTML)))
}

/// `GET /note/{slug}`: one published note; drafts, deleted and unknown
/// slugs are all simply not found.
pub async fn note(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let key = format!("note:{slug}");
    let cached = match state.cache.page(&key) {
        Some(hit) => hit,
        None => {
            let epoch = state.cache.epoch();
            let found = match state.store.find_public(&slug).await {
                Ok(Some(found)) => found,
                Ok(None) => return Err(WebError::NotFound),
                Err(StoreError::Damaged(damage)) => {
                    state.report_damage(&[*damage]);
                    return Err(WebError::NoteDamaged);
                }
                Err(e) => return Err(e.into()),
            };
            let site = &state.settings.site;
            let html = NotePage {
                ctx: PageContext { site },
                note: note_views(&state, std::slice::from_ref(&found))
                    .await?
                    .pop()
                    .expect("one view for one note"),
            }
            .render()
            .map_err(render_failed)?;
            let modified = found.note.updated_at;
            let fresh = Arc::new(Versioned {
                epoch,
                response: Cached::new(html, modified, HTML),
            });
            state.cache.store_page(key, fresh.clone());
            fresh
        }
    };
    Ok(cached.response.respond(&req, &page_cache_control()))
}

pub(super) fn render_failed(e: askama::Error) -> WebError {
    WebError::internal("cannot render the page", e)
}
