//! The RSS 2.0 feed.

use chrono::{DateTime, Utc};
use rss::extension::atom::{AtomExtension, Link};
use rss::{ChannelBuilder, GuidBuilder, ItemBuilder};

use super::NoteView;
use super::sanitise::with_absolute_urls;
use crate::config::SiteSettings;

/// The feed for these notes (newest first). Everything in it comes from the
/// data, so the bytes stay identical until a note changes.
pub fn rss(site: &SiteSettings, notes: &[NoteView], changed_at: DateTime<Utc>) -> String {
    let items = notes
        .iter()
        .map(|note| {
            ItemBuilder::default()
                .title(Some(note.title.clone()))
                .link(Some(note.url.clone()))
                .guid(Some(
                    GuidBuilder::default()
                        .value(note.url.clone())
                        .permalink(true)
                        .build(),
                ))
                .pub_date(Some(note.published.to_rfc2822()))
                .description(Some(item_html(note)))
                .build()
        })
        .collect::<Vec<_>>();

    let self_link = Link {
        href: site.url.join("feed.xml"),
        rel: "self".into(),
        mime_type: Some("application/rss+xml".into()),
        ..Link::default()
    };
    let channel = ChannelBuilder::default()
        .title(site.name.clone())
        .link(site.url.as_str().to_owned())
        .description(site.description.clone())
        .language(Some(site.language.clone()))
        .last_build_date(Some(changed_at.to_rfc2822()))
        .generator(Some(format!("StarPunk {}", env!("CARGO_PKG_VERSION"))))
        .atom_ext(Some(AtomExtension {
            links: vec![self_link],
        }))
        .items(items)
        .build();
    channel.to_string()
}

/// The note's HTML with absolute URLs: a feed reader shows it away from the
/// site and cannot resolve `/static/a.png` or `other`. They are resolved
/// against the note's permalink, exactly as a browser does on the note's own
/// page (the page has no `<base>`), so `other` is a sibling note and
/// `/x` is at the root of the host, even when the site lives under `/blog/`.
fn item_html(note: &NoteView) -> String {
    match url::Url::parse(&note.url) {
        Ok(permalink) => with_absolute_urls(&note.html, &permalink),
        // The permalink is built from SITE_URL, which parsed as a URL.
        Err(_) => note.html.clone(),
    }
}
