//! What an app says about itself on its `client_id` page: its name, logo
//! and the redirect URIs it uses. Either a JSON Client ID Metadata
//! Document (IndieAuth 2024) or an HTML page with an `h-app` and
//! `rel="redirect_uri"` links (IndieAuth 2022).

use std::net::IpAddr;

use scraper::{ElementRef, Html, Selector};
use url::{Host, Url};

use super::indieauth::parse_link_header;
use super::outbound::{Outbound, OutboundError};
use crate::domain::ClientId;

/// The app as its page describes it. Every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub name: Option<String>,
    pub logo: Option<Url>,
    pub redirect_uris: Vec<Url>,
}

/// Why the app's page was not read.
#[derive(Debug, thiserror::Error)]
pub enum ClientInfoError {
    #[error("its address {host} is on a private network, which this site does not fetch")]
    PrivateAddress { host: String },
    #[error("its host {host} cannot be found: {reason}")]
    Unresolved { host: String, reason: String },
    #[error("{0}")]
    Fetch(#[from] OutboundError),
}

/// Reads the app's page. Unless `allow_private` (development), a
/// `client_id` whose host is or resolves to a loopback or private address
/// is not fetched at all.
pub async fn fetch_client_info(
    outbound: &Outbound,
    client_id: &ClientId,
    allow_private: bool,
) -> Result<ClientInfo, ClientInfoError> {
    if !allow_private {
        check_public(client_id.url()).await?;
    }
    let page = outbound.get_page(client_id.url()).await?;
    let is_json = page
        .content_type
        .as_deref()
        .is_some_and(|t| t.contains("json"))
        || page.body.trim_start().starts_with('{');
    let mut info = if is_json {
        from_json(&page.body, &page.final_url)
    } else {
        from_html(&page.body, &page.final_url)
    };
    for value in &page.link_headers {
        for link in parse_link_header(value) {
            if link.rels.iter().any(|r| r == "redirect_uri")
                && let Ok(url) = page.final_url.join(&link.target)
            {
                info.redirect_uris.push(url);
            }
        }
    }
    Ok(info)
}

async fn check_public(url: &Url) -> Result<(), ClientInfoError> {
    let host_text = url.host_str().unwrap_or_default().to_owned();
    let private = || ClientInfoError::PrivateAddress {
        host: host_text.clone(),
    };
    let addresses: Vec<IpAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(Host::Domain(name)) => {
            let port = url.port_or_known_default().unwrap_or(443);
            tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| ClientInfoError::Unresolved {
                    host: host_text.clone(),
                    reason: e.to_string(),
                })?
                .map(|addr| addr.ip())
                .collect()
        }
        None => return Err(private()),
    };
    if addresses.iter().all(|ip| is_public(*ip)) {
        Ok(())
    } else {
        Err(private())
    }
}

/// Whether anyone on the internet could reach this address: not this
/// machine, a private or link-local network, or a reserved range.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            let [a, b, ..] = ip.octets();
            !(ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || ip.is_documentation()
                // 100.64.0.0/10, shared address space (carrier-grade NAT).
                || (a == 100 && (64..128).contains(&b))
                || a == 0
                || a >= 240)
        }
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = ip.segments()[0];
            !(ip.is_loopback()
                || ip.is_unspecified()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[derive(serde::Deserialize)]
struct MetadataDocument {
    client_name: Option<String>,
    logo_uri: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

fn from_json(body: &str, base: &Url) -> ClientInfo {
    let Ok(doc) = serde_json::from_str::<MetadataDocument>(body) else {
        return ClientInfo::default();
    };
    ClientInfo {
        name: doc.client_name.and_then(|n| clean_name(&n)),
        logo: doc.logo_uri.and_then(|u| base.join(&u).ok()),
        redirect_uris: doc
            .redirect_uris
            .iter()
            .filter_map(|u| base.join(u).ok())
            .collect(),
    }
}

fn from_html(body: &str, base: &Url) -> ClientInfo {
    let document = Html::parse_document(body);
    let selector = |text| Selector::parse(text).expect("a valid selector");
    let redirect_uris = document
        .select(&selector("link[rel][href], a[rel][href]"))
        .filter(|e| {
            e.attr("rel")
                .is_some_and(|rels| rels.split_ascii_whitespace().any(|r| r == "redirect_uri"))
        })
        .filter_map(|e| e.attr("href").and_then(|href| base.join(href).ok()))
        .collect();
    let app = document.select(&selector(".h-app, .h-x-app")).next();
    let (name, logo) = match app {
        Some(app) => (app_name(app), app_logo(app, base)),
        None => (None, None),
    };
    ClientInfo {
        name,
        logo,
        redirect_uris,
    }
}

fn app_name(app: ElementRef) -> Option<String> {
    let named = Selector::parse(".p-name").expect("a valid selector");
    let text: String = match app.select(&named).next() {
        Some(name) => name.text().collect(),
        None => app.text().collect(),
    };
    clean_name(&text)
}

fn app_logo(app: ElementRef, base: &Url) -> Option<Url> {
    let logo = Selector::parse(".u-logo").expect("a valid selector");
    let element = app.select(&logo).next()?;
    let href = element.attr("src").or_else(|| element.attr("href"))?;
    base.join(href).ok().filter(|u| u.scheme() == "https")
}

/// A name fit for a heading: whitespace collapsed, at most 80 characters.
fn clean_name(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let name: String = words.join(" ").chars().take(80).collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://app.example/").unwrap()
    }

    #[test]
    fn an_html_page_names_the_app_and_its_redirects() {
        let html = r#"<html><head><link rel="redirect_uri" href="/cb">
            <link rel="stylesheet" href="/s.css"></head><body>
            <div class="h-app"><img class="u-logo" src="/logo.png">
            <a class="u-url p-name" href="/">  My
            App </a></div><a rel="redirect_uri other" href="https://other.example/cb">x</a></body></html>"#;
        let info = from_html(html, &base());
        assert_eq!(info.name.as_deref(), Some("My App"));
        assert_eq!(info.logo.unwrap().as_str(), "https://app.example/logo.png");
        let uris: Vec<&str> = info.redirect_uris.iter().map(Url::as_str).collect();
        assert_eq!(uris, ["https://app.example/cb", "https://other.example/cb"]);
    }

    #[test]
    fn a_metadata_document_is_read() {
        let json = r#"{"client_id":"https://app.example/","client_name":"App",
            "logo_uri":"https://app.example/l.png","redirect_uris":["https://x.example/cb"]}"#;
        let info = from_json(json, &base());
        assert_eq!(info.name.as_deref(), Some("App"));
        assert_eq!(info.redirect_uris.len(), 1);
        assert_eq!(from_json("not json", &base()), ClientInfo::default());
    }

    #[test]
    fn private_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
