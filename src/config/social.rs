//! Settings for talking with other sites: Webmentions in and out, and the
//! fediverse.

use super::{ConfigError, Vars, parse_bool};

/// How the site takes part in conversations with other sites.
#[derive(Debug, Clone)]
pub struct SocialSettings {
    /// Let outgoing requests reach loopback and private addresses (tests
    /// run other "sites" on 127.0.0.2, 127.0.0.3, …). Refused in
    /// production: anyone can make the site fetch an address.
    pub allow_private_addresses: bool,
    /// Private addresses requests to other sites may still reach when
    /// ALLOW_PRIVATE_ADDRESSES is off. Not read from the environment and
    /// empty; tests name the loopback addresses of fake sites, to see that
    /// every other one is refused.
    pub also_reachable: Vec<std::net::IpAddr>,
    /// Hold received Webmentions (and fediverse replies, likes and boosts)
    /// until the owner approves them.
    pub moderation: bool,
}

impl SocialSettings {
    pub(super) fn parse<F>(vars: &Vars<F>, production: bool) -> Result<SocialSettings, ConfigError>
    where
        F: Fn(&str) -> Result<Option<String>, ConfigError>,
    {
        let allow_private_addresses = parse_bool(vars, "ALLOW_PRIVATE_ADDRESSES", false)?;
        if allow_private_addresses && production {
            return Err(ConfigError::new(
                "ALLOW_PRIVATE_ADDRESSES",
                "is for tests on one machine: with ENVIRONMENT=production anyone could make \
                 the site fetch addresses on its own network; leave it unset",
            ));
        }
        Ok(SocialSettings {
            allow_private_addresses,
            also_reachable: Vec::new(),
            moderation: parse_bool(vars, "WEBMENTION_MODERATION", true)?,
        })
    }
}
