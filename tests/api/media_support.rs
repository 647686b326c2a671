//! What the media tests share: tokens, images made to measure, uploads.

use std::io::Cursor;

use chrono::Utc;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::header::{AUTHORIZATION, LOCATION};
use reqwest::multipart::{Form, Part};
use starpunk::domain::Scopes;
use starpunk::store::{MediaRecord, NewToken};
use starpunk::web::session::token_hash;

use crate::helpers::TestApp;

/// A token with these scopes, issued as the token endpoint would.
pub async fn media_token(app: &TestApp, scopes: &str) -> String {
    let secret = format!("media-support-token-{}", scopes.replace(' ', "-"));
    app.store()
        .issue_token(
            &token_hash(&secret),
            &NewToken {
                name: "Photo app",
                client_id: "https://app.example/",
                scopes: Scopes::parse(scopes).unwrap(),
                me: "https://ada.example/",
                expires_at: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    secret
}

/// A `width` × `height` image with a gradient, in `format`.
pub fn image_of(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// Uploads to the media endpoint and returns the Location, after checking
/// the 201.
pub async fn upload_image(app: &TestApp, token: &str, file: Vec<u8>) -> String {
    let form = Form::new().part("file", Part::bytes(file).file_name("upload.bin"));
    let response = app
        .client
        .post(app.url("/micropub/media"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
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
    location.expect("a Location header")
}

/// The row behind a media URL.
pub async fn record_of(app: &TestApp, location: &str) -> MediaRecord {
    let relative = location.strip_prefix(&app.url("/media/")).unwrap();
    let path = starpunk::domain::MediaPath::parse(relative).unwrap();
    app.store()
        .find_media(&path)
        .await
        .unwrap()
        .expect("a media row")
}

/// The public address of a file under the media folder.
pub fn media_address(app: &TestApp, path: &starpunk::domain::MediaPath) -> String {
    app.url(&format!("/media/{path}"))
}
