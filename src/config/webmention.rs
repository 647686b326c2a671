//! How much the Webmention endpoint takes. Not read from the environment:
//! the defaults suit a personal site; tests lower them.

/// Limits on Webmentions received.
#[derive(Debug, Clone)]
pub struct WebmentionLimits {
    /// Mentions one source host may send in an hour (a burst of this
    /// many, then one every hour / this).
    pub per_host_per_hour: u32,
    /// Mentions that may wait for verification at once; past this the
    /// endpoint answers 429.
    pub queue: u32,
}

impl Default for WebmentionLimits {
    fn default() -> WebmentionLimits {
        WebmentionLimits {
            per_host_per_hour: 30,
            queue: 1000,
        }
    }
}
