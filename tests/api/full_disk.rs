//! A full disk: a write that fails for lack of space fails cleanly (the
//! database intact, nothing half saved), the database gives back the space
//! of its write-ahead log, and the next write works as soon as there is
//! room again. SQLite's `max_page_count` stands in for the full disk: past
//! it, SQLite fails exactly as on a full disk (`SQLITE_FULL`).

use std::time::Duration;

use reqwest::header::AUTHORIZATION;
use sqlx::pool::PoolConnection;
use sqlx::{Connection, Sqlite};

use crate::helpers::{TestApp, eventually, spawn_app};
use crate::media_support::media_token;

/// Every connection the pool may open, held at once, so that a setting
/// made on each reaches every query the server makes.
async fn every_connection(app: &TestApp) -> Vec<PoolConnection<Sqlite>> {
    let pool = app.store().pool();
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.unwrap());
    }
    held
}

/// Limits the database to `pages` pages on every connection.
async fn limit_pages(app: &TestApp, pages: i64) {
    for mut conn in every_connection(app).await {
        sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}

async fn post_note(app: &TestApp, token: &str, text: &str) -> reqwest::Response {
    app.client
        .post(app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .form(&[("h", "entry"), ("content", text)])
        .send()
        .await
        .unwrap()
}

fn wal_size(app: &TestApp) -> u64 {
    std::fs::metadata(app.data_path().join("starpunk.db-wal"))
        .map(|meta| meta.len())
        .unwrap_or(0)
}

#[tokio::test]
async fn every_connection_bounds_the_write_ahead_log() {
    let app = spawn_app().await;
    for mut conn in every_connection(&app).await {
        let limit: i64 = sqlx::query_scalar("PRAGMA journal_size_limit")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(limit, 8 * 1024 * 1024);
    }
}

#[tokio::test]
async fn a_write_on_a_full_disk_fails_cleanly_and_the_next_one_works_once_there_is_room() {
    let app = spawn_app().await;
    let token = media_token(&app, "create").await;
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert!(wal_size(&app) > 0, "the log holds the writes made so far");
    limit_pages(&app, pages).await;

    // Long enough that its search index needs pages the database lacks.
    let text = "A note written on a full disk, with many words. ".repeat(2000);
    let refused = post_note(&app, &token, &text).await;
    assert_eq!(refused.status(), 500);
    let answer: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(answer["error"], "server_error", "{answer}");

    // The log's space is given back, in the background.
    eventually(Duration::from_secs(10), || async { wal_size(&app) == 0 }).await;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let report = app.store().check().await.unwrap();
    assert_eq!(report.notes, 0, "nothing was saved");
    assert!(
        report.problems.is_empty() && report.leftovers.is_empty(),
        "{:?} {:?}",
        report.problems,
        report.leftovers
    );

    // The owner frees space: the very next write works, whichever
    // connection of the pool it gets.
    limit_pages(&app, 4_294_967_294).await;
    for mut conn in every_connection(&app).await {
        let write = conn.begin_with("BEGIN IMMEDIATE").await;
        write
            .expect("every connection can start a write")
            .rollback()
            .await
            .unwrap();
    }
    let saved = post_note(&app, &token, &text).await;
    let status = saved.status();
    assert_eq!(status, 201, "{}", saved.text().await.unwrap());
    assert_eq!(app.store().list(true, true).await.unwrap().len(), 1);
}
