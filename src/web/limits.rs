//! How large a request may be, with nginx's defaults as the measure: a
//! request line over 8 KiB gets 414; a header line over 8 KiB, or header
//! lines over 32 KiB together, get 431; a body larger than its route takes
//! gets 413 before any of it is read (one sent in chunks, as soon as it
//! passes the limit). Every refusal closes the connection and answers in the
//! route's own kind: an HTML page, or JSON for the APIs.
//!
//! Heads that actix-http cannot take in at all never reach the app, and it
//! answers them itself with an empty body: over 128 KiB, or more than 96
//! headers, 431; a request target over 65 534 bytes (the `http` crate's
//! limit) within a smaller head, 400.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::EitherBody;
use actix_web::dev::{
    Payload, RequestHead, Service, ServiceRequest, ServiceResponse, Transform, forward_ready,
};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, Uri};
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use futures_util::future::{LocalBoxFuture, Ready, ok};
use futures_util::{Stream, StreamExt};

use super::error::ApiError;
use super::multipart::{is_multipart, multipart_limit};
use super::{AppState, WebError};

/// The longest request line (method, target and version, with its line end).
pub const REQUEST_LINE_LIMIT: usize = 8 * 1024;

/// The longest header line (`Name: value`, with its line end).
pub const HEADER_LINE_LIMIT: usize = 8 * 1024;

/// The most bytes of header lines in one request, line ends included.
pub const HEADERS_LIMIT: usize = 32 * 1024;

/// The largest form or JSON body: the largest note (1 MiB) once encoded,
/// where one byte may take three (`%E2`), with room for the other fields.
pub const FORM_LIMIT: u64 = 4 * 1024 * 1024;

/// What a route takes as a request body, and how it answers a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    /// No body: pages and feeds. Refusals are HTML pages.
    Nothing,
    /// A form from the site's own pages (admin, sign-in): HTML pages.
    Form,
    /// An API's form (the token endpoints): JSON.
    ApiForm,
    /// Micropub: a form or JSON, or a multipart body with up to
    /// `max_files` images of `MEDIA_MAX_BYTES` each: JSON.
    Uploads { max_files: usize },
    /// An activity from another server, at most [`ACTIVITY_LIMIT`]: JSON.
    Activity,
    /// The owner's editor and its upload address: a form, or a multipart
    /// body with up to `max_files` images of `MEDIA_MAX_BYTES` each.
    /// Refusals are HTML pages, or JSON for the upload address (`json`).
    OwnerUploads { max_files: usize, json: bool },
}

/// The largest activity the inbox takes.
pub const ACTIVITY_LIMIT: u64 = 1024 * 1024;

impl Accepts {
    fn answers_in_json(self) -> bool {
        matches!(
            self,
            Accepts::ApiForm
                | Accepts::Uploads { .. }
                | Accepts::OwnerUploads { json: true, .. }
                | Accepts::Activity
        )
    }

    /// How a body too large for this request is refused (its limit
    /// included), or `None` when the route does not take the request's
    /// method: it answers 405 without reading any body.
    fn body_refusal(self, req: &ServiceRequest) -> Option<Oversize> {
        let method = req.method();
        if method == Method::GET || method == Method::HEAD {
            return Some(Oversize::Body { limit: 0 });
        }
        if method != Method::POST {
            return None;
        }
        let limit = match self {
            Accepts::Nothing => return None,
            Accepts::Form | Accepts::ApiForm => FORM_LIMIT,
            Accepts::Activity => ACTIVITY_LIMIT,
            Accepts::Uploads { .. } | Accepts::OwnerUploads { .. }
                if !is_multipart(req.headers()) =>
            {
                FORM_LIMIT
            }
            // A session, not a token, says who sends it: each file may
            // have its full size, as with a token in the header.
            Accepts::OwnerUploads { max_files, .. } => {
                multipart_limit(file_limit(req), max_files, true)
            }
            Accepts::Uploads { max_files } => {
                let file_limit = file_limit(req);
                let token_in_header = req.headers().contains_key(header::AUTHORIZATION);
                let limit = multipart_limit(file_limit, max_files, token_in_header);
                if !token_in_header {
                    return Some(Oversize::FilesWithBodyToken { limit, file_limit });
                }
                limit
            }
        };
        Some(Oversize::Body { limit })
    }
}

