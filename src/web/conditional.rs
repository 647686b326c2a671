//! Responses from memory with validators, and conditional GET (RFC 9110
//! §13): If-None-Match (weak comparison, lists over several header lines,
//! `*`) wins over If-Modified-Since.
//!
//! Validators must change whenever the bytes could, including when nothing
//! in the notes changed but the program or its settings did (an upgrade, a
//! new `SITE_NAME`):
//!
//! - The entity tag is a hash of the body itself, so it moves exactly when
//!   the bytes do, whatever the reason.
//! - `Last-Modified` is a date, and the notes' change time does not move on
//!   an upgrade. So it is never earlier than [`ServingSince`]: the first
//!   whole second after this server started. Every date an earlier process
//!   (older binary, other settings) sent was no later than the `Date` of its
//!   response, hence earlier than ours, and its `If-Modified-Since` gets a
//!   full answer here. The price is one full download per restart for
//!   clients that send only `If-Modified-Since`; clients that also send
//!   `If-None-Match` (most feed readers and every browser) still get 304.
//! - `Last-Modified` is never later than the response's own `Date` (RFC 9110
//!   §8.8.2.1): in the first second after a start, when the validator is
//!   still ahead of the clock, the response says the time it was sent,
//!   while If-Modified-Since is still compared with the true validator.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use super::compress::{self, MIN_COMPRESSED_BYTES};
use super::encoding::{self, Coding, NoAcceptableCoding};
use crate::domain::content_hash;

/// A rendered response body, in each coding it is kept in, with the
/// validators that describe it.
///
/// Each coding is its own representation with its own entity tag: the
/// identity body's `W/"hash"`, and `W/"hash-br"`, `W/"hash-gz"` for its
/// compressed forms. A conditional request is answered for the
/// representation the client would get now: one that names the gzip tag
/// and now asks for Brotli gets the Brotli body, as a cache holding only
/// the gzip body could not serve a 304 of Brotli. The tags are weak, so a
/// strong comparison (If-Match, Range) matches none of them, let alone two
/// codings, and proxies that compress keep them.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The compressed forms, best first, then the identity body.
    forms: Vec<Encoded>,
    /// The codings of `forms`, in the same order.
    codings: Vec<Coding>,
    /// Whether the body may be served compressed (so caches must keep one
    /// copy per `Accept-Encoding`), even before its forms are made.
    compressible: bool,
    /// Whether its compressed forms were made (those smaller than the body
    /// were kept).
    complete: bool,
    /// The later of the data's last change and [`ServingSince`].
    modified: SystemTime,
    last_modified: HeaderValue,
    pub content_type: &'static str,
}

/// One coding of a body and its entity tag.
#[derive(Debug, Clone)]
struct Encoded {
    coding: Coding,
    body: Bytes,
    etag: HeaderValue,
}

impl Cached {
    /// The identity body alone; [`Cached::compressed`] adds the rest.
    pub fn new(
        body: impl Into<Bytes>,
        modified: DateTime<Utc>,
        since: ServingSince,
        content_type: &'static str,
    ) -> Cached {
        let body = body.into();
        let hash = &content_hash(&body)[..32];
        let modified = whole_seconds(modified.into()).max(since.0);
        Cached {
            compressible: body.len() >= MIN_COMPRESSED_BYTES,
            complete: false,
            codings: vec![Coding::Identity],
            forms: vec![Encoded {
                coding: Coding::Identity,
                etag: entity_tag(hash, ""),
                body,
            }],
            last_modified: http_date(modified),
            modified,
            content_type,
        }
    }

    fn identity(&self) -> &Encoded {
        self.forms.last().expect("the identity body is always kept")
    }

    /// The identity body.
    pub fn body(&self) -> &Bytes {
        &self.identity().body
    }

    /// The identity body's entity tag.
    pub fn etag(&self) -> &HeaderValue {
        &self.identity().etag
    }

    /// Whether [`Cached::compressed`] would add anything.
    pub fn needs_compression(&self) -> bool {
        self.compressible && !self.complete
    }

    /// The same response with its Brotli and gzip forms (those smaller than
    /// the body). Takes real CPU: call it off the request path.
    pub fn compressed(&self) -> Cached {
        if !self.needs_compression() {
            return self.clone();
        }
        let identity = self.identity();
        let hash = identity
            .etag
            .to_str()
            .ok()
            .and_then(|tag| tag.strip_prefix("W/\"")?.strip_suffix('"'))
            .expect("made by entity_tag");
        let mut forms = Vec::new();
        for (coding, suffix, body) in [
            (Coding::Brotli, "-br", compress::brotli(&identity.body)),
            (Coding::Gzip, "-gz", compress::gzip(&identity.body)),
        ] {
            if body.len() < identity.body.len() {
                forms.push(Encoded {
                    coding,
                    body: super::cache::exact(body),
                    etag: entity_tag(hash, suffix),
                });
            }
        }
        forms.push(identity.clone());
        Cached {
            codings: forms.iter().map(|form| form.coding).collect(),
            forms,
            compressible: self.compressible,
            complete: true,
            modified: self.modified,
            last_modified: self.last_modified.clone(),
            content_type: self.content_type,
        }
    }

