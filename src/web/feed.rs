//! `GET /feed.xml`: RSS 2.0, rendered once per change and served from memory.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};

use super::conditional::Cached;
use super::state::Versioned;
use super::{AppState, WebError};
use crate::render::{NoteView, rss};

const RSS: &str = "application/rss+xml; charset=utf-8";

pub async fn feed(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    let cached = match state.cache.feed() {
        Some(hit) => hit,
        None => {
            let epoch = state.cache.epoch();
            let fresh = Arc::new(Versioned {
                epoch,
                response: render_feed(&state).await?,
            });
            state.cache.store_feed(fresh.clone());
            fresh
        }
    };
    Ok(cached.response.respond(&req, &state.feed_cache_control))
}

async fn render_feed(state: &AppState) -> Result<Cached, WebError> {
    let site_state = state.store.site_state().await?;
    let page = state
        .store
        .public_page(0, state.settings.feed_max_items)
        .await?;
    state.report_damage(&page.damaged);
    let site = &state.settings.site;
    let notes: Vec<NoteView> = page.notes.iter().map(|n| NoteView::new(site, n)).collect();
    let xml = rss(site, &notes, site_state.changed_at);
    Ok(Cached::new(xml, site_state.changed_at, RSS))
}
