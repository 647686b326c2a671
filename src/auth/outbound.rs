//! Outgoing HTTP requests: for sign-in, fetching the owner's profile page
//! and the authorization server's metadata, and redeeming a code; for
//! WebSub, telling the hub that the feeds changed.
//!
//! Every address here comes from outside (the profile page, the metadata,
//! redirects), so each request is bounded: a few redirects, https only in
//! production, a short timeout, and a cap on how much of an answer is read.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use reqwest::redirect::{Attempt, Policy};
use url::Url;

/// How many redirects a request may follow before it is given up.
pub const MAX_REDIRECTS: usize = 5;
/// The most of an HTML page that is read: `<link>` elements sit in `<head>`.
pub const PAGE_LIMIT: usize = 512 * 1024;
/// The most of a JSON answer that is read: metadata and `{"me": …}` are small.
pub const JSON_LIMIT: usize = 64 * 1024;

/// What every outgoing request must respect.
#[derive(Debug, Clone)]
pub struct OutboundRules {
    /// Refuse any `http:` URL, also as a redirect hop (production).
    pub https_only: bool,
    /// Sent as `User-Agent`, e.g. `StarPunk/0.1.0 (+https://site/)`.
    pub user_agent: String,
    /// For connecting, and separately for the whole request.
    pub timeout: Duration,
}

/// An HTTP client that keeps to [`OutboundRules`]. Its connections are
/// set up on first use: most servers never sign in between restarts, and
/// TLS roots cost a megabyte of memory.
#[derive(Debug, Clone)]
pub struct Outbound {
    clients: Arc<OnceLock<Clients>>,
    rules: OutboundRules,
}

#[derive(Debug)]
struct Clients {
    follows_redirects: reqwest::Client,
    /// For POSTs: a 307 or 308 would send the form, code and verifier
    /// included, on to wherever it points.
    no_redirects: reqwest::Client,
}

/// A page as fetched, after any redirects.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL the page was finally read from; relative links resolve
    /// against it.
    pub final_url: Url,
    /// Every `Link` header value, in the order received.
    pub link_headers: Vec<String>,
    pub content_type: Option<String>,
    pub body: String,
}

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
}

impl Outbound {
    pub fn new(rules: OutboundRules) -> Outbound {
        Outbound {
            clients: Arc::new(OnceLock::new()),
            rules,
        }
    }

    fn clients(&self) -> Result<&Clients, OutboundError> {
        if let Some(clients) = self.clients.get() {
            return Ok(clients);
        }
        let rules = &self.rules;
        let https_only = rules.https_only;
        let build = |redirects: Policy| {
            reqwest::Client::builder()
                .user_agent(rules.user_agent.as_str())
                .connect_timeout(rules.timeout)
                .timeout(rules.timeout)
                .https_only(https_only)
                .redirect(redirects)
                .build()
                .map_err(|e| OutboundError::Setup(innermost_reason(&e)))
        };
        let built = Clients {
            follows_redirects: build(Policy::custom(move |attempt| {
                follow_redirect(attempt, https_only)
            }))?,
            no_redirects: build(Policy::none())?,
        };
        // Two first uses at once may both build; one set is kept.
        Ok(self.clients.get_or_init(|| built))
    }

    /// Whether only `https:` URLs may be used.
    pub fn https_only(&self) -> bool {
        self.rules.https_only
    }

