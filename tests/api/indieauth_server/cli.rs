//! `starpunk token …` with the real binary.

use serde_json::Value;

use crate::helpers::{spawn_app, stderr, stdout};

#[tokio::test]
async fn tokens_are_created_listed_used_and_revoked_from_the_command_line() {
    let app = spawn_app().await;
    let output = app
        .cli()
        .args([
            "token",
            "create",
            "--scope",
            "create,media",
            "--name",
            "backup script",
            "--expires",
            "30d",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let secret = stdout(&output).trim().to_owned();
    assert_eq!(secret.len(), 43, "only the token on stdout");
    assert!(stderr(&output).contains(&format!("Authorization: Bearer {secret}")));

    let verified = app
        .client
        .get(app.url("/auth/token"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    let answer: Value = verified.json().await.unwrap();
    assert_eq!(answer["scope"], "create media");
    assert_eq!(answer["me"], "https://ada.example/");

    let output = app
        .cli()
        .args(["token", "list", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let list: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "backup script");
    assert!(list[0]["expires_at"].is_string());
    let id = list[0]["id"].as_i64().unwrap().to_string();
    let table = stdout(&app.cli().args(["token", "list"]).output().unwrap());
    assert!(
        table.contains("backup script") && table.contains("create media"),
        "{table}"
    );
    assert!(!table.contains(&secret));

    let output = app.cli().args(["token", "revoke", &id]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let refused = app
        .client
        .get(app.url("/auth/token"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let again = app.cli().args(["token", "revoke", &id]).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("no token"));
}

#[tokio::test]
async fn bad_scopes_and_durations_are_usage_errors() {
    let app = spawn_app().await;
    for (args, words) in [
        (vec!["--scope", "create,read", "--name", "x"], "read"),
        (
            vec!["--scope", "create", "--name", "x", "--expires", "2 weeks"],
            "not a duration",
        ),
        (vec!["--scope", "", "--name", "x"], "at least one scope"),
        (vec!["--name", "x"], "--scope"),
    ] {
        let output = app
            .cli()
            .arg("token")
            .arg("create")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(words),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(app.store().list_tokens().await.unwrap().is_empty());
}
