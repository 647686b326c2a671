//! The fediverse's addresses: discovery (WebFinger, host-meta, NodeInfo),
//! the actor and its collections, the inbox, and notes' permalinks in
//! their ActivityPub representation. With ACTIVITYPUB_USERNAME unset,
//! every one of them is not found.

mod discovery;
mod documents;
mod inbox;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::limits::Accepts;
use super::{AppState, WebError, posted, readable};
use crate::activitypub::Federation;

pub use documents::note_object;

/// The routes, for [`super::routes`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(readable("/.well-known/webfinger", discovery::webfinger))
        .service(readable("/.well-known/host-meta", discovery::host_meta))
        .service(readable("/.well-known/nodeinfo", discovery::nodeinfo_links))
        .service(readable("/nodeinfo/2.1", discovery::nodeinfo))
        .service(readable("/activitypub/actor", documents::actor))
        .service(readable("/activitypub/outbox", documents::outbox))
        .service(readable("/activitypub/followers", documents::followers))
        .service(posted(
            "/activitypub/inbox",
            Accepts::Activity,
            inbox::inbox,
        ));
}

/// Federation, or 404 when it is off.
fn federation(state: &AppState) -> Result<&Federation, WebError> {
    state.federation.as_deref().ok_or(WebError::NotFound)
}

/// Whether the request prefers the ActivityPub representation of an
/// address that has an HTML one too (a missing or unreadable `Accept`
/// gets HTML).
pub fn wants_activity(req: &HttpRequest) -> bool {
    const OFFERS: &[(bool, &[&str])] = &[
        (false, &["text/html", "application/xhtml+xml"]),
        (true, &["application/activity+json", "application/ld+json"]),
    ];
    super::negotiate::preferred(req.headers(), OFFERS).unwrap_or(false)
}

/// Marks an answer that depends on `Accept`, keeping what else it varies
/// on (a cached page's `Accept-Encoding`).
pub fn vary_on_accept(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    let others: Vec<&str> = headers
        .get_all(header::VARY)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty() && !name.eq_ignore_ascii_case("accept"))
        .collect();
    let vary = std::iter::once("Accept")
        .chain(others)
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(vary) = HeaderValue::from_str(&vary) {
        headers.insert(header::VARY, vary);
    }
}