/// `MEDIA_MAX_BYTES`.
fn file_limit(req: &ServiceRequest) -> u64 {
    req.app_data::<web::Data<AppState>>()
        .expect("the app state is registered")
        .settings
        .media_max_bytes
}

/// What about a request is too large (413, 414 or 431).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversize {
    /// The request line: 414.
    RequestLine,
    /// One header line: 431.
    HeaderLine,
    /// The header lines together: 431.
    Headers,
    /// A body over `limit` bytes (0: the route takes none).
    Body { limit: u64 },
    /// A multipart body whose token is not in the header: one file's worth.
    FilesWithBodyToken { limit: u64, file_limit: u64 },
    /// One uploaded file over `MEDIA_MAX_BYTES`.
    File { limit: u64 },
    /// The files of one request together, with the token in the header.
    Files { limit: u64 },
}

impl Oversize {
    /// In the words of the APIs' errors: lower case, no final stop.
    pub fn message(self) -> String {
        match self {
            Oversize::RequestLine => format!(
                "the request line (method and address) is longer than {REQUEST_LINE_LIMIT} bytes, \
                 the most this site accepts"
            ),
            Oversize::HeaderLine => format!(
                "a header line is longer than {HEADER_LINE_LIMIT} bytes, the most this site accepts"
            ),
            Oversize::Headers => format!(
                "the header lines together are longer than {HEADERS_LIMIT} bytes, \
                 the most this site accepts"
            ),
            Oversize::Body { limit: 0 } => "this address takes no request body".into(),
            Oversize::Body { limit } => format!(
                "the request body is larger than {limit} bytes, the most this address accepts"
            ),
            Oversize::FilesWithBodyToken { file_limit, .. } => format!(
                "with the access token in the body, a request may carry {file_limit} bytes of \
                 files in all; send the token in the Authorization header to send more"
            ),
            Oversize::File { limit } => {
                format!("the file is larger than the {limit} bytes this site accepts")
            }
            Oversize::Files { limit } => format!(
                "the files are larger than {limit} bytes together, the most one request carries"
            ),
        }
    }

    /// The most body bytes, for a body's refusal.
    fn body_limit(self) -> u64 {
        match self {
            Oversize::Body { limit }
            | Oversize::FilesWithBodyToken { limit, .. }
            | Oversize::Files { limit } => limit,
            _ => 0,
        }
    }
}

/// Which part of a request head, if any, is over its limit. actix-http
/// keeps the head parsed, not as sent: lengths are counted as if it had
/// been sent with single spaces and CRLF line ends.
pub fn oversize_head(head: &RequestHead) -> Option<Oversize> {
    const LINE_END: usize = 2;
    let request_line = head.method.as_str().len() + 1 + target_len(&head.uri) + " HTTP/1.1".len();
    if request_line + LINE_END > REQUEST_LINE_LIMIT {
        return Some(Oversize::RequestLine);
    }
    let mut total = 0;
    for (name, value) in head.headers.iter() {
        let line = name.as_str().len() + ": ".len() + value.len() + LINE_END;
        if line > HEADER_LINE_LIMIT {
            return Some(Oversize::HeaderLine);
        }
        total += line;
    }
    (total > HEADERS_LIMIT).then_some(Oversize::Headers)
}

/// The request target as sent: origin form (`/path?query`), absolute form
/// (`http://host/path`) or `*`.
fn target_len(uri: &Uri) -> usize {
    let path = uri.path_and_query().map_or(0, |p| p.as_str().len());
    let authority = match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => scheme.len() + "://".len() + authority.as_str().len(),
        (None, Some(authority)) => authority.as_str().len(),
        _ => 0,
    };
    authority + path
}

