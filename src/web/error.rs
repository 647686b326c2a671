//! One place where failures become HTTP responses: the right status, an HTML
//! page a person understands, and the whole cause chain in the log.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;

use super::AppState;
use super::limits::Oversize;
use crate::error::{ErrorKind, error_chain};
use crate::render::{ErrorPage, PageContext};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("method not allowed")]
    MethodNotAllowed(Allowed),
    /// Refused: a form without a valid CSRF token, or from another site.
    #[error("{0}")]
    Forbidden(String),
    /// Signing in failed; the message says why, in words for the owner.
    #[error("{message}")]
    SignIn { status: StatusCode, message: String },
    #[error("too many attempts")]
    TooManyRequests,
    /// A request line, headers or body over the site's limits.
    #[error("{message}")]
    TooLarge { status: StatusCode, message: String },
    /// `/feed` asked for formats the site does not have.
    #[error("no acceptable feed format")]
    NotAcceptable,
    /// Based on a version that changed since, or wanting something taken.
    #[error("{0}")]
    Conflict(String),
    /// The note exists but its file is damaged (logged where it is found).
    #[error("note damaged")]
    NoteDamaged,
    /// The server failed; never the client's fault.
    #[error(transparent)]
    Internal(#[from] Internal),
}

/// A failure of the server, not of the request: its whole cause chain is
/// logged once, and the client is only told to try again later.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct Internal {
    context: &'static str,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl Internal {
    pub fn new(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Internal {
        Internal {
            context,
            source: source.into(),
        }
    }
}

impl WebError {
    /// A failure of the server while doing `context`.
    pub fn internal(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> WebError {
        WebError::Internal(Internal::new(context, source))
    }
}

/// The note service's errors by their kind: the client's mistakes are
/// said to the client, the server's failures are logged.
impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        match e.kind() {
            ErrorKind::NotFound => WebError::NotFound,
            ErrorKind::Invalid | ErrorKind::TooLarge => WebError::BadRequest(e.to_string()),
            ErrorKind::Conflict => WebError::Conflict(e.to_string()),
            ErrorKind::Internal => WebError::internal("the data could not be read or written", e),
        }
    }
}

/// The methods an address takes, for a 405's `Allow` header and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// A page or feed: GET and HEAD.
    Read,
    /// A form's action: POST only.
    Form,
    /// A page with the form it submits: GET, HEAD and POST.
    PageAndForm,
}

impl Allowed {
    fn header(self) -> &'static str {
        match self {
            Allowed::Read => "GET, HEAD",
            Allowed::Form => "POST",
            Allowed::PageAndForm => "GET, HEAD, POST",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Allowed::Read => "This address can only be read, with GET or HEAD.",
            Allowed::Form => "This address only takes a form sent with POST.",
            Allowed::PageAndForm => {
                "This address takes only GET or HEAD (to read it) and POST (to send its form)."
            }
        }
    }
}

impl WebError {
    fn heading(&self) -> &str {
        match self {
            WebError::NotFound => "Page not found",
            WebError::BadRequest(_) => "Bad request",
            WebError::MethodNotAllowed(_) => "Method not allowed",
            WebError::Forbidden(_) => "Not allowed",
            WebError::SignIn { .. } => "Sign-in failed",
            WebError::TooManyRequests => "Too many attempts",
            WebError::TooLarge { status, .. } => match *status {
                StatusCode::URI_TOO_LONG => "Address too long",
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "Headers too large",
                _ => "Request too large",
            },
            WebError::NotAcceptable => "No feed in a format you accept",
            WebError::Conflict(_) => "Conflict",
            WebError::NoteDamaged => "This note cannot be shown",
            WebError::Internal(_) => "Something went wrong",
        }
    }

