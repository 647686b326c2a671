//! Which redirects are followed: a few, to http(s) only (https only in
//! production), and to allowed addresses only.

use std::net::IpAddr;

use reqwest::redirect::{Action, Attempt};
use url::{Host, Url};

use super::{AddressPolicy, MAX_REDIRECTS, OutboundError, shown_url};

/// Why a redirect was not followed; found again in the error's sources.
#[derive(Debug, thiserror::Error)]
pub(super) enum RedirectRefused {
    #[error("too many redirects")]
    TooMany,
    #[error("redirect to {0}, which is not https")]
    NotHttps(String),
    #[error("redirect to {0}, which is not http or https")]
    NotHttp(String),
    #[error("redirect to {0}, which is on this machine or a private network")]
    PrivateAddress(String),
}

pub(super) fn follow_redirect(
    attempt: Attempt,
    https_only: bool,
    policy: &AddressPolicy,
) -> Action {
    // `previous` starts with the URL first asked for, so it counts the
    // redirects taken so far, this one included.
    let hops = attempt.previous().len();
    match redirect_refusal(hops, attempt.url(), https_only, policy) {
        Some(refusal) => attempt.error(refusal),
        None => attempt.follow(),
    }
}

/// Why the next hop is not taken, if it is not. A hop to a name is
/// checked when the name is resolved, as the first request's is.
pub(super) fn redirect_refusal(
    hops: usize,
    next: &Url,
    https_only: bool,
    policy: &AddressPolicy,
) -> Option<RedirectRefused> {
    if hops > MAX_REDIRECTS {
        return Some(RedirectRefused::TooMany);
    }
    match check_scheme(next, https_only).and_then(|()| check_address(next, policy)) {
        Ok(()) => None,
        Err(OutboundError::HttpsRequired { url }) => Some(RedirectRefused::NotHttps(url)),
        Err(OutboundError::PrivateAddress { url }) => Some(RedirectRefused::PrivateAddress(url)),
        Err(_) => Some(RedirectRefused::NotHttp(shown_url(next))),
    }
}

/// A host written as an IP address is never resolved, so it is checked
/// here; names are checked by [`CheckedResolver`].
pub(super) fn check_address(url: &Url, policy: &AddressPolicy) -> Result<(), OutboundError> {
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if policy.allows(ip) {
        Ok(())
    } else {
        Err(OutboundError::PrivateAddress {
            url: shown_url(url),
        })
    }
}

pub(super) fn check_scheme(url: &Url, https_only: bool) -> Result<(), OutboundError> {
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
