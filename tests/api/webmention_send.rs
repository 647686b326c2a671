//! Sending Webmentions: on publish, edit, delete and undelete, from any
//! writer, from a persisted queue with retries, each result recorded.

use std::time::Duration;

use chrono::{DateTime, Utc};
use starpunk::domain::{NoteBody, NoteEdit};
use starpunk::store::{SendState, SentWebmention};

use crate::fake_site::{FakeSite, Page};
use crate::helpers::{TestApp, eventually, run_with_input, stdout};
use crate::observability::{sample, scrape};
use crate::webmention::{app, permalink};

/// Waits until nothing is left to send for the note, then returns its
/// sending state by target.
async fn settled(app: &TestApp, note_id: i64, expected: usize) -> Vec<SentWebmention> {
    eventually(Duration::from_secs(15), || async {
        let sent = app.store().sent_webmentions(note_id).await.unwrap();
        sent.len() == expected
            && sent
                .iter()
                .all(|s| !matches!(s.state, SendState::Queued) && s.attempts > 0)
    })
    .await;
    app.store().sent_webmentions(note_id).await.unwrap()
}

fn page_with_endpoint() -> Page {
    Page::html("<p>A page</p>").header("Link", "</endpoint>; rel=\"webmention\"")
}

/// How many Webmentions `site` received for `target`.
fn received_for(site: &FakeSite, target: &str) -> usize {
    site.posts("/endpoint")
        .iter()
        .filter(|form| form["target"] == target)
        .count()
}

#[tokio::test]
async fn edits_tell_old_and_new_links_and_deletes_and_undeletes_tell_all() {
    let app = app(true).await;
    let site = FakeSite::start(6).await;
    for path in ["/a", "/b", "/c"] {
        site.page(path, page_with_endpoint());
    }
    site.page("/endpoint", Page::endpoint(202));
    let (a, b, c) = (site.url("/a"), site.url("/b"), site.url("/c"));

    let note = app
        .publish(&format!("Links to [a]({a}) and [b]({b})."))
        .await;
    let source = permalink(&app, &note);
    settled(&app, note.id, 2).await;
    assert_eq!((received_for(&site, &a), received_for(&site, &b)), (1, 1));
    assert!(
        site.posts("/endpoint")
            .iter()
            .all(|f| f["source"] == source)
    );

    // b is gone from the text, c is new: all three hear of it.
    let edited = app
        .store()
        .change(
            note.slug.as_str(),
            NoteEdit::text(
                NoteBody::parse(format!("Links to [a]({a}) and [c]({c}).")).unwrap(),
                note.content_hash.clone(),
            ),
        )
        .await
        .unwrap();
    app.changed().await;
    eventually(Duration::from_secs(15), || async {
        (
            received_for(&site, &a),
            received_for(&site, &b),
            received_for(&site, &c),
        ) == (2, 2, 1)
    })
    .await;
    let sent = settled(&app, note.id, 3).await;
    let b_row = sent.iter().find(|s| s.target == b).unwrap();
    assert!(!b_row.linked, "b was told that the link went");

    // A change that alters nothing sends nothing.
    app.store()
        .change(edited.slug.as_str(), NoteEdit::publish(true))
        .await
        .unwrap();

    // Deleted: every page it links to hears (the page now answers 410).
    app.store()
        .change(note.slug.as_str(), NoteEdit::delete())
        .await
        .unwrap();
    app.changed().await;
    eventually(Duration::from_secs(15), || async {
        (received_for(&site, &a), received_for(&site, &c)) == (3, 2)
    })
    .await;
    assert_eq!(app.get(&format!("/note/{}", note.slug)).await.status(), 410);

    app.store()
        .change(note.slug.as_str(), NoteEdit::undelete())
        .await
        .unwrap();
    app.changed().await;
    eventually(Duration::from_secs(15), || async {
        (received_for(&site, &a), received_for(&site, &c)) == (4, 3)
    })
    .await;
    settled(&app, note.id, 3).await;
    assert_eq!(received_for(&site, &b), 2, "b is not linked any more");
}

#[tokio::test]
async fn a_note_written_on_the_command_line_is_sent_too() {
    let app = app(true).await;
    let site = FakeSite::start(7).await;
    site.page("/page", page_with_endpoint());
    site.page("/endpoint", Page::endpoint(202));
    let output = run_with_input(
        app.cli().args(["note", "new"]),
        &format!("From the shell: [page]({})", site.url("/page")),
    );
    assert!(output.status.success());
    let url = stdout(&output).trim().to_owned();
    eventually(Duration::from_secs(15), || async {
        site.posts("/endpoint")
            .iter()
            .any(|form| form["source"] == url && form["target"] == site.url("/page"))
    })
    .await;
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_900_000_000 + seconds, 0).unwrap()
}

