//! Responses from memory with validators, and conditional GET (RFC 9110
//! §13): If-None-Match (weak comparison, lists, `*`) wins over
//! If-Modified-Since.

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use crate::domain::content_hash;

/// A rendered response body with the validators that describe it.
#[derive(Debug, Clone)]
pub struct Cached {
    pub body: Bytes,
    /// A weak entity tag, `W/"…"`: proxies that compress keep weak tags.
    pub etag: HeaderValue,
    pub last_modified: HeaderValue,
    pub content_type: &'static str,
}

impl Cached {
    pub fn new(
        body: impl Into<Bytes>,
        last_modified: DateTime<Utc>,
        content_type: &'static str,
    ) -> Cached {
        let body = body.into();
        let etag = format!("W/\"{}\"", &content_hash(&body)[..32]);
        Cached {
            etag: HeaderValue::from_str(&etag).expect("hex is a valid header value"),
            last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(last_modified.into()))
                .expect("an HTTP date is a valid header value"),
            body,
            content_type,
        }
    }

    /// 200 with the body, or 304 with the same validators and caching
    /// headers and no body when the client's copy is current.
    pub fn respond(&self, req: &HttpRequest, cache_control: &HeaderValue) -> HttpResponse {
        let mut response = if is_not_modified(req.headers(), &self.etag, &self.last_modified) {
            HttpResponse::NotModified().finish()
        } else {
            HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, self.content_type))
                .body(self.body.clone())
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::LAST_MODIFIED, self.last_modified.clone());
        headers.insert(header::CACHE_CONTROL, cache_control.clone());
        response
    }
}

/// Whether a GET or HEAD may be answered 304.
pub fn is_not_modified(
    headers: &HeaderMap,
    etag: &HeaderValue,
    last_modified: &HeaderValue,
) -> bool {
    if let Some(if_none_match) = headers.get(header::IF_NONE_MATCH) {
        // When If-None-Match is present, If-Modified-Since is ignored.
        return if_none_match
            .to_str()
            .is_ok_and(|list| etag_list_matches(list, etag_opaque(etag)));
    }
    let Some(since) = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let (Ok(since), Some(modified)) = (
        httpdate::parse_http_date(since),
        last_modified
            .to_str()
            .ok()
            .and_then(|m| httpdate::parse_http_date(m).ok()),
    ) else {
        return false;
    };
    modified <= since
}

/// The quoted part of an entity tag, without any `W/`.
fn etag_opaque(etag: &HeaderValue) -> &str {
    let tag = etag.to_str().unwrap_or("");
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// Weak comparison against every tag in an If-None-Match list (`*` matches
/// any current representation).
fn etag_list_matches(list: &str, opaque: &str) -> bool {
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == opaque
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const ETAG: &str = "W/\"abc\"";
    const MODIFIED: &str = "Mon, 23 Nov 2026 10:00:00 GMT";

    fn check(pairs: &[(HeaderName, &str)]) -> bool {
        is_not_modified(
            &headers(pairs),
            &HeaderValue::from_static(ETAG),
            &HeaderValue::from_static(MODIFIED),
        )
    }

    #[test]
    fn if_none_match_uses_weak_comparison_and_lists() {
        assert!(check(&[(header::IF_NONE_MATCH, "W/\"abc\"")]));
        assert!(check(&[(header::IF_NONE_MATCH, "\"abc\"")]));
        assert!(check(&[(header::IF_NONE_MATCH, "\"x\", W/\"abc\"")]));
        assert!(check(&[(header::IF_NONE_MATCH, "*")]));
        assert!(!check(&[(header::IF_NONE_MATCH, "\"abcd\"")]));
        assert!(!check(&[(header::IF_NONE_MATCH, "")]));
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        assert!(!check(&[
            (header::IF_NONE_MATCH, "\"other\""),
            (header::IF_MODIFIED_SINCE, MODIFIED)
        ]));
        assert!(check(&[
            (header::IF_NONE_MATCH, ETAG),
            (header::IF_MODIFIED_SINCE, "Mon, 01 Jan 2001 00:00:00 GMT")
        ]));
    }

    #[test]
    fn if_modified_since_compares_dates() {
        assert!(check(&[(header::IF_MODIFIED_SINCE, MODIFIED)]));
        assert!(check(&[(
            header::IF_MODIFIED_SINCE,
            "Tue, 24 Nov 2026 10:00:00 GMT"
        )]));
        assert!(!check(&[(
            header::IF_MODIFIED_SINCE,
            "Sun, 22 Nov 2026 10:00:00 GMT"
        )]));
        assert!(!check(&[(header::IF_MODIFIED_SINCE, "yesterday")]));
        assert!(!check(&[]));
    }
}
