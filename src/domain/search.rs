//! A search as a visitor typed it, and the FTS5 query made from it.

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// A search of one or more words. Each word is matched as typed (quoted,
/// so no FTS5 syntax from a visitor is ever interpreted); a word ending in
/// `*` matches as a prefix.
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
}

impl SearchQuery {
    pub fn parse(text: &str) -> Result<SearchQuery, SearchQueryError> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
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
        let fts = terms
            .iter()
            .map(|term| {
                let quoted = format!("\"{}\"", term.word.replace('"', "\"\""));
                if term.prefix { quoted + "*" } else { quoted }
            })
            .collect::<Vec<_>>()
            .join(" ");
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
