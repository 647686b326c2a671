//! `GET /admin`: every note, newest first, filterable by state and
//! searchable (drafts, scheduled and unlisted notes too), with each note's
//! title, excerpt, dates, tags and photos.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::NOTES_PER_PAGE;
use crate::domain::{Note, NoteBody, SearchQuery, SearchQueryError};
use crate::render::{AdminNoteRow, Dashboard, PageContext, sent_summary};
use crate::store::NoteFilter;
use crate::web::search::query_value;
use crate::web::session::{Owner, private_page};
use crate::web::{AppState, WebError};

/// `GET /admin?show=…&q=…&page=N`.
pub async fn dashboard(
    state: web::Data<AppState>,
    owner: Owner,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let value = |name: &str| {
        query_value(req.query_string(), name)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let filter = match value("show").as_deref() {
        None | Some("") => NoteFilter::default(),
        Some(text) => NoteFilter::parse(text).ok_or_else(|| {
            WebError::BadRequest(format!(
                "{text:?} is not a list of notes; try current, published, scheduled, unlisted, \
                 drafts or deleted."
            ))
        })?,
    };
    let page = crate::web::pages::page_number(value("page").as_deref())?;
    let offset = (page - 1).saturating_mul(u64::from(NOTES_PER_PAGE));
    let typed = query_value(req.query_string(), "q").unwrap_or_default();
    let (query, query_problem, status) = match SearchQuery::parse_bytes(&typed) {
        Ok(query) => (Some(query), None, StatusCode::OK),
        Err(SearchQueryError::Empty) => (None, None, StatusCode::OK),
        Err(problem) => (None, Some(problem.to_string()), StatusCode::BAD_REQUEST),
    };
    let (notes, more) = match &query {
        Some(query) => {
            let found = state
                .store
                .owner_search(filter, query, offset, NOTES_PER_PAGE)
                .await?;
            let notes = found
                .notes
                .into_iter()
                .map(|n| (n.note, Some(n.body)))
                .collect();
            (notes, found.has_more)
        }
        None if query_problem.is_some() => (Vec::new(), false),
        None => {
            let (notes, more) = state
                .store
                .owner_page(filter, offset, NOTES_PER_PAGE)
                .await?;
            (with_texts(&state, notes).await?, more)
        }
    };
    let counts = state.store.note_counts().await?;
    let flash = state.store.take_flash(owner.session_hash()).await?;
    let site = &state.settings.site;
    let shown_query = query.as_ref().map_or_else(
        || SearchQuery::tidy(&String::from_utf8_lossy(&typed)),
        |q| q.as_str().to_owned(),
    );
    let mut base = format!("{}admin?show={}", site.url.path(), filter.as_str());
    if let Some(query) = &query {
        base.push_str("&q=");
        base.extend(url::form_urlencoded::byte_serialize(
            query.as_str().as_bytes(),
        ));
    }
    let ids: Vec<i64> = notes.iter().map(|(note, _)| note.id).collect();
    let sent = state.store.sent_webmentions_of(&ids).await?;
    let now = state.store.now();
    let rows = notes
        .iter()
        .map(|(note, body)| AdminNoteRow {
            webmentions: sent.get(&note.id).and_then(|s| sent_summary(s)),
            ..AdminNoteRow::new(site, note, body.as_ref(), now)
        })
        .collect();
    private_page(
        status,
        Dashboard {
            ctx: PageContext { site },
            csrf: owner.csrf(),
            flash: flash.as_deref(),
            filter,
            counts,
            rows,
            query: &shown_query,
            query_problem,
            newer: (page > 1).then(|| format!("{base}&page={}", page - 1)),
            older: more.then(|| format!("{base}&page={}", page + 1)),
            damaged_notes: state.health.damaged_notes(),
        },
    )
}

/// The notes with their texts, in their order; a note whose file is
/// damaged comes without (its row says so, and offers every action).
async fn with_texts(
    state: &AppState,
    notes: Vec<Note>,
) -> Result<Vec<(Note, Option<NoteBody>)>, WebError> {
    let (found, _damaged) = state.store.with_bodies(notes.clone()).await?;
    let mut bodies: HashMap<i64, NoteBody> =
        found.into_iter().map(|n| (n.note.id, n.body)).collect();
    Ok(notes
        .into_iter()
        .map(|note| {
            let body = bodies.remove(&note.id);
            (note, body)
        })
        .collect())
}
