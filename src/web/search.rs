//! `GET /search?q=…`: full-text search over the published notes. Results
//! are not cached (any text can be asked), but each search is one indexed
//! query plus reading the twenty notes shown. Each answer says how long the
//! server spent on it in a `Server-Timing` header, which the benchmark reads.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::pages::{HTML, page_number, render_failed};
use super::{AppState, WebError};
use crate::domain::SearchQuery;
use crate::render::{PageContext, SearchHitView, SearchResultsPage};

/// Results on each page.
const RESULTS_PER_PAGE: u32 = 20;

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    page: Option<String>,
}

pub async fn search(
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, WebError> {
    let started = Instant::now();
    let page = page_number(params.page.as_deref())?;
    let site = &state.settings.site;
    let typed = params.q.as_deref().unwrap_or("");
    let mut view = SearchResultsPage {
        ctx: PageContext { site },
        query: "",
        problem: None,
        hits: Vec::new(),
        page,
        newer: None,
        older: None,
    };
    let tidied;
    let status = if typed.trim().is_empty() {
        // The search page itself, with an empty box.
        StatusCode::OK
    } else {
        match SearchQuery::parse(typed) {
            Err(problem) => {
                view.problem = Some(problem.to_string());
                // Show what was typed, cut to what the box takes.
                tidied = typed.chars().take(200).collect::<String>();
                view.query = &tidied;
                StatusCode::BAD_REQUEST
            }
            Ok(query) => {
                let offset = (page - 1).saturating_mul(u64::from(RESULTS_PER_PAGE));
                let found = state.store.search(&query, offset, RESULTS_PER_PAGE).await?;
                let link = |n: u64| {
                    let q: String =
                        url::form_urlencoded::byte_serialize(query.as_str().as_bytes()).collect();
                    if n == 1 {
                        format!("{}search?q={q}", site.url.path())
                    } else {
                        format!("{}search?q={q}&page={n}", site.url.path())
                    }
                };
                view.newer = (page > 1).then(|| link(page - 1));
                view.older = found.has_more.then(|| link(page + 1));
                view.hits = found
                    .notes
                    .iter()
                    .map(|note| SearchHitView::new(site, note, &query))
                    .collect();
                tidied = query.as_str().to_owned();
                view.query = &tidied;
                StatusCode::OK
            }
        }
    };
    let html = view.render().map_err(render_failed)?;
    let spent = started.elapsed().as_secs_f64() * 1000.0;
    Ok(HttpResponse::build(status)
        .insert_header(("Server-Timing", format!("search;dur={spent:.2}")))
        .content_type(HTML)
        // Results change with every note; never kept by a shared cache.
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .body(html))
}
