//! A fediverse server on a loopback address that signs and verifies as
//! Mastodon does, with its own code (the `rsa` crate, not the site's):
//! actors with keys at `/users/{name}`, each with an inbox, and a shared
//! inbox at `/inbox`. Every delivery is recorded with whether its HTTP
//! Signature verified against the key the site publishes.
//!
//! ```text
//! let server = FakeServer::start(2).await;     // on 127.0.0.2
//! server.add_actor("alice", ALICE);
//! server.post(&app.url("/activitypub/inbox"), &activity, Sign::as_actor("alice")).await;
//! server.answer_with(503);                       // an inbox that is down
//! server.hold();                                 // inbox requests wait for release()
//! ```

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};

use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use tokio::sync::watch;

mod signing;

pub use signing::Sign;
use signing::verify;

pub const ALICE: &str = include_str!("../../keys/alice.pem");
pub const ALICE_ROTATED: &str = include_str!("../../keys/alice-rotated.pem");
pub const BOB: &str = include_str!("../../keys/bob.pem");

/// One request the server's inboxes received.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `/inbox` or `/users/{name}/inbox`.
    pub path: String,
    pub activity: Value,
    /// The key that signed it, or why it did not verify.
    pub verified: Result<String, String>,
}

struct FakeActor {
    key: RsaPrivateKey,
    name: String,
}

struct Shared {
    base: String,
    actors: Mutex<HashMap<String, FakeActor>>,
    deliveries: Mutex<Vec<Delivery>>,
    status: AtomicU16,
    /// Sent with every inbox answer, when set.
    retry_after: Mutex<Option<String>>,
    /// Actor documents only for signed GETs (Mastodon's secure mode).
    authorized_fetch: AtomicBool,
    /// GETs of actor documents, signed or not.
    actor_fetches: AtomicUsize,
    held: watch::Sender<bool>,
    /// Inbox requests that arrived, answered or not.
    arrived: AtomicUsize,
    client: reqwest::Client,
}

pub struct FakeServer {
    /// `http://127.0.0.N:port`.
    pub base: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

impl FakeServer {
    /// Starts a server on `127.0.0.{last}` (any free port); its inboxes
    /// answer `202 Accepted`.
    pub async fn start(last: u8) -> FakeServer {
        let listener = TcpListener::bind(("127.0.0.".to_owned() + &last.to_string(), 0))
            .expect("bind a loopback address");
        let address = listener.local_addr().expect("bound address");
        let base = format!("http://{address}");
        let shared = Arc::new(Shared {
            base: base.clone(),
            actors: Mutex::new(HashMap::new()),
            deliveries: Mutex::new(Vec::new()),
            status: AtomicU16::new(202),
            retry_after: Mutex::new(None),
            authorized_fetch: AtomicBool::new(false),
            actor_fetches: AtomicUsize::new(0),
            held: watch::Sender::new(false),
            arrived: AtomicUsize::new(0),
            client: reqwest::Client::new(),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
                .route("/users/{name}", web::get().to(actor))
                .route("/users/{name}/inbox", web::post().to(inbox))
                .route("/inbox", web::post().to(inbox))
                .route("/avatar.png", web::get().to(avatar))
        })
        .workers(2)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeServer {
            base,
            shared,
            handle,
        }
    }

    /// An actor `name` with the key in `pem` (PKCS#8).
    pub fn add_actor(&self, name: &str, pem: &str) {
        let key = RsaPrivateKey::from_pkcs8_pem(pem).expect("a test key");
        self.shared.actors.lock().unwrap().insert(
            name.to_owned(),
            FakeActor {
                key,
                name: name.to_owned(),
            },
        );
    }

    pub fn actor_id(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    pub fn key_id(&self, name: &str) -> String {
        format!("{}#main-key", self.actor_id(name))
    }

    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Inbox answers carry `Retry-After: value` (as a rate limit's do).
    pub fn retry_after(&self, value: &str) {
        *self.shared.retry_after.lock().unwrap() = Some(value.to_owned());
    }

    pub fn require_signed_fetches(&self) {
        self.shared.authorized_fetch.store(true, Ordering::SeqCst);
    }

    pub fn actor_fetches(&self) -> usize {
        self.shared.actor_fetches.load(Ordering::SeqCst)
    }

    /// Inbox requests wait (unanswered) until [`FakeServer::release`].
    pub fn hold(&self) {
        self.shared.held.send_replace(true);
    }

    pub fn release(&self) {
        self.shared.held.send_replace(false);
    }

    /// Inbox requests that arrived, answered or still held.
    pub fn arrived(&self) -> usize {
        self.shared.arrived.load(Ordering::SeqCst)
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.deliveries.lock().unwrap().clone()
    }

    /// The deliveries of activities of `kind` (`Accept`, `Create`, …).
    pub fn received(&self, kind: &str) -> Vec<Delivery> {
        self.deliveries()
            .into_iter()
            .filter(|d| d.activity["type"] == kind)
            .collect()
    }

    /// Waits until `count` activities of `kind` arrived; returns them.
    pub async fn wait_for(&self, kind: &str, count: usize) -> Vec<Delivery> {
        crate::helpers::eventually(std::time::Duration::from_secs(20), || async {
            self.received(kind).len() >= count
        })
        .await;
        self.received(kind)
    }

    /// An activity of `actor` with a fresh id on this server.
    pub fn activity(&self, actor: &str, kind: &str, object: Value) -> Value {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/{n}", self.base),
            "type": kind,
            "actor": self.actor_id(actor),
            "object": object,
        })
    }

