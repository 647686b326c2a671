//! The queue lives in the database: deliveries cut short by a stop, and
//! changes made while the server was stopped, are sent after a restart.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::time::Duration;

use super::fake_server::{ALICE, FakeServer};
use super::follow_site;
use crate::helpers::{Server, spawn_with_socket, wait_until_healthy};
use crate::helpers::{cli_with, eventually, run_with_input, stdout};

/// The server, logging to `log` (a file: a pipe nobody reads would fill
/// and stop it).
fn serve(
    vars: &HashMap<String, String>,
    listener: &std::net::TcpListener,
    log: &std::path::Path,
) -> Server {
    let file = std::fs::File::create(log).unwrap();
    spawn_with_socket(cli_with(vars).arg("serve").stderr(file), listener)
}

/// Kills the server at once (no chance to finish anything) and returns
/// what it logged.
fn kill(mut server: Server, log: &std::path::Path) -> String {
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    let mut text = String::new();
    std::fs::File::open(log)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn publish(vars: &HashMap<String, String>, text: &str) -> String {
    let output = run_with_input(cli_with(vars).args(["note", "new"]), text);
    assert!(output.status.success());
    stdout(&output).trim().to_owned()
}

#[tokio::test]
async fn deliveries_cut_short_and_notes_written_while_stopped_are_sent_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let address = format!("http://127.0.0.1:{port}");
    let vars = HashMap::from([
        ("DATA_PATH".to_owned(), dir.path().display().to_string()),
        ("SITE_URL".to_owned(), format!("{address}/")),
        ("ACTIVITYPUB_USERNAME".to_owned(), "ada".to_owned()),
        ("ALLOW_PRIVATE_ADDRESSES".to_owned(), "true".to_owned()),
        (
            "ACTIVITYPUB_DELIVERY_CONCURRENCY".to_owned(),
            "1".to_owned(),
        ),
        ("WORKERS".to_owned(), "1".to_owned()),
        ("RUST_LOG".to_owned(), "debug".to_owned()),
    ]);
    let remote = FakeServer::start(2).await;
    remote.add_actor("alice", ALICE);

    let logs = tempfile::tempdir().unwrap();
    let (first, second) = (
        logs.path().join("first.log"),
        logs.path().join("second.log"),
    );
    let server = serve(&vars, &listener, &first);
    let healthy = vars.clone();
    tokio::task::spawn_blocking(move || wait_until_healthy(&healthy, port))
        .await
        .unwrap();
    follow_site(&address, &format!("ada@127.0.0.1:{port}"), &remote, "alice").await;

    // One delivery in flight and held there, two more queued behind it.
    remote.hold();
    let arrived = remote.arrived();
    let mut notes = BTreeSet::new();
    for text in ["First of three", "Second of three", "Third of three"] {
        notes.insert(publish(&vars, text));
    }
    eventually(Duration::from_secs(20), || async {
        remote.arrived() > arrived
    })
    .await;
    let first_log = kill(server, &first);
    remote.release();
    // Written while no server runs.
    notes.insert(publish(&vars, "Written while stopped"));

    let server = serve(&vars, &listener, &second);
    let healthy = vars.clone();
    tokio::task::spawn_blocking(move || wait_until_healthy(&healthy, port))
        .await
        .unwrap();
    let sent = || {
        remote
            .received("Create")
            .iter()
            .filter(|d| d.verified.is_ok())
            .filter_map(|d| d.activity["object"]["id"].as_str().map(str::to_owned))
            .collect::<BTreeSet<String>>()
    };
    eventually(Duration::from_secs(20), || async { sent() == notes }).await;
    let second_log = kill(server, &second);
    for log in [&first_log, &second_log] {
        assert!(!log.contains("PRIVATE KEY"), "{log}");
        assert!(!log.contains("MII"), "no key material in the log");
    }
    assert!(
        first_log.contains("made the fediverse actor's key pair"),
        "{first_log}"
    );
    assert!(!second_log.contains("made the fediverse actor's key pair"));
}

#[tokio::test]
async fn the_change_log_is_kept_until_webmentions_and_the_fediverse_read_it() {
    use starpunk::maintenance::change_consumers;
    let federated = super::federated_app().await;
    assert_eq!(
        change_consumers(&federated.state),
        [
            starpunk::webmention::CONSUMER,
            starpunk::activitypub::CHANGES_CONSUMER
        ]
    );
    let alone = crate::helpers::spawn_app().await;
    assert_eq!(
        change_consumers(&alone.state),
        [starpunk::webmention::CONSUMER]
    );
}
