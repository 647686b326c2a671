//! `GET /health`: for uptime monitors and container health checks.

use std::path::Path;
use std::time::Duration;

use actix_web::{HttpResponse, http::header, web};
use serde::Serialize;

use super::AppState;
use super::error::error_chain;

/// Each check gets this long; the whole answer comes well within ~2 s even
/// when the database is stuck.
const CHECK_TIMEOUT: Duration = Duration::from_millis(800);

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    environment: &'static str,
    checks: Checks,
}

#[derive(Serialize)]
struct Checks {
    database: String,
    data_path: String,
}

const OK: &str = "ok";

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let (database, data_path) = tokio::join!(check_database(&state), check_data_path(&state));
    let healthy = database == OK && data_path == OK;
    let body = Health {
        status: if healthy { "healthy" } else { "unhealthy" },
        version: env!("CARGO_PKG_VERSION"),
        environment: state.settings.environment.as_str(),
        checks: Checks {
            database,
            data_path,
        },
    };
    if !healthy {
        log::warn!(
            "health check failed: database: {}; data_path: {}",
            body.checks.database,
            body.checks.data_path
        );
    }
    let mut response = if healthy {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

async fn check_database(state: &AppState) -> String {
    match tokio::time::timeout(CHECK_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => OK.to_owned(),
        Ok(Err(e)) => format!("error: {}", error_chain(&e)),
        Err(_) => format!("error: no answer within {} ms", CHECK_TIMEOUT.as_millis()),
    }
}

/// Two system calls on a local folder: done inline, since a hop to the
/// blocking pool would cost more than the check itself.
async fn check_data_path(state: &AppState) -> String {
    match data_path_problem(&state.settings.data_path) {
        None => OK.to_owned(),
        Some(problem) => format!("error: {problem}"),
    }
}

/// What is wrong with the data folder, if anything: it must exist, be a
/// folder, and be writable by this process (`access(2)`, which also sees a
/// read-only mount).
fn data_path_problem(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Err(e) => Some(format!("{}: {e}", path.display())),
        Ok(meta) if !meta.is_dir() => Some(format!("{} is not a folder", path.display())),
        Ok(_) => rustix::fs::access(path, rustix::fs::Access::WRITE_OK)
            .err()
            .map(|e| format!("{} is not writable: {e}", path.display())),
    }
}
