//! The site's own IndieAuth server: apps ask the owner for access through
//! the consent page, redeem codes for tokens, and resource servers check
//! them. Driven as an app and a browser would, over HTTP.

mod apps;
mod cli;
mod clients;
mod discovery;
mod fake_client;
mod flow;
mod private_addresses;
mod tokens;

use std::collections::HashMap;

use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;
use starpunk::indieauth_client::Pkce;
use starpunk::random::random_token;
use url::Url;

use crate::helpers::TestApp;
use crate::owner::{Signed, csrf_in};

/// An app that signs in with the site: its identity and one request's
/// secrets.
pub struct App {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub pkce: Pkce,
}

impl App {
    /// An app on a loopback origin no one serves: its page cannot be read,
    /// which is fine because its redirect_uri is on its own origin.
    pub fn local() -> App {
        App::at("http://localhost:1/", "http://localhost:1/callback")
    }

    pub fn at(client_id: &str, redirect_uri: &str) -> App {
        App {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state: random_token(),
            pkce: Pkce::generate(),
        }
    }

    /// `/auth/authorize?…` for these scopes, with `changes` to the usual
    /// parameters (an empty value leaves a parameter out).
    pub fn authorize_path(&self, scope: &str, changes: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("state", &self.state),
            ("code_challenge", &self.pkce.challenge),
            ("code_challenge_method", "S256"),
            ("scope", scope),
            ("me", "https://ada.example/"),
        ];
        for (name, value) in changes {
            params.retain(|(n, _)| n != name);
            if !value.is_empty() {
                params.push((name, value));
            }
        }
        let mut url = Url::parse("http://x/auth/authorize").unwrap();
        url.query_pairs_mut().extend_pairs(params);
        format!("/auth/authorize?{}", url.query().unwrap())
    }

    /// The form a token endpoint expects for `code`.
    pub fn redemption<'a>(&'a self, code: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", &self.pkce.verifier),
        ]
    }
}

/// The consent page's form fields: hidden ones and the checkboxes as
/// rendered (checked or not).
pub struct Consent {
    pub hidden: Vec<(String, String)>,
    pub checkboxes: Vec<(String, bool)>,
    pub html: String,
}

impl TestApp {
    /// Opens the consent page as the owner; it must answer 200.
    pub async fn consent(&self, signed: &Signed, path: &str) -> Consent {
        let response = self.owner_get(signed, path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        let page = scraper::Html::parse_document(&html);
        let hidden = crate::helpers::select(&page, r#"form input[type="hidden"]"#)
            .iter()
            .map(|e| {
                let attr = |a| e.value().attr(a).unwrap_or_default().to_owned();
                (attr("name"), attr("value"))
            })
            .collect();
        let checkboxes = crate::helpers::select(&page, r#"input[type="checkbox"]"#)
            .iter()
            .map(|e| {
                let name = e.value().attr("value").unwrap_or_default().to_owned();
                (name, e.value().attr("checked").is_some())
            })
            .collect();
        assert!(!csrf_in(&html).is_empty());
        Consent {
            hidden,
            checkboxes,
            html,
        }
    }

    /// Submits the consent form with `decision` and these scopes checked;
    /// returns where the browser is sent.
    pub async fn decide(
        &self,
        signed: &Signed,
        consent: &Consent,
        decision: &str,
        scopes: &[&str],
    ) -> Url {
        let mut form: Vec<(&str, &str)> = consent
            .hidden
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        form.push(("decision", decision));
        form.extend(scopes.iter().map(|s| ("scope", *s)));
        let response = self
            .client
            .post(self.url("/auth/authorize"))
            .header(COOKIE, &signed.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap()
    }

    /// The whole approval: consent page, Allow with `granted`, and the code
    /// from the redirect (its `state` and `iss` checked).
    pub async fn approve(
        &self,
        signed: &Signed,
        app: &App,
        scope: &str,
        granted: &[&str],
    ) -> String {
        let consent = self.consent(signed, &app.authorize_path(scope, &[])).await;
        let back = self.decide(signed, &consent, "approve", granted).await;
        assert!(back.as_str().starts_with(&app.redirect_uri), "{back}");
        let query = query_of(&back);
        assert_eq!(query["state"], app.state);
        assert_eq!(query["iss"], self.url("/"));
        query["code"].clone()
    }

    /// POSTs a form to `path`; returns the status and the JSON answer.
    pub async fn post_json(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap();
        json_of(response).await
    }
}

pub fn query_of(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// Status and JSON body, checking that the answer really is JSON and never
/// cached.
pub async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = crate::helpers::header(&response, "content-type");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert_eq!(
        crate::helpers::header(&response, "cache-control"),
        "no-store"
    );
    (status, response.json().await.unwrap())
}
