//! A WebSub hub on a loopback port that records every ping it receives.
//!
//! ```text
//! let hub = FakeHub::start().await;   // answers 204 at once
//! hub.hold();                          // pings wait for release()
//! hub.answer_with(503);                // a hub that is down
//! ```

use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tokio::sync::watch;

/// One `POST` the hub received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    pub content_type: String,
    /// Every form field, in order.
    pub fields: Vec<(String, String)>,
}

impl Ping {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Shared {
    pings: Mutex<Vec<Ping>>,
    answered: AtomicUsize,
    status: AtomicU16,
    held: watch::Sender<bool>,
}

pub struct FakeHub {
    url: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

impl FakeHub {
    /// Starts the hub on `127.0.0.1:0`; it answers `204 No Content`.
    pub async fn start() -> FakeHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let port = listener.local_addr().expect("bound address").port();
        let shared = Arc::new(Shared {
            pings: Mutex::new(Vec::new()),
            answered: AtomicUsize::new(0),
            status: AtomicU16::new(204),
            held: watch::Sender::new(false),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeHub {
            url: format!("http://127.0.0.1:{port}/hub"),
            shared,
            handle,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every ping so far, in the order they arrived.
    pub fn pings(&self) -> Vec<Ping> {
        self.shared.pings.lock().unwrap().clone()
    }

    /// How many pings have been answered.
    pub fn answered(&self) -> usize {
        self.shared.answered.load(Ordering::SeqCst)
    }

    /// Answer with this status from now on.
    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Keeps every ping waiting for an answer until [`FakeHub::release`].
    pub fn hold(&self) {
        self.shared.held.send_replace(true);
    }

    pub fn release(&self) {
        self.shared.held.send_replace(false);
    }
}

async fn receive(shared: web::Data<Shared>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    shared.pings.lock().unwrap().push(Ping {
        content_type,
        fields,
    });
    let mut held = shared.held.subscribe();
    // Only fails when the hub is gone, and then nobody waits for the answer.
    let _ = held.wait_for(|held| !held).await;
    shared.answered.fetch_add(1, Ordering::SeqCst);
    let status = StatusCode::from_u16(shared.status.load(Ordering::SeqCst))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).finish()
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        // The stop command is sent at once; waiting for it is not needed.
        drop(self.handle.stop(false));
    }
}
