//! Multipart bodies (uploads, and Micropub posts with photos), read only as
//! far as the sender has earned. A token in the `Authorization` header is
//! checked before a byte of the body is read. A token in the body
//! (`access_token`, which Micropub allows) is checked the moment its part
//! has arrived; such a request may carry one file's worth of bytes in all,
//! so a stranger can make the server hold no more than that.

use actix_multipart::Multipart;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

use super::AppState;
use super::WebError;
use super::indieauth_server::bearer::{BearerError, authenticate};
use super::limits::FORM_LIMIT;
use super::limits::Oversize;
use crate::store::AccessToken;

/// The most bytes of text fields in one multipart body (a note's text and
/// its properties), apart from the files: as much as a form may hold.
pub(super) const TEXT_FIELDS_LIMIT: u64 = FORM_LIMIT;

/// What each part costs beyond its bytes (its entry in the list), counted
/// against the text limit so that a flood of empty parts is bounded too.
pub(super) const PART_COST: u64 = 64;

/// Boundaries and part headers around the content: room for them in the
/// largest body a multipart route takes.
const FRAMING_ALLOWANCE: u64 = 64 * 1024;

/// How much a multipart body may hold, and who may send files.
pub struct MultipartRules<F> {
    /// The most bytes of one file.
    pub file_limit: u64,
    /// The most files in one body.
    pub max_files: usize,
    /// Whether a token may send files at all (its scopes): asked before
    /// the first byte of a file is read, or as soon as a token in the body
    /// arrives after files.
    pub may_send_files: F,
}

/// A multipart body: its text fields in order (without `access_token`),
/// and its files (parts that carry a file name) with the name of their
/// part.
#[derive(Debug, Default)]
pub struct MultipartBody {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, Vec<u8>)>,
}

/// The token in the `Authorization` header, checked; `None` when the
/// request has no such header (its token may be in the body).
pub async fn header_token(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<AccessToken>, BearerError> {
    if !req.headers().contains_key(header::AUTHORIZATION) {
        return Ok(None);
    }
    authenticate(state, req, None).await.map(Some)
}

/// Reads a multipart body sent with `header` (the checked header token, if
/// any) and returns it with the token that authorised it. Reading stops as
/// soon as a limit is passed or a token is refused, so no more than the
/// limits is ever held.
pub async fn read_multipart<F>(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    header: Option<AccessToken>,
    rules: MultipartRules<F>,
) -> Result<(MultipartBody, AccessToken), WebError>
where
    F: Fn(&AccessToken) -> Result<(), BearerError>,
{
    // The body as a whole was held to `multipart_limit` before the handler
    // ran; here each part is held to its own.
    let in_header = header.is_some();
    let files_limit = files_limit(rules.file_limit, rules.max_files, in_header);
    let unreadable = |e: actix_multipart::MultipartError| {
        WebError::BadRequest(format!("the multipart body cannot be read: {e}"))
    };
    let mut token = header;
    let mut parts = Multipart::new(req.headers(), payload);
    let mut body = MultipartBody::default();
    let (mut text_bytes, mut file_bytes) = (0u64, 0u64);
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(unreadable)?;
        let name = part.name().unwrap_or_default().to_owned();
        let is_file = part
            .content_disposition()
            .is_some_and(|disposition| disposition.get_filename().is_some());
        let limit = if is_file {
            if let Some(token) = &token {
                (rules.may_send_files)(token)?;
            }
            if body.files.len() == rules.max_files {
                return Err(WebError::BadRequest(format!(
                    "send at most {} files at once",
                    rules.max_files
                )));
            }
            // A file may not pass its own limit nor the request's.
            rules.file_limit.min(files_limit - file_bytes)
        } else {
            text_bytes += PART_COST + name.len() as u64;
            TEXT_FIELDS_LIMIT.saturating_sub(text_bytes)
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(if !is_file {
                    WebError::BadRequest(format!(
                        "the text fields are larger than {TEXT_FIELDS_LIMIT} bytes"
                    ))
                } else if (bytes.len() + chunk.len()) as u64 > rules.file_limit {
                    WebError::TooLarge(Oversize::File {
                        limit: rules.file_limit,
                    })
                } else {
                    too_large(in_header, rules.file_limit, files_limit)
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            file_bytes += bytes.len() as u64;
            body.files.push((name, bytes));
            continue;
        }
        text_bytes += bytes.len() as u64;
        let text = String::from_utf8(bytes)
            .map_err(|_| WebError::BadRequest(format!("the field `{name}` is not UTF-8")))?;
        if name != "access_token" {
            body.fields.push((name, text));
            continue;
        }
        if in_header {
            return Err(BearerError::Both.into());
        }
        if token.is_some() {
            return Err(WebError::BadRequest("send `access_token` once".into()));
        }
        let checked = authenticate(state, req, Some(&text)).await?;
        if !body.files.is_empty() {
            (rules.may_send_files)(&checked)?;
        }
        token = Some(checked);
    }
    let token = token.ok_or(BearerError::Missing)?;
    Ok((body, token))
}

/// With the token in the body, the files together may hold one file's
/// worth; with it in the header, each file may.
fn files_limit(file_limit: u64, max_files: usize, token_in_header: bool) -> u64 {
    if token_in_header {
        file_limit.saturating_mul(max_files as u64)
    } else {
        file_limit
    }
}

/// The largest multipart body a route with these rules takes: its files,
/// its text fields and the framing around them.
pub fn multipart_limit(file_limit: u64, max_files: usize, token_in_header: bool) -> u64 {
    files_limit(file_limit, max_files, token_in_header)
        .saturating_add(TEXT_FIELDS_LIMIT)
        .saturating_add(FRAMING_ALLOWANCE)
}

/// The media type of a request's body, lower case, without parameters
/// (empty when it names none).
pub fn media_type(headers: &HeaderMap) -> String {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("");
    essence.trim().to_ascii_lowercase()
}

/// Whether a request's body is multipart: what decides which limit it has.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    media_type(headers) == "multipart/form-data"
}

fn too_large(in_header: bool, file_limit: u64, files_limit: u64) -> WebError {
    WebError::TooLarge(if in_header {
        Oversize::Files { limit: files_limit }
    } else {
        Oversize::FilesWithBodyToken {
            limit: files_limit,
            file_limit,
        }
    })
}
