//! Finding the owner's authorization server, and the limits every
//! outgoing request keeps to.

use std::time::Duration;

use starpunk::indieauth_client::{AuthServer, DiscoveryVia, SignInError, discover, redeem};
use starpunk::outbound::{Outbound, OutboundError, OutboundRules};

use super::{CLIENT_ID, REDIRECT_URI, discover_owner, fallback, me, outbound, rules, url};
use crate::fake_indieauth::{Advertise, ENDLESS_PAGE_BYTES, FakeIndieAuth};
use crate::helpers::RefusingPort;

#[tokio::test]
async fn metadata_advertised_in_a_link_header_is_found() {
    let fake = FakeIndieAuth::start()
        .await
        .advertise(Advertise::MetadataLinkHeader);
    let server = discover_owner(&fake).await.unwrap();
    assert_eq!(
        server,
        AuthServer {
            authorization_endpoint: url(&fake.authorization_endpoint()),
            issuer: Some(fake.issuer()),
            via: DiscoveryVia::Metadata,
        }
    );
}

#[tokio::test]
async fn metadata_advertised_in_html_is_found() {
    let fake = FakeIndieAuth::start()
        .await
        .advertise(Advertise::MetadataHtml);
    let server = discover_owner(&fake).await.unwrap();
    assert_eq!(server.via, DiscoveryVia::Metadata);
    assert_eq!(server.issuer, Some(fake.issuer()));
    assert_eq!(
        server.authorization_endpoint.as_str(),
        fake.authorization_endpoint()
    );
}

#[tokio::test]
async fn metadata_that_cannot_be_read_is_an_error_not_the_fallback() {
    let fake = FakeIndieAuth::start().await.broken_metadata();
    let err = discover_owner(&fake).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Could not read the authorization server's metadata: {} answered with \
             HTTP status 500 Internal Server Error.",
            fake.metadata_url()
        )
    );
}

#[tokio::test]
async fn a_legacy_endpoint_is_found_in_a_header_and_in_html() {
    for how in [Advertise::LegacyLinkHeader, Advertise::LegacyHtml] {
        let fake = FakeIndieAuth::start().await.advertise(how);
        let server = discover_owner(&fake).await.unwrap();
        assert_eq!(
            server,
            AuthServer {
                authorization_endpoint: url(&fake.authorization_endpoint()),
                issuer: None,
                via: DiscoveryVia::LegacyLink,
            },
            "{how:?}"
        );
    }
}

#[tokio::test]
async fn a_page_that_advertises_nothing_gets_the_fallback() {
    let fake = FakeIndieAuth::start().await.advertise(Advertise::Nothing);
    let server = discover_owner(&fake).await.unwrap();
    assert_eq!(
        server,
        AuthServer {
            authorization_endpoint: fallback(),
            issuer: None,
            via: DiscoveryVia::Fallback,
        }
    );
}

#[tokio::test]
async fn relative_links_resolve_against_the_url_after_redirects() {
    for how in [
        Advertise::MetadataLinkHeader,
        Advertise::MetadataHtml,
        Advertise::LegacyLinkHeader,
        Advertise::LegacyHtml,
    ] {
        for hops in [1, 5] {
            let fake = FakeIndieAuth::start()
                .await
                .advertise(how)
                .redirect_hops(hops);
            let server = discover_owner(&fake)
                .await
                .unwrap_or_else(|e| panic!("{how:?}, {hops} hops: {e}"));
            assert_eq!(
                server.authorization_endpoint.as_str(),
                fake.url("/home/auth"),
                "{how:?}, {hops} hops"
            );
        }
    }
}

#[tokio::test]
async fn more_than_five_redirects_are_refused() {
    let fake = FakeIndieAuth::start().await.redirect_hops(6);
    let err = discover_owner(&fake).await.unwrap_err();
    assert!(
        matches!(
            err,
            SignInError::ProfilePage(OutboundError::TooManyRedirects { .. })
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "Could not read the profile page: {} redirected more than 5 times.",
            fake.me_url()
        )
    );
}

#[tokio::test]
async fn http_is_refused_when_https_is_required() {
    let fake = FakeIndieAuth::start().await;
    let production = Outbound::new(OutboundRules {
        https_only: true,
        ..rules()
    });

    let err = discover(&production, &me(&fake.me_url()), &fallback())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Could not read the profile page: {} does not use https, which \
             production requires of every request and redirect.",
            fake.me_url()
        )
    );

    let server = AuthServer {
        authorization_endpoint: url(&fake.authorization_endpoint()),
        issuer: None,
        via: DiscoveryVia::LegacyLink,
    };
    let err = redeem(&production, &server, "code", CLIENT_ID, REDIRECT_URI, "v")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SignInError::Redeem(OutboundError::HttpsRequired { .. })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let fake = FakeIndieAuth::start().await.delay(Duration::from_secs(3));
    let impatient = Outbound::new(OutboundRules {
        timeout: Duration::from_millis(300),
        ..rules()
    });
    let err = discover(&impatient, &me(&fake.me_url()), &fallback())
        .await
        .unwrap_err();
    assert!(
        matches!(err, SignInError::ProfilePage(OutboundError::Timeout { .. })),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "Could not read the profile page: {} did not answer within 300 ms.",
            fake.me_url()
        )
    );
}

#[tokio::test]
async fn a_server_that_is_down_is_an_error_not_the_fallback() {
    let port = RefusingPort::bind();
    let down = me(&port.url("/"));

    let err = discover(&outbound(), &down, &fallback()).await.unwrap_err();
    match &err {
        SignInError::ProfilePage(OutboundError::CannotConnect { reason, .. }) => {
            assert!(reason.to_lowercase().contains("refused"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().starts_with(&format!(
            "Could not read the profile page: cannot connect to {}: ",
            port.url("/")
        )),
        "{err}"
    );
}

#[tokio::test]
async fn an_oversized_page_is_refused() {
    let fake = FakeIndieAuth::start().await.page_padding(600 * 1024);
    let err = discover_owner(&fake).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Could not read the profile page: the answer from {} is larger than 512 KiB.",
            fake.me_url()
        )
    );
}

#[tokio::test]
async fn an_endless_page_is_not_read_to_its_end() {
    let fake = FakeIndieAuth::start().await.endless_page();
    let err = discover_owner(&fake).await.unwrap_err();
    assert!(
        matches!(
            err,
            SignInError::ProfilePage(OutboundError::TooLarge { .. })
        ),
        "{err:?}"
    );
    // Had the client read on, the server would have produced it all before
    // the client could answer.
    let sent = fake.endless_bytes_sent();
    assert!(sent < ENDLESS_PAGE_BYTES / 4, "{sent} bytes were produced");
}