    /// The bytes kept: every form's body.
    pub fn weight(&self) -> u64 {
        self.forms.iter().map(|form| form.body.len() as u64).sum()
    }

    /// 200 with the body in the coding the client prefers, or 304 with the
    /// same validators and caching headers and no body when the client's
    /// copy of that representation is current; 406 when it accepts no
    /// coding the body has. `now` is the response's `Date`.
    pub fn respond(
        &self,
        req: &HttpRequest,
        cache_control: &HeaderValue,
        now: DateTime<Utc>,
    ) -> HttpResponse {
        let Some(chosen) = encoding::preferred(req.headers(), &self.codings) else {
            let mut response = HttpResponse::from_error(NoAcceptableCoding(self.codings.clone()));
            response.headers_mut().insert(header::VARY, vary());
            return response;
        };
        let form = self
            .forms
            .iter()
            .find(|form| form.coding == chosen)
            .expect("chosen among the forms");
        // Sent as it is only because its compressed forms are not made yet:
        // a shared cache must not keep it for clients that will soon get
        // them (nginx would serve it, compressing it anew, until it expires).
        let cache_control = if chosen == Coding::Identity
            && self.needs_compression()
            && encoding::preferred(req.headers(), &ALL_CODINGS) != Some(Coding::Identity)
        {
            &NO_CACHE
        } else {
            cache_control
        };
        let mut response = if is_not_modified(req.headers(), &form.etag, &self.last_modified) {
            HttpResponse::NotModified().finish()
        } else {
            let mut ok = HttpResponse::Ok();
            ok.insert_header((header::CONTENT_TYPE, self.content_type));
            if chosen != Coding::Identity {
                ok.insert_header((header::CONTENT_ENCODING, chosen.token()));
            }
            ok.body(form.body.clone())
        };
        let date = whole_seconds(now.into());
        let headers = response.headers_mut();
        headers.insert(header::DATE, http_date(date));
        headers.insert(header::ETAG, form.etag.clone());
        let last_modified = if self.modified > date {
            http_date(date)
        } else {
            self.last_modified.clone()
        };
        headers.insert(header::LAST_MODIFIED, last_modified);
        headers.insert(header::CACHE_CONTROL, cache_control.clone());
        if self.compressible {
            headers.insert(header::VARY, vary());
        }
        response
    }
}

const ALL_CODINGS: [Coding; 3] = [Coding::Brotli, Coding::Gzip, Coding::Identity];
static NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

fn vary() -> HeaderValue {
    HeaderValue::from_static("Accept-Encoding")
}

fn entity_tag(hash: &str, suffix: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("W/\"{hash}{suffix}\""))
        .expect("hex and a suffix make a valid header value")
}

/// The earliest `Last-Modified` a server sends (see the module docs): the
/// next whole second after it started, or after its database was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServingSince(SystemTime);

impl ServingSince {
    pub fn after(now: DateTime<Utc>) -> ServingSince {
        ServingSince(whole_seconds(now.into()) + Duration::from_secs(1))
    }
}

