//! A Webmention as the endpoint receives it (`source`, `target`), checked
//! at once, before anything is fetched: both web URLs, not the same, and
//! the target a note of this site (Webmention § 3.2.1).

use url::Url;

use crate::domain::SiteUrl;

/// The longest source or target URL taken.
pub const MAX_URL_CHARS: usize = 2000;

/// A mention that passed the checks made at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionRequest {
    pub source: Url,
    /// As sent: the source must link to exactly this.
    pub target: String,
    /// The slug of the note it names.
    pub slug: String,
}

impl MentionRequest {
    /// The source's host, by which mentions are limited, trusted and
    /// blocked.
    pub fn source_host(&self) -> String {
        self.source
            .host_str()
            .unwrap_or_default()
            .trim_end_matches('.')
            .to_ascii_lowercase()
    }
}

/// Checks `source` and `target`; the error says, to the sender, what is
/// wrong.
pub fn check(site: &SiteUrl, source: &str, target: &str) -> Result<MentionRequest, String> {
    let source_url = web_url("source", source)?;
    let target_url = web_url("target", target)?;
    if without_fragment(&source_url) == without_fragment(&target_url) {
        return Err("`source` and `target` are the same URL: a page cannot mention itself".into());
    }
    let slug = note_slug(site, &target_url).ok_or_else(|| {
        format!(
            "`target` {} is not a note of this site; Webmentions are taken for its notes \
             ({}note/…)",
            shown(target),
            site.as_str()
        )
    })?;
    Ok(MentionRequest {
        source: source_url,
        target: target.trim().to_owned(),
        slug,
    })
}

fn web_url(name: &str, text: &str) -> Result<Url, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!(
            "`{name}` is missing: send `source` and `target` as a form"
        ));
    }
    if text.chars().count() > MAX_URL_CHARS {
        return Err(format!(
            "`{name}` is longer than {MAX_URL_CHARS} characters"
        ));
    }
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(format!(
            "`{name}` {} is not an absolute http or https URL",
            shown(text)
        )),
    }
}

fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}

/// The slug a URL names under the site's `note/` path. The scheme is not
/// compared (a page may link the `http` address of an `https` site),
/// the host's case and a default port never mattered, and a trailing
/// slash, a query or a fragment are ignored.
pub fn note_slug(site: &SiteUrl, url: &Url) -> Option<String> {
    let site = Url::parse(site.as_str()).ok()?;
    if url.host_str()? != site.host_str()? || url.port() != site.port() {
        return None;
    }
    let rest = url
        .path()
        .strip_prefix(site.path())?
        .strip_prefix("note/")?;
    let slug = rest.strip_suffix('/').unwrap_or(rest);
    let valid = !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    valid.then(|| slug.to_owned())
}

/// A URL quoted in a message: short, whatever was sent.
fn shown(text: &str) -> String {
    let short: String = text.chars().take(200).collect();
    format!("{short:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteUrl {
        SiteUrl::parse("https://Me.example/blog/").unwrap()
    }

    #[test]
    fn a_target_names_a_note_however_its_address_is_written() {
        for target in [
            "https://me.example/blog/note/hello",
            "http://ME.example/blog/note/hello/",
            "https://me.example:443/blog/note/hello#comments",
            "https://me.example/blog/note/hello?utm=x",
        ] {
            let checked = check(&site(), "https://you.example/reply", target).unwrap();
            assert_eq!(checked.slug, "hello", "{target}");
            assert_eq!(checked.target, target);
        }
        assert_eq!(
            check(
                &site(),
                "https://You.Example./r",
                "https://me.example/blog/note/a"
            )
            .unwrap()
            .source_host(),
            "you.example"
        );
    }

    #[test]
    fn each_mistake_is_said() {
        let cases = [
            ("", "https://me.example/blog/note/a", "`source` is missing"),
            (
                "ftp://x.example/",
                "https://me.example/blog/note/a",
                "`source`",
            ),
            ("https://x.example/", "/blog/note/a", "`target`"),
            (
                "https://x.example/",
                "https://other.example/blog/note/a",
                "not a note",
            ),
            (
                "https://x.example/",
                "https://me.example/blog/",
                "not a note",
            ),
            (
                "https://x.example/",
                "https://me.example:8443/blog/note/a",
                "not a note",
            ),
            (
                "https://x.example/",
                "https://me.example/blog/note/A_B",
                "not a note",
            ),
            (
                "https://me.example/blog/note/a#x",
                "https://me.example/blog/note/a",
                "the same URL",
            ),
        ];
        for (source, target, says) in cases {
            let err = check(&site(), source, target).unwrap_err();
            assert!(err.contains(says), "{source} {target}: {err}");
        }
        let long = format!("https://x.example/{}", "a".repeat(MAX_URL_CHARS));
        assert!(check(&site(), &long, "https://me.example/blog/note/a").is_err());
    }
}
