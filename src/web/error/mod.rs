//! Every way a request can fail, typed, with its status decided in one
//! place ([`WebError::status`]). Each surface turns the same errors into
//! its own body, in one place each: the site's HTML error page
//! ([`page`]), and the JSON of the APIs ([`api`]: Micropub, the media
//! endpoint, the token endpoint). A failure of the server is never blamed
//! on the client: it is a 500 whose cause chain is logged once.

mod api;
mod page;

use std::borrow::Cow;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, HttpResponseBuilder};

pub use api::{ApiError, json_answer};

pub use page::{form_only, method_not_allowed, page_or_form_only, render_error_page};

use super::indieauth_server::bearer::BearerError;
use super::limits::Oversize;
use crate::error::{ErrorKind, error_chain};
use crate::media::ImageError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    /// It was here, and was deleted: other sites that linked to it remove
    /// what they kept of it.
    #[error("this was deleted")]
    Gone,
    /// The request is not acceptable; the message says what to change.
    #[error("{0}")]
    BadRequest(String),
    /// A body of a type the address does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// An upload that is not an image the site keeps.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// A request line, headers, body or file over the site's limits.
    #[error("{}", .0.message())]
    TooLarge(Oversize),
    #[error("method not allowed")]
    MethodNotAllowed(Allowed),
    /// Refused: a form without a valid CSRF token, or from another site.
    #[error("{0}")]
    Forbidden(String),
    /// An owner's page asked without a session: to the sign-in page (a
    /// form is refused instead, as its contents would be lost).
    #[error("sign in first")]
    SignInRequired { login_path: String, is_form: bool },
    /// Signing in failed; the message says why, in words for the owner.
    #[error("{message}")]
    SignIn { status: StatusCode, message: String },
    /// An access token missing, not valid, or without the scope needed.
    #[error(transparent)]
    Token(#[from] BearerError),
    /// A refusal of the token endpoint (RFC 6749 § 5.2), with its code.
    #[error("{description}")]
    Grant {
        code: &'static str,
        description: String,
    },
    /// A request from another server without a valid HTTP Signature.
    #[error(transparent)]
    Signature(#[from] crate::activitypub::signature::SignatureError),
    #[error("too many attempts")]
    TooManyRequests,
    /// Past a limit on what another site may send; the message says when
    /// to try again.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after: std::time::Duration,
    },
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
/// logged once, and the client is told what could not be done and to try
/// again later.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct Internal {
    context: &'static str,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl WebError {
    /// A failure of the server: `context` says, to the client, what could
    /// not be done.
    pub fn internal(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> WebError {
        WebError::Internal(Internal {
            context,
            source: source.into(),
        })
    }

    pub fn bad_request(message: impl Into<String>) -> WebError {
        WebError::BadRequest(message.into())
    }

    /// The one place where a failure gets its status.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Gone => StatusCode::GONE,
            WebError::BadRequest(_) | WebError::Grant { .. } => StatusCode::BAD_REQUEST,
            WebError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::Image(ImageError::TooManyPixels) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Image(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::TooLarge(Oversize::RequestLine) => StatusCode::URI_TOO_LONG,
            WebError::TooLarge(Oversize::HeaderLine | Oversize::Headers) => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::SignInRequired { is_form: true, .. } => StatusCode::FORBIDDEN,
            WebError::SignInRequired { is_form: false, .. } => StatusCode::SEE_OTHER,
            WebError::SignIn { status, .. } => *status,
            WebError::Token(e) => match e {
                BearerError::Missing
                | BearerError::Invalid
                | BearerError::Expired
                | BearerError::Revoked => StatusCode::UNAUTHORIZED,
                BearerError::Both | BearerError::Malformed => StatusCode::BAD_REQUEST,
                BearerError::InsufficientScope(_) => StatusCode::FORBIDDEN,
                BearerError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            },
            WebError::Signature(_) => StatusCode::UNAUTHORIZED,
            WebError::TooManyRequests | WebError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            WebError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::NoteDamaged | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What happened, in a sentence for the person who asked (the page's
    /// text; the APIs send [`WebError`]'s own, shorter message).
    fn message(&self) -> Cow<'_, str> {
        match self {
            WebError::NotFound => {
                "There is no page at this address. It may never have existed, or it was removed."
                    .into()
            }
            WebError::Gone => "What was at this address was deleted by the site's owner.".into(),
            WebError::TooManyRequests => {
                "There were too many sign-in attempts from your address. Wait a minute, then try again."
                    .into()
            }
            WebError::MethodNotAllowed(allowed) => allowed.message().into(),
            WebError::NotAcceptable => {
                "This address serves the site's feed in the format your reader asks for in its \
                 Accept header, and it asked for none of these. Each has its own address:"
                    .into()
            }
            WebError::NoteDamaged => {
                "The note at this address exists, but its stored text is damaged, so the site \
                 will not show it. The site's owner has been told and can repair it; \
                 the other pages and the feeds are not affected."
                    .into()
            }
            WebError::Internal(_) => {
                "The site could not do this because of an error on the server. \
                 It has been logged; please try again later."
                    .into()
            }
            WebError::SignInRequired { .. } => {
                "You are not signed in (or your session ended), so this was not done. \
                 Sign in and try again."
                    .into()
            }
            other => sentence(&other.to_string()).into(),
        }
    }

    fn heading(&self) -> &'static str {
        match self {
            WebError::NotFound => "Page not found",
            WebError::Gone => "Deleted",
            WebError::BadRequest(_) | WebError::Grant { .. } => "Bad request",
            WebError::UnsupportedMediaType(_) | WebError::Image(_) => "Not a kind this site takes",
            WebError::TooLarge(Oversize::RequestLine) => "Address too long",
            WebError::TooLarge(Oversize::HeaderLine | Oversize::Headers) => "Headers too large",
            WebError::TooLarge(_) => "Request too large",
            WebError::MethodNotAllowed(_) => "Method not allowed",
            WebError::Forbidden(_)
            | WebError::SignInRequired { .. }
            | WebError::Token(_)
            | WebError::Signature(_) => "Not allowed",
            WebError::SignIn { .. } => "Sign-in failed",
            WebError::TooManyRequests => "Too many attempts",
            WebError::RateLimited { .. } => "Too many requests",
            WebError::NotAcceptable => "No feed in a format you accept",
            WebError::Conflict(_) => "Conflict",
            WebError::NoteDamaged => "This note cannot be shown",
            WebError::Internal(_) => "Something went wrong",
        }
    }
}

impl WebError {
    /// The answer's status and the headers both surfaces send; a failure of
    /// the server is logged here, once, with its cause chain.
    fn answer(&self) -> HttpResponseBuilder {
        if let WebError::Internal(e) = self {
            log::error!("request failed: {}", error_chain(e));
        }
        if let WebError::Token(BearerError::Unavailable(e)) = self {
            log::error!("cannot check an access token: {}", error_chain(e));
        }
        let mut response = HttpResponse::build(self.status());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            WebError::MethodNotAllowed(allowed) => {
                response.insert_header((header::ALLOW, allowed.header()));
            }
            // The answer depends on Accept, like the feed it stands for.
            WebError::NotAcceptable => {
                response.insert_header((header::VARY, "Accept"));
            }
            WebError::TooManyRequests => {
                response.insert_header((header::RETRY_AFTER, "60"));
            }
            WebError::RateLimited { retry_after, .. } => {
                let seconds = retry_after.as_secs().max(1).to_string();
                response.insert_header((header::RETRY_AFTER, seconds));
            }
            WebError::Token(e) => {
                if let Some(challenge) = e.challenge() {
                    response.insert_header((header::WWW_AUTHENTICATE, challenge));
                }
            }
            _ => {}
        }
        if matches!(self, WebError::TooLarge(_)) {
            // What the client still sends is never read.
            response.force_close();
        }
        response
    }
}

