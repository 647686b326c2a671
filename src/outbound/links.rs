//! Finding a link relation on a fetched page: in HTTP `Link` headers
//! (RFC 8288) and in HTML `<link>` elements.

use scraper::{Html, Selector};

/// One link of a `Link` header: its target as written and its relation
/// types in lower case (they compare case-insensitively).
#[derive(Debug, PartialEq, Eq)]
pub struct HeaderLink {
    pub target: String,
    pub rels: Vec<String>,
}

/// The target of the first link with relation `rel` in a list of `Link`
/// header values, as written (perhaps relative).
pub fn first_in_headers<'a>(
    headers: impl IntoIterator<Item = &'a String>,
    rel: &str,
) -> Option<String> {
    headers
        .into_iter()
        .flat_map(|value| parse_link_header(value))
        .find(|link| link.rels.iter().any(|r| r.eq_ignore_ascii_case(rel)))
        .map(|link| link.target)
}

/// The `href` of the first `<link>` element with relation `rel`, as
/// written. `<a>` and `<area>` elements do not count: IndieAuth discovery
/// reads only `<link>`.
pub fn first_in_html(html: &str, rel: &str) -> Option<String> {
    let document = Html::parse_document(html);
    let links = Selector::parse("link[rel][href]").expect("a valid selector");
    document
        .select(&links)
        .find(|element| element.attr("rel").is_some_and(|rels| has_token(rels, rel)))
        .and_then(|element| element.attr("href"))
        .map(str::to_owned)
}

/// The `href` of the first `<link>` or `<a>` element with relation `rel`
/// in document order, as written: Webmention discovery reads both. An
/// empty `href` is kept (it means the page itself); an element without
/// one is skipped, and so is anything in a comment or in escaped text.
pub fn first_link_or_anchor(html: &str, rel: &str) -> Option<String> {
    let document = Html::parse_document(html);
    let elements = Selector::parse("link[rel][href], a[rel][href]").expect("a valid selector");
    document
        .select(&elements)
        .find(|element| element.attr("rel").is_some_and(|rels| has_token(rels, rel)))
        .and_then(|element| element.attr("href"))
        .map(str::to_owned)
}

/// Whether a space-separated list of relations contains `rel`.
fn has_token(rels: &str, rel: &str) -> bool {
    rels.split_ascii_whitespace()
        .any(|token| token.eq_ignore_ascii_case(rel))
}

