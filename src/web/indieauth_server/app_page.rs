//! What an app says about itself on its `client_id` page: its name, logo
//! and the redirect URIs it uses. Either a JSON Client ID Metadata
//! Document (IndieAuth 2024) or an HTML page with an `h-app` and
//! `rel="redirect_uri"` links (IndieAuth 2022).

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::domain::ClientId;
use crate::outbound::parse_link_header;
use crate::outbound::{Outbound, OutboundError};

/// The app as its page describes it. Every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub name: Option<String>,
    pub logo: Option<Url>,
    pub redirect_uris: Vec<Url>,
}

/// Reads the app's page, through an [`Outbound`] that keeps to public
/// addresses: anyone can send the owner a link naming any `client_id`.
pub async fn fetch_client_info(
    outbound: &Outbound,
    client_id: &ClientId,
) -> Result<ClientInfo, OutboundError> {
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
}
