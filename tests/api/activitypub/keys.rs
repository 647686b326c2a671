//! The actor's key pair: made on the first start, kept in the database,
//! so that a backup and its restore carry it.

use serde_json::Value;

use crate::helpers::{TestApp, cli_with, run_with_input, stderr, stdout};

#[tokio::test]
async fn the_key_pair_is_made_once_and_a_restored_backup_carries_it() {
    let app = TestApp::builder()
        .activitypub("ada")
        .activitypub_makes_its_key()
        .spawn()
        .await;
    let key = app.store().activitypub_key().await.unwrap().expect("made");
    assert_ne!(key.public, include_str!("../../keys/site.pub.pem"));
    let actor: Value = app
        .get_with(
            "/activitypub/actor",
            &[("accept", "application/activity+json")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(actor["publicKey"]["publicKeyPem"], key.public);

    let archives = tempfile::tempdir().unwrap();
    let output = format!("{}/", archives.path().display());
    let made = run_with_input(
        app.cli().args(["backup", "--output", &output, "--json"]),
        "",
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let summary: Value = serde_json::from_str(&stdout(&made)).unwrap();
    let archive = summary["archive"]
        .as_str()
        .expect("the archive's path")
        .to_owned();

    let elsewhere = tempfile::tempdir().unwrap();
    let mut vars = app.vars.clone();
    vars.insert("DATA_PATH".into(), elsewhere.path().display().to_string());
    let restored = run_with_input(cli_with(&vars).args(["restore", &archive]), "");
    assert!(restored.status.success(), "{}", stderr(&restored));
    let again = TestApp::builder()
        .activitypub("ada")
        .activitypub_makes_its_key()
        .data_path(&elsewhere.path().display().to_string())
        .spawn()
        .await;
    assert_eq!(
        again.store().activitypub_key().await.unwrap(),
        Some(key.clone())
    );
    let actor: Value = again
        .get_with(
            "/activitypub/actor",
            &[("accept", "application/activity+json")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        actor["publicKey"]["publicKeyPem"], key.public,
        "the same key, not a new one"
    );
}
