//! The owner's identity: an IndieAuth user profile URL.
//!
//! Sign-in compares the identity an authorization server vouches for with
//! this URL character for character, so it is kept as written and only
//! canonicalised the way IndieAuth canonicalises (scheme and host in lower
//! case, `/` for an empty path). Unlike [`SiteUrl`](super::SiteUrl) it is
//! never given a trailing slash: `https://example.com/about` and
//! `https://example.com/about/` are different identities.

use std::fmt;
use std::ops::Deref;

use url::{Host, Url};

use super::loopback::is_loopback;

/// A URL that IndieAuth accepts as a user profile URL (§3.2): `http` or
/// `https`, a domain name, a path without `.` or `..` segments, perhaps a
/// query; no fragment, no user name or password, no port.
///
/// One exception: a loopback host (`localhost`, `127.0.0.1`, `[::1]`) may
/// carry a port and be an IP address. A profile page served on this machine,
/// while developing or as the tests' stand-in identity site, can only be
/// reached that way, and no one else can reach it, let alone claim it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileUrl(Url);

/// Why a text is not a profile URL; the message quotes the text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileUrlError {
    #[error("{0:?} must not contain spaces or control characters")]
    Whitespace(String),
    #[error("{0:?} is not an absolute URL ({1})")]
    NotAUrl(String, String),
    #[error("{0:?} must start with http:// or https://")]
    Scheme(String),
    #[error("{0:?} has no host name")]
    NoHost(String),
    #[error("{0:?} must not contain a user name or password")]
    Credentials(String),
    #[error("{0:?} must not contain a #fragment")]
    Fragment(String),
    #[error("{0:?} must not contain . or .. path segments")]
    DotSegment(String),
    #[error("{0:?} must use a domain name, not an IP address")]
    IpAddress(String),
    #[error("{0:?} must not contain a port")]
    Port(String),
}

impl ProfileUrl {
    pub fn parse(text: &str) -> Result<ProfileUrl, ProfileUrlError> {
        let owned = || text.to_owned();
        // The URL parser silently drops tabs and newlines; refusing them
        // keeps the checks on the text below in step with what is parsed.
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ProfileUrlError::Whitespace(owned()));
        }
        let url = Url::parse(text).map_err(|e| ProfileUrlError::NotAUrl(owned(), e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ProfileUrlError::Scheme(owned()));
        }
        let host = match url.host() {
            Some(Host::Domain("")) | None => return Err(ProfileUrlError::NoHost(owned())),
            Some(host) => host,
        };
        // The parser resolves `.` and `..` and drops a default port such as
        // `:443`, so these rules are checked on the text as written.
        let (authority, path) = authority_and_path(text);
        if authority.contains('@') {
            return Err(ProfileUrlError::Credentials(owned()));
        }
        if url.fragment().is_some() {
            return Err(ProfileUrlError::Fragment(owned()));
        }
        if path.split(['/', '\\']).any(is_dot_segment) {
            return Err(ProfileUrlError::DotSegment(owned()));
        }
        if !is_loopback(&host) {
            if !matches!(host, Host::Domain(_)) {
                return Err(ProfileUrlError::IpAddress(owned()));
            }
            if has_port(authority) {
                return Err(ProfileUrlError::Port(owned()));
            }
        }
        Ok(ProfileUrl(url))
    }

    /// The canonical URL, the form sign-in compares.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the URL points at this machine, which readers cannot reach.
    pub fn is_loopback(&self) -> bool {
        self.0.host().as_ref().is_some_and(is_loopback)
    }
}

/// Reads as its text wherever a `&str` is wanted (templates, comparisons).
impl Deref for ProfileUrl {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for ProfileUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authority (`user@host:port`) and the path of an absolute URL, as
/// written. The parser treats `\` as `/` in http(s) URLs; so does this.
fn authority_and_path(text: &str) -> (&str, &str) {
    let after_scheme = text.split_once(':').map_or(text, |(_, rest)| rest);
    let rest = after_scheme.trim_start_matches(['/', '\\']);
    let authority_end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len());
    (authority, &rest[..path_end])
}

/// `.` or `..`, also percent-encoded (`%2e`), as the parser reads them.
fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

/// Any `:` after the host, even an empty or default port (`:`, `:443`).
fn has_port(authority: &str) -> bool {
    let host_and_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let after_host = if host_and_port.starts_with('[') {
        host_and_port.split_once(']').map_or("", |(_, rest)| rest)
    } else {
        host_and_port
    };
    after_host.contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        ProfileUrl::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .to_string()
    }

    #[test]
    fn kept_as_written_without_a_trailing_slash() {
        for (input, expected) in [
            ("https://example.com/about", "https://example.com/about"),
            ("https://example.com/about/", "https://example.com/about/"),
            (
                "https://example.com/users?id=100",
                "https://example.com/users?id=100",
            ),
            ("https://example.com/", "https://example.com/"),
        ] {
            assert_eq!(canonical(input), expected, "{input}");
        }
    }

    #[test]
    fn canonicalised_as_indieauth_says() {
        assert_eq!(canonical("https://example.com"), "https://example.com/");
        assert_eq!(
            canonical("HTTPS://Example.COM/Ada"),
            "https://example.com/Ada"
        );
        assert_eq!(
            canonical("http://example.com?x=1"),
            "http://example.com/?x=1"
        );
    }

    #[test]
    fn refuses_what_indieauth_refuses() {
        for (text, reason) in [
            ("example.com", "not an absolute URL"),
            ("mailto:user@example.com", "http:// or https://"),
            ("ftp://example.com/", "http:// or https://"),
            ("https://example.com/foo/../bar", ". or .. path segments"),
            ("https://example.com/foo/./bar", ". or .. path segments"),
            (
                "https://example.com/foo/%2E%2e/bar",
                ". or .. path segments",
            ),
            ("https://example.com/..", ". or .. path segments"),
            ("https://example.com/#me", "#fragment"),
            ("https://example.com/#", "#fragment"),
            ("https://user:pass@example.com/", "user name or password"),
            ("https://user@example.com/", "user name or password"),
            ("https://example.com:8443/", "port"),
            ("https://example.com:443/", "port"),
            ("https://example.com:/", "port"),
            ("https://172.28.92.51/", "not an IP address"),
            ("https://[2001:db8::1]/", "not an IP address"),
            ("https://exa mple.com/", "spaces"),
            ("https://example.com/\tme", "spaces"),
            ("", "spaces"),
        ] {
            let err = ProfileUrl::parse(text).expect_err(text).to_string();
            assert!(err.contains(reason), "{text}: {err}");
        }
    }

    #[test]
    fn loopback_may_have_a_port_for_local_development() {
        for text in [
            "http://localhost:8000/",
            "http://127.0.0.1:41234/me",
            "http://[::1]:8000/",
        ] {
            let url = ProfileUrl::parse(text).unwrap();
            assert!(url.is_loopback(), "{text}");
        }
        assert!(
            !ProfileUrl::parse("https://example.com/")
                .unwrap()
                .is_loopback()
        );
    }

    #[test]
    fn errors_quote_the_text() {
        let err = ProfileUrl::parse("https://example.com/#me").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"https://example.com/#me\" must not contain a #fragment"
        );
    }
}
