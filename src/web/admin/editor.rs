//! Writing and editing notes: `/admin/new` and `/admin/edit/{id}`. Both
//! forms have a Preview button that renders the text exactly as the site
//! will (sanitised), without saving anything.

mod form;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::photos::{EditorPhotos, allow_editor_script};
use super::submission::EditorSubmission;
use super::{done, note_by_id};
use crate::domain::{
    NewNote, Note, NoteBody, NoteEdit, NoteProperties, NoteState, Slug, Tag, Visibility,
    set_context,
};
use crate::render::{Editor, EditorErrors, PageContext, markdown};
use crate::store::StoreError;
use crate::web::session::{Owner, private_page};
use crate::web::{AppState, WebError};
pub use form::NoteForm;
use form::{datetime_local_value, parse_datetime_local};

/// What the editor shows: the note being edited (if any) and the form.
struct EditorView<'a> {
    state: &'a AppState,
    owner: &'a Owner,
    editing: Option<&'a crate::domain::Note>,
    form: &'a NoteForm,
    errors: EditorErrors,
    preview: Option<String>,
    /// On a conflict: the text saved since the editor was opened.
    saved_meanwhile: Option<String>,
}

impl EditorView<'_> {
    fn respond(self, status: StatusCode) -> Result<HttpResponse, WebError> {
        let site = &self.state.settings.site;
        // A `datetime-local` field may only hold a valid value; text that
        // is not one is quoted in the field's error message instead.
        let published_at = parse_datetime_local(self.form.published_at.trim())
            .map(|at| datetime_local_value(&at))
            .unwrap_or_default();
        let mut response = private_page(
            status,
            Editor {
                ctx: PageContext { site },
                csrf: self.owner.csrf(),
                note_id: self.editing.map(|n| n.id),
                slug: self
                    .editing
                    .map_or(self.form.slug.as_str(), |n| n.slug.as_str()),
                permalink: self
                    .editing
                    .filter(|n| n.is_shown_at(self.state.store.now()))
                    .map(|n| site.url.join(&format!("note/{}", n.slug))),
                content: &self.form.content,
                published: self.form.published.is_some(),
                published_at: &published_at,
                unlisted: self.form.visibility() == Visibility::Unlisted,
                tags: &self.form.tags,
                kind: &self.form.kind,
                kind_url: &self.form.kind_url,
                based_on: &self.form.based_on,
                errors: self.errors,
                preview: self.preview.as_deref(),
                saved_meanwhile: self.saved_meanwhile.as_deref(),
                photos: self.form.photos.field(self.state),
                script: PageContext { site }.editor_script_href(),
            },
        )?;
        allow_editor_script(&mut response);
        Ok(response)
    }
}

/// `GET /admin/new`.
pub async fn new_form(state: web::Data<AppState>, owner: Owner) -> Result<HttpResponse, WebError> {
    let form = NoteForm {
        published: Some("on".into()),
        ..NoteForm::default()
    };
    EditorView {
        state: &state,
        owner: &owner,
        editing: None,
        form: &form,
        errors: EditorErrors::default(),
        preview: None,
        saved_meanwhile: None,
    }
    .respond(StatusCode::OK)
}

