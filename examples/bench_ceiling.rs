//! The benchmark's "ceiling": the least work actix-web can do to answer the
//! same URLs as StarPunk, with every body already in memory.
//!
//! It serves files captured from the real site (see `bench/bench.py`):
//!
//! - `GET /feed.xml`: the feed, with a weak ETag (`W/"…"`, made like the
//!   site's) and `304 Not Modified` when `If-None-Match` names it;
//! - `GET /`: the home page;
//! - `GET /note/{slug}`: one note page, whatever the slug;
//! - `GET /health`: a small fixed JSON body (or the file given);
//! - `GET /feed.atom`, `/feed.json`, `/sitemap.xml`: the files given, if any.
//!
//! With `--precompressed`, each file's `FILE.br` and `FILE.gz`, where they
//! exist, are served instead to a request whose `Accept-Encoding` names
//! `br` or `gzip` (Brotli first), with `Content-Encoding` and `Vary`.
//!
//! No database, no cache lookups, no middleware, no logging: whatever the
//! site spends beyond this is the cost of its own request path.
//!
//! ```text
//! cargo build --release --example bench_ceiling
//! target/release/examples/bench_ceiling --port 8081 --feed feed.xml \
//!     --home home.html --note note.html [--health health.json] [--workers 2] \
//!     [--atom feed.atom] [--json feed.json] [--sitemap sitemap.xml] [--precompressed]
//! ```
//!
//! Without `--port` it serves on the socket passed by systemd-style socket
//! activation (`LISTEN_FDS`), as the site itself can: the benchmark binds
//! the port and hands the socket over, so no other program can take the
//! port between the choice and the start.

use std::process::ExitCode;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use sha2::{Digest, Sha256};

const DEFAULT_HEALTH: &str = r#"{"status":"healthy"}"#;

struct Bodies {
    feed: Forms,
    feed_etag: HeaderValue,
    home: Forms,
    note: Forms,
    health: Bytes,
}

/// A body and, with `--precompressed`, its Brotli and gzip forms.
#[derive(Clone)]
struct Forms {
    identity: Bytes,
    br: Option<Bytes>,
    gz: Option<Bytes>,
}

impl Forms {
    fn respond(&self, req: &HttpRequest, content_type: &'static str) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        response.insert_header((header::CONTENT_TYPE, content_type));
        if self.br.is_none() && self.gz.is_none() {
            return response.body(self.identity.clone());
        }
        response.insert_header((header::VARY, "Accept-Encoding"));
        let accepts = req
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for (name, form) in [("br", &self.br), ("gzip", &self.gz)] {
            if let Some(body) = form.as_ref().filter(|_| accepts.contains(name)) {
                response.insert_header((header::CONTENT_ENCODING, name));
                return response.body(body.clone());
            }
        }
        response.body(self.identity.clone())
    }
}

/// The documents beyond the feed, pages and health: path, type, file.
const EXTRAS: [(&str, &str, &str); 3] = [
    (
        "/feed.atom",
        "application/atom+xml; charset=utf-8",
        "--atom",
    ),
    (
        "/feed.json",
        "application/feed+json; charset=utf-8",
        "--json",
    ),
    (
        "/sitemap.xml",
        "application/xml; charset=utf-8",
        "--sitemap",
    ),
];

/// One of [`EXTRAS`], loaded.
#[derive(Clone)]
struct Extra {
    content_type: &'static str,
    body: Forms,
}

struct Options {
    port: Option<u16>,
    workers: usize,
    feed: String,
    home: String,
    note: String,
    health: Option<String>,
    /// Flag of [`EXTRAS`] and the file given for it.
    extras: Vec<(String, String)>,
    precompressed: bool,
}

fn usage() -> String {
    "usage: bench_ceiling [--port PORT] --feed FILE --home FILE --note FILE \
     [--health FILE] [--workers N] [--host ADDR] [--atom FILE] [--json FILE] [--sitemap FILE] [--precompressed]\n\
     without --port, the socket passed in LISTEN_FDS is used"
        .to_owned()
}

fn parse_args() -> Result<(Options, String), String> {
    let mut port = None;
    let mut workers = 2;
    let mut host = "127.0.0.1".to_owned();
    let (mut feed, mut home, mut note, mut health) = (None, None, None, None);
    let mut extras = Vec::new();
    let mut precompressed = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(usage());
        }
        if flag == "--precompressed" {
            precompressed = true;
            continue;
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{}", usage()))?;
        match flag.as_str() {
            "--port" => port = Some(value.parse().map_err(|_| format!("bad port {value:?}"))?),
            "--workers" => {
                workers = value
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n >= 1)
                    .ok_or_else(|| format!("bad worker count {value:?}"))?;
            }
            "--host" => host = value,
            "--feed" => feed = Some(value),
            "--home" => home = Some(value),
            "--note" => note = Some(value),
            "--health" => health = Some(value),
            flag if EXTRAS.iter().any(|(_, _, f)| *f == flag) => {
                extras.push((flag.to_owned(), value));
            }
            other => return Err(format!("unknown option {other}\n{}", usage())),
        }
    }
    let missing = |name: &str| format!("{name} is required\n{}", usage());
    Ok((
        Options {
            port,
            workers,
            feed: feed.ok_or_else(|| missing("--feed"))?,
            home: home.ok_or_else(|| missing("--home"))?,
            note: note.ok_or_else(|| missing("--note"))?,
            health,
            extras,
            precompressed,
        },
        host,
    ))
}

