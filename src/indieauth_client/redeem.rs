//! The callback's side of sign-in: checking who answered (§5.2.1),
//! redeeming the code (§5.3) and confirming the identity (§5.4).

use serde_json::Value;
use url::Url;

use super::discovery::discover_advertised;
use super::{AuthServer, DiscoveryVia, SignInError, quoted};
use crate::domain::ProfileUrl;
use crate::outbound::Outbound;

/// Checks the callback's `iss` against the issuer found in the metadata,
/// by exact comparison. A server found without metadata has no issuer to
/// compare, so any `iss` is ignored then.
pub fn check_issuer(server: &AuthServer, iss: Option<&str>) -> Result<(), SignInError> {
    let Some(expected) = &server.issuer else {
        return Ok(());
    };
    match iss {
        Some(got) if got == expected => Ok(()),
        Some(got) => Err(SignInError::WrongIssuer {
            expected: expected.clone(),
            got: quoted(got),
        }),
        None => Err(SignInError::MissingIssuer {
            expected: expected.clone(),
        }),
    }
}

/// Redeems an authorization code at the authorization endpoint (sign-in
/// only, no access token) and returns the `me` the server vouches for, as
/// it sent it; [`verify_me`] decides whether that identity may sign in.
pub async fn redeem(
    out: &Outbound,
    server: &AuthServer,
    code: &str,
    client_id: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<String, SignInError> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let (status, answer) = out
        .post_form_json(&server.authorization_endpoint, &form)
        .await
        .map_err(SignInError::Redeem)?;
    if let Some(error) = answer.get("error").and_then(Value::as_str) {
        // A server may echo what it was sent; the secrets must not reach a
        // page or the log through its words.
        let scrub = |text: &str| {
            let mut text = text.to_owned();
            for secret in [code, verifier].into_iter().filter(|s| !s.is_empty()) {
                text = text.replace(secret, "…");
            }
            quoted(&text)
        };
        return Err(SignInError::Refused {
            error: scrub(error),
            description: answer
                .get("error_description")
                .and_then(Value::as_str)
                .map(scrub),
        });
    }
    if !status.is_success() {
        return Err(SignInError::BadAnswer {
            reason: format!("HTTP status {status} without an OAuth error"),
        });
    }
    match answer.get("me").and_then(Value::as_str) {
        Some(me) => Ok(me.to_owned()),
        None => Err(SignInError::BadAnswer {
            reason: "it has no \"me\"".into(),
        }),
    }
}

/// Accepts the identity the server vouched for only if it is the owner's.
///
/// `returned_me` is canonicalised as IndieAuth does and must equal
/// `admin_me`. One exception, from §5.4: a different URL with the same
/// scheme and host (`https://example.com/ada` for `https://example.com/`)
/// is accepted when its own page names the same authorization endpoint.
/// On a host shared by several people who use one authorization server,
/// that would let each of them in, so such an owner should set `ADMIN_ME`
/// to exactly the URL the server returns.
pub async fn verify_me(
    out: &Outbound,
    admin_me: &ProfileUrl,
    returned_me: &str,
    server: &AuthServer,
) -> Result<(), SignInError> {
    let returned = ProfileUrl::parse(returned_me).map_err(|e| SignInError::NotAProfileUrl {
        reason: e.to_string(),
    })?;
    if returned.as_str() == admin_me.as_str() {
        return Ok(());
    }
    if !same_scheme_and_host(&returned, admin_me) {
        return Err(SignInError::WrongUser {
            returned: returned.to_string(),
            admin: admin_me.to_string(),
        });
    }
    let unconfirmed = |reason: SignInError| SignInError::Unconfirmed {
        returned: returned.to_string(),
        reason: Box::new(reason),
    };
    let declared = discover_advertised(out, &returned)
        .await
        .map_err(unconfirmed)?;
    let same_server = match declared {
        Some(found) => found.authorization_endpoint == server.authorization_endpoint,
        // A page that advertises nothing falls back too, and so matches a
        // server that was itself the fallback.
        None => server.via == DiscoveryVia::Fallback,
    };
    if same_server {
        Ok(())
    } else {
        Err(SignInError::OtherServer {
            returned: returned.to_string(),
        })
    }
}

/// Same scheme, host and port (a port only ever differs on loopback).
fn same_scheme_and_host(a: &ProfileUrl, b: &ProfileUrl) -> bool {
    let a = Url::parse(a.as_str()).expect("a profile URL is a URL");
    let b = Url::parse(b.as_str()).expect("a profile URL is a URL");
    a.origin() == b.origin()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::outbound::OutboundRules;

    fn me(text: &str) -> ProfileUrl {
        ProfileUrl::parse(text).unwrap()
    }

    fn server(issuer: Option<&str>) -> AuthServer {
        AuthServer {
            authorization_endpoint: Url::parse("https://auth.example/auth").unwrap(),
            issuer: issuer.map(str::to_owned),
            via: if issuer.is_some() {
                DiscoveryVia::Metadata
            } else {
                DiscoveryVia::LegacyLink
            },
        }
    }

    /// Never used to connect: the cases below are settled before any
    /// request, and the https rule refuses the only URL they could reach.
    fn offline() -> Outbound {
        Outbound::new(OutboundRules {
            https_only: true,
            user_agent: "test".into(),
            timeout: Duration::from_millis(1),
        })
    }

    #[test]
    fn issuer_must_match_exactly_when_known() {
        let known = server(Some("https://auth.example/"));
        assert!(check_issuer(&known, Some("https://auth.example/")).is_ok());
        let err = check_issuer(&known, Some("https://auth.example")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The sign-in came back from \"https://auth.example\", not from the owner's \
             authorization server https://auth.example/; it was not accepted."
        );
        assert!(matches!(
            check_issuer(&known, None),
            Err(SignInError::MissingIssuer { .. })
        ));
        let legacy = server(None);
        assert!(check_issuer(&legacy, None).is_ok());
        assert!(check_issuer(&legacy, Some("https://anything.example/")).is_ok());
    }

    #[tokio::test]
    async fn the_owner_is_accepted_once_canonicalised() {
        let admin = me("https://ada.example/");
        for returned in [
            "https://ada.example/",
            "https://ADA.example",
            "HTTPS://ada.example",
        ] {
            verify_me(&offline(), &admin, returned, &server(None))
                .await
                .unwrap_or_else(|e| panic!("{returned}: {e}"));
        }
    }

    #[tokio::test]
    async fn someone_else_on_another_host_is_refused_without_a_request() {
        let admin = me("https://ada.example/");
        for returned in [
            "https://bob.example/",
            "http://ada.example/",
            "https://ada.example.evil/",
        ] {
            let err = verify_me(&offline(), &admin, returned, &server(None))
                .await
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("Signed in as {returned}, but only https://ada.example/ can sign in here."),
            );
        }
    }

    #[tokio::test]
    async fn a_returned_me_that_is_no_profile_url_is_refused() {
        let admin = me("https://ada.example/");
        let err = verify_me(&offline(), &admin, "https://ada.example/#me", &server(None))
            .await
            .unwrap_err();
        assert!(matches!(err, SignInError::NotAProfileUrl { .. }), "{err}");
        assert!(err.to_string().contains("#fragment"), "{err}");
    }

    #[test]
    fn refusals_quote_the_server_without_secrets() {
        let err = SignInError::Refused {
            error: quoted("invalid_grant"),
            description: Some(quoted("bad\ncode")),
        };
        assert_eq!(
            err.to_string(),
            "The authorization server did not confirm the sign-in: \
             \"invalid_grant\" (\"badcode\")."
        );
    }
}
