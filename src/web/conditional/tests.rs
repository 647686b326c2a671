use super::*;
use actix_web::http::header::HeaderName;

fn headers(pairs: &[(HeaderName, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        // `append`: several lines of one field, as a client may send them.
        map.append(name.clone(), HeaderValue::from_bytes(value).unwrap());
    }
    map
}

const ETAG: &str = "W/\"abc\"";
const MODIFIED: &str = "Mon, 23 Nov 2026 10:00:00 GMT";

fn check(pairs: &[(HeaderName, &str)]) -> bool {
    let pairs: Vec<(HeaderName, &[u8])> = pairs
        .iter()
        .map(|(name, value)| (name.clone(), value.as_bytes()))
        .collect();
    check_bytes(&pairs)
}

fn check_bytes(pairs: &[(HeaderName, &[u8])]) -> bool {
    is_not_modified(
        &headers(pairs),
        &HeaderValue::from_static(ETAG),
        &HeaderValue::from_static(MODIFIED),
    )
}

fn inm(lines: &[&str]) -> bool {
    let pairs: Vec<(HeaderName, &str)> = lines
        .iter()
        .map(|line| (header::IF_NONE_MATCH, *line))
        .collect();
    check(&pairs)
}

#[test]
fn if_none_match_uses_weak_comparison_and_lists() {
    assert!(inm(&["W/\"abc\""]));
    assert!(inm(&["\"abc\""]));
    assert!(inm(&["\"x\", W/\"abc\""]));
    assert!(inm(&["\"x\",W/\"abc\""]));
    assert!(inm(&["*"]));
    assert!(!inm(&["\"abcd\""]));
    assert!(!inm(&["\"ab\""]));
    assert!(!inm(&[""]));
}

#[test]
fn if_none_match_reads_every_header_line() {
    assert!(inm(&["\"x\"", "W/\"abc\""]));
    assert!(inm(&["\"x\", \"y\"", "\"z\"", "\"abc\""]));
    assert!(inm(&["", "\"abc\""]));
    assert!(!inm(&["\"x\"", "\"y\""]));
}

#[test]
fn commas_inside_an_entity_tag_do_not_split_it() {
    // `"x,abc"` is a single tag that is not ours.
    assert!(!inm(&["\"x,abc\""]));
    assert!(!inm(&["\"abc,\""]));
    assert!(!inm(&["\"x, abc\""]));
    assert!(inm(&["\"a,b\", \"abc\""]));
    assert!(inm(&["W/\",\",\"abc\""]));
}

#[test]
fn a_comma_and_a_space_inside_a_tag_do_not_spoil_the_list() {
    assert!(inm(&["\"a,b\", \"c, d\", W/\"abc\""]));
    assert!(inm(&["\"c, d\", W/\"abc\""]));
    assert!(inm(&["\"c, d\"", "W/\"abc\""]));
    assert!(inm(&["\"a\tb\", \"abc\""]));
    assert!(!inm(&["\"c, d\", W/\"other\""]));
}

#[test]
fn empty_list_members_are_allowed() {
    assert!(inm(&[", ,\"abc\","]));
    assert!(inm(&[" \t\"abc\"\t "]));
}

#[test]
fn star_only_as_the_whole_field() {
    assert!(inm(&["*"]));
    assert!(inm(&[" * "]));
    assert!(inm(&[", * ,"]));
    // In a list, `*` is one more malformed member: the tags still count.
    assert!(!inm(&["*, \"x\""]));
    assert!(!inm(&["\"x\"", "*"]));
    assert!(!inm(&["*", "*"]));
    assert!(inm(&["*, \"abc\""]));
}

#[test]
fn garbage_matches_nothing_and_still_hides_if_modified_since() {
    for garbage in [
        "abc",
        "W/abc",
        "w/\"abc\"",
        "\"abc",
        "\"abc\" \"x\"",
        "\"abc\"x",
        "W/ \"abc\"",
        "**",
        "\"x, W/\"abc\"",
    ] {
        assert!(!inm(&[garbage]), "{garbage:?}");
        assert!(
            !check(&[
                (header::IF_NONE_MATCH, garbage),
                (header::IF_MODIFIED_SINCE, MODIFIED)
            ]),
            "{garbage:?}"
        );
    }
}

#[test]
fn a_malformed_member_does_not_stop_a_valid_one_from_matching() {
    assert!(inm(&["\"abc\"", "garbage"]));
    assert!(inm(&["garbage", "\"abc\""]));
    assert!(inm(&["abc, W/\"abc\""]));
    assert!(inm(&["\"x\"y, W/\"abc\""]));
    assert!(inm(&["w/\"x\", \"abc\""]));
    // Skipping resumes after the bad part, not inside the tag's quotes.
    assert!(inm(&["\"a, b\" x, W/\"abc\""]));
    assert!(!inm(&["\"a, W/\"abc\"\" x"]));
    assert!(inm(&["\"abc\" junk \"x\", \"abc\""]));
}

#[test]
fn bytes_beyond_ascii_are_allowed_inside_tags() {
    assert!(check_bytes(&[(
        header::IF_NONE_MATCH,
        b"\"\xe9t\xe9\", \"abc\""
    )]));
    assert!(!check_bytes(&[(header::IF_NONE_MATCH, b"\"\xff\"")]));
}

#[test]
fn parsing_keeps_weak_and_strong_apart() {
    let parsed = parse_if_none_match([b"W/\"a\", \"b, c\", bad".as_slice()].into_iter());
    assert_eq!(
        parsed,
        IfNoneMatch::Tags(vec![
            EntityTag {
                weak: true,
                opaque: b"a"
            },
            EntityTag {
                weak: false,
                opaque: b"b, c"
            },
        ])
    );
}

#[test]
fn if_none_match_wins_over_if_modified_since() {
    assert!(!check(&[
        (header::IF_NONE_MATCH, "\"other\""),
        (header::IF_MODIFIED_SINCE, MODIFIED)
    ]));
    assert!(check(&[
        (header::IF_NONE_MATCH, ETAG),
        (header::IF_MODIFIED_SINCE, "Mon, 01 Jan 2001 00:00:00 GMT")
    ]));
}

#[test]
fn if_modified_since_compares_dates() {
    assert!(check(&[(header::IF_MODIFIED_SINCE, MODIFIED)]));
    assert!(check(&[(
        header::IF_MODIFIED_SINCE,
        "Tue, 24 Nov 2026 10:00:00 GMT"
    )]));
    assert!(!check(&[(
        header::IF_MODIFIED_SINCE,
        "Sun, 22 Nov 2026 10:00:00 GMT"
    )]));
    assert!(!check(&[(header::IF_MODIFIED_SINCE, "yesterday")]));
    assert!(!check(&[]));
}

#[test]
fn several_if_modified_since_lines_are_ignored() {
    assert!(!check(&[
        (header::IF_MODIFIED_SINCE, MODIFIED),
        (header::IF_MODIFIED_SINCE, MODIFIED)
    ]));
}

#[test]
fn serving_starts_at_the_next_whole_second() {
    let at = DateTime::parse_from_rfc3339("2026-12-07T12:00:00.400Z")
        .unwrap()
        .to_utc();
    let since = ServingSince::after(at);
    assert_eq!(
        httpdate::fmt_http_date(since.0),
        "Mon, 07 Dec 2026 12:00:01 GMT"
    );
    let whole = DateTime::parse_from_rfc3339("2026-12-07T12:00:01Z")
        .unwrap()
        .to_utc();
    assert!(ServingSince::after(whole) > since);
}

mod codings {
    use std::io::Read;

    use actix_web::body::MessageBody;
    use actix_web::test::TestRequest;

    use super::*;

    const PUBLIC: HeaderValue = HeaderValue::from_static("public, max-age=300");

    fn page() -> Cached {
        let modified = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let since = ServingSince::after(modified);
        Cached::new("<p>A page.</p>\n".repeat(200), modified, since, "text/html")
    }

    fn answer(cached: &Cached, accept: Option<&str>) -> HttpResponse {
        let mut req = TestRequest::default();
        if let Some(accept) = accept {
            req = req.insert_header((header::ACCEPT_ENCODING, accept));
        }
        cached.respond(&req.to_http_request(), &PUBLIC, chrono::Utc::now())
    }

    fn value(response: &HttpResponse, name: header::HeaderName) -> Option<&str> {
        response.headers().get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn until_its_forms_are_made_a_body_is_sent_as_it_is_and_not_kept_by_shared_caches() {
        let pending = page();
        let response = answer(&pending, Some("gzip, br"));
        assert_eq!(value(&response, header::CONTENT_ENCODING), None);
        assert_eq!(value(&response, header::CACHE_CONTROL), Some("no-cache"));
        assert_eq!(value(&response, header::VARY), Some("Accept-Encoding"));
        // Identity is what this client will get anyway.
        for accept in [None, Some("identity"), Some("deflate")] {
            let response = answer(&pending, accept);
            assert_eq!(
                value(&response, header::CACHE_CONTROL),
                Some("public, max-age=300")
            );
        }

        let done = pending.compressed();
        let response = answer(&done, Some("gzip"));
        assert_eq!(value(&response, header::CONTENT_ENCODING), Some("gzip"));
        assert_eq!(
            value(&response, header::CACHE_CONTROL),
            Some("public, max-age=300")
        );
        let body = response.into_body().try_into_bytes().unwrap();
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, done.body().as_ref());
    }

    #[test]
    fn each_coding_has_its_own_tag_and_304() {
        let done = page().compressed();
        let tag = |accept| value(&answer(&done, Some(accept)), header::ETAG).map(str::to_owned);
        let (br, gz, id) = (
            tag("br").unwrap(),
            tag("gzip").unwrap(),
            tag("identity").unwrap(),
        );
        assert_eq!(br, format!("{}-br\"", id.trim_end_matches('"')));
        assert_eq!(gz, format!("{}-gz\"", id.trim_end_matches('"')));
        let conditional = |accept: &str, etag: &str| {
            let req = TestRequest::default()
                .insert_header((header::ACCEPT_ENCODING, accept))
                .insert_header((header::IF_NONE_MATCH, etag))
                .to_http_request();
            done.respond(&req, &PUBLIC, chrono::Utc::now()).status()
        };
        assert_eq!(conditional("br", &br), 304);
        assert_eq!(conditional("gzip", &gz), 304);
        assert_eq!(conditional("br", &gz), 200);
        assert_eq!(conditional("gzip", &id), 200);
    }
}
