//! Images: `POST /micropub/media` (the Micropub media endpoint, § 3.6)
//! keeps an upload, `GET /media/…` serves it. Photos sent with a
//! multipart Micropub post are kept the same way.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::indieauth_server::bearer::{BearerError, api_error, require};
use super::multipart::{MultipartRules, header_token, read_multipart};
use super::{AppState, WebError, is_not_modified};
use crate::domain::{MediaPath, Scope};
use crate::media::{self, ImageError};
use crate::store::{AccessToken, MediaDir, MediaRecord, StoreError};

/// The media endpoint takes one image per request.
pub const FILES_PER_UPLOAD: usize = 1;

/// Uploads are never changed in place (a new upload gets a new name), so
/// they may be cached for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    NotAnImage(#[from] ImageError),
    #[error("the file is larger than the {0} bytes this site accepts")]
    TooLarge(u64),
    #[error("the request is larger than this site accepts")]
    BodyTooLarge,
    #[error(
        "with the access token in the body, a request may carry {0} bytes of files in all; \
         send the token in the Authorization header to send more"
    )]
    BodyTokenTooLarge(u64),
    #[error(transparent)]
    Bearer(#[from] BearerError),
    #[error("the file could not be saved")]
    Store(#[source] StoreError),
}

impl UploadError {
    pub fn response(&self) -> HttpResponse {
        let status = match self {
            UploadError::Invalid(_) => StatusCode::BAD_REQUEST,
            UploadError::NotAnImage(ImageError::TooManyPixels) => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::NotAnImage(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            UploadError::TooLarge(_)
            | UploadError::BodyTooLarge
            | UploadError::BodyTokenTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::Bearer(e) => return e.response(),
            UploadError::Store(e) => {
                log::error!("media: {}", crate::error::error_chain(e));
                let code = "server_error";
                let answer = api_error(StatusCode::INTERNAL_SERVER_ERROR, code, &self.to_string());
                return super::error::marked(answer, self);
            }
        };
        api_error(status, "invalid_request", &self.to_string())
    }
}

/// Checks, cleans and keeps one uploaded image.
pub async fn keep_image(state: &AppState, bytes: Vec<u8>) -> Result<MediaRecord, UploadError> {
    // Decoding and encoding take a while and much memory: off the async
    // threads, and only a few at once, so uploads cannot starve the pages.
    let _turn = state
        .image_work
        .acquire()
        .await
        .expect("the image semaphore is never closed");
    let image = tokio::task::spawn_blocking(move || media::prepare(&bytes))
        .await
        .map_err(|e| UploadError::Store(StoreError::Task(e)))??;
    let dir = MediaDir::in_data(&state.settings.data_path);
    state
        .store
        .save_media(&dir, image, state.store.now())
        .await
        .map_err(UploadError::Store)
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
) -> HttpResponse {
    let answered = async {
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
                return Err(UploadError::Invalid(format!(
                    "send the image in a part named `file`, not `{name}`"
                )));
            }
            None => {
                return Err(UploadError::Invalid(
                    "send the image as a multipart/form-data part named `file`".into(),
                ));
            }
        };
        let record = keep_image(&state, bytes).await?;
        log::info!("media: {} uploaded {}", token.name, record.path);
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, media_url(&state, &record.path)))
            .finish())
    }
    .await;
    answered.unwrap_or_else(|e: UploadError| e.response())
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
