//! `GET /admin`: every note, newest first, filterable by state.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::NOTES_PER_PAGE;
use crate::render::{AdminNoteRow, Dashboard, PageContext, sent_summary};
use crate::store::NoteFilter;
use crate::web::session::{Owner, private_page};
use crate::web::{AppState, WebError};

#[derive(Deserialize)]
pub struct DashboardQuery {
    show: Option<String>,
    page: Option<String>,
}

pub async fn dashboard(
    state: web::Data<AppState>,
    owner: Owner,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, WebError> {
    let filter = match query.show.as_deref() {
        None | Some("") => NoteFilter::default(),
        Some(text) => NoteFilter::parse(text).ok_or_else(|| {
            WebError::BadRequest(format!(
                "{text:?} is not a list of notes; try current, published, drafts or deleted."
            ))
        })?,
    };
    let page = crate::web::pages::page_number(query.page.as_deref())?;
    let offset = (page - 1).saturating_mul(u64::from(NOTES_PER_PAGE));
    let (notes, more) = state
        .store
        .owner_page(filter, offset, NOTES_PER_PAGE)
        .await?;
    let ids: Vec<i64> = notes.iter().map(|note| note.id).collect();
    let sent = state.store.sent_webmentions_of(&ids).await?;
    let counts = state.store.note_counts().await?;
    let flash = state.store.take_flash(owner.session_hash()).await?;
    let site = &state.settings.site;
    let base = format!("{}admin?show={}", site.url.path(), filter.as_str());
    private_page(
        StatusCode::OK,
        Dashboard {
            ctx: PageContext { site },
            csrf: owner.csrf(),
            flash: flash.as_deref(),
            filter,
            counts,
            rows: notes
                .iter()
                .map(|note| AdminNoteRow {
                    webmentions: sent.get(&note.id).and_then(|s| sent_summary(s)),
                    ..AdminNoteRow::new(site, note)
                })
                .collect(),
            newer: (page > 1).then(|| format!("{base}&page={}", page - 1)),
            older: more.then(|| format!("{base}&page={}", page + 1)),
            damaged_notes: state.health.damaged_notes(),
        },
    )
}
