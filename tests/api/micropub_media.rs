//! Photos: the media endpoint (micropub.rocks 700–702), serving uploads,
//! and multipart posts (300, 301), with the images checked by decoding
//! what the site stored.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, select, spawn_app};
use crate::media_support::media_token as token;

/// A 4 × 2 image with distinct pixels, in `format`.
fn image_bytes(format: ImageFormat) -> Vec<u8> {
    let pixels = RgbImage::from_fn(4, 2, |x, y| Rgb([x as u8 * 60, y as u8 * 120, 30]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// A JPEG carrying an EXIF block with orientation 6 ("rotate 90° to
/// view") and a GPS IFD, inserted by hand right after the start marker,
/// where cameras put it.
fn jpeg_with_exif() -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 2]); // IFD0: two entries
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation = 6
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]); // GPS IFD at 38
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 1]); // GPS IFD: one entry
    tiff.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]); // GPSLatitudeRef = "N"
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let length = u16::try_from(payload.len() + 2).unwrap().to_be_bytes();
    let plain = image_bytes(ImageFormat::Jpeg);
    let mut jpeg = plain[..2].to_vec();
    jpeg.extend_from_slice(&[0xFF, 0xE1, length[0], length[1]]);
    jpeg.extend_from_slice(&payload);
    jpeg.extend_from_slice(&plain[2..]);
    jpeg
}

async fn upload(
    app: &TestApp,
    token: Option<&str>,
    file: Vec<u8>,
    name: &str,
) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(file).file_name(name.to_owned()));
    let mut request = app.client.post(app.url("/micropub/media")).multipart(form);
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    request.send().await.unwrap()
}

/// Uploads and returns the Location, after checking the 201.
async fn uploaded(app: &TestApp, token: &str, file: Vec<u8>, name: &str) -> String {
    let response = upload(app, Some(token), file, name).await;
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(status, 201, "{}", response.text().await.unwrap());
    let location = location.expect("a Location header");
    assert!(location.starts_with(&app.url("/media/")), "{location}");
    location
}

async fn error_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

fn original_has(bytes: &[u8]) -> bool {
    jpeg_with_exif().windows(bytes.len()).any(|w| w == bytes)
}

/// The stored file behind a media URL, read from the data folder.
fn stored_file(app: &TestApp, location: &str) -> Vec<u8> {
    let relative = location.strip_prefix(&app.url("/media/")).unwrap();
    std::fs::read(app.data_dir.path().join("media").join(relative)).unwrap()
}

#[tokio::test]
async fn every_accepted_format_is_kept_and_served() {
    let app = spawn_app().await;
    let token = token(&app, "media").await;
    for (format, content_type) in [
        (ImageFormat::Jpeg, "image/jpeg"),
        (ImageFormat::Png, "image/png"),
        (ImageFormat::Gif, "image/gif"),
        (ImageFormat::WebP, "image/webp"),
    ] {
        // The client's name says nothing: the content decides.
        let location = uploaded(&app, &token, image_bytes(format), "upload.bin").await;
        let served = app.client.get(&location).send().await.unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()[CONTENT_TYPE], content_type);
        assert_eq!(
            served.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let etag = served.headers()[ETAG].clone();
        assert!(!etag.to_str().unwrap().starts_with("W/"), "a strong ETag");
        let body = served.bytes().await.unwrap();
        let decoded = image::load_from_memory(&body).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (4, 2));

        let again = app
            .client
            .get(&location)
            .header(IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
        let head = app.client.head(&location).send().await.unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()[CONTENT_TYPE], content_type);
    }
}

#[tokio::test]
async fn uploads_are_refused_with_the_right_status() {
    let app = TestApp::builder().media_max_bytes(2000).spawn().await;
    let media = token(&app, "media").await;
    let create_only = token(&app, "create").await;
    let png = image_bytes(ImageFormat::Png);

    let error = error_of(upload(&app, None, png.clone(), "a.png").await, 401).await;
    assert_eq!(error["error"], "unauthorized");
    let error = error_of(
        upload(&app, Some(&create_only), png.clone(), "a.png").await,
        403,
    )
    .await;
    assert_eq!(error["error"], "insufficient_scope");
    assert_eq!(error["scope"], "media");

    let text = b"this is not a photo, whatever its name says".to_vec();
    let error = error_of(upload(&app, Some(&media), text, "photo.jpg").await, 415).await;
    assert_eq!(error["error"], "invalid_request");

    let mut large = png.clone();
    large.resize(5000, 0);
    let error = error_of(upload(&app, Some(&media), large, "big.png").await, 413).await;
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("2000")
    );

    let wrong_part = Form::new().part("photo", Part::bytes(png).file_name("a.png"));
    let response = app
        .client
        .post(app.url("/micropub/media"))
        .header(AUTHORIZATION, format!("Bearer {media}"))
        .multipart(wrong_part)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response, 400).await["error"], "invalid_request");

    // Nothing refused was kept.
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM media")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(kept, 0);
}

