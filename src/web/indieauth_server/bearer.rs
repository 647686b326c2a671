//! Access tokens presented to the site's APIs (Micropub, introspection):
//! found in the `Authorization: Bearer` header or an `access_token` form
//! field, never both; a refusal is a [`BearerError`], which the APIs
//! answer with RFC 6750's errors.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::domain::Scope;
use crate::store::{AccessToken, StoreError, TokenLookup};
use crate::web::AppState;
use crate::web::session::token_hash;

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
    Unavailable(#[source] StoreError),
}

impl BearerError {
    /// `WWW-Authenticate`, where RFC 6750 asks for it.
    pub(crate) fn challenge(&self) -> Option<String> {
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
        .map_err(BearerError::Unavailable)?;
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
