//! A search as a visitor typed it, and the FTS5 query made from it.

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// A search of one or more words. Each word is matched as typed (quoted,
/// so no FTS5 syntax from a visitor is ever interpreted); a word ending in
/// `*` matches as a prefix. Whitespace and control characters separate
/// words (see [`SearchQuery::tidy`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    text: String,
    fts: String,
    terms: Vec<SearchTerm>,
}

/// One word of a query, as typed (without a final `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm {
    pub word: String,
    /// `word*`: matches words that start with it.
    pub prefix: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SearchQueryError {
    #[error("Type a word or two to search for.")]
    Empty,
    #[error("The search is longer than {MAX_QUERY_CHARS} characters; try fewer words.")]
    TooLong,
    #[error("The search has no letters or digits to look for.")]
    NothingToFind,
    #[error(
        "The search holds bytes that are not text (UTF-8), so it cannot be looked for; type it again."
    )]
    NotText,
}

impl SearchQuery {
    /// The words of `text`, one space between each. Control characters
    /// (U+0000 to U+001F, U+007F to U+009F) separate words as spaces do: no
    /// one types them as part of a word, a page cannot show them, and FTS5
    /// reads a string only up to a NUL.
    pub fn tidy(text: &str) -> String {
        text.split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|word| !word.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A query from bytes as they arrived, which must be UTF-8.
    pub fn parse_bytes(bytes: &[u8]) -> Result<SearchQuery, SearchQueryError> {
        let text = std::str::from_utf8(bytes).map_err(|_| SearchQueryError::NotText)?;
        SearchQuery::parse(text)
    }

    /// A query from what a visitor typed: its words (see
    /// [`SearchQuery::tidy`]), at most [`MAX_QUERY_CHARS`] characters.
    pub fn parse(text: &str) -> Result<SearchQuery, SearchQueryError> {
        let text = SearchQuery::tidy(text);
        if text.is_empty() {
            return Err(SearchQueryError::Empty);
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchQueryError::TooLong);
        }
        let terms: Vec<SearchTerm> = text
            .split(' ')
            .filter(|word| word.chars().any(char::is_alphanumeric))
            .map(|word| match word.strip_suffix('*') {
                Some(stem) if stem.chars().any(char::is_alphanumeric) => SearchTerm {
                    word: stem.to_owned(),
                    prefix: true,
                },
                _ => SearchTerm {
                    word: word.to_owned(),
                    prefix: false,
                },
            })
            .collect();
        if terms.is_empty() {
            return Err(SearchQueryError::NothingToFind);
        }
        let fts = terms.iter().map(fts_phrase).collect::<Vec<_>>().join(" ");
        Ok(SearchQuery { fts, text, terms })
    }

    /// The query as typed, spaces tidied: for the search box and headings.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The words searched for.
    pub fn terms(&self) -> &[SearchTerm] {
        &self.terms
    }

    /// The FTS5 MATCH expression: every word must occur.
    pub fn fts(&self) -> &str {
        &self.fts
    }
}

/// One term as an FTS5 string: in double quotes, a quote inside doubled,
/// and nothing else special. A string ends at a NUL, which
/// [`SearchQuery::tidy`] has already taken out of every word.
fn fts_phrase(term: &SearchTerm) -> String {
    debug_assert!(!term.word.contains('\0'));
    let quoted = format!("\"{}\"", term.word.replace('"', "\"\""));
    if term.prefix { quoted + "*" } else { quoted }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_so_no_syntax_gets_through() {
        let q = SearchQuery::parse("  rust   NEAR(a b) \"x ").unwrap();
        assert_eq!(q.as_str(), "rust NEAR(a b) \"x");
        assert_eq!(q.fts(), r#""rust" "NEAR(a" "b)" """x""#);
        assert_eq!(SearchQuery::parse("feed*").unwrap().fts(), "\"feed\"*");
        assert_eq!(SearchQuery::parse("a * -").unwrap().fts(), "\"a\"");
    }

    #[test]
    fn control_characters_separate_words() {
        let q = SearchQuery::parse("quokka\0x\u{1}y\u{7f}z\u{9f}\u{1f}").unwrap();
        assert_eq!(q.as_str(), "quokka x y z");
        assert_eq!(q.fts(), r#""quokka" "x" "y" "z""#);
        assert_eq!(SearchQuery::parse("quokka\0").unwrap().fts(), "\"quokka\"");
        assert_eq!(
            SearchQuery::parse("\0\u{1b}\u{7f}"),
            Err(SearchQueryError::Empty)
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused() {
        // A lone surrogate, as `%ED%A0%80` arrives.
        assert_eq!(
            SearchQuery::parse_bytes(b"quokka \xed\xa0\x80"),
            Err(SearchQueryError::NotText)
        );
        assert_eq!(
            SearchQuery::parse_bytes(b"\xff"),
            Err(SearchQueryError::NotText)
        );
        assert_eq!(
            SearchQuery::parse_bytes("café".as_bytes())
                .unwrap()
                .as_str(),
            "café"
        );
    }

    #[test]
    fn empty_long_and_symbol_only_queries_are_refused() {
        assert_eq!(SearchQuery::parse(" \t"), Err(SearchQueryError::Empty));
        assert_eq!(
            SearchQuery::parse(&"a".repeat(201)),
            Err(SearchQueryError::TooLong)
        );
        assert!(SearchQuery::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            SearchQuery::parse("*** --"),
            Err(SearchQueryError::NothingToFind)
        );
    }
}