/// HTTP dates have whole seconds; comparing sub-second times would make a
/// date look newer than the one the client echoes back.
fn whole_seconds(time: SystemTime) -> SystemTime {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn http_date(time: SystemTime) -> HeaderValue {
    HeaderValue::from_str(&httpdate::fmt_http_date(time))
        .expect("an HTTP date is a valid header value")
}

/// Whether a GET or HEAD may be answered 304.
pub fn is_not_modified(
    headers: &HeaderMap,
    etag: &HeaderValue,
    last_modified: &HeaderValue,
) -> bool {
    if headers.contains_key(header::IF_NONE_MATCH) {
        // When If-None-Match is present, If-Modified-Since is ignored, even
        // if none of its members can be read: those match nothing, and a
        // full answer is always safe.
        let lines = headers.get_all(header::IF_NONE_MATCH).map(|v| v.as_bytes());
        return match parse_if_none_match(lines) {
            IfNoneMatch::Any => true,
            IfNoneMatch::Tags(tags) => {
                let ours = EntityTag::parse(etag.as_bytes());
                ours.is_some_and(|ours| tags.iter().any(|tag| tag.opaque == ours.opaque))
            }
        };
    }
    // §13.1.3: ignore a date that does not parse, and a list of them.
    let mut lines = headers.get_all(header::IF_MODIFIED_SINCE);
    let (Some(since), None) = (lines.next(), lines.next()) else {
        return false;
    };
    let parse = |v: &HeaderValue| {
        v.to_str()
            .ok()
            .and_then(|text| httpdate::parse_http_date(text).ok())
    };
    match (parse(since), parse(last_modified)) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

/// An entity tag (RFC 9110 §8.8.3): `"opaque"` or `W/"opaque"`. The opaque
/// part is everything up to the closing quote, commas and spaces included.
#[derive(Debug, PartialEq, Eq)]
struct EntityTag<'a> {
    weak: bool,
    opaque: &'a [u8],
}

impl<'a> EntityTag<'a> {
    /// A whole value that is exactly one entity tag.
    fn parse(value: &'a [u8]) -> Option<EntityTag<'a>> {
        match EntityTag::parse_prefix(value)? {
            (tag, []) => Some(tag),
            _ => None,
        }
    }

    /// One entity tag at the start of `input`, and what follows it.
    ///
    /// More lenient than the grammar's `etagc`: a quoted string is taken
    /// whole whatever it holds (a space, a tab), as refusing it would only
    /// turn the 304 the client asked for into a 200.
    fn parse_prefix(input: &'a [u8]) -> Option<(EntityTag<'a>, &'a [u8])> {
        let (weak, rest) = match input.strip_prefix(b"W/") {
            Some(rest) => (true, rest),
            None => (false, input),
        };
        let rest = rest.strip_prefix(b"\"")?;
        let end = rest.iter().position(|&b| b == b'"')?;
        Some((
            EntityTag {
                weak,
                opaque: &rest[..end],
            },
            &rest[end + 1..],
        ))
    }
}

/// What an If-None-Match field asks for.
#[derive(Debug, PartialEq, Eq)]
enum IfNoneMatch<'a> {
    Any,
    Tags(Vec<EntityTag<'a>>),
}

/// One member of an entity-tag list.
enum Member<'a> {
    Tag(EntityTag<'a>),
    Star,
    /// Anything else: ignored up to the next comma.
    Malformed,
}

/// Reads every line of the field as one comma-separated list (RFC 9110
/// §5.3, §5.6.1: empty members are allowed), by the grammar: a comma inside
/// a tag's quotes belongs to the tag.
///
/// Leniently: a malformed member is skipped, so it cannot keep a valid tag
/// beside it from matching, and `*` means any only as the whole field (in a
/// list it is one more malformed member). For If-None-Match this can only
/// turn a 200 into a 304 that one of the client's own tags asked for.
/// Nothing reads If-Match today; code that comes to must instead fail the
/// precondition (412) when any member is malformed, as there the unsafe
/// side is a change made on a condition the client may not have meant.
fn parse_if_none_match<'a>(lines: impl Iterator<Item = &'a [u8]>) -> IfNoneMatch<'a> {
    let mut tags = Vec::new();
    let mut only_star = None;
    for line in lines {
        let mut rest = trim_ows(line);
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix(b",") {
                rest = trim_ows(after);
                continue;
            }
            let (member, after) = next_member(rest);
            only_star = Some(matches!(member, Member::Star) && only_star.is_none());
            if let Member::Tag(tag) = member {
                tags.push(tag);
            }
            rest = trim_ows(after);
        }
    }
    match only_star {
        Some(true) => IfNoneMatch::Any,
        _ => IfNoneMatch::Tags(tags),
    }
}

/// The member at the start of `input` (which is neither empty nor a comma)
/// and what follows it, from its ending comma on.
fn next_member(input: &[u8]) -> (Member<'_>, &[u8]) {
    let ends_here = |after: &[u8]| {
        let after = trim_ows(after);
        after.is_empty() || after.starts_with(b",")
    };
    if let Some((tag, after)) = EntityTag::parse_prefix(input) {
        if ends_here(after) {
            return (Member::Tag(tag), after);
        }
        // Skip from where it went wrong, not from the start: the tag's own
        // quotes may hold a comma.
        return (Member::Malformed, skip_to_comma(after));
    }
    if let Some(after) = input.strip_prefix(b"*").filter(|after| ends_here(after)) {
        return (Member::Star, after);
    }
    (Member::Malformed, skip_to_comma(input))
}

fn skip_to_comma(bytes: &[u8]) -> &[u8] {
    let comma = bytes.iter().position(|&b| b == b',').unwrap_or(bytes.len());
    &bytes[comma..]
}

fn trim_ows(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests;
