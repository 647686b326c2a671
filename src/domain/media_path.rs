//! Where an uploaded image lives, relative to the media folder:
//! `YYYY/MM/<random>.<ext>`. Anything else in a `/media/…` URL is refused
//! before it comes near the disk, so no request can leave the folder.

use std::fmt;

use chrono::{DateTime, Datelike, Utc};

use crate::media::ImageKind;

/// Length of the random part of a name: [`random_token`]'s 43 characters.
///
/// [`random_token`]: crate::random::random_token
const RANDOM_CHARS: usize = 43;

/// A media file's path, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaPath(String);

impl MediaPath {
    /// A new name for an upload made at `now`; `random` is an unguessable
    /// token.
    pub fn new(now: DateTime<Utc>, random: &str, kind: ImageKind) -> Option<MediaPath> {
        let path = format!(
            "{:04}/{:02}/{random}.{}",
            now.year(),
            now.month(),
            kind.extension()
        );
        MediaPath::parse(&path)
    }

    /// Accepts exactly `YYYY/MM/<43 URL-safe characters>.<jpg|png|gif|webp>`.
    pub fn parse(text: &str) -> Option<MediaPath> {
        let mut parts = text.split('/');
        let (Some(year), Some(month), Some(name), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let month_ok = digits(month, 2) && matches!(month.parse::<u8>(), Ok(1..=12));
        let (random, extension) = name.split_once('.')?;
        let random_ok = random.len() == RANDOM_CHARS
            && random
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        (digits(year, 4) && month_ok && random_ok && ImageKind::from_extension(extension).is_some())
            .then(|| MediaPath(text.to_owned()))
    }

    /// The upload a photo URL names: the path after its last `/media/`.
    /// Any host will do, so a note keeps its uploads after the site moves
    /// to another address; the random names make a mistaken match
    /// practically impossible.
    pub fn in_url(url: &str) -> Option<MediaPath> {
        let (_, path) = url.rsplit_once("/media/")?;
        MediaPath::parse(path)
    }

    /// Every upload a note's text links or shows (`/media/` followed by a
    /// media path, wherever it stands: Markdown, HTML or a bare URL), so an
    /// image an app put inside the text counts as used like a photo does.
    pub fn all_in_text(text: &str) -> Vec<MediaPath> {
        // `YYYY/MM/` + the random name + `.` + a 3 or 4 letter extension.
        const LENGTHS: [usize; 2] = [8 + RANDOM_CHARS + 4, 8 + RANDOM_CHARS + 5];
        let mut found: Vec<MediaPath> = Vec::new();
        for (at, marker) in text.match_indices("/media/") {
            let start = at + marker.len();
            let path = LENGTHS
                .iter()
                .filter_map(|&n| text.get(start..start + n))
                .find_map(MediaPath::parse);
            if let Some(path) = path.filter(|p| !found.contains(p)) {
                found.push(path);
            }
        }
        found
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The kind its extension names.
    pub fn kind(&self) -> ImageKind {
        self.0
            .rsplit_once('.')
            .and_then(|(_, extension)| ImageKind::from_extension(extension))
            .expect("a parsed media path ends in a known extension")
    }
}

impl fmt::Display for MediaPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANDOM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_0123";

    #[test]
    fn a_new_path_parses_back() {
        let now = DateTime::parse_from_rfc3339("2026-03-04T05:06:07Z")
            .expect("a valid date")
            .with_timezone(&Utc);
        let path = MediaPath::new(now, RANDOM, ImageKind::Png).expect("a valid path");
        assert_eq!(path.as_str(), format!("2026/03/{RANDOM}.png"));
        assert_eq!(MediaPath::parse(path.as_str()), Some(path.clone()));
        assert_eq!(path.kind(), ImageKind::Png);
    }

    #[test]
    fn photo_urls_name_their_upload() {
        let path = format!("2026/03/{RANDOM}.jpg");
        for url in [
            format!("https://example.com/media/{path}"),
            format!("http://old.example/blog/media/{path}"),
        ] {
            assert_eq!(MediaPath::in_url(&url), MediaPath::parse(&path), "{url}");
        }
        assert_eq!(MediaPath::in_url("https://example.com/photo.jpg"), None);
        assert_eq!(
            MediaPath::in_url(&format!("https://example.com/media/{path}?size=2")),
            None
        );
    }

    #[test]
    fn uploads_inside_a_notes_text_are_found_once_each() {
        let jpg = format!("2026/03/{RANDOM}.jpg");
        let webp = format!("2026/04/{RANDOM}.webp");
        let text = format!(
            "![a cat](https://example.com/media/{jpg}) and again /media/{jpg}.\n\
             <img src=\"https://example.com/media/{webp}\" alt=\"\"> \
             not /media/2026/03/short.jpg nor /media/{jpg}x"
        );
        assert_eq!(
            MediaPath::all_in_text(&text),
            vec![
                MediaPath::parse(&jpg).unwrap(),
                MediaPath::parse(&webp).unwrap()
            ]
        );
        assert!(MediaPath::all_in_text("no images here").is_empty());
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            format!("../03/{RANDOM}.png"),
            format!("2026/../{RANDOM}.png"),
            format!("2026/03/../{RANDOM}.png"),
            format!("2026/13/{RANDOM}.png"),
            format!("2026/03/{RANDOM}.svg"),
            format!("2026/03/{RANDOM}.png.png"),
            format!("/2026/03/{RANDOM}.png"),
            format!("2026/03/sub/{RANDOM}.png"),
            format!("2026/03/{}.png", &RANDOM[1..]),
            format!("2026/03/{}%2e.png", &RANDOM[3..]),
            "2026/03/.png".to_owned(),
            String::new(),
        ] {
            assert_eq!(MediaPath::parse(&bad), None, "{bad}");
        }
    }
}
