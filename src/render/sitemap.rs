//! `/sitemap.xml` (the sitemaps.org 0.9 protocol) and `/robots.txt`.
//!
//! One sitemap file may list at most 50 000 URLs; a site with more gets a
//! sitemap index at `/sitemap.xml` naming the parts, `/sitemap-1.xml`,
//! `/sitemap-2.xml` …, each with up to that many URLs in a fixed order.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::config::SiteSettings;

const NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// One address in a sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapUrl {
    pub loc: String,
    /// When the page last changed.
    pub lastmod: DateTime<Utc>,
}

/// What `/sitemap.xml` holds for this many URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitemapLayout {
    /// Every URL, in `/sitemap.xml` itself.
    Single,
    /// An index of this many parts.
    Index { parts: usize },
}

impl SitemapLayout {
    pub fn of(urls: usize, max_urls: usize) -> SitemapLayout {
        let max_urls = max_urls.max(1);
        if urls <= max_urls {
            SitemapLayout::Single
        } else {
            SitemapLayout::Index {
                parts: urls.div_ceil(max_urls),
            }
        }
    }
}

/// `/sitemap.xml`: the URLs themselves when they fit in one file, else the
/// index of the parts.
pub fn sitemap(site: &SiteSettings, urls: &[SitemapUrl], max_urls: usize) -> String {
    match SitemapLayout::of(urls.len(), max_urls) {
        SitemapLayout::Single => urlset(urls),
        SitemapLayout::Index { .. } => sitemap_index(site, urls, max_urls),
    }
}

/// `/sitemap-{number}.xml`, numbered from 1; `None` when there is no such
/// part (also when everything fits in `/sitemap.xml`).
pub fn sitemap_part(urls: &[SitemapUrl], max_urls: usize, number: usize) -> Option<String> {
    match SitemapLayout::of(urls.len(), max_urls) {
        SitemapLayout::Index { parts } if (1..=parts).contains(&number) => {
            let max_urls = max_urls.max(1);
            let chunk = urls.chunks(max_urls).nth(number - 1)?;
            Some(urlset(chunk))
        }
        _ => None,
    }
}

/// The address of a part of the sitemap.
pub fn sitemap_part_url(site: &SiteSettings, number: usize) -> String {
    site.url.join(&format!("sitemap-{number}.xml"))
}

fn urlset(urls: &[SitemapUrl]) -> String {
    let mut xml = String::with_capacity(100 + urls.len() * 120);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(xml, "<urlset xmlns=\"{NAMESPACE}\">");
    for url in urls {
        let _ = writeln!(
            xml,
            "<url><loc>{}</loc><lastmod>{}</lastmod></url>",
            escape(&url.loc),
            w3c_datetime(url.lastmod)
        );
    }
    xml.push_str("</urlset>\n");
    xml
}

fn sitemap_index(site: &SiteSettings, urls: &[SitemapUrl], max_urls: usize) -> String {
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(xml, "<sitemapindex xmlns=\"{NAMESPACE}\">");
    for (index, chunk) in urls.chunks(max_urls.max(1)).enumerate() {
        let lastmod = chunk
            .iter()
            .map(|u| u.lastmod)
            .max()
            .expect("chunks are never empty");
        let _ = writeln!(
            xml,
            "<sitemap><loc>{}</loc><lastmod>{}</lastmod></sitemap>",
            escape(&sitemap_part_url(site, index + 1)),
            w3c_datetime(lastmod)
        );
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

/// `/robots.txt`: everything may be crawled but the owner's pages and
/// signing in; the sitemap's absolute URL.
pub fn robots_txt(site: &SiteSettings) -> String {
    let path = site.url.path();
    format!(
        "User-agent: *\nDisallow: {path}admin\nDisallow: {path}auth\n\nSitemap: {}\n",
        site.url.join("sitemap.xml")
    )
}

/// The W3C Datetime profile of ISO 8601, in whole seconds and UTC.
fn w3c_datetime(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Entity-escapes text for XML; sitemaps.org asks for it in `<loc>`.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::render::feeds::tests::site;

    fn urls(count: usize) -> Vec<SitemapUrl> {
        (0..count)
            .map(|i| SitemapUrl {
                loc: format!("https://example.com/blog/note/n{i}?a=1&b=2"),
                lastmod: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
                    + chrono::Duration::days(i as i64),
            })
            .collect()
    }

    #[test]
    fn few_urls_make_one_urlset() {
        let xml = sitemap(&site(), &urls(3), 3);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
        assert_eq!(xml.matches("<url>").count(), 3);
        assert!(xml.contains(
            "<url><loc>https://example.com/blog/note/n0?a=1&amp;b=2</loc><lastmod>2026-01-01T00:00:00Z</lastmod></url>"
        ));
        assert_eq!(sitemap_part(&urls(3), 3, 1), None, "no parts");
    }

    #[test]
    fn more_urls_than_fit_make_an_index_of_parts() {
        let all = urls(7);
        assert_eq!(SitemapLayout::of(7, 3), SitemapLayout::Index { parts: 3 });
        let index = sitemap(&site(), &all, 3);
        assert!(
            index.contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">")
        );
        assert!(index.contains(
            "<sitemap><loc>https://example.com/blog/sitemap-1.xml</loc><lastmod>2026-01-03T00:00:00Z</lastmod></sitemap>"
        ));
        assert!(index.contains(
            "<sitemap><loc>https://example.com/blog/sitemap-3.xml</loc><lastmod>2026-01-07T00:00:00Z</lastmod></sitemap>"
        ));
        assert_eq!(index.matches("<sitemap>").count(), 3);

        let parts: Vec<String> = (1..=3).map(|n| sitemap_part(&all, 3, n).unwrap()).collect();
        assert_eq!(
            parts
                .iter()
                .map(|p| p.matches("<url>").count())
                .collect::<Vec<_>>(),
            vec![3, 3, 1]
        );
        assert!(parts[2].contains("note/n6?"));
        assert_eq!(sitemap_part(&all, 3, 0), None);
        assert_eq!(sitemap_part(&all, 3, 4), None);
    }

    #[test]
    fn robots_keeps_crawlers_out_of_the_owner_pages_and_names_the_sitemap() {
        assert_eq!(
            robots_txt(&site()),
            "User-agent: *\nDisallow: /blog/admin\nDisallow: /blog/auth\n\n\
             Sitemap: https://example.com/blog/sitemap.xml\n"
        );
    }
}
