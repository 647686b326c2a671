//! The token side of the site's own IndieAuth server: codes become tokens
//! (`POST /auth/token`), resource servers check tokens (`POST
//! /auth/introspect`, and the older `GET /auth/token`), and apps give
//! tokens up (`POST /auth/revoke`, and the older `action=revoke`).
//!
//! Every answer is JSON, errors included (`{"error", "error_description"}`,
//! see [`ApiError`]).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::bearer::{BearerError, authenticate};
use crate::config::Settings;
use crate::domain::pkce_challenge;
use crate::domain::{ClientId, Scope, parse_redirect_uri};
use crate::random::random_token;
use crate::store::{AuthorizationCode, CodeRefusal, NewToken, TokenLookup};
use crate::web::error::{ApiError, json_answer};
use crate::web::session::token_hash;
use crate::web::{AppState, WebError};

/// The fields of a form body, repeated names kept (checkboxes).
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// A body that is not a form reads as no fields, which every caller
    /// answers as missing parameters.
    pub fn parse(body: &[u8]) -> FormFields {
        FormFields(serde_urlencoded::from_bytes(body).unwrap_or_default())
    }

    /// The first value of `name`, if not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// `POST /auth/token`: a code for a token; or the legacy `action=revoke`.
pub async fn token(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let form = FormFields::parse(&body);
    if form.get("action") == Some("revoke") {
        return revoke_named(&state, form.get("token")).await;
    }
    match form.get("grant_type") {
        Some("authorization_code") => {}
        Some(other) => {
            return Err(refused(
                "unsupported_grant_type",
                format!("grant_type {other:?} is not supported; use authorization_code"),
            ));
        }
        None => return Err(WebError::bad_request("grant_type is missing").into()),
    }
    let code = redeem_code(&state, &form).await?;
    if code.scopes.is_empty() {
        // Sign-in only: no token for a code granted no scope (§ 5.3.3).
        return Ok(redemption_answer(&state.settings, &code, None));
    }
    let secret = random_token();
    let token = state
        .store
        .issue_token(
            &token_hash(&secret),
            &NewToken {
                name: &code.client_name,
                client_id: &code.client_id,
                scopes: code.scopes,
                me: &code.me,
                expires_at: None,
            },
            state.store.now(),
        )
        .await?;
    log::info!(
        "token: issued token {} to {} [{}]",
        token.id,
        code.client_id,
        code.scopes
    );
    Ok(redemption_answer(&state.settings, &code, Some(&secret)))
}

/// Takes the form's code and checks it against the form: the same
/// `client_id` and `redirect_uri`, and a `code_verifier` that hashes to
/// the challenge. A failed check still uses the code up.
pub async fn redeem_code(
    state: &AppState,
    form: &FormFields,
) -> Result<AuthorizationCode, ApiError> {
    let required = |name: &str| {
        form.get(name)
            .ok_or_else(|| WebError::bad_request(format!("{name} is missing")))
    };
    let code = required("code")?;
    let client_id = required("client_id")?;
    let redirect_uri = required("redirect_uri")?;
    let verifier = required("code_verifier")?;
    let taken = state
        .store
        .take_authorization_code(&token_hash(code), state.store.now())
        .await?;
    let granted = taken.map_err(|refusal| {
        let why = match refusal {
            CodeRefusal::Unknown => "the code is not known here",
            CodeRefusal::Used => "the code was already used",
            CodeRefusal::Expired => "the code expired (codes last 10 minutes)",
        };
        log::warn!("token: refused a code: {why}");
        refused("invalid_grant", why)
    })?;
    let same_client = ClientId::parse(client_id).is_ok_and(|id| id.as_str() == granted.client_id);
    let same_redirect =
        parse_redirect_uri(redirect_uri).is_ok_and(|uri| uri.as_str() == granted.redirect_uri);
    if !same_client {
        return Err(refused(
            "invalid_grant",
            "the code was issued to another client_id",
        ));
    }
    if !same_redirect {
        return Err(refused(
            "invalid_grant",
            "the redirect_uri differs from the one the code was issued for",
        ));
    }
    let verifier_ok = (43..=128).contains(&verifier.len())
        && pkce_challenge(verifier).as_bytes() == granted.code_challenge.as_bytes();
    if !verifier_ok {
        log::warn!("token: PKCE check failed for {}", granted.client_id);
        return Err(refused(
            "invalid_grant",
            "the code_verifier does not match the code_challenge",
        ));
    }
    Ok(granted)
}

/// The redemption's answer: `me`, the token when one was issued, and the
/// owner's profile when the `profile` scope was granted.
pub fn redemption_answer(
    settings: &Settings,
    code: &AuthorizationCode,
    token: Option<&str>,
) -> HttpResponse {
    let mut body = json!({ "me": code.me });
    if let Some(token) = token {
        body["access_token"] = json!(token);
        body["token_type"] = json!("Bearer");
        body["scope"] = json!(code.scopes.to_string());
    }
    if code.scopes.contains(Scope::Profile) {
        body["profile"] = json!({
            "name": settings.site.author_name(),
            "url": settings.site.owner_url(),
        });
    }
    json_answer(&body)
}

/// `GET /auth/token` with `Authorization: Bearer`: the token's `me`,
/// `client_id` and `scope`, as resource servers asked before introspection.
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = authenticate(&state, &req, None).await?;
    Ok(json_answer(&json!({
        "me": token.me,
        "client_id": token.client_id,
        "scope": token.scopes.to_string(),
    })))
}

/// `POST /auth/introspect` (RFC 7662 and IndieAuth § 6): the caller proves
/// itself with any live token of this site; the answer says whether the
/// form's `token` is active.
pub async fn introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let form = FormFields::parse(&body);
    // The caller's own token may come in the header or, as RFC 6750
    // allows, as the form's `access_token`; `token` is the one checked.
    authenticate(&state, &req, form.get("access_token")).await?;
    let token = form
        .get("token")
        .ok_or_else(|| WebError::bad_request("token is missing"))?;
    let lookup = state
        .store
        .find_token(&token_hash(token), state.store.now())
        .await
        .map_err(BearerError::Unavailable)?;
    let body = match lookup {
        TokenLookup::Live(token) => {
            let mut body = json!({
                "active": true,
                "me": token.me,
                "client_id": token.client_id,
                "scope": token.scopes.to_string(),
                "iat": token.created_at.timestamp(),
            });
            if let Some(at) = token.expires_at {
                body["exp"] = json!(at.timestamp());
            }
            body
        }
        _ => json!({ "active": false }),
    };
    Ok(json_answer(&body))
}

/// `POST /auth/revoke` (RFC 7009): 200 whether or not the token existed.
pub async fn revoke(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let form = FormFields::parse(&body);
    revoke_named(&state, form.get("token")).await
}

async fn revoke_named(state: &AppState, token: Option<&str>) -> Result<HttpResponse, ApiError> {
    let token = token.ok_or_else(|| WebError::bad_request("token is missing"))?;
    let revoked = state
        .store
        .revoke_token_by_hash(&token_hash(token), state.store.now())
        .await?;
    if revoked {
        log::info!("token: an app revoked its token");
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// A refusal of the token endpoint with its OAuth code (RFC 6749 § 5.2).
fn refused(code: &'static str, description: impl Into<String>) -> ApiError {
    ApiError(WebError::Grant {
        code,
        description: description.into(),
    })
}
