//! A small IndieAuth authorization server on a loopback port, with its
//! owner's identity page, for tests of the sign-in client.
//!
//! ```text
//! let fake = FakeIndieAuth::start().await.advertise(Advertise::MetadataHtml);
//! ```
//!
//! Its owner is `http://127.0.0.1:PORT/` ([`FakeIndieAuth::me_url`]). The
//! identity page advertises the server as configured; the authorization
//! endpoint approves every GET at once, as if the owner had clicked
//! "Allow", and redeems a code on POST only with the right PKCE verifier,
//! `client_id` and `redirect_uri`, once.

mod server;

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use url::Url;

use server::{Config, Shared, serve};

/// How the identity page points at the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advertise {
    /// `Link: <metadata>; rel="indieauth-metadata"`
    MetadataLinkHeader,
    /// `<link rel="indieauth-metadata" href="metadata">`
    MetadataHtml,
    /// `Link: <auth>; rel="authorization_endpoint"`
    LegacyLinkHeader,
    /// `<link rel="authorization_endpoint" href="auth">`
    LegacyHtml,
    /// No hint at all: clients fall back to their default service.
    Nothing,
}

/// What the browser is sent back with.
#[derive(Debug, Clone)]
pub struct Callback {
    pub code: String,
    pub state: String,
    pub iss: Option<String>,
}

/// The issuer a misbehaving server claims when told to.
pub const WRONG_ISSUER: &str = "https://impostor.example/";

/// How long an endless page would be if a client read it all.
pub const ENDLESS_PAGE_BYTES: usize = 128 * 1024 * 1024;

pub struct FakeIndieAuth {
    origin: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

impl FakeIndieAuth {
    /// Starts the server on `127.0.0.1:0` in the background of the test's
    /// runtime; it advertises itself through metadata in a `Link` header
    /// until told otherwise.
    pub async fn start() -> FakeIndieAuth {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let port = listener.local_addr().expect("bound address").port();
        let origin = format!("http://127.0.0.1:{port}");
        let shared = Arc::new(Shared::new(origin.clone()));
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(serve))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeIndieAuth {
            origin,
            shared,
            handle,
        }
    }

    pub fn advertise(self, how: Advertise) -> Self {
        self.configure(|c| c.advertise = how)
    }

    /// `/` redirects `hops` times before the identity page, which then
    /// lives at `/home/` with its endpoints beside it; its links are
    /// relative, so they only work resolved against the final URL.
    pub fn redirect_hops(self, hops: usize) -> Self {
        self.configure(|c| c.redirect_hops = hops)
    }

    /// Vouches for this `me` instead of the owner's URL; a path (`/ada/`)
    /// means that path on this server.
    pub fn me_override(self, me: &str) -> Self {
        let me = if me.starts_with('/') {
            self.url(me)
        } else {
            me.to_owned()
        };
        self.configure(|c| c.me_override = Some(me))
    }

    /// Waits this long before answering anything.
    pub fn delay(self, delay: Duration) -> Self {
        self.configure(|c| c.delay = delay)
    }

    /// Refuses every redemption with this OAuth error; `{code}` in the
    /// description becomes the code sent, as a careless server might echo.
    pub fn redeem_error(self, error: &str, description: &str) -> Self {
        let error = (error.to_owned(), description.to_owned());
        self.configure(|c| c.error = Some(error))
    }

    /// Sends [`WRONG_ISSUER`] as `iss` in the callback.
    pub fn wrong_iss(self) -> Self {
        self.configure(|c| c.wrong_iss = true)
    }

    /// Answers a redemption with a 307 to `/forwarded`, which would get the
    /// form again if a client followed it.
    pub fn redeem_redirects(self) -> Self {
        self.configure(|c| c.redeem_redirects = true)
    }

    /// Answers the metadata URL with a 500 error page.
    pub fn broken_metadata(self) -> Self {
        self.configure(|c| c.broken_metadata = true)
    }

    /// Pads the identity page with this many bytes (sent with its length).
    pub fn page_padding(self, bytes: usize) -> Self {
        self.configure(|c| c.page_padding = bytes)
    }

    /// Streams an identity page of [`ENDLESS_PAGE_BYTES`] without saying
    /// its length, counting what it produced.
    pub fn endless_page(self) -> Self {
        self.configure(|c| c.endless_page = true)
    }

    /// Serves one more identity page on this host at `path`, naming this
    /// server the way the owner's page does, or, given `endpoint`, naming
    /// that authorization endpoint instead.
    pub fn profile(self, path: &str, endpoint: Option<&str>) -> Self {
        let (path, endpoint) = (path.to_owned(), endpoint.map(str::to_owned));
        self.configure(|c| {
            c.profiles.insert(path, endpoint);
        })
    }

    fn configure(self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.shared.config());
        self
    }

    /// The owner's profile URL, which `/` of this server is.
    pub fn me_url(&self) -> String {
        format!("{}/", self.origin)
    }

    /// A URL on this server's origin.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    pub fn authorization_endpoint(&self) -> String {
        self.shared.authorization_endpoint(&self.shared.config())
    }

    pub fn metadata_url(&self) -> String {
        self.shared.metadata_url(&self.shared.config())
    }

    pub fn issuer(&self) -> String {
        self.shared.issuer()
    }

    /// Codes redeemed successfully so far.
    pub fn redemptions(&self) -> usize {
        self.shared.redemptions.load(Ordering::SeqCst)
    }

    /// Requests that reached `/forwarded`.
    pub fn forwarded(&self) -> usize {
        self.shared.forwarded.load(Ordering::SeqCst)
    }

    /// Bytes the endless page has produced so far.
    pub fn endless_bytes_sent(&self) -> usize {
        self.shared.endless_bytes_sent.load(Ordering::SeqCst)
    }

    /// Does what a browser does with the authorization URL: follows it to
    /// the endpoint, which approves at once, and reads the redirect back.
    pub async fn approve(&self, authorization_url: &Url) -> Callback {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let response = client
            .get(authorization_url.as_str())
            .send()
            .await
            .expect("authorization request");
        assert_eq!(response.status(), 302, "the endpoint approves at once");
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .expect("a Location");
        let location = Url::parse(location).expect("an absolute Location");
        let query: HashMap<String, String> = location.query_pairs().into_owned().collect();
        Callback {
            code: query.get("code").cloned().expect("a code"),
            state: query.get("state").cloned().expect("the state"),
            iss: query.get("iss").cloned(),
        }
    }
}

impl Drop for FakeIndieAuth {
    fn drop(&mut self) {
        // The stop command is sent at once; waiting for it is not needed.
        drop(self.handle.stop(false));
    }
}
