//! Whatever arrives on the socket gets a 4xx (or the right page), never a
//! 5xx, and never stops the server from answering others. Requests are
//! written as raw bytes, since an HTTP client library refuses to send most
//! of them.
//!
//! What actix-web 4 / actix-http 3.11 and StarPunk's limits do, as these
//! tests pin down (tests/api/request_limits.rs tries each limit):
//! - A request line over 8 KiB: 414; a header line over 8 KiB, or header
//!   lines over 32 KiB together: 431. Each is StarPunk's page.
//! - Heads actix-http cannot take in: over 128 KiB, or more than 96
//!   headers, 431; a request target over 64 KiB in a smaller head, 400.
//!   Both with an empty body, and the connection is closed.
//! - A malformed request line or header, an unknown HTTP version, raw bytes
//!   outside ASCII or a NUL in the target: 400 with an empty body, and the
//!   connection is closed.
//! - A GET with a body, or any body larger than its route takes: 413 before
//!   it is read. Methods a route does not take get 405 before any body is
//!   read.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, header, spawn_app};

/// A bound on any one exchange, so a server that stalls fails the test
/// instead of hanging it.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(15);

pub fn socket_address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Writes `request`, closes the sending side, and reads everything the
/// server sends until it closes the connection.
pub async fn exchange(address: &str, request: &[u8]) -> Vec<u8> {
    let work = async {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        // The server may close before reading everything (a 400 or 431); a
        // failed write is part of the game.
        let _ = stream.write_all(request).await;
        let _ = stream.shutdown().await;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        answer
    };
    tokio::time::timeout(EXCHANGE_LIMIT, work)
        .await
        .unwrap_or_else(|_| panic!("no answer within {EXCHANGE_LIMIT:?}"))
}

/// The status codes of every response in `answer` (several when requests
/// were pipelined). A body does not end in a line break, so the next status
/// line is looked for anywhere; no body StarPunk sends contains one.
pub fn statuses(answer: &[u8]) -> Vec<u16> {
    let text = String::from_utf8_lossy(answer);
    let mut found = Vec::new();
    let mut rest = text.as_ref();
    while let Some(at) = rest.find("HTTP/1.") {
        rest = &rest[at + "HTTP/1.".len()..];
        let status: Option<u16> = rest
            .get(1..6)
            .filter(|s| s.starts_with(' ') && s.ends_with(' '))
            .and_then(|s| s.trim().parse().ok());
        found.extend(status);
    }
    found
}

fn get(target: &[u8], headers: &[u8]) -> Vec<u8> {
    [
        b"GET ".as_slice(),
        target,
        b" HTTP/1.1\r\nHost: x\r\n",
        headers,
        b"\r\n",
    ]
    .concat()
}

