//! Access tokens presented to the site's APIs (Micropub, introspection):
//! found in the `Authorization: Bearer` header or an `access_token` form
//! field, never both, and answered with RFC 6750's errors as JSON.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use crate::domain::Scope;
use crate::error::error_chain;
use crate::store::{AccessToken, TokenLookup};
use crate::web::session::token_hash;
use crate::web::{AppState, WebError};

/// Why a request is not allowed. Each answers as RFC 6750 § 3.1 says.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    #[error("this needs an access token: send it as `Authorization: Bearer <token>`")]
    Missing,
    #[error("send the access token once: in the Authorization header or in the body, not both")]
    Both,
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
    #[error("the access token is not valid")]
    Invalid,
    #[error("the access token has expired")]
    Expired,
    #[error("the access token was revoked")]
    Revoked,
    #[error("the access token does not grant the `{0}` scope")]
    InsufficientScope(Scope),
    #[error("tokens cannot be checked just now")]
    Unavailable(#[source] WebError),
}

impl BearerError {
    pub fn status(&self) -> StatusCode {
        match self {
            BearerError::Missing
            | BearerError::Invalid
            | BearerError::Expired
            | BearerError::Revoked => StatusCode::UNAUTHORIZED,
            BearerError::Both | BearerError::Malformed => StatusCode::BAD_REQUEST,
            BearerError::InsufficientScope(_) => StatusCode::FORBIDDEN,
            BearerError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The OAuth error code of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            // RFC 6750 gives no code to a request without credentials;
            // Micropub (and micropub.rocks) expect `unauthorized`.
            BearerError::Missing => "unauthorized",
            BearerError::Both | BearerError::Malformed => "invalid_request",
            BearerError::Invalid | BearerError::Expired | BearerError::Revoked => "invalid_token",
            BearerError::InsufficientScope(_) => "insufficient_scope",
            BearerError::Unavailable(_) => "temporarily_unavailable",
        }
    }

    /// `WWW-Authenticate`, where RFC 6750 asks for it.
    fn challenge(&self) -> Option<String> {
        match self {
            BearerError::Missing => Some("Bearer".to_owned()),
            BearerError::Invalid | BearerError::Expired | BearerError::Revoked => Some(format!(
                "Bearer error=\"invalid_token\", error_description=\"{self}\""
            )),
            BearerError::InsufficientScope(scope) => Some(format!(
                "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
            )),
            _ => None,
        }
    }

    /// The JSON answer: `{"error", "error_description"}`, and the `scope`
    /// needed when that is what is missing.
    pub fn response(&self) -> HttpResponse {
        if let BearerError::Unavailable(cause) = self {
            log::error!("cannot check an access token: {}", error_chain(cause));
        }
        let mut body = json!({ "error": self.code(), "error_description": self.to_string() });
        if let BearerError::InsufficientScope(scope) = self {
            body["scope"] = json!(scope.as_str());
        }
        let mut answer = HttpResponse::build(self.status());
        answer.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(challenge) = self.challenge() {
            answer.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        crate::web::error::marked(answer.json(body), self)
    }
}

/// A JSON error answer (`{"error", "error_description"}`), never cached.
/// Returned as a response, not an `Err`, so the HTML error pages leave it
/// alone.
pub fn api_error(status: StatusCode, code: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": code, "error_description": description }))
}

/// The token of a request: from the `Authorization` header, or from the
/// body's `access_token` field (form or multipart), but not both.
pub fn presented_token<'a>(
    req: &'a HttpRequest,
    body_token: Option<&'a str>,
) -> Result<&'a str, BearerError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|value| {
            let value = value.to_str().map_err(|_| BearerError::Malformed)?;
            let (scheme, token) = value.split_once(' ').ok_or(BearerError::Malformed)?;
            let token = token.trim();
            if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
                return Err(BearerError::Malformed);
            }
            Ok(token)
        })
        .transpose()?;
    match (header, body_token.filter(|t| !t.is_empty())) {
        (Some(_), Some(_)) => Err(BearerError::Both),
        (Some(token), None) | (None, Some(token)) => Ok(token),
        (None, None) => Err(BearerError::Missing),
    }
}

/// The live token a request presents.
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    body_token: Option<&str>,
) -> Result<AccessToken, BearerError> {
    let token = presented_token(req, body_token)?;
    let lookup = state
        .store
        .find_token(&token_hash(token), state.store.now())
        .await
        .map_err(|e| BearerError::Unavailable(e.into()))?;
    match lookup {
        TokenLookup::Live(token) => Ok(token),
        TokenLookup::Expired => Err(BearerError::Expired),
        TokenLookup::Revoked => Err(BearerError::Revoked),
        TokenLookup::Unknown => Err(BearerError::Invalid),
    }
}

/// Refuses a token without `scope`.
pub fn require(token: &AccessToken, scope: Scope) -> Result<(), BearerError> {
    if token.scopes.contains(scope) {
        Ok(())
    } else {
        Err(BearerError::InsufficientScope(scope))
    }
}
