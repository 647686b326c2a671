//! Acting as the signed-in owner in tests: a session from a login link,
//! and the CSRF token scraped from an admin page, as a browser has them.

use chrono::Utc;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::multipart::{Form, Part};
use starpunk::web::session::token_hash;

use crate::helpers::TestApp;

pub struct Signed {
    pub cookie: String,
    pub csrf: String,
}

impl TestApp {
    /// Makes a login link as `starpunk login-link` does; returns its path.
    pub async fn login_link(&self) -> String {
        let token = starpunk::random::random_token();
        self.store()
            .create_login_link(&token_hash(&token), Utc::now())
            .await
            .unwrap();
        format!("/auth/link/{token}")
    }

    /// Signs in with a login link and reads the dashboard's CSRF token.
    pub async fn sign_in(&self) -> Signed {
        let link = self.login_link().await;
        let response = self.client.post(self.url(&link)).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let cookie = session_cookie(&response).expect("a session cookie");
        let dashboard = self
            .client
            .get(self.url("/admin"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(dashboard.status(), 200);
        let csrf = csrf_in(&dashboard.text().await.unwrap());
        Signed { cookie, csrf }
    }

    pub async fn owner_get(&self, signed: &Signed, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header(COOKIE, &signed.cookie)
            .send()
            .await
            .unwrap()
    }

    /// Submits an admin form with the session's CSRF token added.
    pub async fn owner_post(
        &self,
        signed: &Signed,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &signed.csrf)];
        form.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .header(COOKIE, &signed.cookie)
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// Submits an admin form as `multipart/form-data`, as a browser does
    /// when the form has a file field: the session's CSRF token first,
    /// then `parts` in order (a part with a file name is a file).
    pub async fn owner_multipart(
        &self,
        signed: &Signed,
        path: &str,
        parts: Vec<FormPart>,
    ) -> reqwest::Response {
        let mut form = Form::new().text("csrf", signed.csrf.clone());
        for part in parts {
            form = match part {
                FormPart::Text(name, value) => form.text(name, value),
                FormPart::File(name, file_name, bytes) => {
                    form.part(name, Part::bytes(bytes).file_name(file_name))
                }
            };
        }
        self.client
            .post(self.url(path))
            .header(COOKIE, &signed.cookie)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}

/// One part of a multipart form.
pub enum FormPart {
    Text(&'static str, String),
    /// Field name, file name, bytes.
    File(&'static str, &'static str, Vec<u8>),
}

/// Text parts from pairs.
pub fn texts(fields: &[(&'static str, &str)]) -> Vec<FormPart> {
    fields
        .iter()
        .map(|(name, value)| FormPart::Text(name, (*value).to_owned()))
        .collect()
}

/// `starpunk_session=…` from a response's `Set-Cookie`, if it sets one.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("starpunk_session=") && !v.starts_with("starpunk_session=;"))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

pub fn set_cookie_header(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The value of the first `name="csrf"` input on a page.
pub fn csrf_in(html: &str) -> String {
    let page = scraper::Html::parse_document(html);
    let input = scraper::Selector::parse(r#"input[name="csrf"]"#).unwrap();
    page.select(&input)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("a CSRF field on the page")
        .to_owned()
}
