//! What a note's HTML may keep: ammonia's tags and attributes (no script or
//! style, no event handlers), an explicit list of URL schemes, and inline
//! images.

use std::borrow::Cow;
use std::sync::LazyLock;

use ammonia::{Builder, Url, UrlRelative};

/// URL schemes a link, image or quotation source may use; relative URLs
/// are kept too. ammonia allows two dozen by default (ssh, magnet, sms,
/// webcal, irc, …), each handing the reader's click to another program,
/// which a personal notes site has no need for. Kept:
/// - `http`, `https`: the web;
/// - `mailto`: "write to me";
/// - `tel`: a phone number in a note (an event, a shop) is ordinary, and the
///   phone asks before it dials.
///
/// Left out, though harmless: `geo` and `xmpp` (rare in notes; add them here
/// when one is needed). `data:` is allowed for raster images only, see
/// [`keep_url`].
pub const URL_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// The media types a `data:` URL in `<img src>` may have: raster images,
/// which are pixels and nothing else. Not SVG: it is a document that can
/// carry script and links, and feed readers show items in places whose
/// rules we do not know.
pub const DATA_URL_IMAGE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
];

/// The sanitiser for pages: relative URLs stay relative. No `rel` is added
/// to links: it would leave `<a rel>` without `href` (invalid) where a
/// `javascript:` URL was removed, and ammonia already strips `target`.
static FOR_PAGES: LazyLock<Builder<'static>> = LazyLock::new(|| builder(UrlRelative::PassThrough));

/// Sanitises HTML for a page, whatever it contains.
pub fn sanitise(html: &str) -> String {
    if html.is_empty() {
        return String::new();
    }
    add_missing_alt(&FOR_PAGES.clean(html).to_string())
}

/// The tags kept in what another site wrote (a reply's content): text
/// and its formatting, quotes, lists and links; nothing that loads
/// anything (images, media, frames), so a visitor's browser asks no third
/// party for anything when it shows a reply.
const FOREIGN_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "cite",
    "code",
    "del",
    "em",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "u",
    "ul",
];

