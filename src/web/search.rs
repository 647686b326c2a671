//! `GET /search?q=…`: full-text search over the published notes. Results
//! are not cached (any text can be asked), but each search is one indexed
//! query plus reading the twenty notes shown. Each answer says how long the
//! server spent on it in a `Server-Timing` header, which the benchmark reads.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::pages::{HTML, page_number, render_failed};
use super::{AppState, WebError};
use crate::domain::{MAX_QUERY_CHARS, SearchQuery, SearchQueryError};
use crate::render::{PageContext, SearchHitView, SearchResultsPage, search_link};

/// Results on each page.
const RESULTS_PER_PAGE: u32 = 20;

/// The value of the first `name=…` in a query string, percent-decoded but
/// not yet read as text. actix-web's `Query` would replace bytes that are
/// not UTF-8 with U+FFFD and so search for something other than was sent;
/// the search says so instead.
pub(crate) fn query_value(query_string: &str, name: &str) -> Option<Vec<u8>> {
    query_string.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(key) == name.as_bytes()).then(|| form_decode(value))
    })
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space.
fn form_decode(text: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(&text.replace('+', " ")).collect()
}

/// `GET /search?q=…&page=N`: the form, a page of results, or a 400 page
/// saying why the query cannot be looked for.
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let started = Instant::now();
    let page_text = query_value(req.query_string(), "page")
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let page = page_number(page_text.as_deref())?;
    let site = &state.settings.site;
    let typed = query_value(req.query_string(), "q").unwrap_or_default();
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
    let status = match SearchQuery::parse_bytes(&typed) {
        // The search page itself, with an empty box.
        Err(SearchQueryError::Empty) => StatusCode::OK,
        Err(problem) => {
            view.problem = Some(problem.to_string());
            // Show what was typed, cut to what the box takes.
            tidied = SearchQuery::tidy(&String::from_utf8_lossy(&typed))
                .chars()
                .take(MAX_QUERY_CHARS)
                .collect::<String>();
            view.query = &tidied;
            StatusCode::BAD_REQUEST
        }
        Ok(query) => {
            let offset = (page - 1).saturating_mul(u64::from(RESULTS_PER_PAGE));
            let found = state.store.search(&query, offset, RESULTS_PER_PAGE).await?;
            let link = |n: u64| format!("{}{}", site.url.path(), search_link(query.as_str(), n));
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

#[cfg(test)]
mod tests {
    use super::query_value;

    #[test]
    fn query_values_are_the_bytes_sent() {
        assert_eq!(
            query_value("q=a+b%2Bc&page=2", "q"),
            Some(b"a b+c".to_vec())
        );
        assert_eq!(
            query_value("page=2&q=%ED%A0%80", "q"),
            Some(vec![0xed, 0xa0, 0x80])
        );
        assert_eq!(
            query_value("q=first&q=second", "q"),
            Some(b"first".to_vec())
        );
        assert_eq!(query_value("%71=x", "q"), Some(b"x".to_vec()));
        assert_eq!(query_value("q", "q"), Some(Vec::new()));
        assert_eq!(query_value("qq=x&&page=1", "q"), None);
    }
}
