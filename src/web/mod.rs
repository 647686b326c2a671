//! HTTP: one file per resource. Handlers read settings and notes from the
//! shared [`AppState`] and answer from the render cache when they can.

pub mod activitypub;
mod admin;
mod assets;
mod cache;
mod compress;
mod compress_as_sent;
mod conditional;
mod connection;
mod encoding;
mod error;
mod feed;
mod health;
pub mod indieauth_server;
mod limits;
mod media;
pub mod metrics;
mod micropub;
mod multipart;
mod negotiate;
mod observe;
pub(crate) mod pages;
mod search;
pub mod session;
mod sign_in;
mod sitemap;
mod state;
mod tags;
mod views;
mod webmention;

use actix_web::dev::{HttpServiceFactory, fn_service};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, ErrorHandlers, from_fn};
use actix_web::{Route, guard, web};

use crate::domain::MAX_PHOTOS;
use compress_as_sent::compress_as_sent;
use limits::{Accepts, FORM_LIMIT, Limits};

pub use cache::{CacheKey, Observed, RenderCache, Rendered};
pub use conditional::{Cached, ServingSince, is_not_modified};
pub use connection::{TimedStream, time_heads};
pub use error::WebError;
pub use observe::observe;
pub use pages::NOTES_PER_PAGE;
pub use sign_in::SignInServices;
pub use state::{AppState, CHANGE_POLL_INTERVAL, HealthState};
pub use webmention::advertised as webmention_link;

/// A Content Security Policy: styles from the site itself, images from
/// anywhere over HTTPS (notes may embed them), no framing, and whatever
/// `$scripts` allows of scripts (nothing else may run).
macro_rules! content_security_policy {
    ($scripts:literal) => {
        concat!(
            "default-src 'none'; ",
            $scripts,
            "style-src 'self'; img-src 'self' https: data:; media-src 'self' https:; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
    };
}

/// Every page's: no scripts at all.
const CONTENT_SECURITY_POLICY: &str = content_security_policy!("");

/// The editor's: the site's own editor script, which sends the photos
/// chosen to the site.
pub const EDITOR_CONTENT_SECURITY_POLICY: &str =
    content_security_policy!("script-src 'self'; connect-src 'self'; ");

/// Every route, for the server and for tests. Pages and feeds come from
/// the render cache with their compressed forms made once; the answers
/// made per request (search, Micropub, the owner's pages) are compressed
/// as they go out ([`compress_as_sent`]).
pub fn routes(cfg: &mut web::ServiceConfig) {
    // The extractors that read a whole body take as much as the routes'
    // limits let through.
    cfg.app_data(web::PayloadConfig::new(FORM_LIMIT as usize))
        .service(readable("/", pages::home))
        .service(readable("/note/{slug}", pages::note))
        .service(readable("/tags", tags::tags))
        .service(readable("/tag/{key}", tags::tag))
        .service(readable("/tag/{key}/feed.{format}", tags::tag_feed))
        .service(
            web::scope("/search")
                .wrap(from_fn(compress_as_sent))
                .service(readable("", search::search)),
        )
        .service(readable("/feed", feed::negotiated))
        .service(readable("/feed.xml", feed::rss))
        .service(readable("/feed.atom", feed::atom))
        .service(readable("/feed.json", feed::json))
        .service(readable("/sitemap.xml", sitemap::index))
        .service(readable("/sitemap-{number:[0-9]+}.xml", sitemap::part))
        .service(readable("/robots.txt", sitemap::robots))
        .service(readable("/health", health::health))
        .service(
            web::scope("/micropub")
                .wrap(from_fn(compress_as_sent))
                .service(page_and_form(
                    "",
                    Accepts::Uploads {
                        max_files: MAX_PHOTOS,
                    },
                    micropub::get,
                    micropub::post,
                ))
                .service(posted(
                    "/media",
                    Accepts::Uploads {
                        max_files: media::FILES_PER_UPLOAD,
                    },
                    media::upload,
                )),
        )
        .service(readable("/media/{path:.*}", media::serve))
        .configure(activitypub::routes)
        .service(posted("/webmention", Accepts::Form, webmention::receive))
        .service(readable("/static/style.css", assets::stylesheet))
        .service(readable("/static/editor.js", assets::editor_script))
        .service(readable(
            "/.well-known/oauth-authorization-server",
            indieauth_server::metadata::metadata,
        ))
        .service(
            web::scope("/auth")
                .wrap(DefaultHeaders::new().add(session::no_store()))
                .configure(sign_in_routes),
        )
        .service(
            web::scope("/admin")
                .wrap(DefaultHeaders::new().add(session::no_store()))
                .wrap(from_fn(compress_as_sent))
                .configure(admin_routes),
        )
        .default_service(fn_service(limits::unknown_address));
}

/// `/auth/…`: signing in and out, and the site's own authorization server
/// for apps.
fn sign_in_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(page_and_form(
        "/login",
        Accepts::Form,
        sign_in::login_page,
        sign_in::start_sign_in,
    ))
    .service(readable("/callback", sign_in::finish_sign_in))
    .service(page_and_form(
        "/link/{token}",
        Accepts::Form,
        sign_in::login_link_page,
        sign_in::use_login_link,
    ))
    .service(posted("/logout", Accepts::Form, sign_in::sign_out))
    .service(page_and_form(
        "/authorize",
        Accepts::Form,
        indieauth_server::authorize::authorize_page,
        indieauth_server::authorize::authorize_form,
    ))
    .service(page_and_form(
        "/token",
        Accepts::ApiForm,
        indieauth_server::token_endpoint::verify,
        indieauth_server::token_endpoint::token,
    ))
    .service(posted(
        "/introspect",
        Accepts::ApiForm,
        indieauth_server::token_endpoint::introspect,
    ))
    .service(posted(
        "/revoke",
        Accepts::ApiForm,
        indieauth_server::token_endpoint::revoke,
    ));
}

