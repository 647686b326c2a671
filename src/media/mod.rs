//! Uploaded images: recognised by their content, never by the name or type
//! the client gave, turned upright and cleaned of metadata, with a smaller
//! copy for pages when they are wide. Pure: bytes in, bytes out; the store
//! keeps the result.

mod avatar;
mod web;

pub use avatar::{AVATAR_SIDE, avatar};
pub use web::WEB_WIDTH;

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPDecoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// JPEG quality of a re-encoded photo: indistinguishable from most
/// cameras' own output, and still smaller.
const JPEG_QUALITY: u8 = 90;

/// The widest or tallest image accepted. Decoding allocates by pixels, not
/// by file size, so a small file must not stand for an enormous image.
const MAX_SIDE: u32 = 16_384;

/// The kinds of image the site keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Gif,
    WebP,
}

impl ImageKind {
    /// Every kind the site keeps.
    pub const ALL: [ImageKind; 4] = [
        ImageKind::Jpeg,
        ImageKind::Png,
        ImageKind::Gif,
        ImageKind::WebP,
    ];

    /// The kind the bytes are, by their signature.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        match image::guess_format(bytes).ok()? {
            ImageFormat::Jpeg => Some(ImageKind::Jpeg),
            ImageFormat::Png => Some(ImageKind::Png),
            ImageFormat::Gif => Some(ImageKind::Gif),
            ImageFormat::WebP => Some(ImageKind::WebP),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Gif => "image/gif",
            ImageKind::WebP => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpg",
            ImageKind::Png => "png",
            ImageKind::Gif => "gif",
            ImageKind::WebP => "webp",
        }
    }

    /// The kind a stored file's extension names.
    pub fn from_extension(extension: &str) -> Option<ImageKind> {
        ImageKind::ALL
            .into_iter()
            .find(|kind| kind.extension() == extension)
    }

    fn format(self) -> ImageFormat {
        match self {
            ImageKind::Jpeg => ImageFormat::Jpeg,
            ImageKind::Png => ImageFormat::Png,
            ImageKind::Gif => ImageFormat::Gif,
            ImageKind::WebP => ImageFormat::WebP,
        }
    }
}

/// An image ready to be kept: its bytes as they will be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanImage {
    pub kind: ImageKind,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// An upload as it will be kept: the image, and a copy at most
/// [`WEB_WIDTH`] pixels wide for pages when the image is wider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedImage {
    pub image: CleanImage,
    pub web: Option<CleanImage>,
}

/// Why an upload is not an image the site keeps.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the file is not a JPEG, PNG, GIF or WebP image")]
    NotAnImage,
    #[error("the file looks like a {} image but cannot be read", .0.extension())]
    Unreadable(ImageKind, #[source] image::ImageError),
    #[error("the image is larger than {MAX_SIDE} pixels on a side")]
    TooManyPixels,
}

/// The upload as it will be kept: upright, and without EXIF, XMP or any
/// other metadata (camera, location, time), because it is decoded to
/// pixels and encoded again. Animated GIFs and WebPs are kept as uploaded,
/// since re-encoding keeps only their first frame; GIF carries no EXIF.
/// They get no smaller copy either, for the same reason.
pub fn prepare(bytes: &[u8]) -> Result<PreparedImage, ImageError> {
    let kind = ImageKind::sniff(bytes).ok_or(ImageError::NotAnImage)?;
    let unreadable = |e| ImageError::Unreadable(kind, e);
    if kind == ImageKind::Gif || (kind == ImageKind::WebP && is_animated_webp(bytes)) {
        let (width, height) = dimensions(kind, bytes)?;
        let image = CleanImage {
            kind,
            bytes: bytes.to_vec(),
            width,
            height,
        };
        return Ok(PreparedImage { image, web: None });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|e| refusal(kind, e))?;
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| refusal(kind, e))?;
    image.apply_orientation(orientation);
    let web = web::web_copy(kind, &image).map_err(unreadable)?;
    let bytes = encode(kind, &image).map_err(unreadable)?;
    let image = CleanImage {
        kind,
        bytes,
        width: image.width(),
        height: image.height(),
    };
    Ok(PreparedImage { image, web })
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits
}

fn refusal(kind: ImageKind, error: image::ImageError) -> ImageError {
    match error {
        image::ImageError::Limits(_) => ImageError::TooManyPixels,
        e => ImageError::Unreadable(kind, e),
    }
}

/// Width and height from the header, without decoding the pixels.
fn dimensions(kind: ImageKind, bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(limits());
    let decoder = reader.into_decoder().map_err(|e| refusal(kind, e))?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::TooManyPixels);
    }
    Ok((width, height))
}

fn is_animated_webp(bytes: &[u8]) -> bool {
    WebPDecoder::new(Cursor::new(bytes)).is_ok_and(|decoder| decoder.has_animation())
}

/// The pixels in the upload's own format. None of these encoders writes
/// metadata.
fn encode(kind: ImageKind, image: &DynamicImage) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Cursor::new(Vec::new());
    match kind {
        ImageKind::Jpeg => {
            // JPEG has no alpha and at most 8 bits a channel.
            let pixels = match image {
                DynamicImage::ImageLuma8(_) => image.clone(),
                _ => DynamicImage::ImageRgb8(image.to_rgb8()),
            };
            pixels.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))?;
        }
        ImageKind::WebP => {
            // The WebP encoder is lossless and takes 8-bit RGB(A) only.
            let pixels = if image.color().has_alpha() {
                DynamicImage::ImageRgba8(image.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(image.to_rgb8())
            };
            pixels.write_to(&mut out, ImageFormat::WebP)?;
        }
        ImageKind::Png | ImageKind::Gif => image.write_to(&mut out, kind.format())?,
    }
    Ok(out.into_inner())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(super) fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::new_rgb8(width, height)
            .write_to(&mut out, ImageFormat::Png)
            .expect("a PNG encodes");
        out.into_inner()
    }

    #[test]
    fn text_is_not_an_image() {
        assert!(matches!(
            prepare(b"just some text, named photo.jpg"),
            Err(ImageError::NotAnImage)
        ));
    }

    #[test]
    fn a_truncated_image_is_unreadable() {
        let bytes = png(4, 4);
        assert!(matches!(
            prepare(&bytes[..30]),
            Err(ImageError::Unreadable(ImageKind::Png, _))
        ));
    }

    #[test]
    fn a_png_keeps_its_size_and_kind() {
        let prepared = prepare(&png(3, 2)).expect("a PNG is kept");
        assert_eq!(prepared.web, None);
        let image = prepared.image;
        assert_eq!(
            (image.kind, image.width, image.height),
            (ImageKind::Png, 3, 2)
        );
        assert_eq!(ImageKind::sniff(&image.bytes), Some(ImageKind::Png));
    }

    #[test]
    fn extensions_name_kinds() {
        for kind in [
            ImageKind::Jpeg,
            ImageKind::Png,
            ImageKind::Gif,
            ImageKind::WebP,
        ] {
            assert_eq!(ImageKind::from_extension(kind.extension()), Some(kind));
        }
        assert_eq!(ImageKind::from_extension("svg"), None);
    }
}
