//! `GET /static/…`: files embedded in the binary.

use std::sync::{Arc, OnceLock};

use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse, web};

use super::compress::Compressor;
use super::conditional::Cached;
use super::{AppState, WebError};

/// Stylesheet URLs carry a content hash (`?v=…`), so they can be cached for
/// a year without ever being stale.
static IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

pub async fn stylesheet(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    Ok(state
        .stylesheet
        .current()
        .respond(&req, &IMMUTABLE, state.store.now()))
}

/// The stylesheet, which cannot change while the process runs: served as
/// it is until the compressing thread has made its compressed forms.
pub struct Stylesheet {
    identity: Cached,
    compressed: OnceLock<Cached>,
}

impl Stylesheet {
    pub fn new(identity: Cached, compressor: &Compressor) -> Arc<Stylesheet> {
        let stylesheet = Arc::new(Stylesheet {
            identity,
            compressed: OnceLock::new(),
        });
        let later = stylesheet.clone();
        // The queue is empty at start-up, so this is never refused.
        compressor.offer(Box::new(move || {
            let _ = later.compressed.set(later.identity.compressed());
        }));
        stylesheet
    }

    pub fn current(&self) -> &Cached {
        self.compressed.get().unwrap_or(&self.identity)
    }
}
