//! The admin pages: the dashboard, the editor (with its photos), the
//! actions on a note, and the uploads.
//! Every page needs a signed-in [`Owner`]; every change is a `POST` checked
//! by [`Authorized`], goes through the note service like any other writer,
//! and is visible on the public pages at the next request.

mod actions;
mod apps;
mod blocked;
mod dashboard;
mod editor;
mod followers;
mod form;
mod media;
mod mentions;
mod photos;
mod submission;

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::session::{Owner, no_store};
use super::{AppState, WebError};
use crate::domain::Note;

pub use actions::{confirm_delete, delete, restore, set_published};
pub use apps::{apps, revoke_app};
pub use blocked::{block, blocked, unblock};
pub use dashboard::dashboard;
pub use editor::{edit_form, new_form, save_edit, save_new};
pub use followers::{followers, remove_follower};
pub use media::{confirm_media_delete, delete_media, media, upload};
pub use mentions::{distrust, mentions, moderate, sent};

/// Notes on each page of the dashboard.
const NOTES_PER_PAGE: u32 = 25;

/// Back to the dashboard with a one-time message.
async fn done(state: &AppState, owner: &Owner, message: &str) -> Result<HttpResponse, WebError> {
    done_at(state, owner, message, "admin").await
}

/// Back to an admin page (`page`, under the site's path) with a one-time
/// message.
async fn done_at(
    state: &AppState,
    owner: &Owner,
    message: &str,
    page: &str,
) -> Result<HttpResponse, WebError> {
    state.store.set_flash(owner.session_hash(), message).await?;
    // Pages rendered before the change are dropped now, not at the next
    // poll: the owner looks at the site right after.
    state.refresh_revision().await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("{}{page}", state.settings.site.url.path()),
        ))
        .insert_header(no_store())
        .finish())
}

/// The note with this id, in any state, or the 404 page.
async fn note_by_id(state: &web::Data<AppState>, id: &str) -> Result<Note, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    state.store.find_by_id(id).await?.ok_or(WebError::NotFound)
}
