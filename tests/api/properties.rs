//! Property tests for the pure parts: whatever the input, slugs are valid,
//! sanitised HTML is safe, front matter parsing returns, and URLs built from
//! `SITE_URL` stay under it. proptest's default 256 cases per property run
//! in a few seconds; `PROPTEST_CASES=10000` explores further.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use scraper::Html;
use starpunk::domain::parse_import_file;
use starpunk::domain::{MAX_SLUG_LEN, SiteUrl, Slug};
use starpunk::render::markdown::to_html;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 20, 30)
        .single()
        .expect("a valid date")
}

/// Text made of `pieces`, repeated and shuffled, with some arbitrary
/// characters mixed in: reaches the interesting corners far more often
/// than uniformly random strings do.
fn made_of(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(pieces).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
        1 => "[a-zA-Z0-9 ]{1,8}",
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

const MARKDOWN: &[&str] = &[
    "# ",
    "\n",
    "\n\n",
    " ",
    "*",
    "**",
    "_",
    "`",
    "```\n",
    "~~",
    "> ",
    "- ",
    "1. ",
    "| a |",
    "|---|",
    "[",
    "]",
    "(",
    ")",
    "![",
    "](",
    "<",
    ">",
    "&amp;",
    "&#",
    ";",
    "https://e.com/",
    "Hello",
    "Café",
    "東京",
    "Привет",
    "admin",
    "-",
    "--",
    "—",
    "'",
    "\"",
    "\\",
    "\t",
];

/// Scheme spellings that browsers read as a script or other unwanted URL.
const SCHEMES: &[&str] = &[
    "javascript:",
    "java\tscript:",
    "java\nscript:",
    "\u{1}javascript:",
    " javascript:",
    "javascript&colon;",
    "&#106;avascript:",
    "&#x6A;avascript&#58;",
    "jav&#x09;ascript:",
    "javascript&#x3A;",
    "vbscript:",
    "data:text/html,",
    "data:image/svg+xml,",
    "file:///",
    "ftp://",
    "https:",
    "/",
    "",
];

const TAGS: &[&str] = &[
    "script",
    "img",
    "a",
    "svg",
    "math",
    "iframe",
    "style",
    "div",
    "details",
    "template",
    "noscript",
    "textarea",
    "object",
    "form",
    "button",
    "video",
    "blockquote",
    "q",
    "area",
    "embed",
    "link",
    "meta",
    "base",
];

const ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "cite",
    "onerror",
    "onclick",
    "onload",
    "formaction",
    "poster",
    "data",
    "xlink:href",
    "srcset",
    "style",
    "action",
    "background",
    "ping",
    "alt",
    "title",
];

/// Loose pieces, to break the structure of the rest.
const HOSTILE: &[&str] = &[
    "<",
    ">",
    "/>",
    "</",
    "<!--",
    "-->",
    "<![CDATA[",
    "</script>",
    "=",
    "\"",
    "'",
    " ",
    "alert(1)",
    "\n\n",
    "\n",
    "`",
    ")",
    "&",
    "&#",
    ";",
    "\t",
];

/// `text` with each ASCII letter upper-cased or not, at random.
fn mixed_case(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    (
        proptest::sample::select(pieces),
        proptest::collection::vec(any::<bool>(), 24),
    )
        .prop_map(|(text, upper)| {
            text.chars()
                .zip(upper.iter().cycle())
                .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
                .collect()
        })
}

fn hostile_url() -> impl Strategy<Value = String> {
    (
        mixed_case(SCHEMES),
        proptest::sample::select(&["alert(1)", "//e.com/x", "x", ""][..]),
    )
        .prop_map(|(scheme, rest)| format!("{scheme}{rest}"))
}

/// `<tag attr="url" …>` in every quoting style.
fn hostile_tag() -> impl Strategy<Value = String> {
    let attribute = (
        mixed_case(ATTRIBUTES),
        proptest::sample::select(&["\"", "'", "", " \""][..]),
        hostile_url(),
    )
        .prop_map(|(name, quote, url)| format!(" {name}={quote}{url}{quote}"));
    (
        mixed_case(TAGS),
        proptest::collection::vec(attribute, 0..4),
        proptest::sample::select(&[">", "/>", "", " >"][..]),
    )
        .prop_map(|(tag, attributes, end)| format!("<{tag}{}{end}", attributes.concat()))
}

/// Markdown links, images, autolinks and reference definitions.
fn hostile_link() -> impl Strategy<Value = String> {
    (0..4u8, hostile_url()).prop_map(|(form, url)| match form {
        0 => format!("[x]({url})"),
        1 => format!("![y]({url})"),
        2 => format!("<{url}>"),
        _ => format!("[z]\n\n[z]: {url}\n"),
    })
}

fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => hostile_tag(),
        2 => hostile_link(),
        2 => proptest::sample::select(HOSTILE).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
        1 => "[a-z ]{1,6}",
    ];
    proptest::collection::vec(piece, 1..16).prop_map(|p| p.concat())
}

/// What a browser would treat as a URL, by attribute name.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "cite",
    "action",
    "formaction",
    "poster",
    "data",
    "xlink:href",
    "srcset",
    "background",
    "ping",
];

/// Panics (failing the property) if the HTML holds anything that could run
/// script: a script element, an event handler, a URL outside the allowed
/// schemes.
fn assert_safe(html: &str) {
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "<script in {html:?}"
    );
    let fragment = Html::parse_fragment(html);
    for element in fragment.root_element().descendent_elements() {
        let name = element.value().name();
        assert_ne!(name, "script", "{html:?}");
        for (attribute, value) in element.value().attrs() {
            assert!(
                !attribute.to_ascii_lowercase().starts_with("on"),
                "{attribute} in {html:?}"
            );
            if URL_ATTRIBUTES.contains(&attribute) {
                assert!(safe_url(name, attribute, value), "{value:?} in {html:?}");
            }
        }
    }
}

fn safe_url(element: &str, attribute: &str, value: &str) -> bool {
    match url::Url::parse(value) {
        Ok(url) => match url.scheme() {
            "http" | "https" | "mailto" | "tel" => true,
            "data" => element == "img" && attribute == "src" && raster_image(url.path()),
            _ => false,
        },
        Err(e) => e == url::ParseError::RelativeUrlWithoutBase,
    }
}

/// Whether a `data:` URL's content starts with a raster image type: PNG,
/// JPEG, GIF, WebP or AVIF (never SVG, which can hold script).
fn raster_image(content: &str) -> bool {
    let content = content.trim_start().to_ascii_lowercase();
    ["png", "jpeg", "gif", "webp", "avif"].iter().any(|kind| {
        content
            .strip_prefix(&format!("image/{kind}"))
            .is_some_and(|rest| rest.trim_start().starts_with([';', ',']))
    })
}

proptest! {
    #[test]
    fn slugs_are_always_valid(text in prop_oneof![any::<String>(), made_of(MARKDOWN)]) {
        let slug = Slug::from_content(&text, now());
        let s = slug.as_str();
        prop_assert!(!s.is_empty() && s.len() <= MAX_SLUG_LEN, "{s:?}");
        prop_assert!(
            s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{s:?}"
        );
        prop_assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"), "{s:?}");
        prop_assert_eq!(Slug::parse(s), Ok(slug.clone()));
    }

    #[test]
    fn suffixed_slugs_are_valid(text in made_of(MARKDOWN), n in 2u32..) {
        let slug = Slug::from_content(&text, now()).with_suffix(n);
        prop_assert!(Slug::parse(slug.as_str()).is_ok(), "{slug}");
        prop_assert!(slug.as_str().ends_with(&format!("-{n}")), "{slug}");
    }

    #[test]
    fn markdown_becomes_safe_html(text in prop_oneof![
        1 => any::<String>(),
        2 => made_of(MARKDOWN),
        6 => hostile_text(),
    ]) {
        let html = to_html(&text);
        assert_safe(&html);
        let base = url::Url::parse("https://e.com/blog/note/a").expect("a URL");
        assert_safe(&starpunk::render::sanitise::with_absolute_urls(&html, &base));
    }

    #[test]
    fn front_matter_parsing_always_returns(text in prop_oneof![
        any::<String>(),
        made_of(&[
            "---\n", "---", "\n", "slug: ", "published: ", "created: ", "date: ", "draft: ",
            "true", "no", "2026-11-23", "2026-11-23T10:20:00Z", "[", "]", "{", "}", ":", "- ",
            "'", "\"", "!!binary ", "&a ", "*a", "\u{feff}", "Body", "  ", "\t", "~", "null",
        ]),
    ]) {
        let _ = parse_import_file(&text);
    }

    #[test]
    fn joined_urls_stay_under_the_site(
        site in proptest::sample::select(&[
            "https://example.com",
            "http://localhost:8000/",
            "https://example.com/blog/",
            "https://example.com/a/b/c",
        ][..]),
        relative in prop_oneof![any::<String>(), made_of(&[
            "..", ".", "%2e", "%2E%2e", ".%2E", "/", "\\", "?", "#", "a", "note", "\t", "\n",
            " ", "\u{0}", "//", "é", ":", "@", "%", "http://evil.example/",
        ])],
    ) {
        let site = SiteUrl::parse(site).expect("a valid site");
        let joined = site.join(&relative);
        let parsed = url::Url::parse(&joined);
        prop_assert!(parsed.is_ok(), "{joined:?}");
        let parsed = parsed.expect("checked above");
        prop_assert!(parsed.as_str().starts_with(site.as_str()), "{joined:?} is {parsed}");
    }
}
