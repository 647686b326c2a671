//! `/admin/media`: every upload with what uses it, and the page that
//! confirms (or refuses) deleting one.

use askama::Template;

use super::PageContext;
use super::admin::human;
use super::editor_photos::human_size;
use crate::config::SiteSettings;
use crate::store::MediaItem;

/// `/admin/media`.
#[derive(Template)]
#[template(path = "admin/media.html")]
pub struct MediaPage<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    pub flash: Option<&'a str>,
    pub rows: Vec<MediaRow>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

/// `/admin/media/delete/{id}`: the button, or why there is none.
#[derive(Template)]
#[template(path = "admin/confirm_media_delete.html")]
pub struct ConfirmMediaDelete<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    pub row: MediaRow,
}

/// One upload as the owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRow {
    pub id: i64,
    /// The upload at full size.
    pub url: String,
    /// The web copy of a wide upload, else the upload.
    pub thumbnail: String,
    pub thumbnail_width: u32,
    pub thumbnail_height: u32,
    pub content_type: String,
    pub size: String,
    pub width: u32,
    pub height: u32,
    pub uploaded: String,
    pub uploaded_iso: String,
    pub users: Vec<UserLink>,
    /// A response author's picture.
    pub avatar: bool,
}

/// A note that uses an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLink {
    pub slug: String,
    /// Its editor; deleted notes are restored before they are edited.
    pub edit: Option<String>,
}

impl MediaRow {
    pub fn new(site: &SiteSettings, item: &MediaItem) -> MediaRow {
        let record = &item.record;
        let media = |path: &crate::domain::MediaPath| site.url.join(&format!("media/{path}"));
        let (thumbnail, thumbnail_width, thumbnail_height) = match &record.web {
            Some(web) => (media(&web.path), web.width, web.height),
            None => (media(&record.path), record.width, record.height),
        };
        MediaRow {
            id: item.id,
            url: media(&record.path),
            thumbnail,
            thumbnail_width,
            thumbnail_height,
            content_type: record.content_type.clone(),
            size: human_size(record.bytes),
            width: record.width,
            height: record.height,
            uploaded: human(record.created_at),
            uploaded_iso: record
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            users: item
                .notes
                .iter()
                .map(|note| UserLink {
                    slug: note.slug.to_string(),
                    edit: (!note.deleted)
                        .then(|| format!("{}admin/edit/{}", site.url.path(), note.id)),
                })
                .collect(),
            avatar: item.avatar,
        }
    }

    /// Whether nothing uses it, so it may be deleted.
    pub fn unused(&self) -> bool {
        self.users.is_empty() && !self.avatar
    }
}
