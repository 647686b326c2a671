//! `/admin/apps`: the tokens apps and scripts hold, each revocable.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::render::{AppsPage, PageContext, TokenRow};
use crate::web::session::{Authorized, CsrfForm, Owner, private_page};
use crate::web::{AppState, WebError};

/// `GET /admin/apps`
pub async fn apps(state: web::Data<AppState>, owner: Owner) -> Result<HttpResponse, WebError> {
    let tokens = state.store.list_tokens().await?;
    let flash = state.store.take_flash(owner.session_hash()).await?;
    let now = state.store.now();
    private_page(
        StatusCode::OK,
        AppsPage {
            ctx: PageContext {
                site: &state.settings.site,
            },
            csrf: owner.csrf(),
            flash: flash.as_deref(),
            tokens: tokens.iter().map(|t| TokenRow::new(t, now)).collect(),
        },
    )
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm for RevokeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/apps/revoke/{id}`
pub async fn revoke_app(
    state: web::Data<AppState>,
    request: Authorized<RevokeForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    if !state.store.revoke_token(id, state.store.now()).await? {
        return Err(WebError::NotFound);
    }
    log::info!("token: the owner revoked token {id}");
    state
        .store
        .set_flash(request.owner.session_hash(), "Access revoked.")
        .await?;
    Ok(see_apps(&state))
}

fn see_apps(state: &AppState) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("{}admin/apps", state.settings.site.url.path()),
        ))
        .insert_header(crate::web::session::no_store())
        .finish()
}