fn read(path: &str) -> Result<Bytes, String> {
    std::fs::read(path)
        .map(Bytes::from)
        .map_err(|e| format!("cannot read {path}: {e}"))
}

/// The extra documents given, with the path each is served at.
fn forms(path: &str, precompressed: bool) -> Result<Forms, String> {
    let optional = |suffix: &str| {
        let file = format!("{path}{suffix}");
        (precompressed && std::path::Path::new(&file).exists())
            .then(|| read(&file))
            .transpose()
    };
    Ok(Forms {
        identity: read(path)?,
        br: optional(".br")?,
        gz: optional(".gz")?,
    })
}

fn load_extras(options: &Options) -> Result<Vec<(&'static str, Extra)>, String> {
    options
        .extras
        .iter()
        .map(|(flag, file)| {
            let (path, content_type, _) = EXTRAS
                .iter()
                .find(|(_, _, f)| f == flag)
                .expect("parse_args keeps only known flags");
            Ok((
                *path,
                Extra {
                    content_type,
                    body: forms(file, options.precompressed)?,
                },
            ))
        })
        .collect()
}

fn load(options: &Options) -> Result<Bodies, String> {
    let feed = forms(&options.feed, options.precompressed)?;
    let hex: String = Sha256::digest(&feed.identity)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    let feed_etag = HeaderValue::from_str(&format!("W/\"{hex}\"")).expect("hex is a header value");
    let health = match &options.health {
        Some(path) => read(path)?,
        None => Bytes::from_static(DEFAULT_HEALTH.as_bytes()),
    };
    Ok(Bodies {
        feed,
        feed_etag,
        home: forms(&options.home, options.precompressed)?,
        note: forms(&options.note, options.precompressed)?,
        health,
    })
}

/// Whether `If-None-Match` names the tag (weak comparison, `*`, lists).
fn matches(req: &HttpRequest, etag: &HeaderValue) -> bool {
    let Some(value) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let tag = etag.to_str().unwrap_or("");
    let opaque = tag.strip_prefix("W/").unwrap_or(tag);
    value
        .split(',')
        .map(str::trim)
        .any(|c| c == "*" || c.strip_prefix("W/").unwrap_or(c) == opaque)
}

async fn feed(bodies: web::Data<Bodies>, req: HttpRequest) -> HttpResponse {
    if matches(&req, &bodies.feed_etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, bodies.feed_etag.clone()))
            .finish();
    }
    let mut response = bodies
        .feed
        .respond(&req, "application/rss+xml; charset=utf-8");
    response
        .headers_mut()
        .insert(header::ETAG, bodies.feed_etag.clone());
    response
}

async fn home(bodies: web::Data<Bodies>, req: HttpRequest) -> HttpResponse {
    bodies.home.respond(&req, "text/html; charset=utf-8")
}

async fn note(bodies: web::Data<Bodies>, req: HttpRequest) -> HttpResponse {
    bodies.note.respond(&req, "text/html; charset=utf-8")
}

async fn extra(extra: Extra, req: HttpRequest) -> HttpResponse {
    extra.body.respond(&req, extra.content_type)
}

async fn health(bodies: web::Data<Bodies>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bodies.health.clone())
}

/// The first socket passed in `LISTEN_FDS` (and `LISTEN_PID`, if set).
fn inherited_listener() -> std::io::Result<std::net::TcpListener> {
    listenfd::ListenFd::from_env()
        .take_tcp_listener(0)?
        .ok_or_else(|| std::io::Error::other("no --port and no socket passed in LISTEN_FDS"))
}

fn main() -> ExitCode {
    let (options, host) = match parse_args() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("bench_ceiling: {message}");
            return ExitCode::from(2);
        }
    };
    let (bodies, extras) = match load(&options).and_then(|b| Ok((b, load_extras(&options)?))) {
        Ok((bodies, extras)) => (web::Data::new(bodies), extras),
        Err(message) => {
            eprintln!("bench_ceiling: {message}");
            return ExitCode::from(1);
        }
    };
    let listener = match options.port {
        Some(port) => std::net::TcpListener::bind((host.as_str(), port)),
        None => inherited_listener(),
    };
    let listener = match listener {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("bench_ceiling: {e}");
            return ExitCode::from(1);
        }
    };
    let workers = options.workers;
    let result = actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            let mut app = App::new()
                .app_data(bodies.clone())
                .route("/", web::get().to(home))
                .route("/note/{slug}", web::get().to(note))
                .route("/feed.xml", web::get().to(feed))
                .route("/health", web::get().to(health));
            for (path, document) in &extras {
                let document = document.clone();
                app = app.route(
                    path,
                    web::get().to(move |req: HttpRequest| extra(document.clone(), req)),
                );
            }
            app
        })
        .workers(workers)
        .listen(listener)?
        .run()
        .await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_ceiling: {e}");
            ExitCode::from(1)
        }
    }
}
