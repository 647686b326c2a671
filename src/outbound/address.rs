//! Which addresses an outgoing request may reach.
//!
//! The site fetches an app's `client_id` page when the owner opens an
//! authorization request, and anyone can send the owner such a link. Left
//! unchecked, that link could make the server probe its own network (a
//! router's admin page, a cloud metadata service at 169.254.169.254). So
//! those requests go only to public addresses: names are resolved here,
//! every address a name resolves to is checked, and the connection is made
//! only to the addresses that were checked, so a name cannot answer a
//! public address to the check and a private one to the connection.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Where requests may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressPolicy {
    /// Anywhere: addresses the site's own settings name (the owner's
    /// profile, the WebSub hub).
    Any,
    /// The public internet, and these addresses besides (tests name the
    /// loopback addresses their fake apps listen on; the site names none).
    PublicOnly { also: Arc<[IpAddr]> },
}

impl AddressPolicy {
    /// Only public addresses, and none other.
    pub fn public_only() -> AddressPolicy {
        AddressPolicy::PublicOnly { also: Arc::new([]) }
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        match self {
            AddressPolicy::Any => true,
            AddressPolicy::PublicOnly { also } => is_public(ip) || also.contains(&ip),
        }
    }

    /// Every address of `host`, if the policy allows all of them. One
    /// private address among public ones is enough to refuse: the
    /// connection could be made to any of them.
    pub fn check_all(
        &self,
        host: &str,
        found: impl IntoIterator<Item = SocketAddr>,
    ) -> Result<Vec<SocketAddr>, Unreachable> {
        let found: Vec<SocketAddr> = found.into_iter().collect();
        let refused = found.iter().find(|a| !self.allows(a.ip()));
        match (refused, found.is_empty()) {
            (Some(address), _) => Err(Unreachable::Private {
                host: host.to_owned(),
                address: address.ip(),
            }),
            (None, true) => Err(Unreachable::NoAddress {
                host: host.to_owned(),
            }),
            (None, false) => Ok(found),
        }
    }
}

/// A name the policy does not let a request reach.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreachable {
    #[error(
        "{host} resolves to {address}, which is on this machine or a private network and is not fetched"
    )]
    Private { host: String, address: IpAddr },
    #[error("{host} resolves to no address")]
    NoAddress { host: String },
}

/// Resolves names with the system's resolver and hands the connection
/// only addresses the policy allows, all or none.
pub(super) struct CheckedResolver {
    pub policy: AddressPolicy,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let checked = policy.check_all(&host, found)?;
            Ok(Box::new(checked.into_iter()) as Addrs)
        })
    }
}

/// Ranges that are not the public internet, as (first address, prefix
/// length). IPv6 forms of IPv4 addresses are judged as the IPv4 address
/// they carry ([`embedded_v4`]), so they are not listed here.
const NOT_PUBLIC_V4: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network"
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // shared address space (carrier NAT)
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local, cloud metadata
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // 6to4 relay anycast (retired)
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, and broadcast
];

/// The IPv6 internet: global unicast, 2000::/3. Everything else (loopback,
/// unique local fc00::/7, link-local fe80::/10, multicast ff00::/8, the
/// retired IPv4-compatible ::/96 …) is not public.
const GLOBAL_UNICAST_V6: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

/// Ranges inside 2000::/3 that are not the public internet.
const NOT_PUBLIC_V6: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32), // Teredo tunnels
    (Ipv6Addr::new(0x2001, 0x10, 0, 0, 0, 0, 0, 0), 28), // ORCHID
    (Ipv6Addr::new(0x2001, 0x20, 0, 0, 0, 0, 0, 0), 28), // ORCHIDv2
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation
];

/// Whether an address is on the public internet: not this machine, not a
/// private, shared, link-local, multicast, documentation or reserved range,
/// whether written as IPv4 or as IPv6 carrying an IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !NOT_PUBLIC_V4
            .iter()
            .any(|&(net, len)| in_prefix(u32::from(v4).into(), u32::from(net).into(), len, 32)),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let within = |&(net, len): &(Ipv6Addr, u8)| {
                    in_prefix(u128::from(v6), u128::from(net), len, 128)
                };
                within(&GLOBAL_UNICAST_V6) && !NOT_PUBLIC_V6.iter().any(within)
            }
        },
    }
}

/// Whether the first `len` of `bits` bits of `ip` and `net` agree.
fn in_prefix(ip: u128, net: u128, len: u8, bits: u8) -> bool {
    let shift = u32::from(bits - len);
    // No range is /0, so the shift is narrower than the value.
    ip >> shift == net >> shift
}

/// The IPv4 address an IPv6 address stands for, when it is one of the
/// forms that carry one and route to it: IPv4-mapped (`::ffff:a.b.c.d`),
/// NAT64 (`64:ff9b::a.b.c.d`, RFC 6052) and 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match ip.segments() {
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
