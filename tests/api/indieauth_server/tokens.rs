//! Checking and revoking tokens: introspection, the older GET on the token
//! endpoint, and revocation, with the bearer checks' errors.

use chrono::{Duration, Utc};
use serde_json::json;
use starpunk::domain::{Scope, Scopes};
use starpunk::random::random_token;
use starpunk::store::NewToken;
use starpunk::web::session::token_hash;

use super::json_of;
use crate::helpers::{TestApp, header, spawn_app};

/// A token made straight in the store; returns its secret.
async fn token(app: &TestApp, expires_in: Option<Duration>) -> String {
    let secret = random_token();
    app.store()
        .issue_token(
            &token_hash(&secret),
            &NewToken {
                name: "Quill",
                client_id: "https://quill.p3k.io/",
                scopes: Scopes::NONE.with(Scope::Create).with(Scope::Media),
                me: "https://ada.example/",
                expires_at: expires_in.map(|d| Utc::now() + d),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    secret
}

async fn introspect(app: &TestApp, bearer: Option<&str>, token: &str) -> (u16, serde_json::Value) {
    let mut request = app.client.post(app.url("/auth/introspect"));
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    json_of(request.form(&[("token", token)]).send().await.unwrap()).await
}

#[tokio::test]
async fn introspection_needs_a_token_and_tells_active_from_inactive() {
    let app = spawn_app().await;
    let caller = token(&app, None).await;
    let checked = token(&app, Some(Duration::days(1))).await;

    let (status, answer) = introspect(&app, None, &checked).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, answer) = introspect(&app, Some("not-a-token"), &checked).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("invalid_token"))
    );

    let (status, answer) = introspect(&app, Some(&caller), &checked).await;
    assert_eq!(status, 200);
    assert_eq!(answer["active"], true);
    assert_eq!(answer["me"], "https://ada.example/");
    assert_eq!(answer["client_id"], "https://quill.p3k.io/");
    assert_eq!(answer["scope"], "create media");
    assert!(answer["iat"].as_i64().unwrap() <= Utc::now().timestamp());
    assert!(answer["exp"].as_i64().unwrap() > Utc::now().timestamp());

    let (status, answer) = introspect(&app, Some(&caller), "unknown").await;
    assert_eq!((status, answer), (200, json!({ "active": false })));
}

#[tokio::test]
async fn the_bearer_checks_answer_each_bad_token_with_its_own_error() {
    let app = spawn_app().await;
    let live = token(&app, None).await;
    let expired = token(&app, Some(Duration::seconds(-1))).await;
    let revoked = token(&app, None).await;
    app.store()
        .revoke_token_by_hash(&token_hash(&revoked), Utc::now())
        .await
        .unwrap();

    let verify = |authorization: Option<String>| {
        let mut request = app.client.get(app.url("/auth/token"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send()
    };
    let response = verify(None).await.unwrap();
    assert_eq!(header(&response, "www-authenticate"), "Bearer");
    let (status, answer) = json_of(response).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("unauthorized"))
    );
    for (value, status, error, words) in [
        (format!("Basic {live}"), 400, "invalid_request", "Bearer"),
        (
            "Bearer nothing".to_owned(),
            401,
            "invalid_token",
            "not valid",
        ),
        (format!("Bearer {expired}"), 401, "invalid_token", "expired"),
        (format!("Bearer {revoked}"), 401, "invalid_token", "revoked"),
    ] {
        let (got, answer) = json_of(verify(Some(value)).await.unwrap()).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(error)),
            "{words}"
        );
        assert!(
            answer["error_description"]
                .as_str()
                .unwrap()
                .contains(words),
            "{answer}"
        );
    }

    let (status, answer) = json_of(verify(Some(format!("Bearer {live}"))).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({ "me": "https://ada.example/", "client_id": "https://quill.p3k.io/", "scope": "create media" })
    );

    // The caller's token in the header and in the body: refused.
    let response = app
        .client
        .post(app.url("/auth/introspect"))
        .bearer_auth(&live)
        .form(&[("token", live.as_str()), ("access_token", live.as_str())])
        .send()
        .await
        .unwrap();
    let (status, answer) = json_of(response).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // In the body alone, it is enough.
    let (status, answer) = app
        .post_json(
            "/auth/introspect",
            &[("token", &live), ("access_token", &live)],
        )
        .await;
    assert_eq!((status, answer["active"].as_bool()), (200, Some(true)));
}

#[tokio::test]
async fn revocation_answers_200_and_the_token_stops_working() {
    let app = spawn_app().await;
    let caller = token(&app, None).await;
    let given_up = token(&app, None).await;

    let response = app
        .client
        .post(app.url("/auth/revoke"))
        .form(&[("token", "never-issued")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app
        .client
        .post(app.url("/auth/revoke"))
        .form(&[("token", given_up.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, answer) = introspect(&app, Some(&caller), &given_up).await;
    assert_eq!(answer, json!({ "active": false }));
    let response = app
        .client
        .get(app.url("/auth/token"))
        .bearer_auth(&given_up)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // The older form: action=revoke on the token endpoint.
    let response = app
        .client
        .post(app.url("/auth/token"))
        .form(&[("action", "revoke"), ("token", caller.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(app.store().list_tokens().await.unwrap().is_empty());

    let (status, answer) = app.post_json("/auth/revoke", &[]).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn other_methods_are_refused_with_allow() {
    let app = spawn_app().await;
    for (path, allow) in [("/auth/introspect", "POST"), ("/auth/revoke", "POST")] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 405, "{path}");
        assert!(header(&response, "allow").contains(allow));
    }
}
