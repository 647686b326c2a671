//! The site's values, valid by construction. Pure: no I/O here.

mod change;
mod client_id;
mod front_matter;
mod kind;
mod loopback;
mod media_path;
pub mod mf2;
mod note;
mod pkce;
mod profile_url;
mod properties;
mod response;
mod scope;
mod search;
mod site_url;
mod slug;
mod source;
mod tag;
mod text;

pub use change::{NewNote, NoteEdit};
pub use client_id::{ClientId, ClientIdError, parse_redirect_uri};
pub use front_matter::parse_import_file;
pub use kind::{MAX_CONTEXT_URL_CHARS, NoteContext, NoteKind, context_of, is_web_url, set_context};
pub use media_path::MediaPath;
pub use note::{
    MAX_NOTE_BYTES, Note, NoteBody, NoteBodyError, NoteState, NoteWithBody, Visibility,
    content_hash,
};
pub use pkce::pkce_challenge;
pub use profile_url::{ProfileUrl, ProfileUrlError};
pub use properties::{
    ContentFormat, MAX_NAME_CHARS, MAX_PHOTO_TEXT_CHARS, MAX_PHOTOS, NoteProperties, Photo,
    PropertiesError, photo_value,
};
pub use response::{
    Author, IncomingResponse, MAX_RESPONSE_CHARS, Moderation, Protocol, Response, ResponseKind,
    shortened,
};
pub use scope::{Scope, Scopes, UnknownScopes};
pub use search::{MAX_QUERY_CHARS, SearchQuery, SearchQueryError, SearchTerm};
pub use site_url::SiteUrl;
pub use slug::{MAX_SLUG_LEN, RESERVED_SLUGS, Slug, SlugError};
pub use source::source_properties;
pub use tag::{MAX_TAG_CHARS, MAX_TAGS_PER_NOTE, Tag, TagError, url_form as tag_url_form};
pub use text::{markdown_options, note_text, plain_text, text_of_html};