#[tokio::test]
async fn server_errors_are_retried_with_back_off_and_refusals_are_not() {
    let app = TestApp::builder()
        .allow_private_addresses()
        .metrics()
        .time(at(0))
        .spawn()
        .await;
    let site = FakeSite::start(8).await;
    site.page(
        "/busy",
        Page::html("x").header("Link", "</busy-endpoint>; rel=webmention"),
    );
    site.page("/busy-endpoint", Page::endpoint(503));
    site.page(
        "/refusing",
        Page::html("x").header("Link", "</no>; rel=webmention"),
    );
    site.page("/no", Page::endpoint(400));
    site.page("/plain", Page::html("<p>No endpoint</p>"));
    let note = app
        .publish(&format!(
            "[busy]({}) [refusing]({}) [plain]({})",
            site.url("/busy"),
            site.url("/refusing"),
            site.url("/plain")
        ))
        .await;
    let sent = settled(&app, note.id, 3).await;
    let state = |sent: &[SentWebmention], path: &str| {
        sent.iter()
            .find(|s| s.target == site.url(path))
            .cloned()
            .unwrap()
    };
    let busy = state(&sent, "/busy");
    assert_eq!((busy.state, busy.status), (SendState::Retrying, Some(503)));
    assert_eq!(busy.due_at, Some(at(60)), "the first retry waits a minute");
    let refusing = state(&sent, "/refusing");
    assert_eq!(
        (refusing.state, refusing.status),
        (SendState::Failed, Some(400))
    );
    assert_eq!(refusing.due_at, None);
    assert_eq!(state(&sent, "/plain").state, SendState::NoEndpoint);
    // What Prometheus sees: the 503 and the 400 failed, the 503 waits.
    let queue = |name: &str| format!(r#"starpunk_queue_{name}{{queue="webmention"}}"#);
    let seen = scrape(&app).await;
    assert_eq!(sample(&seen, &queue("failures_total")), Some(2.0), "{seen}");
    assert_eq!(sample(&seen, &queue("depth")), Some(1.0), "{seen}");

    // A minute on, the endpoint is back: the retry goes through.
    site.page("/busy-endpoint", Page::endpoint(202));
    app.set_time(at(61));
    app.state.webmention.wake();
    eventually(Duration::from_secs(15), || async {
        let sent = app.store().sent_webmentions(note.id).await.unwrap();
        state(&sent, "/busy").state == SendState::Sent
    })
    .await;
    assert_eq!(site.posts("/busy-endpoint").len(), 2);
    assert_eq!(site.posts("/no").len(), 1, "a 4xx is not retried");
    let seen = scrape(&app).await;
    assert_eq!(sample(&seen, &queue("failures_total")), Some(2.0), "{seen}");
    assert_eq!(sample(&seen, &queue("depth")), Some(0.0), "{seen}");
}

#[tokio::test]
async fn a_target_on_a_private_address_is_refused_without_the_setting() {
    let app = TestApp::builder().spawn().await;
    let site = FakeSite::start(9).await;
    site.page("/page", page_with_endpoint());
    let note = app.publish(&format!("[here]({})", site.url("/page"))).await;
    let sent = settled(&app, note.id, 1).await;
    assert_eq!(sent[0].state, SendState::Failed);
    let result = sent[0].result.clone().unwrap();
    assert!(result.contains("private network"), "{result}");
    assert!(site.received().is_empty(), "nothing was asked of it");
}

#[tokio::test]
async fn a_failed_plan_leaves_nothing_half_done_and_is_made_again() {
    let app = app(true).await;
    let site = FakeSite::start(24).await;
    site.page("/a", page_with_endpoint());
    site.page("/b", page_with_endpoint());
    site.page("/endpoint", Page::endpoint(202));
    let pool = app.store().pool().clone();
    sqlx::query(
        "CREATE TRIGGER fail_plan BEFORE INSERT ON webmention_notes
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    .execute(&pool)
    .await
    .unwrap();
    let note = app
        .publish(&format!("[a]({}) [b]({})", site.url("/a"), site.url("/b")))
        .await;
    // The try fails at its last step: neither target is queued, and the
    // change stays in the log, to be planned again.
    let failure = app.state.webmention.plan_changes().await.unwrap_err();
    let failure = starpunk::error::error_chain(&failure);
    assert!(failure.contains("injected failure"), "{failure}");
    assert!(
        app.store()
            .sent_webmentions(note.id)
            .await
            .unwrap()
            .is_empty()
    );
    let unplanned = app.store().changes_for("webmention", 10).await.unwrap();
    assert!(unplanned.iter().any(|c| c.note_id == note.id));
    sqlx::query("DROP TRIGGER fail_plan")
        .execute(&pool)
        .await
        .unwrap();
    app.state.webmention.wake();
    let sent = settled(&app, note.id, 2).await;
    assert!(sent.iter().all(|s| s.state == SendState::Sent));
    assert_eq!(site.posts("/endpoint").len(), 2, "each once");
}

#[tokio::test]
async fn a_slow_page_never_holds_up_the_change() {
    let app = app(true).await;
    let site = FakeSite::start(25).await;
    site.page("/slow", page_with_endpoint().held());
    site.page("/endpoint", Page::endpoint(202));
    let note = app.publish(&format!("[slow]({})", site.url("/slow"))).await;
    // Published and shown while the page it links to has not answered.
    assert_eq!(app.get(&format!("/note/{}", note.slug)).await.status(), 200);
    eventually(Duration::from_secs(15), || async {
        site.gets("/slow") == 1
    })
    .await;
    assert!(site.posts("/endpoint").is_empty());
    site.release();
    let sent = settled(&app, note.id, 1).await;
    assert_eq!(sent[0].state, SendState::Sent);
}
