//! What every request leaves behind: an `X-Request-Id` on its response
//! (kept from a proxy that set a well-formed one, made here otherwise), a
//! line in the access log (when `starpunk::access` logs at info), and its
//! count and duration in the metrics (when METRICS_ADDR is set).

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use super::AppState;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The most characters a request id from outside may have.
const MAX_ID_CHARS: usize = 128;

/// Middleware, around every route: see the module docs.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .filter(|value| is_well_formed(value.as_bytes()))
        .cloned()
        .unwrap_or_else(fresh_id);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let route = req.match_pattern();
    let method = req.method().clone();
    let mut response = next.call(req).await?;
    response
        .headers_mut()
        .insert(X_REQUEST_ID.clone(), id.clone());
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    let route = route.as_deref().unwrap_or("(unmatched)");
    if let Some(metrics) = state.as_ref().and_then(|s| s.metrics.as_ref()) {
        metrics.request(route, method.as_str(), status, seconds);
    }
    if log::log_enabled!(target: "starpunk::access", log::Level::Info) {
        let request = response.request();
        let peer = request
            .peer_addr()
            .map_or_else(|| "-".to_owned(), |a| a.ip().to_string());
        let uri = request.uri().to_string();
        let agent = request
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        let duration_ms = seconds * 1000.0;
        log::info!(
            target: "starpunk::access",
            request_id = id.to_str().unwrap_or("-"),
            method = method.as_str(),
            route = route,
            uri = uri.as_str(),
            status = status,
            duration_ms = duration_ms,
            peer = peer.as_str(),
            user_agent = agent.as_str();
            "{peer} \"{method} {uri}\" {status} {duration_ms:.3}ms \"{agent}\""
        );
    }
    Ok(response)
}

/// 1 to 128 characters of `A-Za-z0-9._:-`: a UUID, nginx's `$request_id`,
/// a load balancer's trace id; anything else is replaced, so a client
/// cannot put arbitrary text in the logs.
fn is_well_formed(value: &[u8]) -> bool {
    (1..=MAX_ID_CHARS).contains(&value.len())
        && value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// A process-unique id: a random prefix chosen at start, and a counter.
fn fresh_id() -> HeaderValue {
    static PREFIX: LazyLock<String> =
        LazyLock::new(|| crate::random::random_token().chars().take(12).collect());
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    HeaderValue::from_str(&format!("{}-{n:x}", *PREFIX)).expect("token characters are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_ids_are_kept() {
        assert!(is_well_formed(b"7c9e6679-7425-40de-944b-e07fc1f90ae7"));
        assert!(is_well_formed(b"a1b2c3d4e5f6.req:9_x"));
        assert!(!is_well_formed(b""));
        assert!(!is_well_formed(b"has space"));
        assert!(!is_well_formed(b"line\nbreak"));
        assert!(!is_well_formed("x".repeat(129).as_bytes()));
        assert_ne!(fresh_id(), fresh_id());
        assert!(is_well_formed(fresh_id().as_bytes()));
    }
}