    fn message(&self) -> &str {
        match self {
            WebError::NotFound => {
                "There is no page at this address. It may never have existed, or it was removed."
            }
            WebError::BadRequest(reason)
            | WebError::Forbidden(reason)
            | WebError::Conflict(reason) => reason,
            WebError::SignIn { message, .. } | WebError::TooLarge { message, .. } => message,
            WebError::TooManyRequests => {
                "There were too many sign-in attempts from your address. Wait a minute, then try again."
            }
            WebError::MethodNotAllowed(allowed) => allowed.message(),
            WebError::NotAcceptable => {
                "This address serves the site's feed in the format your reader asks for in its \
                 Accept header, and it asked for none of these. Each has its own address:"
            }
            WebError::NoteDamaged => {
                "The note at this address exists, but its stored text is damaged, so the site \
                 will not show it. The site's owner has been told and can repair it; \
                 the other pages and the feeds are not affected."
            }
            WebError::Internal(_) => {
                "The site could not show this page because of an error on the server. \
                 It has been logged; please try again later."
            }
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::SignIn { status, .. } | WebError::TooLarge { status, .. } => *status,
            WebError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            WebError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::NoteDamaged | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A plain-text answer; [`render_error_page`] turns it into the site's
    /// HTML error page.
    fn error_response(&self) -> HttpResponse {
        if let WebError::Internal(e) = self {
            log::error!("request failed: {}", error_chain(e));
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let WebError::MethodNotAllowed(allowed) = self {
            response.insert_header((header::ALLOW, HeaderValue::from_static(allowed.header())));
        }
        if matches!(self, WebError::NotAcceptable) {
            // The answer depends on Accept, like the feed it stands for.
            response.insert_header((header::VARY, HeaderValue::from_static("Accept")));
        }
        if matches!(self, WebError::TooManyRequests) {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("60")));
        }
        marked(
            response.body(format!("{}: {}", self.heading(), self.message())),
            self,
        )
    }
}

/// Set on a failed response whose cause is a full disk, for
/// [`render_error_page`] (which sees every failed response, and the
/// store) to act on.
#[derive(Debug, Clone, Copy)]
struct DiskFull;

/// A failed response, marked [`DiskFull`] when `error` or one of its
/// causes is a store error from a full disk. Every answer built from a
/// store error goes through here.
pub(crate) fn marked(
    mut response: HttpResponse,
    error: &(dyn std::error::Error + 'static),
) -> HttpResponse {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.downcast_ref::<StoreError>()
            .is_some_and(StoreError::is_disk_full)
        {
            response.extensions_mut().insert(DiskFull);
            break;
        }
        cause = e.source();
    }
    response
}

/// After a write failed for lack of space, has the database give back the
/// space of its write-ahead log (in the background: the answer goes out at
/// once), so the next write has room as soon as the owner frees some.
fn checkpoint_after_full_disk<B>(res: &ServiceResponse<B>) {
    if !res.response().extensions().contains::<DiskFull>() {
        return;
    }
    if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
        let store = state.store.clone();
        actix_web::rt::spawn(async move { store.checkpoint_after_full_disk().await });
    }
}

/// Middleware hook: every response that carries an error (ours or one of
/// actix-web's, such as a malformed query) becomes an HTML page.
pub fn render_error_page<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    checkpoint_after_full_disk(&res);
    let Some(error) = res.response().error() else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let status = res.status();
    let ours = error.as_error::<WebError>();
    let (heading, message) = match ours {
        Some(e) => (e.heading().to_owned(), e.message().to_owned()),
        None => (
            status.canonical_reason().unwrap_or("Error").to_owned(),
            error.to_string(),
        ),
    };
    let list_feeds = matches!(ours, Some(WebError::NotAcceptable));
    let html = res
        .request()
        .app_data::<web::Data<AppState>>()
        .and_then(|state| {
            ErrorPage {
                ctx: PageContext {
                    site: &state.settings.site,
                },
                status: status.as_u16(),
                heading: &heading,
                message: &message,
                list_feeds,
            }
            .render()
            .map_err(|e| log::error!("cannot render the error page: {e}"))
            .ok()
        })
        .unwrap_or_else(|| format!("<!DOCTYPE html><title>{status}</title><h1>{status}</h1>"));

    let (req, mut response) = res.into_parts();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let response = response.set_body(BoxBody::new(html));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_body(|_, body| EitherBody::right(body)),
    ))
}

impl From<Oversize> for WebError {
    fn from(oversize: Oversize) -> WebError {
        // The APIs' words, as a sentence for a page.
        let words = oversize.message();
        let mut letters = words.chars();
        let first = letters.next().map(|c| c.to_ascii_uppercase());
        WebError::TooLarge {
            status: oversize.status(),
            message: first.into_iter().chain(letters).chain(['.']).collect(),
        }
    }
}

/// For routes that exist but not for this method.
pub async fn method_not_allowed() -> Result<HttpResponse, WebError> {
    Err(WebError::MethodNotAllowed(Allowed::Read))
}

/// For a form's action (POST only) asked with any other method.
pub async fn form_only() -> Result<HttpResponse, WebError> {
    Err(WebError::MethodNotAllowed(Allowed::Form))
}

/// For a page with its form asked with a method other than GET, HEAD, POST.
pub async fn page_or_form_only() -> Result<HttpResponse, WebError> {
    Err(WebError::MethodNotAllowed(Allowed::PageAndForm))
}
