//! The web-sized copy of a wide upload: made once at upload, kept as a
//! file of its own, served like the upload.

use image::ImageFormat;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};

use crate::helpers::spawn_app;
use crate::media_support::{image_of, media_address, media_token, record_of, upload_image};

#[tokio::test]
async fn a_wide_image_gets_a_web_copy_and_a_narrow_one_none() {
    let app = spawn_app().await;
    let token = media_token(&app, "media").await;
    for (format, content_type) in [
        (ImageFormat::Jpeg, "image/jpeg"),
        (ImageFormat::Png, "image/png"),
        (ImageFormat::WebP, "image/webp"),
    ] {
        let location = upload_image(&app, &token, image_of(format, 1600, 40)).await;
        let record = record_of(&app, &location).await;
        assert_eq!((record.width, record.height), (1600, 40));
        let web = record.web.clone().expect("a web copy of a wide image");
        assert_eq!((web.width, web.height), (1280, 32));
        assert_eq!(record.files().len(), 2);

        let address = media_address(&app, &web.path);
        let served = app.client.get(&address).send().await.unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()[CONTENT_TYPE], content_type);
        assert_eq!(
            served.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let etag = served.headers()[ETAG].clone();
        assert_eq!(etag.to_str().unwrap(), format!("\"{}\"", web.sha256));
        let body = served.bytes().await.unwrap();
        assert_eq!(body.len() as u64, web.bytes);
        let decoded = image::load_from_memory(&body).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (1280, 32));
        let again = app
            .client
            .get(&address)
            .header(IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
        let file = app.data_path().join("media").join(web.path.as_str());
        assert_eq!(std::fs::read(file).unwrap().len() as u64, web.bytes);
    }

    let narrow = upload_image(&app, &token, image_of(ImageFormat::Jpeg, 1280, 40)).await;
    assert_eq!(record_of(&app, &narrow).await.web, None);
    // GIFs are kept as uploaded, whatever their width.
    let gif = upload_image(&app, &token, image_of(ImageFormat::Gif, 1600, 10)).await;
    assert_eq!(record_of(&app, &gif).await.web, None);
}