#[tokio::test]
async fn each_kind_of_bad_request_gets_the_status_actix_and_starpunk_give_it() {
    let app = spawn_app().await;
    let note = app.publish("A note to aim at").await;
    let slug = note.slug.as_str().as_bytes();
    let long_target = [b"/".as_slice(), &vec![b'a'; 140 * 1024]].concat();
    let long_slug = [b"/note/".as_slice(), &vec![b'b'; 20 * 1024]].concat();
    let too_long_to_parse = [b"/".as_slice(), &vec![b'c'; 70 * 1024]].concat();
    let long_header = [b"X-Long: ".as_slice(), &vec![b'v'; 140 * 1024], b"\r\n"].concat();
    let many_headers: Vec<u8> = (0..100)
        .flat_map(|i| format!("X-H{i}: v\r\n").into_bytes())
        .collect();
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("garbage", b"\x00\x01\x02 hello\r\n\r\n".to_vec(), 400),
        ("no version", b"GET /\r\n\r\n".to_vec(), 400),
        (
            "HTTP/3.0",
            b"GET / HTTP/3.0\r\nHost: x\r\n\r\n".to_vec(),
            400,
        ),
        (
            "HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
            400,
        ),
        ("space in header name", get(b"/", b"Bad Header: x\r\n"), 400),
        ("header without colon", get(b"/", b"NoColon\r\n"), 400),
        ("control byte in header", get(b"/", b"X: a\x01b\r\n"), 400),
        ("bad percent-encoding", get(b"/note/%zz", b""), 404),
        ("encoded non-UTF-8 path", get(b"/note/%ff%fe", b""), 404),
        ("raw non-UTF-8 path", get(b"/note/\xff\xfe", b""), 400),
        ("raw non-UTF-8 query", get(b"/?page=\xff", b""), 400),
        ("encoded non-UTF-8 query", get(b"/?page=%ff", b""), 400),
        ("dot-dot", get(b"/note/../../etc/passwd", b""), 404),
        ("dot-dot to a file", get(b"/static/../Cargo.toml", b""), 404),
        ("encoded slash", get(b"/note/a%2F..%2F..%2Fetc", b""), 404),
        (
            "encoded slash after a slug",
            get(&[b"/note/".as_slice(), slug, b"%2F"].concat(), b""),
            404,
        ),
        ("raw NUL", get(b"/note/a\x00b", b""), 400),
        ("encoded NUL", get(b"/note/a%00b", b""), 404),
        ("page 0", get(b"/?page=0", b""), 400),
        ("negative page", get(b"/?page=-1", b""), 400),
        ("page not a number", get(b"/?page=two", b""), 400),
        (
            "page too big for u64",
            get(b"/?page=99999999999999999999999", b""),
            400,
        ),
        (
            "page u64::MAX",
            get(b"/?page=18446744073709551615", b""),
            404,
        ),
        ("page twice", get(b"/?page=1&page=2", b""), 400),
        (
            "unknown method",
            b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            405,
        ),
        (
            "DELETE",
            b"DELETE /feed.xml HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            405,
        ),
        (
            "CONNECT",
            b"CONNECT evil:443 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            404,
        ),
        (
            "OPTIONS *",
            b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            404,
        ),
        (
            "GET with a body",
            get(b"/", b"Content-Length: 5\r\n\r\nhello"),
            413,
        ),
        (
            "GET with a huge Content-Length",
            get(b"/", b"Content-Length: 99999999999999\r\n\r\nab"),
            413,
        ),
        (
            "GET with an empty body",
            get(b"/", b"Content-Length: 0\r\n"),
            200,
        ),
        (
            "Content-Length overflows",
            get(b"/", b"Content-Length: 999999999999999999999999\r\n"),
            400,
        ),
        (
            "negative Content-Length",
            get(b"/", b"Content-Length: -1\r\n"),
            400,
        ),
        (
            "two Content-Lengths",
            get(b"/", b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
            400,
        ),
        (
            "POST with a huge Content-Length",
            b"POST /feed.xml HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nab".to_vec(),
            405,
        ),
        ("overlong URI", get(&long_target, b""), 431),
        ("URI too long to parse", get(&too_long_to_parse, b""), 400),
        ("long URI", get(&long_slug, b""), 414),
        ("overlong header", get(b"/", &long_header), 431),
        ("too many headers", get(b"/", &many_headers), 431),
        ("absolute URI", get(b"http://evil.example/", b""), 200),
        (
            "bare LF line ends",
            b"GET / HTTP/1.1\nHost: x\n\n".to_vec(),
            200,
        ),
        (
            "unreadable validators",
            get(
                b"/feed.xml",
                b"If-None-Match: \xff\r\nIf-Modified-Since: \xff\r\n",
            ),
            200,
        ),
    ];
    let address = socket_address(&app);
    let mut wrong = Vec::new();
    for (name, request, expected) in &cases {
        let answer = exchange(&address, request).await;
        let got = statuses(&answer);
        if got.first() != Some(expected) {
            wrong.push(format!("{name}: expected {expected}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(app.get("/").await.status(), 200);
}

#[tokio::test]
async fn other_methods_get_405_with_allow() {
    let app = spawn_app().await;
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), app.url("/feed.xml"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(header(&response, "allow"), "GET, HEAD", "{method}");
    }
}

#[tokio::test]
async fn http_1_0_and_pipelined_requests_are_answered_in_order() {
    let app = spawn_app().await;
    let address = socket_address(&app);
    let answer = exchange(&address, b"GET /health HTTP/1.0\r\n\r\n").await;
    assert!(answer.starts_with(b"HTTP/1.0 200 OK\r\n"));

    let pipelined = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n\
        GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n\
        HEAD /feed.xml HTTP/1.1\r\nHost: x\r\n\r\n";
    let answer = exchange(&address, pipelined).await;
    assert_eq!(statuses(&answer), vec![200, 404, 200]);
    let text = String::from_utf8_lossy(&answer);
    let last = text.rsplit("HTTP/1.1 ").next().unwrap();
    assert!(last.contains("application/rss+xml"), "{last}");
    assert!(last.ends_with("\r\n\r\n"), "HEAD has no body: {last}");
}

/// A client that sends its request head a byte at a time (slowloris) is
/// answered 408 and cut off; meanwhile everyone else is served.
#[tokio::test]
async fn a_trickling_client_is_cut_off_while_others_are_served() {
    let app = spawn_app().await;
    let mut slow = TcpStream::connect(socket_address(&app)).await.unwrap();
    // Far more bytes than can trickle in before the timeout.
    let head = [
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".as_slice(),
        &[b'z'; 400],
    ]
    .concat();
    let trickle = async {
        let mut answer = Vec::new();
        for byte in head {
            if slow.write_all(&[byte]).await.is_err() {
                break;
            }
            let mut buf = [0u8; 512];
            match tokio::time::timeout(Duration::from_millis(50), slow.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        answer
    };
    let others = async {
        let mut served = 0;
        for _ in 0..10 {
            assert_eq!(app.get("/health").await.status(), 200);
            served += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        served
    };
    let (answer, served) = tokio::join!(trickle, others);
    assert_eq!(served, 10);
    assert_eq!(
        statuses(&answer),
        vec![408],
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

/// An idle keep-alive connection does not stay open.
#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = spawn_app().await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(EXCHANGE_LIMIT, stream.read_to_end(&mut answer)).await;
    assert!(closed.is_ok(), "the connection stayed open");
    assert_eq!(statuses(&answer), vec![200]);
}

/// Hundreds of connections that send nothing (more than a worker takes at
/// once) do not keep a real client out for good.
#[tokio::test]
async fn a_flood_of_silent_connections_does_not_lock_others_out() {
    let app = spawn_app().await;
    let address = socket_address(&app);
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(TcpStream::connect(&address).await.unwrap());
    }
    let answer = exchange(&address, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(statuses(&answer), vec![200]);
    drop(silent);
}
