use super::*;
use crate::activitypub::keys::ActorKey;
use crate::store::{KeyPairPem, PrivateKeyPem};

const ALICE: &str = include_str!("../../../tests/keys/alice.pem");
const ALICE_PUBLIC: &str = include_str!("../../../tests/keys/alice.pub.pem");
const BOB_PUBLIC: &str = include_str!("../../../tests/keys/bob.pub.pem");

fn alice() -> ActorKey {
    ActorKey::from_pem(&KeyPairPem {
        private: PrivateKeyPem::new(ALICE.into()),
        public: ALICE_PUBLIC.into(),
    })
    .unwrap()
}

#[test]
fn mastodon_s_header_is_read() {
    let params = SignatureParams::parse(
        r#"keyId="https://m.example/users/a#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="c2ln""#,
    )
    .unwrap();
    assert_eq!(params.key_id, "https://m.example/users/a#main-key");
    assert_eq!(
        params.headers,
        ["(request-target)", "host", "date", "digest", "content-type"]
    );
    assert_eq!(params.signature, b"sig");
    assert!(params.covers_required("POST").is_ok());
}

#[test]
fn parameters_in_any_order_spacing_and_case_with_hs2019_and_created() {
    let params = SignatureParams::parse(
        r#" signature="c2ln" , headers="(request-target) (created) Host Date", keyId="k,1", algorithm="hs2019", created=1402170695"#,
    )
    .unwrap();
    assert_eq!(params.key_id, "k,1");
    assert_eq!(params.created.as_deref(), Some("1402170695"));
    assert_eq!(params.headers[2], "host");
    assert_eq!(
        params.covers_required("POST"),
        Err(SignatureError::NotCovered("digest"))
    );
    assert!(params.covers_required("GET").is_ok());
}

#[test]
fn malformed_headers_are_refused() {
    for (value, want) in [
        ("", SignatureError::Malformed("no keyId")),
        (r#"keyId="k""#, SignatureError::Malformed("no signature")),
        (
            r#"keyId="k",signature="!!""#,
            SignatureError::Malformed("the signature is not base64"),
        ),
        (
            r#"signature="c2ln",keyId="k"#,
            SignatureError::Malformed("a quoted value does not end"),
        ),
        (
            r#"keyId="k" signature="c2ln""#,
            SignatureError::Malformed("parameters must be separated by commas"),
        ),
        (
            r#"keyId="k",keyId="j",signature="c2ln""#,
            SignatureError::Malformed("a parameter is given twice"),
        ),
        (
            r#"keyId="k",algorithm="hmac-sha256",signature="c2ln""#,
            SignatureError::Algorithm("hmac-sha256".into()),
        ),
        (
            "keyId",
            SignatureError::Malformed("a parameter has no value"),
        ),
    ] {
        assert_eq!(SignatureParams::parse(value), Err(want), "{value}");
    }
    // Without `headers`, only `date` is signed: not enough.
    let bare = SignatureParams::parse(r#"keyId="k",signature="c2ln""#).unwrap();
    assert_eq!(
        bare.covers_required("GET"),
        Err(SignatureError::NotCovered("(request-target)"))
    );
}

#[test]
fn the_signing_string_follows_the_draft() {
    let params = SignatureParams::parse(
        r#"keyId="k",headers="(request-target) host date",signature="c2ln""#,
    )
    .unwrap();
    let text = params
        .signing_string("POST", "/foo?param=value&pet=dog", |name| match name {
            "host" => Some("example.com".into()),
            "date" => Some("Sun, 05 Jan 2014 21:31:40 GMT".into()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        text,
        "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT"
    );
    let missing = params.signing_string("GET", "/", |_| None);
    assert_eq!(missing, Err(SignatureError::Absent("host".into())));
}

#[test]
fn what_the_site_signs_verifies_and_nothing_else_does() {
    let key = alice();
    let header = signature_header(
        "https://a.example/actor#main-key",
        &[
            ("(request-target)", "post /inbox"),
            ("host", "b.example"),
            ("date", "Sun, 05 Jan 2014 21:31:40 GMT"),
        ],
        |text| key.sign(text),
    );
    let params = SignatureParams::parse(&header).unwrap();
    assert_eq!(params.algorithm.as_deref(), Some("rsa-sha256"));
    let text = params
        .signing_string("POST", "/inbox", |name| match name {
            "host" => Some("b.example".into()),
            "date" => Some("Sun, 05 Jan 2014 21:31:40 GMT".into()),
            _ => None,
        })
        .unwrap();
    assert!(verify_rsa_sha256(ALICE_PUBLIC, text.as_bytes(), &params.signature).unwrap());
    assert!(!verify_rsa_sha256(BOB_PUBLIC, text.as_bytes(), &params.signature).unwrap());
    let other_host = text.replace("b.example", "c.example");
    assert!(!verify_rsa_sha256(ALICE_PUBLIC, other_host.as_bytes(), &params.signature).unwrap());
    assert!(matches!(
        verify_rsa_sha256("not a key", b"x", b"y"),
        Err(SignatureError::BadKey(_))
    ));
}

#[test]
fn digests_are_checked_against_the_body() {
    let body = br#"{"hello": "world"}"#;
    let header = digest_header(body);
    assert_eq!(
        header,
        "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
    );
    assert!(check_digest(Some(&header), body).is_ok());
    assert!(check_digest(Some(&header.replace("SHA-256", "sha-256")), body).is_ok());
    let several = format!("SHA-512=abc, {header}");
    assert!(check_digest(Some(&several), body).is_ok());
    assert_eq!(
        check_digest(Some(&header), b"{}"),
        Err(SignatureError::DigestMismatch)
    );
    assert_eq!(check_digest(None, body), Err(SignatureError::NoDigest));
    assert_eq!(
        check_digest(Some("SHA-512=abc"), body),
        Err(SignatureError::NoDigest)
    );
    assert_eq!(
        check_digest(Some("SHA-256=???"), body),
        Err(SignatureError::DigestMismatch)
    );
}
