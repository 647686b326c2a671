//! Every request to the inbox must carry a valid HTTP Signature of the
//! activity's actor: anything else is refused with 401 and changes
//! nothing, and a request that fails the cheap checks costs the site no
//! key fetch.

use serde_json::json;

use super::fake_server::{ALICE, ALICE_ROTATED, BOB, FakeServer, Sign};
use super::{actor, federated_app, follow, inbox};
use crate::helpers::TestApp;

async fn refused(app: &TestApp, server: &FakeServer, sign: Sign, why: &str) {
    let follow = server.activity("alice", "Follow", json!(actor(app)));
    let answer = server.post(&inbox(app), &follow, sign).await;
    let status = answer.status();
    let body = answer.text().await.unwrap();
    assert_eq!(status, 401, "{why}: {body}");
    assert!(body.contains("\"error\":\"unauthorized\""), "{why}: {body}");
    assert_eq!(app.store().follower_count().await.unwrap(), 0, "{why}");
}

#[tokio::test]
async fn every_kind_of_bad_signature_is_refused() {
    let app = federated_app().await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    server.add_actor("bob", BOB);
    let hours_ago = |h: u64| {
        Some(httpdate::fmt_http_date(
            std::time::SystemTime::now() - std::time::Duration::from_secs(h * 3600),
        ))
    };
    let cheap: Vec<(&str, Sign)> = vec![
        ("unsigned", Sign::unsigned()),
        (
            "an unknown algorithm",
            Sign {
                algorithm: "hmac-sha256".into(),
                ..Sign::as_actor("alice")
            },
        ),
        (
            "no digest header",
            Sign {
                digest_header: false,
                headers: vec!["(request-target)", "host", "date"],
                ..Sign::as_actor("alice")
            },
        ),
        (
            "the digest not signed",
            Sign {
                headers: vec!["(request-target)", "host", "date"],
                ..Sign::as_actor("alice")
            },
        ),
        (
            "the date not signed",
            Sign {
                headers: vec!["(request-target)", "host", "digest"],
                ..Sign::as_actor("alice")
            },
        ),
        (
            "the host not signed",
            Sign {
                headers: vec!["(request-target)", "date", "digest"],
                ..Sign::as_actor("alice")
            },
        ),
        (
            "the target not signed",
            Sign {
                headers: vec!["host", "date", "digest"],
                ..Sign::as_actor("alice")
            },
        ),
        (
            "a date 13 hours old",
            Sign {
                date: hours_ago(13),
                ..Sign::as_actor("alice")
            },
        ),
        (
            "a date 13 hours ahead",
            Sign {
                date: Some(httpdate::fmt_http_date(
                    std::time::SystemTime::now() + std::time::Duration::from_secs(13 * 3600),
                )),
                ..Sign::as_actor("alice")
            },
        ),
        (
            "a digest that is not the body's",
            Sign {
                digest_value: Some("SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
                ..Sign::as_actor("alice")
            },
        ),
        (
            "a body changed after signing",
            Sign {
                tampered: Some(br#"{"type":"Follow","actor":"x"}"#.to_vec()),
                ..Sign::as_actor("alice")
            },
        ),
    ];
    for (why, sign) in cheap {
        refused(&app, &server, sign, why).await;
    }
    assert_eq!(
        server.actor_fetches(),
        0,
        "no key was fetched for any of these"
    );

    let keyed: Vec<(&str, Sign)> = vec![
        (
            "another actor's key under alice's key id",
            Sign {
                key_of: Some("bob".into()),
                ..Sign::as_actor("alice")
            },
        ),
        (
            "signed by bob for alice's activity",
            Sign {
                key_id: Some(server.key_id("bob")),
                key_of: Some("bob".into()),
                ..Sign::as_actor("alice")
            },
        ),
        (
            "a key that cannot be fetched",
            Sign {
                key_id: Some("http://127.0.0.9:9/users/nobody#main-key".into()),
                ..Sign::as_actor("alice")
            },
        ),
        (
            "a key id that is not a URL",
            Sign {
                key_id: Some("alice".into()),
                ..Sign::as_actor("alice")
            },
        ),
    ];
    for (why, sign) in keyed {
        refused(&app, &server, sign, why).await;
    }
    // And hs2019, as newer servers name the same signature, is taken.
    let follow = server.activity("alice", "Follow", json!(actor(&app)));
    let taken = server
        .post(
            &inbox(&app),
            &follow,
            Sign {
                algorithm: "hs2019".into(),
                ..Sign::as_actor("alice")
            },
        )
        .await;
    assert_eq!(taken.status(), 202);
    assert_eq!(app.store().follower_count().await.unwrap(), 1);
}

#[tokio::test]
async fn malformed_json_is_a_bad_request_and_an_unknown_activity_is_accepted() {
    let app = federated_app().await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    let nothing = json!({});
    for body in [&b"{not json"[..], b"[1, 2]", b"\"text\""] {
        let answer = server
            .post(
                &inbox(&app),
                &nothing,
                Sign::as_actor("alice").with_body(body),
            )
            .await;
        assert_eq!(answer.status(), 400, "{}", String::from_utf8_lossy(body));
    }
    let odd = server.activity("alice", "Dance", json!(actor(&app)));
    let answer = server
        .post(&inbox(&app), &odd, Sign::as_actor("alice"))
        .await;
    assert_eq!(answer.status(), 202);
    let big = json!({"type": "Note", "content": "x".repeat(1024 * 1024)});
    let answer = server
        .post(&inbox(&app), &big, Sign::as_actor("alice"))
        .await;
    assert_eq!(answer.status(), 413);
}

#[tokio::test]
async fn a_rotated_key_is_fetched_again_once() {
    let start = chrono::Utc::now();
    let app = TestApp::builder()
        .activitypub("ada")
        .allow_private_addresses()
        .time(start)
        .spawn()
        .await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    follow(&app, &server, "alice").await;
    let fetches = server.actor_fetches();
    // Known now: a second activity costs no fetch.
    follow(&app, &server, "alice").await;
    assert_eq!(server.actor_fetches(), fetches);

    server.add_actor("alice", ALICE_ROTATED);
    app.set_time(start + chrono::TimeDelta::minutes(5));
    follow(&app, &server, "alice").await;
    assert_eq!(server.actor_fetches(), fetches + 1, "fetched again, once");
    // The old key no longer verifies, and a key just fetched is not
    // fetched again for every bad signature.
    let stale = server.activity("alice", "Follow", json!(actor(&app)));
    let answer = server
        .post(
            &inbox(&app),
            &stale,
            Sign {
                key_pem: Some(ALICE.into()),
                ..Sign::as_actor("alice")
            },
        )
        .await;
    assert_eq!(answer.status(), 401);
    assert_eq!(server.actor_fetches(), fetches + 1);
}

#[tokio::test]
async fn keys_are_fetched_with_a_signed_get_from_servers_in_secure_mode() {
    let app = federated_app().await;
    let server = FakeServer::start(2).await;
    server.add_actor("alice", ALICE);
    server.require_signed_fetches();
    follow(&app, &server, "alice").await;
    assert_eq!(app.store().follower_count().await.unwrap(), 1);
}
