//! The IndieAuth client (IndieAuth of 2022-02-22) that signs the site's
//! owner in.
//!
//! The web layer calls, in order: [`discover`] the owner's authorization
//! server from `ADMIN_ME`; send the browser to [`authorization_url`] with a
//! fresh [`random_token`] as `state` and a [`Pkce`] challenge; on the
//! callback check `state` itself, then [`check_issuer`], [`redeem`] the code
//! and [`verify_me`] the identity it returns.
//!
//! Every failure is a [`SignInError`], whose message is meant for the owner
//! and the log and never holds a code, verifier, token or `state`.

mod discovery;
mod pkce;
mod redeem;

use url::Url;

use crate::domain::ProfileUrl;
use crate::outbound::OutboundError;

pub use discovery::discover;
pub use pkce::Pkce;
pub use redeem::{check_issuer, redeem, verify_me};

/// The owner's authorization server, as discovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthServer {
    /// Where the browser is sent, and where the code is redeemed.
    pub authorization_endpoint: Url,
    /// The metadata's `issuer`, which the callback's `iss` must equal;
    /// `None` when the server was not found through metadata.
    pub issuer: Option<String>,
    pub via: DiscoveryVia,
}

/// How the authorization server was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryVia {
    /// A `rel="indieauth-metadata"` link and its metadata document.
    Metadata,
    /// A `rel="authorization_endpoint"` link, as before 2022.
    LegacyLink,
    /// Nothing was advertised; the configured fallback service is used.
    Fallback,
}

/// Why sign-in failed. Each message is a sentence for the person signing
/// in; text that came from outside is quoted, shortened and stripped of
/// control characters.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("Could not read the profile page: {0}.")]
    ProfilePage(OutboundError),
    #[error("The profile page's {rel} link {href} is not a usable URL.")]
    BadLink { rel: &'static str, href: String },
    #[error("Could not read the authorization server's metadata: {0}.")]
    Metadata(OutboundError),
    #[error("The authorization server's metadata at {url} cannot be used: {reason}.")]
    BadMetadata { url: String, reason: String },
    #[error("The authorization endpoint {url} cannot be used: {reason}.")]
    BadEndpoint { url: String, reason: &'static str },
    #[error("Could not finish signing in with the authorization server: {0}.")]
    Redeem(OutboundError),
    #[error("The authorization server did not confirm the sign-in: {error}{}.",
        description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error("The authorization server's answer cannot be used: {reason}.")]
    BadAnswer { reason: String },
    #[error(
        "The sign-in came back without saying which server sent it (no iss), \
         but {expected} always says; it was not accepted."
    )]
    MissingIssuer { expected: String },
    #[error(
        "The sign-in came back from {got}, not from the owner's authorization \
         server {expected}; it was not accepted."
    )]
    WrongIssuer { expected: String, got: String },
    #[error(
        "The authorization server vouched for an identity that is not a profile URL: {reason}."
    )]
    NotAProfileUrl { reason: String },
    #[error("Signed in as {returned}, but only {admin} can sign in here.")]
    WrongUser { returned: String, admin: String },
    #[error(
        "Signed in as {returned}, but that page names a different authorization \
         server, so the identity cannot be confirmed."
    )]
    OtherServer { returned: String },
    #[error("Signed in as {returned}, but the identity cannot be confirmed. {reason}")]
    Unconfirmed {
        returned: String,
        reason: Box<SignInError>,
    },
}

/// The URL the browser is sent to: the endpoint with the request's
/// parameters added to any query it already has.
pub fn authorization_url(
    server: &AuthServer,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    pkce_challenge: &str,
    me: &ProfileUrl,
) -> Url {
    let mut url = server.authorization_endpoint.clone();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("code_challenge", pkce_challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("me", me.as_str());
    url
}

/// Outside text made fit for a message: control characters dropped, at
/// most 200 characters, in quotes.
fn quoted(text: &str) -> String {
    const MAX: usize = 200;
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let mut shown: String = clean.chars().take(MAX).collect();
    if clean.chars().count() > MAX {
        shown.push('…');
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(endpoint: &str) -> AuthServer {
        AuthServer {
            authorization_endpoint: Url::parse(endpoint).unwrap(),
            issuer: None,
            via: DiscoveryVia::LegacyLink,
        }
    }

    #[test]
    fn authorization_url_carries_every_parameter() {
        let me = ProfileUrl::parse("https://ada.example/").unwrap();
        let url = authorization_url(
            &server("https://auth.example/authorize"),
            "https://site.example/",
            "https://site.example/auth/callback",
            "st&te",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            &me,
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let expected = [
            ("response_type", "code"),
            ("client_id", "https://site.example/"),
            ("redirect_uri", "https://site.example/auth/callback"),
            ("state", "st&te"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
            ("me", "https://ada.example/"),
        ];
        assert_eq!(
            pairs,
            expected.map(|(k, v)| (k.to_owned(), v.to_owned())).to_vec()
        );
        assert_eq!(url.path(), "/authorize");
    }

    #[test]
    fn authorization_url_keeps_the_endpoints_query() {
        let me = ProfileUrl::parse("https://ada.example/").unwrap();
        let url = authorization_url(
            &server("https://auth.example/?tenant=ada"),
            "c",
            "r",
            "s",
            "x",
            &me,
        );
        assert!(
            url.as_str()
                .starts_with("https://auth.example/?tenant=ada&response_type=code&"),
            "{url}"
        );
    }

    #[test]
    fn quoted_text_is_short_and_clean() {
        assert_eq!(quoted("bad\nthing\u{1b}[31m"), "\"badthing[31m\"");
        let long = "x".repeat(500);
        let shown = quoted(&long);
        assert_eq!(shown.chars().count(), 203);
        assert!(shown.ends_with("…\""));
    }
}
