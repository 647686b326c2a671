//! The fake server's side: its state, and the pages and endpoints it
//! serves.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use url::Url;

use super::{Advertise, ENDLESS_PAGE_BYTES, WRONG_ISSUER};

pub(super) struct Shared {
    origin: String,
    config: Mutex<Config>,
    grants: Mutex<HashMap<String, Grant>>,
    pub(super) redemptions: AtomicUsize,
    pub(super) forwarded: AtomicUsize,
    pub(super) endless_bytes_sent: Arc<AtomicUsize>,
}

/// What a test asked for; see the builder methods of `FakeIndieAuth`.
#[derive(Clone)]
pub(super) struct Config {
    pub advertise: Advertise,
    pub redirect_hops: usize,
    pub me_override: Option<String>,
    pub delay: Duration,
    pub error: Option<(String, String)>,
    pub wrong_iss: bool,
    pub redeem_redirects: bool,
    pub broken_metadata: bool,
    pub page_padding: usize,
    pub endless_page: bool,
    /// More identity pages on this host: path, and the authorization
    /// endpoint they name if not this server's.
    pub profiles: HashMap<String, Option<String>>,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
}

impl Shared {
    pub(super) fn new(origin: String) -> Shared {
        Shared {
            origin,
            config: Mutex::new(Config {
                advertise: Advertise::MetadataLinkHeader,
                redirect_hops: 0,
                me_override: None,
                delay: Duration::ZERO,
                error: None,
                wrong_iss: false,
                redeem_redirects: false,
                broken_metadata: false,
                page_padding: 0,
                endless_page: false,
                profiles: HashMap::new(),
            }),
            grants: Mutex::new(HashMap::new()),
            redemptions: AtomicUsize::new(0),
            forwarded: AtomicUsize::new(0),
            endless_bytes_sent: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub(super) fn config(&self) -> MutexGuard<'_, Config> {
        self.config.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn page_dir(config: &Config) -> &'static str {
        if config.redirect_hops == 0 {
            "/"
        } else {
            "/home/"
        }
    }

    pub(super) fn authorization_endpoint(&self, config: &Config) -> String {
        format!("{}{}auth", self.origin, Self::page_dir(config))
    }

    pub(super) fn metadata_url(&self, config: &Config) -> String {
        format!("{}{}metadata", self.origin, Self::page_dir(config))
    }

    pub(super) fn issuer(&self) -> String {
        format!("{}/", self.origin)
    }
}

pub(super) async fn serve(
    request: HttpRequest,
    body: Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let config = shared.config().clone();
    if !config.delay.is_zero() {
        tokio::time::sleep(config.delay).await;
    }
    let path = request.path();
    let page_dir = Shared::page_dir(&config);
    if let Some(location) = redirect_from(path, config.redirect_hops) {
        return HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .finish();
    }
    if path == page_dir {
        return owner_page(&shared, &config);
    }
    if let Some(endpoint) = config.profiles.get(path) {
        return match endpoint {
            Some(other) => identity_page(Advertise::LegacyLinkHeader, "", other, ""),
            None => identity_page(
                config.advertise,
                &shared.metadata_url(&config),
                &shared.authorization_endpoint(&config),
                "",
            ),
        };
    }
    if path == format!("{page_dir}metadata") {
        if config.broken_metadata {
            return HttpResponse::InternalServerError().body("<h1>Oops</h1>");
        }
        return HttpResponse::Ok().json(serde_json::json!({
            "issuer": shared.issuer(),
            "authorization_endpoint": shared.authorization_endpoint(&config),
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
        }));
    }
    if path == format!("{page_dir}auth") {
        let query = pairs(request.query_string().as_bytes());
        return match request.method().as_str() {
            "GET" => approve(&shared, &config, &query),
            "POST" => redeem(&shared, &config, &request, &pairs(&body)),
            _ => HttpResponse::MethodNotAllowed().finish(),
        };
    }
    if path == "/forwarded" {
        shared.forwarded.fetch_add(1, Ordering::SeqCst);
    }
    HttpResponse::NotFound().body("not found")
}

/// Hop `i` (1-based) leaves `/` or `/hop/i` for the next hop or `/home/`.
fn redirect_from(path: &str, hops: usize) -> Option<String> {
    let hop = if path == "/" {
        1
    } else {
        path.strip_prefix("/hop/")?.parse::<usize>().ok()?
    };
    (hops > 0 && hop <= hops).then(|| {
        if hop == hops {
            "/home/".to_owned()
        } else {
            format!("/hop/{}", hop + 1)
        }
    })
}

fn owner_page(shared: &Shared, config: &Config) -> HttpResponse {
    if config.endless_page {
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(Endless {
                left: ENDLESS_PAGE_BYTES,
                sent: shared.endless_bytes_sent.clone(),
            });
    }
    let padding = format!("<!-- {} -->", "x".repeat(config.page_padding));
    identity_page(config.advertise, "metadata", "auth", &padding)
}

/// An h-card page advertising the server as `how` says, with links to
/// `metadata` or, the older way, to the endpoint `auth`.
fn identity_page(how: Advertise, metadata: &str, auth: &str, padding: &str) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type("text/html; charset=utf-8");
    // Other links come first, as on real sites, so the right one must be
    // picked out of several.
    response.append_header((
        header::LINK,
        "<https://webmention.example/>; rel=\"webmention\"",
    ));
    let mut head = String::new();
    match how {
        Advertise::MetadataLinkHeader => {
            response.append_header((
                header::LINK,
                format!(
                    "<https://example.com/>; rel=\"me\", <{metadata}>; rel=\"indieauth-metadata\""
                ),
            ));
        }
        Advertise::LegacyLinkHeader => {
            response.append_header((
                header::LINK,
                format!("<{auth}>; rel=\"authorization_endpoint\""),
            ));
        }
        Advertise::MetadataHtml => {
            head = format!(r#"<link rel="indieauth-metadata" href="{metadata}">"#);
        }
        Advertise::LegacyHtml => {
            head = format!(r#"<link rel="authorization_endpoint" href="{auth}">"#);
        }
        Advertise::Nothing => {}
    }
    response.body(format!(
        r#"<!doctype html><html><head><title>Ada</title>
<link rel="stylesheet" href="/style.css">{head}</head>
<body><a rel="indieauth-metadata authorization_endpoint" href="/decoy">not a link element</a>
<div class="h-card"><a class="p-name u-url" href="/">Ada</a></div>{padding}</body></html>"#
    ))
}

/// The GET a browser makes: checks the request as a server must, then
/// approves at once.
fn approve(shared: &Shared, config: &Config, query: &HashMap<String, String>) -> HttpResponse {
    let required = ["client_id", "redirect_uri", "state", "code_challenge", "me"];
    if query.get("response_type").map(String::as_str) != Some("code")
        || query.get("code_challenge_method").map(String::as_str) != Some("S256")
        || required.iter().any(|name| !query.contains_key(*name))
    {
        return HttpResponse::BadRequest().body("invalid authorization request");
    }
    let code = starpunk::random::random_token();
    shared
        .grants
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            code.clone(),
            Grant {
                client_id: query["client_id"].clone(),
                redirect_uri: query["redirect_uri"].clone(),
                challenge: query["code_challenge"].clone(),
            },
        );
    let Ok(mut location) = Url::parse(&query["redirect_uri"]) else {
        return HttpResponse::BadRequest().body("redirect_uri is not a URL");
    };
    let iss = if config.wrong_iss {
        WRONG_ISSUER.to_owned()
    } else {
        shared.issuer()
    };
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &query["state"])
        .append_pair("iss", &iss);
    HttpResponse::Found()
        .insert_header((header::LOCATION, location.as_str()))
        .finish()
}

