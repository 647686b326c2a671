//! Atom 1.0 (RFC 4287).

use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};
use chrono::{DateTime, SubsecRound, Utc};

use super::{FeedChannel, FeedFormat, item_html};
use crate::config::SiteSettings;
use crate::render::NoteView;

/// The feed for these notes (newest first). Each entry's `id` is its
/// permalink, which never changes; its content is the full HTML, escaped
/// (`type="html"`), and its summary the plain-text excerpt.
pub fn atom(site: &SiteSettings, channel: &FeedChannel, notes: &[NoteView]) -> String {
    let mut links = vec![
        link(
            &channel.self_url(FeedFormat::Atom),
            "self",
            Some(FeedFormat::Atom.media_type()),
        ),
        link(&channel.home_url, "alternate", Some("text/html")),
    ];
    if let Some(hub) = &channel.hub {
        links.push(link(hub, "hub", None));
    }
    let feed = Feed {
        id: channel.home_url.clone(),
        title: Text::plain(channel.title.clone()),
        subtitle: (!channel.description.is_empty())
            .then(|| Text::plain(channel.description.clone())),
        updated: fixed(channel.updated),
        authors: vec![Person {
            name: site.author_name().to_owned(),
            uri: site.admin_me.as_deref().map(str::to_owned),
            ..Person::default()
        }],
        links,
        generator: Some(Generator {
            value: "StarPunk".into(),
            uri: Some(env!("CARGO_PKG_REPOSITORY").into()),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        lang: Some(site.language.clone()),
        entries: notes.iter().map(entry).collect(),
        ..Feed::default()
    };
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: None,
    };
    let bytes = feed
        .write_with_config(Vec::new(), config)
        .expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("the writer writes UTF-8")
}

fn entry(note: &NoteView) -> Entry {
    Entry {
        id: note.url.clone(),
        title: Text::plain(note.title.clone()),
        published: Some(fixed(note.published)),
        updated: fixed(note.updated),
        links: std::iter::once(link(&note.url, "alternate", Some("text/html")))
            .chain(enclosures(note))
            .collect(),
        content: Some(Content {
            value: Some(item_html(note)),
            content_type: Some("html".into()),
            ..Content::default()
        }),
        summary: (!note.excerpt.is_empty()).then(|| Text::plain(note.excerpt.clone())),
        categories: note
            .tags
            .iter()
            .map(|tag| Category {
                term: tag.key.clone(),
                scheme: None,
                label: Some(tag.name.clone()),
            })
            .collect(),
        ..Entry::default()
    }
}

/// A `rel="enclosure"` link for each photo that is an upload of this
/// site, with its type and length.
fn enclosures(note: &NoteView) -> impl Iterator<Item = Link> + '_ {
    note.photos.iter().filter_map(|photo| {
        let file = photo.file.as_ref()?;
        Some(Link {
            length: Some(file.bytes.to_string()),
            ..link(&photo.url, "enclosure", Some(&file.media_type))
        })
    })
}

fn link(href: &str, rel: &str, media_type: Option<&str>) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: media_type.map(str::to_owned),
        ..Link::default()
    }
}

/// In whole seconds, as the other formats write it.
fn fixed(date: DateTime<Utc>) -> FixedDateTime {
    date.trunc_subsecs(0).fixed_offset()
}
