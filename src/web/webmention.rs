//! `POST /webmention`: the site's Webmention endpoint. A mention is
//! checked at once (400 saying what is wrong, 403 from a blocked domain,
//! 429 past the limits), then queued and answered `202 Accepted`: it is
//! verified in the background, so a slow source never holds the sender.

use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{AppState, WebError};
use crate::config::SiteSettings;
use crate::webmention::Refusal;

#[derive(Deserialize)]
pub struct MentionForm {
    #[serde(default)]
    source: String,
    #[serde(default)]
    target: String,
}

/// `POST /webmention`
pub async fn receive(
    state: web::Data<AppState>,
    form: web::Form<MentionForm>,
) -> Result<HttpResponse, WebError> {
    match state.webmention.receive(&form.source, &form.target).await {
        Ok(()) => Ok(HttpResponse::Accepted()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(format!(
                "Accepted: {} will be fetched and checked for a link to {} shortly.\n",
                form.source.trim(),
                form.target.trim()
            ))),
        Err(Refusal::Invalid(message)) => Err(WebError::BadRequest(message)),
        Err(refused @ Refusal::Blocked(_)) => Err(WebError::Forbidden(refused.to_string())),
        Err(Refusal::TooMany {
            message,
            retry_after,
        }) => Err(WebError::RateLimited {
            message,
            retry_after,
        }),
        Err(Refusal::Store(e)) => Err(e.into()),
    }
}

/// The endpoint's address.
pub fn endpoint(site: &SiteSettings) -> String {
    site.url.join("webmention")
}

/// `Link: <…/webmention>; rel="webmention"` on every answer that has no
/// `Link` header of its own (the home page's names it among its links).
pub fn advertised(site: &SiteSettings) -> DefaultHeaders {
    let link = format!("<{}>; rel=\"webmention\"", endpoint(site));
    DefaultHeaders::new().add((
        header::LINK,
        HeaderValue::from_str(&link).expect("SITE_URL makes a valid header value"),
    ))
}
