//! `GET /static/…`: files embedded in the binary.

use std::sync::{Arc, OnceLock};

use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse, web};

use super::compress::Compressor;
use super::conditional::Cached;
use super::{AppState, WebError};

/// Stylesheet and script URLs carry a content hash (`?v=…`), so they can
/// be cached for a year without ever being stale.
static IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// `GET /static/style.css`.
pub async fn stylesheet(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    Ok(state
        .stylesheet
        .current()
        .respond(&req, &IMMUTABLE, state.store.now()))
}

/// `GET /static/editor.js`: the editor's script.
pub async fn editor_script(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    Ok(state
        .editor_script
        .current()
        .respond(&req, &IMMUTABLE, state.store.now()))
}

/// A file embedded in the binary (the stylesheet, the editor's script),
/// which cannot change while the process runs: served as it is until the
/// compressing thread has made its compressed forms.
pub struct Asset {
    identity: Cached,
    compressed: OnceLock<Cached>,
}

impl Asset {
    pub fn new(identity: Cached, compressor: &Compressor) -> Arc<Asset> {
        let asset = Arc::new(Asset {
            identity,
            compressed: OnceLock::new(),
        });
        let later = asset.clone();
        // The queue is nearly empty at start-up (one job per asset), so
        // this is never refused.
        compressor.offer(Box::new(move || {
            let _ = later.compressed.set(later.identity.compressed());
        }));
        asset
    }

    pub fn current(&self) -> &Cached {
        self.compressed.get().unwrap_or(&self.identity)
    }
}
