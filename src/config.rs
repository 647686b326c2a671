//! Settings from the environment (and `.env`), validated once at start-up.
//!
//! Every value is checked here so that the rest of the program holds only
//! valid settings; a bad value stops the program with one line naming the
//! variable and what is wrong with it.

use std::path::{Path, PathBuf};

use crate::domain::SiteUrl;

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
}

/// What the site says about itself in pages and feeds.
#[derive(Debug, Clone)]
pub struct SiteSettings {
    pub url: SiteUrl,
    pub name: String,
    pub description: String,
    pub author: String,
    /// The owner's own URL: the h-card's `u-url`, and later the identity
    /// that may sign in.
    pub admin_me: Option<String>,
    pub language: String,
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
    /// Reads `.env` in the current folder (if present; real environment
    /// variables win) and then the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        match dotenvy::from_path(".env") {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::new(".env", e.to_string())),
        }
        Settings::from_lookup(read_var)
    }

    /// Builds settings from any source of variables; tests pass a map.
    pub fn from_lookup<F>(lookup: F) -> Result<Settings, ConfigError>
    where
        F: Fn(&str) -> Result<Option<String>, ConfigError>,
    {
        let get = |name: &str| -> Result<Option<String>, ConfigError> {
            Ok(lookup(name)?
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()))
        };

        let url_text = get("SITE_URL")?.unwrap_or_else(|| "http://localhost:8000/".into());
        let url = SiteUrl::parse(&url_text).map_err(|e| ConfigError::new("SITE_URL", e))?;

        let admin_me = match get("ADMIN_ME")? {
            Some(me) => Some(
                SiteUrl::parse(&me)
                    .map_err(|e| ConfigError::new("ADMIN_ME", e))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };

        let language = get("SITE_LANGUAGE")?.unwrap_or_else(|| "en".into());
        if !is_language_tag(&language) {
            return Err(ConfigError::new(
                "SITE_LANGUAGE",
                format!("{language:?} is not a language tag such as en or en-GB"),
            ));
        }

        let site = SiteSettings {
            url,
            name: get("SITE_NAME")?.unwrap_or_else(|| "StarPunk".into()),
            description: get("SITE_DESCRIPTION")?
                .unwrap_or_else(|| "A StarPunk site: notes, with a feed".into()),
            author: get("SITE_AUTHOR")?.unwrap_or_default(),
            admin_me,
            language,
        };

        let host = get("HOST")?.unwrap_or_else(|| "127.0.0.1".into());
        if host.parse::<std::net::IpAddr>().is_err() && host != "localhost" {
            return Err(ConfigError::new(
                "HOST",
                format!("{host:?} is not an IP address (use 127.0.0.1, 0.0.0.0 or ::)"),
            ));
        }
        let port = parse_number::<u16>(&get, "PORT", 8000, 0..=65535)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = parse_number::<usize>(&get, "WORKERS", cores, 1..=512)?;

        let data_path = PathBuf::from(get("DATA_PATH")?.unwrap_or_else(|| "./data".into()));
        let notes_path = get("NOTES_PATH")?
            .map(PathBuf::from)
            .unwrap_or_else(|| data_path.join("notes"));
        let database_path = get("DATABASE_PATH")?
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

        let feed_max_items = parse_number::<u32>(&get, "FEED_MAX_ITEMS", 50, 1..=1000)?;
        let feed_cache_seconds =
            parse_number::<u32>(&get, "FEED_CACHE_SECONDS", 300, 0..=31_536_000)?;

        let environment = match get("ENVIRONMENT")?.as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::new(
                    "ENVIRONMENT",
                    format!("{other:?} is not one of development, production"),
                ));
            }
        };

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
        })
    }

    /// The address `starpunk healthcheck` talks to: the server's own port on
    /// loopback when it listens on every interface.
    pub fn local_health_url(&self) -> String {
        let host = match self.host.as_str() {
            "0.0.0.0" => "127.0.0.1",
            "::" => "[::1]",
            h if h.contains(':') => return format!("http://[{h}]:{}/health", self.port),
            h => h,
        };
        format!("http://{host}:{}/health", self.port)
    }
}

/// Reads one variable; `NAME_FILE` (a path, as container secrets provide)
/// is used when `NAME` itself is unset.
pub fn read_var(name: &str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(v) => return Ok(Some(v)),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(ConfigError::new(name, "is not valid UTF-8"));
        }
        Err(std::env::VarError::NotPresent) => {}
    }
    let file_var = format!("{name}_FILE");
    match std::env::var(&file_var) {
        Ok(path) => std::fs::read_to_string(Path::new(&path))
            .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_owned()))
            .map_err(|e| ConfigError::new(&file_var, format!("cannot read {path}: {e}"))),
        Err(_) => Ok(None),
    }
}

fn parse_number<T>(
    get: &impl Fn(&str) -> Result<Option<String>, ConfigError>,
    name: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(text) = get(name)? else {
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
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| Ok(map.get(name).cloned()))
    }

    #[test]
    fn defaults_are_usable() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.site.url.as_str(), "http://localhost:8000/");
        assert_eq!(s.port, 8000);
        assert_eq!(s.host, "127.0.0.1");
        assert_eq!(s.notes_path, PathBuf::from("./data/notes"));
        assert_eq!(s.database_path, PathBuf::from("./data/starpunk.db"));
        assert_eq!(s.feed_max_items, 50);
        assert_eq!(s.environment, Environment::Development);
    }

    #[test]
    fn paths_follow_data_path_unless_set() {
        let s = settings(&[("DATA_PATH", "/srv/sp"), ("NOTES_PATH", "/n")]).unwrap();
        assert_eq!(s.notes_path, PathBuf::from("/n"));
        assert_eq!(s.database_path, PathBuf::from("/srv/sp/starpunk.db"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("PORT", "eighty"),
            ("PORT", "70000"),
            ("WORKERS", "0"),
            ("FEED_MAX_ITEMS", "-1"),
            ("ENVIRONMENT", "staging"),
            ("SITE_URL", "ftp://example.com"),
            ("SITE_URL", "not a url"),
            ("HOST", "my host"),
            ("SITE_LANGUAGE", "english please"),
        ] {
            let err = settings(&[(var, value)]).unwrap_err();
            assert_eq!(err.variable, var, "{value}");
            assert!(err.to_string().starts_with(var));
        }
    }

    #[test]
    fn health_url_uses_loopback_for_wildcard_hosts() {
        let s = settings(&[("HOST", "0.0.0.0"), ("PORT", "9000")]).unwrap();
        assert_eq!(s.local_health_url(), "http://127.0.0.1:9000/health");
        let s = settings(&[("HOST", "::")]).unwrap();
        assert_eq!(s.local_health_url(), "http://[::1]:8000/health");
    }
}
