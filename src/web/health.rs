//! `GET /health`: for uptime monitors and container health checks.
//!
//! `healthy` (200): everything works. `degraded` (200): the site serves, but
//! some notes are damaged and left out, or the disk is nearly full
//! (restarting would not help, so a container must not be restarted for
//! it). `unhealthy` (503): the database or the data folders fail. Answers say what is wrong in a few words; the
//! paths and error details go to the log, not to anonymous clients.

mod disk;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, http::header, web};
use serde::Serialize;

use super::AppState;
use crate::error::error_chain;
use crate::store::{DatabaseProbe, ProbeError};
use disk::{DiskReport, Space};

/// Each check gets this long; the whole answer comes well within ~2 s even
/// when the database or a mount is stuck.
const CHECK_TIMEOUT: Duration = Duration::from_millis(800);

/// A folder check this recent is reused: monitors and load balancers may
/// ask many times a second, and `stat` on a network mount is not free.
const FOLDER_CHECK_REUSE: Duration = Duration::from_secs(1);

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    environment: &'static str,
    checks: Checks,
    disk: DiskReport,
}

#[derive(Serialize)]
struct Checks {
    database: String,
    data_path: String,
    notes: String,
}

const OK: &str = "ok";

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let (database, (data_path, disk)) = tokio::join!(
        check_database(&state.health.database),
        check_folders(&state)
    );
    let notes = match state.health.damaged_notes() {
        Some(0) => OK.to_owned(),
        Some(n) => format!("{n} damaged (left out of the site; run starpunk check)"),
        None => "not checked yet".to_owned(),
    };
    let status = if database != OK || data_path != OK {
        "unhealthy"
    } else if state.health.damaged_notes().unwrap_or(0) > 0 || disk.is_some_and(Space::is_low) {
        "degraded"
    } else {
        "healthy"
    };
    let body = Health {
        status,
        version: env!("CARGO_PKG_VERSION"),
        environment: state.settings.environment.as_str(),
        checks: Checks {
            database,
            data_path,
            notes,
        },
        disk: DiskReport::new(disk),
    };
    let mut response = if status == "unhealthy" {
        HttpResponse::ServiceUnavailable()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

async fn check_database(probe: &DatabaseProbe) -> String {
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, probe.revision()).await;
    let problem = match outcome {
        Ok(Ok(_revision)) => return OK.to_owned(),
        Ok(Err(ProbeError::Busy)) | Err(_) => "no answer in time",
        Ok(Err(e)) => {
            log::warn!("health check: database: {}", error_chain(&e));
            "does not answer queries"
        }
    };
    format!("error: {problem}")
}

/// The folders the site writes to: the data folder, the notes folder and
/// the database's folder (which settings may put elsewhere); and the free
/// space of the data folder's file system.
async fn check_folders(state: &AppState) -> (String, Option<Space>) {
    let findings = state.health.folders.check(&state.settings).await;
    let folders = match findings.folders {
        Ok(()) => OK.to_owned(),
        Err(reason) => format!("error: {reason}"),
    };
    (folders, findings.disk)
}

/// The folder check runs on a blocking thread, at most one at a time, so a
/// hung mount can hold one thread, never a worker or a growing pile of
/// threads; while it hangs, answers say so after [`CHECK_TIMEOUT`]. It
/// measures the free space too: `statvfs(2)` is cheap on a local disk, but
/// on a network mount it asks a server that may not answer.
#[derive(Default)]
pub struct FolderCheck {
    inner: Arc<Mutex<FolderCheckState>>,
}

#[derive(Default)]
struct FolderCheckState {
    last: Option<(Instant, Findings)>,
    running_since: Option<Instant>,
}

/// What one folder check found.
#[derive(Debug, Clone)]
struct Findings {
    folders: Result<(), String>,
    /// The data folder's file system; `None` when it could not be measured.
    disk: Option<Space>,
}

impl Findings {
    fn no_answer() -> Findings {
        Findings {
            folders: Err("no answer in time".into()),
            disk: None,
        }
    }
}

