//! Why an outgoing request gave no usable answer, said without secrets.

use std::time::Duration;

use reqwest::StatusCode;
use url::Url;

use super::{MAX_REDIRECTS, Unreachable};

/// Why a request gave no usable answer. The messages name the URL (without
/// its query) and never the data sent, which may hold a code or verifier.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("outgoing requests cannot be set up: {0}")]
    Setup(String),
    #[error("{url} is not an http or https URL")]
    NotHttp { url: String },
    #[error("{url} does not use https, which production requires of every request and redirect")]
    HttpsRequired { url: String },
    #[error("{url} did not answer within {}", shown_duration(*after))]
    Timeout { url: String, after: Duration },
    #[error("cannot connect to {url}: {reason}")]
    CannotConnect { url: String, reason: String },
    #[error("{url} redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects { url: String },
    #[error("the answer from {url} is larger than {} KiB", limit / 1024)]
    TooLarge { url: String, limit: usize },
    #[error("{url} answered with HTTP status {status}")]
    BadStatus { url: String, status: StatusCode },
    #[error("the answer from {url} is not JSON")]
    NotJson { url: String },
    #[error("the connection to {url} broke off: {reason}")]
    Interrupted { url: String, reason: String },
    #[error("{url} is on this machine or a private network, which is not fetched")]
    PrivateAddress { url: String },
    #[error(transparent)]
    Unreachable(Unreachable),
}
/// A URL as it may appear in a message or log: without a user name,
/// password, query or fragment, any of which could carry a secret.
pub fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    let had_query = shown.query().is_some();
    shown.set_query(None);
    shown.set_fragment(None);
    let mut text = String::from(shown);
    if had_query {
        text.push_str("?…");
    }
    text
}

pub(super) fn shown_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{} s", duration.as_secs_f32())
    }
}
/// The first error of type `E` among `error`'s sources.
pub(super) fn find_source<'a, E: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The deepest cause, which names what actually failed ("Connection
/// refused", "invalid peer certificate") without repeating the URL.
pub(super) fn innermost_reason(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}