#[tokio::test]
async fn location_and_orientation_are_taken_out_of_photos() {
    let app = spawn_app().await;
    let token = token(&app, "media").await;
    let original = jpeg_with_exif();
    assert!(original.windows(6).any(|w| w == b"Exif\0\0"));
    let location = uploaded(&app, &token, original, "camera.jpg").await;

    let stored = stored_file(&app, &location);
    assert!(
        !stored.windows(6).any(|w| w == b"Exif\0\0"),
        "EXIF left in the file"
    );
    assert!(
        !stored.windows(2).any(|w| w == [0xFF, 0xE1]),
        "an APP1 block is left"
    );
    // The GPS entry itself (GPSLatitudeRef = "N"), wherever it might hide.
    let gps_entry = [0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0];
    assert!(original_has(&gps_entry), "the test image carries GPS");
    assert!(
        !stored.windows(gps_entry.len()).any(|w| w == gps_entry),
        "the GPS tag is left"
    );
    let decoded = image::load_from_memory(&stored).unwrap();
    // Turned upright: the 4 × 2 sensor image is 2 wide and 4 tall.
    assert_eq!((decoded.width(), decoded.height()), (2, 4));
    let row: (i64, i64) = sqlx::query_as("SELECT width, height FROM media")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(row, (2, 4));
}

#[tokio::test]
async fn only_stored_media_paths_are_served() {
    let app = spawn_app().await;
    std::fs::write(app.data_dir.path().join("secret.txt"), "private").unwrap();
    for path in [
        "/media/secret.txt",
        "/media/..%2Fsecret.txt",
        "/media/2026/01/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/media/2026/01/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // A raw request line, which no client library would normalise.
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /media/../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(!answer.contains("private"), "{answer}");
    assert!(
        answer.starts_with("HTTP/1.1 404") || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
}

#[tokio::test]
async fn the_config_names_the_media_endpoint() {
    let app = spawn_app().await;
    let token = token(&app, "create").await;
    let config: Value = app
        .client
        .get(app.url("/micropub?q=config"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["media-endpoint"], app.url("/micropub/media"));
}

/// micropub.rocks 300 and 301: a multipart create with one `photo` part,
/// and with two `photo[]` parts.
#[tokio::test]
async fn multipart_posts_keep_their_photos() {
    let app = spawn_app().await;
    let token = token(&app, "create").await;
    for (field, count) in [("photo", 1), ("photo[]", 2)] {
        let mut form = Form::new()
            .text("h", "entry")
            .text("content", format!("A post with {count} photos"))
            .text("access_token", token.clone());
        for format in [ImageFormat::Jpeg, ImageFormat::Png]
            .into_iter()
            .take(count)
        {
            form = form.part(field, Part::bytes(image_bytes(format)).file_name("p.jpg"));
        }
        let response = app
            .client
            .post(app.url("/micropub"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(status, 201, "{}", response.text().await.unwrap());
        let page = app.client.get(location.unwrap()).send().await.unwrap();
        let page = scraper::Html::parse_document(&page.text().await.unwrap());
        let photos: Vec<String> = select(&page, "img.u-photo")
            .iter()
            .map(|img| img.value().attr("src").unwrap().to_owned())
            .collect();
        assert_eq!(photos.len(), count);
        for photo in photos {
            assert!(photo.starts_with(&app.url("/media/")), "{photo}");
            assert_eq!(app.client.get(&photo).send().await.unwrap().status(), 200);
        }
    }
}

#[tokio::test]
async fn a_multipart_post_needs_the_create_scope() {
    let app = spawn_app().await;
    let token = token(&app, "media").await;
    let form = Form::new().text("content", "No scope for this").part(
        "photo",
        Part::bytes(image_bytes(ImageFormat::Png)).file_name("p.png"),
    );
    let response = app
        .client
        .post(app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response, 403).await["scope"], "create");
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM media")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(kept, 0);
}