impl FolderCheck {
    async fn check(&self, settings: &crate::config::Settings) -> Findings {
        let started = {
            let mut state = self.lock();
            if let Some((at, findings)) = &state.last
                && at.elapsed() < FOLDER_CHECK_REUSE
            {
                return findings.clone();
            }
            if let Some(since) = state.running_since {
                return match &state.last {
                    Some((_, findings)) if since.elapsed() < CHECK_TIMEOUT => findings.clone(),
                    _ => Findings::no_answer(),
                };
            }
            let now = Instant::now();
            state.running_since = Some(now);
            now
        };
        let folders = [
            ("data folder", settings.data_path.clone()),
            ("notes folder", settings.notes_path.clone()),
            (
                "database folder",
                database_folder(&settings.database_path).to_owned(),
            ),
        ];
        let inner = self.inner.clone();
        let task = tokio::task::spawn_blocking(move || {
            let result = folders
                .iter()
                .find_map(|(name, path)| folder_problem(name, path))
                .map_or(Ok(()), Err);
            let disk = result.is_ok().then(|| Space::of(&folders[0].1)).flatten();
            let findings = Findings {
                folders: result,
                disk,
            };
            let mut state = inner.lock().unwrap_or_else(|p| p.into_inner());
            if state.last.as_ref().map(|(_, f)| &f.folders) != Some(&findings.folders) {
                log_change(&folders, &findings.folders);
            }
            state.last = Some((Instant::now(), findings.clone()));
            state.running_since = None;
            findings
        });
        match tokio::time::timeout(CHECK_TIMEOUT.saturating_sub(started.elapsed()), task).await {
            Ok(Ok(findings)) => findings,
            Ok(Err(_)) => Findings {
                folders: Err("check failed".into()),
                disk: None,
            },
            Err(_) => {
                log::warn!(
                    "health check: the data folders gave no answer within {} ms (a hung mount?)",
                    CHECK_TIMEOUT.as_millis()
                );
                Findings::no_answer()
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FolderCheckState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn database_folder(database: &Path) -> &Path {
    match database.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// What is wrong with a folder, in a few words: it must exist, be a folder,
/// and be writable by this process (`access(2)`, which also sees a
/// read-only mount).
fn folder_problem(name: &str, path: &Path) -> Option<String> {
    let problem = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "missing",
        Err(_) => "cannot be read",
        Ok(meta) if !meta.is_dir() => "is not a folder",
        Ok(_) => match rustix::fs::access(path, rustix::fs::Access::WRITE_OK) {
            Ok(()) => return None,
            Err(_) => "is not writable",
        },
    };
    Some(format!("{name} {problem}"))
}

/// The details, with paths, for the owner's log, once per change.
fn log_change(folders: &[(&str, PathBuf); 3], result: &Result<(), String>) {
    match result {
        Ok(()) => log::info!("health check: the data folders are fine"),
        Err(reason) => {
            let paths: Vec<String> = folders
                .iter()
                .map(|(name, path)| format!("{name} {}", path.display()))
                .collect();
            log::warn!("health check: {reason} ({})", paths.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stuck_database_is_reported_as_no_answer_in_time() {
        let (probe, _asked) = DatabaseProbe::stuck(4);
        assert_eq!(check_database(&probe).await, "error: no answer in time");
    }

    #[tokio::test]
    async fn questions_beyond_the_queue_are_refused_at_once() {
        let (probe, asked) = DatabaseProbe::stuck(1);
        let first = probe.revision();
        tokio::pin!(first);
        // The first question takes the only place in the queue.
        assert!(futures_poll_once(first.as_mut()).await.is_none());
        assert!(matches!(probe.revision().await, Err(ProbeError::Busy)));
        drop(asked);
    }

    #[tokio::test]
    async fn a_stopped_probe_says_the_database_does_not_answer() {
        let (probe, asked) = DatabaseProbe::stuck(1);
        drop(asked);
        assert_eq!(
            check_database(&probe).await,
            "error: does not answer queries"
        );
    }

    /// Polls a future once: `Some` if it finished.
    async fn futures_poll_once<F: std::future::Future + Unpin>(future: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            output = future => Some(output),
            () = std::future::ready(()) => None,
        }
    }
}
