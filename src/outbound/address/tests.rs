//! Every range, from inside and from just outside, in each spelling.

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn socket(text: &str) -> SocketAddr {
    SocketAddr::new(ip(text), 0)
}

#[test]
fn every_ipv4_range_is_refused_from_its_first_to_its_last_address() {
    for (first, last) in [
        ("0.0.0.0", "0.255.255.255"),
        ("10.0.0.0", "10.255.255.255"),
        ("100.64.0.0", "100.127.255.255"),
        ("127.0.0.0", "127.255.255.255"),
        ("169.254.0.0", "169.254.255.255"),
        ("172.16.0.0", "172.31.255.255"),
        ("192.0.0.0", "192.0.0.255"),
        ("192.0.2.0", "192.0.2.255"),
        ("192.88.99.0", "192.88.99.255"),
        ("192.168.0.0", "192.168.255.255"),
        ("198.18.0.0", "198.19.255.255"),
        ("198.51.100.0", "198.51.100.255"),
        ("203.0.113.0", "203.0.113.255"),
        ("224.0.0.0", "239.255.255.255"),
        ("240.0.0.0", "255.255.255.255"),
    ] {
        assert!(!is_public(ip(first)), "{first}");
        assert!(!is_public(ip(last)), "{last}");
    }
    assert_eq!(NOT_PUBLIC_V4.len(), 15, "a new range needs its case above");
}

#[test]
fn addresses_just_outside_the_ipv4_ranges_are_public() {
    for text in [
        "1.0.0.0",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.0",
        "192.0.3.0",
        "192.88.98.255",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "198.51.99.255",
        "203.0.112.255",
        "223.255.255.255",
        "93.184.215.14",
        "8.8.8.8",
    ] {
        assert!(is_public(ip(text)), "{text}");
    }
}

#[test]
fn every_ipv6_range_is_refused() {
    for text in [
        "::",
        "::1",
        "::a00:1",
        "::ffff:ffff",
        "64:ff9b:1::1",
        "64:ff9b:1:ffff::1",
        "100::",
        "100::ffff:ffff:ffff:ffff",
        "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "4000::1",
        "2001::1",
        "2001:0:ffff::1",
        "2001:10::1",
        "2001:1f:ffff::1",
        "2001:20::1",
        "2001:2f:ffff::1",
        "2001:db8::1",
        "2001:db8:ffff::1",
        "3fff::1",
        "3fff:fff:ffff::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "febf:ffff::1",
        "fec0::1",
        "feff::1",
        "ff02::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ] {
        assert!(!is_public(ip(text)), "{text}");
    }
    assert_eq!(NOT_PUBLIC_V6.len(), 5, "a new range needs its case above");
}

#[test]
fn addresses_just_outside_the_ipv6_ranges_are_public() {
    for text in [
        "2000::1",
        "2001:1::1",
        "2001:0030::1",
        "2001:4860:4860::8888",
        "2001:db7:ffff::1",
        "2001:db9::1",
        "3fff:1000::1",
        "2606:4700::6810:84e5",
        "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ] {
        assert!(is_public(ip(text)), "{text}");
    }
}

#[test]
fn ipv6_forms_of_ipv4_addresses_are_judged_as_the_ipv4_address() {
    for private in [
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:192.168.1.1",
        "::ffff:0.0.0.0",
        "64:ff9b::127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
        "2002:c0a8:101::1",
    ] {
        assert!(!is_public(ip(private)), "{private}");
    }
    for public in [
        "::ffff:93.184.215.14",
        "64:ff9b::93.184.215.14",
        "2002:5db8:d70e::1",
    ] {
        assert!(is_public(ip(public)), "{public}");
    }
}

#[test]
fn only_the_listed_private_addresses_are_let_through() {
    let strict = AddressPolicy::public_only();
    let tests = AddressPolicy::PublicOnly {
        also: Arc::new([ip("127.0.0.2")]),
    };
    assert!(!strict.allows(ip("127.0.0.2")));
    assert!(tests.allows(ip("127.0.0.2")));
    assert!(!tests.allows(ip("127.0.0.1")));
    assert!(tests.allows(ip("93.184.215.14")));
    assert!(AddressPolicy::Any.allows(ip("192.168.1.1")));
}

#[test]
fn one_private_address_among_public_ones_refuses_the_name() {
    let policy = AddressPolicy::public_only();
    let mixed = [socket("93.184.215.14"), socket("10.0.0.1")];
    assert_eq!(
        policy.check_all("rebind.example", mixed),
        Err(Unreachable::Private {
            host: "rebind.example".into(),
            address: ip("10.0.0.1"),
        })
    );
    let public = [socket("93.184.215.14"), socket("2606:4700::6810:84e5")];
    assert_eq!(policy.check_all("app.example", public), Ok(public.to_vec()));
    assert_eq!(
        policy.check_all("empty.example", []),
        Err(Unreachable::NoAddress {
            host: "empty.example".into()
        })
    );
}

#[tokio::test]
async fn the_resolver_hands_on_exactly_the_checked_addresses() {
    let strict = CheckedResolver {
        policy: AddressPolicy::public_only(),
    };
    let err = strict
        .resolve("localhost".parse().unwrap())
        .await
        .err()
        .expect("localhost is refused");
    assert!(
        err.to_string().starts_with("localhost resolves to "),
        "{err}"
    );
    assert!(
        err.to_string().ends_with("is not fetched"),
        "names the reason: {err}"
    );
    // An address written as a name needs no DNS: the test stays offline.
    let found: Vec<SocketAddr> = strict
        .resolve("93.184.215.14".parse().unwrap())
        .await
        .unwrap()
        .collect();
    assert_eq!(found, [socket("93.184.215.14")]);
    let loopback = CheckedResolver {
        policy: AddressPolicy::PublicOnly {
            also: Arc::new([ip("127.0.0.1"), ip("::1")]),
        },
    };
    let found: Vec<SocketAddr> = loopback
        .resolve("localhost".parse().unwrap())
        .await
        .unwrap()
        .collect();
    assert!(!found.is_empty());
    assert!(found.iter().all(|a| a.ip().is_loopback()), "{found:?}");
}
