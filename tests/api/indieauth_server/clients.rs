//! Which apps and return addresses are trusted, and the errors sent back
//! to an app once its address is trusted.

use reqwest::header::LOCATION;
use url::Url;

use super::fake_client::FakeClient;
use super::{App, query_of};
use crate::helpers::spawn_app;

const CLIENT_PAGE: &str = r#"<!DOCTYPE html><html><head><title>x</title>
<link rel="redirect_uri" href="http://listed.localhost:9/callback"></head>
<body><div class="h-app"><img class="u-logo" src="https://cdn.example/logo.png" alt="">
<a class="p-name u-url" href="/">Pocket Poster</a></div></body></html>"#;

#[tokio::test]
async fn a_redirect_elsewhere_is_taken_only_when_the_clients_page_lists_it() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let fake = FakeClient::start("text/html; charset=utf-8", CLIENT_PAGE).await;
    let listed = App::at(&fake.client_id(), "http://listed.localhost:9/callback");
    let consent = app
        .consent(&signed, &listed.authorize_path("create", &[]))
        .await;
    assert!(
        consent.html.contains("Allow Pocket Poster"),
        "the h-app names the app"
    );
    assert!(consent.html.contains("https://cdn.example/logo.png"));
    assert!(consent.html.contains("listed.localhost"));

    let unlisted = App::at(&fake.client_id(), "http://evil.localhost:9/callback");
    let response = app
        .owner_get(&signed, &unlisted.authorize_path("create", &[]))
        .await;
    assert_eq!(response.status(), 400);
    assert!(
        response.headers().get(LOCATION).is_none(),
        "never sent there"
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("does not list it"), "{page}");
}

#[tokio::test]
async fn a_client_id_metadata_document_lists_redirects_too() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let fake = FakeClient::start(
        "application/json",
        r#"{"client_id":"{origin}/","client_name":"JSON App",
            "redirect_uris":["http://json.localhost:9/cb"]}"#,
    )
    .await;
    let client = App::at(&fake.client_id(), "http://json.localhost:9/cb");
    let consent = app
        .consent(&signed, &client.authorize_path("media", &[]))
        .await;
    assert!(consent.html.contains("Allow JSON App"));
}

#[tokio::test]
async fn a_redirect_elsewhere_is_refused_when_the_clients_page_cannot_be_read() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::at("http://localhost:1/", "http://other.localhost:1/callback");
    let response = app
        .owner_get(&signed, &client.authorize_path("create", &[]))
        .await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("could not be read"));
}

#[tokio::test]
async fn bad_client_ids_and_redirect_uris_are_shown_to_the_owner_not_redirected() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::local();
    for (change, message) in [
        (("client_id", ""), "client_id is missing"),
        (("client_id", "quill.p3k.io"), "client_id is not a URL"),
        (("client_id", "https://10.0.0.1/"), "not an IP address"),
        (("client_id", "https://app.example/#x"), "fragment"),
        (
            ("redirect_uri", "javascript:alert(1)"),
            "redirect_uri must be an http",
        ),
        (("redirect_uri", ""), "redirect_uri is missing"),
    ] {
        let response = app
            .owner_get(&signed, &client.authorize_path("create", &[change]))
            .await;
        assert_eq!(response.status(), 400, "{change:?}");
        assert!(response.headers().get(LOCATION).is_none());
        let content_type = crate::helpers::header(&response, "content-type");
        assert!(content_type.starts_with("text/html"));
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{change:?}: {page}");
    }
}

#[tokio::test]
async fn request_errors_go_back_to_a_trusted_redirect_uri() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::local();
    for (changes, error, hint) in [
        (
            vec![("code_challenge_method", "plain")],
            "invalid_request",
            "PKCE",
        ),
        (
            vec![("code_challenge", ""), ("code_challenge_method", "")],
            "invalid_request",
            "PKCE",
        ),
        (
            vec![("code_challenge", "short")],
            "invalid_request",
            "code_challenge",
        ),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
            "token",
        ),
        (
            vec![("response_type", "")],
            "invalid_request",
            "response_type",
        ),
    ] {
        let response = app
            .owner_get(&signed, &client.authorize_path("create", &changes))
            .await;
        assert_eq!(response.status(), 303, "{changes:?}");
        let back = Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap();
        assert!(back.as_str().starts_with(&client.redirect_uri));
        let query = query_of(&back);
        assert_eq!(query["error"], error, "{changes:?}");
        assert!(query["error_description"].contains(hint), "{changes:?}");
        assert_eq!(query["state"], client.state);
        assert_eq!(query["iss"], app.url("/"));
    }
}

#[tokio::test]
async fn the_legacy_id_response_type_asks_for_no_scopes() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::local();
    let consent = app
        .consent(
            &signed,
            &client.authorize_path("create", &[("response_type", "id")]),
        )
        .await;
    assert!(consent.checkboxes.is_empty());
    let back = app.decide(&signed, &consent, "approve", &["create"]).await;
    let code = query_of(&back)["code"].clone();
    let (status, answer) = app
        .post_json("/auth/token", &client.redemption(&code))
        .await;
    assert_eq!(status, 200);
    assert!(answer.get("access_token").is_none(), "{answer}");
}
