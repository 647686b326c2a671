//! Thousands of generated requests, mutated from good ones with a fixed
//! seed (so a failure can be replayed): each gets a well-formed answer with
//! a status it may have, never a 5xx, and the server keeps answering.

use serde_json::Value;
use tokio::task::JoinSet;

use crate::helpers::spawn_app;
use crate::hostile_http::{exchange, socket_address, statuses};

const SEED: u64 = 0x5EED_57A2_9A4C;
const REQUESTS: usize = 4000;
const CONCURRENT: usize = 8;

/// What the corpus may be answered: 100 to `Expect: 100-continue`; 200 or
/// 304 to a request that survived its mutations; 400 to anything malformed;
/// 404 and 405 to targets and methods no route takes; 413 to a body where
/// none belongs.
const ALLOWED: &[u16] = &[100, 200, 304, 400, 404, 405, 413];

/// SplitMix64: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH", "get", "G\0T",
    "BREW", "",
];
const TARGETS: &[&str] = &[
    "/",
    "/feed.xml",
    "/health",
    "/static/style.css",
    "/note/a-note",
    "/?page=2",
    "/?page=-9223372036854775808",
    "/?page=18446744073709551616",
    "/?page=%00",
    "/?page",
    "/note/..%2F..%2Fetc%2Fpasswd",
    "/note/%2e%2e/%2e%2e/",
    "//feed.xml",
    "/note/%",
    "/note/%C0%AF",
    "*",
    "http://x/",
    "/%ZZ?%ZZ=%ZZ",
    "/note/a;b",
    "/note/a#frag",
];
const VERSIONS: &[&str] = &[
    "HTTP/1.1", "HTTP/1.0", "HTTP/0.9", "HTTP/2", "HTTP/1.2", "http/1.1", "HTTP/", "",
];
const HEADERS: &[&str] = &[
    "Host: x",
    "Host:",
    "Connection: close",
    "Connection: keep-alive, Upgrade",
    "Upgrade: websocket",
    "Content-Length: 0",
    "Content-Length: 10",
    "Content-Length: -5",
    "Content-Length: 18446744073709551616",
    "Content-Length: 1, 2",
    "Transfer-Encoding: chunked",
    "Transfer-Encoding: gzip, chunked",
    "Transfer-Encoding: identity",
    "Expect: 100-continue",
    "If-None-Match: \"a,b\", W/\"c\"",
    "If-None-Match: *",
    "If-None-Match: \"",
    "If-Modified-Since: Mon, 99 Nov 2026 99:99:99 GMT",
    "If-Modified-Since: 0",
    "Range: bytes=0-0,-1",
    "Accept-Encoding: gzip, br, zstd",
    "Cookie: a=b; c",
    "X-Forwarded-For: 999.1.1.1",
    ": no name",
    "X\tTab: y",
];
const BODIES: &[&str] = &[
    "",
    "hello",
    "0\r\n\r\n",
    "5\r\nhello\r\n0\r\n\r\n",
    "zz\r\n",
    "\0\0\0",
];
const NASTY_BYTES: &[u8] = b"\0\r\n \t:%/?#\"\\\x7f\x80\xff\xfe,;=";

/// A plausible request, built from parts.
fn base_request(rng: &mut Rng) -> Vec<u8> {
    let mut request = format!(
        "{} {} {}\r\n",
        rng.pick(METHODS),
        rng.pick(TARGETS),
        rng.pick(VERSIONS)
    )
    .into_bytes();
    for _ in 0..rng.below(5) {
        request.extend_from_slice(rng.pick(HEADERS).as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(rng.pick(BODIES).as_bytes());
    request
}

/// Flips, inserts, deletes, repeats or cuts bytes.
fn mutate(rng: &mut Rng, request: &mut Vec<u8>) {
    if request.is_empty() {
        request.push(*rng.pick(NASTY_BYTES));
        return;
    }
    let at = rng.below(request.len());
    match rng.below(6) {
        0 => request[at] ^= 1 << rng.below(8),
        1 => request.insert(at, *rng.pick(NASTY_BYTES)),
        2 => {
            let end = (at + 1 + rng.below(8)).min(request.len());
            request.drain(at..end);
        }
        3 => {
            let end = (at + 1 + rng.below(16)).min(request.len());
            let chunk = request[at..end].to_vec();
            for _ in 0..1 + rng.below(64) {
                request.splice(at..at, chunk.iter().copied());
            }
        }
        4 => request.truncate(at),
        _ => request[at] = (rng.next() & 0xff) as u8,
    }
}

fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut request = base_request(rng);
    for _ in 0..rng.below(4) {
        mutate(rng, &mut request);
    }
    // Now and then, several requests on one connection.
    if rng.below(8) == 0 {
        let second = base_request(rng);
        request.extend_from_slice(&second);
    }
    request
}

#[tokio::test]
async fn mutated_requests_get_well_formed_answers_and_the_server_stays_healthy() {
    let app = spawn_app().await;
    app.create("A note", true, Some("a-note")).await;
    let address = socket_address(&app);
    let mut rng = Rng(SEED);
    let mut tasks: JoinSet<(Vec<u8>, Vec<u8>)> = JoinSet::new();
    for _ in 0..REQUESTS {
        if tasks.len() == CONCURRENT {
            let (request, answer) = tasks.join_next().await.unwrap().expect("no panic");
            check(&request, &answer);
        }
        let request = generate(&mut rng);
        let address = address.clone();
        tasks.spawn(async move {
            let answer = exchange(&address, &request).await;
            (request, answer)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (request, answer) = done.expect("no panic");
        check(&request, &answer);
    }

    let health = app.get("/health").await;
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.unwrap();
    assert_eq!(health["status"], "healthy", "{health}");
    assert!(app.text("/").await.contains("A note"));
    assert!(app.text("/note/a-note").await.contains("A note"));
    assert_eq!(app.get("/feed.xml").await.status(), 200);
}

/// An answer starts with a status line and holds a whole head; the server
/// may close without a word only on a request whose head never ended.
fn check(request: &[u8], answer: &[u8]) {
    let shown = || {
        format!(
            "{:?}\n{}",
            String::from_utf8_lossy(request),
            String::from_utf8_lossy(answer)
        )
    };
    if answer.is_empty() {
        assert!(!has_blank_line(request), "no answer to {}", shown());
        return;
    }
    assert!(
        answer.starts_with(b"HTTP/1.1 ") || answer.starts_with(b"HTTP/1.0 "),
        "not a status line: {}",
        shown()
    );
    assert!(has_blank_line(answer), "the head never ends: {}", shown());
    let statuses = statuses(answer);
    assert!(!statuses.is_empty(), "no status: {}", shown());
    for status in statuses {
        assert!(ALLOWED.contains(&status), "{status} for {}", shown());
    }
}

/// Whether `bytes` hold the blank line that ends a head (actix-http takes a
/// bare line feed as a line's end too).
fn has_blank_line(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| w == b"\r\n\r\n") || bytes.windows(2).any(|w| w == b"\n\n")
}
