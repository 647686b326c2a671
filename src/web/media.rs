//! Images: `POST /micropub/media` (the Micropub media endpoint, § 3.6)
//! keeps an upload, `GET /media/…` serves it. Photos sent with a
//! multipart Micropub post are kept the same way.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use futures_util::StreamExt;

use super::bearer::{BearerError, api_error, authenticate, require};
use super::{AppState, WebError, is_not_modified};
use crate::domain::{MediaPath, Scope};
use crate::media::{self, ImageError};
use crate::store::{MediaDir, MediaRecord, StoreError};

/// The most bytes of text fields in one multipart body (a note's text and
/// its properties), apart from the files.
const TEXT_FIELDS_LIMIT: usize = 4 * 1024 * 1024;

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
            UploadError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::Bearer(e) => return e.response(),
            UploadError::Store(e) => {
                log::error!("media: {}", super::error_chain(e));
                let code = "server_error";
                return api_error(StatusCode::INTERNAL_SERVER_ERROR, code, &self.to_string());
            }
        };
        api_error(status, "invalid_request", &self.to_string())
    }
}

/// A multipart body: its text fields in order, and its files (parts that
/// carry a file name) with the name of their part.
#[derive(Debug, Default)]
pub struct MultipartBody {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, Vec<u8>)>,
}

impl MultipartBody {
    /// The `access_token` field, which is a credential, not a property.
    pub fn access_token(&self) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| name == "access_token")
            .map(|(_, value)| value.as_str())
    }
}

/// Reads a multipart body. Each file may hold `file_limit` bytes and there
/// may be `max_files` of them; reading stops as soon as either is passed,
/// so no more than the limits is ever held.
pub async fn read_multipart(
    req: &HttpRequest,
    payload: web::Payload,
    file_limit: u64,
    max_files: usize,
) -> Result<MultipartBody, UploadError> {
    let unreadable = |e: actix_multipart::MultipartError| {
        UploadError::Invalid(format!("the multipart body cannot be read: {e}"))
    };
    let mut parts = Multipart::new(req.headers(), payload);
    let mut body = MultipartBody::default();
    let mut text_bytes = 0;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(unreadable)?;
        let name = part.name().unwrap_or_default().to_owned();
        let is_file = part
            .content_disposition()
            .is_some_and(|disposition| disposition.get_filename().is_some());
        let limit = if is_file {
            if body.files.len() == max_files {
                return Err(UploadError::Invalid(format!(
                    "send at most {max_files} files at once"
                )));
            }
            file_limit
        } else {
            (TEXT_FIELDS_LIMIT - text_bytes) as u64
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(if is_file {
                    UploadError::TooLarge(file_limit)
                } else {
                    UploadError::Invalid(format!(
                        "the text fields are larger than {TEXT_FIELDS_LIMIT} bytes"
                    ))
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            body.files.push((name, bytes));
        } else {
            text_bytes += bytes.len();
            let text = String::from_utf8(bytes)
                .map_err(|_| UploadError::Invalid(format!("the field `{name}` is not UTF-8")))?;
            body.fields.push((name, text));
        }
    }
    Ok(body)
}

/// Checks, cleans and keeps one uploaded image.
pub async fn keep_image(state: &AppState, bytes: Vec<u8>) -> Result<MediaRecord, UploadError> {
    // Decoding and encoding take a while: off the async threads.
    let image = tokio::task::spawn_blocking(move || media::clean(&bytes))
        .await
        .map_err(|e| {
            UploadError::Store(StoreError::Invalid(format!("image task failed: {e}")))
        })??;
    let dir = MediaDir::in_data(&state.settings.data_path);
    state
        .store
        .save_media(&dir, image, Utc::now())
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
        let mut body = read_multipart(&req, payload, state.settings.media_max_bytes, 1).await?;
        let token = authenticate(&state, &req, body.access_token()).await?;
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

/// `GET /media/{path}`: a stored image, with a strong ETag (its SHA-256)
/// and a year of caching. Only paths the site could have made are looked
/// up, so nothing outside the media folder is ever read.
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
    let etag = HeaderValue::from_str(&format!("\"{}\"", record.sha256))
        .map_err(|_| WebError::Internal(StoreError::Invalid("a media hash is not hex".into())))?;
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
                super::error_chain(&e)
            );
            return Err(WebError::NotFound);
        }
    };
    Ok(answer
        .insert_header((header::CONTENT_TYPE, record.content_type))
        .body(bytes))
}
