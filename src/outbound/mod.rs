//! Outgoing HTTP requests: for sign-in, fetching the owner's profile page
//! and the authorization server's metadata, and redeeming a code; for
//! WebSub, telling the hub that the feeds changed.
//!
//! Every address here comes from outside (the profile page, the metadata,
//! redirects), so each request is bounded: a few redirects, https only in
//! production, a short timeout, and a cap on how much of an answer is read.
//! Requests to addresses an app names also stay on the public internet
//! ([`AddressPolicy`]).

mod address;
mod errors;
mod links;
mod redirect;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use reqwest::redirect::Policy;
use url::Url;

use address::CheckedResolver;
pub use address::{AddressPolicy, Unreachable, is_public};
pub use errors::{OutboundError, shown_url};
use errors::{find_source, innermost_reason};
pub use links::{
    HeaderLink, first_in_headers, first_in_html, first_link_or_anchor, parse_link_header,
};
use redirect::{RedirectRefused, check_address, check_scheme, follow_redirect};

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
    addresses: AddressPolicy,
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
/// A request for [`Outbound::fetch`].
#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: Url,
    pub headers: Vec<(header::HeaderName, header::HeaderValue)>,
    pub body: Option<Vec<u8>>,
    /// Whether redirects are followed (each hop checked as the first), or
    /// answered as they are.
    pub follow_redirects: bool,
    /// The most of the answer's body that is read.
    pub limit: usize,
}

impl Request {
    /// A GET that follows redirects and reads at most `limit` bytes.
    pub fn get(url: Url, limit: usize) -> Request {
        Request {
            method: reqwest::Method::GET,
            url,
            headers: Vec::new(),
            body: None,
            follow_redirects: true,
            limit,
        }
    }

    pub fn header(mut self, name: header::HeaderName, value: header::HeaderValue) -> Request {
        self.headers.push((name, value));
        self
    }
}

/// What [`Outbound::fetch`] got back.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    /// The URL answered from, after any redirects.
    pub final_url: Url,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Outbound {
    pub fn new(rules: OutboundRules) -> Outbound {
        Outbound {
            clients: Arc::new(OnceLock::new()),
            rules,
            addresses: AddressPolicy::Any,
        }
    }

    /// The same rules, and every request and redirect kept to `policy`.
    pub fn with_address_policy(self, policy: AddressPolicy) -> Outbound {
        Outbound {
            clients: Arc::new(OnceLock::new()),
            rules: self.rules,
            addresses: policy,
        }
    }

    fn clients(&self) -> Result<&Clients, OutboundError> {
        if let Some(clients) = self.clients.get() {
            return Ok(clients);
        }
        let rules = &self.rules;
        let https_only = rules.https_only;
        let policy = self.addresses.clone();
        let build = |redirects: Policy| {
            let mut builder = reqwest::Client::builder()
                .user_agent(rules.user_agent.as_str())
                .connect_timeout(rules.timeout)
                .timeout(rules.timeout)
                .https_only(https_only)
                .redirect(redirects);
            if policy != AddressPolicy::Any {
                // A proxy would resolve names itself, past the check.
                builder = builder.no_proxy().dns_resolver(Arc::new(CheckedResolver {
                    policy: policy.clone(),
                }));
            }
            builder
                .build()
                .map_err(|e| OutboundError::Setup(innermost_reason(&e)))
        };
        let redirect_policy = policy.clone();
        let built = Clients {
            follows_redirects: build(Policy::custom(move |attempt| {
                follow_redirect(attempt, https_only, &redirect_policy)
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

    /// Any request, answered whatever its status: for the protocols that
    /// talk with other sites (Webmention, ActivityPub), which read 404s and
    /// 410s too, sign what they send, and read more than a page's head.
    pub async fn fetch(&self, request: Request) -> Result<Answer, OutboundError> {
        let clients = self.clients()?;
        let client = if request.follow_redirects {
            &clients.follows_redirects
        } else {
            &clients.no_redirects
        };
        let mut builder = client.request(request.method, request.url.clone());
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = self.send(&request.url, builder).await?;
        let status = response.status();
        let final_url = response.url().clone();
        let headers = response.headers().clone();
        let body = self.read_limited(response, request.limit).await?;
        Ok(Answer {
            status,
            final_url,
            headers,
            body,
        })
    }

    async fn send(
        &self,
        url: &Url,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, OutboundError> {
        check_scheme(url, self.rules.https_only)?;
        check_address(url, &self.addresses)?;
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
                RedirectRefused::PrivateAddress(hop) => {
                    OutboundError::PrivateAddress { url: hop.clone() }
                }
            };
        }
        // A name (first asked for or a redirect's) that resolved to an
        // address the policy refuses: nothing was sent.
        if let Some(unreachable) = find_source::<Unreachable>(error) {
            return OutboundError::Unreachable(unreachable.clone());
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
fn header_values(headers: &HeaderMap, name: header::HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect()
}
#[cfg(test)]
mod tests;
