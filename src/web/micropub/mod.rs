//! `/micropub`: apps post, edit, delete and restore notes, and ask about
//! the site (W3C Micropub). Every change goes through the note service
//! like any other writer's; answers are JSON, errors as Micropub § 3.8
//! gives them.

mod post;
mod query;
mod request;
mod write;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use super::AppState;
use super::indieauth_server::bearer::{BearerError, api_error, authenticate};
use super::media::{UploadError, keep_image, media_url};
use super::multipart::{MultipartRules, header_token, is_multipart, media_type, read_multipart};
use crate::domain::{MAX_PHOTOS, Scope};
use crate::error::ErrorKind;
use crate::store::{AccessToken, MediaDir, MediaRecord, StoreError};
use request::{Action, MicropubRequest};

/// Why a Micropub request failed.
#[derive(Debug, thiserror::Error)]
pub enum MicropubError {
    #[error("{0}")]
    Invalid(String),
    #[error("there is no post at {0}")]
    UnknownUrl(String),
    #[error("{0}")]
    UnsupportedType(String),
    #[error(transparent)]
    Bearer(#[from] BearerError),
    #[error(transparent)]
    Upload(#[from] UploadError),
    #[error("{0}")]
    Conflict(String),
    #[error("the post could not be saved")]
    Store(#[source] StoreError),
}

impl MicropubError {
    pub fn invalid(message: impl Into<String>) -> MicropubError {
        MicropubError::Invalid(message.into())
    }

    fn response(&self) -> HttpResponse {
        let (status, code) = match self {
            MicropubError::Invalid(_) | MicropubError::UnknownUrl(_) => {
                (StatusCode::BAD_REQUEST, "invalid_request")
            }
            MicropubError::UnsupportedType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_request")
            }
            MicropubError::Conflict(_) => (StatusCode::CONFLICT, "invalid_request"),
            MicropubError::Bearer(e) => return e.response(),
            MicropubError::Upload(e) => return e.response(),
            MicropubError::Store(e) => {
                log::error!("micropub: {}", crate::error::error_chain(e));
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
            }
        };
        super::error::marked(api_error(status, code, &self.to_string()), self)
    }
}

impl From<StoreError> for MicropubError {
    fn from(e: StoreError) -> MicropubError {
        match e.kind() {
            // Rules of the note service (slug, size, …) are the request's fault.
            ErrorKind::Invalid | ErrorKind::TooLarge | ErrorKind::NotFound => {
                MicropubError::Invalid(e.to_string())
            }
            ErrorKind::Conflict => MicropubError::Conflict(e.to_string()),
            ErrorKind::Internal => MicropubError::Store(e),
        }
    }
}

/// `GET /micropub?q=…`
pub async fn get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let answered = async {
        let token = authenticate(&state, &req, None).await?;
        query::answer(&state, &token, req.query_string()).await
    }
    .await;
    answered.unwrap_or_else(|e| e.response())
}

/// `POST /micropub`: create, update, delete or undelete. A token in the
/// header is checked before the body is read.
pub async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let answered = async {
        let header = header_token(&state, &req).await?;
        let (request, photos, token) = read_request(&state, &req, payload, header).await?;
        let token = match (token, request.access_token.as_deref()) {
            (Some(_), Some(_)) => return Err(BearerError::Both.into()),
            (Some(token), None) => token,
            (None, body_token) => authenticate(&state, &req, body_token).await?,
        };
        let mut uploaded = Vec::new();
        let done = async {
            let action =
                with_uploaded_photos(&state, &token, request.action, photos, &mut uploaded).await?;
            write::perform(&state, &token, action).await
        }
        .await;
        if done.is_err() && !uploaded.is_empty() {
            // The post was not saved: neither are its photos.
            let dir = MediaDir::in_data(&state.settings.data_path);
            if let Err(e) = state.store.remove_uploads(&dir, &uploaded).await {
                log::warn!(
                    "micropub: the photos of a failed post stay until unused uploads are \
                     removed: {}",
                    crate::error::error_chain(&e)
                );
            }
        }
        done
    }
    .await;
    answered.unwrap_or_else(|e| e.response())
}

