//! `/sitemap.xml` (and its parts on a site with more than 2 000 URLs) and
//! `/robots.txt`, rendered once per change and served from memory with
//! the feeds' validators and caching.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};

use super::cache::{CacheKey, Rendered};
use super::{AppState, WebError};
use crate::render::{SitemapIndex, SitemapLayout, UrlSet, robots_txt};

const XML: &str = "application/xml; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// `GET /sitemap.xml`
pub async fn index(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    state
        .serve_cached(&req, CacheKey::Sitemap, || render(&state, None))
        .await
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
    state
        .serve_cached(&req, CacheKey::SitemapPart(number), || {
            render(&state, Some(number))
        })
        .await
}

/// `GET /robots.txt`
pub async fn robots(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    state
        .serve_cached(&req, CacheKey::Robots, || async {
            let changed_at = state.store.site_state().await?.changed_at;
            let body = robots_txt(&state.settings.site);
            Ok(Some(Rendered::new(body, changed_at, TEXT)))
        })
        .await
}

/// `/sitemap.xml` for `None`, else that part. The URLs come in a fixed
/// order: the home page (changed whenever the data did), each published
/// note from the oldest, each tag's page, then the list of tags. Notes are
/// read one at a time, and the index reads only their dates, so a large
/// site is never held in memory.
async fn render(state: &AppState, part: Option<usize>) -> Result<Option<Rendered>, WebError> {
    let site = &state.settings.site;
    let site_state = state.store.site_state().await?;
    let changed_at = site_state.changed_at;
    let tags = tag_page_urls(state).await?;
    let notes = usize::try_from(state.store.note_counts().await?.published).unwrap_or(0);
    let total = 1 + notes + tags.len();
    let max_urls = state.settings.sitemap_max_urls;
    let layout = SitemapLayout::of(total, max_urls);
    let note_url = |slug: &str| site.url.join(&format!("note/{slug}"));
    let xml = match part {
        None if layout == SitemapLayout::Single => {
            let mut set = UrlSet::new(total);
            set.push(site.url.as_str(), changed_at);
            state
                .store
                .each_listed(0, notes, |slug, updated| set.push(&note_url(slug), updated))
                .await?;
            for (loc, lastmod) in &tags {
                set.push(loc, *lastmod);
            }
            set.finish()
        }
        None => {
            let mut index = SitemapIndex::new(max_urls);
            index.push(changed_at);
            // The home page leads the first part.
            for (count, latest) in state.store.listed_runs(max_urls, 1).await? {
                index.push_run(count, latest);
            }
            for (_, lastmod) in &tags {
                index.push(*lastmod);
            }
            index.finish(site)
        }
        Some(number) => {
            let Some(range) = layout.part_range(total, max_urls, number) else {
                return Ok(None);
            };
            let mut set = UrlSet::new(range.len());
            if range.start == 0 {
                set.push(site.url.as_str(), changed_at);
            }
            // Notes sit at positions 1..=notes.
            let first_note = range.start.max(1) - 1;
            let last_note = range.end.min(1 + notes).saturating_sub(1);
            if first_note < last_note {
                state
                    .store
                    .each_listed(first_note, last_note - first_note, |slug, updated| {
                        set.push(&note_url(slug), updated)
                    })
                    .await?;
            }
            let first_tag = range.start.max(1 + notes) - (1 + notes);
            let last_tag = range.end.max(1 + notes) - (1 + notes);
            for (loc, lastmod) in tags.iter().take(last_tag).skip(first_tag) {
                set.push(loc, *lastmod);
            }
            set.finish()
        }
    };
    Ok(Some(Rendered::new(xml, changed_at, XML)))
}

/// Each tag's page (`/tag/{key}`), with the latest change among its
/// published notes as `lastmod`, then the list of tags: far fewer than
/// notes, so held as a list.
async fn tag_page_urls(state: &AppState) -> Result<Vec<(String, DateTime<Utc>)>, WebError> {
    let site = &state.settings.site;
    let tags = state.store.tag_last_changes().await?;
    let newest = tags.iter().map(|(_, at)| *at).max();
    let mut urls: Vec<(String, DateTime<Utc>)> = tags
        .into_iter()
        .map(|(key, lastmod)| (site.url.join(&format!("tag/{key}")), lastmod))
        .collect();
    if let Some(lastmod) = newest {
        urls.push((site.url.join("tags"), lastmod));
    }
    Ok(urls)
}
