//! What the running server does in the background: notice changes made by
//! other processes, show scheduled notes when their date comes, resolve leftovers of interrupted writes, build the
//! search index when it is missing, keep an up-to-date count of damaged
//! notes for `/health`, tell the WebSub hub (if any) about every change,
//! verify received Webmentions and send the notes' own, and remove uploads
//! no note used.

use std::sync::Arc;
use std::time::Duration;

use crate::error::error_chain;
use crate::store::{Store, StoreError};
use crate::web::{AppState, CHANGE_POLL_INTERVAL, Observed};
use crate::webmention;
use crate::websub::{Publisher, announce_changes};

/// The consumers of the log of note changes that always run: each starts
/// at the end of the log on a site that had none. ActivityPub's, when
/// federation is on, starts its own (see [`change_consumers`]).
const CHANGE_CONSUMERS: &[&str] = &[webmention::CONSUMER];

/// Starts each consumer of the note changes at the end of the log, if it
/// has no place yet: before the server takes its first request, so no
/// change made through it is missed.
pub async fn start_change_consumers(store: &Store) -> Result<(), StoreError> {
    for consumer in CHANGE_CONSUMERS {
        store.start_cursor_at_end(consumer).await?;
    }
    Ok(())
}

/// How often leftovers of interrupted writes are looked for.
const SWEEP_INTERVAL: Duration = Duration::from_secs(30);

/// Every note's file is verified at least this often, and shortly after
/// every change.
const SCAN_INTERVAL: Duration = Duration::from_secs(600);

/// Changes often come in bursts (an import, a script): scan once after.
const SCAN_DELAY_AFTER_CHANGE: Duration = Duration::from_secs(2);

/// Starts the background work; it ends when the returned handles are aborted.
pub fn spawn(state: Arc<AppState>, websub: Option<Publisher>) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = vec![
        tokio::spawn(watch_for_changes(state.clone())),
        tokio::spawn(keep_notes_healthy(state.clone())),
    ];
    if let Some(publisher) = websub {
        tasks.push(tokio::spawn(announce_changes(
            publisher,
            state.store.clone(),
            state.watch_changes(),
        )));
    }
    tasks.push(tokio::spawn(webmention::verify_queue(
        state.webmention.clone(),
    )));
    tasks.push(tokio::spawn(webmention::plan_from_changes(
        state.webmention.clone(),
        state.watch_changes(),
    )));
    tasks.push(tokio::spawn(webmention::deliver_queue(
        state.webmention.clone(),
    )));
    tasks.push(tokio::spawn(remove_unused_uploads(state.clone())));
    tasks.push(tokio::spawn(forget_expired_sign_ins(state.clone())));
    tasks.extend(crate::activitypub::spawn(state));
    tasks
}

/// Every consumer of the note change log that runs in this server: the
/// log keeps what any of them has yet to read (one that is off must not be
/// listed, or the log would never shrink).
pub fn change_consumers(state: &AppState) -> Vec<&'static str> {
    let mut consumers = CHANGE_CONSUMERS.to_vec();
    if state.federation.is_some() {
        consumers.push(crate::activitypub::CHANGES_CONSUMER);
    }
    consumers
}

