//! Admin forms that may carry images (the editor, and the upload address
//! its script uses): `application/x-www-form-urlencoded` or
//! `multipart/form-data`, from the signed-in owner, with the checks every
//! admin form has (a live session, the site's own `Origin`, the CSRF
//! token). In a multipart body the token must come before any file, so no
//! file is read in for a form that did not come from the admin pages.
//!
//! A file over `MEDIA_MAX_BYTES`, or past the most a note may have, is read
//! past and noted, never kept: the rest of the form still arrives, so the
//! editor can show everything typed so far with the reason next to the
//! photo field.

use std::future::Future;
use std::pin::Pin;

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;

use crate::domain::MAX_PHOTOS;
use crate::web::limits::FORM_LIMIT;
use crate::web::multipart::{PART_COST, TEXT_FIELDS_LIMIT, is_multipart, media_type};
use crate::web::session::{Owner, check_origin, csrf_matches, csrf_refused};
use crate::web::{AppState, WebError};

/// A checked form from the owner.
pub struct OwnerForm {
    pub owner: Owner,
    /// Its text fields in order, without the CSRF token.
    pub fields: Vec<(String, String)>,
    /// The files it carried, in order.
    pub files: Vec<FormFile>,
    /// Files read past and not kept.
    pub refused: Vec<RefusedFile>,
}

/// A file as the browser sent it.
pub struct FormFile {
    /// The name of its field.
    pub field: String,
    /// The name the browser gave it, for messages only.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A file that was not kept, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedFile {
    pub file_name: String,
    pub why: Refusal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Larger than `MEDIA_MAX_BYTES`.
    TooLarge { limit: u64 },
    /// Past the most files one form takes.
    TooMany { most: usize },
}

impl OwnerForm {
    /// Reads and checks the form of `req`: refused (403) unless the owner
    /// is signed in, the `Origin` is the site's and the CSRF token is the
    /// session's.
    pub async fn read(req: &HttpRequest, payload: Payload) -> Result<OwnerForm, WebError> {
        let owner = Owner::of(req).await?;
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("the app state is registered for every route");
        check_origin(req, &state.settings)?;
        if is_multipart(req.headers()) {
            let file_limit = state.settings.media_max_bytes;
            return read_multipart(req, payload, owner, file_limit).await;
        }
        if media_type(req.headers()) != "application/x-www-form-urlencoded" {
            return Err(WebError::BadRequest(
                "This address takes a submitted form.".into(),
            ));
        }
        let body = read_all(payload).await?;
        let mut fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
            .map_err(|e| WebError::BadRequest(format!("The form could not be read: {e}.")))?;
        let token = fields
            .iter()
            .position(|(name, _)| name == "csrf")
            .map(|at| fields.remove(at).1);
        if !token.is_some_and(|token| csrf_matches(&owner, &token)) {
            return Err(csrf_refused());
        }
        fields.retain(|(name, _)| name != "csrf");
        Ok(OwnerForm {
            owner,
            fields,
            files: Vec::new(),
            refused: Vec::new(),
        })
    }
}

impl FromRequest for OwnerForm {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<OwnerForm, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move { Ok(OwnerForm::read(&req, payload).await?) })
    }
}

/// A form body, which the route's limits have held to the size of a form.
async fn read_all(mut payload: Payload) -> Result<Vec<u8>, WebError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| WebError::BadRequest(format!("The form could not be read: {e}.")))?;
        if (body.len() + chunk.len()) as u64 > FORM_LIMIT {
            return Err(WebError::BadRequest(format!(
                "The form is larger than {FORM_LIMIT} bytes."
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn unreadable(e: MultipartError) -> WebError {
    WebError::BadRequest(format!("The form could not be read: {e}."))
}

async fn read_multipart(
    req: &HttpRequest,
    payload: Payload,
    owner: Owner,
    file_limit: u64,
) -> Result<OwnerForm, WebError> {
    let mut parts = Multipart::new(req.headers(), payload);
    let mut form = OwnerForm {
        owner,
        fields: Vec::new(),
        files: Vec::new(),
        refused: Vec::new(),
    };
    let mut token_checked = false;
    let mut text_bytes = 0u64;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(unreadable)?;
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part
            .content_disposition()
            .and_then(|disposition| disposition.get_filename())
            .map(str::to_owned);
        let Some(file_name) = file_name else {
            text_bytes += PART_COST + name.len() as u64;
            let text = read_text(
                &mut part,
                &name,
                TEXT_FIELDS_LIMIT.saturating_sub(text_bytes),
            )
            .await?;
            text_bytes += text.len() as u64;
            if name != "csrf" {
                form.fields.push((name, text));
            } else if csrf_matches(&form.owner, &text) {
                token_checked = true;
            } else {
                return Err(csrf_refused());
            }
            continue;
        };
        if !token_checked {
            return Err(csrf_refused());
        }
        let room = form.files.len() < MAX_PHOTOS;
        let (bytes, size) = read_file(&mut part, if room { file_limit } else { 0 }).await?;
        // A file field with no file chosen sends an empty part with no name.
        if file_name.is_empty() && size == 0 {
            continue;
        }
        match bytes {
            Some(bytes) => form.files.push(FormFile {
                field: name,
                file_name,
                bytes,
            }),
            None => form.refused.push(RefusedFile {
                file_name,
                why: if room {
                    Refusal::TooLarge { limit: file_limit }
                } else {
                    Refusal::TooMany { most: MAX_PHOTOS }
                },
            }),
        }
    }
    if !token_checked {
        return Err(csrf_refused());
    }
    Ok(form)
}

/// A text field's value, refused past `limit` bytes.
async fn read_text(part: &mut Field, name: &str, limit: u64) -> Result<String, WebError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = part.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(WebError::BadRequest(format!(
                "The form's text is larger than {TEXT_FIELDS_LIMIT} bytes."
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| WebError::BadRequest(format!("The field {name:?} is not UTF-8 text.")))
}

/// A file's bytes, or `None` once it passes `limit` (the rest is read and
/// dropped); and its whole size.
async fn read_file(part: &mut Field, limit: u64) -> Result<(Option<Vec<u8>>, u64), WebError> {
    let mut bytes = Some(Vec::new());
    let mut size = 0u64;
    while let Some(chunk) = part.next().await {
        let chunk = chunk.map_err(unreadable)?;
        size += chunk.len() as u64;
        if size > limit {
            bytes = None;
        }
        if let Some(bytes) = &mut bytes {
            bytes.extend_from_slice(&chunk);
        }
    }
    Ok((bytes, size))
}
