//! `/sitemap.xml` (and its parts on a site with more than 50 000 URLs) and
//! `/robots.txt`, rendered once per change and served from memory with
//! the feeds' validators and caching.

use actix_web::{HttpRequest, HttpResponse, web};

use super::conditional::Cached;
use super::state::DocumentKey;
use super::{AppState, WebError};
use crate::render::{SitemapUrl, robots_txt, sitemap, sitemap_part};

const XML: &str = "application/xml; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// `GET /sitemap.xml`
pub async fn index(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    let cached = state
        .document(DocumentKey::Sitemap, || render(&state, None))
        .await?;
    Ok(cached.response.respond(&req, &state.feed_cache_control))
}

/// `GET /sitemap-{number}.xml`: a part named by the index; any other
/// number is not found.
pub async fn part(
    state: web::Data<AppState>,
    req: HttpRequest,
    number: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    // One address per part: `/sitemap-01.xml` is not `/sitemap-1.xml`.
    let number: usize = number
        .parse()
        .ok()
        .filter(|n: &usize| n.to_string() == *number)
        .ok_or(WebError::NotFound)?;
    let cached = state
        .document(DocumentKey::SitemapPart(number), || {
            render(&state, Some(number))
        })
        .await?;
    Ok(cached.response.respond(&req, &state.feed_cache_control))
}

/// `GET /robots.txt`
pub async fn robots(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let cached = state
        .document(DocumentKey::Robots, || async {
            let changed_at = state.store.site_state().await?.changed_at;
            Ok(Cached::new(
                robots_txt(&state.settings.site),
                changed_at,
                TEXT,
            ))
        })
        .await?;
    Ok(cached.response.respond(&req, &state.feed_cache_control))
}

/// `/sitemap.xml` for `None`, else that part.
async fn render(state: &AppState, part: Option<usize>) -> Result<Cached, WebError> {
    let site_state = state.store.site_state().await?;
    let urls = site_urls(state, site_state.changed_at).await?;
    let max_urls = state.settings.sitemap_max_urls;
    let xml = match part {
        None => sitemap(&state.settings.site, &urls, max_urls),
        Some(number) => sitemap_part(&urls, max_urls, number).ok_or(WebError::NotFound)?,
    };
    Ok(Cached::new(xml, site_state.changed_at, XML))
}

/// Every public page, in a fixed order: the home page (changed whenever
/// the data did), each published note from the oldest, then
/// [`tag_page_urls`].
async fn site_urls(
    state: &AppState,
    changed_at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<SitemapUrl>, WebError> {
    let site = &state.settings.site;
    let notes = state.store.published_index().await?;
    let mut urls = Vec::with_capacity(notes.len() + 1);
    urls.push(SitemapUrl {
        loc: site.url.as_str().to_owned(),
        lastmod: changed_at,
    });
    urls.extend(notes.into_iter().map(|(slug, updated)| SitemapUrl {
        loc: site.url.join(&format!("note/{slug}")),
        lastmod: updated,
    }));
    urls.extend(tag_page_urls(state).await?);
    Ok(urls)
}

/// Each tag's page (`/tag/{key}`), with the latest change among its
/// published notes as `lastmod`, then the list of tags.
async fn tag_page_urls(state: &AppState) -> Result<Vec<SitemapUrl>, WebError> {
    let site = &state.settings.site;
    let tags = state.store.tag_last_changes().await?;
    let newest = tags.iter().map(|(_, at)| *at).max();
    let mut urls: Vec<SitemapUrl> = tags
        .into_iter()
        .map(|(key, lastmod)| SitemapUrl {
            loc: site.url.join(&format!("tag/{key}")),
            lastmod,
        })
        .collect();
    if let Some(lastmod) = newest {
        urls.push(SitemapUrl {
            loc: site.url.join("tags"),
            lastmod,
        });
    }
    Ok(urls)
}
