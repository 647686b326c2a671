//! `GET /static/…`: files embedded in the binary.

use std::sync::LazyLock;

use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse};

use super::WebError;
use super::conditional::Cached;
use crate::render::css;

/// Stylesheet URLs carry a content hash (`?v=…`), so they can be cached for
/// a year without ever being stale.
static IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

static STYLE: LazyLock<Cached> = LazyLock::new(|| {
    // The stylesheet cannot change while the process runs.
    Cached::new(css(), chrono::Utc::now(), "text/css; charset=utf-8")
});

pub async fn stylesheet(req: HttpRequest) -> Result<HttpResponse, WebError> {
    Ok(STYLE.respond(&req, &IMMUTABLE))
}
