//! The text around the words a search matched, with those words marked.
//! Made here from the note's plain text rather than by FTS5's `snippet()`,
//! which re-reads the whole match list for every note shown and cost more
//! than the search itself on a large site.

use rust_stemmers::{Algorithm, Stemmer};

use super::escape;
use crate::domain::SearchTerm;

/// Words shown around the first match.
const WORDS_BEFORE: usize = 8;
const WORDS_SHOWN: usize = 30;

/// A word as the index sees it: lowercase, diacritics removed, stemmed
/// (the index uses SQLite's `porter unicode61 remove_diacritics`; the
/// Snowball English stemmer agrees with it on the words that matter for
/// showing a match).
struct Matcher {
    stemmer: Stemmer,
    terms: Vec<(String, bool)>,
}

impl Matcher {
    fn new(terms: &[SearchTerm]) -> Matcher {
        let stemmer = Stemmer::create(Algorithm::English);
        let terms = terms
            .iter()
            .flat_map(|term| {
                // A typed word may hold several words ("e-mail"): each counts.
                words(&term.word)
                    .map(|(_, w)| {
                        let folded = fold(w);
                        if term.prefix {
                            (folded, true)
                        } else {
                            (stemmer.stem(&folded).into_owned(), false)
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Matcher { stemmer, terms }
    }

    fn matches(&self, word: &str) -> bool {
        let folded = fold(word);
        let stemmed = self.stemmer.stem(&folded);
        self.terms.iter().any(|(term, prefix)| {
            if *prefix {
                folded.starts_with(term.as_str())
            } else {
                stemmed == term.as_str()
            }
        })
    }
}

fn fold(word: &str) -> String {
    deunicode::deunicode(word).to_lowercase()
}

/// The words of a text with their byte offsets: runs of letters and digits.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = None;
    let mut chars = text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')));
    std::iter::from_fn(move || {
        for (i, c) in chars.by_ref() {
            match (start, c.is_alphanumeric()) {
                (None, true) => start = Some(i),
                (Some(s), false) => {
                    start = None;
                    return Some((s, &text[s..i]));
                }
                _ => {}
            }
        }
        None
    })
}

/// Escaped HTML: about thirty words of `text` from just before its first
/// matching word, each match in `<mark>`; the text's start when no word
/// matches (the note matched by a tag, say).
pub fn snippet_html(text: &str, terms: &[SearchTerm]) -> String {
    let matcher = Matcher::new(terms);
    let all: Vec<(usize, &str)> = words(text).collect();
    let first = all.iter().position(|(_, w)| matcher.matches(w));
    let from = first.map_or(0, |i| i.saturating_sub(WORDS_BEFORE));
    let to = (from + WORDS_SHOWN).min(all.len());
    if from >= to {
        return escape(text.trim());
    }
    let mut html = String::new();
    if from > 0 {
        html.push('…');
    }
    let text_start = text.len() - text.trim_start().len();
    // From the text's very start when nothing is cut there.
    let mut at = if from == 0 { 0 } else { all[from].0 };
    at = at.max(text_start);
    for &(start, word) in &all[from..to] {
        html.push_str(&escape(&text[at..start]));
        if matcher.matches(word) {
            html.push_str("<mark>");
            html.push_str(&escape(word));
            html.push_str("</mark>");
        } else {
            html.push_str(&escape(word));
        }
        at = start + word.len();
    }
    if to < all.len() {
        html.push('…');
    } else {
        html.push_str(&escape(text[at..].trim_end()));
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SearchQuery;

    fn snippet(text: &str, query: &str) -> String {
        snippet_html(text, SearchQuery::parse(query).unwrap().terms())
    }

    #[test]
    fn stems_diacritics_and_prefixes_are_marked() {
        assert_eq!(
            snippet("Running to the Café, he runs.", "run cafe"),
            "<mark>Running</mark> to the <mark>Café</mark>, he <mark>runs</mark>."
        );
        assert_eq!(
            snippet("A webmention arrived", "web*"),
            "A <mark>webmention</mark> arrived"
        );
    }

    #[test]
    fn long_texts_are_cut_around_the_first_match() {
        let text = (1..=100)
            .map(|n| format!("w{n}"))
            .collect::<Vec<_>>()
            .join(" ");
        let shown = snippet(&text, "w50");
        assert!(shown.starts_with("…w42 "), "{shown}");
        assert!(shown.contains("<mark>w50</mark>"), "{shown}");
        assert!(shown.ends_with("w71…"), "{shown}");
        // No match (found by a tag): the start of the text.
        assert!(snippet(&text, "elsewhere").starts_with("w1 w2"));
    }

    #[test]
    fn the_text_is_escaped() {
        assert_eq!(
            snippet("<b>bold</b> & \"quoted\" bold", "bold"),
            "&lt;b&gt;<mark>bold</mark>&lt;/b&gt; &amp; &quot;quoted&quot; <mark>bold</mark>"
        );
    }
}
