//! Signing the owner in and out: IndieAuth with the owner's own domain, a
//! one-time login link from the shell, and sign-out.

mod login_link;
mod services;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use url::Url;

pub use login_link::{login_link_page, sign_out, use_login_link};
pub use services::SignInServices;

use super::session::{Owner, check_origin, no_store, private_page, start_session, token_hash};
use super::{AppState, WebError};
use crate::config::Settings;
use crate::domain::ProfileUrl;
use crate::indieauth_client::{
    self as indieauth, AuthServer, DiscoveryVia, Pkce, SignInError, authorization_url,
};
use crate::random::random_token;
use crate::render::{LoginPage, PageContext};
use crate::store::{OneTimeUse, SignInState};

/// The owner's identity: ADMIN_ME, else the site's own URL.
fn owner_identity(settings: &Settings) -> Option<ProfileUrl> {
    settings
        .site
        .admin_me
        .clone()
        .or_else(|| ProfileUrl::parse(settings.site.url.as_str()).ok())
}

fn client_id(settings: &Settings) -> String {
    settings.site.url.as_str().to_owned()
}

fn redirect_uri(settings: &Settings) -> String {
    settings.site.url.join("auth/callback")
}

fn admin_path(settings: &Settings) -> String {
    format!("{}admin", settings.site.url.path())
}

#[derive(Deserialize)]
pub struct LoginQuery {
    signed_out: Option<String>,
}

/// `GET /auth/login`: who may sign in, and the button that starts it.
pub async fn login_page(
    state: web::Data<AppState>,
    owner: Option<Owner>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, WebError> {
    if owner.is_some() {
        return Ok(see_other(&admin_path(&state.settings)));
    }
    let settings = &state.settings;
    let identity = owner_identity(settings);
    let mut response = private_page(
        StatusCode::OK,
        LoginPage {
            ctx: PageContext {
                site: &settings.site,
            },
            identity: identity.as_ref().map(|me| me.as_str()),
            signed_out: query.signed_out.is_some(),
        },
    )?;
    // The sign-in form's answer redirects to the owner's authorization
    // server, which the page's `form-action` must allow. `img-src data:`
    // lets the layout's empty `data:` icon stop the browser asking for
    // /favicon.ico, as on every other page.
    let form_targets = if settings.environment == crate::config::Environment::Production {
        "https:"
    } else {
        "https: http:"
    };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' {form_targets}; \
         base-uri 'none'; frame-ancestors 'none'"
    );
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&csp).expect("a valid header"),
    );
    Ok(response)
}

/// `POST /auth/login`: finds the owner's authorization server and sends
/// the browser there.
pub async fn start_sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let settings = &state.settings;
    state.sign_in.admit(&req, settings)?;
    check_origin(&req, settings)?;
    let me = owner_identity(settings).ok_or_else(|| WebError::SignIn {
        status: StatusCode::BAD_REQUEST,
        message: format!(
            "This site's address ({}) cannot be used as an IndieAuth identity. Set ADMIN_ME \
             to your profile URL, or sign in with a login link (starpunk login-link).",
            settings.site.url
        ),
    })?;
    let server = indieauth::discover(&state.sign_in.outbound, &me, &settings.indielogin_url)
        .await
        .map_err(|e| sign_in_failed("discovery", &e))?;
    let state_token = random_token();
    let pkce = Pkce::generate();
    state
        .store
        .save_sign_in_state(
            &token_hash(&state_token),
            &SignInState {
                code_verifier: pkce.verifier.clone(),
                authorization_endpoint: server.authorization_endpoint.to_string(),
                issuer: server.issuer.clone(),
                via: via_name(server.via).to_owned(),
                created_at: state.store.now(),
            },
        )
        .await?;
    log::info!(
        "sign-in: sending {me} to {} ({})",
        crate::outbound::shown_url(&server.authorization_endpoint),
        via_name(server.via)
    );
    let target = authorization_url(
        &server,
        &client_id(settings),
        &redirect_uri(settings),
        &state_token,
        &pkce.challenge,
        &me,
    );
    Ok(see_other(target.as_str()))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: the authorization server sends the browser back
