//! The editor's photo field (`templates/admin/_photos.html`): the photos
//! of the note being written, each with its thumbnail, its description
//! and the buttons that move and remove it; what went wrong with the files
//! just chosen; and the photos as the note's page will show them, for the
//! preview.

use super::PhotoView;
use crate::media::ImageKind;

/// The photo field.
#[derive(Debug, Clone, Default)]
pub struct PhotoField {
    pub items: Vec<PhotoItem>,
    /// Why chosen files were not added, or photos cannot be saved yet.
    pub problems: Vec<String>,
    /// What the last step did ("Added 2 photos …").
    pub notice: Option<String>,
    /// The largest file taken, in bytes and in words ("10 MB").
    pub max_bytes: u64,
    pub max_size: String,
    pub max_photos: usize,
    /// The photos as the note's page shows them.
    pub preview: Vec<PhotoView>,
}

/// One photo of the note being written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoItem {
    /// Its place, from 0 (what the buttons send).
    pub index: usize,
    pub url: String,
    /// What the thumbnail loads: the web copy of an upload, else the photo.
    pub thumbnail: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub alt: String,
    /// What is wrong with it, next to its description.
    pub error: Option<String>,
    /// Whether it is the last one (it cannot move down).
    pub last: bool,
    /// Whether it is the script's pattern for photos it adds, not a photo.
    pub blank: bool,
}

impl PhotoItem {
    /// Its place as people count, from 1.
    pub fn number(&self) -> usize {
        self.index + 1
    }

    /// What its ids end in: its number, or `new` for the script's pattern
    /// (which the script numbers), so no two ids on the page are the same.
    pub fn key(&self) -> String {
        if self.blank {
            "new".to_owned()
        } else {
            self.number().to_string()
        }
    }
}

impl PhotoField {
    /// The file field's `accept`: the kinds of image the site keeps.
    pub fn accept(&self) -> String {
        ImageKind::ALL
            .iter()
            .map(|kind| kind.content_type())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// What the script copies for each photo it adds: an item with no
    /// photo yet.
    pub fn blank(&self) -> PhotoItem {
        PhotoItem {
            thumbnail: "data:,".into(),
            last: true,
            blank: true,
            ..PhotoItem::default()
        }
    }

    /// Ids the file field is described by.
    pub fn described_by(&self) -> &'static str {
        if self.problems.is_empty() {
            "photos-hint"
        } else {
            "photos-hint photos-error"
        }
    }
}

/// A size in the units people read ("10 MB", "350 kB", "512 bytes").
pub fn human_size(bytes: u64) -> String {
    let (value, unit) = match bytes {
        0..1_000 => return format!("{bytes} bytes"),
        1_000..1_000_000 => (bytes as f64 / 1e3, "kB"),
        1_000_000..1_000_000_000 => (bytes as f64 / 1e6, "MB"),
        _ => (bytes as f64 / 1e9, "GB"),
    };
    let text = format!("{value:.1}");
    format!("{} {unit}", text.trim_end_matches(".0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(350_000), "350 kB");
        assert_eq!(human_size(10_000_000), "10 MB");
        assert_eq!(human_size(1_234_567), "1.2 MB");
        assert_eq!(human_size(2_500_000_000), "2.5 GB");
    }

    #[test]
    fn the_field_accepts_the_kinds_the_site_keeps() {
        assert_eq!(
            PhotoField::default().accept(),
            "image/jpeg,image/png,image/gif,image/webp"
        );
    }
}
