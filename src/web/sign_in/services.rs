//! What signing in needs beyond the database: HTTP clients for the
//! owner's authorization server and for apps' pages, and the rate limit
//! of sign-in attempts per client address.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::HttpRequest;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Settings;
use crate::outbound::{AddressPolicy, Outbound, OutboundRules};
use crate::web::WebError;
use crate::web::session::client_ip;

/// Sign-in attempts allowed per client address: a burst of this many, then
/// one more every sixth of a minute.
const SIGN_INS_PER_MINUTE: u32 = 10;
/// For discovery and redemption: long enough for a slow server, short
/// enough that the owner is not left waiting.
const OUTBOUND_TIMEOUT: Duration = Duration::from_secs(5);

/// What signing in needs beyond the database: HTTP clients for the
/// owner's authorization server and for apps' pages, and the rate limit.
pub struct SignInServices {
    pub(super) outbound: Outbound,
    apps: Outbound,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl SignInServices {
    pub fn new(settings: &Settings) -> SignInServices {
        let outbound = Outbound::new(OutboundRules {
            https_only: settings.environment == crate::config::Environment::Production,
            user_agent: format!(
                "StarPunk/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                settings.site.url
            ),
            timeout: OUTBOUND_TIMEOUT,
        });
        let per_minute = NonZeroU32::new(SIGN_INS_PER_MINUTE).expect("not zero");
        let apps = outbound
            .clone()
            .with_address_policy(AddressPolicy::PublicOnly {
                also: settings.app_pages_private_allowed.as_slice().into(),
            });
        SignInServices {
            outbound,
            apps,
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// The HTTP client for the owner's profile page and authorization
    /// server, which the owner's own settings name.
    pub fn outbound(&self) -> &Outbound {
        &self.outbound
    }

    /// The HTTP client for the pages of apps asking this site for access:
    /// anyone can name those, so it reaches only public addresses.
    pub fn apps_outbound(&self) -> &Outbound {
        &self.apps
    }

    /// Counts an attempt from this client; refused beyond the limit.
    pub(super) fn admit(&self, req: &HttpRequest, settings: &Settings) -> Result<(), WebError> {
        let Some(ip) = client_ip(req, settings) else {
            return Ok(());
        };
        self.limiter.check_key(&ip).map_err(|_| {
            log::warn!("sign-in: too many attempts from {ip}");
            WebError::TooManyRequests
        })
    }

    /// Forgets clients that have not tried for a while (bounded memory).
    pub fn forget_idle_clients(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}