/// Sanitises HTML another site wrote: [`FOREIGN_TAGS`] only, links
/// absolute against `base` (the page it came from) and marked as user
/// content.
pub fn sanitise_foreign(html: &str, base: &Url) -> String {
    if html.is_empty() {
        return String::new();
    }
    Builder::default()
        .tags(FOREIGN_TAGS.iter().copied().collect())
        .tag_attributes(
            [("a", ["href"].into_iter().collect())]
                .into_iter()
                .collect(),
        )
        .generic_attributes(std::collections::HashSet::new())
        .link_rel(Some("nofollow ugc noopener"))
        .url_schemes(["http", "https"].into_iter().collect())
        .url_relative(UrlRelative::RewriteWithBase(base.clone()))
        .clean(html)
        .to_string()
        // A link whose address was refused keeps its text; `rel` without
        // `href` would not be valid HTML.
        .replace(r#"<a rel="nofollow ugc noopener">"#, "<a>")
}

/// The same HTML with every relative URL made absolute against `base`, as a
/// browser showing it at `base` would resolve it. For feeds, whose readers
/// show items away from the site and cannot resolve `/static/a.png`.
/// The input is sanitised again under the same rules, so this never lets
/// through more than [`sanitise`].
pub fn with_absolute_urls(html: &str, base: &Url) -> String {
    if html.is_empty() {
        return String::new();
    }
    let rewriter = builder(UrlRelative::RewriteWithBase(base.clone()));
    add_missing_alt(&rewriter.clean(html).to_string())
}

fn builder(relative: UrlRelative<'static>) -> Builder<'static> {
    let mut builder = Builder::default();
    builder
        .link_rel(None)
        // `data` passes ammonia's own check so that `keep_url` can allow it
        // where it is safe; every other scheme is decided here and there.
        .url_schemes(URL_SCHEMES.iter().copied().chain(["data"]).collect())
        .url_relative(relative)
        .attribute_filter(|element, attribute, value| {
            keep_url(element, attribute, value).then_some(Cow::Borrowed(value))
        });
    builder
}

/// Whether an attribute may stay. URLs must be relative or use one of
/// [`URL_SCHEMES`]; `cite` is checked too, although ammonia does not treat
/// it as a URL, since a reader or feed reader may still follow it.
///
/// `data:` is kept only as a raster image ([`DATA_URL_IMAGE_TYPES`]) in
/// `<img src>`: the Content Security Policy allows `img-src data:` so that a
/// small picture can live inside a note. Everywhere else it is removed:
/// `data:text/html` in a link is a phishing carrier, and SVG can carry
/// script wherever a reader opens it as a document.
fn keep_url(element: &str, attribute: &str, value: &str) -> bool {
    if !matches!(attribute, "href" | "src" | "cite") {
        return true;
    }
    match Url::parse(value) {
        Ok(url) if url.scheme() == "data" => {
            element == "img" && attribute == "src" && is_raster_image(url.path())
        }
        Ok(url) => URL_SCHEMES.contains(&url.scheme()),
        Err(url::ParseError::RelativeUrlWithoutBase) => true,
        Err(_) => false,
    }
}

/// Whether a `data:` URL's content (what follows `data:`) has one of
/// [`DATA_URL_IMAGE_TYPES`], read as browsers read it (the Fetch
/// standard's data: URL processor): the media type ends at the first `,`,
/// its parameters (`;base64`, `;charset=…`) follow a `;`, surrounding ASCII
/// whitespace is ignored, and case does not matter.
fn is_raster_image(content: &str) -> bool {
    let media_type = content.split(',').next().unwrap_or_default();
    let essence = media_type.split(';').next().unwrap_or_default();
    let essence = essence.trim_matches(|c: char| c.is_ascii_whitespace());
    DATA_URL_IMAGE_TYPES
        .iter()
        .any(|allowed| essence.eq_ignore_ascii_case(allowed))
}

/// `<img>` must have `alt`; raw HTML images may lack it, so give them an
/// empty one (decorative) rather than produce an invalid page. The input is
/// html5ever's serialisation: attribute values are always double-quoted,
/// with any `"` inside escaped.
fn add_missing_alt(html: &str) -> String {
    if !html.contains("<img") {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + 16);
    let mut rest = html;
    while let Some(start) = rest.find("<img") {
        let (before, tag_and_after) = rest.split_at(start);
        out.push_str(before);
        let mut in_quotes = false;
        let end = tag_and_after
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    in_quotes = !in_quotes;
                }
                c == '>' && !in_quotes
            })
            .map_or(tag_and_after.len(), |(i, _)| i);
        let tag = &tag_and_after[..end];
        out.push_str(tag);
        if !tag.contains(" alt=\"") {
            out.push_str(" alt=\"\"");
        }
        rest = &tag_and_after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::markdown::to_html;

    fn href_of(markdown: &str) -> Option<String> {
        let html = to_html(markdown);
        let start = html.find("href=\"")? + "href=\"".len();
        let end = html[start..].find('"')? + start;
        Some(html[start..end].to_owned())
    }

    #[test]
    fn keeps_the_allowed_url_schemes() {
        for url in [
            "http://e.com/a",
            "https://e.com/a?b=1#c",
            "mailto:me@e.com",
            "tel:+441234567890",
        ] {
            assert_eq!(href_of(&format!("[x]({url})")).as_deref(), Some(url));
            assert_eq!(
                href_of(&format!("<a href=\"{url}\">x</a>")).as_deref(),
                Some(url)
            );
        }
    }

    #[test]
    fn removes_every_other_scheme() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "&#x6A;avascript:alert(1)",
            "javascript&colon;alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
            "data:image/png;base64,iVBORw0KGgo=",
            "file:///etc/passwd",
            "ftp://e.com/a",
            // Some of ammonia's defaults.
            "ssh://e.com",
            "magnet:?xt=urn:btih:abc",
            "sms:+441234567890",
            "webcal://e.com/cal.ics",
            "irc://e.com/chan",
            "bitcoin:1abc",
            "geo:51.5,0.1",
            "xmpp:me@e.com",
        ] {
            let html = to_html(&format!("<a href=\"{url}\">x</a> [y]({url})"));
            assert!(!html.contains("href"), "{url} gave {html}");
        }
    }

    #[test]
    fn data_urls_stay_only_for_raster_images() {
        for url in [
            "data:image/png;base64,iVBORw0KGgo=",
            "data:image/jpeg;base64,/9j/4AAQ",
            "data:image/gif;base64,R0lGODlh",
            "data:image/webp;base64,UklGRg==",
            "data:image/avif;base64,AAAAIGZ0eXA=",
            "data:image/PNG;base64,iVBORw0KGgo=",
            "data:Image/Jpeg;base64,/9j/4AAQ",
            "data:image/png;charset=utf-8;base64,iVBORw0KGgo=",
            "data:image/gif,GIF89a",
        ] {
            let html = to_html(&format!("<img src=\"{url}\"> ![x]({url})"));
            assert_eq!(html.matches(&format!("src=\"{url}\"")).count(), 2, "{html}");
        }
        for url in [
            "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
            "data:image/svg+xml,<svg onload=alert(1)>",
            "data:IMAGE/SVG+XML;base64,PHN2Zz4=",
            "data:image/svg+xml;charset=utf-8,<svg/>",
            "data: image/svg+xml ;base64,PHN2Zz4=",
            "data:image/svg;base64,PHN2Zz4=",
            "data:image/x-icon;base64,AAABAA==",
            "data:image/pngx;base64,iVBORw0KGgo=",
            "data:image/png/svg+xml,<svg/>",
            "data:image/,x",
            "data:;base64,iVBORw0KGgo=",
            "data:,text",
        ] {
            let html = to_html(&format!("<img src=\"{url}\"> ![x]({url})"));
            assert!(!html.contains("src="), "{url} gave {html}");
        }
    }

    #[test]
    fn data_urls_are_refused_outside_img_src() {
        let png = "data:image/png;base64,iVBORw0KGgo=";
        let html = to_html(&format!(
            "<a href=\"{png}\">a</a> [b]({png}) <q cite=\"{png}\">c</q> <blockquote cite=\"{png}\">d</blockquote>"
        ));
        assert!(!html.contains("data:"), "{html}");
    }

    #[test]
    fn quotation_sources_follow_the_same_rules() {
        let html = to_html("<blockquote cite=\"javascript:alert(1)\">q</blockquote>");
        assert!(!html.contains("cite="), "{html}");
        let html = to_html("<q cite=\"https://e.com/s\">q</q>");
        assert!(html.contains("cite=\"https://e.com/s\""), "{html}");
    }

    #[test]
    fn relative_urls_stay_relative_on_pages() {
        assert_eq!(href_of("[x](/note/other)").as_deref(), Some("/note/other"));
        assert_eq!(href_of("[x](other)").as_deref(), Some("other"));
        assert_eq!(href_of("[x](#top)").as_deref(), Some("#top"));
    }

    #[test]
    fn absolute_urls_resolve_like_a_browser_on_the_permalink() {
        let base = Url::parse("https://e.com/blog/note/this").expect("a URL");
        let html = to_html(
            "[a](/note/other) [b](other) [c](../x) [d](#top) [e](https://f.org/) \
             ![i](/static/a.png) [j](javascript:alert(1))",
        );
        let html = with_absolute_urls(&html, &base);
        for expected in [
            "href=\"https://e.com/note/other\"",
            "href=\"https://e.com/blog/note/other\"",
            "href=\"https://e.com/blog/x\"",
            "href=\"https://e.com/blog/note/this#top\"",
            "href=\"https://f.org/\"",
            "src=\"https://e.com/static/a.png\" alt=\"i\"",
            "<a>j</a>",
        ] {
            assert!(html.contains(expected), "{expected} not in {html}");
        }
    }

    #[test]
    fn making_urls_absolute_changes_nothing_else() {
        let html = to_html(
            "# T\n\n<details><summary>s</summary>\n\n*x* <img src=\"a.png\">\n\n</details>\n\n| a |\n|---|\n| 1 |",
        );
        let base = Url::parse("https://e.com/note/t").expect("a URL");
        let absolute = with_absolute_urls(&html, &base);
        assert_eq!(
            absolute,
            html.replace("src=\"a.png\"", "src=\"https://e.com/note/a.png\"")
        );
    }

    #[test]
    fn foreign_html_keeps_text_and_links_and_loads_nothing() {
        let base = Url::parse("https://other.example/post/1").unwrap();
        let clean = sanitise_foreign(
            "<p onclick=x>Hi <img src=https://tracker.example/p.gif> <a href=/me>me</a>\
             <script>alert(1)</script><iframe src=https://x.example></iframe>\
             <a href=\"javascript:alert(1)\">js</a></p>",
            &base,
        );
        assert!(!clean.contains("img") && !clean.contains("script") && !clean.contains("iframe"));
        assert!(!clean.contains("onclick") && !clean.contains("javascript"));
        assert!(clean.contains("<a>js</a>"), "{clean}");
        assert!(
            clean.contains(
                r#"<a href="https://other.example/me" rel="nofollow ugc noopener">me</a>"#
            ),
            "{clean}"
        );
    }
}
