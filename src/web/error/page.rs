//! The HTML surface: every failed response of the pages, the admin and
//! the sign-in (ours, and actix-web's own, such as a malformed query)
//! becomes the site's error page.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;

use super::api::ApiError;
use super::{Allowed, DiskFull, WebError, marked};
use crate::render::{ErrorPage, PageContext};
use crate::web::AppState;

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// A plain-text answer; [`render_error_page`] turns it into the site's
    /// HTML error page.
    fn error_response(&self) -> HttpResponse {
        if let WebError::SignInRequired {
            login_path,
            is_form: false,
        } = self
        {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, login_path.as_str()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
        }
        let mut response = self.answer();
        marked(
            response.body(format!("{}: {}", self.heading(), self.message())),
            self,
        )
    }
}

/// After a write failed for lack of space, has the database give back the
/// space of its write-ahead log (in the background: the answer goes out at
/// once), so the next write has room as soon as the owner frees some.
fn checkpoint_after_full_disk<B>(res: &ServiceResponse<B>) {
    if !res.response().extensions().contains::<DiskFull>() {
        return;
    }
    if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
        let store = state.store.clone();
        actix_web::rt::spawn(async move { store.checkpoint_after_full_disk().await });
    }
}

/// Middleware hook: every response that carries an error (ours or one of
/// actix-web's, such as a malformed query) becomes an HTML page.
pub fn render_error_page<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    checkpoint_after_full_disk(&res);
    let Some(error) = res.response().error() else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    // The APIs answer in JSON, already.
    if error.as_error::<ApiError>().is_some() || res.status() == StatusCode::SEE_OTHER {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let ours = error.as_error::<WebError>();
    let (heading, message) = match ours {
        Some(e) => (e.heading().to_owned(), e.message().into_owned()),
        None => (
            status.canonical_reason().unwrap_or("Error").to_owned(),
            error.to_string(),
        ),
    };
    let list_feeds = matches!(ours, Some(WebError::NotAcceptable));
    let html = res
        .request()
        .app_data::<web::Data<AppState>>()
        .and_then(|state| {
            ErrorPage {
                ctx: PageContext {
                    site: &state.settings.site,
                },
                status: status.as_u16(),
                heading: &heading,
                message: &message,
                list_feeds,
            }
            .render()
            .map_err(|e| log::error!("cannot render the error page: {e}"))
            .ok()
        })
        .unwrap_or_else(|| format!("<!DOCTYPE html><title>{status}</title><h1>{status}</h1>"));

    let (req, mut response) = res.into_parts();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let response = response.set_body(BoxBody::new(html));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_body(|_, body| EitherBody::right(body)),
    ))
}

/// For routes that exist but not for this method.
pub async fn method_not_allowed() -> Result<HttpResponse, WebError> {
    Err(WebError::MethodNotAllowed(Allowed::Read))
}

/// For a form's action (POST only) asked with any other method.
pub async fn form_only() -> Result<HttpResponse, WebError> {
    Err(WebError::MethodNotAllowed(Allowed::Form))
}

/// For a page with its form asked with a method other than GET, HEAD, POST.
pub async fn page_or_form_only() -> Result<HttpResponse, WebError> {
    Err(WebError::MethodNotAllowed(Allowed::PageAndForm))
}