/// `POST /admin/new`: preview, or create the note.
pub async fn save_new(
    state: web::Data<AppState>,
    request: EditorSubmission,
) -> Result<HttpResponse, WebError> {
    let EditorSubmission {
        owner,
        mut form,
        chosen,
    } = request;
    let photo_step = form.photos.update(&state, chosen, &form.action).await?;
    let mut errors = EditorErrors::default();
    let context = form.parsed_context(&mut errors);
    let body = NoteBody::parse(form.text(context.clone().flatten().as_ref()))
        .map_err(|e| errors.content = Some(e.to_string()))
        .ok();
    let slug = match form.slug.trim() {
        "" => None,
        text => Slug::parse(text)
            .map_err(|e| errors.slug = Some(e.to_string()))
            .ok(),
    };
    let published_at = form.parsed_date(&mut errors);
    let tags = form.parsed_tags(&mut errors).unwrap_or_default();
    if let Some(status) = photo_step {
        return new_editor_again(&state, &owner, &form, EditorErrors::default(), None)
            .respond(status);
    }
    let photos_ready = form.wants_preview() || form.photos.ready_to_save(&state.settings.site);
    let view = |errors, preview| new_editor_again(&state, &owner, &form, errors, preview);
    let Some(body) = body.filter(|_| errors.is_empty() && photos_ready) else {
        return view(errors, None).respond(StatusCode::UNPROCESSABLE_ENTITY);
    };
    if form.wants_preview() {
        let preview = markdown::to_html(body.as_str());
        return view(errors, Some(preview)).respond(StatusCode::OK);
    }
    if let Some(slug) = &slug
        && state.store.find(slug.as_str()).await?.is_some()
    {
        errors.slug = Some(format!(
            "{slug} is already taken by another note; choose another slug or leave it empty."
        ));
        return view(errors, None).respond(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let published = form.published.is_some();
    let mut properties = form.photos.applied_to(&NoteProperties::default());
    set_context(&mut properties.extra, context.flatten().as_ref());
    let note = state
        .store
        .create(NewNote {
            slug,
            published,
            published_at: published_at.filter(|_| published),
            visibility: form.visibility(),
            tags,
            properties,
            ..NewNote::new(body)
        })
        .await?;
    log::info!("admin: created note {}", note.slug);
    done(&state, &owner, &saved_message(&state, &note, "Published.")).await
}

fn new_editor_again<'a>(
    state: &'a AppState,
    owner: &'a Owner,
    form: &'a NoteForm,
    errors: EditorErrors,
    preview: Option<String>,
) -> EditorView<'a> {
    EditorView {
        state,
        owner,
        editing: None,
        form,
        errors,
        preview,
        saved_meanwhile: None,
    }
}

/// What the dashboard says after a save: where the note now stands.
fn saved_message(state: &AppState, note: &Note, published: &str) -> String {
    match note.state_at(state.store.now()) {
        NoteState::Scheduled => format!(
            "Scheduled: it appears on {}.",
            note.display_date().format("%-d %b %Y at %H:%M UTC")
        ),
        NoteState::Unlisted => {
            format!("{published} Unlisted: only people with its address see it.")
        }
        NoteState::Draft => "Saved as draft.".to_owned(),
        NoteState::Published | NoteState::Deleted => published.to_owned(),
    }
}

/// `GET /admin/edit/{id}`.
pub async fn edit_form(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let note = note_by_id(&state, &id).await?;
    if note.deleted_at.is_some() {
        return Err(WebError::BadRequest(
            "This note is deleted. Restore it from the dashboard to edit it.".into(),
        ));
    }
    let body = state.store.read_body(&note).await?;
    let context = note.properties.context();
    let written = match &context {
        Some(context) if context.is_placeholder(body.as_str()) => String::new(),
        _ => body.as_str().to_owned(),
    };
    let form = NoteForm {
        content: written,
        kind: context.as_ref().map_or("", |c| c.kind.as_str()).to_owned(),
        kind_url: context.map(|c| c.url).unwrap_or_default(),
        published: note.published.then(|| "on".into()),
        published_at: note
            .published_at
            .map(|at| datetime_local_value(&at))
            .unwrap_or_default(),
        visibility: note.visibility.as_str().to_owned(),
        tags: note
            .tags
            .iter()
            .map(Tag::name)
            .collect::<Vec<_>>()
            .join(", "),
        based_on: note.content_hash.clone(),
        photos: EditorPhotos::of_note(&state, &note.properties.photos).await?,
        ..NoteForm::default()
    };
    EditorView {
        state: &state,
        owner: &owner,
        editing: Some(&note),
        form: &form,
        errors: EditorErrors::default(),
        preview: None,
        saved_meanwhile: None,
    }
    .respond(StatusCode::OK)
}

