//! `/admin/media`: every upload, newest first, with the notes that use it;
//! deleting one nothing uses; and the address the editor's script sends
//! each photo to as it is chosen.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::done_at;
use super::form::{OwnerForm, Refusal};
use crate::domain::Photo;
use crate::render::{ConfirmMediaDelete, MediaLookup, MediaPage, MediaRow, PageContext, PhotoView};
use crate::store::{MediaDir, MediaRemoval};
use crate::web::error::ApiError;
use crate::web::limits::Oversize;
use crate::web::media::{keep_image, media_url};
use crate::web::session::{Authorized, CsrfForm, Owner, no_store, private_page};
use crate::web::{AppState, WebError};

/// Uploads on each page of `/admin/media`.
const UPLOADS_PER_PAGE: u32 = 24;

/// The field the script sends a photo in.
const FILE_FIELD: &str = "file";

#[derive(Deserialize)]
pub struct MediaQuery {
    page: Option<String>,
}

/// `GET /admin/media`.
pub async fn media(
    state: web::Data<AppState>,
    owner: Owner,
    query: web::Query<MediaQuery>,
) -> Result<HttpResponse, WebError> {
    let page = crate::web::pages::page_number(query.page.as_deref())?;
    let offset = (page - 1).saturating_mul(u64::from(UPLOADS_PER_PAGE));
    let (items, more) = state.store.media_items(offset, UPLOADS_PER_PAGE).await?;
    let flash = state.store.take_flash(owner.session_hash()).await?;
    let site = &state.settings.site;
    let base = format!("{}admin/media", site.url.path());
    private_page(
        StatusCode::OK,
        MediaPage {
            ctx: PageContext { site },
            csrf: owner.csrf(),
            flash: flash.as_deref(),
            rows: items.iter().map(|item| MediaRow::new(site, item)).collect(),
            newer: match page {
                1 => None,
                2 => Some(base.clone()),
                _ => Some(format!("{base}?page={}", page - 1)),
            },
            older: more.then(|| format!("{base}?page={}", page + 1)),
        },
    )
}

/// `GET /admin/media/delete/{id}`: the Delete button, or, for an upload
/// in use, the notes to remove it from first.
pub async fn confirm_media_delete(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let item = state
        .store
        .media_item(media_id(&id)?)
        .await?
        .ok_or(WebError::NotFound)?;
    confirmation(
        &state,
        &owner,
        MediaRow::new(&state.settings.site, &item),
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct MediaDeleteForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm for MediaDeleteForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/media/delete/{id}`: removes an upload nothing uses; one
/// in use is refused (409) with the notes that use it.
pub async fn delete_media(
    state: web::Data<AppState>,
    request: Authorized<MediaDeleteForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let dir = MediaDir::in_data(&state.settings.data_path);
    let owner = request.owner;
    match state.store.remove_media(&dir, media_id(&id)?).await? {
        None => Err(WebError::NotFound),
        Some(MediaRemoval::Removed(record)) => {
            log::info!("admin: deleted the upload {}", record.path);
            done_at(&state, &owner, "Deleted the upload.", "admin/media").await
        }
        Some(MediaRemoval::InUse(item)) => {
            let row = MediaRow::new(&state.settings.site, &item);
            confirmation(&state, &owner, row, StatusCode::CONFLICT)
        }
    }
}

fn confirmation(
    state: &AppState,
    owner: &Owner,
    row: MediaRow,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    private_page(
        status,
        ConfirmMediaDelete {
            ctx: PageContext {
                site: &state.settings.site,
            },
            csrf: owner.csrf(),
            row,
        },
    )
}

fn media_id(id: &str) -> Result<i64, WebError> {
    id.parse().map_err(|_| WebError::NotFound)
}

/// `POST /admin/media/upload`: one image in the field `file`, from the
/// editor's script, kept exactly as the media endpoint keeps one; answered
/// with 201, its address in `Location`, and JSON saying what the editor
/// shows of it (errors as the APIs' JSON).
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let form = OwnerForm::read(&req, payload.into_inner()).await?;
    match form.refused.first().map(|refused| refused.why) {
        Some(Refusal::TooLarge { limit }) => {
            return Err(WebError::TooLarge(Oversize::File { limit }).into());
        }
        Some(Refusal::TooMany { .. }) => return Err(one_file().into()),
        None => {}
    }
    let mut files = form.files;
    let file = match files.pop() {
        Some(file) if files.is_empty() && file.field == FILE_FIELD => file,
        _ => return Err(one_file().into()),
    };
    let record = keep_image(&state, file.bytes).await?;
    log::info!("admin: uploaded {}", record.path);
    let url = media_url(&state, &record.path);
    let photo = Photo {
        url: url.clone(),
        alt: None,
    };
    let media = MediaLookup::from([(record.path.clone(), record.clone())]);
    let view = PhotoView::new(&state.settings.site, &photo, &media);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, url.clone()))
        .insert_header(no_store())
        .json(json!({
            "url": url,
            "thumbnail": view.src,
            "width": view.width,
            "height": view.height,
            "type": record.content_type,
            "bytes": record.bytes,
        })))
}

fn one_file() -> WebError {
    WebError::bad_request(format!(
        "send one image, as a multipart/form-data part named `{FILE_FIELD}`"
    ))
}