    /// Fetches a page (at most [`PAGE_LIMIT`] bytes) for discovery; any
    /// status other than 2xx is an error.
    pub async fn get_page(&self, url: &Url) -> Result<Fetched, OutboundError> {
        let request = self.clients()?.follows_redirects.get(url.clone()).header(
            header::ACCEPT,
            "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
        );
        let response = self.send(url, request).await?;
        let status = response.status();
        let final_url = response.url().clone();
        if !status.is_success() {
            return Err(OutboundError::BadStatus {
                url: shown_url(&final_url),
                status,
            });
        }
        let link_headers = header_values(response.headers(), header::LINK);
        let content_type = header_values(response.headers(), header::CONTENT_TYPE)
            .into_iter()
            .next();
        let body = self.read_limited(response, PAGE_LIMIT).await?;
        Ok(Fetched {
            final_url,
            link_headers,
            content_type,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// Fetches a JSON document (at most [`JSON_LIMIT`] bytes); any status
    /// other than 2xx is an error.
    pub async fn get_json(&self, url: &Url) -> Result<serde_json::Value, OutboundError> {
        let request = self
            .clients()?
            .follows_redirects
            .get(url.clone())
            .header(header::ACCEPT, "application/json");
        let response = self.send(url, request).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(OutboundError::BadStatus {
                url: shown_url(response.url()),
                status,
            });
        }
        let final_url = response.url().clone();
        let body = self.read_limited(response, JSON_LIMIT).await?;
        serde_json::from_slice(&body).map_err(|_| OutboundError::NotJson {
            url: shown_url(&final_url),
        })
    }

    /// POSTs a form and reads a JSON answer, whatever its status: OAuth
    /// errors come as JSON with a 400. An answer that is not JSON is
    /// [`OutboundError::BadStatus`] if the status was not 2xx (a redirect
    /// included: it is not followed).
    pub async fn post_form_json(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<(StatusCode, serde_json::Value), OutboundError> {
        let request = self
            .clients()?
            .no_redirects
            .post(url.clone())
            .header(header::ACCEPT, "application/json")
            .form(form);
        let response = self.send(url, request).await?;
        let status = response.status();
        let final_url = response.url().clone();
        let body = self.read_limited(response, JSON_LIMIT).await?;
        match serde_json::from_slice(&body) {
            Ok(json) => Ok((status, json)),
            Err(_) if !status.is_success() => Err(OutboundError::BadStatus {
                url: shown_url(&final_url),
                status,
            }),
            Err(_) => Err(OutboundError::NotJson {
                url: shown_url(&final_url),
            }),
        }
    }

    /// POSTs a form and expects a 2xx answer, whose body (at most
    /// [`JSON_LIMIT`] bytes) is read and dropped. No redirect is followed.
    pub async fn post_form(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<StatusCode, OutboundError> {
        let request = self.clients()?.no_redirects.post(url.clone()).form(form);
        let response = self.send(url, request).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(OutboundError::BadStatus {
                url: shown_url(response.url()),
                status,
            });
        }
        self.read_limited(response, JSON_LIMIT).await?;
        Ok(status)
    }

    async fn send(
        &self,
        url: &Url,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, OutboundError> {
        check_scheme(url, self.rules.https_only)?;
        request
            .send()
            .await
            .map_err(|e| self.request_error(url, &e))
    }

    /// Reads at most `limit` bytes, stopping as soon as the answer says or
    /// shows that it is longer, so a huge answer is never buffered.
    async fn read_limited(
        &self,
        mut response: reqwest::Response,
        limit: usize,
    ) -> Result<Vec<u8>, OutboundError> {
        let url = response.url().clone();
        let too_large = || OutboundError::TooLarge {
            url: shown_url(&url),
            limit,
        };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.request_error(&url, &e))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Sorts a failed request into what a person can act on.
    fn request_error(&self, url: &Url, error: &reqwest::Error) -> OutboundError {
        let url = shown_url(url);
        if let Some(refused) = find_source::<RedirectRefused>(error) {
            return match refused {
                RedirectRefused::TooMany => OutboundError::TooManyRedirects { url },
                RedirectRefused::NotHttps(hop) => OutboundError::HttpsRequired { url: hop.clone() },
                RedirectRefused::NotHttp(hop) => OutboundError::NotHttp { url: hop.clone() },
            };
        }
        if error.is_timeout() {
            OutboundError::Timeout {
                url,
                after: self.rules.timeout,
            }
        } else if error.is_connect() {
            OutboundError::CannotConnect {
                url,
                reason: innermost_reason(error),
            }
        } else {
            OutboundError::Interrupted {
                url,
                reason: innermost_reason(error),
            }
        }
    }
}

/// Why a redirect was not followed; found again in the error's sources.
#[derive(Debug, thiserror::Error)]
enum RedirectRefused {
    #[error("too many redirects")]
    TooMany,
    #[error("redirect to {0}, which is not https")]
    NotHttps(String),
    #[error("redirect to {0}, which is not http or https")]
    NotHttp(String),
}

fn follow_redirect(attempt: Attempt, https_only: bool) -> reqwest::redirect::Action {
    // `previous` starts with the URL first asked for, so it counts the
    // redirects taken so far, this one included.
    let hops = attempt.previous().len();
    match redirect_refusal(hops, attempt.url(), https_only) {
        Some(refusal) => attempt.error(refusal),
        None => attempt.follow(),
    }
}

fn redirect_refusal(hops: usize, next: &Url, https_only: bool) -> Option<RedirectRefused> {
    if hops > MAX_REDIRECTS {
        Some(RedirectRefused::TooMany)
    } else {
        match check_scheme(next, https_only) {
            Ok(()) => None,
            Err(OutboundError::HttpsRequired { url }) => Some(RedirectRefused::NotHttps(url)),
            Err(_) => Some(RedirectRefused::NotHttp(shown_url(next))),
        }
    }
}

fn check_scheme(url: &Url, https_only: bool) -> Result<(), OutboundError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if !https_only => Ok(()),
        "http" => Err(OutboundError::HttpsRequired {
            url: shown_url(url),
        }),
        _ => Err(OutboundError::NotHttp {
            url: shown_url(url),
        }),
    }
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

fn shown_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{} s", duration.as_secs_f32())
    }
}

fn header_values(headers: &HeaderMap, name: header::HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect()
}

/// The first error of type `E` among `error`'s sources.
fn find_source<'a, E: std::error::Error + 'static>(
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
fn innermost_reason(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn five_redirects_are_followed_and_the_sixth_is_refused() {
        let next = url("https://example.com/next");
        for hops in 1..=MAX_REDIRECTS {
            assert!(redirect_refusal(hops, &next, true).is_none(), "{hops}");
        }
        assert!(matches!(
            redirect_refusal(MAX_REDIRECTS + 1, &next, true),
            Some(RedirectRefused::TooMany)
        ));
    }

    #[test]
    fn a_redirect_to_http_is_refused_only_when_https_is_required() {
        let next = url("http://example.com/next?code=secret");
        assert!(redirect_refusal(1, &next, false).is_none());
        match redirect_refusal(1, &next, true) {
            Some(RedirectRefused::NotHttps(hop)) => {
                assert_eq!(hop, "http://example.com/next?…");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            redirect_refusal(1, &url("ftp://example.com/"), false),
            Some(RedirectRefused::NotHttp(_))
        ));
    }

    #[test]
    fn shown_urls_carry_no_secrets() {
        assert_eq!(
            shown_url(&url("https://user:pw@example.com/auth?code=abc#x")),
            "https://example.com/auth?…"
        );
        assert_eq!(
            shown_url(&url("https://example.com/")),
            "https://example.com/"
        );
    }

    #[test]
    fn messages_read_as_sentences() {
        let timeout = OutboundError::Timeout {
            url: "https://example.com/".into(),
            after: Duration::from_millis(300),
        };
        assert_eq!(
            timeout.to_string(),
            "https://example.com/ did not answer within 300 ms"
        );
        let large = OutboundError::TooLarge {
            url: "https://example.com/".into(),
            limit: PAGE_LIMIT,
        };
        assert_eq!(
            large.to_string(),
            "the answer from https://example.com/ is larger than 512 KiB"
        );
        assert_eq!(shown_duration(Duration::from_secs(5)), "5 s");
    }
}
