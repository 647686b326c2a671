use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::test::TestRequest;

use super::*;

fn head_with(target: &str, headers: &[(&str, usize)]) -> RequestHead {
    let mut request = TestRequest::get().uri(target);
    for (name, length) in headers {
        request = request.insert_header((
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&"v".repeat(*length)).unwrap(),
        ));
    }
    request.to_srv_request().head().clone()
}

/// `GET <target> HTTP/1.1\r\n` is 15 bytes besides the target.
const REQUEST_LINE_EXTRA: usize = "GET  HTTP/1.1\r\n".len();

#[test]
fn a_request_line_may_take_8_kib_with_its_line_end() {
    let fits = format!(
        "/{}",
        "a".repeat(REQUEST_LINE_LIMIT - REQUEST_LINE_EXTRA - 1)
    );
    assert_eq!(oversize_head(&head_with(&fits, &[])), None);
    let over = format!("{fits}a");
    assert_eq!(
        oversize_head(&head_with(&over, &[])),
        Some(Oversize::RequestLine)
    );
}

#[test]
fn an_absolute_target_counts_whole() {
    let path = "a".repeat(REQUEST_LINE_LIMIT - REQUEST_LINE_EXTRA - "http://x/".len());
    let fits = format!("http://x/{path}");
    assert_eq!(oversize_head(&head_with(&fits, &[])), None);
    assert_eq!(
        oversize_head(&head_with(&format!("{fits}a"), &[])),
        Some(Oversize::RequestLine)
    );
}

#[test]
fn a_header_line_may_take_8_kib_with_its_line_end() {
    // `x: <value>\r\n`
    let value = HEADER_LINE_LIMIT - "x: \r\n".len();
    assert_eq!(oversize_head(&head_with("/", &[("x", value)])), None);
    assert_eq!(
        oversize_head(&head_with("/", &[("x", value + 1)])),
        Some(Oversize::HeaderLine)
    );
}

#[test]
fn header_lines_may_take_32_kib_together() {
    // Four lines of 8 KiB each fill it exactly.
    let value = HEADER_LINE_LIMIT - "h0: \r\n".len();
    let full: Vec<(&str, usize)> = vec![("h0", value), ("h1", value), ("h2", value), ("h3", value)];
    assert_eq!(oversize_head(&head_with("/", &full)), None);
    let mut over = full.clone();
    over.push(("h4", 1));
    assert_eq!(
        oversize_head(&head_with("/", &over)),
        Some(Oversize::Headers)
    );
}

#[test]
fn messages_name_the_limit() {
    assert_eq!(
        Oversize::Body { limit: 0 }.message(),
        "this address takes no request body"
    );
    assert!(Oversize::Body { limit: 42 }.message().contains("42 bytes"));
    assert!(Oversize::RequestLine.message().contains("8192 bytes"));
    assert!(Oversize::Headers.message().contains("32768 bytes"));
    let refused = WebError::from(Oversize::HeaderLine);
    assert_eq!(
        refused.to_string(),
        "a header line is longer than 8192 bytes, the most this site accepts"
    );
    assert_eq!(refused.status().as_u16(), 431);
}
