//! Copies of the pictures of people who reply, like or repost: pages show
//! these instead of the other site's address, so a visitor's browser asks
//! no third party for anything. Small, re-encoded, without metadata.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageReader};

use super::{CleanImage, ImageError, ImageKind, PreparedImage, encode, limits, refusal};

/// The largest side of a kept picture: a face in a row of faces, at twice
/// the usual pixel density.
pub const AVATAR_SIDE: u32 = 96;

/// The picture as it will be kept: its first frame, upright, at most
/// [`AVATAR_SIDE`] pixels on a side, as a PNG.
pub fn avatar(bytes: &[u8]) -> Result<PreparedImage, ImageError> {
    let kind = ImageKind::sniff(bytes).ok_or(ImageError::NotAnImage)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|e| refusal(kind, e))?;
    let orientation = image::ImageDecoder::orientation(&mut decoder)
        .map_err(|e| ImageError::Unreadable(kind, e))?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| refusal(kind, e))?;
    image.apply_orientation(orientation);
    if image.width() > AVATAR_SIDE || image.height() > AVATAR_SIDE {
        image = image.resize(AVATAR_SIDE, AVATAR_SIDE, FilterType::Lanczos3);
    }
    let bytes =
        encode(ImageKind::Png, &image).map_err(|e| ImageError::Unreadable(ImageKind::Png, e))?;
    Ok(PreparedImage {
        image: CleanImage {
            kind: ImageKind::Png,
            bytes,
            width: image.width(),
            height: image.height(),
        },
        web: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::tests::png;

    #[test]
    fn a_large_picture_becomes_a_small_png_of_the_same_shape() {
        let kept = avatar(&png(400, 200)).expect("a PNG is kept").image;
        assert_eq!(
            (kept.kind, kept.width, kept.height),
            (ImageKind::Png, 96, 48)
        );
        let decoded = image::load_from_memory(&kept.bytes).expect("it decodes");
        assert_eq!((decoded.width(), decoded.height()), (96, 48));
    }

    #[test]
    fn a_small_picture_keeps_its_size_and_text_is_refused() {
        let kept = avatar(&png(40, 40)).expect("kept").image;
        assert_eq!((kept.width, kept.height), (40, 40));
        assert!(matches!(avatar(b"<svg/>"), Err(ImageError::NotAnImage)));
    }
}