/// The POST that redeems a code for the profile URL (§5.3.2).
fn redeem(
    shared: &Shared,
    config: &Config,
    request: &HttpRequest,
    form: &HashMap<String, String>,
) -> HttpResponse {
    let oauth_error = |error: &str, description: &str| {
        HttpResponse::BadRequest().json(serde_json::json!({
            "error": error,
            "error_description": description,
        }))
    };
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if config.redeem_redirects {
        return HttpResponse::TemporaryRedirect()
            .insert_header((header::LOCATION, "/forwarded"))
            .finish();
    }
    if let Some((error, description)) = &config.error {
        return oauth_error(error, &description.replace("{code}", field("code")));
    }
    let accepts_json = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("application/json"));
    if !accepts_json {
        return oauth_error("invalid_request", "Accept: application/json is required");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error(
            "unsupported_grant_type",
            "grant_type must be authorization_code",
        );
    }
    // Single use: a code is gone after its first redemption, right or wrong.
    let grant = shared
        .grants
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(field("code"));
    let Some(grant) = grant else {
        return oauth_error("invalid_grant", "unknown or used code");
    };
    if grant.client_id != field("client_id") || grant.redirect_uri != field("redirect_uri") {
        return oauth_error("invalid_grant", "client_id or redirect_uri does not match");
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if challenge != grant.challenge {
        return oauth_error(
            "invalid_grant",
            "code_verifier does not match the challenge",
        );
    }
    shared.redemptions.fetch_add(1, Ordering::SeqCst);
    let me = config
        .me_override
        .clone()
        .unwrap_or_else(|| shared.issuer());
    HttpResponse::Ok().json(serde_json::json!({ "me": me }))
}

fn pairs(encoded: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(encoded).into_owned().collect()
}

/// A body of `left` bytes made as it is read, so it costs nothing unless a
/// client keeps reading; `sent` counts what was made.
struct Endless {
    left: usize,
    sent: Arc<AtomicUsize>,
}

impl MessageBody for Endless {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        const CHUNK: usize = 16 * 1024;
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let size = self.left.min(CHUNK);
        self.left -= size;
        self.sent.fetch_add(size, Ordering::SeqCst);
        Poll::Ready(Some(Ok(Bytes::from(vec![b'x'; size]))))
    }
}
