//! An app's `client_id` page on a loopback port: whatever body the test
//! gives, as HTML or JSON, or a redirect elsewhere. It counts the requests
//! it gets, so a test can tell that a page was never fetched.

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};

pub struct FakeClient {
    pub origin: String,
    hits: Arc<AtomicUsize>,
    handle: ServerHandle,
}

#[derive(Clone)]
enum Answer {
    Page {
        content_type: &'static str,
        body: String,
    },
    RedirectTo(String),
}

impl FakeClient {
    /// Serves `body` with `content_type` at every path on 127.0.0.1;
    /// `{origin}` in the body becomes the server's own origin.
    pub async fn start(content_type: &'static str, body: &str) -> FakeClient {
        FakeClient::serve(Ipv4Addr::LOCALHOST.into(), |origin| Answer::Page {
            content_type,
            body: body.replace("{origin}", origin),
        })
    }

    /// Answers every request on `ip` with a 302 to `target`.
    pub async fn redirecting(ip: IpAddr, target: &str) -> FakeClient {
        FakeClient::serve(ip, |_| Answer::RedirectTo(target.to_owned()))
    }

    fn serve(ip: IpAddr, answer: impl FnOnce(&str) -> Answer) -> FakeClient {
        let listener = TcpListener::bind((ip, 0)).expect("bind port 0");
        let port = listener.local_addr().expect("bound address").port();
        let origin = format!("http://{ip}:{port}");
        let answer = answer(&origin);
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let server = HttpServer::new(move || {
            let answer = answer.clone();
            let hits = counted.clone();
            App::new().default_service(web::to(move || {
                hits.fetch_add(1, Ordering::SeqCst);
                let response = match &answer {
                    Answer::Page { content_type, body } => HttpResponse::Ok()
                        .content_type(*content_type)
                        .body(body.clone()),
                    Answer::RedirectTo(target) => HttpResponse::Found()
                        .insert_header(("location", target.as_str()))
                        .finish(),
                };
                async move { response }
            }))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeClient {
            origin,
            hits,
            handle,
        }
    }

    pub fn client_id(&self) -> String {
        format!("{}/", self.origin)
    }

    pub fn port(&self) -> u16 {
        let port = self.origin.rsplit(':').next().expect("origin has a port");
        port.parse().expect("a port number")
    }

    /// How many requests it has answered so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for FakeClient {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}
