//! Slugs: the permanent, URL-safe name of a note.

use std::fmt;

use chrono::{DateTime, Utc};

use super::plain_text;

/// Longest slug, in bytes (all ASCII).
pub const MAX_SLUG_LEN: usize = 100;

/// How many words of a note's text make its slug.
const SLUG_WORDS: usize = 5;

/// Path segments the site uses (or will use) for itself; a note may not take
/// them, so that no note can ever shadow a page of the site.
pub const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "api",
    "archive",
    "assets",
    "auth",
    "callback",
    "category",
    "dashboard",
    "drafts",
    "favicon",
    "feed",
    "feeds",
    "health",
    "index",
    "login",
    "logout",
    "media",
    "micropub",
    "new",
    "note",
    "notes",
    "opml",
    "page",
    "robots",
    "rss",
    "search",
    "settings",
    "sitemap",
    "static",
    "tag",
    "tags",
    "token",
    "webmention",
    "well-known",
];

/// A slug that is valid: `a-z`, `0-9` and single inner hyphens, at most
/// 100 characters, not reserved. Once a note has one it never changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SlugError {
    #[error("the slug is empty")]
    Empty,
    #[error("the slug is longer than {MAX_SLUG_LEN} characters")]
    TooLong,
    #[error(
        "the slug {0:?} may only contain lowercase letters a-z, digits and single hyphens between them"
    )]
    InvalidCharacters(String),
    #[error("the slug {0:?} is reserved for the site's own pages; choose another")]
    Reserved(String),
}

impl Slug {
    /// Accepts a slug given by the author exactly as it is, or says why not.
    pub fn parse(text: &str) -> Result<Slug, SlugError> {
        if text.is_empty() {
            return Err(SlugError::Empty);
        }
        if text.len() > MAX_SLUG_LEN {
            return Err(SlugError::TooLong);
        }
        let well_formed = text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !well_formed {
            return Err(SlugError::InvalidCharacters(text.to_owned()));
        }
        if RESERVED_SLUGS.contains(&text) {
            return Err(SlugError::Reserved(text.to_owned()));
        }
        Ok(Slug(text.to_owned()))
    }

    /// Makes a slug from a note's Markdown: the first words of its plain
    /// text (what a reader sees, as for the title: no markup, tags or link
    /// targets), transliterated to ASCII, lowercased, with hyphens between.
    /// Text with nothing usable (only symbols, say) gets a `YYYYMMDDHHMMSS`
    /// timestamp instead.
    ///
    /// Only for new notes: a stored slug is read back with `from_stored` and
    /// never made again, so changing this rule never moves a permalink.
    pub fn from_content(markdown: &str, now: DateTime<Utc>) -> Slug {
        let words: Vec<String> = deunicode::deunicode(&plain_text(markdown))
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(SLUG_WORDS)
            .map(str::to_ascii_lowercase)
            .collect();
        let mut slug = String::new();
        for word in &words {
            let extra = usize::from(!slug.is_empty()) + word.len();
            if slug.len() + extra > MAX_SLUG_LEN {
                if slug.is_empty() {
                    slug.push_str(&word[..MAX_SLUG_LEN]);
                }
                break;
            }
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(word);
        }
        match Slug::parse(&slug) {
            Ok(slug) => slug,
            Err(_) => Slug::timestamp(now),
        }
    }

    /// A slug read back from the database: valid when it was stored, and
    /// kept even if a later version reserves the word.
    pub(crate) fn from_stored(slug: String) -> Slug {
        Slug(slug)
    }

    /// A `YYYYMMDDHHMMSS` slug.
    pub fn timestamp(now: DateTime<Utc>) -> Slug {
        Slug(now.format("%Y%m%d%H%M%S").to_string())
    }

    /// The `n`th alternative when the slug is taken: `slug-2`, `slug-3`, …
    /// (shortened so the suffix still fits).
    pub fn with_suffix(&self, n: u32) -> Slug {
        let suffix = format!("-{n}");
        let keep = self.0.len().min(MAX_SLUG_LEN - suffix.len());
        let base = self.0[..keep].trim_end_matches('-');
        Slug(format!("{base}{suffix}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 20, 30).unwrap()
    }

    fn slug_of(text: &str) -> String {
        Slug::from_content(text, now()).to_string()
    }

    #[test]
    fn takes_the_first_five_words_lowercased() {
        assert_eq!(
            slug_of("Hello World! This is my very first note."),
            "hello-world-this-is-my"
        );
        assert_eq!(slug_of("# A Heading\n\nbody"), "a-heading-body");
        assert_eq!(
            slug_of("  --Spaces   and---hyphens-- "),
            "spaces-and-hyphens"
        );
    }

    #[test]
    fn comes_from_the_text_a_reader_sees_not_the_markup() {
        assert_eq!(slug_of("[my post](https://e.com/x)"), "my-post");
        assert_eq!(slug_of("<b>Hi</b> there"), "hi-there");
        assert_eq!(
            slug_of("**Bold** _move_: see <https://e.com> now"),
            "bold-move-see-https-e"
        );
        assert_eq!(slug_of("![](https://e.com/cat.png)\n\nA cat"), "a-cat");
        assert_eq!(
            slug_of("<script>alert(1)</script> Safe words"),
            "safe-words"
        );
        assert_eq!(slug_of("<img src=\"a.png\">"), "20261123102030");
    }

    #[test]
    fn transliterates_accents_and_other_scripts() {
        assert_eq!(slug_of("Café crème à Zürich"), "cafe-creme-a-zurich");
        assert_eq!(slug_of("Привет мир"), "privet-mir");
        assert!(Slug::parse(&slug_of("東京の天気")).is_ok());
    }

    #[test]
    fn falls_back_to_a_timestamp() {
        assert_eq!(slug_of("!!! ??? ..."), "20261123102030");
        assert_eq!(slug_of(""), "20261123102030");
    }

    #[test]
    fn is_at_most_100_characters() {
        let long = "a".repeat(150);
        assert_eq!(slug_of(&long).len(), 100);
        let words = format!("{} {}", "b".repeat(60), "c".repeat(60));
        assert_eq!(slug_of(&words), "b".repeat(60));
    }

    #[test]
    fn a_reserved_first_word_is_not_used_alone() {
        assert_eq!(slug_of("admin"), "20261123102030");
        assert_eq!(slug_of("Admin notes today"), "admin-notes-today");
    }

    #[test]
    fn parse_refuses_bad_and_reserved_slugs() {
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        assert_eq!(Slug::parse(&"x".repeat(101)), Err(SlugError::TooLong));
        for bad in [
            "Hello", "a--b", "-a", "a-", "a b", "a/b", "../etc", "a_b", "é",
        ] {
            assert!(
                matches!(Slug::parse(bad), Err(SlugError::InvalidCharacters(_))),
                "{bad}"
            );
        }
        for reserved in [
            "admin", "feed", "static", "micropub", "health", "tag", "search", "media",
        ] {
            assert_eq!(
                Slug::parse(reserved),
                Err(SlugError::Reserved(reserved.into()))
            );
        }
        assert!(Slug::parse("my-first-note-2").is_ok());
    }

    #[test]
    fn suffixes_keep_within_the_limit() {
        let s = Slug::parse("hello").unwrap();
        assert_eq!(s.with_suffix(2).as_str(), "hello-2");
        let long = Slug::parse(&"a".repeat(100)).unwrap();
        let next = long.with_suffix(12);
        assert_eq!(next.as_str().len(), 100);
        assert!(next.as_str().ends_with("-12"));
    }
}
