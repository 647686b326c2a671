//! The identity of an app asking for access (IndieAuth § 3.2) and the
//! address the owner's answer is sent back to.

use std::fmt;

use url::{Host, Url};

use super::loopback::is_loopback;

/// An app's `client_id`: an http(s) URL with a path, no fragment, no user
/// name or password, no `.` or `..` segment, and a domain name for host
/// (or a loopback address, which the spec allows for apps on the owner's
/// own machine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(Url);

/// Why a `client_id` or `redirect_uri` cannot be used. Each message
/// completes "The app's client_id …" or "The redirect_uri …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdError {
    #[error("is missing")]
    Missing,
    #[error("is not a URL")]
    NotAUrl,
    #[error("must be an http or https URL")]
    NotHttp,
    #[error("must not contain a fragment (#…)")]
    Fragment,
    #[error("must not contain a user name or password")]
    Credentials,
    #[error("must not contain . or .. path segments")]
    DotSegment,
    #[error("must name its host by a domain name, not an IP address")]
    IpAddress,
}

impl ClientId {
    pub fn parse(text: &str) -> Result<ClientId, ClientIdError> {
        let url = parse_http_url(text)?;
        match url.host() {
            Some(Host::Domain(_)) => {}
            Some(host) if is_loopback(&host) => {}
            _ => return Err(ClientIdError::IpAddress),
        }
        Ok(ClientId(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The host (and port, when not the default), as the consent page
    /// shows it.
    pub fn host(&self) -> String {
        let host = self.0.host_str().unwrap_or_default();
        match self.0.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// Whether it names this machine: only for development.
    pub fn is_loopback(&self) -> bool {
        self.0.host().as_ref().is_some_and(is_loopback)
    }

    /// Whether `redirect_uri` has the same scheme, host and port, which
    /// needs no word from the app's own page (IndieAuth § 4.2.2).
    pub fn same_origin(&self, redirect_uri: &Url) -> bool {
        self.0.origin() == redirect_uri.origin()
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `redirect_uri`: an http(s) URL without a fragment or credentials
/// (RFC 6749 § 3.1.2). A custom scheme (`app://`) is not taken: an app
/// lists no such scheme on a web page it could be checked against.
pub fn parse_redirect_uri(text: &str) -> Result<Url, ClientIdError> {
    parse_http_url(text)
}

fn parse_http_url(text: &str) -> Result<Url, ClientIdError> {
    if text.trim().is_empty() {
        return Err(ClientIdError::Missing);
    }
    let url = Url::parse(text).map_err(|_| ClientIdError::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ClientIdError::NotHttp);
    }
    if url.fragment().is_some() {
        return Err(ClientIdError::Fragment);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ClientIdError::Credentials);
    }
    // The parser removes dot segments, so compare with what was written.
    let written_path = text
        .split_once("://")
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.find('/').map(|at| &rest[at..]))
        .map(|path| path.split(['?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    if written_path
        .split('/')
        .any(|segment| matches!(segment, "." | ".." | "%2e" | "%2E" | "%2e%2e" | "%2E%2E"))
    {
        return Err(ClientIdError::DotSegment);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_follow_section_3_2() {
        for good in [
            "https://quill.p3k.io/",
            "https://app.example/client?x=1",
            "http://localhost:8080/",
            "http://127.0.0.1:9000/app",
            "http://[::1]/",
        ] {
            assert!(ClientId::parse(good).is_ok(), "{good}");
        }
        let cases = [
            ("", ClientIdError::Missing),
            ("quill.p3k.io", ClientIdError::NotAUrl),
            ("ftp://app.example/", ClientIdError::NotHttp),
            ("https://app.example/#x", ClientIdError::Fragment),
            ("https://u:p@app.example/", ClientIdError::Credentials),
            ("https://app.example/a/../b", ClientIdError::DotSegment),
            ("https://10.0.0.1/", ClientIdError::IpAddress),
            ("https://[2001:db8::1]/", ClientIdError::IpAddress),
        ];
        for (text, error) in cases {
            assert_eq!(ClientId::parse(text), Err(error), "{text}");
        }
    }

    #[test]
    fn a_bare_host_gets_a_path_and_ports_are_shown() {
        let id = ClientId::parse("https://App.Example").unwrap();
        assert_eq!(id.as_str(), "https://app.example/");
        assert_eq!(id.host(), "app.example");
        assert_eq!(
            ClientId::parse("http://localhost:81/").unwrap().host(),
            "localhost:81"
        );
        assert!(
            ClientId::parse("http://localhost:81/")
                .unwrap()
                .is_loopback()
        );
    }

    #[test]
    fn same_origin_means_scheme_host_and_port() {
        let id = ClientId::parse("https://app.example/").unwrap();
        let same = parse_redirect_uri("https://app.example/callback?x=1").unwrap();
        assert!(id.same_origin(&same));
        for other in [
            "http://app.example/callback",
            "https://app.example:8443/callback",
            "https://evil.example/callback",
        ] {
            assert!(
                !id.same_origin(&parse_redirect_uri(other).unwrap()),
                "{other}"
            );
        }
    }
}
