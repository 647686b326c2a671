//! `/sitemap.xml` (the sitemaps.org 0.9 protocol) and `/robots.txt`.
//!
//! One sitemap file lists at most `SITEMAP_MAX_URLS` (2 000) URLs; a site
//! with more gets a sitemap index at `/sitemap.xml` naming the parts, `/sitemap-1.xml`,
//! `/sitemap-2.xml` …, each with up to that many URLs in a fixed order.

use std::fmt::Write;
use std::ops::Range;

use chrono::{DateTime, Utc};

use super::escape;
use crate::config::SiteSettings;

const NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

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

    /// The positions (from 0, in the sitemap's fixed order) that part
    /// `number` (from 1) lists; `None` when there is no such part.
    pub fn part_range(self, urls: usize, max_urls: usize, number: usize) -> Option<Range<usize>> {
        match self {
            SitemapLayout::Index { parts } if (1..=parts).contains(&number) => {
                let max_urls = max_urls.max(1);
                let start = (number - 1) * max_urls;
                Some(start..(start + max_urls).min(urls))
            }
            _ => None,
        }
    }
}

/// A `<urlset>` (`/sitemap.xml` itself, or one part), written a URL at a
/// time so that no list of the site's URLs is ever held.
pub struct UrlSet {
    xml: String,
}

impl UrlSet {
    pub fn new(expected_urls: usize) -> UrlSet {
        let mut xml = String::with_capacity(100 + expected_urls * 120);
        xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(xml, "<urlset xmlns=\"{NAMESPACE}\">");
        UrlSet { xml }
    }

    /// Adds a page and when it last changed.
    pub fn push(&mut self, loc: &str, lastmod: DateTime<Utc>) {
        let _ = writeln!(
            self.xml,
            "<url><loc>{}</loc><lastmod>{}</lastmod></url>",
            escape(loc),
            w3c_datetime(lastmod)
        );
    }

    pub fn finish(mut self) -> String {
        self.xml.push_str("</urlset>\n");
        self.xml
    }
}

/// The `<sitemapindex>` of a site with more URLs than one file may list:
/// fed every URL's date in order, it names each part with the latest
/// change among its URLs.
pub struct SitemapIndex {
    max_urls: usize,
    seen: usize,
    part_dates: Vec<DateTime<Utc>>,
}

impl SitemapIndex {
    pub fn new(max_urls: usize) -> SitemapIndex {
        SitemapIndex {
            max_urls: max_urls.max(1),
            seen: 0,
            part_dates: Vec::new(),
        }
    }

    /// Counts `count` URLs in a row, all in one part, the latest of which
    /// changed at `lastmod`.
    pub fn push_run(&mut self, count: usize, lastmod: DateTime<Utc>) {
        if count == 0 {
            return;
        }
        debug_assert!(
            self.seen % self.max_urls + count <= self.max_urls,
            "a run stays within one part"
        );
        self.push(lastmod);
        self.seen += count - 1;
    }

    /// Counts the next URL, which changed at `lastmod`.
    pub fn push(&mut self, lastmod: DateTime<Utc>) {
        if self.seen.is_multiple_of(self.max_urls) {
            self.part_dates.push(lastmod);
        } else if let Some(latest) = self.part_dates.last_mut() {
            *latest = (*latest).max(lastmod);
        }
        self.seen += 1;
    }

    pub fn finish(self, site: &SiteSettings) -> String {
        let mut xml = String::new();
        xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(xml, "<sitemapindex xmlns=\"{NAMESPACE}\">");
        for (index, lastmod) in self.part_dates.into_iter().enumerate() {
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
}

/// The address of a part of the sitemap.
pub fn sitemap_part_url(site: &SiteSettings, number: usize) -> String {
    site.url.join(&format!("sitemap-{number}.xml"))
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::render::feeds::tests::site;

    fn day(i: usize) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::days(i as i64)
    }

    #[test]
    fn a_urlset_lists_each_page_escaped_with_its_date() {
        let mut set = UrlSet::new(2);
        set.push("https://example.com/blog/note/n0?a=1&b=2", day(0));
        set.push("https://example.com/blog/note/n1", day(1));
        let xml = set.finish();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
        assert!(xml.ends_with("</urlset>\n"));
        assert_eq!(xml.matches("<url>").count(), 2);
        assert!(xml.contains(
            "<url><loc>https://example.com/blog/note/n0?a=1&amp;b=2</loc><lastmod>2026-01-01T00:00:00Z</lastmod></url>"
        ));
    }

    #[test]
    fn few_urls_fit_in_one_file_with_no_parts() {
        assert_eq!(SitemapLayout::of(3, 3), SitemapLayout::Single);
        assert_eq!(SitemapLayout::of(3, 3).part_range(3, 3, 1), None);
    }

    #[test]
    fn more_urls_than_fit_make_an_index_of_parts() {
        let layout = SitemapLayout::of(7, 3);
        assert_eq!(layout, SitemapLayout::Index { parts: 3 });
        assert_eq!(layout.part_range(7, 3, 1), Some(0..3));
        assert_eq!(layout.part_range(7, 3, 3), Some(6..7));
        assert_eq!(layout.part_range(7, 3, 0), None);
        assert_eq!(layout.part_range(7, 3, 4), None);

        let mut index = SitemapIndex::new(3);
        // Dates out of order within a part: the latest one names it.
        for i in [2, 0, 1, 3, 5, 4, 6] {
            index.push(day(i));
        }
        let xml = index.finish(&site());
        assert!(
            xml.contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">")
        );
        assert!(xml.contains(
            "<sitemap><loc>https://example.com/blog/sitemap-1.xml</loc><lastmod>2026-01-03T00:00:00Z</lastmod></sitemap>"
        ));
        assert!(xml.contains(
            "<sitemap><loc>https://example.com/blog/sitemap-2.xml</loc><lastmod>2026-01-06T00:00:00Z</lastmod></sitemap>"
        ));
        assert!(xml.contains(
            "<sitemap><loc>https://example.com/blog/sitemap-3.xml</loc><lastmod>2026-01-07T00:00:00Z</lastmod></sitemap>"
        ));
        assert_eq!(xml.matches("<sitemap>").count(), 3);
    }

    #[test]
    fn runs_of_urls_count_into_their_parts() {
        let mut index = SitemapIndex::new(3);
        index.push(day(0));
        index.push_run(2, day(5));
        index.push_run(3, day(4));
        index.push_run(0, day(30));
        index.push_run(1, day(9));
        let xml = index.finish(&site());
        let dates: Vec<&str> = xml
            .match_indices("<lastmod>")
            .map(|(i, _)| &xml[i + 9..i + 19])
            .collect();
        assert_eq!(dates, vec!["2026-01-06", "2026-01-05", "2026-01-10"]);
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
