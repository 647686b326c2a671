//! Tags (categories): the name the author wrote, and the URL form that
//! identifies the tag (`/tag/{url form}`).

use std::fmt;

/// Longest tag name, in characters.
pub const MAX_TAG_CHARS: usize = 50;

/// Most tags on one note.
pub const MAX_TAGS_PER_NOTE: usize = 20;

/// A tag: its display name as first written ("Rust Lang") and its URL form
/// (`rust-lang`): ASCII `a-z0-9` with single inner hyphens. Two names with
/// the same URL form are the same tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    key: String,
    name: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TagError {
    #[error("the tag is empty")]
    Empty,
    #[error("the tag {0:?} is longer than {MAX_TAG_CHARS} characters")]
    TooLong(String),
    #[error("the tag {0:?} has no letters or digits to make its address from")]
    NoLettersOrDigits(String),
    #[error("the tag {0:?} contains control characters")]
    ControlCharacters(String),
    #[error("a note can have at most {MAX_TAGS_PER_NOTE} tags")]
    TooMany,
}

impl Tag {
    /// A tag as the author typed it: surrounding space and a leading `#`
    /// dropped, inner runs of space made one.
    pub fn parse(text: &str) -> Result<Tag, TagError> {
        let trimmed = text.trim().trim_start_matches('#').trim();
        let name = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(TagError::Empty);
        }
        if name.chars().any(char::is_control) {
            return Err(TagError::ControlCharacters(name));
        }
        if name.chars().count() > MAX_TAG_CHARS {
            return Err(TagError::TooLong(name));
        }
        let key = url_form(&name);
        if key.is_empty() {
            return Err(TagError::NoLettersOrDigits(name));
        }
        Ok(Tag { key, name })
    }

    /// Parses a list, in order, dropping repeats of the same tag (by URL
    /// form; the first name written wins).
    pub fn parse_list<S: AsRef<str>>(texts: &[S]) -> Result<Vec<Tag>, TagError> {
        let mut tags: Vec<Tag> = Vec::new();
        for text in texts {
            let tag = Tag::parse(text.as_ref())?;
            if !tags.iter().any(|t| t.key == tag.key) {
                tags.push(tag);
            }
        }
        if tags.len() > MAX_TAGS_PER_NOTE {
            return Err(TagError::TooMany);
        }
        Ok(tags)
    }

    /// A tag read back from the database, valid when stored.
    pub(crate) fn from_stored(key: String, name: String) -> Tag {
        Tag { key, name }
    }

    /// The URL form, `/tag/{key}`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The name to show.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// `Café Society` → `cafe-society`: transliterated to ASCII, lowercased,
/// anything else between letters and digits made one hyphen.
pub fn url_form(name: &str) -> String {
    deunicode::deunicode(name)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_tidied_and_keys_are_url_safe() {
        let tag = Tag::parse("  #Rust   Lang ").unwrap();
        assert_eq!(tag.name(), "Rust Lang");
        assert_eq!(tag.key(), "rust-lang");
        assert_eq!(Tag::parse("Café Society").unwrap().key(), "cafe-society");
        assert_eq!(Tag::parse("C++").unwrap().key(), "c");
        assert_eq!(Tag::parse("日本").unwrap().key(), "ri-ben");
    }

    #[test]
    fn unusable_tags_are_refused_with_a_reason() {
        assert_eq!(Tag::parse("  # "), Err(TagError::Empty));
        assert!(matches!(
            Tag::parse("!!!"),
            Err(TagError::NoLettersOrDigits(_))
        ));
        assert!(matches!(
            Tag::parse(&"x".repeat(51)),
            Err(TagError::TooLong(_))
        ));
        assert!(matches!(
            Tag::parse("a\u{7}b"),
            Err(TagError::ControlCharacters(_))
        ));
    }

    #[test]
    fn a_list_keeps_the_first_spelling_of_each_tag() {
        let tags = Tag::parse_list(&["Rust", "rust", "#RUST", "Web"]).unwrap();
        let names: Vec<&str> = tags.iter().map(Tag::name).collect();
        assert_eq!(names, ["Rust", "Web"]);
        let many: Vec<String> = (0..21).map(|n| format!("t{n}")).collect();
        assert_eq!(Tag::parse_list(&many), Err(TagError::TooMany));
    }
}
