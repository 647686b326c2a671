//! RSS 2.0, with Atom `self` and WebSub `hub` links.

use rss::extension::atom::{AtomExtension, Link};
use rss::{CategoryBuilder, ChannelBuilder, EnclosureBuilder, GuidBuilder, ItemBuilder};

use super::{FeedChannel, FeedFormat, item_html};
use crate::config::SiteSettings;
use crate::render::NoteView;

/// The channel for these notes (newest first): the full HTML of each in
/// `description`, a `category` per tag with the tag's page as its domain,
/// and its first upload as the `enclosure` (RSS allows one).
pub fn rss(site: &SiteSettings, channel: &FeedChannel, notes: &[NoteView]) -> String {
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
                .enclosure(enclosure(note))
                .categories(
                    note.tags
                        .iter()
                        .map(|tag| {
                            CategoryBuilder::default()
                                .name(tag.name.clone())
                                .domain(Some(tag.url.clone()))
                                .build()
                        })
                        .collect::<Vec<_>>(),
                )
                .build()
        })
        .collect::<Vec<_>>();

    let mut links = vec![Link {
        href: channel.self_url(FeedFormat::Rss),
        rel: "self".into(),
        mime_type: Some(FeedFormat::Rss.media_type().into()),
        ..Link::default()
    }];
    if let Some(hub) = &channel.hub {
        links.push(Link {
            href: hub.clone(),
            rel: "hub".into(),
            ..Link::default()
        });
    }
    ChannelBuilder::default()
        .title(channel.title.clone())
        .link(channel.home_url.clone())
        .description(channel.description.clone())
        .language(Some(site.language.clone()))
        .last_build_date(Some(channel.updated.to_rfc2822()))
        .generator(Some(super::generator()))
        .atom_ext(Some(AtomExtension { links }))
        .items(items)
        .build()
        .to_string()
}

/// The note's first photo that is an upload of this site: RSS needs its
/// length and type, which only uploads have.
fn enclosure(note: &NoteView) -> Option<rss::Enclosure> {
    note.photos.iter().find_map(|photo| {
        let file = photo.file.as_ref()?;
        Some(
            EnclosureBuilder::default()
                .url(photo.url.clone())
                .length(file.bytes.to_string())
                .mime_type(file.media_type.clone())
                .build(),
        )
    })
}
