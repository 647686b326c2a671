//! Content codings (RFC 9110 §8.4) and which one a request accepts
//! (`Accept-Encoding`, §12.5.3).
//!
//! Each coding's weight is that of its own entry (`x-gzip` counts as
//! `gzip`, §8.4.1.3), else that of `*`, else 0; identity is acceptable
//! unless an entry (its own, or `*` without one of its own) gives it
//! weight 0, and without an entry it comes after every coding the client
//! names (the RFC gives it no weight then). The highest weight above zero wins; at equal weight the
//! smaller body does (Brotli, then gzip, then identity). A request with no
//! `Accept-Encoding` at all gets identity: the RFC lets a server send any
//! coding then, but a client that says nothing may not decode it. Members
//! that do not parse are skipped.

use actix_web::http::header::{self, HeaderMap};

use super::negotiate::{Quality, is_token, parse_quality};

/// The codings the site keeps its cached bodies in, in order of
/// preference at equal weight (smallest body first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    Brotli,
    Gzip,
    Identity,
}

impl Coding {
    /// Its name in `Content-Encoding` and `Accept-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
            Coding::Identity => "identity",
        }
    }

    fn answers_to(self, name: &str) -> bool {
        name.eq_ignore_ascii_case(self.token())
            || (self == Coding::Gzip && name.eq_ignore_ascii_case("x-gzip"))
    }
}

/// No coding the body is kept in (the list) is acceptable to the client,
/// identity included (RFC 9110 §12.5.3): 406.
#[derive(Debug, thiserror::Error)]
#[error(
    "This address is only served in the codings {}, and the request's Accept-Encoding \
     refuses all of them.",
    .0.iter().map(|c| c.token()).collect::<Vec<_>>().join(", ")
)]
pub struct NoAcceptableCoding(pub Vec<Coding>);

impl actix_web::ResponseError for NoAcceptableCoding {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::NOT_ACCEPTABLE
    }
}

/// Of `available` (in order of preference), the coding the request
/// accepts with the highest weight; `None` when it accepts none of them.
pub fn preferred(headers: &HeaderMap, available: &[Coding]) -> Option<Coding> {
    if !headers.contains_key(header::ACCEPT_ENCODING) {
        return available
            .contains(&Coding::Identity)
            .then_some(Coding::Identity);
    }
    // Read again for each coding rather than collected: no allocation on
    // the path of every cached response.
    let entries = || {
        headers
            .get_all(header::ACCEPT_ENCODING)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|line| line.split(','))
            .filter_map(parse_entry)
    };
    let weight = |coding: Coding| {
        let mut any = None;
        for (name, quality) in entries() {
            if coding.answers_to(name) {
                return quality;
            }
            if name == "*" {
                any = any.or(Some(quality));
            }
        }
        // Acceptable, but last: a client that names codings wants one.
        any.unwrap_or(if coding == Coding::Identity { 1 } else { 0 })
    };
    let mut best: Option<(Coding, Quality)> = None;
    for &coding in available {
        let quality = weight(coding);
        if quality > 0 && best.is_none_or(|(_, q)| quality > q) {
            best = Some((coding, quality));
        }
    }
    best.map(|(coding, _)| coding)
}

/// `( codings [ weight ] )`: a coding's name and its weight, or `None`
/// (an empty member, or one that does not parse).
fn parse_entry(member: &str) -> Option<(&str, Quality)> {
    let mut parts = member.split(';');
    let name = parts.next()?.trim();
    if !is_token(name) {
        return None;
    }
    let mut quality = 1000;
    if let Some(parameter) = parts.next() {
        let (key, value) = parameter.trim().split_once('=')?;
        if !key.trim_end().eq_ignore_ascii_case("q") {
            return None;
        }
        quality = parse_quality(value.trim_start())?;
    }
    Some((name, quality))
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;
    use Coding::*;

    const ALL: &[Coding] = &[Brotli, Gzip, Identity];

    fn choose(lines: &[&str], available: &[Coding]) -> Option<Coding> {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(line).unwrap(),
            );
        }
        preferred(&headers, available)
    }

    #[test]
    fn the_negotiation_table() {
        for (accept, want) in [
            ("gzip, deflate, br", Some(Brotli)),
            ("gzip, deflate, br, zstd", Some(Brotli)),
            ("br;q=1.0, gzip;q=0.8, *;q=0.1", Some(Brotli)),
            ("gzip", Some(Gzip)),
            ("GZip", Some(Gzip)),
            ("x-gzip", Some(Gzip)),
            ("br", Some(Brotli)),
            ("gzip;q=0.5, br;q=0.4", Some(Gzip)),
            ("gzip;q=0.5, identity;q=0.6", Some(Identity)),
            ("identity", Some(Identity)),
            ("", Some(Identity)),
            ("deflate", Some(Identity)),
            ("*", Some(Brotli)),
            ("*;q=0.5, identity", Some(Identity)),
            ("*;q=0.5, br;q=0", Some(Gzip)),
            ("br;q=0, gzip;q=0", Some(Identity)),
            ("identity;q=0", None),
            ("*;q=0", None),
            ("*;q=0, gzip", Some(Gzip)),
            ("*;q=0, identity;q=0.1", Some(Identity)),
            ("identity;q=0, gzip;q=0.001", Some(Gzip)),
            ("gzip;q=0.001", Some(Gzip)),
            ("br ; q=0.9 , gzip ;Q=1", Some(Gzip)),
        ] {
            assert_eq!(choose(&[accept], ALL), want, "Accept-Encoding: {accept}");
        }
    }

    #[test]
    fn no_field_gets_identity() {
        assert_eq!(choose(&[], ALL), Some(Identity));
    }

    #[test]
    fn only_what_is_kept_is_chosen() {
        assert_eq!(choose(&["br, gzip"], &[Identity]), Some(Identity));
        assert_eq!(
            choose(&["br;q=0.5, gzip"], &[Brotli, Identity]),
            Some(Brotli)
        );
        assert_eq!(choose(&["gzip, identity;q=0"], &[Identity]), None);
    }

    #[test]
    fn several_lines_make_one_list() {
        assert_eq!(choose(&["gzip;q=0.5", "br"], ALL), Some(Brotli));
        assert_eq!(choose(&["identity;q=0", "gzip"], ALL), Some(Gzip));
    }

    #[test]
    fn malformed_members_are_skipped() {
        for accept in [
            "br;q=2, gzip",
            "br;q=abc, gzip",
            "br;level=5, gzip",
            "b r, gzip",
            "br;q=0.1234, gzip",
            ";q=1, gzip",
        ] {
            assert_eq!(
                choose(&[accept], ALL),
                Some(Gzip),
                "Accept-Encoding: {accept}"
            );
        }
    }
}