/// The `Content-Length` the client declared, if any (actix-http has
/// already refused a malformed one).
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn is_chunked(headers: &HeaderMap) -> bool {
    headers
        .get(header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("chunked"))
}

/// The answer to a request refused for its size, in the route's kind, and
/// the connection closed after it: the rest of what the client sends is
/// never read.
fn refusal(accepts: Accepts, oversize: Oversize) -> HttpResponse {
    let refused = WebError::TooLarge(oversize);
    if accepts.answers_in_json() {
        ApiError(refused).error_response()
    } else {
        // Carries the error, so that the error pages make it HTML.
        HttpResponse::from_error(refused)
    }
}

/// For addresses that match no route: 404, unless the head is too large.
/// A body is not looked at: the answer does not read it, and actix-http
/// closes a connection whose request body was left unread.
pub async fn unknown_address(req: ServiceRequest) -> Result<ServiceResponse, Error> {
    let response = match oversize_head(req.head()) {
        Some(oversize) => refusal(Accepts::Nothing, oversize),
        None => HttpResponse::from_error(WebError::NotFound),
    };
    Ok(ServiceResponse::new(req.into_parts().0, response))
}

/// The size limits of one route: `resource.wrap(Limits(accepts))`.
#[derive(Debug, Clone, Copy)]
pub struct Limits(pub Accepts);

impl<S, B> Transform<S, ServiceRequest> for Limits
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = LimitsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ok(LimitsMiddleware {
            service,
            accepts: self.0,
        })
    }
}

/// [`Limits`] around one route's service.
pub struct LimitsMiddleware<S> {
    service: S,
    accepts: Accepts,
}

impl<S, B> Service<ServiceRequest> for LimitsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let accepts = self.accepts;
        let refuse = |req: ServiceRequest, oversize| {
            // Not `into_response`, which would drop the error that the
            // error pages look for.
            let response = ServiceResponse::new(req.into_parts().0, refusal(accepts, oversize));
            Box::pin(async move { Ok(response.map_into_right_body()) }) as Self::Future
        };
        if let Some(oversize) = oversize_head(req.head()) {
            return refuse(req, oversize);
        }
        let Some(body) = accepts.body_refusal(&req) else {
            let future = self.service.call(req);
            return Box::pin(async move { Ok(future.await?.map_into_left_body()) });
        };
        let limit = body.body_limit();
        let chunked = is_chunked(req.headers());
        if declared_length(req.headers()).is_some_and(|length| length > limit)
            || (chunked && limit == 0)
        {
            return refuse(req, body);
        }
        // A body sent in chunks declares no length: it is counted as it
        // arrives, and the handler's answer is replaced once it passes.
        let passed = Rc::new(Cell::new(false));
        if chunked {
            let payload = LimitedPayload {
                inner: req.take_payload(),
                remaining: limit,
                passed: passed.clone(),
            };
            req.set_payload(Payload::Stream {
                payload: Box::pin(payload),
            });
        }
        let future = self.service.call(req);
        Box::pin(async move {
            let response = future.await?;
            if passed.get() {
                return Ok(response
                    .into_response(refusal(accepts, body))
                    .map_into_right_body());
            }
            Ok(response.map_into_left_body())
        })
    }
}

/// A request body that fails as soon as more than `remaining` bytes
/// arrive, and says so in `passed`.
struct LimitedPayload {
    inner: Payload,
    remaining: u64,
    passed: Rc<Cell<bool>>,
}

impl Stream for LimitedPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.passed.get() {
            return Poll::Ready(Some(Err(PayloadError::Overflow)));
        }
        let chunk = match this.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => chunk,
            other => return other,
        };
        match this.remaining.checked_sub(chunk.len() as u64) {
            Some(remaining) => {
                this.remaining = remaining;
                Poll::Ready(Some(Ok(chunk)))
            }
            None => {
                this.passed.set(true);
                Poll::Ready(Some(Err(PayloadError::Overflow)))
            }
        }
    }
}

#[cfg(test)]
mod tests;
