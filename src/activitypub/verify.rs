//! Checking the HTTP Signature of a request from another server. The
//! cheap checks come first (the header is there and readable, the right
//! headers are signed, `Date` is within 12 hours, `Digest` is the
//! body's), so an unsigned or stale request costs nothing; only then is
//! the key looked up, kept from an earlier request or fetched (signed)
//! from its server, and fetched once more if it no longer verifies (the
//! actor may have a new key).

use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;
use chrono::{DateTime, TimeDelta, Utc};

use super::Federation;
use super::actors::fetch_key_owner;
use super::fetch::FetchError;
use super::signature::{SignatureError, SignatureParams, check_digest, verify_rsa_sha256};
use crate::store::{RemoteActor, StoreError};
use crate::web::AppState;

/// How far a request's `Date` may be from the clock, either way.
pub const DATE_WINDOW: TimeDelta = TimeDelta::hours(12);

/// A key kept for less than this is not fetched again when a signature
/// fails to verify: a stream of bad signatures cannot make the site
/// fetch keys over and over.
const REFETCH_AFTER: TimeDelta = TimeDelta::minutes(1);

/// Why a request is refused.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The key's server is on a blocked domain.
    #[error("{0} is blocked by this site")]
    Blocked(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The parts of a request a signature covers.
pub struct Signed<'a> {
    pub method: &'a str,
    /// The path and query as the sender addressed them.
    pub target: String,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl<'a> Signed<'a> {
    /// The request as the sender signed it. A site under a path
    /// (`SITE_URL=https://host/blog/`) is reached through a proxy that
    /// took the path off; the sender signed it with the path.
    pub fn new(req: &'a HttpRequest, body: &'a [u8], site_path: &str) -> Signed<'a> {
        let path = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
        Signed {
            method: req.method().as_str(),
            target: format!("{}{path}", site_path.trim_end_matches('/')),
            headers: req.headers(),
            body,
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .map(str::trim)
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The signature's parameters, after every check that needs no key.
    pub fn precheck(&self, now: DateTime<Utc>) -> Result<SignatureParams, SignatureError> {
        let value = match self.header("signature") {
            Some(value) => value,
            None => self
                .header("authorization")
                .and_then(|v| v.strip_prefix("Signature ").map(str::to_owned))
                .ok_or(SignatureError::Missing)?,
        };
        let params = SignatureParams::parse(&value)?;
        params.covers_required(self.method)?;
        let date = self
            .header("date")
            .ok_or_else(|| SignatureError::Absent("date".into()))?;
        let date: DateTime<Utc> = httpdate::parse_http_date(&date)
            .map_err(|_| SignatureError::BadDate)?
            .into();
        if (date - now).abs() > DATE_WINDOW {
            return Err(SignatureError::Expired);
        }
        if self.method.eq_ignore_ascii_case("post") {
            check_digest(self.header("digest").as_deref(), self.body)?;
        }
        Ok(params)
    }

    fn verifies(&self, params: &SignatureParams, public_pem: &str) -> Result<bool, SignatureError> {
        let text = params.signing_string(self.method, &self.target, |name| self.header(name))?;
        verify_rsa_sha256(public_pem, text.as_bytes(), &params.signature)
    }
}

/// The actor that signed `request`, once its signature verifies.
pub async fn verify(
    state: &AppState,
    federation: &Federation,
    request: &Signed<'_>,
) -> Result<RemoteActor, VerifyError> {
    let now = state.store.now();
    let params = request.precheck(now)?;
    let key_host = url::Url::parse(&params.key_id)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .ok_or(SignatureError::Malformed("the keyId is not a URL"))?;
    if state.store.is_blocked(&key_host).await? {
        return Err(VerifyError::Blocked(key_host));
    }
    if let Some(known) = state.store.remote_actor_by_key(&params.key_id).await? {
        if request.verifies(&params, &known.public_key_pem)? {
            return Ok(known);
        }
        if now - known.fetched_at < REFETCH_AFTER {
            return Err(SignatureError::Invalid(params.key_id).into());
        }
    }
    let fetched = fetch_key(state, federation, &params.key_id, now).await?;
    state.store.keep_remote_actor(&fetched).await?;
    if request.verifies(&params, &fetched.public_key_pem)? {
        Ok(fetched)
    } else {
        Err(SignatureError::Invalid(params.key_id).into())
    }
}

async fn fetch_key(
    state: &AppState,
    federation: &Federation,
    key_id: &str,
    now: DateTime<Utc>,
) -> Result<RemoteActor, SignatureError> {
    let _turn = federation
        .key_fetches
        .acquire()
        .await
        .map_err(|_| SignatureError::KeyUnavailable("the server is stopping".into()))?;
    fetch_key_owner(&state.outbound, federation, key_id, now)
        .await
        .map_err(|e| match e {
            FetchError::NotActor(reason) => SignatureError::BadKey(reason),
            other => SignatureError::KeyUnavailable(crate::error::error_chain(&other)),
        })
}