/// How often uploads no note used are looked for.
const UNUSED_MEDIA_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Removes uploads that no note has used within a day of their upload
/// (an app uploads first, then posts), at start-up and hourly.
async fn remove_unused_uploads(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(UNUSED_MEDIA_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let dir = crate::store::MediaDir::in_data(&state.settings.data_path);
    loop {
        tick.tick().await;
        let cutoff = state.store.now() - crate::store::UNUSED_MEDIA_GRACE;
        match state.store.remove_unused_media(&dir, cutoff).await {
            Ok(removed) => {
                for record in removed {
                    log::info!("removed the upload {}: no note used it", record.path);
                }
            }
            Err(e) => log::warn!("cannot remove unused uploads: {}", error_chain(&e)),
        }
    }
}

/// How often expired sessions, sign-in states and login links are removed.
const SIGN_IN_PURGE_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// Removes expired sessions, sign-in states and login links, forgets the
/// rate limits' idle clients and the note changes every consumer has read,
/// so none of them grows without bound.
async fn forget_expired_sign_ins(state: Arc<AppState>) {
    let first = tokio::time::Instant::now() + SIGN_IN_PURGE_INTERVAL;
    let mut tick = tokio::time::interval_at(first, SIGN_IN_PURGE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match state.store.purge_expired_sign_ins(state.store.now()).await {
            Ok(0) => {}
            Ok(n) => log::info!("removed {n} expired sessions, sign-ins and login links"),
            Err(e) => log::warn!("cannot remove expired sessions: {}", error_chain(&e)),
        }
        state.sign_in.forget_idle_clients();
        state.webmention.forget_idle_hosts();
        // The log of note changes keeps only what a consumer has yet to read.
        if let Err(e) = state
            .store
            .forget_consumed_changes(&change_consumers(&state))
            .await
        {
            log::warn!("cannot forget consumed note changes: {}", error_chain(&e));
        }
    }
}

/// Picks up changes made by other processes (the CLI, another instance)
/// within about a second, by polling one row that a trigger bumps; and
/// releases scheduled notes as their date comes, within the same second.
async fn watch_for_changes(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(CHANGE_POLL_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    let mut release_failing = false;
    loop {
        tick.tick().await;
        match state.store.release_due().await {
            Ok(released) => {
                release_failing = false;
                for slug in released {
                    log::info!("the scheduled note {slug:?} is published now");
                }
            }
            Err(e) if !release_failing => {
                release_failing = true;
                log::warn!("cannot publish scheduled notes: {}", error_chain(&e));
            }
            Err(_) => {}
        }
        match state.refresh_revision().await {
            Ok(observed) => {
                failing = false;
                if observed == Observed::Replaced {
                    log::warn!(
                        "the database was replaced (restored from a backup?): every cached page was dropped"
                    );
                }
            }
            Err(e) if !failing => {
                failing = true;
                log::warn!("cannot read the notes' revision: {}", error_chain(&e));
            }
            Err(_) => {}
        }
    }
}

/// Resolves leftovers (at start-up and every [`SWEEP_INTERVAL`]) and
/// verifies every note's file after changes and periodically.
async fn keep_notes_healthy(state: Arc<AppState>) {
    // Watching from the start: a change during the first sweep and scan
    // still brings a scan after them.
    let mut changes = state.watch_changes();
    sweep(&state).await;
    index_for_search(&state).await;
    scan(&state).await;
    let mut sweeps = tokio::time::interval(SWEEP_INTERVAL);
    sweeps.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    sweeps.tick().await;
    let mut next_scan = tokio::time::Instant::now() + SCAN_INTERVAL;
    loop {
        tokio::select! {
            _ = sweeps.tick() => sweep(&state).await,
            Ok(()) = changes.changed() => {
                tokio::time::sleep(SCAN_DELAY_AFTER_CHANGE).await;
                scan(&state).await;
                next_scan = tokio::time::Instant::now() + SCAN_INTERVAL;
            }
            () = tokio::time::sleep_until(next_scan) => {
                scan(&state).await;
                next_scan = tokio::time::Instant::now() + SCAN_INTERVAL;
            }
        }
    }
}

/// Builds the search index if it is missing entries: once after the
/// upgrade that adds it. (An index out of step entry by entry, which only
/// editing the database by hand can cause, is `starpunk check`'s to find.)
async fn index_for_search(state: &AppState) {
    match state.store.build_search_index_if_missing().await {
        Ok(None) => {}
        Ok(Some(indexed)) => log::info!("search index built: {indexed} notes"),
        Err(e) => log::warn!("cannot build the search index: {}", error_chain(&e)),
    }
}

async fn sweep(state: &AppState) {
    match state.store.repair().await {
        Ok(done) => {
            for repair in &done {
                log::info!("resolved a leftover of an interrupted write: {repair}");
            }
            if !done.is_empty() {
                // A note may have got its text back: show it at once.
                let _ = state.refresh_revision().await;
            }
        }
        Err(e) => log::warn!(
            "cannot look for leftovers of interrupted writes: {}",
            error_chain(&e)
        ),
    }
}

async fn scan(state: &AppState) {
    match state.store.count_damaged_notes().await {
        Ok(damaged) => {
            if state.health.damaged_notes() != Some(damaged) {
                if damaged > 0 {
                    log::error!(
                        "{damaged} note(s) are damaged and left out of the site; run `starpunk check`"
                    );
                } else if state.health.damaged_notes().is_some() {
                    log::info!("no note is damaged any more");
                }
            }
            state.health.set_damaged_notes(damaged);
        }
        Err(e) => log::warn!("cannot verify the notes' files: {}", error_chain(&e)),
    }
}
