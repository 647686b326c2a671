//! `/tags` and `/tag/{key}`: the notes by topic, rendered once per change
//! and served from memory like the home page.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::cache::{CacheKey, Rendered};
use super::pages::{HTML, ListQuery, NOTES_PER_PAGE, page_number, render_failed};
use super::views::note_views;
use super::{AppState, WebError};
use crate::domain::tag_url_form;
use crate::render::{
    FeedChannel, FeedFormat, PageContext, TagPage, TagView, TagsPage, render_feed,
};

/// `GET /tags`: every tag on a published note.
pub async fn tags(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    state
        .serve_cached(&req, CacheKey::Tags, || render_tags(&state))
        .await
}

async fn render_tags(state: &AppState) -> Result<Option<Rendered>, WebError> {
    let site_state = state.store.site_state().await?;
    let site = &state.settings.site;
    let counts = state.store.tag_counts().await?;
    let html = TagsPage {
        ctx: PageContext { site },
        tags: counts
            .iter()
            .map(|c| (TagView::new(site, &c.tag), c.notes))
            .collect(),
    }
    .render()
    .map_err(render_failed)?;
    Ok(Some(Rendered::new(html, site_state.changed_at, HTML)))
}

/// `GET /tag/{key}`: the tag's published notes, newest first, 20 a page.
/// Another spelling of the key (`/tag/Web%20Dev`) is sent to the tag's
/// address (`/tag/web-dev`); a tag no published note carries is not found.
pub async fn tag(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let page = page_number(query.page.as_deref())?;
    let canonical = tag_url_form(&key);
    if canonical.is_empty() {
        return Err(WebError::NotFound);
    }
    if canonical != *key {
        let mut location = state.settings.site.url.join(&format!("tag/{canonical}"));
        if page > 1 {
            location.push_str(&format!("?page={page}"));
        }
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, location))
            .finish());
    }
    let cache_key = CacheKey::Tag {
        key: key.clone(),
        page,
    };
    state
        .serve_cached(&req, cache_key, || render_tag(&state, &key, page))
        .await
}

/// `None` for an unknown tag or a page past the last one.
async fn render_tag(state: &AppState, key: &str, page: u64) -> Result<Option<Rendered>, WebError> {
    let site_state = state.store.site_state().await?;
    let Some(tag) = state.store.find_public_tag(key).await? else {
        return Ok(None);
    };
    let offset = (page - 1).saturating_mul(u64::from(NOTES_PER_PAGE));
    let found = state.store.tag_page(key, offset, NOTES_PER_PAGE).await?;
    state.report_damage(&found.damaged);
    if found.notes.is_empty() && found.damaged.is_empty() && page > 1 {
        return Ok(None);
    }
    let site = &state.settings.site;
    let tag = TagView::new(site, &tag);
    let page_link = |n: u64| {
        let path = format!("{}tag/{}", site.url.path(), tag.key);
        if n == 1 {
            path
        } else {
            format!("{path}?page={n}")
        }
    };
    let html = TagPage {
        ctx: PageContext { site },
        notes: note_views(state, &found.notes).await?,
        newer: (page > 1).then(|| page_link(page - 1)),
        older: found.has_older.then(|| page_link(page + 1)),
        tag,
        page,
    }
    .render()
    .map_err(render_failed)?;
    Ok(Some(Rendered::new(html, site_state.changed_at, HTML)))
}

/// `GET /tag/{key}/feed.{xml,atom,json}`: one tag's published notes as a
/// feed, cached per change like the site's feeds (in the page cache: there
/// is one per tag and format).
pub async fn tag_feed(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (key, extension) = path.into_inner();
    let format = FeedFormat::from_extension(&extension).ok_or(WebError::NotFound)?;
    if tag_url_form(&key) != key {
        return Err(WebError::NotFound);
    }
    let cache_key = CacheKey::TagFeed {
        key: key.clone(),
        format,
    };
    state
        .serve_cached(&req, cache_key, || render_tag_feed(&state, &key, format))
        .await
}

async fn render_tag_feed(
    state: &AppState,
    key: &str,
    format: FeedFormat,
) -> Result<Option<Rendered>, WebError> {
    let site_state = state.store.site_state().await?;
    let Some(tag) = state.store.find_public_tag(key).await? else {
        return Ok(None);
    };
    let page = state
        .store
        .tag_page(key, 0, state.settings.feed_max_items)
        .await?;
    state.report_damage(&page.damaged);
    let site = &state.settings.site;
    let notes = note_views(state, &page.notes).await?;
    // No hub: WebSub pings name the site's three feeds only, so a tag feed
    // naming the hub would promise pushes that never come.
    let channel = FeedChannel::tag(site, &TagView::new(site, &tag), None, site_state.changed_at);
    let body = render_feed(format, site, &channel, &notes);
    Ok(Some(Rendered::new(
        body,
        site_state.changed_at,
        format.content_type(),
    )))
}
