//! Answers made per request (search results, the owner's pages, Micropub)
//! compressed as they go out: gzip at level 1, cheap enough for every
//! request (a 13 KB search page in about a tenth of a millisecond, to a
//! third of its size). Cached pages and feeds never come here: theirs are
//! made once per change (`super::compress`). Brotli is left to those: its
//! encoder's tables cost megabytes per body at the qualities fast enough
//! for a request.

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

use super::compress::MIN_COMPRESSED_BYTES;
use super::encoding::{Coding, NoAcceptableCoding, preferred};

/// What this middleware can send.
const OFFERED: [Coding; 2] = [Coding::Gzip, Coding::Identity];

/// The middleware (`actix_web::middleware::from_fn(compress_as_sent)`).
pub async fn compress_as_sent(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // Refused before the request is handled, so a form is not acted on
    // when its answer cannot be sent.
    let Some(coding) = preferred(req.headers(), &OFFERED) else {
        let refused = HttpResponse::from_error(NoAcceptableCoding(OFFERED.to_vec()));
        return Ok(req.into_response(refused).map_into_boxed_body());
    };
    let response = next.call(req).await?;
    if !compressible(&response) {
        return Ok(response.map_into_boxed_body());
    }
    let (req, response) = response.into_parts();
    let (mut response, body) = response.into_parts();
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    let body = to_bytes(body).await.map_err(|e| {
        let e: Box<dyn std::error::Error> = e.into();
        actix_web::error::ErrorInternalServerError(e.to_string())
    })?;
    // HEAD gets the headers GET would: its body is computed, compressed
    // and dropped by the server.
    if coding == Coding::Identity || body.len() < MIN_COMPRESSED_BYTES {
        return Ok(ServiceResponse::new(
            req,
            response.set_body(body).map_into_boxed_body(),
        ));
    }
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::fast());
    encoder
        .write_all(&body)
        .expect("compressing into memory cannot fail");
    let compressed = encoder
        .finish()
        .expect("compressing into memory cannot fail");
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.remove(header::CONTENT_LENGTH);
    Ok(ServiceResponse::new(
        req,
        response.set_body(compressed).map_into_boxed_body(),
    ))
}

/// Whether an answer's body may be compressed here: not one already in a
/// coding, not one with a validator (an entity tag names one
/// representation), not media, and not an answer without a body.
fn compressible<B>(response: &ServiceResponse<B>) -> bool {
    let status = response.status();
    let headers = response.headers();
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("image/") || t.starts_with("video/"));
    !(status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || headers.contains_key(header::CONTENT_ENCODING)
        || headers.contains_key(header::ETAG)
        || media)
}
