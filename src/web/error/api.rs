//! The JSON surface of the APIs (Micropub, the media endpoint, the token
//! endpoint): `{"error", "error_description"}` with the OAuth and Micropub
//! error codes, as RFC 6749 § 5.2, RFC 6750 § 3.1 and Micropub § 3.8 give
//! them. A handler of an API returns `Result<HttpResponse, ApiError>`; any
//! error that becomes a [`WebError`] becomes an `ApiError` with `?`.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

use super::{WebError, marked};
use crate::web::indieauth_server::bearer::BearerError;

/// A [`WebError`], answered in JSON.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into())
    }
}

impl ApiError {
    /// The error code of the JSON body.
    fn code(&self) -> &'static str {
        match &self.0 {
            WebError::Token(e) => match e {
                // RFC 6750 gives no code to a request without credentials;
                // Micropub (and micropub.rocks) expect `unauthorized`.
                BearerError::Missing => "unauthorized",
                BearerError::Both | BearerError::Malformed => "invalid_request",
                BearerError::Invalid | BearerError::Expired | BearerError::Revoked => {
                    "invalid_token"
                }
                BearerError::InsufficientScope(_) => "insufficient_scope",
                BearerError::Unavailable(_) => "temporarily_unavailable",
            },
            WebError::Grant { code, .. } => code,
            WebError::Forbidden(_) | WebError::SignInRequired { .. } => "forbidden",
            WebError::SignIn { .. } => "access_denied",
            WebError::TooManyRequests | WebError::RateLimited { .. } => "too_many_requests",
            WebError::Signature(_) => "unauthorized",
            WebError::NoteDamaged | WebError::Internal(_) => "server_error",
            WebError::NotFound
            | WebError::Gone
            | WebError::BadRequest(_)
            | WebError::UnsupportedMediaType(_)
            | WebError::Image(_)
            | WebError::TooLarge(_)
            | WebError::MethodNotAllowed(_)
            | WebError::NotAcceptable
            | WebError::Conflict(_) => "invalid_request",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({ "error": self.code(), "error_description": self.0.to_string() });
        if let WebError::Token(BearerError::InsufficientScope(scope)) = &self.0 {
            body["scope"] = json!(scope.as_str());
        }
        marked(self.0.answer().json(body), &self.0)
    }
}

/// A JSON answer that no one may keep (tokens, introspection).
pub fn json_answer(body: &Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}
