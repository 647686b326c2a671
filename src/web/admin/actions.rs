//! Publishing, deleting and restoring a note from the dashboard.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{done, note_by_id};
use crate::domain::NoteEdit;
use crate::render::{ConfirmDelete, PageContext};
use crate::web::session::{Authorized, CsrfForm, Owner, private_page};
use crate::web::{AppState, WebError};

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    csrf: String,
    /// `true` to publish, `false` to turn back into a draft.
    published: bool,
}

impl CsrfForm for PublishForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/publish/{id}`.
pub async fn set_published(
    state: web::Data<AppState>,
    request: Authorized<PublishForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let note = note_by_id(&state, &id).await?;
    let published = request.form.published;
    state
        .store
        .change(note.slug.as_str(), NoteEdit::publish(published))
        .await?;
    log::info!(
        "admin: {} note {}",
        if published {
            "published"
        } else {
            "unpublished"
        },
        note.slug
    );
    done(
        &state,
        &request.owner,
        if published {
            "Published."
        } else {
            "Turned back into a draft."
        },
    )
    .await
}

/// `GET /admin/delete/{id}`: what will happen, and the button to do it. A
/// live note is deleted softly (restorable); a deleted one can then be
/// removed for good.
pub async fn confirm_delete(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let note = note_by_id(&state, &id).await?;
    private_page(
        StatusCode::OK,
        ConfirmDelete {
            ctx: PageContext {
                site: &state.settings.site,
            },
            csrf: owner.csrf(),
            id: note.id,
            slug: note.slug.as_str(),
            hard: note.deleted_at.is_some(),
        },
    )
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    /// Present for a hard delete (only of a note already deleted).
    hard: Option<String>,
}

impl CsrfForm for DeleteForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/delete/{id}`.
pub async fn delete(
    state: web::Data<AppState>,
    request: Authorized<DeleteForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let note = note_by_id(&state, &id).await?;
    let slug = note.slug.as_str();
    let message = if request.form.hard.is_some() {
        if note.deleted_at.is_none() {
            return Err(WebError::BadRequest(
                "Only a deleted note can be removed for good; delete it first.".into(),
            ));
        }
        state.store.hard_delete(slug).await?;
        log::info!("admin: removed note {slug} for good");
        "Removed for good."
    } else {
        if note.deleted_at.is_some() {
            return done(&state, &request.owner, "Already deleted.").await;
        }
        state.store.change(slug, NoteEdit::delete()).await?;
        log::info!("admin: deleted note {slug}");
        "Deleted. You can restore it from the deleted notes."
    };
    done(&state, &request.owner, message).await
}

#[derive(Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm for RestoreForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/restore/{id}`: brings back a deleted note.
pub async fn restore(
    state: web::Data<AppState>,
    request: Authorized<RestoreForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let note = note_by_id(&state, &id).await?;
    if note.deleted_at.is_none() {
        return done(&state, &request.owner, "That note is not deleted.").await;
    }
    state
        .store
        .change(note.slug.as_str(), NoteEdit::undelete())
        .await?;
    log::info!("admin: restored note {}", note.slug);
    done(&state, &request.owner, "Restored.").await
}
