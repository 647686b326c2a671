//! Whether a URL's host is this machine, which only the machine itself can
//! reach: fine while developing, never what readers or an IndieAuth server
//! can use.

use url::Host;

/// `localhost` (and names under `.localhost`, which RFC 6761 reserves for
/// loopback), `127.0.0.0/8`, `::1`, and the unspecified addresses
/// `0.0.0.0` and `::`, which no one else can reach either.
pub(super) fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.');
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Host::Ipv4(ip) => ip.is_loopback() || ip.is_unspecified(),
        Host::Ipv6(ip) => ip.is_loopback() || ip.is_unspecified(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(text: &str) -> bool {
        let url = url::Url::parse(text).unwrap();
        is_loopback(&url.host().unwrap())
    }

    #[test]
    fn loopback_names_and_addresses() {
        for local in [
            "http://localhost/",
            "http://LOCALHOST.:8000/",
            "http://app.localhost/",
            "http://127.0.0.1/",
            "http://127.1.2.3/",
            "http://[::1]/",
            "http://0.0.0.0/",
        ] {
            assert!(host(local), "{local}");
        }
        for public in [
            "https://example.com/",
            "https://localhost.example.com/",
            "http://10.0.0.1/",
            "http://[2001:db8::1]/",
        ] {
            assert!(!host(public), "{public}");
        }
    }
}
