//! Settings from the environment (and `.env`), validated once at start-up.
//!
//! Every value is checked here so that the rest of the program holds only
//! valid settings; a bad value stops the program with one line naming the
//! variable and what is wrong with it.

mod activitypub;
mod operations;
mod social;
mod sources;
mod webmention;

pub use activitypub::{ActivityPubSettings, DELIVERY_CONCURRENCY};
pub use operations::LogFormat;
pub use social::SocialSettings;
pub use webmention::WebmentionLimits;

use std::path::PathBuf;

use crate::domain::{ProfileUrl, SiteUrl};

pub use sources::{load_dotenv, read_var};

/// Where the site runs: development shows more detail in logs; production is
/// what the container sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Production => "production",
        }
    }
}

/// All settings of the program, valid by construction.
#[derive(Debug, Clone)]
pub struct Settings {
    pub site: SiteSettings,
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub data_path: PathBuf,
    pub notes_path: PathBuf,
    pub database_path: PathBuf,
    pub feed_max_items: u32,
    pub feed_cache_seconds: u32,
    pub environment: Environment,
    /// Where the owner signs in when their page advertises no IndieAuth
    /// server of its own.
    pub indielogin_url: url::Url,
    /// Whether the client address is the last one in `X-Forwarded-For`
    /// (set by a reverse proxy) rather than the connection's peer.
    pub trust_x_forwarded_for: bool,
    /// A WebSub hub: when set, the feeds name it and every change of the
    /// data is announced to it.
    pub websub_hub: Option<url::Url>,
    /// The most URLs in one sitemap file before `/sitemap.xml` becomes an
    /// index of several ([`SITEMAP_MAX_URLS`]). Not read from the
    /// environment; tests lower it.
    pub sitemap_max_urls: usize,
    /// The largest image the media endpoint accepts, in bytes.
    pub media_max_bytes: u64,
    /// Private addresses that apps' pages may still be read from. Not read
    /// from the environment and empty: the site reads apps' pages only on
    /// the public internet. Tests name the loopback addresses their fake
    /// apps listen on.
    pub app_pages_private_allowed: Vec<std::net::IpAddr>,
    /// Webmentions and the fediverse.
    pub social: SocialSettings,
    /// The site as a fediverse actor; `None`: federation is off.
    pub activitypub: Option<ActivityPubSettings>,
    /// How much the Webmention endpoint takes.
    pub webmention: WebmentionLimits,
    /// Where `/metrics` listens (METRICS_ADDR); `None`: no metrics.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// How log lines are written (LOG_FORMAT).
    pub log_format: LogFormat,
}

/// MEDIA_MAX_BYTES when unset: 10 MB, more than a phone's photo.
pub const MEDIA_MAX_BYTES: u64 = 10_000_000;

/// URLs per sitemap file. The sitemaps.org protocol allows 50 000; 2 000
/// (what WordPress's own sitemaps use) keeps a file near 240 KB, so each
/// part of a large site's sitemap fits in the bounded page cache instead of
/// the whole list being held in memory (100 000 notes made 12 MB of it).
pub const SITEMAP_MAX_URLS: usize = 2_000;

/// What the site says about itself in pages and feeds.
#[derive(Debug, Clone)]
pub struct SiteSettings {
    pub url: SiteUrl,
    pub name: String,
    pub description: String,
    pub author: String,
    /// The owner's own URL: the h-card's `u-url`, and the identity that
    /// may sign in, compared exactly as written.
    pub admin_me: Option<ProfileUrl>,
    pub language: String,
}

impl SiteSettings {
    /// The author's name: SITE_AUTHOR, else the site's name.
    pub fn author_name(&self) -> &str {
        if self.author.is_empty() {
            &self.name
        } else {
            &self.author
        }
    }

    /// The owner's identity URL: ADMIN_ME, else the site itself. It is
    /// the h-card's URL and the `me` of every token the site issues.
    pub fn owner_url(&self) -> &str {
        self.admin_me.as_deref().unwrap_or(self.url.as_str())
    }
}

/// A setting that cannot be used; its message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

impl ConfigError {
    fn new(variable: &str, message: impl Into<String>) -> Self {
        ConfigError {
            variable: variable.to_owned(),
            message: message.into(),
        }
    }
}

