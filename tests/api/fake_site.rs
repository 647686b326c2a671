//! Other sites on loopback (127.0.0.2, 127.0.0.3, …): pages served as a
//! test sets them, and every request recorded.
//!
//! ```text
//! let site = FakeSite::start(2).await;             // on 127.0.0.2
//! site.page("/post", Page::html("<a href=…>"));    // 200 text/html
//! site.page("/gone", Page::status(410));
//! site.page("/slow", Page::html("…").held());      // waits for release()
//! site.posts("/webmention")                        // forms received
//! ```

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tokio::sync::watch;

/// What a path answers.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Waits until the site is released.
    pub held: bool,
    /// Answers only the first GET; later ones get 500.
    pub once: bool,
    /// What a POST to it answers (a Webmention endpoint's 202).
    pub post_status: u16,
}

impl Page {
    pub fn html(body: impl Into<String>) -> Page {
        Page {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into().into_bytes(),
            held: false,
            once: false,
            post_status: 202,
        }
    }

    /// A Webmention endpoint answering POSTs with `status`.
    pub fn endpoint(status: u16) -> Page {
        Page {
            post_status: status,
            ..Page::status(405)
        }
    }

    pub fn bytes(content_type: &str, body: Vec<u8>) -> Page {
        Page {
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
            ..Page::html("")
        }
    }

    pub fn status(status: u16) -> Page {
        Page {
            status,
            ..Page::html("")
        }
    }

    pub fn redirect(status: u16, to: &str) -> Page {
        Page::status(status).header("Location", to)
    }

    pub fn header(mut self, name: &str, value: &str) -> Page {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn held(mut self) -> Page {
        self.held = true;
        self
    }

    pub fn once(mut self) -> Page {
        self.once = true;
        self
    }
}

/// One request the site received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Vec<u8>,
}

impl Received {
    /// The body's form fields.
    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }
}

struct Shared {
    pages: Mutex<HashMap<String, Page>>,
    received: Mutex<Vec<Received>>,
    released: watch::Sender<bool>,
}

pub struct FakeSite {
    pub base: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

impl FakeSite {
    /// Starts a site on `127.0.0.{last}`, any port.
    pub async fn start(last: u8) -> FakeSite {
        let listener = TcpListener::bind(("127.0.0.".to_owned() + &last.to_string(), 0))
            .expect("bind a loopback address");
        let addr = listener.local_addr().expect("bound");
        let shared = Arc::new(Shared {
            pages: Mutex::new(HashMap::new()),
            received: Mutex::new(Vec::new()),
            released: watch::Sender::new(false),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .default_service(web::to(answer))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeSite {
            base: format!("http://{addr}"),
            shared,
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What `path` answers from now on.
    pub fn page(&self, path: &str, page: Page) {
        self.shared
            .pages
            .lock()
            .unwrap()
            .insert(path.to_owned(), page);
    }

    /// Lets held pages answer.
    pub fn release(&self) {
        self.shared.released.send_replace(true);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The forms POSTed to `path`.
    pub fn posts(&self, path: &str) -> Vec<HashMap<String, String>> {
        self.received()
            .iter()
            .filter(|r| r.method == "POST" && r.path == path)
            .map(Received::form)
            .collect()
    }

    /// How many GETs asked for `path` (any query).
    pub fn gets(&self, path: &str) -> usize {
        self.received()
            .iter()
            .filter(|r| r.method == "GET" && r.path == path)
            .count()
    }

    /// Every POST, to any path.
    pub fn all_posts(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.method == "POST")
            .collect()
    }
}

impl Drop for FakeSite {
    fn drop(&mut self) {
        self.release();
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

async fn answer(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let path = req.path().to_owned();
    let is_get = req.method() == actix_web::http::Method::GET;
    let earlier_gets = {
        let mut received = shared.received.lock().unwrap();
        let earlier = received
            .iter()
            .filter(|r| r.method == "GET" && r.path == path)
            .count();
        received.push(Received {
            method: req.method().to_string(),
            path: path.clone(),
            query: req.query_string().to_owned(),
            body: body.to_vec(),
        });
        earlier
    };
    let page = shared.pages.lock().unwrap().get(&path).cloned();
    let Some(page) = page else {
        return HttpResponse::NotFound().body("not here");
    };
    if req.method() == actix_web::http::Method::POST {
        let status = StatusCode::from_u16(page.post_status).expect("a valid status");
        return HttpResponse::build(status).body("noted");
    }
    if is_get && page.once && earlier_gets > 0 {
        return HttpResponse::InternalServerError().body("asked twice");
    }
    if page.held {
        let mut released = shared.released.subscribe();
        let _ = released.wait_for(|r| *r).await;
    }
    let mut response =
        HttpResponse::build(StatusCode::from_u16(page.status).expect("a valid status"));
    for (name, value) in &page.headers {
        response.append_header((name.as_str(), value.as_str()));
    }
    response.body(page.body)
}
