//! How apps find the site's IndieAuth server and Micropub endpoint: the
//! metadata document (IndieAuth § 4.1.1, RFC 8414) and the `Link` header
//! of the home page. Every HTML page has the same links in its `<head>`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::config::SiteSettings;
use crate::domain::Scope;
use crate::web::AppState;

/// The metadata changes only when the settings do (a restart).
const METADATA_CACHE: &str = "public, max-age=86400";

/// `GET /.well-known/oauth-authorization-server`
pub async fn metadata(state: web::Data<AppState>) -> HttpResponse {
    let site = &state.settings.site;
    let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, METADATA_CACHE))
        .json(json!({
            "issuer": site.url.as_str(),
            "authorization_endpoint": site.url.join("auth/authorize"),
            "token_endpoint": site.url.join("auth/token"),
            "introspection_endpoint": site.url.join("auth/introspect"),
            "introspection_endpoint_auth_methods_supported": ["Bearer"],
            "revocation_endpoint": site.url.join("auth/revoke"),
            "revocation_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": scopes,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "service_documentation": "https://indieauth.spec.indieweb.org/",
        }))
}

/// The `Link` header of the home page: the same links as every page's
/// `<head>`, for clients that read headers only.
pub fn discovery_links(site: &SiteSettings) -> HeaderValue {
    let links = [
        ("micropub", "micropub"),
        (
            "indieauth-metadata",
            ".well-known/oauth-authorization-server",
        ),
        ("authorization_endpoint", "auth/authorize"),
        ("token_endpoint", "auth/token"),
        ("webmention", "webmention"),
    ]
    .map(|(rel, path)| format!("<{}>; rel=\"{rel}\"", site.url.join(path)))
    .join(", ");
    HeaderValue::from_str(&links).expect("SITE_URL makes a valid header value")
}
