//! Unit tests of the outbound client's rules.

use super::errors::shown_duration;
use super::redirect::redirect_refusal;
use super::*;

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

#[test]
fn five_redirects_are_followed_and_the_sixth_is_refused() {
    let next = url("https://example.com/next");
    for hops in 1..=MAX_REDIRECTS {
        assert!(
            redirect_refusal(hops, &next, true, &AddressPolicy::Any).is_none(),
            "{hops}"
        );
    }
    assert!(matches!(
        redirect_refusal(MAX_REDIRECTS + 1, &next, true, &AddressPolicy::Any),
        Some(RedirectRefused::TooMany)
    ));
}

#[test]
fn a_redirect_to_http_is_refused_only_when_https_is_required() {
    let next = url("http://example.com/next?code=secret");
    assert!(redirect_refusal(1, &next, false, &AddressPolicy::Any).is_none());
    match redirect_refusal(1, &next, true, &AddressPolicy::Any) {
        Some(RedirectRefused::NotHttps(hop)) => {
            assert_eq!(hop, "http://example.com/next?…");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        redirect_refusal(1, &url("ftp://example.com/"), false, &AddressPolicy::Any),
        Some(RedirectRefused::NotHttp(_))
    ));
}

#[test]
fn shown_urls_carry_no_secrets() {
    assert_eq!(
        shown_url(&url("https://user:pw@example.com/auth?code=abc#x")),
        "https://example.com/auth?…"
    );
    assert_eq!(
        shown_url(&url("https://example.com/")),
        "https://example.com/"
    );
}

#[test]
fn messages_read_as_sentences() {
    let timeout = OutboundError::Timeout {
        url: "https://example.com/".into(),
        after: Duration::from_millis(300),
    };
    assert_eq!(
        timeout.to_string(),
        "https://example.com/ did not answer within 300 ms"
    );
    let large = OutboundError::TooLarge {
        url: "https://example.com/".into(),
        limit: PAGE_LIMIT,
    };
    assert_eq!(
        large.to_string(),
        "the answer from https://example.com/ is larger than 512 KiB"
    );
    assert_eq!(shown_duration(Duration::from_secs(5)), "5 s");
}

#[test]
fn a_redirect_to_a_private_address_is_refused_under_the_public_policy() {
    let strict = AddressPolicy::public_only();
    for hop in [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://[::ffff:10.0.0.1]/",
        "http://[fd00::1]/",
    ] {
        assert!(
            matches!(
                redirect_refusal(1, &url(hop), false, &strict),
                Some(RedirectRefused::PrivateAddress(_))
            ),
            "{hop}"
        );
        assert!(redirect_refusal(1, &url(hop), false, &AddressPolicy::Any).is_none());
    }
    // Names wait for the resolver, which checks what they resolve to.
    assert!(redirect_refusal(1, &url("http://localhost/"), false, &strict).is_none());
    assert!(redirect_refusal(1, &url("http://93.184.215.14/"), false, &strict).is_none());
}
