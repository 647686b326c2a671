//! Notes made ready for pages and feeds, with what their photos need from
//! the database looked up once for the whole page.

use super::{AppState, WebError};
use crate::domain::NoteWithBody;
use crate::render::{NoteView, own_uploads};

/// The views of `notes`, in order. One query finds the rows of every
/// upload they show, one what the pages they answer say of themselves; rendering happens once per change, so this is never
/// paid per request.
pub async fn note_views(
    state: &AppState,
    notes: &[NoteWithBody],
) -> Result<Vec<NoteView>, WebError> {
    let site = &state.settings.site;
    let photos = notes.iter().flat_map(|n| &n.note.properties.photos);
    let media = state
        .store
        .find_media_many(own_uploads(site, photos))
        .await?;
    let answered = notes
        .iter()
        .filter_map(|n| n.note.properties.context())
        .map(|c| c.url);
    let cites = state.store.cites_for(answered).await?;
    Ok(notes
        .iter()
        .map(|note| {
            let mut view = NoteView::new(site, note, &media);
            view.context = view.context.map(|c| {
                let cite = cites.get(&c.url);
                c.cited(cite)
            });
            view
        })
        .collect())
}
