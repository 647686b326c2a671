//! The copy of a wide image that pages show: a phone's 4000-pixel photo
//! is several megabytes, and no page of this site is more than a few
//! hundred CSS pixels wide.

use image::DynamicImage;
use image::imageops::FilterType;

use super::{CleanImage, ImageKind, encode};

/// The widest copy pages show: enough for a 42rem column on a screen of
/// twice the usual density.
pub const WEB_WIDTH: u32 = 1280;

/// A copy at most [`WEB_WIDTH`] wide, in the image's own format, or `None`
/// when the image is no wider than that.
pub(super) fn web_copy(
    kind: ImageKind,
    image: &DynamicImage,
) -> Result<Option<CleanImage>, image::ImageError> {
    let (width, height) = (image.width(), image.height());
    if width <= WEB_WIDTH {
        return Ok(None);
    }
    let height = scaled_height(width, height);
    // Lanczos3 keeps fine detail (text, foliage) sharp when shrinking.
    let resized = image.resize_exact(WEB_WIDTH, height, FilterType::Lanczos3);
    Ok(Some(CleanImage {
        kind,
        bytes: encode(kind, &resized)?,
        width: WEB_WIDTH,
        height,
    }))
}

/// The height that keeps the aspect ratio at [`WEB_WIDTH`], rounded, and
/// at least one pixel.
fn scaled_height(width: u32, height: u32) -> u32 {
    let scaled =
        (u64::from(height) * u64::from(WEB_WIDTH) + u64::from(width) / 2) / u64::from(width);
    u32::try_from(scaled.max(1)).expect("smaller than the original height")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::prepare;
    use crate::media::tests::png;

    #[test]
    fn a_wide_image_gets_a_copy_of_the_same_shape() {
        let prepared = prepare(&png(2560, 30)).expect("a PNG is kept");
        assert_eq!((prepared.image.width, prepared.image.height), (2560, 30));
        let web = prepared.web.expect("a web copy");
        assert_eq!(
            (web.kind, web.width, web.height),
            (ImageKind::Png, 1280, 15)
        );
        let decoded = image::load_from_memory(&web.bytes).expect("the copy decodes");
        assert_eq!((decoded.width(), decoded.height()), (1280, 15));
    }

    #[test]
    fn an_image_as_wide_as_a_page_gets_none() {
        assert_eq!(prepare(&png(WEB_WIDTH, 20)).expect("kept").web, None);
    }

    #[test]
    fn heights_round_and_never_vanish() {
        assert_eq!(scaled_height(4000, 3000), 960);
        assert_eq!(scaled_height(3000, 1), 1);
        assert_eq!(scaled_height(1281, 1281), 1280);
    }
}