/// Whether a token may send photos with a post: only with a create, so it
/// needs a scope that creates.
fn may_post_photos(token: &AccessToken) -> Result<(), BearerError> {
    if token.scopes.contains(Scope::Create) || token.scopes.contains(Scope::Draft) {
        Ok(())
    } else {
        Err(BearerError::InsufficientScope(Scope::Create))
    }
}

/// Photos uploaded with a create are kept first (listed in `uploaded`),
/// then named by their addresses among the post's `photo` values, after
/// any given by URL.
async fn with_uploaded_photos(
    state: &AppState,
    token: &AccessToken,
    action: Action,
    photos: Vec<Vec<u8>>,
    uploaded: &mut Vec<MediaRecord>,
) -> Result<Action, MicropubError> {
    if photos.is_empty() {
        return Ok(action);
    }
    let Action::Create {
        kind,
        mut properties,
        commands,
    } = action
    else {
        return Err(MicropubError::invalid(
            "photos can be uploaded only with a new post; upload them to the media endpoint \
             and give their URLs in an update",
        ));
    };
    // Nothing is kept for a request that could not create the post.
    may_post_photos(token)?;
    if properties.get("photo").map_or(0, Vec::len) + photos.len() > MAX_PHOTOS {
        return Err(MicropubError::invalid(format!(
            "a post may have at most {MAX_PHOTOS} photos"
        )));
    }
    for bytes in photos {
        let record = keep_image(state, bytes).await?;
        uploaded.push(record.clone());
        properties
            .entry("photo".to_owned())
            .or_default()
            .push(serde_json::Value::String(media_url(state, &record.path)));
    }
    Ok(Action::Create {
        kind,
        properties,
        commands,
    })
}

/// The body, read by its content type, and the photos uploaded with it;
/// for a multipart body, also the token that authorised reading it.
async fn read_request(
    state: &AppState,
    req: &HttpRequest,
    mut payload: web::Payload,
    header: Option<AccessToken>,
) -> Result<(MicropubRequest, Vec<Vec<u8>>, Option<AccessToken>), MicropubError> {
    let essence = media_type(req.headers());
    if is_multipart(req.headers()) {
        let rules = MultipartRules {
            file_limit: state.settings.media_max_bytes,
            max_files: MAX_PHOTOS,
            may_send_files: may_post_photos,
        };
        let (body, token) = read_multipart(state, req, payload, header, rules).await?;
        let mut photos = Vec::new();
        for (name, bytes) in body.files {
            if name != "photo" && name != "photo[]" {
                return Err(MicropubError::invalid(format!(
                    "files may be sent only as `photo` or `photo[]`, not `{name}`"
                )));
            }
            photos.push(bytes);
        }
        return Ok((
            MicropubRequest::from_form(body.fields)?,
            photos,
            Some(token),
        ));
    }
    if essence != "application/json" && essence != "application/x-www-form-urlencoded" {
        return Err(MicropubError::UnsupportedType(format!(
            "send the post as application/x-www-form-urlencoded, application/json or \
             multipart/form-data, not {:?}",
            if essence.is_empty() {
                "nothing"
            } else {
                &essence
            }
        )));
    }
    // The route's limits have held the body to the size of a form.
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| MicropubError::invalid(format!("cannot read the body: {e}")))?;
        body.extend_from_slice(&chunk);
    }
    let request = if essence == "application/json" {
        MicropubRequest::from_json(&body)?
    } else {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
            .map_err(|e| MicropubError::invalid(format!("the form cannot be read: {e}")))?;
        MicropubRequest::from_form(pairs)?
    };
    Ok((request, Vec::new(), header))
}