impl Settings {
    /// Settings from the process environment; call [`load_dotenv`] first.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(read_var)
    }

    /// Builds settings from any source of variables; tests pass a map.
    pub fn from_lookup<F>(lookup: F) -> Result<Settings, ConfigError>
    where
        F: Fn(&str) -> Result<Option<String>, ConfigError>,
    {
        let vars = Vars(lookup);
        let environment = match vars.get("ENVIRONMENT")?.as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::new(
                    "ENVIRONMENT",
                    format!("{other:?} is not one of development, production"),
                ));
            }
        };
        let production = environment == Environment::Production;

        let url = match vars.get("SITE_URL")? {
            Some(text) => SiteUrl::parse(&text).map_err(|e| ConfigError::new("SITE_URL", e))?,
            // A production site left at the default would publish permalinks
            // and a feed that only this machine can open.
            None if production => {
                return Err(ConfigError::new(
                    "SITE_URL",
                    "is not set, and the default (http://localhost:8000/) is only for \
                     development; set SITE_URL=https://your.domain/ for ENVIRONMENT=production",
                ));
            }
            None => SiteUrl::parse(DEFAULT_SITE_URL).expect("the default is a valid URL"),
        };
        if production && url.is_loopback() {
            return Err(ConfigError::new(
                "SITE_URL",
                format!(
                    "{url} points at this machine, so no reader could open a permalink or \
                     the feed; set SITE_URL=https://your.domain/ for ENVIRONMENT=production"
                ),
            ));
        }

        let admin_me = match vars.get("ADMIN_ME")? {
            Some(text) => Some(
                ProfileUrl::parse(&text)
                    .map_err(|e| ConfigError::new("ADMIN_ME", e.to_string()))?,
            ),
            None => None,
        };
        if let Some(me) = admin_me
            .as_ref()
            .filter(|me| production && me.is_loopback())
        {
            return Err(ConfigError::new(
                "ADMIN_ME",
                format!(
                    "{me} points at this machine, which no one else can reach; \
                     set ADMIN_ME=https://your.domain/ (or leave it unset) for ENVIRONMENT=production"
                ),
            ));
        }

        let language = vars.get("SITE_LANGUAGE")?.unwrap_or_else(|| "en".into());
        if !is_language_tag(&language) {
            return Err(ConfigError::new(
                "SITE_LANGUAGE",
                format!("{language:?} is not a language tag such as en or en-GB"),
            ));
        }

        let site = SiteSettings {
            url,
            name: vars.get("SITE_NAME")?.unwrap_or_else(|| "StarPunk".into()),
            description: vars
                .get("SITE_DESCRIPTION")?
                .unwrap_or_else(|| "A StarPunk site: notes, with a feed".into()),
            author: vars.get("SITE_AUTHOR")?.unwrap_or_default(),
            admin_me,
            language,
        };

        let host = parse_host(&vars)?;
        let port = parse_port(&vars)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = parse_number::<usize, _>(&vars, "WORKERS", cores, 1..=512)?;

        let data_path = PathBuf::from(vars.get("DATA_PATH")?.unwrap_or_else(|| "./data".into()));
        let notes_path = vars
            .get("NOTES_PATH")?
            .map(PathBuf::from)
            .unwrap_or_else(|| data_path.join("notes"));
        let database_path = vars
            .get("DATABASE_PATH")?
            .map(PathBuf::from)
            .unwrap_or_else(|| data_path.join("starpunk.db"));
        if database_path.is_dir() {
            return Err(ConfigError::new(
                "DATABASE_PATH",
                format!(
                    "{} is a directory, not a database file",
                    database_path.display()
                ),
            ));
        }

        let indielogin_url = parse_indielogin_url(&vars, production)?;
        let websub_hub = match vars.get("WEBSUB_HUB")? {
            Some(text) => Some(service_url("WEBSUB_HUB", &text, production)?),
            None => None,
        };
        let trust_x_forwarded_for = parse_bool(&vars, "TRUST_X_FORWARDED_FOR", false)?;

        let feed_max_items = parse_number::<u32, _>(&vars, "FEED_MAX_ITEMS", 50, 1..=1000)?;
        let feed_cache_seconds =
            parse_number::<u32, _>(&vars, "FEED_CACHE_SECONDS", 300, 0..=31_536_000)?;
        let media_max_bytes =
            parse_number::<u64, _>(&vars, "MEDIA_MAX_BYTES", MEDIA_MAX_BYTES, 1..=1_000_000_000)?;
        let social = SocialSettings::parse(&vars, production)?;
        let activitypub = ActivityPubSettings::parse(&vars, production)?;
        let metrics_addr = operations::parse_metrics_addr(&vars)?;
        let log_format = operations::parse_log_format(&vars)?;

        Ok(Settings {
            site,
            host,
            port,
            workers,
            data_path,
            notes_path,
            database_path,
            feed_max_items,
            feed_cache_seconds,
            environment,
            indielogin_url,
            trust_x_forwarded_for,
            websub_hub,
            sitemap_max_urls: SITEMAP_MAX_URLS,
            media_max_bytes,
            app_pages_private_allowed: Vec::new(),
            social,
            activitypub,
            webmention: WebmentionLimits::default(),
            metrics_addr,
            log_format,
        })
    }

    /// The address `starpunk healthcheck` talks to: the server's own port on
    /// loopback when it listens on every interface.
    pub fn local_health_url(&self) -> String {
        health_url(&self.host, self.port)
    }
}

