//! The editor's form as it arrives: its fields read as [`NoteForm`] and
//! [`EditorPhotos`], and the files chosen with it.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use super::editor::NoteForm;
use super::form::{FormFile, OwnerForm, RefusedFile};
use super::photos::EditorPhotos;
use crate::web::WebError;
use crate::web::session::Owner;

/// A submitted editor form: the owner, the fields, and the files chosen.
pub struct EditorSubmission {
    pub owner: Owner,
    pub form: NoteForm,
    pub chosen: Chosen,
}

/// The files a form carried, kept or not.
#[derive(Default)]
pub struct Chosen {
    pub(super) files: Vec<FormFile>,
    pub(super) refused: Vec<RefusedFile>,
}

impl FromRequest for EditorSubmission {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<EditorSubmission, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = OwnerForm::from_request(req, payload);
        Box::pin(async move {
            let OwnerForm {
                owner,
                mut fields,
                files,
                refused,
            } = read.await?;
            let photos = EditorPhotos::take_fields(&mut fields)?;
            // The other fields as the form type reads them.
            let encoded = serde_urlencoded::to_string(&fields)
                .map_err(|e| WebError::internal("cannot encode a form again", e))?;
            let mut form: NoteForm = serde_urlencoded::from_str(&encoded)
                .map_err(|e| WebError::BadRequest(format!("The form could not be read: {e}.")))?;
            form.photos = photos;
            Ok(EditorSubmission {
                owner,
                form,
                chosen: Chosen { files, refused },
            })
        })
    }
}
