//! Apps' pages are read only from the public internet: a `client_id` on
//! this machine, a redirect to it, or a name that resolves to it is
//! refused before anything is sent there. Tests otherwise let the site
//! read loopback pages (`app_pages_private_allowed`); here they do not.

use std::net::{IpAddr, Ipv4Addr};

use reqwest::header::LOCATION;

use super::App;
use super::fake_client::FakeClient;
use crate::helpers::TestApp;
use crate::owner::Signed;

const CLIENT_PAGE: &str = r#"<!DOCTYPE html><html><head><title>x</title>
<link rel="redirect_uri" href="http://listed.localhost:9/callback"></head>
<body><div class="h-app"><a class="p-name u-url" href="/">Pocket Poster</a></div>
</body></html>"#;

/// A site that may read apps' pages only at `allowed` besides the public
/// internet, with its owner signed in.
async fn site_allowing(allowed: &[IpAddr]) -> (TestApp, Signed) {
    let allowed = allowed.to_vec();
    let app = TestApp::builder()
        .configure(|s| s.app_pages_private_allowed = allowed)
        .spawn()
        .await;
    let signed = app.sign_in().await;
    (app, signed)
}

/// Asks for consent for an app at `client_id` whose redirect_uri is on
/// another site, so the page must be read; returns the error page.
async fn refused(app: &TestApp, signed: &Signed, client_id: &str) -> String {
    let client = App::at(client_id, "http://listed.localhost:9/callback");
    let response = app
        .owner_get(signed, &client.authorize_path("create", &[]))
        .await;
    assert_eq!(response.status(), 400, "{client_id}");
    assert!(response.headers().get(LOCATION).is_none(), "{client_id}");
    let page = response.text().await.unwrap();
    assert!(page.contains("could not be read to confirm it"), "{page}");
    page
}

#[tokio::test]
async fn an_app_page_on_a_loopback_address_is_never_fetched() {
    let (app, signed) = site_allowing(&[]).await;
    let fake = FakeClient::start("text/html", CLIENT_PAGE).await;
    let page = refused(&app, &signed, &fake.client_id()).await;
    let expected = format!(
        "{} is on this machine or a private network, which is not fetched",
        fake.client_id()
    );
    assert!(page.contains(&expected), "{page}");

    // On its own origin the redirect_uri needs no word from the page, so
    // the request goes on, named by its host: the page is still not read.
    let own = App::at(&fake.client_id(), &format!("{}/callback", fake.origin));
    let consent = app
        .consent(&signed, &own.authorize_path("create", &[]))
        .await;
    assert!(!consent.html.contains("Pocket Poster"));
    assert!(
        consent
            .html
            .contains(&format!("Allow 127.0.0.1:{}", fake.port()))
    );
    assert_eq!(fake.hits(), 0);
}

#[tokio::test]
async fn a_redirect_from_an_allowed_host_to_a_private_address_is_not_followed() {
    // 127.0.0.2 stands for a public host: the site may read it.
    let allowed: IpAddr = Ipv4Addr::new(127, 0, 0, 2).into();
    let (app, signed) = site_allowing(&[allowed]).await;
    let target = FakeClient::start("text/html", CLIENT_PAGE).await;

    let to_address = FakeClient::redirecting(allowed, &target.client_id()).await;
    let page = refused(&app, &signed, &to_address.client_id()).await;
    let expected = format!(
        "{} is on this machine or a private network, which is not fetched",
        target.client_id()
    );
    assert!(page.contains(&expected), "{page}");
    assert_eq!(to_address.hits(), 1, "the allowed host is read");

    let named = format!("http://localhost:{}/", target.port());
    let to_name = FakeClient::redirecting(allowed, &named).await;
    let page = refused(&app, &signed, &to_name.client_id()).await;
    assert!(page.contains("localhost resolves to "), "{page}");
    assert_eq!(to_name.hits(), 1);

    assert_eq!(target.hits(), 0, "no redirect reached the private address");
}

#[tokio::test]
async fn a_name_that_resolves_to_a_private_address_is_never_fetched() {
    let (app, signed) = site_allowing(&[]).await;
    let fake = FakeClient::start("text/html", CLIENT_PAGE).await;
    let client_id = format!("http://localhost:{}/", fake.port());
    let page = refused(&app, &signed, &client_id).await;
    assert!(page.contains("localhost resolves to "), "{page}");
    assert!(
        page.contains("which is on this machine or a private network and is not fetched"),
        "{page}"
    );
    assert_eq!(fake.hits(), 0);
}
