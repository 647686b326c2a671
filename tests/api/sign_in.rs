//! Signing in to the admin pages: IndieAuth against a fake authorization
//! server on loopback, the login link, sessions, sign-out, the rate limit.

use chrono::{Duration, Utc};
use reqwest::header::COOKIE;
use starpunk::store::SignInState;
use starpunk::web::session::token_hash;
use url::Url;

use crate::fake_indieauth::{Advertise, FakeIndieAuth};
use crate::helpers::{RefusingPort, TestApp, header, spawn_app};
use crate::owner::{location, session_cookie, set_cookie_header};

async fn app_for(fake: &FakeIndieAuth) -> TestApp {
    TestApp::builder().admin_me(&fake.me_url()).spawn().await
}

/// Starts a sign-in and plays the browser at the authorization server;
/// returns the callback path the browser would be sent back to.
async fn sign_in_at(app: &TestApp, fake: &FakeIndieAuth) -> String {
    let response = app
        .client
        .post(app.url("/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let target = Url::parse(&location(&response)).unwrap();
    let callback = fake.approve(&target).await;
    let mut path = format!(
        "/auth/callback?code={}&state={}",
        callback.code, callback.state
    );
    if let Some(iss) = callback.iss {
        path.push_str(&format!("&iss={}", urlencode(&iss)));
    }
    path
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn admin_pages_send_a_signed_out_visitor_to_the_sign_in_page() {
    let app = spawn_app().await;
    for path in ["/admin", "/admin/new", "/admin/edit/1", "/admin/delete/1"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), "/auth/login", "{path}");
    }
    // A form without a session changes nothing and says so.
    let response = app
        .client
        .post(app.url("/admin/new"))
        .form(&[("content", "hello")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn the_sign_in_page_names_the_owner_and_needs_no_script() {
    let app = spawn_app().await;
    let response = app.get("/auth/login").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("https://ada.example/"));
    assert!(html.contains(r#"<form method="post" action="/auth/login">"#));
    assert!(!html.contains("<script"));
}

#[tokio::test]
async fn indieauth_signs_the_owner_in_and_the_session_cookie_is_safe() {
    let fake = FakeIndieAuth::start().await;
    let app = app_for(&fake).await;
    let callback = sign_in_at(&app, &fake).await;
    let response = app.get(&callback).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/admin");
    let cookie_header = set_cookie_header(&response);
    assert!(cookie_header.contains("HttpOnly"), "{cookie_header}");
    assert!(cookie_header.contains("SameSite=Lax"), "{cookie_header}");
    assert!(cookie_header.contains("Path=/"), "{cookie_header}");
    let cookie = session_cookie(&response).unwrap();
    let dashboard = app
        .client
        .get(app.url("/admin"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(dashboard.status(), 200);
    assert!(dashboard.text().await.unwrap().contains("Signed in."));
    assert_eq!(fake.redemptions(), 1);
    // Only the token's hash is stored.
    let token = cookie.trim_start_matches("starpunk_session=");
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(app.store().pool())
        .await
        .unwrap();
    assert_eq!(stored, vec![token_hash(token)]);
}

#[tokio::test]
async fn each_way_of_advertising_the_server_is_found() {
    for how in [
        Advertise::MetadataLinkHeader,
        Advertise::MetadataHtml,
        Advertise::LegacyLinkHeader,
        Advertise::LegacyHtml,
    ] {
        let fake = FakeIndieAuth::start().await.advertise(how);
        let app = app_for(&fake).await;
        let callback = sign_in_at(&app, &fake).await;
        let response = app.get(&callback).await;
        assert_eq!(response.status(), 303, "{how:?}");
        assert!(session_cookie(&response).is_some(), "{how:?}");
    }
}

#[tokio::test]
async fn a_page_that_advertises_nothing_signs_in_through_the_fallback_service() {
    let fake = FakeIndieAuth::start().await.advertise(Advertise::Nothing);
    let app = TestApp::builder()
        .admin_me(&fake.me_url())
        .indielogin_url(&fake.authorization_endpoint())
        .spawn()
        .await;
    let response = app
        .client
        .post(app.url("/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with(&fake.authorization_endpoint()));
    let callback = sign_in_at(&app, &fake).await;
    assert_eq!(app.get(&callback).await.status(), 303);
}

/// The page shown instead of a session: status, and no cookie.
async fn refused(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).await;
    assert!(session_cookie(&response).is_none());
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn someone_else_cannot_sign_in() {
    let fake = FakeIndieAuth::start()
        .await
        .me_override("https://mallory.example/");
    let app = app_for(&fake).await;
    let callback = sign_in_at(&app, &fake).await;
    let (status, page) = refused(&app, &callback).await;
    assert_eq!(status, 403);
    assert!(page.contains("only"), "{page}");
    assert!(page.contains("mallory.example"), "{page}");
}

#[tokio::test]
async fn a_state_works_once_and_an_unknown_one_not_at_all() {
    let fake = FakeIndieAuth::start().await;
    let app = app_for(&fake).await;
    let callback = sign_in_at(&app, &fake).await;
    assert_eq!(app.get(&callback).await.status(), 303);
    let (status, page) = refused(&app, &callback).await;
    assert_eq!(status, 400);
    assert!(page.contains("already used"), "{page}");
    let (status, _) = refused(&app, "/auth/callback?code=x&state=made-up").await;
    assert_eq!(status, 400);
    let (status, _) = refused(&app, "/auth/callback?code=x").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_state_older_than_ten_minutes_is_refused() {
    let fake = FakeIndieAuth::start().await;
    let app = app_for(&fake).await;
    app.store()
        .save_sign_in_state(
            &token_hash("old-state"),
            &SignInState {
                code_verifier: "v".repeat(64),
                authorization_endpoint: fake.authorization_endpoint(),
                issuer: None,
                via: "legacy".into(),
                created_at: Utc::now() - Duration::minutes(11),
            },
        )
        .await
        .unwrap();
    let (status, page) = refused(&app, "/auth/callback?code=x&state=old-state").await;
    assert_eq!(status, 400);
    assert!(page.contains("10 minutes"), "{page}");
}

#[tokio::test]
async fn a_callback_from_another_issuer_is_refused() {
    let fake = FakeIndieAuth::start().await.wrong_iss();
    let app = app_for(&fake).await;
    let callback = sign_in_at(&app, &fake).await;
    let (status, page) = refused(&app, &callback).await;
    assert_eq!(status, 400);
    assert!(page.contains("impostor.example"), "{page}");
    assert_eq!(
        fake.redemptions(),
        0,
        "the code is never sent to be redeemed"
    );
}

#[tokio::test]
async fn a_wrong_pkce_verifier_fails_at_redemption() {
    let fake = FakeIndieAuth::start().await;
    let app = app_for(&fake).await;
    let callback = sign_in_at(&app, &fake).await;
    sqlx::query("UPDATE sign_in_states SET code_verifier = ?")
        .bind("w".repeat(64))
        .execute(app.store().pool())
        .await
        .unwrap();
    let (status, page) = refused(&app, &callback).await;
    assert_eq!(status, 502);
    assert!(page.contains("did not confirm"), "{page}");
}

#[tokio::test]
async fn an_unreachable_profile_page_gives_a_clear_page() {
    let down = RefusingPort::bind();
    let app = TestApp::builder().admin_me(&down.url("/")).spawn().await;
    let response = app
        .client
        .post(app.url("/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let page = response.text().await.unwrap();
    assert!(page.contains("Could not read the profile page"), "{page}");
    assert!(page.contains("Back to the sign-in page"), "{page}");
}

#[tokio::test]
async fn a_slow_authorization_server_times_out_with_a_clear_page() {
    let fake = FakeIndieAuth::start()
        .await
        .delay(std::time::Duration::from_secs(8));
    let app = app_for(&fake).await;
    let response = app
        .client
        .post(app.url("/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let page = response.text().await.unwrap();
    assert!(page.contains("did not answer within 5 s"), "{page}");
}

#[tokio::test]
async fn a_login_link_works_once_and_not_after_ten_minutes() {
    let app = spawn_app().await;
    let link = app.login_link().await;
    // Opening it shows a button; only the button uses it.
    let page = app.get(&link).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(r#"method="post""#));
    let first = app.client.post(app.url(&link)).send().await.unwrap();
    assert_eq!(first.status(), 303);
    assert!(session_cookie(&first).is_some());
    let again = app.client.post(app.url(&link)).send().await.unwrap();
    assert_eq!(again.status(), 400);
    assert!(session_cookie(&again).is_none());

    let expired = app.login_link().await;
    sqlx::query("UPDATE login_links SET expires_at = '2000-01-01T00:00:00.000Z'")
        .execute(app.store().pool())
        .await
        .unwrap();
    let response = app.client.post(app.url(&expired)).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn the_session_cookie_is_secure_exactly_when_the_site_is_https() {
    let plain = spawn_app().await;
    let link = plain.login_link().await;
    let response = plain.client.post(plain.url(&link)).send().await.unwrap();
    let cookie_header = set_cookie_header(&response);
    assert!(
        cookie_header.starts_with("starpunk_session="),
        "{cookie_header}"
    );
    assert!(!cookie_header.contains("Secure"), "{cookie_header}");

    // Behind a TLS proxy: the app itself still speaks plain HTTP on loopback.
    let https = TestApp::builder()
        .site_url("https://notes.example/")
        .spawn()
        .await;
    let link = https.login_link().await;
    let response = https.client.post(https.url(&link)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let cookie_header = set_cookie_header(&response);
    assert!(cookie_header.contains("; Secure"), "{cookie_header}");
    assert!(cookie_header.contains("HttpOnly"), "{cookie_header}");
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    let response = app.owner_post(&owner, "/auth/logout", &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/auth/login?signed_out=1");
    assert!(set_cookie_header(&response).contains("Max-Age=0"));
    let after = app.owner_get(&owner, "/admin").await;
    assert_eq!(after.status(), 303);
}

#[tokio::test]
async fn an_expired_session_signs_no_one_in() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    sqlx::query("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z'")
        .execute(app.store().pool())
        .await
        .unwrap();
    assert_eq!(app.owner_get(&owner, "/admin").await.status(), 303);
    let purged = app
        .store()
        .purge_expired_sign_ins(Utc::now())
        .await
        .unwrap();
    assert_eq!(purged, 1);
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_client() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let link = app
            .client
            .post(app.url("/auth/link/not-a-link"))
            .send()
            .await
            .unwrap();
        statuses.push(link.status().as_u16());
    }
    assert!(statuses[..10].iter().all(|&s| s == 400), "{statuses:?}");
    assert_eq!(statuses[11], 429, "{statuses:?}");
    let limited = app
        .client
        .post(app.url("/auth/link/not-a-link"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&limited, "retry-after"), "60");
    assert!(limited.text().await.unwrap().contains("Too many attempts"));
}
