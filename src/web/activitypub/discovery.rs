//! How other servers find the actor: WebFinger (RFC 7033) for
//! `acct:user@host`, host-meta's template for it, and NodeInfo 2.1.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::federation;
use crate::web::error::ApiError;
use crate::web::{AppState, WebError};

const JRD: &str = "application/jrd+json";
const NODEINFO_SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

/// `GET /.well-known/webfinger?resource=…`: the actor, named as
/// `acct:user@host`, by its URL or by the site's.
pub async fn webfinger(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let federation = federation(&state)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| WebError::bad_request("the query cannot be read"))?;
    let resource = pairs
        .iter()
        .find(|(name, _)| name == "resource")
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| WebError::bad_request("resource is missing: ask for acct:user@host"))?;
    if !is_resource(resource) {
        return Err(WebError::bad_request(format!(
            "{resource:?} is not an acct: URI or an http(s) URL"
        ))
        .into());
    }
    if !federation.ids.names_actor(resource) {
        return Err(WebError::NotFound.into());
    }
    let ids = &federation.ids;
    let body = json!({
        "subject": format!("acct:{}", ids.handle),
        "aliases": [ids.actor, ids.profile],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": ids.actor},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": ids.profile},
        ],
    });
    Ok(HttpResponse::Ok()
        .content_type(JRD)
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, state.feed_cache_control.clone()))
        .body(body.to_string()))
}

/// `acct:user@host`, or an absolute http(s) URL.
fn is_resource(resource: &str) -> bool {
    if let Some(account) = resource.strip_prefix("acct:") {
        let account = account.strip_prefix('@').unwrap_or(account);
        return account
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && !host.is_empty());
    }
    url::Url::parse(resource).is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
}

/// `GET /.well-known/host-meta`: where WebFinger is (for servers that
/// look here first).
pub async fn host_meta(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let federation = federation(&state)?;
    let url = url::Url::parse(state.settings.site.url.as_str()).expect("SITE_URL is a URL");
    let template = format!(
        "{}://{}/.well-known/webfinger?resource={{uri}}",
        url.scheme(),
        federation.ids.authority
    );
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" type=\"application/jrd+json\" template=\"{}\"/>\n</XRD>\n",
        crate::render::escape(&template)
    );
    Ok(HttpResponse::Ok()
        .content_type("application/xrd+xml; charset=utf-8")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, state.feed_cache_control.clone()))
        .body(body))
}

/// `GET /.well-known/nodeinfo`: where the NodeInfo document is.
pub async fn nodeinfo_links(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    federation(&state)?;
    let body = json!({
        "links": [{"rel": NODEINFO_SCHEMA, "href": state.settings.site.url.join("nodeinfo/2.1")}],
    });
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, state.feed_cache_control.clone()))
        .body(body.to_string()))
}

/// `GET /nodeinfo/2.1`: what software this is, that it speaks
/// ActivityPub, for one user, who takes no sign-ups.
pub async fn nodeinfo(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    federation(&state)?;
    let posts = state.store.note_counts().await?.published;
    let body = json!({
        "version": "2.1",
        "software": {
            "name": "starpunk",
            "version": env!("CARGO_PKG_VERSION"),
            "repository": env!("CARGO_PKG_REPOSITORY"),
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": false,
        "usage": {
            "users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1},
            "localPosts": posts,
        },
        "metadata": {"nodeName": state.settings.site.name},
    });
    Ok(HttpResponse::Ok()
        .content_type(format!("application/json; profile=\"{NODEINFO_SCHEMA}#\""))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, state.feed_cache_control.clone()))
        .body(body.to_string()))
}
