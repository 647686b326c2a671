//! Request size limits, each tried just under and just over: the request
//! line (414), header lines (431) and bodies (413, before any of the body is
//! read, and the connection closed). Refusals answer in the route's kind:
//! the site's HTML page, or JSON for the APIs. Requests are raw bytes on a
//! socket, so that lengths are exact and closing can be seen.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app};
use crate::hostile_http::socket_address;

/// A bound on any one exchange, so a server that stalls fails the test
/// instead of hanging it.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(15);

const LINE_LIMIT: usize = 8 * 1024;
const HEADERS_LIMIT: usize = 32 * 1024;
const FORM_LIMIT: usize = 4 * 1024 * 1024;

/// A response read off the socket.
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The site's error page, with its heading and message.
    fn assert_page(&self, status: u16, words: &str) {
        assert_eq!(self.status, status, "{}", self.head);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("text/html; charset=utf-8")
        );
        let text = self.text();
        assert!(text.starts_with("<!DOCTYPE html>"), "{text}");
        assert!(text.contains(words), "{words:?} not in {text}");
    }

    /// A JSON error as Micropub and the token endpoint give them.
    fn assert_json(&self, status: u16, words: &str) {
        assert_eq!(self.status, status, "{}", self.head);
        let error: Value = serde_json::from_slice(&self.body).expect("a JSON body");
        assert_eq!(error["error"], "invalid_request", "{error}");
        let description = error["error_description"].as_str().unwrap();
        assert!(
            description.contains(words),
            "{words:?} not in {description}"
        );
    }
}

/// Reads one response (its body by `Content-Length`).
async fn read_answer(stream: &mut TcpStream) -> Answer {
    let work = async {
        let mut bytes = Vec::new();
        let mut buffer = [0u8; 8192];
        let end = loop {
            if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let read = stream.read(&mut buffer).await.expect("read");
            assert!(read > 0, "closed without an answer");
            bytes.extend_from_slice(&buffer[..read]);
        };
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut answer = Answer {
            status: head[9..12].parse().expect("a status code"),
            head,
            body: bytes[end..].to_vec(),
        };
        let length: usize = answer
            .header("content-length")
            .map_or(0, |v| v.parse().expect("a length"));
        while answer.body.len() < length {
            let read = stream.read(&mut buffer).await.expect("read");
            assert!(read > 0, "closed in the middle of the body");
            answer.body.extend_from_slice(&buffer[..read]);
        }
        answer
    };
    tokio::time::timeout(EXCHANGE_LIMIT, work)
        .await
        .expect("an answer in time")
}

/// Whether the server closed the connection after its answer.
async fn closes(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match tokio::time::timeout(EXCHANGE_LIMIT, stream.read_to_end(&mut rest)).await {
        Ok(Ok(_)) => rest.is_empty(),
        Ok(Err(_)) => true,
        Err(_) => false,
    }
}

/// Sends `request` (head and as much body as given) and reads the answer.
async fn send(app: &TestApp, request: &[u8]) -> (Answer, TcpStream) {
    let mut stream = TcpStream::connect(socket_address(app)).await.unwrap();
    stream.write_all(request).await.unwrap();
    let answer = read_answer(&mut stream).await;
    (answer, stream)
}

/// A request head: the request line, `Host`, then `headers` as given.
fn head(method: &str, target: &str, headers: &str) -> String {
    format!("{method} {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n")
}

/// A target making the request line `GET <target> HTTP/1.1\r\n` exactly
/// `length` bytes long.
fn target_for_line(prefix: &str, length: usize) -> String {
    let fill = length - "GET  HTTP/1.1\r\n".len() - prefix.len();
    format!("{prefix}{}", "a".repeat(fill))
}

#[tokio::test]
async fn a_request_line_over_8_kib_gets_414() {
    let app = spawn_app().await;
    let fits = target_for_line("/health?x=", LINE_LIMIT);
    let (answer, _) = send(&app, head("GET", &fits, "").as_bytes()).await;
    assert_eq!(answer.status, 200);

    let over = target_for_line("/health?x=", LINE_LIMIT + 1);
    let (answer, mut stream) = send(&app, head("GET", &over, "").as_bytes()).await;
    answer.assert_page(414, "longer than 8192 bytes");
    assert_eq!(answer.header("connection").as_deref(), Some("close"));
    assert!(closes(&mut stream).await);

    // An address that matches no route is measured too.
    let over = target_for_line("/nowhere/", LINE_LIMIT + 1);
    let (answer, _) = send(&app, head("GET", &over, "").as_bytes()).await;
    answer.assert_page(414, "longer than 8192 bytes");

    let fits = target_for_line("/micropub?q=config&x=", LINE_LIMIT);
    let (answer, _) = send(&app, head("GET", &fits, "").as_bytes()).await;
    assert_eq!(answer.status, 401);
    let over = target_for_line("/micropub?q=config&x=", LINE_LIMIT + 1);
    let (answer, _) = send(&app, head("GET", &over, "").as_bytes()).await;
    answer.assert_json(414, "longer than 8192 bytes");
}

