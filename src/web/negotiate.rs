//! Proactive content negotiation on `Accept` (RFC 9110 §12.5.1): the media
//! ranges and their weights, and which of several representations a
//! client prefers.
//!
//! Each representation answers to one or more media types, its own first
//! (JSON Feed to `application/feed+json`, then `application/json`). Its
//! weight is that of the most specific range matching any of them (`a/b`
//! over `a/*` over `*/*`; between equally specific ones, the range for its
//! own type): `application/*;q=0.5, application/rss+xml;q=0` refuses RSS
//! although `application/*` would match `application/xml`. The highest
//! weight above zero wins, ties going to the earlier representation.
//! Parameters other than `q` are ignored. Members that do not parse are
//! skipped, and a field with nothing usable left counts as absent: a
//! client that sends no (readable) `Accept` takes anything, so it gets
//! the first representation.

use actix_web::http::header::{self, HeaderMap};

/// A weight in thousandths: `q=0.5` is 500, `q=1` (the default) 1000.
pub(super) type Quality = u16;

/// One member of an `Accept` field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MediaRange {
    /// Lowercase; `*` for any.
    kind: String,
    /// Lowercase; `*` for any.
    subtype: String,
    quality: Quality,
}

impl MediaRange {
    /// How closely it names `kind/subtype`: `None` if it does not match,
    /// else 2 for the exact type, 1 for `kind/*`, 0 for `*/*`.
    fn specificity(&self, kind: &str, subtype: &str) -> Option<u8> {
        match (self.kind.as_str(), self.subtype.as_str()) {
            ("*", "*") => Some(0),
            (k, "*") if k == kind => Some(1),
            (k, s) if k == kind && s == subtype => Some(2),
            _ => None,
        }
    }
}

/// Of `offers` (each a value and the media types it answers to, in order
/// of preference), the one the request's `Accept` prefers; `None` when it
/// accepts none of them.
pub fn preferred<T: Copy>(headers: &HeaderMap, offers: &[(T, &[&str])]) -> Option<T> {
    let ranges = accept_ranges(headers);
    if ranges.is_empty() {
        return offers.first().map(|(value, _)| *value);
    }
    let mut best: Option<(T, Quality)> = None;
    for (value, media_types) in offers {
        let quality = media_types
            .iter()
            .filter_map(|media_type| best_match(&ranges, media_type))
            .fold(None, more_specific)
            .map_or(0, |(_, quality)| quality);
        if quality > 0 && best.is_none_or(|(_, q)| quality > q) {
            best = Some((*value, quality));
        }
    }
    best.map(|(value, _)| value)
}

/// The most specific range matching `media_type` (lowercase
/// `kind/subtype`): how specific, and its weight.
fn best_match(ranges: &[MediaRange], media_type: &str) -> Option<(u8, Quality)> {
    let (kind, subtype) = media_type
        .split_once('/')
        .expect("offers are written as kind/subtype");
    ranges
        .iter()
        .filter_map(|range| Some((range.specificity(kind, subtype)?, range.quality)))
        .fold(None, more_specific)
}

/// The more specific of two matches; the first on a tie (a client that
/// repeats itself, or a representation's own type before its aliases).
fn more_specific(best: Option<(u8, Quality)>, next: (u8, Quality)) -> Option<(u8, Quality)> {
    match best {
        Some((specificity, _)) if specificity >= next.0 => best,
        _ => Some(next),
    }
}

/// Every readable media range of every `Accept` line.
fn accept_ranges(headers: &HeaderMap) -> Vec<MediaRange> {
    headers
        .get_all(header::ACCEPT)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(','))
        .filter_map(parse_range)
        .collect()
}

