//! The pages of the site's own authorization server: the owner approves an
//! app (`/auth/authorize`) and sees the apps that hold tokens (`/admin/apps`).

use askama::Template;
use chrono::{DateTime, Utc};

use super::PageContext;
use crate::domain::Scope;
use crate::store::AccessToken;

/// One requested scope, as a checkbox.
pub struct ScopeChoice {
    pub name: &'static str,
    pub description: &'static str,
    pub checked: bool,
}

impl ScopeChoice {
    pub fn new(scope: Scope, checked: bool) -> ScopeChoice {
        ScopeChoice {
            name: scope.as_str(),
            description: scope.description(),
            checked,
        }
    }
}

/// `GET /auth/authorize`: may this app act for the owner?
#[derive(Template)]
#[template(path = "admin/consent.html")]
pub struct ConsentPage<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    /// The app's name from its page, else its host.
    pub app_name: &'a str,
    pub client_host: String,
    pub client_id: &'a str,
    pub logo: Option<String>,
    pub redirect_uri: &'a str,
    /// The redirect_uri's host, when it is not the client's.
    pub redirect_elsewhere: Option<String>,
    pub state: &'a str,
    pub code_challenge: &'a str,
    /// `code`, or the legacy `id` (sign-in only).
    pub response_type: &'a str,
    pub scopes: Vec<ScopeChoice>,
    /// Asked for, but not scopes of this site.
    pub unavailable: Vec<String>,
    pub me: &'a str,
}

/// One token on `/admin/apps`.
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub client: String,
    pub scopes: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
}

impl TokenRow {
    pub fn new(token: &AccessToken, now: DateTime<Utc>) -> TokenRow {
        let client = url::Url::parse(&token.client_id)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "command line".to_owned());
        TokenRow {
            id: token.id,
            name: token.name.clone(),
            client,
            scopes: token.scopes.to_string(),
            created: human(token.created_at),
            last_used: token.last_used_at.map_or_else(|| "never".to_owned(), human),
            expires: match token.expires_at {
                None => "never".to_owned(),
                Some(at) if at <= now => format!("expired {}", human(at)),
                Some(at) => human(at),
            },
        }
    }
}

fn human(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// `/admin/apps`.
#[derive(Template)]
#[template(path = "admin/apps.html")]
pub struct AppsPage<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    pub flash: Option<&'a str>,
    pub tokens: Vec<TokenRow>,
}