/// A message as a sentence: a capital first letter and a final stop.
fn sentence(text: &str) -> String {
    let mut letters = text.chars();
    let Some(first) = letters.next() else {
        return String::new();
    };
    let mut sentence: String = first.to_uppercase().chain(letters).collect();
    if !sentence.ends_with(['.', '!', '?', ':']) {
        sentence.push('.');
    }
    sentence
}

/// Set on a failed response whose cause is a full disk, for
/// [`render_error_page`] (which sees every failed response, and the
/// store) to act on.
#[derive(Debug, Clone, Copy)]
pub(super) struct DiskFull;

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

impl From<Oversize> for WebError {
    fn from(oversize: Oversize) -> WebError {
        WebError::TooLarge(oversize)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_failure_is_the_server_s_and_a_bad_slug_the_client_s() {
        let io = StoreError::io(
            "cannot write",
            std::path::Path::new("n.md"),
            std::io::ErrorKind::Other.into(),
        );
        assert_eq!(
            WebError::from(io).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let taken = StoreError::SlugsExhausted { base: "a".into() };
        assert_eq!(WebError::from(taken).status(), StatusCode::CONFLICT);
        let missing = StoreError::NotFound("a".into());
        assert_eq!(WebError::from(missing).status(), StatusCode::NOT_FOUND);
        let bad = StoreError::InvalidSlug(crate::domain::SlugError::Reserved("admin".into()));
        assert_eq!(WebError::from(bad).status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn messages_become_sentences() {
        assert_eq!(sentence("the file is too large"), "The file is too large.");
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence(""), "");
    }
}
