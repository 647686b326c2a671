//! An app's `client_id` page on a loopback port: whatever body the test
//! gives, as HTML or JSON.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};

pub struct FakeClient {
    pub origin: String,
    handle: ServerHandle,
}

impl FakeClient {
    /// Serves `body` with `content_type` at every path; `{origin}` in the
    /// body becomes the server's own origin.
    pub async fn start(content_type: &'static str, body: &str) -> FakeClient {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let port = listener.local_addr().expect("bound address").port();
        let origin = format!("http://127.0.0.1:{port}");
        let body = body.replace("{origin}", &origin);
        let server = HttpServer::new(move || {
            let body = body.clone();
            App::new().default_service(web::to(move || {
                let body = body.clone();
                async move { HttpResponse::Ok().content_type(content_type).body(body) }
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
        FakeClient { origin, handle }
    }

    pub fn client_id(&self) -> String {
        format!("{}/", self.origin)
    }
}

impl Drop for FakeClient {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}