/// A header line `X-Long: vvv…\r\n` of exactly `length` bytes.
fn header_line(name: &str, length: usize) -> String {
    let fill = length - name.len() - ": \r\n".len();
    format!("{name}: {}\r\n", "v".repeat(fill))
}

#[tokio::test]
async fn a_header_line_over_8_kib_gets_431() {
    let app = spawn_app().await;
    let fits = header_line("X-Long", LINE_LIMIT);
    let (answer, _) = send(&app, head("GET", "/", &fits).as_bytes()).await;
    assert_eq!(answer.status, 200);

    let over = header_line("X-Long", LINE_LIMIT + 1);
    let (answer, mut stream) = send(&app, head("GET", "/", &over).as_bytes()).await;
    answer.assert_page(431, "header line is longer than 8192 bytes");
    assert!(closes(&mut stream).await);

    let (answer, _) = send(&app, head("GET", "/micropub", &over).as_bytes()).await;
    answer.assert_json(431, "header line is longer than 8192 bytes");
}

/// Header lines that, with `Host: x\r\n`, come to exactly `total` bytes.
fn headers_totalling(total: usize) -> String {
    let mut remaining = total - "Host: x\r\n".len();
    let mut lines = String::new();
    let mut n = 0;
    while remaining > 0 {
        let length = remaining.min(LINE_LIMIT);
        lines.push_str(&header_line(&format!("X-Fill-{n:02}"), length));
        remaining -= length;
        n += 1;
    }
    lines
}

#[tokio::test]
async fn header_lines_over_32_kib_together_get_431() {
    let app = spawn_app().await;
    let fits = headers_totalling(HEADERS_LIMIT);
    let (answer, _) = send(&app, head("GET", "/", &fits).as_bytes()).await;
    assert_eq!(answer.status, 200);

    let over = headers_totalling(HEADERS_LIMIT + 1);
    let (answer, mut stream) = send(&app, head("GET", "/", &over).as_bytes()).await;
    answer.assert_page(431, "header lines together are longer than 32768 bytes");
    assert!(closes(&mut stream).await);
}

#[tokio::test]
async fn pages_take_no_body() {
    let app = spawn_app().await;
    let (answer, _) = send(&app, head("GET", "/", "Content-Length: 0\r\n").as_bytes()).await;
    assert_eq!(answer.status, 200);

    for length in ["1", "99999999999"] {
        // Only the head is sent: the answer cannot wait for the body.
        let request = head("GET", "/", &format!("Content-Length: {length}\r\n"));
        let (answer, mut stream) = send(&app, request.as_bytes()).await;
        answer.assert_page(413, "This address takes no request body.");
        assert_eq!(answer.header("connection").as_deref(), Some("close"));
        assert!(closes(&mut stream).await, "{length}");
    }
    let chunked = head("GET", "/feed.xml", "Transfer-Encoding: chunked\r\n");
    let (answer, mut stream) = send(&app, chunked.as_bytes()).await;
    assert_eq!(answer.status, 413);
    assert!(closes(&mut stream).await);

    // Micropub's queries are JSON, refusals too.
    let request = head("GET", "/micropub?q=config", "Content-Length: 1\r\n");
    let (answer, _) = send(&app, request.as_bytes()).await;
    answer.assert_json(413, "takes no request body");
}

/// `POST path` with a form body of exactly `length` bytes (`name=xxx…`).
fn form_post(path: &str, name: &str, length: usize) -> Vec<u8> {
    let fields =
        format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n");
    let mut request = head("POST", path, &fields).into_bytes();
    request.extend(format!("{name}=").bytes());
    request.resize(request.len() + length - name.len() - 1, b'x');
    request
}