/// `POST /admin/edit/{id}`: preview, or save the text (refused if the note
/// changed since the editor was opened) and the published state.
pub async fn save_edit(
    state: web::Data<AppState>,
    request: EditorSubmission,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let EditorSubmission {
        owner,
        mut form,
        chosen,
    } = request;
    let note = note_by_id(&state, &id).await?;
    let photo_step = form.photos.update(&state, chosen, &form.action).await?;
    if let Some(status) = photo_step {
        return editor_again(
            &state,
            &owner,
            &note,
            &form,
            EditorErrors::default(),
            None,
            None,
        )
        .respond(status);
    }
    let mut errors = EditorErrors::default();
    let context = form.parsed_context(&mut errors);
    let body = NoteBody::parse(form.text(context.clone().flatten().as_ref()))
        .map_err(|e| errors.content = Some(e.to_string()))
        .ok();
    let tags = form.parsed_tags(&mut errors);
    // The field shows the date to the minute (or second): unchanged, it
    // leaves the stored date as it is, milliseconds and all.
    let published_at = form.parsed_date(&mut errors).filter(|at| {
        note.published_at.map(|p| datetime_local_value(&p)) != Some(datetime_local_value(at))
    });
    let photos_ready = form.wants_preview() || form.photos.ready_to_save(&state.settings.site);
    let (Some(body), Some(tags), Some(context), true) =
        (body, tags, context, errors.is_empty() && photos_ready)
    else {
        return editor_again(&state, &owner, &note, &form, errors, None, None)
            .respond(StatusCode::UNPROCESSABLE_ENTITY);
    };
    if form.wants_preview() {
        let preview = markdown::to_html(body.as_str());
        return editor_again(&state, &owner, &note, &form, errors, Some(preview), None)
            .respond(StatusCode::OK);
    }
    let slug = note.slug.as_str();
    let published = form.published.is_some();
    let edit = NoteEdit {
        tags: Some(tags),
        published: Some(published),
        published_at,
        visibility: Some(form.visibility()),
        ..NoteEdit::text(body, form.based_on.clone())
    };
    // The photos and what the note answers replace the note's own; its
    // other properties stay as they are when the change is made.
    let changed = state.store.change_with(slug, |current| {
        let mut properties = form.photos.applied_to(&current.properties);
        set_context(&mut properties.extra, context.as_ref());
        Ok::<_, StoreError>(NoteEdit {
            properties: Some(properties),
            ..edit
        })
    });
    let saved = match changed.await {
        Ok(saved) => saved,
        Err(StoreError::Conflict { current, .. }) => {
            let saved = state
                .store
                .find_by_id(note.id)
                .await?
                .ok_or(WebError::NotFound)?;
            let saved_text = state.store.read_body(&saved).await?;
            errors.content = Some(
                "This note changed since you opened it (in another tab, or from the command \
                 line). Both versions are below: keep editing yours and save again to replace \
                 the saved one, or copy what you need from it."
                    .into(),
            );
            // Saving again is a deliberate choice to replace that version.
            form.based_on = current;
            return editor_again(
                &state,
                &owner,
                &saved,
                &form,
                errors,
                None,
                Some(saved_text.as_str().to_owned()),
            )
            .respond(StatusCode::CONFLICT);
        }
        Err(StoreError::NotFound(_)) => return Err(WebError::NotFound),
        Err(e) => return Err(e.into()),
    };
    log::info!("admin: saved note {slug}");
    done(&state, &owner, &saved_message(&state, &saved, "Saved.")).await
}

fn editor_again<'a>(
    state: &'a AppState,
    owner: &'a Owner,
    note: &'a crate::domain::Note,
    form: &'a NoteForm,
    errors: EditorErrors,
    preview: Option<String>,
    saved_meanwhile: Option<String>,
) -> EditorView<'a> {
    EditorView {
        state,
        owner,
        editing: Some(note),
        form,
        errors,
        preview,
        saved_meanwhile,
    }
}
