//! Uploads are authenticated before their bodies are read: a stranger
//! cannot make the server take in a large body. The raw requests here
//! declare far more than they send, so an answer proves that the server
//! did not wait for the rest.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::header::AUTHORIZATION;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;
use crate::media_support::media_token as token;

const BOUNDARY: &str = "starpunk-test-boundary";

/// A PNG of noise, which does not compress: about 1.2 KB.
fn noisy_png() -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let pixels = RgbImage::from_fn(20, 20, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes();
        Rgb([a, b, c])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// Sends a request head declaring `length` body bytes, then only `start`
/// of the body, and returns the status code of the answer.
async fn status_before_body(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    length: u64,
    start: &[u8],
) -> u16 {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {length}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(start).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "closed without an answer");
        answer.extend_from_slice(&buffer[..read]);
    }
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
}

fn text_part(name: &str, value: &str) -> Vec<u8> {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        .into_bytes()
}

fn file_part_start(name: &str) -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"a.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes()
}

const MEGABYTE: u64 = 1_000_000;
const GIGABYTE: u64 = 1_000_000_000;

#[tokio::test]
async fn a_header_token_is_checked_before_the_body_is_read() {
    let app = TestApp::builder().media_max_bytes(2000).spawn().await;
    let create_only = token(&app, "create").await;
    let start = file_part_start("file");
    let bad = [("Authorization", "Bearer not-a-token")];
    // Far more than is sent (within the routes' limits), yet the token is
    // what is refused.
    assert_eq!(
        status_before_body(&app, "/micropub/media", &bad, MEGABYTE, &start).await,
        401
    );
    assert_eq!(
        status_before_body(&app, "/micropub", &bad, MEGABYTE, &start).await,
        401
    );
    let bearer = format!("Bearer {create_only}");
    let weak = [("Authorization", bearer.as_str())];
    assert_eq!(
        status_before_body(&app, "/micropub/media", &weak, MEGABYTE, &start).await,
        403
    );
    // Beyond the routes' limits, the size is refused first.
    assert_eq!(
        status_before_body(&app, "/micropub/media", &bad, GIGABYTE, &start).await,
        413
    );
}

#[tokio::test]
async fn a_large_body_without_a_header_token_is_refused_before_it_is_read() {
    let app = TestApp::builder().media_max_bytes(2000).spawn().await;
    let start = file_part_start("file");
    for path in ["/micropub/media", "/micropub"] {
        assert_eq!(
            status_before_body(&app, path, &[], 10_000_000, &start).await,
            413,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_body_token_is_checked_as_soon_as_it_arrives() {
    let app = TestApp::builder().media_max_bytes(2000).spawn().await;
    let mut start = text_part("access_token", "not-a-token");
    start.extend(file_part_start("file"));
    // The declared length is within the limits; only the token's part
    // and the start of the file are ever sent.
    assert_eq!(
        status_before_body(&app, "/micropub/media", &[], 100_000, &start).await,
        401
    );

    let create_only = token(&app, "create").await;
    let mut start = text_part("access_token", &create_only);
    start.extend(file_part_start("file"));
    assert_eq!(
        status_before_body(&app, "/micropub/media", &[], 100_000, &start).await,
        403
    );
}

async fn post_photos(app: &TestApp, token: &str, in_header: bool, count: usize) -> Value {
    let photo = noisy_png();
    let mut form = Form::new().text("content", "Two photos");
    for _ in 0..count {
        form = form.part("photo[]", Part::bytes(photo.clone()).file_name("p.png"));
    }
    let mut request = app.client.post(app.url("/micropub"));
    if in_header {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    } else {
        // After the files, as some apps send it.
        form = form.text("access_token", token.to_owned());
    }
    let response = request.multipart(form).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    serde_json::json!({"status": status, "body": body})
}

#[tokio::test]
async fn a_body_token_allows_one_files_worth_in_all() {
    let app = TestApp::builder().media_max_bytes(2000).spawn().await;
    let size = noisy_png().len();
    assert!((1001..2000).contains(&size), "{size} bytes");
    let token = token(&app, "create").await;

    let one = post_photos(&app, &token, false, 1).await;
    assert_eq!(one["status"], 201, "{one}");
    let two = post_photos(&app, &token, false, 2).await;
    assert_eq!(two["status"], 413, "{two}");
    assert!(
        two["body"]
            .as_str()
            .unwrap()
            .contains("Authorization header"),
        "{two}"
    );
    let two = post_photos(&app, &token, true, 2).await;
    assert_eq!(two["status"], 201, "{two}");

    // Files sent before a token that turns out to lack the scope are not
    // kept.
    let media_only = self::token(&app, "media").await;
    let refused = post_photos(&app, &media_only, false, 1).await;
    assert_eq!(refused["status"], 403, "{refused}");
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM media")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(kept, 3);
}