/// The editor's form: its text, and as many photos as a note may have.
const EDITOR_FORM: Accepts = Accepts::OwnerUploads {
    max_files: MAX_PHOTOS,
    json: false,
};

/// `/admin…`: the owner's pages.
fn admin_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(readable("", admin::dashboard))
        .service(page_and_form(
            "/new",
            EDITOR_FORM,
            admin::new_form,
            admin::save_new,
        ))
        .service(page_and_form(
            "/edit/{id}",
            EDITOR_FORM,
            admin::edit_form,
            admin::save_edit,
        ))
        .service(readable("/media", admin::media))
        .service(posted(
            "/media/upload",
            Accepts::OwnerUploads {
                max_files: 1,
                json: true,
            },
            admin::upload,
        ))
        .service(page_and_form(
            "/media/delete/{id}",
            Accepts::Form,
            admin::confirm_media_delete,
            admin::delete_media,
        ))
        .service(page_and_form(
            "/delete/{id}",
            Accepts::Form,
            admin::confirm_delete,
            admin::delete,
        ))
        .service(posted("/publish/{id}", Accepts::Form, admin::set_published))
        .service(posted("/restore/{id}", Accepts::Form, admin::restore))
        .service(readable("/mentions", admin::mentions))
        .service(posted(
            "/mentions/moderate/{id}",
            Accepts::Form,
            admin::moderate,
        ))
        .service(posted("/mentions/distrust", Accepts::Form, admin::distrust))
        .service(readable("/mentions/sent/{id}", admin::sent))
        .service(readable("/apps", admin::apps))
        .service(readable("/followers", admin::followers))
        .service(posted(
            "/followers/remove",
            Accepts::Form,
            admin::remove_follower,
        ))
        .service(readable("/blocked", admin::blocked))
        .service(posted("/blocked/add", Accepts::Form, admin::block))
        .service(posted("/blocked/remove", Accepts::Form, admin::unblock))
        .service(posted(
            "/apps/revoke/{id}",
            Accepts::Form,
            admin::revoke_app,
        ));
}

/// A page (GET and HEAD) and the form it submits (POST) at one address;
/// `accepts` says what the form may hold.
fn page_and_form<P, PArgs, F, FArgs>(
    path: &str,
    accepts: Accepts,
    page: P,
    form: F,
) -> impl HttpServiceFactory
where
    P: actix_web::Handler<PArgs>,
    PArgs: actix_web::FromRequest + 'static,
    P::Output: actix_web::Responder + 'static,
    F: actix_web::Handler<FArgs>,
    FArgs: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(get_or_head().to(page))
        .route(web::post().to(form))
        .default_service(web::to(error::page_or_form_only))
        .wrap(Limits(accepts))
}

/// A resource that only takes `POST` (a form's action) of what `accepts`
/// says.
fn posted<F, Args>(path: &str, accepts: Accepts, handler: F) -> impl HttpServiceFactory
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(error::form_only))
        .wrap(Limits(accepts))
}

/// A resource answering GET and HEAD (uptime monitors and feed readers
/// send HEAD), and 405 with `Allow` for any other method.
fn readable<F, Args>(path: &str, handler: F) -> impl HttpServiceFactory
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(get_or_head().to(handler))
        .default_service(web::to(error::method_not_allowed))
        .wrap(Limits(Accepts::Nothing))
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