#[tokio::test]
async fn forms_take_4_mib() {
    let app = spawn_app().await;
    // An API form: JSON.
    let (answer, _) = send(&app, &form_post("/auth/revoke", "token", FORM_LIMIT)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let over = head(
        "POST",
        "/auth/revoke",
        &format!("Content-Length: {}\r\n", FORM_LIMIT + 1),
    );
    let (answer, mut stream) = send(&app, over.as_bytes()).await;
    answer.assert_json(413, "larger than 4194304 bytes");
    assert_eq!(answer.header("connection").as_deref(), Some("close"));
    assert!(closes(&mut stream).await);

    // A page's form: HTML. Its answer to a stranger is 403, once read.
    let (answer, _) = send(&app, &form_post("/auth/authorize", "note", FORM_LIMIT)).await;
    assert_eq!(answer.status, 403);
    let over = head(
        "POST",
        "/auth/authorize",
        &format!("Content-Length: {}\r\n", FORM_LIMIT + 1),
    );
    let (answer, mut stream) = send(&app, over.as_bytes()).await;
    answer.assert_page(413, "larger than 4194304 bytes");
    assert!(closes(&mut stream).await);
}

/// The largest note the site takes, in characters that each take nine
/// bytes in a form (`%E2%82%AC`), still fits in the admin's form.
#[tokio::test]
async fn the_largest_note_fits_in_a_form() {
    let app = spawn_app().await;
    let owner = app.sign_in().await;
    let euros = starpunk::domain::MAX_NOTE_BYTES / "€".len();
    let content = "€".repeat(euros);
    let response = app
        .owner_post(
            &owner,
            "/admin/new",
            &[("content", &content), ("action", "save")],
        )
        .await;
    assert_eq!(response.status(), 303);
}

/// `body` sent in chunks of at most 64 KiB, ending the body if `end`.
fn chunked(path: &str, content_type: &str, body: &[u8], end: bool) -> Vec<u8> {
    let fields = format!("Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n");
    let mut request = head("POST", path, &fields).into_bytes();
    for chunk in body.chunks(64 * 1024) {
        request.extend(format!("{:x}\r\n", chunk.len()).bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    if end {
        request.extend_from_slice(b"0\r\n\r\n");
    }
    request
}

#[tokio::test]
async fn a_chunked_body_is_refused_as_it_passes_the_limit() {
    let app = spawn_app().await;
    let form = "application/x-www-form-urlencoded";
    let mut body = b"token=".to_vec();
    body.resize(FORM_LIMIT, b'x');
    let (answer, _) = send(&app, &chunked("/auth/revoke", form, &body, true)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());

    // One byte more, in a last chunk of its own, and the body never ends:
    // the answer comes as that byte arrives.
    let mut request = chunked("/auth/revoke", form, &body, false);
    request.extend_from_slice(b"1\r\nx\r\n");
    let (answer, mut stream) = send(&app, &request).await;
    answer.assert_json(413, "larger than 4194304 bytes");
    assert!(closes(&mut stream).await);

    let mut request = chunked("/auth/authorize", form, &body, false);
    request.extend_from_slice(b"1\r\nx\r\n");
    let (answer, mut stream) = send(&app, &request).await;
    answer.assert_page(413, "larger than 4194304 bytes");
    assert!(closes(&mut stream).await);

    // Micropub's JSON takes as much as a form.
    let json = "application/json";
    let mut request = chunked("/micropub", json, &body, false);
    request.extend_from_slice(b"1\r\nx\r\n");
    let (answer, _) = send(&app, &request).await;
    answer.assert_json(413, "larger than 4194304 bytes");
}

/// The head of a multipart upload declaring `length` bytes.
fn upload_head(path: &str, length: u64, token: Option<&str>) -> String {
    let mut fields =
        format!("Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}\r\n");
    if let Some(token) = token {
        fields.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head("POST", path, &fields)
}

#[tokio::test]
async fn uploads_take_their_files_with_room_for_text_and_framing() {
    let app = TestApp::builder().media_max_bytes(2000).spawn().await;
    let room = (FORM_LIMIT + 64 * 1024) as u64;
    let cases = [
        // With the token in the header, each file may be as large as
        // MEDIA_MAX_BYTES.
        ("/micropub/media", Some("not-a-token"), 2000 + room),
        ("/micropub", Some("not-a-token"), 20 * 2000 + room),
        // With it in the body, one file's worth in all.
        ("/micropub", None, 2000 + room),
    ];
    // A token in the body is refused as soon as it has come.
    let start = "--b\r\nContent-Disposition: form-data; name=\"access_token\"\r\n\r\n\
                 not-a-token\r\n--b\r\n";
    for (path, token, limit) in cases {
        let request = upload_head(path, limit, token) + start;
        let (answer, _) = send(&app, request.as_bytes()).await;
        assert_eq!(answer.status, 401, "{path} {token:?}: {}", answer.text());
        let (answer, mut stream) = send(&app, upload_head(path, limit + 1, token).as_bytes()).await;
        let words = match token {
            Some(_) => format!("larger than {limit} bytes"),
            None => "send the token in the Authorization header".to_owned(),
        };
        answer.assert_json(413, &words);
        assert_eq!(answer.header("connection").as_deref(), Some("close"));
        assert!(closes(&mut stream).await, "{path} {token:?}");
    }
    // A form to Micropub has a form's limit.
    let over = head(
        "POST",
        "/micropub",
        &format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            FORM_LIMIT + 1
        ),
    );
    let (answer, _) = send(&app, over.as_bytes()).await;
    answer.assert_json(413, "larger than 4194304 bytes");
}

/// A keep-alive connection whose second head trickles in is cut off as the
/// first would be. The head is far too long to trickle in before the
/// timeout; what is asserted is that the connection ends before all of it
/// was sent, not how fast.
#[tokio::test]
async fn a_trickled_second_head_is_cut_off() {
    let app = spawn_app().await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    stream
        .write_all(head("GET", "/health", "").as_bytes())
        .await
        .unwrap();
    let first = read_answer(&mut stream).await;
    assert_eq!(first.status, 200);

    let second = [
        head("GET", "/health", "").trim_end().as_bytes(),
        b"\r\nX-Slow: ",
        &[b'z'; 400],
        b"\r\n\r\n",
    ]
    .concat();
    let mut sent = 0;
    let mut answer = Vec::new();
    for byte in &second {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        sent += 1;
        let mut buffer = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
            Err(_) => {}
        }
    }
    assert!(
        sent < second.len(),
        "the whole head was sent; answer: {}",
        String::from_utf8_lossy(&answer)
    );
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
}