    /// A public reply by `actor` to `in_reply_to`, as Mastodon writes one.
    pub fn reply(&self, actor: &str, id: &str, in_reply_to: &str, html: &str) -> Value {
        json!({
            "id": format!("{}/users/{actor}/statuses/{id}", self.base),
            "type": "Note",
            "attributedTo": self.actor_id(actor),
            "inReplyTo": in_reply_to,
            "content": html,
            "url": format!("{}/@{actor}/{id}", self.base),
            "published": "2026-12-01T10:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [format!("{}/users/{actor}/followers", self.base)],
        })
    }

    /// WebFinger, then the actor, as Mastodon finds an account: the actor's
    /// id from `acct:{handle}`, checked to name the same account again.
    pub async fn look_up(&self, site: &str, handle: &str) -> Value {
        let finger: Value = self
            .shared
            .client
            .get(format!("{site}/.well-known/webfinger"))
            .query(&[("resource", format!("acct:{handle}"))])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let links = finger["links"].as_array().unwrap();
        let actor_url = links
            .iter()
            .find(|l| l["rel"] == "self" && l["type"] == "application/activity+json")
            .and_then(|l| l["href"].as_str())
            .expect("a self link")
            .to_owned();
        let actor: Value = self
            .shared
            .client
            .get(&actor_url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(actor["id"], actor_url);
        let again = format!(
            "{}@{}",
            actor["preferredUsername"].as_str().unwrap(),
            url::Url::parse(&actor_url)
                .map(|u| {
                    let host = u.host_str().unwrap().to_owned();
                    u.port().map_or(host.clone(), |p| format!("{host}:{p}"))
                })
                .unwrap()
        );
        assert_eq!(again, handle, "the handle round-trips");
        actor
    }
}

async fn actor(
    shared: web::Data<Shared>,
    req: HttpRequest,
    name: web::Path<String>,
) -> HttpResponse {
    shared.actor_fetches.fetch_add(1, Ordering::SeqCst);
    if shared.authorized_fetch.load(Ordering::SeqCst)
        && let Err(why) = verify(&shared, &req, b"").await
    {
        return HttpResponse::Unauthorized().body(why);
    }
    let actors = shared.actors.lock().unwrap();
    let Some(actor) = actors.get(name.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let id = format!("{}/users/{}", shared.base, actor.name);
    let public = RsaPublicKey::from(&actor.key)
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let document = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": actor.name,
        "name": format!("{} of the fake server", actor.name),
        "inbox": format!("{id}/inbox"),
        "endpoints": {"sharedInbox": format!("{}/inbox", shared.base)},
        "url": format!("{}/@{}", shared.base, actor.name),
        "icon": {"type": "Image", "mediaType": "image/png", "url": format!("{}/avatar.png", shared.base)},
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": public},
    });
    HttpResponse::Ok()
        .content_type("application/activity+json")
        .body(document.to_string())
}

async fn inbox(shared: web::Data<Shared>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    shared.arrived.fetch_add(1, Ordering::SeqCst);
    let mut held = shared.held.subscribe();
    let _ = held.wait_for(|held| !held).await;
    let verified = verify(&shared, &req, &body).await;
    let activity: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // Mastodon refuses an activity signed by anyone but its actor.
    let verified = verified.and_then(|key| {
        let owner = key.split('#').next().unwrap_or_default();
        if activity["actor"] == owner {
            Ok(key)
        } else {
            Err(format!(
                "signed by {key}, not by the actor {}",
                activity["actor"]
            ))
        }
    });
    shared.deliveries.lock().unwrap().push(Delivery {
        path: req.path().to_owned(),
        activity,
        verified,
    });
    let status = shared.status.load(Ordering::SeqCst);
    let mut answer = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
    if let Some(value) = shared.retry_after.lock().unwrap().clone() {
        answer.insert_header(("retry-after", value));
    }
    answer.finish()
}

/// A tiny PNG, the actors' picture.
async fn avatar() -> HttpResponse {
    let mut png = Vec::new();
    image::RgbImage::from_pixel(4, 4, image::Rgb([200, 30, 30]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    HttpResponse::Ok().content_type("image/png").body(png)
}
