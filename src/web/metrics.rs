//! `GET /metrics` on the metrics listener (METRICS_ADDR), never on the
//! public port: Prometheus's text format, with the figures kept in the
//! database read as it asks.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::AppState;

/// The content type of Prometheus's text format 0.0.4.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let Some(metrics) = &state.metrics else {
        return HttpResponse::NotFound().finish();
    };
    match state.store.note_counts().await {
        Ok(counts) => {
            for (name, count) in [
                ("published", counts.published),
                ("scheduled", counts.scheduled),
                ("unlisted", counts.unlisted),
                ("draft", counts.drafts),
                ("deleted", counts.deleted),
            ] {
                metrics.notes.with_label_values(&[name]).set(count);
            }
        }
        Err(e) => log::warn!(
            "metrics: cannot count notes: {}",
            crate::error::error_chain(&e)
        ),
    }
    match state.webmention.waiting_to_send().await {
        Ok(waiting) => metrics
            .queue("webmention")
            .set_depth(usize::try_from(waiting).unwrap_or(0)),
        Err(e) => log::warn!(
            "metrics: cannot count the Webmentions waiting: {}",
            crate::error::error_chain(&e)
        ),
    }
    let pool = state.store.pool();
    let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
    let size = i64::from(pool.size());
    metrics
        .pool_connections
        .with_label_values(&["idle"])
        .set(idle);
    metrics
        .pool_connections
        .with_label_values(&["in_use"])
        .set((size - idle).max(0));
    let probe_up = state.health.database.revision().await.is_ok();
    metrics.health_probe_up.set(i64::from(probe_up));
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, TEXT_FORMAT))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(metrics.text())
}
