//! Images: `POST /micropub/media` (the Micropub media endpoint, § 3.6)
//! keeps an upload, `GET /media/…` serves it. Photos sent with a
//! multipart Micropub post are kept the same way.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::ApiError;
use super::indieauth_server::bearer::require;
use super::multipart::{MultipartRules, header_token, read_multipart};
use super::{AppState, WebError, is_not_modified};
use crate::domain::{MediaPath, Scope};
use crate::media;
use crate::store::{AccessToken, MediaDir, MediaRecord, StoreError};

/// The media endpoint takes one image per request.
pub const FILES_PER_UPLOAD: usize = 1;

/// Uploads are never changed in place (a new upload gets a new name), so
/// they may be cached for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Checks, cleans and keeps one uploaded image.
pub async fn keep_image(state: &AppState, bytes: Vec<u8>) -> Result<MediaRecord, WebError> {
    // Decoding and encoding take a while and much memory: off the async
    // threads, and only a few at once, so uploads cannot starve the pages.
    let _turn = state
        .image_work
        .acquire()
        .await
        .expect("the image semaphore is never closed");
    let image = tokio::task::spawn_blocking(move || media::prepare(&bytes))
        .await
        .map_err(StoreError::Task)??;
    let dir = MediaDir::in_data(&state.settings.data_path);
    Ok(state
        .store
        .save_media(&dir, image, state.store.now())
        .await?)
}

/// The public address of a stored image.
pub fn media_url(state: &AppState, path: &MediaPath) -> String {
    format!("{}media/{path}", state.settings.site.url)
}

/// `POST /micropub/media`: one part named `file`, answered with 201 and
/// the image's address in `Location`.
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    {
        let header = header_token(&state, &req).await?;
        if let Some(token) = &header {
            require(token, Scope::Media)?;
        }
        let rules = MultipartRules {
            file_limit: state.settings.media_max_bytes,
            max_files: FILES_PER_UPLOAD,
            may_send_files: |token: &AccessToken| require(token, Scope::Media),
        };
        let (mut body, token) = read_multipart(&state, &req, payload, header, rules).await?;
        require(&token, Scope::Media)?;
        let bytes = match body.files.pop() {
            Some((name, bytes)) if name == "file" => bytes,
            Some((name, _)) => {
                return Err(WebError::bad_request(format!(
                    "send the image in a part named `file`, not `{name}`"
                ))
                .into());
            }
            None => {
                return Err(WebError::bad_request(
                    "send the image as a multipart/form-data part named `file`",
                )
                .into());
            }
        };
        let record = keep_image(&state, bytes).await?;
        log::info!("media: {} uploaded {}", token.name, record.path);
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, media_url(&state, &record.path)))
            .finish())
    }
}

/// `GET /media/{path}`: a stored image or its web variant, with a strong
/// ETag (its SHA-256) and a year of caching. Only paths the site could
/// have made are looked up, so nothing outside the media folder is ever
/// read.
pub async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let path = MediaPath::parse(&path).ok_or(WebError::NotFound)?;
    let record = state
        .store
        .find_media(&path)
        .await?
        .ok_or(WebError::NotFound)?;
    let file = record.file(&path).ok_or(WebError::NotFound)?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", file.sha256))
        .map_err(|e| WebError::internal("a stored media hash is not a header value", e))?;
    let last_modified = HeaderValue::from_str(&httpdate::fmt_http_date(record.created_at.into()))
        .expect("an HTTP date is a valid header value");
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::LAST_MODIFIED, last_modified.clone()));
    if is_not_modified(req.headers(), &etag, &last_modified) {
        return Ok(answer.status(StatusCode::NOT_MODIFIED).finish());
    }
    let dir = MediaDir::in_data(&state.settings.data_path);
    let bytes = match state.store.read_media(&dir, &path).await {
        Ok(bytes) => bytes,
        Err(e) => {
            log::error!(
                "media {path} is recorded but cannot be read: {}",
                crate::error::error_chain(&e)
            );
            return Err(WebError::NotFound);
        }
    };
    Ok(answer
        .insert_header((header::CONTENT_TYPE, record.content_type))
        .body(bytes))
}