/// here with a code, which is redeemed; the identity it names must be the
/// owner's.
pub async fn finish_sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, WebError> {
    let settings = &state.settings;
    state.sign_in.admit(&req, settings)?;
    let query = query.into_inner();
    let refused = |message: String| WebError::SignIn {
        status: StatusCode::BAD_REQUEST,
        message,
    };
    let Some(state_token) = query.state.filter(|s| !s.is_empty()) else {
        return Err(refused(
            "The sign-in came back without its state, so it cannot be matched to a sign-in \
             started here. Start again from the sign-in page."
                .into(),
        ));
    };
    let started = match state
        .store
        .take_sign_in_state(&token_hash(&state_token), state.store.now())
        .await?
    {
        Ok(started) => started,
        Err(OneTimeUse::Unknown) => {
            log::warn!("sign-in: callback with an unknown or used state");
            return Err(refused(
                "This sign-in is unknown here or was already used. Start again from the \
                 sign-in page."
                    .into(),
            ));
        }
        Err(OneTimeUse::Expired) => {
            log::warn!("sign-in: callback with an expired state");
            return Err(refused(
                "This sign-in took more than 10 minutes, so it expired. Start again from the \
                 sign-in page. (If it was quick, check that this server's clock is right.)"
                    .into(),
            ));
        }
    };
    if let Some(error) = query.error {
        let description = query.error_description.unwrap_or_default();
        log::warn!("sign-in: the authorization server answered {error:?}: {description:?}");
        let shown: String = format!("{error} {description}")
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        return Err(refused(format!(
            "The authorization server did not sign you in ({}).",
            shown.trim()
        )));
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return Err(refused(
            "The sign-in came back without a code. Start again from the sign-in page.".into(),
        ));
    };
    let server = AuthServer {
        authorization_endpoint: Url::parse(&started.authorization_endpoint)
            .map_err(|e| WebError::internal("the sign-in's stored endpoint is not a URL", e))?,
        issuer: started.issuer,
        via: via_from_name(&started.via),
    };
    indieauth::check_issuer(&server, query.iss.as_deref())
        .map_err(|e| sign_in_failed("issuer", &e))?;
    let returned_me = indieauth::redeem(
        &state.sign_in.outbound,
        &server,
        &code,
        &client_id(settings),
        &redirect_uri(settings),
        &started.code_verifier,
    )
    .await
    .map_err(|e| sign_in_failed("redemption", &e))?;
    let me = owner_identity(settings).ok_or_else(|| refused("No owner identity is set.".into()))?;
    indieauth::verify_me(&state.sign_in.outbound, &me, &returned_me, &server)
        .await
        .map_err(|e| sign_in_failed("identity", &e))?;
    log::info!("sign-in: {me} signed in");
    signed_in(&state, &req, "Signed in.").await
}

/// A failed step of IndieAuth: logged (without secrets) and shown.
fn sign_in_failed(step: &str, error: &SignInError) -> WebError {
    log::warn!("sign-in failed at {step}: {error}");
    let status = match error {
        SignInError::WrongUser { .. }
        | SignInError::OtherServer { .. }
        | SignInError::Unconfirmed { .. } => StatusCode::FORBIDDEN,
        SignInError::MissingIssuer { .. } | SignInError::WrongIssuer { .. } => {
            StatusCode::BAD_REQUEST
        }
        _ => StatusCode::BAD_GATEWAY,
    };
    WebError::SignIn {
        status,
        message: error.to_string(),
    }
}

fn via_name(via: DiscoveryVia) -> &'static str {
    match via {
        DiscoveryVia::Metadata => "metadata",
        DiscoveryVia::LegacyLink => "legacy",
        DiscoveryVia::Fallback => "fallback",
    }
}

fn via_from_name(name: &str) -> DiscoveryVia {
    match name {
        "metadata" => DiscoveryVia::Metadata,
        "legacy" => DiscoveryVia::LegacyLink,
        _ => DiscoveryVia::Fallback,
    }
}

/// Starts a session and sends the owner to the dashboard, or back to the
/// authorization request that sent them to sign in.
async fn signed_in(
    state: &AppState,
    req: &HttpRequest,
    message: &str,
) -> Result<HttpResponse, WebError> {
    let cookie: Cookie<'static> = start_session(state, req).await?;
    state
        .store
        .set_flash(&token_hash(cookie.value()), message)
        .await?;
    // Back to the app's authorization request the owner signed in for.
    let pending = super::indieauth_server::authorize::pending_request(req, &state.settings);
    let target = pending.as_ref().map_or_else(
        || admin_path(&state.settings),
        |(request, _)| request.clone(),
    );
    let mut response = see_other(&target);
    let cookies = std::iter::once(&cookie).chain(pending.as_ref().map(|(_, forget)| forget));
    for cookie in cookies {
        response
            .add_cookie(cookie)
            .map_err(|e| WebError::internal("cannot set the session cookie", e))?;
    }
    Ok(response)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header(no_store())
        .finish()
}