/// Parses one `Link` header value: `<target>; param=value; …, <target>…`.
///
/// Commas and semicolons inside `<…>` and quoted strings do not separate
/// anything; parameters may come in any order; only the first `rel` of a
/// link counts (RFC 8288 §3.3). A malformed link is skipped, not the rest.
pub fn parse_link_header(value: &str) -> Vec<HeaderLink> {
    let mut links = Vec::new();
    let mut cursor = Cursor::new(value);
    loop {
        cursor.skip(|c| c == ',' || is_ows(c));
        if cursor.at_end() {
            return links;
        }
        if !cursor.eat('<') {
            cursor.skip_to_next_link();
            continue;
        }
        let Some(target) = cursor.take_until('>') else {
            return links;
        };
        let mut rel = None;
        while let Some((name, value)) = cursor.next_param() {
            if rel.is_none() && name.eq_ignore_ascii_case("rel") {
                rel = Some(value.unwrap_or_default());
            }
        }
        let rels = rel
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        links.push(HeaderLink {
            target: target.trim().to_owned(),
            rels,
        });
    }
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor { rest: text }
    }

    fn at_end(&self) -> bool {
        self.rest.is_empty()
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn eat(&mut self, expected: char) -> bool {
        match self.rest.strip_prefix(expected) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn skip(&mut self, skipped: impl Fn(char) -> bool) {
        self.rest = self.rest.trim_start_matches(skipped);
    }

    /// The text up to `end`, consuming `end` too; `None` if it never comes.
    fn take_until(&mut self, end: char) -> Option<&'a str> {
        let (taken, rest) = self.rest.split_once(end)?;
        self.rest = rest;
        Some(taken)
    }

    /// The next `; name[=value]` of the current link, or `None` at the end
    /// of the link (a `,` outside quotes, or the end of the header).
    fn next_param(&mut self) -> Option<(&'a str, Option<String>)> {
        loop {
            self.skip(is_ows);
            match self.peek() {
                None | Some(',') => return None,
                Some(';') => {
                    self.rest = &self.rest[1..];
                    self.skip(is_ows);
                    let name = self.take_token();
                    self.skip(is_ows);
                    let value = if self.eat('=') {
                        self.skip(is_ows);
                        Some(self.take_value())
                    } else {
                        None
                    };
                    if !name.is_empty() {
                        return Some((name, value));
                    }
                }
                // Stray text where a `;` or `,` belongs: skip past it.
                Some(_) => {
                    self.take_value();
                }
            }
        }
    }

    fn take_token(&mut self) -> &'a str {
        let end = self
            .rest
            .find(|c: char| matches!(c, ';' | ',' | '=' | '"') || is_ows(c))
            .unwrap_or(self.rest.len());
        let (token, rest) = self.rest.split_at(end);
        self.rest = rest;
        token
    }

    /// A quoted string (with `\` escapes) or a bare token.
    fn take_value(&mut self) -> String {
        if !self.eat('"') {
            let token = self.take_token();
            if token.is_empty() {
                // A stray `=` (or blank) is no value: consume one character
                // so the caller always makes progress, but never the `;` or
                // `,` that ends the value.
                if let Some(c) = self.peek().filter(|c| !matches!(c, ';' | ',')) {
                    self.rest = &self.rest[c.len_utf8()..];
                }
            }
            return token.to_owned();
        }
        let mut value = String::new();
        let mut chars = self.rest.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[at + 1..];
                    return value;
                }
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                c => value.push(c),
            }
        }
        // An unterminated quote runs to the end of the header.
        self.rest = "";
        value
    }

    /// Recovers from a link that does not start with `<`.
    fn skip_to_next_link(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                ',' => return,
                '"' => {
                    self.take_value();
                }
                _ => self.rest = &self.rest[c.len_utf8()..],
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(target: &str, rels: &[&str]) -> HeaderLink {
        HeaderLink {
            target: target.to_owned(),
            rels: rels.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn reads_a_plain_link() {
        assert_eq!(
            parse_link_header(r#"<https://example.com/meta>; rel="indieauth-metadata""#),
            vec![link("https://example.com/meta", &["indieauth-metadata"])]
        );
        assert_eq!(
            parse_link_header("</auth>;rel=authorization_endpoint"),
            vec![link("/auth", &["authorization_endpoint"])]
        );
    }

    #[test]
    fn reads_several_links_in_one_header() {
        let header = r#"<https://example.com/webmention>; rel="webmention", </a,b;c>; rel="Micropub Authorization_Endpoint", <https://example.com/x>"#;
        assert_eq!(
            parse_link_header(header),
            vec![
                link("https://example.com/webmention", &["webmention"]),
                link("/a,b;c", &["micropub", "authorization_endpoint"]),
                link("https://example.com/x", &[]),
            ]
        );
    }

    #[test]
    fn parameters_come_in_any_order_and_only_the_first_rel_counts() {
        let header = r#"</meta>; title="a; b, \"c\""; type=application/json ; rel = "indieauth-metadata" ; rel=other"#;
        assert_eq!(
            parse_link_header(header),
            vec![link("/meta", &["indieauth-metadata"])]
        );
    }

    #[test]
    fn a_malformed_link_does_not_hide_the_next() {
        let header = r#"https://no-brackets/; rel="a, b", <https://example.com/ok>; rel=authorization_endpoint"#;
        assert_eq!(
            parse_link_header(header),
            vec![link("https://example.com/ok", &["authorization_endpoint"])]
        );
        assert_eq!(parse_link_header("<unterminated; rel=x"), vec![]);
        assert_eq!(parse_link_header(""), vec![]);
        assert_eq!(
            parse_link_header(r#"<a>; rel="unterminated"#),
            vec![link("a", &["unterminated"])]
        );
        assert_eq!(
            parse_link_header(r#"<a>; =; "x"; rel=b"#),
            vec![link("a", &["b"])]
        );
        assert_eq!(
            parse_link_header("<a>; title=; rel=b"),
            vec![link("a", &["b"])]
        );
    }

    #[test]
    fn the_first_match_across_several_headers_wins() {
        let headers = vec![
            r#"<https://example.com/webmention>; rel="webmention""#.to_owned(),
            r#"</first>; rel="indieauth-metadata", </second>; rel="indieauth-metadata""#.to_owned(),
            r#"</third>; rel="indieauth-metadata""#.to_owned(),
        ];
        assert_eq!(
            first_in_headers(&headers, "indieauth-metadata").as_deref(),
            Some("/first")
        );
        assert_eq!(
            first_in_headers(&headers, "INDIEAUTH-METADATA").as_deref(),
            Some("/first")
        );
        assert_eq!(first_in_headers(&headers, "authorization_endpoint"), None);
    }

    #[test]
    fn html_links_match_a_rel_token_case_insensitively() {
        let html = r#"<!doctype html><html><head>
            <link rel="stylesheet" href="/style.css">
            <link rel="me AUTHORIZATION_ENDPOINT" href="auth">
            <link rel="authorization_endpoint" href="/second">
            </head><body></body></html>"#;
        assert_eq!(
            first_in_html(html, "authorization_endpoint").as_deref(),
            Some("auth")
        );
        assert_eq!(first_in_html(html, "indieauth-metadata"), None);
    }

    #[test]
    fn html_anchors_do_not_count() {
        let html = r#"<html><head><title>x</title></head><body>
            <a rel="indieauth-metadata" href="/from-anchor">not this</a>
            <area rel="indieauth-metadata" href="/from-area">
            <link rel="indieauth-metadata" href="/from-link">
            </body></html>"#;
        assert_eq!(
            first_in_html(html, "indieauth-metadata").as_deref(),
            Some("/from-link")
        );
        let anchors_only = r#"<a rel="indieauth-metadata" href="/x">x</a>"#;
        assert_eq!(first_in_html(anchors_only, "indieauth-metadata"), None);
    }

    #[test]
    fn links_and_anchors_count_in_document_order() {
        let html = r#"<html><head><!-- <link rel="webmention" href="/commented"> --></head>
            <body><code>&lt;a rel="webmention" href="/escaped"&gt;</code>
            <link rel="webmention"><a rel="not-webmention" href="/not">x</a>
            <a rel="nofollow WebMention" href="/anchor">first</a>
            <link rel="webmention" href="/link"></body></html>"#;
        assert_eq!(
            first_link_or_anchor(html, "webmention").as_deref(),
            Some("/anchor")
        );
        let empty = r#"<link rel="webmention" href=""><a rel="webmention" href="/a">a</a>"#;
        assert_eq!(
            first_link_or_anchor(empty, "webmention").as_deref(),
            Some("")
        );
    }

    #[test]
    fn html_rel_must_be_a_whole_token() {
        let html = r#"<link rel="not-authorization_endpoint" href="/a">
            <link rel="authorization_endpoints" href="/b">"#;
        assert_eq!(first_in_html(html, "authorization_endpoint"), None);
    }
}
