//! `/admin/blocked`: domains the site neither hears from nor sends to
//! (Webmentions and the fediverse alike), with their subdomains.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::followers::see;
use crate::render::{BlockedPage, PageContext};
use crate::web::session::{Authorized, CsrfForm, Owner, private_page};
use crate::web::{AppState, WebError};

/// `GET /admin/blocked`
pub async fn blocked(state: web::Data<AppState>, owner: Owner) -> Result<HttpResponse, WebError> {
    let flash = state.store.take_flash(owner.session_hash()).await?;
    let domains = state.store.blocked_domains().await?;
    private_page(
        StatusCode::OK,
        BlockedPage {
            ctx: PageContext {
                site: &state.settings.site,
            },
            csrf: owner.csrf(),
            flash: flash.as_deref(),
            domains,
        },
    )
}

#[derive(Deserialize)]
pub struct DomainForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    domain: String,
}

impl CsrfForm for DomainForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// A domain as the owner may type it (`Spam.example`, `*.spam.example`,
/// `https://spam.example/path`), as stored: lowercase host name.
pub fn domain_of(text: &str) -> Result<String, WebError> {
    let text = text.trim();
    let host = match url::Url::parse(text) {
        Ok(url) if url.host_str().is_some() => url.host_str().unwrap_or_default().to_owned(),
        _ => text.trim_start_matches("*.").trim_matches('.').to_owned(),
    };
    match url::Host::parse(&host) {
        Ok(url::Host::Domain(domain)) if !domain.is_empty() => Ok(domain.to_ascii_lowercase()),
        Ok(url::Host::Ipv4(ip)) => Ok(ip.to_string()),
        _ => Err(WebError::bad_request(format!(
            "{text:?} is not a domain name such as spam.example"
        ))),
    }
}

/// `POST /admin/blocked/add`: blocks a domain, and removes what it sent
/// and its followers.
pub async fn block(
    state: web::Data<AppState>,
    request: Authorized<DomainForm>,
) -> Result<HttpResponse, WebError> {
    let domain = domain_of(&request.form.domain)?;
    let responses = state.store.block_domain(&domain).await?;
    let followers = state.store.remove_followers_on(&domain).await?;
    log::info!("the owner blocked {domain}");
    let message =
        format!("Blocked {domain}: {responses} response(s) and {followers} follower(s) removed.");
    state
        .store
        .set_flash(request.owner.session_hash(), &message)
        .await?;
    state.refresh_revision().await?;
    Ok(see(&state, "admin/blocked"))
}

/// `POST /admin/blocked/remove`
pub async fn unblock(
    state: web::Data<AppState>,
    request: Authorized<DomainForm>,
) -> Result<HttpResponse, WebError> {
    let domain = domain_of(&request.form.domain)?;
    state.store.unblock_domain(&domain).await?;
    log::info!("the owner unblocked {domain}");
    state
        .store
        .set_flash(
            request.owner.session_hash(),
            &format!("Unblocked {domain}."),
        )
        .await?;
    Ok(see(&state, "admin/blocked"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_read_as_the_owner_types_them() {
        for (typed, want) in [
            ("Spam.Example", "spam.example"),
            ("*.spam.example", "spam.example"),
            ("https://spam.example/users/x", "spam.example"),
            (" spam.example. ", "spam.example"),
        ] {
            assert_eq!(domain_of(typed).unwrap(), want, "{typed}");
        }
        for bad in ["", "spam example", "http://"] {
            assert!(domain_of(bad).is_err(), "{bad}");
        }
    }
}
