//! Who is signed in, and whether a form really came from the admin pages.
//!
//! A session is a 256-bit random token in the `starpunk_session` cookie;
//! the database keeps only its SHA-256 hash. Every state-changing request
//! is a `POST` whose form carries a CSRF token derived from the session's
//! token (so it needs no storage and dies with the session), and whose
//! `Origin`, when the browser sends one, must be the site's own.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::{AppState, WebError};
use crate::config::Settings;
use crate::random::random_token;
use crate::store::SESSION_LIFETIME;

pub const SESSION_COOKIE: &str = "starpunk_session";

/// The hash under which a secret token is stored.
pub fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// The CSRF token of the session whose secret is `token`.
fn csrf_for(token: &str) -> String {
    format!("{:x}", Sha256::digest(format!("csrf:{token}").as_bytes()))
}

/// Compares without stopping at the first difference.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The signed-in owner, for handlers of admin pages. Extracting it from a
/// request without a live session answers 303 to the sign-in page (for a
/// page) or 403 (for a form).
#[derive(Debug, Clone)]
pub struct Owner {
    session_hash: String,
    csrf: String,
}

impl Owner {
    /// The token forms must carry.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    pub fn session_hash(&self) -> &str {
        &self.session_hash
    }
}

fn app_state(req: &HttpRequest) -> web::Data<AppState> {
    req.app_data::<web::Data<AppState>>()
        .expect("the app state is registered for every route")
        .clone()
}

impl Owner {
    /// The owner whose live session the request's cookie names, or the
    /// refusal: to the sign-in page for a page, 403 for a form.
    pub async fn of(req: &HttpRequest) -> Result<Owner, WebError> {
        let state = app_state(req);
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            let hash = token_hash(&token);
            let session = state.store.find_session(&hash, state.store.now()).await?;
            if session.is_some() {
                return Ok(Owner {
                    session_hash: hash,
                    csrf: csrf_for(&token),
                });
            }
        }
        Err(WebError::SignInRequired {
            login_path: state.settings.site.url.path().to_owned() + "auth/login",
            is_form: !matches!(*req.method(), Method::GET | Method::HEAD),
        })
    }
}

impl FromRequest for Owner {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Owner, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Owner::of(&req).await?) })
    }
}

/// Whether a form's CSRF token is the owner's, for handlers that read
/// their form themselves (one address taking two kinds of `POST`).
pub fn csrf_matches(owner: &Owner, presented: &str) -> bool {
    same_secret(presented, owner.csrf())
}

/// The refusal of a form whose CSRF token is missing or not the owner's.
pub fn csrf_refused() -> WebError {
    WebError::Forbidden(
        "This form is out of date or did not come from this site's admin pages, \
         so nothing was changed. Reload the page and try again."
            .into(),
    )
}

/// A form that every state-changing admin request sends: its fields, and
/// the CSRF token (`csrf`).
pub trait CsrfForm: DeserializeOwned + 'static {
    fn csrf(&self) -> &str;
}

/// A form from the signed-in owner, checked: the session is live, the
/// `Origin` (if sent) is the site's, and the CSRF token matches. Anything
/// else is refused with 403 before the handler runs, so nothing changes.
pub struct Authorized<T> {
    pub owner: Owner,
    pub form: T,
}

impl<T: CsrfForm> FromRequest for Authorized<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Authorized<T>, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let owner = Owner::from_request(req, payload);
        let body = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let owner = owner.await?;
            let state = app_state(&req);
            check_origin(&req, &state.settings)?;
            let body = body.await?;
            let is_form = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            if !is_form {
                return Err(
                    WebError::BadRequest("This address takes a submitted form.".into()).into(),
                );
            }
            #[derive(serde::Deserialize)]
            struct Token {
                #[serde(default)]
                csrf: String,
            }
            let token: Token = serde_urlencoded::from_bytes(&body).unwrap_or(Token {
                csrf: String::new(),
            });
            if !same_secret(&token.csrf, owner.csrf()) {
                return Err(csrf_refused().into());
            }
            let form = serde_urlencoded::from_bytes::<T>(&body)
                .map_err(|e| WebError::BadRequest(format!("The form could not be read: {e}.")))?;
            Ok(Authorized { owner, form })
        })
    }
}

/// A browser's `Origin` names the page a form came from: another site's
/// page (or a `null` origin) must not change anything here.
pub fn check_origin(req: &HttpRequest, settings: &Settings) -> Result<(), WebError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let expected = site_origin(settings);
    if origin.as_bytes() == expected.as_bytes() {
        Ok(())
    } else {
        Err(WebError::Forbidden(format!(
            "This request came from another site ({}), so nothing was changed.",
            String::from_utf8_lossy(origin.as_bytes())
        )))
    }
}

/// `scheme://host[:port]` of SITE_URL, as browsers write `Origin`.
fn site_origin(settings: &Settings) -> String {
    let url = url::Url::parse(settings.site.url.as_str()).expect("SITE_URL is a valid URL");
    url.origin().ascii_serialization()
}

/// Starts a session for the owner and returns the cookie that carries it.
pub async fn start_session(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Cookie<'static>, WebError> {
    let token = random_token();
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ip = client_ip(req, &state.settings).map_or_else(String::new, |ip| ip.to_string());
    state
        .store
        .create_session(&token_hash(&token), user_agent, &ip, state.store.now())
        .await?;
    Ok(session_cookie(
        &state.settings,
        token,
        SESSION_LIFETIME.num_seconds(),
    ))
}

/// The session cookie; an empty one with no lifetime removes it.
pub fn session_cookie(settings: &Settings, token: String, max_age_seconds: i64) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.site.url.as_str().starts_with("https://"))
        .max_age(CookieDuration::seconds(max_age_seconds))
        .finish()
}

/// The client's address: the connection's peer, or with
/// `TRUST_X_FORWARDED_FOR` the last address the proxy added.
pub fn client_ip(req: &HttpRequest, settings: &Settings) -> Option<IpAddr> {
    if settings.trust_x_forwarded_for
        && let Some(forwarded) = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .last()
    {
        return Some(forwarded);
    }
    req.peer_addr().map(|addr| addr.ip())
}

/// An owner-only HTML page (sign-in and admin): rendered now, never stored
/// by any cache.
pub fn private_page<T: askama::Template>(
    status: StatusCode,
    page: T,
) -> Result<HttpResponse, WebError> {
    let body = page
        .render()
        .map_err(|e| WebError::internal("cannot render the page", e))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(no_store())
        .body(body))
}

/// Headers for every admin and sign-in answer: never stored by a cache.
pub fn no_store() -> (header::HeaderName, HeaderValue) {
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}
