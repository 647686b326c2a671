//! Creating, updating, deleting and restoring notes for apps, through the
//! note service, each with the scope it needs.

use actix_web::HttpResponse;
use actix_web::http::header;
use chrono::Utc;

use super::MicropubError;
use super::post::{PostFields, requested_slug};
use super::request::Action;
use crate::domain::source_properties;
use crate::domain::{Note, NoteWithBody, Scope, Slug};
use crate::store::{AccessToken, NewNote};
use crate::web::AppState;
use crate::web::bearer::require;

pub async fn perform(
    state: &AppState,
    token: &AccessToken,
    action: Action,
) -> Result<HttpResponse, MicropubError> {
    let response = match action {
        Action::Create {
            kind,
            properties,
            commands,
        } => {
            // A token with only `draft` may create, but never publish.
            let may_publish = token.scopes.contains(Scope::Create);
            if !may_publish {
                require(token, Scope::Draft).map_err(|_| {
                    crate::web::bearer::BearerError::InsufficientScope(Scope::Create)
                })?;
            }
            if kind != "entry" {
                return Err(MicropubError::invalid(format!(
                    "this site keeps h-entry posts (notes), not h-{kind}"
                )));
            }
            let fields = PostFields::from_properties(properties)?;
            let slug = requested_slug(&commands)?;
            let note = state
                .store
                .create(
                    NewNote {
                        body: fields.body,
                        slug,
                        published: fields.published.unwrap_or(true) && may_publish,
                        published_at: fields.published_at,
                        created_at: None,
                        tags: fields.tags,
                        properties: fields.properties,
                    },
                    Utc::now(),
                )
                .await?;
            log::info!("micropub: {} created note {}", who(token), note.slug);
            HttpResponse::Created()
                .insert_header((header::LOCATION, permalink(state, &note)))
                .finish()
        }
        Action::Update { url, update } => {
            require(token, Scope::Update)?;
            let note = live_note(state, &url).await?;
            let body = state.store.read_body(&note).await?;
            let current = NoteWithBody { note, body };
            let mut properties = source_properties(&state.settings.site.url, &current);
            update.apply(&mut properties);
            let fields = PostFields::from_properties(properties)?;
            let note = current.note;
            let slug = note.slug.as_str();
            let now = Utc::now();
            if fields.body != current.body {
                state
                    .store
                    .update_body(slug, &note.content_hash, fields.body, now)
                    .await?;
            }
            if fields.tags != note.tags {
                state.store.set_tags(slug, &fields.tags, now).await?;
            }
            if fields.properties != note.properties {
                state
                    .store
                    .set_properties(slug, &fields.properties, now)
                    .await?;
            }
            if let Some(at) = fields.published_at
                && update.touched().any(|p| p == "published")
            {
                state.store.set_published_at(slug, at, now).await?;
            }
            if let Some(published) = fields.published.filter(|p| *p != note.published) {
                state.store.set_published(slug, published, now).await?;
            }
            log::info!("micropub: {} updated note {slug}", who(token));
            HttpResponse::NoContent().finish()
        }
        Action::Delete { url } => {
            require(token, Scope::Delete)?;
            let note = any_note(state, &url).await?;
            if note.deleted_at.is_none() {
                state
                    .store
                    .soft_delete(note.slug.as_str(), Utc::now())
                    .await?;
                log::info!("micropub: {} deleted note {}", who(token), note.slug);
            }
            HttpResponse::NoContent().finish()
        }
        Action::Undelete { url } => {
            require(token, Scope::Undelete)?;
            let note = any_note(state, &url).await?;
            if note.deleted_at.is_some() {
                state
                    .store
                    .restore_deleted(note.slug.as_str(), Utc::now())
                    .await?;
                log::info!("micropub: {} restored note {}", who(token), note.slug);
            }
            HttpResponse::NoContent().finish()
        }
    };
    // Pages and feeds show the change at once.
    state
        .refresh_revision()
        .await
        .map_err(MicropubError::from)?;
    Ok(response)
}

fn who(token: &AccessToken) -> String {
    format!("{:?} (token {})", token.name, token.id)
}

fn permalink(state: &AppState, note: &Note) -> String {
    state.settings.site.url.join(&format!("note/{}", note.slug))
}

/// The slug a URL of this site names: `{SITE_URL}note/{slug}`.
pub fn slug_of(state: &AppState, url: &str) -> Option<Slug> {
    let prefix = state.settings.site.url.join("note/");
    let rest = url.trim().strip_prefix(&prefix)?;
    let rest = rest.split(['?', '#']).next()?.trim_end_matches('/');
    Slug::parse(rest).ok()
}

/// The note at `url`, whatever its state.
pub async fn any_note(state: &AppState, url: &str) -> Result<Note, MicropubError> {
    let unknown = || MicropubError::UnknownUrl(url.to_owned());
    let slug = slug_of(state, url).ok_or_else(unknown)?;
    state.store.find(slug.as_str()).await?.ok_or_else(unknown)
}

/// The note at `url`, unless it was deleted.
pub async fn live_note(state: &AppState, url: &str) -> Result<Note, MicropubError> {
    let note = any_note(state, url).await?;
    if note.deleted_at.is_some() {
        return Err(MicropubError::invalid(format!(
            "the post at {url} is deleted: undelete it first"
        )));
    }
    Ok(note)
}
