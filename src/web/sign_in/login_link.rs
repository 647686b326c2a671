//! Signing in without an IndieAuth server (`starpunk login-link`), signing
//! out, and starting the session either way ends with.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{see_other, signed_in};
use crate::render::{LoginLinkPage, PageContext};
use crate::store::OneTimeUse;
use crate::web::session::{
    Authorized, CsrfForm, check_origin, private_page, session_cookie, token_hash,
};
use crate::web::{AppState, WebError};

/// `GET /auth/link/{token}`: a page with one button, so that a link
/// preview or a prefetching mail client cannot use the link up.
pub async fn login_link_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    state.sign_in.admit(&req, &state.settings)?;
    private_page(
        StatusCode::OK,
        LoginLinkPage {
            ctx: PageContext {
                site: &state.settings.site,
            },
            action: state.settings.site.url.path().to_owned() + "auth/link/" + &token,
        },
    )
}

/// `POST /auth/link/{token}`: signs the owner in, once.
pub async fn use_login_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    state.sign_in.admit(&req, &state.settings)?;
    check_origin(&req, &state.settings)?;
    let outcome = state
        .store
        .take_login_link(&token_hash(&token), state.store.now())
        .await?;
    let message = match outcome {
        Ok(()) => {
            log::info!("sign-in: signed in with a login link");
            return signed_in(&state, &req, "Signed in with a login link.").await;
        }
        Err(OneTimeUse::Unknown) => "This login link is unknown or was already used.",
        Err(OneTimeUse::Expired) => "This login link expired (they last 10 minutes).",
    };
    log::warn!("sign-in: {message}");
    Err(WebError::SignIn {
        status: StatusCode::BAD_REQUEST,
        message: format!("{message} Make a new one with: starpunk login-link"),
    })
}

#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm for SignOutForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /auth/logout`: ends the session and removes its cookie.
pub async fn sign_out(
    state: web::Data<AppState>,
    request: Authorized<SignOutForm>,
) -> Result<HttpResponse, WebError> {
    state
        .store
        .end_session(request.owner.session_hash())
        .await?;
    let mut response = see_other(&format!(
        "{}auth/login?signed_out=1",
        state.settings.site.url.path()
    ));
    response
        .add_cookie(&session_cookie(&state.settings, String::new(), 0))
        .map_err(|e| WebError::internal("cannot set the session cookie", e))?;
    Ok(response)
}
