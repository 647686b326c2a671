//! Settings as an operator writes them.

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
        ("PORT", "0"),
        ("ADMIN_ME", "https://example.com/#me"),
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

#[test]
fn port_zero_is_refused_saying_why() {
    let err = settings(&[("PORT", "0")]).unwrap_err();
    assert_eq!(err.variable, "PORT");
    assert!(err.message.contains("random free port"), "{err}");
    assert_eq!(settings(&[("PORT", "1")]).unwrap().port, 1);
    assert_eq!(settings(&[("PORT", "65535")]).unwrap().port, 65535);
}

#[test]
fn production_needs_a_public_site_url() {
    for site_url in [
        None,
        Some("http://localhost:8000/"),
        Some("http://127.0.0.1:9000/"),
        Some("http://[::1]/"),
    ] {
        let mut vars = vec![("ENVIRONMENT", "production")];
        vars.extend(site_url.map(|url| ("SITE_URL", url)));
        let err = settings(&vars).unwrap_err();
        assert_eq!(err.variable, "SITE_URL", "{site_url:?}");
        assert!(
            err.message.contains("SITE_URL=https://your.domain/"),
            "{err}"
        );
    }
    let s = settings(&[
        ("ENVIRONMENT", "production"),
        ("SITE_URL", "https://notes.example/"),
    ])
    .unwrap();
    assert_eq!(s.environment, Environment::Production);
    // Development may use any address.
    assert!(settings(&[("SITE_URL", "http://127.0.0.1:9000/")]).is_ok());
}

#[test]
fn production_refuses_a_loopback_identity() {
    let err = settings(&[
        ("ENVIRONMENT", "production"),
        ("SITE_URL", "https://notes.example/"),
        ("ADMIN_ME", "http://localhost:8000/"),
    ])
    .unwrap_err();
    assert_eq!(err.variable, "ADMIN_ME");
    assert!(settings(&[("ADMIN_ME", "http://localhost:8000/")]).is_ok());
}

#[test]
fn admin_me_is_kept_as_written() {
    for (written, kept) in [
        ("https://example.com/about", "https://example.com/about"),
        ("https://Example.com", "https://example.com/"),
        (
            "https://example.com/users?id=100",
            "https://example.com/users?id=100",
        ),
    ] {
        let s = settings(&[("ADMIN_ME", written)]).unwrap();
        assert_eq!(s.site.admin_me.as_deref(), Some(kept), "{written}");
    }
    assert_eq!(settings(&[]).unwrap().site.admin_me, None);
}

#[test]
fn the_health_url_needs_only_host_and_port() {
    let vars: HashMap<&str, &str> = HashMap::from([
        ("HOST", "0.0.0.0"),
        ("PORT", "9000"),
        ("SITE_URL", "not a url"),
    ]);
    let lookup = |name: &str| Ok(vars.get(name).map(|v| v.to_string()));
    assert_eq!(
        local_health_url(lookup).unwrap(),
        "http://127.0.0.1:9000/health"
    );
    let err =
        local_health_url(|name: &str| Ok((name == "PORT").then(|| "0".to_owned()))).unwrap_err();
    assert_eq!(err.variable, "PORT");
}

#[test]
fn websub_hub_is_optional_and_https_in_production() {
    assert_eq!(settings(&[]).unwrap().websub_hub, None);
    let s = settings(&[("WEBSUB_HUB", "http://127.0.0.1:9000/hub")]).unwrap();
    assert_eq!(
        s.websub_hub.as_ref().map(url::Url::as_str),
        Some("http://127.0.0.1:9000/hub")
    );
    let production = [
        ("ENVIRONMENT", "production"),
        ("SITE_URL", "https://notes.example/"),
    ];
    for (hub, ok) in [
        ("https://hub.example/", true),
        ("http://hub.example/", false),
        ("ftp://hub.example/", false),
        ("not a url", false),
    ] {
        let mut vars = production.to_vec();
        vars.push(("WEBSUB_HUB", hub));
        match settings(&vars) {
            Ok(s) => assert!(ok && s.websub_hub.is_some(), "{hub}"),
            Err(err) => {
                assert!(!ok, "{hub}: {err}");
                assert_eq!(err.variable, "WEBSUB_HUB");
            }
        }
    }
}
