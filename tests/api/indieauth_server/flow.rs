//! The authorization-code flow with PKCE, and how codes are refused.

use reqwest::header::{COOKIE, LOCATION};
use starpunk::domain::Scope;
use starpunk::store::TokenLookup;
use starpunk::web::session::token_hash;

use super::{App, query_of};
use crate::helpers::spawn_app;
use crate::owner::session_cookie;

#[tokio::test]
async fn an_app_gets_a_working_token_for_the_scopes_the_owner_checked() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::local();
    let consent = app
        .consent(&signed, &client.authorize_path("create media read", &[]))
        .await;
    assert_eq!(
        consent.checkboxes,
        vec![("create".to_owned(), true), ("media".to_owned(), true)]
    );
    assert!(
        consent.html.contains("localhost:1"),
        "the client's host is named"
    );
    assert!(consent.html.contains("not available"));
    assert!(consent.html.contains("<code>read</code>"));

    // The owner unchecks media; `read` is forged back in but is no scope.
    let back = app
        .decide(&signed, &consent, "approve", &["create", "read"])
        .await;
    let query = query_of(&back);
    assert_eq!(query["state"], client.state);
    let (status, answer) = app
        .post_json("/auth/token", &client.redemption(&query["code"]))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["scope"], "create");
    assert_eq!(answer["me"], "https://ada.example/");
    assert!(answer.get("profile").is_none());
    let token = answer["access_token"].as_str().unwrap();
    let TokenLookup::Live(found) = app
        .store()
        .find_token(&token_hash(token), chrono::Utc::now())
        .await
        .unwrap()
    else {
        panic!("the token is not live");
    };
    assert!(found.scopes.contains(Scope::Create));
    assert!(!found.scopes.contains(Scope::Media));
    assert_eq!(found.client_id, client.client_id);
    assert_eq!(found.name, "localhost:1");
}

#[tokio::test]
async fn the_profile_scope_adds_the_owners_profile() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::local();
    let code = app
        .approve(&signed, &client, "create profile", &["create", "profile"])
        .await;
    let (_, answer) = app
        .post_json("/auth/token", &client.redemption(&code))
        .await;
    assert_eq!(answer["profile"]["name"], "Ada Author");
    assert_eq!(answer["profile"]["url"], "https://ada.example/");
}

#[tokio::test]
async fn a_code_with_no_scope_signs_in_only_and_can_be_redeemed_at_the_authorization_endpoint() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::local();
    let code = app.approve(&signed, &client, "", &[]).await;
    let (status, answer) = app
        .post_json("/auth/authorize", &client.redemption(&code))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, serde_json::json!({ "me": "https://ada.example/" }));

    // At the token endpoint, such a code gives `me` and no token.
    let code = app.approve(&signed, &client, "create", &[]).await;
    let (status, answer) = app
        .post_json("/auth/token", &client.redemption(&code))
        .await;
    assert_eq!(status, 200);
    assert!(answer.get("access_token").is_none(), "{answer}");
    assert!(app.store().list_tokens().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_wrong_verifier_a_reused_code_and_a_wrong_redirect_are_invalid_grants() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::local();

    let code = app.approve(&signed, &client, "create", &["create"]).await;
    let mut form = client.redemption(&code);
    let other = starpunk::indieauth_client::Pkce::generate();
    form[4] = ("code_verifier", &other.verifier);
    let (status, answer) = app.post_json("/auth/token", &form).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // A failed attempt uses the code up.
    let (status, answer) = app
        .post_json("/auth/token", &client.redemption(&code))
        .await;
    assert_eq!(status, 400);
    assert!(
        answer["error_description"]
            .as_str()
            .unwrap()
            .contains("already used")
    );

    let code = app.approve(&signed, &client, "create", &["create"]).await;
    let (status, _) = app
        .post_json("/auth/token", &client.redemption(&code))
        .await;
    assert_eq!(status, 200);
    let (status, answer) = app
        .post_json("/auth/token", &client.redemption(&code))
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let code = app.approve(&signed, &client, "create", &["create"]).await;
    let mut form = client.redemption(&code);
    form[3] = ("redirect_uri", "http://localhost:1/other");
    let (status, answer) = app.post_json("/auth/token", &form).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let code = app.approve(&signed, &client, "create", &["create"]).await;
    let mut form = client.redemption(&code);
    form[2] = ("client_id", "http://localhost:2/");
    let (status, answer) = app.post_json("/auth/token", &form).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(app.store().list_tokens().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::local();
    let code = app.approve(&signed, &client, "create", &["create"]).await;
    sqlx::query("UPDATE authorization_codes SET expires_at = '2000-01-01T00:00:00.000Z'")
        .execute(app.store().pool())
        .await
        .unwrap();
    let (status, answer) = app
        .post_json("/auth/token", &client.redemption(&code))
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        answer["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn malformed_token_requests_are_json_errors() {
    let app = spawn_app().await;
    let (status, answer) = app
        .post_json("/auth/token", &[("grant_type", "password")])
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, answer) = app.post_json("/auth/token", &[]).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, answer) = app
        .post_json(
            "/auth/token",
            &[("grant_type", "authorization_code"), ("code", "x")],
        )
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert!(
        answer["error_description"]
            .as_str()
            .unwrap()
            .contains("client_id")
    );
}

#[tokio::test]
async fn denying_sends_access_denied_back_with_the_state() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::local();
    let consent = app
        .consent(&signed, &client.authorize_path("create", &[]))
        .await;
    let back = app.decide(&signed, &consent, "deny", &["create"]).await;
    let query = query_of(&back);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], client.state);
    assert_eq!(query["iss"], app.url("/"));
    assert!(!query.contains_key("code"));
}

#[tokio::test]
async fn a_consent_form_without_the_owners_csrf_token_approves_nothing() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let client = App::local();
    let consent = app
        .consent(&signed, &client.authorize_path("create", &[]))
        .await;
    let mut form: Vec<(String, String)> = consent.hidden.clone();
    form.retain(|(n, _)| n != "csrf");
    form.push(("csrf".into(), "forged".into()));
    form.push(("decision".into(), "approve".into()));
    let response = app
        .client
        .post(app.url("/auth/authorize"))
        .header(COOKIE, &signed.cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM authorization_codes")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn an_owner_not_signed_in_signs_in_first_and_comes_back_to_the_request() {
    let app = spawn_app().await;
    let client = App::local();
    let request = client.authorize_path("create", &[]);
    let response = app.get(&request).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], "/auth/login");
    let pending: String = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("starpunk_return="))
        .expect("the request is kept")
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let link = app.login_link().await;
    let signed_in = app
        .client
        .post(app.url(&link))
        .header(COOKIE, &pending)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()[LOCATION].to_str().unwrap(), request);
    let cookie = session_cookie(&signed_in).unwrap();
    let consent = app
        .client
        .get(app.url(&request))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 200);
    assert!(consent.text().await.unwrap().contains("Allow"));
}
