//! `/micropub`: apps post, edit, delete and restore notes, and ask about
//! the site (W3C Micropub). Every change goes through the note service
//! like any other writer's; answers are JSON, errors as Micropub § 3.8
//! gives them.

mod post;
mod query;
mod request;
mod write;

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use super::error::ApiError;
use super::indieauth_server::bearer::{BearerError, authenticate};
use super::media::{keep_image, media_url};
use super::multipart::{MultipartRules, header_token, is_multipart, media_type, read_multipart};
use super::{AppState, WebError};
use crate::domain::{MAX_PHOTOS, Scope};
use crate::store::{AccessToken, MediaDir, MediaRecord};
use request::{Action, MicropubRequest};

/// `GET /micropub?q=…`
pub async fn get(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let token = authenticate(&state, &req, None).await?;
    Ok(query::answer(&state, &token, req.query_string()).await?)
}

/// `POST /micropub`: create, update, delete or undelete. A token in the
/// header is checked before the body is read.
pub async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
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
    Ok(done?)
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
) -> Result<Action, WebError> {
    if photos.is_empty() {
        return Ok(action);
    }
    let Action::Create {
        kind,
        mut properties,
        commands,
    } = action
    else {
        return Err(WebError::bad_request(
            "photos can be uploaded only with a new post; upload them to the media endpoint \
             and give their URLs in an update",
        ));
    };
    // Nothing is kept for a request that could not create the post.
    may_post_photos(token)?;
    if properties.get("photo").map_or(0, Vec::len) + photos.len() > MAX_PHOTOS {
        return Err(WebError::bad_request(format!(
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
) -> Result<(MicropubRequest, Vec<Vec<u8>>, Option<AccessToken>), WebError> {
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
                return Err(WebError::bad_request(format!(
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
        return Err(WebError::UnsupportedMediaType(format!(
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
            chunk.map_err(|e| WebError::bad_request(format!("cannot read the body: {e}")))?;
        body.extend_from_slice(&chunk);
    }
    let request = if essence == "application/json" {
        MicropubRequest::from_json(&body)?
    } else {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
            .map_err(|e| WebError::bad_request(format!("the form cannot be read: {e}")))?;
        MicropubRequest::from_form(pairs)?
    };
    Ok((request, Vec::new(), header))
}
