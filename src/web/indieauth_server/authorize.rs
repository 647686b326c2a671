//! `/auth/authorize`: the site's own IndieAuth authorization endpoint
//! (IndieAuth § 5.2). An app sends the owner here; the owner, signed in,
//! approves or denies; the app gets a code (or an error) at its
//! `redirect_uri`. Apps that only sign people in redeem the code here too.
//!
//! A bad `client_id` or `redirect_uri` is shown to the owner as a page:
//! nothing is ever sent to an address that has not been checked. Every
//! later error goes back to the app, as OAuth says.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use url::Url;

use super::app_page::{ClientInfo, fetch_client_info};
use super::token_endpoint::{FormFields, redeem_code, redemption_answer};
use crate::config::{Environment, Settings};
use crate::domain::{ClientId, Scope, Scopes, parse_redirect_uri};
use crate::random::random_token;
use crate::render::{ConsentPage, PageContext, ScopeChoice};
use crate::store::AuthorizationCode;
use crate::web::session::{Owner, check_origin, csrf_matches, no_store, private_page, token_hash};
use crate::web::{AppState, WebError};

/// Holds the authorization request while the owner signs in.
const RETURN_COOKIE: &str = "starpunk_return";

#[derive(Deserialize)]
pub struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    scope: Option<String>,
}

/// `GET /auth/authorize`: checks the request and asks the owner.
pub async fn authorize_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Option<Owner>,
    query: web::Query<AuthorizeQuery>,
) -> Result<HttpResponse, WebError> {
    let settings = &state.settings;
    let (client_id, redirect_uri) = checked_client(
        settings,
        query.client_id.as_deref(),
        query.redirect_uri.as_deref(),
    )?;
    let Some(owner) = owner else {
        return Ok(sign_in_first(settings, &req));
    };
    let info = match fetch_client_info(state.sign_in.apps_outbound(), &client_id).await {
        Ok(info) => info,
        Err(e) if client_id.same_origin(&redirect_uri) => {
            log::info!("authorize: cannot read {client_id}: {e}");
            ClientInfo::default()
        }
        Err(e) => {
            return Err(WebError::BadRequest(format!(
                "The app's redirect_uri {redirect_uri} is not on the app's own site \
                 ({}), and the app's page could not be read to confirm it: {e}.",
                client_id.host()
            )));
        }
    };
    if !client_id.same_origin(&redirect_uri) && !info.redirect_uris.contains(&redirect_uri) {
        return Err(WebError::BadRequest(format!(
            "The app's redirect_uri {redirect_uri} is not on the app's own site ({}), and \
             the app's page does not list it as one of its addresses, so this request was \
             not accepted.",
            client_id.host()
        )));
    }
    let back = Back {
        redirect_uri: &redirect_uri,
        state: query.state.as_deref().unwrap_or(""),
        issuer: settings.site.url.as_str(),
    };
    let login_only = match query.response_type.as_deref() {
        Some("code") => false,
        Some("id") => true,
        Some(other) => {
            return Ok(back.error(
                "unsupported_response_type",
                &format!("response_type {other:?} is not supported; use code"),
            ));
        }
        None => return Ok(back.error("invalid_request", "response_type is missing")),
    };
    if back.state.is_empty() {
        return Ok(back.error("invalid_request", "state is missing"));
    }
    let challenge = query.code_challenge.as_deref().unwrap_or("");
    match query.code_challenge_method.as_deref() {
        Some("S256") if is_challenge(challenge) => {}
        Some("S256") => {
            return Ok(back.error(
                "invalid_request",
                "code_challenge must be 43 to 128 characters of base64url",
            ));
        }
        _ => {
            return Ok(back.error(
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256",
            ));
        }
    }
    let (requested, unavailable) = if login_only {
        (Scopes::NONE, Vec::new())
    } else {
        Scopes::parse_known(query.scope.as_deref().unwrap_or(""))
    };
    let client_host = client_id.host();
    let app_name = info.name.clone().unwrap_or_else(|| client_host.clone());
    let mut response = private_page(
        StatusCode::OK,
        ConsentPage {
            ctx: PageContext {
                site: &settings.site,
            },
            csrf: owner.csrf(),
            app_name: &app_name,
            client_host,
            client_id: client_id.as_str(),
            logo: info.logo.map(String::from),
            redirect_uri: redirect_uri.as_str(),
            redirect_elsewhere: (!client_id.same_origin(&redirect_uri))
                .then(|| redirect_uri.host_str().unwrap_or_default().to_owned()),
            state: back.state,
            code_challenge: challenge,
            response_type: if login_only { "id" } else { "code" },
            scopes: requested
                .iter()
                .map(|s| ScopeChoice::new(s, true))
                .collect(),
            unavailable,
            me: settings.site.owner_url(),
        },
    )?;
    allow_form_redirect(&mut response, settings);
    Ok(response)
}

