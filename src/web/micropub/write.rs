//! Creating, updating, deleting and restoring notes for apps, through the
//! note service, each with the scope it needs.

use actix_web::HttpResponse;
use actix_web::http::header;

use super::post::{PostFields, requested_slug};
use super::request::Action;
use crate::domain::source_properties;
use crate::domain::{NewNote, Note, NoteEdit, Scope, Slug};
use crate::store::AccessToken;
use crate::web::AppState;
use crate::web::WebError;
use crate::web::indieauth_server::bearer::require;

pub async fn perform(
    state: &AppState,
    token: &AccessToken,
    action: Action,
) -> Result<HttpResponse, WebError> {
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
                    crate::web::indieauth_server::bearer::BearerError::InsufficientScope(
                        Scope::Create,
                    )
                })?;
            }
            if kind != "entry" {
                return Err(WebError::bad_request(format!(
                    "this site keeps h-entry posts (notes), not h-{kind}"
                )));
            }
            let fields = PostFields::from_properties(properties)?;
            let slug = requested_slug(&commands)?;
            let note = state
                .store
                .create(NewNote {
                    slug,
                    published: fields.published.unwrap_or(true) && may_publish,
                    published_at: fields.published_at,
                    visibility: fields.visibility.unwrap_or_default(),
                    tags: fields.tags,
                    properties: fields.properties,
                    ..NewNote::new(fields.body)
                })
                .await?;
            log::info!("micropub: {} created note {}", who(token), note.slug);
            HttpResponse::Created()
                .insert_header((header::LOCATION, permalink(state, &note)))
                .finish()
        }
        Action::Update { url, update } => {
            require(token, Scope::Update)?;
            let note = live_note(state, &url).await?;
            let site = &state.settings.site.url;
            // Read, updated and written under one lock: the whole update
            // is applied, or none of it.
            let note = state
                .store
                .change_with_text(note.slug.as_str(), |current| {
                    let mut properties = source_properties(site, current);
                    update.apply(&mut properties);
                    let fields = PostFields::from_properties(properties)?;
                    let dated = update.touched().any(|p| p == "published");
                    Ok::<_, WebError>(NoteEdit {
                        body: Some(fields.body),
                        tags: Some(fields.tags),
                        properties: Some(fields.properties),
                        published: fields.published,
                        published_at: fields.published_at.filter(|_| dated),
                        visibility: fields.visibility,
                        ..NoteEdit::default()
                    })
                })
                .await?;
            log::info!("micropub: {} updated note {}", who(token), note.slug);
            HttpResponse::NoContent().finish()
        }
        Action::Delete { url } => {
            require(token, Scope::Delete)?;
            let note = any_note(state, &url).await?;
            if note.deleted_at.is_none() {
                state
                    .store
                    .change(note.slug.as_str(), NoteEdit::delete())
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
                    .change(note.slug.as_str(), NoteEdit::undelete())
                    .await?;
                log::info!("micropub: {} restored note {}", who(token), note.slug);
            }
            HttpResponse::NoContent().finish()
        }
    };
    // Pages and feeds show the change at once.
    state.refresh_revision().await?;
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
pub async fn any_note(state: &AppState, url: &str) -> Result<Note, WebError> {
    let unknown = || WebError::bad_request(format!("there is no post at {url}"));
    let slug = slug_of(state, url).ok_or_else(unknown)?;
    state.store.find(slug.as_str()).await?.ok_or_else(unknown)
}

/// The note at `url`, unless it was deleted.
pub async fn live_note(state: &AppState, url: &str) -> Result<Note, WebError> {
    let note = any_note(state, url).await?;
    if note.deleted_at.is_some() {
        return Err(WebError::bad_request(format!(
            "the post at {url} is deleted: undelete it first"
        )));
    }
    Ok(note)
}
