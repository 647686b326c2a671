//! The site's base URL, from which every absolute URL is built.

use std::fmt;

use super::loopback::is_loopback;

/// An absolute `http`/`https` URL that ends with exactly one `/`.
///
/// Built once from `SITE_URL`; links are made with [`SiteUrl::join`], never
/// by string concatenation, so no URL can contain `//` after the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrl(url::Url);

impl SiteUrl {
    pub fn parse(text: &str) -> Result<SiteUrl, String> {
        let mut url = url::Url::parse(text.trim())
            .map_err(|e| format!("{text:?} is not an absolute URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{text:?} must start with http:// or https://"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{text:?} has no host name"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{text:?} must not have a query or fragment"));
        }
        // Collapse any run of slashes in the path and end it with one slash.
        let segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
        let path = if segments.is_empty() {
            "/".to_owned()
        } else {
            format!("/{}/", segments.join("/"))
        };
        url.set_path(&path);
        Ok(SiteUrl(url))
    }

    /// The URL as text, always ending in `/`.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The path part (`/` or `/blog/`), for links inside pages.
    pub fn path(&self) -> &str {
        self.0.path()
    }

    /// Whether the site's address is this machine (`localhost`,
    /// `127.0.0.1`, `[::1]` …), which no reader can reach.
    pub fn is_loopback(&self) -> bool {
        self.0.host().as_ref().is_some_and(is_loopback)
    }

    /// An absolute URL for `relative`, always under the site: a leading `/`
    /// is dropped, and so are `.` and `..` segments, which would otherwise
    /// climb out of the site's path (`/blog/../admin`).
    pub fn join(&self, relative: &str) -> String {
        // Read the input as the URL parser will: it trims trailing spaces and
        // controls, drops tabs and newlines anywhere (`.\t.` is `..`), and
        // ends the path at `?` or `#`.
        let relative: String = relative
            .trim_end_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        let path_end = relative.find(['?', '#']).unwrap_or(relative.len());
        let (path, rest) = relative.split_at(path_end);
        // `\` separates segments too, in http(s) URLs.
        let path = path
            .split(['/', '\\'])
            .filter(|segment| !is_dot_segment(segment))
            .collect::<Vec<_>>()
            .join("/");
        format!("{}{}{}", self.as_str(), path.trim_start_matches('/'), rest)
    }
}

/// `.` or `..`, also percent-encoded (`%2e`, `.%2E` …), as the URL
/// Standard defines them.
fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

impl fmt::Display for SiteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_to_exactly_one_trailing_slash() {
        for (input, expected) in [
            ("https://example.com", "https://example.com/"),
            ("https://example.com/", "https://example.com/"),
            ("https://example.com//", "https://example.com/"),
            ("https://example.com/blog", "https://example.com/blog/"),
            ("https://example.com//blog//", "https://example.com/blog/"),
            ("http://localhost:8000", "http://localhost:8000/"),
        ] {
            assert_eq!(SiteUrl::parse(input).unwrap().as_str(), expected, "{input}");
        }
    }

    #[test]
    fn join_never_doubles_slashes() {
        let url = SiteUrl::parse("https://example.com/blog//").unwrap();
        assert_eq!(url.join("feed.xml"), "https://example.com/blog/feed.xml");
        assert_eq!(url.join("/note/a"), "https://example.com/blog/note/a");
    }

    #[test]
    fn join_never_leaves_the_site() {
        let url = SiteUrl::parse("https://example.com/blog/").unwrap();
        for (relative, expected) in [
            ("../admin", "https://example.com/blog/admin"),
            ("note/../../x", "https://example.com/blog/note/x"),
            ("%2e%2E/x", "https://example.com/blog/x"),
            (".\t./x", "https://example.com/blog/x"),
            ("..\\x", "https://example.com/blog/x"),
            ("a/.. \n", "https://example.com/blog/a"),
            ("./?page=2", "https://example.com/blog/?page=2"),
            ("?page=2#..", "https://example.com/blog/?page=2#.."),
            ("note/a.b/..c", "https://example.com/blog/note/a.b/..c"),
        ] {
            assert_eq!(url.join(relative), expected, "{relative:?}");
        }
    }

    #[test]
    fn knows_a_loopback_address() {
        for (url, local) in [
            ("http://localhost:8000/", true),
            ("http://127.0.0.1:9000/", true),
            ("http://[::1]/", true),
            ("https://example.com/", false),
            ("https://localhost.example.com/", false),
        ] {
            assert_eq!(SiteUrl::parse(url).unwrap().is_loopback(), local, "{url}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_site() {
        for bad in [
            "example.com",
            "ftp://example.com/",
            "https://",
            "https://e.com/?a=1",
        ] {
            assert!(SiteUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
