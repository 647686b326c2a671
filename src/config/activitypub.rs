//! Settings of the site as a fediverse actor: its user name (unset, no
//! federation at all), the accounts it moved from, and how many
//! deliveries may be under way at once.

use super::{ConfigError, Vars, parse_number, service_url};

/// The most characters in a user name (Mastodon allows 30).
pub const MAX_USERNAME_CHARS: usize = 30;

/// Deliveries in flight at once, when ACTIVITYPUB_DELIVERY_CONCURRENCY is
/// unset: enough to reach a few hundred servers in seconds, few enough for
/// a small machine's memory and sockets.
pub const DELIVERY_CONCURRENCY: usize = 16;

/// The site as one ActivityPub actor, `@username@host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityPubSettings {
    /// The part before the `@`: letters, digits and `_`, with `.` or `-`
    /// inside.
    pub username: String,
    /// Actors this one also is (an old Mastodon account moving here).
    pub also_known_as: Vec<url::Url>,
    /// Deliveries to other servers in flight at once.
    pub delivery_concurrency: usize,
    /// The actor's picture (ACTIVITYPUB_ICON), if the owner set one.
    pub icon: Option<url::Url>,
}

impl ActivityPubSettings {
    /// `None` when ACTIVITYPUB_USERNAME is unset: federation is off.
    pub(super) fn parse<F>(
        vars: &Vars<F>,
        production: bool,
    ) -> Result<Option<ActivityPubSettings>, ConfigError>
    where
        F: Fn(&str) -> Result<Option<String>, ConfigError>,
    {
        let Some(username) = vars.get("ACTIVITYPUB_USERNAME")? else {
            return Ok(None);
        };
        if !is_username(&username) {
            return Err(ConfigError::new(
                "ACTIVITYPUB_USERNAME",
                format!(
                    "{username:?} is not a user name: up to {MAX_USERNAME_CHARS} letters, digits \
                     and _ (with . or - between them), as in @you@your.domain"
                ),
            ));
        }
        let also_known_as = match vars.get("ACTIVITYPUB_ALSO_KNOWN_AS")? {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| service_url("ACTIVITYPUB_ALSO_KNOWN_AS", item, production))
                .collect::<Result<_, _>>()?,
        };
        let delivery_concurrency = parse_number::<usize, _>(
            vars,
            "ACTIVITYPUB_DELIVERY_CONCURRENCY",
            DELIVERY_CONCURRENCY,
            1..=256,
        )?;
        let icon = match vars.get("ACTIVITYPUB_ICON")? {
            Some(text) => Some(service_url("ACTIVITYPUB_ICON", &text, production)?),
            None => None,
        };
        Ok(Some(ActivityPubSettings {
            username,
            also_known_as,
            delivery_concurrency,
            icon,
        }))
    }
}

/// Mastodon's rule for user names: `[a-z0-9_]+([.-]+[a-z0-9_]+)*`, any case.
fn is_username(name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    name.chars().count() <= MAX_USERNAME_CHARS
        && name.starts_with(word)
        && name.ends_with(word)
        && name.chars().all(|c| word(c) || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::Settings;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| Ok(map.get(name).cloned()))
    }

    #[test]
    fn federation_is_off_unless_a_user_name_is_set() {
        assert_eq!(settings(&[]).unwrap().activitypub, None);
        let on = settings(&[
            ("ACTIVITYPUB_USERNAME", "ada"),
            (
                "ACTIVITYPUB_ALSO_KNOWN_AS",
                "https://old.example/users/ada, ,https://older.example/@ada",
            ),
        ])
        .unwrap()
        .activitypub
        .unwrap();
        assert_eq!(on.username, "ada");
        assert_eq!(on.also_known_as.len(), 2);
        assert_eq!(on.delivery_concurrency, DELIVERY_CONCURRENCY);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let production = [
            ("ENVIRONMENT", "production"),
            ("SITE_URL", "https://ada.example/"),
            ("ACTIVITYPUB_USERNAME", "ada"),
        ];
        for (var, value) in [
            ("ACTIVITYPUB_USERNAME", "ada@ada.example"),
            ("ACTIVITYPUB_ALSO_KNOWN_AS", "not a url"),
            ("ACTIVITYPUB_ALSO_KNOWN_AS", "http://old.example/users/ada"),
            ("ACTIVITYPUB_ICON", "ftp://ada.example/me.png"),
            ("ACTIVITYPUB_DELIVERY_CONCURRENCY", "0"),
            ("ACTIVITYPUB_DELIVERY_CONCURRENCY", "1000"),
        ] {
            let mut vars = production.to_vec();
            vars.retain(|(name, _)| *name != var);
            vars.push((var, value));
            let error = settings(&vars).unwrap_err();
            assert_eq!(error.variable, var, "{value}: {error}");
        }
    }

    #[test]
    fn user_names_follow_mastodon_s_rule() {
        for good in ["ada", "Ada_L", "a", "ada.lovelace", "x-1", "_"] {
            assert!(is_username(good), "{good}");
        }
        for bad in [
            "",
            "ada@host",
            ".ada",
            "ada-",
            "a da",
            "ådä",
            &"a".repeat(31),
        ] {
            assert!(!is_username(bad), "{bad}");
        }
    }
}
