//! The addresses of the actor and its collections, the handle, and the
//! ids of notes' objects: all made from SITE_URL and the user name, and
//! read back from what other servers send.

use url::Url;

use crate::config::{ActivityPubSettings, SiteSettings};

/// Where the actor and its parts live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    /// `{SITE_URL}activitypub/actor`.
    pub actor: String,
    /// The actor's key: `{actor}#main-key`.
    pub key: String,
    /// The one inbox, also the shared inbox.
    pub inbox: String,
    pub outbox: String,
    pub followers: String,
    /// SITE_URL, the actor's profile page.
    pub profile: String,
    /// `user@host` (with `:port` when SITE_URL has one).
    pub handle: String,
    pub username: String,
    /// `host[:port]`, as in the handle.
    pub authority: String,
    /// `{SITE_URL}note/`: where notes' permalinks start.
    note_prefix: String,
}

impl Ids {
    pub fn new(site: &SiteSettings, settings: &ActivityPubSettings) -> Ids {
        let actor = site.url.join("activitypub/actor");
        let url = Url::parse(site.url.as_str()).expect("SITE_URL is a valid URL");
        let authority = authority(&url);
        Ids {
            key: format!("{actor}#main-key"),
            inbox: site.url.join("activitypub/inbox"),
            outbox: site.url.join("activitypub/outbox"),
            followers: site.url.join("activitypub/followers"),
            profile: site.url.as_str().to_owned(),
            handle: format!("{}@{authority}", settings.username),
            username: settings.username.clone(),
            authority,
            note_prefix: site.url.join("note/"),
            actor,
        }
    }

    /// A note's object id: its permalink, with `?v=N` from the second
    /// version on (after an undelete).
    pub fn note_object(&self, slug: &str, version: i64) -> String {
        if version <= 1 {
            format!("{}{slug}", self.note_prefix)
        } else {
            format!("{}{slug}?v={version}", self.note_prefix)
        }
    }

    /// The note an id of ours names: its slug and version. Anything else
    /// (another site, another page of this one) is `None`.
    pub fn note_in(&self, id: &str) -> Option<(String, i64)> {
        let rest = id.strip_prefix(&self.note_prefix)?;
        let rest = rest.split('#').next().unwrap_or(rest);
        let (slug, query) = rest.split_once('?').unwrap_or((rest, ""));
        if slug.is_empty() || slug.contains('/') {
            return None;
        }
        let version = match query {
            "" => 1,
            query => query.strip_prefix("v=")?.parse().ok().filter(|&v| v > 1)?,
        };
        Some((slug.to_owned(), version))
    }

    /// Whether a WebFinger `resource` names this actor: `acct:user@host`
    /// (any case), the actor's URL or the site's.
    pub fn names_actor(&self, resource: &str) -> bool {
        if let Some(account) = resource.strip_prefix("acct:") {
            let account = account.strip_prefix('@').unwrap_or(account);
            return account.eq_ignore_ascii_case(&self.handle);
        }
        let bare = |url: &str| url.trim_end_matches('/').to_owned();
        resource == self.actor || bare(resource) == bare(&self.profile)
    }
}

/// `host[:port]` of a URL: the port only when it is not the scheme's own,
/// as HTTP's `Host` header and fediverse handles write it.
pub fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SiteUrl;

    fn ids(site: &str) -> Ids {
        let site = SiteSettings {
            url: SiteUrl::parse(site).unwrap(),
            name: "Site".into(),
            description: String::new(),
            author: String::new(),
            admin_me: None,
            language: "en".into(),
        };
        let settings = ActivityPubSettings {
            username: "ada".into(),
            also_known_as: Vec::new(),
            delivery_concurrency: 16,
            icon: None,
        };
        Ids::new(&site, &settings)
    }

    #[test]
    fn addresses_and_the_handle_come_from_site_url() {
        let ids = ids("https://ada.example/");
        assert_eq!(ids.actor, "https://ada.example/activitypub/actor");
        assert_eq!(ids.key, "https://ada.example/activitypub/actor#main-key");
        assert_eq!(ids.handle, "ada@ada.example");
        let local = super::tests::ids("http://127.0.0.1:8123/blog");
        assert_eq!(local.handle, "ada@127.0.0.1:8123");
        assert_eq!(local.inbox, "http://127.0.0.1:8123/blog/activitypub/inbox");
    }

    #[test]
    fn note_ids_round_trip_with_their_version() {
        let ids = ids("https://ada.example/");
        assert_eq!(ids.note_object("hi", 1), "https://ada.example/note/hi");
        assert_eq!(ids.note_object("hi", 3), "https://ada.example/note/hi?v=3");
        assert_eq!(
            ids.note_in("https://ada.example/note/hi"),
            Some(("hi".into(), 1))
        );
        assert_eq!(
            ids.note_in("https://ada.example/note/hi?v=3"),
            Some(("hi".into(), 3))
        );
        assert_eq!(
            ids.note_in("https://ada.example/note/hi#x"),
            Some(("hi".into(), 1))
        );
        for other in [
            "https://other.example/note/hi",
            "https://ada.example/tag/hi",
            "https://ada.example/note/",
            "https://ada.example/note/a/b",
            "https://ada.example/note/hi?v=1",
            "https://ada.example/note/hi?page=2",
        ] {
            assert_eq!(ids.note_in(other), None, "{other}");
        }
    }

    #[test]
    fn webfinger_resources_name_the_actor_in_three_ways() {
        let ids = ids("http://127.0.0.1:8123/");
        for yes in [
            "acct:ada@127.0.0.1:8123",
            "acct:ADA@127.0.0.1:8123",
            "acct:@ada@127.0.0.1:8123",
            "http://127.0.0.1:8123/activitypub/actor",
            "http://127.0.0.1:8123/",
            "http://127.0.0.1:8123",
        ] {
            assert!(ids.names_actor(yes), "{yes}");
        }
        for no in [
            "acct:bob@127.0.0.1:8123",
            "acct:ada@127.0.0.1",
            "http://127.0.0.1:8123/note/x",
            "mailto:ada@127.0.0.1",
        ] {
            assert!(!ids.names_actor(no), "{no}");
        }
    }
}
