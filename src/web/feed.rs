//! The site's feed: `/feed.xml` (RSS 2.0), `/feed.atom` (Atom 1.0) and
//! `/feed.json` (JSON Feed 1.1), each rendered once per change and served
//! from memory, and `/feed`, which picks one of them by `Accept`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::cache::{CacheKey, Rendered};
use super::negotiate::preferred;
use super::views::note_views;
use super::{AppState, WebError};
use crate::render::{FeedChannel, FeedFormat, render_feed, site_feed_url};

/// What `/feed` offers, in order of preference, and the media types each
/// answers to: generic XML means RSS, generic JSON means JSON Feed.
const OFFERS: &[(FeedFormat, &[&str])] = &[
    (
        FeedFormat::Rss,
        &["application/rss+xml", "application/xml", "text/xml"],
    ),
    (FeedFormat::Atom, &["application/atom+xml"]),
    (
        FeedFormat::Json,
        &["application/feed+json", "application/json"],
    ),
];

/// `GET /feed.xml`
pub async fn rss(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    serve(&state, &req, FeedFormat::Rss).await
}

/// `GET /feed.atom`
pub async fn atom(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    serve(&state, &req, FeedFormat::Atom).await
}

/// `GET /feed.json`
pub async fn json(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    serve(&state, &req, FeedFormat::Json).await
}

/// `GET /feed`: the format the client prefers, 406 with links to all three
/// when it takes none of them. Caches must keep one copy per `Accept`;
/// `Content-Location` names the address of the copy served.
pub async fn negotiated(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let format = preferred(req.headers(), OFFERS).ok_or(WebError::NotAcceptable)?;
    let mut response = serve(&state, &req, format).await?;
    let headers = response.headers_mut();
    // Each format is also kept compressed, chosen by Accept-Encoding.
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Encoding"),
    );
    if let Ok(location) = HeaderValue::from_str(&site_feed_url(&state.settings.site, format)) {
        headers.insert(header::CONTENT_LOCATION, location);
    }
    Ok(response)
}

async fn serve(
    state: &AppState,
    req: &HttpRequest,
    format: FeedFormat,
) -> Result<HttpResponse, WebError> {
    state
        .serve_cached(req, CacheKey::Feed(format), || {
            render_site_feed(state, format)
        })
        .await
}

async fn render_site_feed(
    state: &AppState,
    format: FeedFormat,
) -> Result<Option<Rendered>, WebError> {
    let site_state = state.store.site_state().await?;
    let page = state
        .store
        .public_page(0, state.settings.feed_max_items)
        .await?;
    state.report_damage(&page.damaged);
    let site = &state.settings.site;
    let notes = note_views(state, &page.notes).await?;
    let channel = FeedChannel::site(
        site,
        state.settings.websub_hub.as_ref(),
        site_state.changed_at,
    );
    let body = render_feed(format, site, &channel, &notes);
    Ok(Some(Rendered::new(
        body,
        site_state.changed_at,
        format.content_type(),
    )))
}
