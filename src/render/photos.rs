//! A note's photos as pages and feeds show them. An upload of this site is
//! known from its row (size, type, web copy), looked up once when the page
//! or feed is rendered; a photo elsewhere (hotlinked) is known only by its
//! address.

use std::collections::HashMap;

use super::escape;
use crate::config::SiteSettings;
use crate::domain::{MediaPath, Photo};
use crate::store::MediaRecord;

/// The rows of the uploads some notes show, by path.
pub type MediaLookup = HashMap<MediaPath, MediaRecord>;

/// One photo, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoView {
    /// What `<img src>` loads: the web copy of a wide upload, else the
    /// photo itself.
    pub src: String,
    /// The photo at full size: where the image links when `src` is a
    /// smaller copy, and what feeds enclose.
    pub url: String,
    pub alt: String,
    /// Of `src`; known for this site's uploads only.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Of `url`: for enclosures, which need both.
    pub file: Option<PhotoFile>,
}

/// What a feed says of an enclosed upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoFile {
    pub media_type: String,
    pub bytes: u64,
}

impl PhotoView {
    pub fn new(site: &SiteSettings, photo: &Photo, media: &MediaLookup) -> PhotoView {
        let alt = photo.alt.clone().unwrap_or_default();
        let Some(record) = own_upload(site, &photo.url).and_then(|path| media.get(&path)) else {
            return PhotoView {
                src: photo.url.clone(),
                url: photo.url.clone(),
                alt,
                width: None,
                height: None,
                file: None,
            };
        };
        let (src, width, height) = match &record.web {
            Some(web) => (media_url(site, &web.path), web.width, web.height),
            None => (photo.url.clone(), record.width, record.height),
        };
        PhotoView {
            src,
            url: photo.url.clone(),
            alt,
            width: Some(width),
            height: Some(height),
            file: Some(PhotoFile {
                media_type: record.content_type.clone(),
                bytes: record.bytes,
            }),
        }
    }

    /// Whether `src` is a smaller copy, so the image links to the photo.
    pub fn links_to_full_size(&self) -> bool {
        self.src != self.url
    }

    /// The image as feeds put it before the note's text.
    pub fn html(&self) -> String {
        let mut img = format!(
            "<img src=\"{}\" alt=\"{}\"",
            escape(&self.src),
            escape(&self.alt)
        );
        if let (Some(width), Some(height)) = (self.width, self.height) {
            img.push_str(&format!(" width=\"{width}\" height=\"{height}\""));
        }
        img.push('>');
        if self.links_to_full_size() {
            img = format!("<a href=\"{}\">{img}</a>", escape(&self.url));
        }
        format!("<p>{img}</p>")
    }
}

/// The uploads of this site among `photos`, to look up before rendering.
pub fn own_uploads<'a>(
    site: &'a SiteSettings,
    photos: impl IntoIterator<Item = &'a Photo> + 'a,
) -> impl Iterator<Item = MediaPath> + 'a {
    photos
        .into_iter()
        .filter_map(|photo| own_upload(site, &photo.url))
}

/// The upload a photo URL names, if it is one of this site's.
fn own_upload(site: &SiteSettings, url: &str) -> Option<MediaPath> {
    MediaPath::parse(url.strip_prefix(&site.url.join("media/"))?)
}

fn media_url(site: &SiteSettings, path: &MediaPath) -> String {
    site.url.join(&format!("media/{path}"))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::media::ImageKind;
    use crate::render::feeds::tests::site;
    use crate::store::WebVariant;

    fn path(random: char, kind: ImageKind) -> MediaPath {
        let random: String = std::iter::repeat_n(random, 43).collect();
        MediaPath::new(Utc::now(), &random, kind).expect("a valid path")
    }

    fn photo(url: String) -> Photo {
        Photo {
            url,
            alt: Some("A \"view\"".into()),
        }
    }

    #[test]
    fn an_upload_shows_its_web_copy_at_its_size_and_links_the_original() {
        let site = site();
        let (original, web) = (path('a', ImageKind::Jpeg), path('b', ImageKind::Jpeg));
        let record = MediaRecord {
            path: original.clone(),
            content_type: "image/jpeg".into(),
            bytes: 5_000_000,
            width: 4000,
            height: 3000,
            sha256: "00".into(),
            created_at: Utc::now(),
            web: Some(WebVariant {
                path: web.clone(),
                width: 1280,
                height: 960,
                bytes: 300_000,
                sha256: "11".into(),
            }),
        };
        let media = MediaLookup::from([(original.clone(), record)]);
        let url = media_url(&site, &original);
        let view = PhotoView::new(&site, &photo(url.clone()), &media);
        assert_eq!(view.src, media_url(&site, &web));
        assert_eq!((view.width, view.height), (Some(1280), Some(960)));
        assert_eq!(view.file.as_ref().map(|f| f.bytes), Some(5_000_000));
        assert!(view.links_to_full_size());
        assert_eq!(
            view.html(),
            format!(
                "<p><a href=\"{url}\"><img src=\"{}\" alt=\"A &quot;view&quot;\" \
                 width=\"1280\" height=\"960\"></a></p>",
                view.src
            )
        );
        assert_eq!(
            own_uploads(&site, [&photo(url)]).collect::<Vec<_>>(),
            [original]
        );
    }

    #[test]
    fn a_hotlinked_photo_has_no_size() {
        let site = site();
        let elsewhere = format!(
            "https://elsewhere.example/media/{}",
            path('c', ImageKind::Png)
        );
        let view = PhotoView::new(&site, &photo(elsewhere.clone()), &MediaLookup::new());
        assert_eq!(
            (view.src.as_str(), view.width, &view.file),
            (elsewhere.as_str(), None, &None)
        );
        assert!(!view.html().contains("width"));
        assert_eq!(own_uploads(&site, [&photo(elsewhere)]).count(), 0);
    }
}
