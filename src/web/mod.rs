//! HTTP: one file per resource. Handlers read settings and notes from the
//! shared [`AppState`] and answer from the render cache when they can.

mod assets;
mod conditional;
mod error;
mod feed;
mod health;
mod pages;
mod state;

use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Condition, DefaultHeaders, ErrorHandlers, Logger};
use actix_web::{Route, guard, web};

pub use conditional::{Cached, ServingSince, is_not_modified};
pub use error::{WebError, error_chain};
pub use pages::NOTES_PER_PAGE;
pub use state::{AppState, CHANGE_POLL_INTERVAL, HealthState, Observed, RenderCache};

/// Content Security Policy: no scripts at all, styles from the site itself,
/// images from anywhere over HTTPS (notes may embed them), no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
     media-src 'self' https:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Every route, for the server and for tests.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(readable("/", pages::home))
        .service(readable("/note/{slug}", pages::note))
        .service(readable("/feed.xml", feed::feed))
        .service(readable("/health", health::health))
        .service(readable("/static/style.css", assets::stylesheet))
        .default_service(web::to(error::not_found));
}

/// A resource answering GET and HEAD (uptime monitors and feed readers
/// send HEAD), and 405 with `Allow` for any other method.
fn readable<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(get_or_head().to(handler))
        .default_service(web::to(error::method_not_allowed))
}

fn get_or_head() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Headers every response carries.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            header::HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
        ))
}

/// HTML error pages for every error response.
pub fn error_pages<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(error::render_error_page)
}

/// One line per request, at `info` level under `starpunk::access`. When
/// that level is off (`RUST_LOG=warn`) the middleware is left out entirely,
/// so it costs nothing.
pub fn access_log() -> Condition<Logger> {
    let enabled = log::log_enabled!(target: "starpunk::access", log::Level::Info);
    Condition::new(
        enabled,
        Logger::new("%a \"%r\" %s %b %Dms \"%{User-Agent}i\"").log_target("starpunk::access"),
    )
}
