//! Discovering the owner's authorization server from their profile URL
//! (IndieAuth §4.1).

use serde_json::Value;
use url::Url;

use super::{AuthServer, DiscoveryVia, SignInError, quoted};
use crate::domain::ProfileUrl;
use crate::outbound::{Fetched, Outbound, first_in_headers, first_in_html, shown_url};

const METADATA_REL: &str = "indieauth-metadata";
const LEGACY_REL: &str = "authorization_endpoint";

/// Finds the authorization server `me` advertises: `rel=indieauth-metadata`
/// and its metadata first, then the older `rel=authorization_endpoint`,
/// each in the `Link` headers before the HTML. A page that advertises
/// neither gets `fallback` (a service such as IndieLogin); a page that
/// cannot be read is an error, never a reason to fall back.
pub async fn discover(
    out: &Outbound,
    me: &ProfileUrl,
    fallback: &Url,
) -> Result<AuthServer, SignInError> {
    match discover_advertised(out, me).await? {
        Some(server) => Ok(server),
        None => {
            check_endpoint(fallback, out.https_only())?;
            Ok(AuthServer {
                authorization_endpoint: fallback.clone(),
                issuer: None,
                via: DiscoveryVia::Fallback,
            })
        }
    }
}

/// The server that `me`'s page advertises, or `None` if it advertises none.
pub(super) async fn discover_advertised(
    out: &Outbound,
    me: &ProfileUrl,
) -> Result<Option<AuthServer>, SignInError> {
    let me = Url::parse(me.as_str()).expect("a profile URL is a URL");
    let page = out.get_page(&me).await.map_err(SignInError::ProfilePage)?;
    if let Some(metadata_url) = find_rel(&page, METADATA_REL)? {
        let metadata = out
            .get_json(&metadata_url)
            .await
            .map_err(SignInError::Metadata)?;
        return read_metadata(&metadata, &metadata_url, out.https_only()).map(Some);
    }
    match find_rel(&page, LEGACY_REL)? {
        Some(endpoint) => {
            check_endpoint(&endpoint, out.https_only())?;
            Ok(Some(AuthServer {
                authorization_endpoint: endpoint,
                issuer: None,
                via: DiscoveryVia::LegacyLink,
            }))
        }
        None => Ok(None),
    }
}

/// The first link with relation `rel`, headers before HTML, resolved
/// against the URL the page was finally read from. Only the first counts:
/// if it is unusable, that is an error rather than a reason to look on.
fn find_rel(page: &Fetched, rel: &'static str) -> Result<Option<Url>, SignInError> {
    let href = first_in_headers(&page.link_headers, rel).or_else(|| {
        is_html(page.content_type.as_deref())
            .then(|| first_in_html(&page.body, rel))
            .flatten()
    });
    let Some(href) = href else {
        return Ok(None);
    };
    page.final_url
        .join(&href)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .map(Some)
        .ok_or_else(|| SignInError::BadLink {
            rel,
            href: quoted(&href),
        })
}

/// Whether a body is HTML; a missing type is given the benefit of the
/// doubt, as browsers do.
fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_none_or(|value| {
        let value = value.to_ascii_lowercase();
        value.contains("text/html") || value.contains("application/xhtml+xml")
    })
}

/// The parts of an IndieAuth metadata document (§4.1.1) that signing in
/// needs, checked as the spec requires.
fn read_metadata(
    metadata: &Value,
    metadata_url: &Url,
    https_only: bool,
) -> Result<AuthServer, SignInError> {
    let bad = |reason: String| SignInError::BadMetadata {
        url: shown_url(metadata_url),
        reason,
    };
    let issuer = metadata
        .get("issuer")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("it has no \"issuer\"".into()))?;
    check_issuer_identifier(issuer, metadata_url, https_only).map_err(bad)?;
    let endpoint = metadata
        .get("authorization_endpoint")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("it has no \"authorization_endpoint\"".into()))?;
    let endpoint = Url::parse(endpoint).map_err(|_| {
        bad(format!(
            "its authorization_endpoint {} is not an absolute URL",
            quoted(endpoint)
        ))
    })?;
    check_endpoint(&endpoint, https_only)?;
    // PKCE is required; a server that lists its methods must offer S256.
    if let Some(methods) = metadata
        .get("code_challenge_methods_supported")
        .and_then(Value::as_array)
        && !methods.iter().any(|m| m.as_str() == Some("S256"))
    {
        return Err(bad("it does not offer PKCE with S256".into()));
    }
    Ok(AuthServer {
        authorization_endpoint: endpoint,
        issuer: Some(issuer.to_owned()),
        via: DiscoveryVia::Metadata,
    })
}

