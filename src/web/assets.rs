//! `GET /static/…`: files embedded in the binary.

use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{AppState, WebError};

/// Stylesheet and script URLs carry a content hash (`?v=…`), so they can
/// be cached for a year without ever being stale.
static IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

pub async fn stylesheet(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    Ok(state
        .stylesheet
        .respond(&req, &IMMUTABLE, state.store.now()))
}

/// `GET /static/editor.js`: the editor's script.
pub async fn editor_script(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    Ok(state
        .editor_script
        .respond(&req, &IMMUTABLE, state.store.now()))
}