/// [`Settings::local_health_url`] from `HOST` and `PORT` alone, so that a
/// health check is not stopped by a setting it does not use.
pub fn local_health_url<F>(lookup: F) -> Result<String, ConfigError>
where
    F: Fn(&str) -> Result<Option<String>, ConfigError>,
{
    let vars = Vars(lookup);
    Ok(health_url(&parse_host(&vars)?, parse_port(&vars)?))
}

const DEFAULT_SITE_URL: &str = "http://localhost:8000/";

/// A source of variables, with blank values read as unset.
struct Vars<F>(F);

impl<F> Vars<F>
where
    F: Fn(&str) -> Result<Option<String>, ConfigError>,
{
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        Ok((self.0)(name)?
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty()))
    }
}

fn parse_host<F>(vars: &Vars<F>) -> Result<String, ConfigError>
where
    F: Fn(&str) -> Result<Option<String>, ConfigError>,
{
    let host = vars.get("HOST")?.unwrap_or_else(|| "127.0.0.1".into());
    if host.parse::<std::net::IpAddr>().is_err() && host != "localhost" {
        return Err(ConfigError::new(
            "HOST",
            format!("{host:?} is not an IP address (use 127.0.0.1, 0.0.0.0 or ::)"),
        ));
    }
    Ok(host)
}

fn parse_port<F>(vars: &Vars<F>) -> Result<u16, ConfigError>
where
    F: Fn(&str) -> Result<Option<String>, ConfigError>,
{
    let port = parse_number::<u16, _>(vars, "PORT", 8000, 0..=65535)?;
    if port == 0 {
        // Port 0 asks the system for any free port: the server would run
        // where no proxy, health check or reader could find it.
        return Err(ConfigError::new(
            "PORT",
            "0 would listen on a random free port that nothing else knows; \
             use a port from 1 to 65535 (8000 by default)",
        ));
    }
    Ok(port)
}

fn health_url(host: &str, port: u16) -> String {
    let host = match host {
        "0.0.0.0" => "127.0.0.1",
        "::" => "[::1]",
        h if h.contains(':') => return format!("http://[{h}]:{port}/health"),
        h => h,
    };
    format!("http://{host}:{port}/health")
}

fn parse_number<T, F>(
    vars: &Vars<F>,
    name: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    F: Fn(&str) -> Result<Option<String>, ConfigError>,
{
    let Some(text) = vars.get(name)? else {
        return Ok(default);
    };
    match text.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(ConfigError::new(
            name,
            format!(
                "{text:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 35
        && tag.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests;

const DEFAULT_INDIELOGIN_URL: &str = "https://indielogin.com/auth";

fn parse_indielogin_url<F>(vars: &Vars<F>, production: bool) -> Result<url::Url, ConfigError>
where
    F: Fn(&str) -> Result<Option<String>, ConfigError>,
{
    let text = vars
        .get("INDIELOGIN_URL")?
        .unwrap_or_else(|| DEFAULT_INDIELOGIN_URL.to_owned());
    service_url("INDIELOGIN_URL", &text, production)
}

/// The address of an outside service the server talks to: http or https,
/// and https only in production (what is sent there must not be read or
/// changed on the way).
fn service_url(name: &str, text: &str, production: bool) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(text)
        .map_err(|e| ConfigError::new(name, format!("{text:?} is not a URL ({e})")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if !production => Ok(url),
        "http" => Err(ConfigError::new(
            name,
            format!("{text:?} must use https:// for ENVIRONMENT=production"),
        )),
        _ => Err(ConfigError::new(
            name,
            format!("{text:?} must start with https://"),
        )),
    }
}

fn parse_bool<F>(vars: &Vars<F>, name: &str, default: bool) -> Result<bool, ConfigError>
where
    F: Fn(&str) -> Result<Option<String>, ConfigError>,
{
    match vars.get(name)?.as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError::new(
            name,
            format!("{other:?} is not true or false"),
        )),
    }
}