/// §4.1.1: the issuer is an https URL without query or fragment, and a
/// prefix of the metadata URL, so a server cannot claim another's name.
/// Outside production an http issuer is accepted, for local servers.
fn check_issuer_identifier(
    issuer: &str,
    metadata_url: &Url,
    https_only: bool,
) -> Result<(), String> {
    let shown = quoted(issuer);
    let parsed = Url::parse(issuer).map_err(|_| format!("its issuer {shown} is not a URL"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if !https_only => {}
        _ => return Err(format!("its issuer {shown} does not use https")),
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("its issuer {shown} has a query or fragment"));
    }
    let same_origin = parsed.origin() == metadata_url.origin();
    if !same_origin || !metadata_url.path().starts_with(parsed.path()) {
        return Err(format!(
            "its issuer {shown} is not a prefix of the metadata URL"
        ));
    }
    Ok(())
}

/// An endpoint the browser is sent to and the code is redeemed at: http or
/// https, and https in production.
fn check_endpoint(endpoint: &Url, https_only: bool) -> Result<(), SignInError> {
    let reason = match endpoint.scheme() {
        "https" => return Ok(()),
        "http" if !https_only => return Ok(()),
        "http" => "it does not use https, which production requires",
        _ => "it is not an http or https URL",
    };
    Err(SignInError::BadEndpoint {
        url: shown_url(endpoint),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn page(final_url: &str, headers: &[&str], html: &str) -> Fetched {
        Fetched {
            final_url: url(final_url),
            link_headers: headers.iter().map(|h| h.to_string()).collect(),
            content_type: Some("text/html; charset=utf-8".into()),
            body: html.into(),
        }
    }

    #[test]
    fn relative_links_resolve_against_the_final_url() {
        let fetched = page(
            "https://example.com/people/ada/",
            &[],
            r#"<link rel="indieauth-metadata" href="meta">"#,
        );
        assert_eq!(
            find_rel(&fetched, METADATA_REL).unwrap(),
            Some(url("https://example.com/people/ada/meta"))
        );
        let fetched = page(
            "https://example.com/people/ada/",
            &["</auth>; rel=authorization_endpoint"],
            "",
        );
        assert_eq!(
            find_rel(&fetched, LEGACY_REL).unwrap(),
            Some(url("https://example.com/auth"))
        );
    }

    #[test]
    fn headers_win_over_html() {
        let fetched = page(
            "https://example.com/",
            &["<https://header.example/meta>; rel=\"indieauth-metadata\""],
            r#"<link rel="indieauth-metadata" href="https://html.example/meta">"#,
        );
        assert_eq!(
            find_rel(&fetched, METADATA_REL).unwrap(),
            Some(url("https://header.example/meta"))
        );
    }

    #[test]
    fn html_is_read_only_from_an_html_page() {
        let mut fetched = page(
            "https://example.com/",
            &[],
            r#"<link rel="authorization_endpoint" href="/auth">"#,
        );
        fetched.content_type = Some("text/plain".into());
        assert_eq!(find_rel(&fetched, LEGACY_REL).unwrap(), None);
        fetched.content_type = None;
        assert!(find_rel(&fetched, LEGACY_REL).unwrap().is_some());
    }

    #[test]
    fn an_unusable_first_link_is_an_error() {
        let fetched = page(
            "https://example.com/",
            &[],
            r#"<link rel="authorization_endpoint" href="javascript:alert(1)">
               <link rel="authorization_endpoint" href="/auth">"#,
        );
        let err = find_rel(&fetched, LEGACY_REL).unwrap_err().to_string();
        assert_eq!(
            err,
            "The profile page's authorization_endpoint link \"javascript:alert(1)\" \
             is not a usable URL."
        );
    }

    #[test]
    fn metadata_gives_the_endpoint_and_issuer() {
        let metadata_url = url("https://example.com/wp-json/indieauth/1.0/metadata");
        let server = read_metadata(
            &json!({
                "issuer": "https://example.com/wp-json/indieauth/1.0",
                "authorization_endpoint": "https://example.com/wp-json/indieauth/1.0/auth",
                "code_challenge_methods_supported": ["S256"],
            }),
            &metadata_url,
            true,
        )
        .unwrap();
        assert_eq!(
            server,
            AuthServer {
                authorization_endpoint: url("https://example.com/wp-json/indieauth/1.0/auth"),
                issuer: Some("https://example.com/wp-json/indieauth/1.0".into()),
                via: DiscoveryVia::Metadata,
            }
        );
    }

    #[test]
    fn metadata_that_breaks_the_rules_is_refused() {
        let metadata_url = url("https://example.com/.well-known/oauth-authorization-server");
        let endpoint = "https://example.com/auth";
        for (metadata, https_only, reason) in [
            (
                json!({"authorization_endpoint": endpoint}),
                true,
                "no \"issuer\"",
            ),
            (
                json!({"issuer": "https://example.com/"}),
                true,
                "no \"authorization_endpoint\"",
            ),
            (
                json!({"issuer": "https://other.example/", "authorization_endpoint": endpoint}),
                true,
                "not a prefix of the metadata URL",
            ),
            (
                json!({"issuer": "https://example.com/elsewhere", "authorization_endpoint": endpoint}),
                true,
                "not a prefix of the metadata URL",
            ),
            (
                json!({"issuer": "http://example.com/", "authorization_endpoint": endpoint}),
                true,
                "does not use https",
            ),
            (
                json!({"issuer": "https://example.com/?x=1", "authorization_endpoint": endpoint}),
                true,
                "has a query or fragment",
            ),
            (
                json!({"issuer": "https://example.com/", "authorization_endpoint": "/auth"}),
                true,
                "is not an absolute URL",
            ),
            (
                json!({"issuer": "https://example.com/", "authorization_endpoint": "http://example.com/auth"}),
                true,
                "does not use https, which production requires",
            ),
            (
                json!({"issuer": "https://example.com/", "authorization_endpoint": endpoint,
                       "code_challenge_methods_supported": ["plain"]}),
                true,
                "PKCE with S256",
            ),
        ] {
            let err = read_metadata(&metadata, &metadata_url, https_only)
                .expect_err(&metadata.to_string())
                .to_string();
            assert!(err.contains(reason), "{metadata}: {err}");
        }
    }

    #[test]
    fn http_is_fine_outside_production() {
        let metadata_url = url("http://127.0.0.1:8080/metadata");
        let metadata = json!({
            "issuer": "http://127.0.0.1:8080/",
            "authorization_endpoint": "http://127.0.0.1:8080/auth",
        });
        assert!(read_metadata(&metadata, &metadata_url, false).is_ok());
        assert!(read_metadata(&metadata, &metadata_url, true).is_err());
    }

    #[test]
    fn an_http_endpoint_is_refused_in_production_with_a_clear_message() {
        let err = check_endpoint(&url("http://auth.example/auth"), true)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "The authorization endpoint http://auth.example/auth cannot be used: \
             it does not use https, which production requires."
        );
        assert!(check_endpoint(&url("http://auth.example/auth"), false).is_ok());
        assert!(check_endpoint(&url("ftp://auth.example/"), false).is_err());
    }
}