/// `POST /auth/authorize`: the owner's answer from the consent page, or an
/// app redeeming a sign-in-only code (IndieAuth § 5.3.2).
pub async fn authorize_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let form = FormFields::parse(&body);
    if form.get("csrf").is_none() && form.get("code").is_some() {
        // An app redeeming a sign-in code (IndieAuth § 5.3.3): JSON.
        return Ok(match redeem_code(&state, &form).await {
            Ok(code) => redemption_answer(&state.settings, &code, None),
            Err(refused) => refused.error_response(),
        });
    }
    let owner = Owner::extract(&req).await.map_err(|_| {
        WebError::Forbidden(
            "You are not signed in (or your session ended), so nothing was approved. \
             Sign in and start again from the app."
                .into(),
        )
    })?;
    check_origin(&req, &state.settings)?;
    if !csrf_matches(&owner, form.get("csrf").unwrap_or("")) {
        return Err(WebError::Forbidden(
            "This form is out of date or did not come from this site, so nothing was \
             approved. Start again from the app."
                .into(),
        ));
    }
    let settings = &state.settings;
    // The consent page was rendered from a checked request; only the
    // owner's session could have sent it back (CSRF), so these fields are
    // the checked ones. They are parsed again all the same.
    let (client_id, redirect_uri) =
        checked_client(settings, form.get("client_id"), form.get("redirect_uri"))?;
    let back = Back {
        redirect_uri: &redirect_uri,
        state: form.get("state").unwrap_or(""),
        issuer: settings.site.url.as_str(),
    };
    if form.get("decision") != Some("approve") {
        log::info!("authorize: the owner denied {client_id}");
        return Ok(back.error("access_denied", "the owner did not allow access"));
    }
    let challenge = form.get("code_challenge").unwrap_or("");
    if !is_challenge(challenge) {
        return Ok(back.error("invalid_request", "code_challenge is missing"));
    }
    let granted: Scopes = if form.get("response_type") == Some("id") {
        Scopes::NONE
    } else {
        form.all("scope").filter_map(Scope::parse).collect()
    };
    let code = random_token();
    state
        .store
        .save_authorization_code(
            &token_hash(&code),
            &AuthorizationCode {
                client_id: client_id.to_string(),
                client_name: form
                    .get("client_name")
                    .filter(|n| !n.is_empty())
                    .map_or_else(|| client_id.host(), str::to_owned),
                redirect_uri: redirect_uri.to_string(),
                code_challenge: challenge.to_owned(),
                scopes: granted,
                me: settings.site.owner_url().to_owned(),
            },
            state.store.now(),
        )
        .await?;
    log::info!("authorize: the owner allowed {client_id} [{granted}]");
    let mut target = redirect_uri.clone();
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", back.state)
        .append_pair("iss", back.issuer);
    Ok(see_other(target.as_str()))
}

/// The app's `client_id` and `redirect_uri`, both usable, or the page that
/// says why not. Loopback apps are taken only in development.
fn checked_client(
    settings: &Settings,
    client_id: Option<&str>,
    redirect_uri: Option<&str>,
) -> Result<(ClientId, Url), WebError> {
    let client_id = ClientId::parse(client_id.unwrap_or("")).map_err(|e| {
        WebError::BadRequest(format!("The app's client_id {e}, so it cannot be trusted."))
    })?;
    if client_id.is_loopback() && settings.environment == Environment::Production {
        return Err(WebError::BadRequest(format!(
            "The app's client_id {client_id} names this machine (loopback), which only \
             development allows."
        )));
    }
    let redirect_uri = parse_redirect_uri(redirect_uri.unwrap_or("")).map_err(|e| {
        WebError::BadRequest(format!(
            "The app's redirect_uri {e}, so nothing can be sent back to it."
        ))
    })?;
    Ok((client_id, redirect_uri))
}

/// The checked address the answer goes back to.
struct Back<'a> {
    redirect_uri: &'a Url,
    state: &'a str,
    issuer: &'a str,
}

impl Back<'_> {
    /// An OAuth error for the app (RFC 6749 § 4.1.2.1, RFC 9207's `iss`).
    fn error(&self, code: &str, description: &str) -> HttpResponse {
        let mut target = self.redirect_uri.clone();
        target
            .query_pairs_mut()
            .append_pair("error", code)
            .append_pair("error_description", description)
            .append_pair("state", self.state)
            .append_pair("iss", self.issuer);
        see_other(target.as_str())
    }
}

/// RFC 7636 § 4.2: BASE64URL of a SHA-256 hash is 43 characters; longer
/// challenges of the same alphabet are taken up to 128.
fn is_challenge(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header(no_store())
        .finish()
}

/// The consent form's answer redirects to the app, which the page's
/// `form-action` must allow (browsers apply it to the redirect too).
fn allow_form_redirect(response: &mut HttpResponse, settings: &Settings) {
    let targets = if settings.environment == Environment::Production {
        "https:"
    } else {
        "https: http:"
    };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
         form-action 'self' {targets}; base-uri 'none'; frame-ancestors 'none'"
    );
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&csp).expect("a valid header"),
    );
}

/// To the sign-in page, keeping this request to come back to afterwards.
fn sign_in_first(settings: &Settings, req: &HttpRequest) -> HttpResponse {
    let path = settings.site.url.path();
    let request = format!("{path}auth/authorize?{}", req.query_string());
    let cookie = Cookie::build(RETURN_COOKIE, URL_SAFE_NO_PAD.encode(request))
        .path(format!("{path}auth"))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.site.url.as_str().starts_with("https://"))
        .max_age(CookieDuration::minutes(15))
        .finish();
    let mut response = see_other(&format!("{path}auth/login"));
    // A valid cookie always makes a valid header.
    let _ = response.add_cookie(&cookie);
    response
}

/// The authorization request the owner was signing in for, if any, and
/// the cookie that forgets it.
pub fn pending_request(
    req: &HttpRequest,
    settings: &Settings,
) -> Option<(String, Cookie<'static>)> {
    let value = req.cookie(RETURN_COOKIE)?;
    let path = settings.site.url.path();
    let forget = Cookie::build(RETURN_COOKIE, "")
        .path(format!("{path}auth"))
        .max_age(CookieDuration::ZERO)
        .finish();
    let request = URL_SAFE_NO_PAD
        .decode(value.value())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        // Only ever back to the authorization endpoint, never elsewhere.
        .filter(|r| r.starts_with(&format!("{path}auth/authorize?")))?;
    Some((request, forget))
}
