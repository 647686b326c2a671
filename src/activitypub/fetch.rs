//! Signed requests to other servers: a GET of a document (servers with
//! "authorized fetch" answer only signed ones) and a POST of an activity
//! to an inbox. Each goes through the site's outbound client, so it keeps
//! to its rules (public addresses, https in production, time and size
//! limits). A redirect is followed by hand, signed anew for its own
//! address; a POST is never redirected.

use reqwest::header::{self, HeaderName, HeaderValue};
use serde_json::Value;
use url::Url;

use super::Federation;
use super::ids::authority;
use super::signature::{digest_header, signature_header};
use crate::outbound::{Answer, Outbound, OutboundError, Request, shown_url};

/// The most of a document that is read: actors with many fields and
/// emoji run to tens of kilobytes.
pub const DOCUMENT_LIMIT: usize = 512 * 1024;

/// Redirects a signed GET may follow.
const MAX_REDIRECTS: usize = 3;

/// What `Accept` asks for: ActivityStreams, in both of its names.
pub const ACCEPT_ACTIVITY: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// Why a document could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Outbound(#[from] OutboundError),
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    /// 404 or 410: it is not there (a deleted actor).
    #[error("{url} is gone ({status})")]
    Gone { url: String, status: u16 },
    #[error("{url} is not an http(s) URL")]
    NotHttp { url: String },
    #[error("{url} redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects { url: String },
    #[error("the answer from {url} is not a JSON object")]
    NotJson { url: String },
    #[error("the document at {url} names itself {id}, on another host")]
    ForeignId { url: String, id: String },
    #[error("not a usable actor: {0}")]
    NotActor(String),
}

/// The headers of a request signed as the site's actor: `Date`, `Digest`
/// (with a body), `Signature`; `Host` is the one the client sends.
pub fn signed_headers(
    federation: &Federation,
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(HeaderName, HeaderValue)> {
    let date = httpdate::fmt_http_date(now.into());
    let host = authority(url);
    let target = match url.query() {
        Some(query) => format!("{} {}?{query}", method.to_ascii_lowercase(), url.path()),
        None => format!("{} {}", method.to_ascii_lowercase(), url.path()),
    };
    let digest = body.map(digest_header);
    let mut signed = vec![
        ("(request-target)", target.as_str()),
        ("host", host.as_str()),
        ("date", date.as_str()),
    ];
    if let Some(digest) = &digest {
        signed.push(("digest", digest.as_str()));
    }
    let signature = signature_header(&federation.ids.key, &signed, |text| {
        federation.key().sign(text)
    });
    let value = |text: &str| HeaderValue::from_str(text).expect("signature parts are ASCII");
    let mut headers = vec![
        (header::DATE, value(&date)),
        (HeaderName::from_static("signature"), value(&signature)),
    ];
    if let Some(digest) = &digest {
        headers.push((HeaderName::from_static("digest"), value(digest)));
    }
    headers
}

/// GETs the ActivityStreams document at `url`, signed, following up to
/// three redirects (each signed for its own address). The document must
/// be a JSON object whose `id`, if any, is on the host it came from.
pub async fn fetch_document(
    outbound: &Outbound,
    federation: &Federation,
    url: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Url, Value), FetchError> {
    let mut url = web_url(url)?;
    for _ in 0..=MAX_REDIRECTS {
        let mut request = Request::get(url.clone(), DOCUMENT_LIMIT)
            .header(header::ACCEPT, HeaderValue::from_static(ACCEPT_ACTIVITY));
        request.follow_redirects = false;
        for (name, value) in signed_headers(federation, "get", &url, None, now) {
            request = request.header(name, value);
        }
        let answer = outbound.fetch(request).await?;
        if answer.status.is_redirection() {
            url = redirect_target(&url, &answer)?;
            continue;
        }
        return document(url, answer);
    }
    Err(FetchError::TooManyRedirects {
        url: shown_url(&url),
    })
}

fn document(url: Url, answer: Answer) -> Result<(Url, Value), FetchError> {
    let status = answer.status.as_u16();
    if status == 404 || status == 410 {
        return Err(FetchError::Gone {
            url: shown_url(&url),
            status,
        });
    }
    if !answer.status.is_success() {
        return Err(FetchError::Status {
            url: shown_url(&url),
            status,
        });
    }
    let value: Value = serde_json::from_slice(&answer.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| FetchError::NotJson {
            url: shown_url(&url),
        })?;
    if let Some(id) = value.get("id").and_then(Value::as_str) {
        let same_host = Url::parse(id).is_ok_and(|id| id.host_str() == url.host_str());
        if !same_host {
            return Err(FetchError::ForeignId {
                url: shown_url(&url),
                id: id.to_owned(),
            });
        }
    }
    Ok((url, value))
}

fn redirect_target(from: &Url, answer: &Answer) -> Result<Url, FetchError> {
    let location = answer
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| FetchError::Status {
            url: shown_url(from),
            status: answer.status.as_u16(),
        })?;
    let next = from.join(location).map_err(|_| FetchError::NotHttp {
        url: location.to_owned(),
    })?;
    web_url(next.as_str())
}

/// An `http(s)` URL, or an error naming it.
pub fn web_url(text: &str) -> Result<Url, FetchError> {
    Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
        .ok_or_else(|| FetchError::NotHttp {
            url: text.chars().take(200).collect(),
        })
}

/// POSTs an activity to an inbox, signed; the answer whatever its
/// status. A redirect is not followed (it would carry the activity to an
/// address the signature was not made for).
pub async fn post_activity(
    outbound: &Outbound,
    federation: &Federation,
    inbox: &Url,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Answer, OutboundError> {
    let mut request = Request {
        method: reqwest::Method::POST,
        url: inbox.clone(),
        headers: vec![
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(super::objects::ACTIVITY_JSON),
            ),
            (header::ACCEPT, HeaderValue::from_static(ACCEPT_ACTIVITY)),
        ],
        body: Some(body.to_vec()),
        follow_redirects: false,
        // The answer is not used; a server's error page may be read.
        limit: 64 * 1024,
    };
    request
        .headers
        .extend(signed_headers(federation, "post", inbox, Some(body), now));
    outbound.fetch(request).await
}
