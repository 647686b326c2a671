//! What someone running the site for years watches: `/metrics` on its own
//! listener, an `X-Request-Id` on every response, and log lines a
//! collector can read.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::time::Duration;

use crate::fake_hub::FakeHub;
use crate::helpers::{
    TestApp, cli_with, eventually, header, spawn_app, spawn_with_socket, wait_until_healthy,
};

const LIMIT: Duration = Duration::from_secs(20);

/// The value of the sample `name{labels}`, if the scrape has it.
pub fn sample(scrape: &str, name_and_labels: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(name_and_labels)?.trim().parse().ok())
}

pub async fn scrape(app: &TestApp) -> String {
    let url = app.metrics_url.as_ref().expect("metrics are on");
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn metrics_follow_the_requests_made_and_stay_off_the_public_port() {
    let app = TestApp::builder().metrics().spawn().await;
    app.publish("Counted").await;
    app.draft("Not yet").await;
    let before = scrape(&app).await;
    let home_2xx = r#"starpunk_http_requests_total{method="GET",route="/",status="2xx"}"#;
    let home_3xx = r#"starpunk_http_requests_total{method="GET",route="/",status="3xx"}"#;
    assert_eq!(sample(&before, home_2xx), None);
    let etag = header(&app.get("/").await, "etag");
    for _ in 0..2 {
        app.get("/").await;
    }
    let not_modified = app.get_with("/", &[("if-none-match", &etag)]).await;
    assert_eq!(not_modified.status(), 304);
    assert_eq!(app.get("/no/such/page").await.status(), 404);
    assert_eq!(
        app.get("/metrics").await.status(),
        404,
        "never on the public port"
    );

    let after = scrape(&app).await;
    assert_eq!(sample(&after, home_2xx), Some(3.0), "{after}");
    assert_eq!(sample(&after, home_3xx), Some(1.0));
    assert_eq!(
        sample(
            &after,
            r#"starpunk_http_requests_total{method="GET",route="(unmatched)",status="4xx"}"#
        ),
        Some(2.0),
        "the two 404s"
    );
    assert_eq!(
        sample(
            &after,
            r#"starpunk_http_request_duration_seconds_count{route="/"}"#
        ),
        Some(4.0)
    );
    assert!(
        after.contains(r#"starpunk_http_request_duration_seconds_bucket{route="/",le="+Inf"} 4"#)
    );
    // One render of the home page, then hits.
    assert_eq!(sample(&after, "starpunk_cache_misses_total"), Some(1.0));
    assert_eq!(sample(&after, "starpunk_cache_hits_total"), Some(3.0));
    assert_eq!(
        sample(&after, "starpunk_cache_render_duration_seconds_count"),
        Some(1.0)
    );
    assert_eq!(
        sample(&after, r#"starpunk_notes{state="published"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(&after, r#"starpunk_notes{state="draft"}"#),
        Some(1.0)
    );
    for state in ["scheduled", "unlisted", "deleted"] {
        let name = format!(r#"starpunk_notes{{state="{state}"}}"#);
        assert_eq!(sample(&after, &name), Some(0.0), "{name}");
    }
    assert_eq!(sample(&after, "starpunk_health_probe_up"), Some(1.0));
    assert!(sample(&after, "process_resident_memory_bytes").is_some_and(|b| b > 0.0));
    assert!(after.contains(&format!(
        r#"starpunk_build_info{{version="{}"}} 1"#,
        env!("CARGO_PKG_VERSION")
    )));
}

#[tokio::test]
async fn without_metrics_addr_there_is_no_listener() {
    let app = spawn_app().await;
    assert!(app.metrics_url.is_none());
    assert!(app.state.metrics.is_none());
}

#[tokio::test]
async fn every_response_carries_a_request_id_kept_from_a_proxy_when_well_formed() {
    let app = spawn_app().await;
    let note = app.publish("Identified").await;
    let etag = header(&app.get("/").await, "etag");
    let responses = [
        app.get("/").await,
        app.get_with("/", &[("if-none-match", &etag)]).await,
        app.get("/nowhere").await,
        app.client.delete(app.url("/")).send().await.unwrap(),
        app.get("/tag/Some%20Tag").await,
        app.get(&format!("/note/{}", note.slug)).await,
    ];
    let mut ids = Vec::new();
    for response in &responses {
        let id = header(response, "x-request-id");
        assert!(
            !id.is_empty() && id.len() <= 128,
            "{}: {id}",
            response.status()
        );
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), responses.len(), "each request its own id");

    let kept = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    let response = app.get_with("/", &[("x-request-id", kept)]).await;
    assert_eq!(header(&response, "x-request-id"), kept);
    let forged = "two words\u{7f}";
    let response = app
        .client
        .get(app.url("/"))
        .header("x-request-id", forged.replace('\u{7f}', ""))
        .send()
        .await
        .unwrap();
    assert_ne!(header(&response, "x-request-id"), "two words");
    let long = "a".repeat(129);
    let response = app.get_with("/", &[("x-request-id", &long)]).await;
    assert_ne!(header(&response, "x-request-id"), long);
}

#[test]
fn json_logs_are_one_object_per_line_with_the_request_s_fields() {
    let dir = tempfile::tempdir().unwrap();
    let vars = HashMap::from([
        ("DATA_PATH".to_owned(), dir.path().display().to_string()),
        ("LOG_FORMAT".to_owned(), "json".to_owned()),
        ("RUST_LOG".to_owned(), "info".to_owned()),
        ("WORKERS".to_owned(), "1".to_owned()),
    ]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = spawn_with_socket(
        cli_with(&vars)
            .arg("serve")
            .stderr(std::process::Stdio::piped()),
        &listener,
    );
    drop(listener);
    wait_until_healthy(&vars, port);
    let id = "json-log-test-1";
    let answer = ureq_get(port, "/no/such/page", id);
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");

    let stderr = server.0.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let access = loop {
        let line = lines.next().expect("the server logs").unwrap();
        let object: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
        for field in ["time", "level", "target", "message"] {
            assert!(object.get(field).is_some(), "{field} missing: {line}");
        }
        if object["request_id"] == id {
            break object;
        }
    };
    assert_eq!(access["target"], "starpunk::access");
    assert_eq!(access["method"], "GET");
    assert_eq!(access["route"], "(unmatched)");
    assert_eq!(access["status"], 404);
    assert!(access["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
}

/// A GET over a plain socket, with a request id; the whole answer.
fn ureq_get(port: u16, path: &str, request_id: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nX-Request-Id: {request_id}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn a_bad_log_format_or_metrics_address_stops_the_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value) in [("LOG_FORMAT", "xml"), ("METRICS_ADDR", "localhost")] {
        let vars = HashMap::from([
            ("DATA_PATH".to_owned(), dir.path().display().to_string()),
            (name.to_owned(), value.to_owned()),
        ]);
        let output = cli_with(&vars).arg("migrate").output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(name), "{stderr}");
    }
}

#[tokio::test]
async fn the_websub_queue_reports_pings_under_way_and_those_the_hub_refused() {
    let hub = FakeHub::start().await;
    hub.hold();
    let app = TestApp::builder()
        .metrics()
        .websub_hub(hub.url())
        .spawn()
        .await;
    app.publish("Held at the hub").await;
    eventually(LIMIT, || async { hub.pings().len() == 3 }).await;
    let held = scrape(&app).await;
    assert_eq!(
        sample(&held, r#"starpunk_queue_depth{queue="websub"}"#),
        Some(3.0),
        "{held}"
    );

    hub.answer_with(503);
    hub.release();
    eventually(LIMIT, || async { hub.answered() == 3 }).await;
    // Each refusal is counted, and nothing is left waiting.
    eventually(LIMIT, || async {
        let refused = scrape(&app).await;
        sample(&refused, r#"starpunk_queue_failures_total{queue="websub"}"#) == Some(3.0)
            && sample(&refused, r#"starpunk_queue_depth{queue="websub"}"#) == Some(0.0)
    })
    .await;
}