/// `type/subtype *( OWS ";" OWS parameter )`, or `None`.
fn parse_range(member: &str) -> Option<MediaRange> {
    let mut parts = member.split(';');
    let (kind, subtype) = parts.next()?.trim().split_once('/')?;
    if !is_token(kind) || !is_token(subtype) || (kind == "*" && subtype != "*") {
        return None;
    }
    let mut quality = 1000;
    for parameter in parts {
        let (name, value) = parameter.trim().split_once('=')?;
        if name.trim_end().eq_ignore_ascii_case("q") {
            quality = parse_quality(value.trim_start())?;
            // Whatever follows the weight is an extension, not for us.
            break;
        }
    }
    Some(MediaRange {
        kind: kind.to_ascii_lowercase(),
        subtype: subtype.to_ascii_lowercase(),
        quality,
    })
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
pub(super) fn parse_quality(text: &str) -> Option<Quality> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: Quality = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// RFC 9110 §5.6.2 `token`.
pub(super) fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Feed {
        Rss,
        Atom,
        Json,
    }

    const OFFERS: &[(Feed, &[&str])] = &[
        (
            Feed::Rss,
            &["application/rss+xml", "application/xml", "text/xml"],
        ),
        (Feed::Atom, &["application/atom+xml"]),
        (Feed::Json, &["application/feed+json", "application/json"]),
    ];

    fn choose(lines: &[&str]) -> Option<Feed> {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(header::ACCEPT, HeaderValue::from_str(line).unwrap());
        }
        preferred(&headers, OFFERS)
    }

    #[test]
    fn the_negotiation_table() {
        use Feed::*;
        for (accept, want) in [
            ("application/rss+xml", Some(Rss)),
            ("application/atom+xml", Some(Atom)),
            ("application/feed+json", Some(Json)),
            ("application/json", Some(Json)),
            ("APPLICATION/Atom+XML", Some(Atom)),
            ("*/*", Some(Rss)),
            ("application/*", Some(Rss)),
            ("application/xml", Some(Rss)),
            ("text/xml", Some(Rss)),
            ("text/*", Some(Rss)),
            ("text/html", None),
            ("image/png, text/html;q=0.9", None),
            (
                "application/rss+xml;q=0.5, application/atom+xml",
                Some(Atom),
            ),
            (
                "application/atom+xml;q=0.4, application/feed+json;q=0.8",
                Some(Json),
            ),
            ("application/json;q=0.9, application/xml", Some(Rss)),
            ("*/*;q=0.1, application/feed+json", Some(Json)),
            ("application/*;q=0.5, application/rss+xml;q=0", Some(Atom)),
            (
                "*/*, application/rss+xml;q=0, application/xml;q=0, text/xml;q=0",
                Some(Atom),
            ),
            ("application/atom+xml;q=0", None),
            ("application/atom+xml, application/rss+xml", Some(Rss)),
            (
                "text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8",
                Some(Rss),
            ),
            (
                "application/atom+xml; charset=utf-8; q=0.7, application/rss+xml;q=0.6",
                Some(Atom),
            ),
            (
                "application/atom+xml;Q=0.9, application/feed+json;q=0.3",
                Some(Atom),
            ),
            (
                "application/atom+xml;q=1.000, application/feed+json;q=0.999",
                Some(Atom),
            ),
            (
                "application/rss+xml;q=0.2, application/xml;q=0.9, application/atom+xml;q=0.5",
                Some(Atom),
            ),
            ("application/json, application/feed+json;q=0", None),
        ] {
            assert_eq!(choose(&[accept]), want, "Accept: {accept}");
        }
    }

    #[test]
    fn no_readable_accept_takes_the_first_offer() {
        assert_eq!(choose(&[]), Some(Feed::Rss));
        assert_eq!(choose(&[""]), Some(Feed::Rss));
        assert_eq!(choose(&["nonsense"]), Some(Feed::Rss));
        assert_eq!(choose(&["*/json"]), Some(Feed::Rss), "not a range");
    }

    #[test]
    fn several_lines_make_one_list() {
        assert_eq!(
            choose(&["text/html;q=0.9", "application/feed+json"]),
            Some(Feed::Json)
        );
    }

    #[test]
    fn malformed_members_are_skipped() {
        for accept in [
            "application/atom+xml;q=2, application/feed+json;q=0.1",
            "application/atom+xml;q=0.1234, application/feed+json;q=0.1",
            "application/atom+xml;q=abc, application/feed+json;q=0.1",
            "application/atom+xml;q, application/feed+json;q=0.1",
            "application/atom+xml;q=1.5, application/feed+json;q=0.1",
            "appli cation/atom+xml, application/feed+json;q=0.1",
        ] {
            assert_eq!(choose(&[accept]), Some(Feed::Json), "Accept: {accept}");
        }
    }

    #[test]
    fn weights_parse_as_the_grammar_says() {
        assert_eq!(parse_quality("0"), Some(0));
        assert_eq!(parse_quality("0.5"), Some(500));
        assert_eq!(parse_quality("0.05"), Some(50));
        assert_eq!(parse_quality("0.001"), Some(1));
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.0"), Some(1000));
        assert_eq!(parse_quality("1."), Some(1000));
        assert_eq!(parse_quality("1.001"), None);
        assert_eq!(parse_quality(".5"), None);
        assert_eq!(parse_quality("0.5000"), None);
        assert_eq!(parse_quality("-0"), None);
    }
}
