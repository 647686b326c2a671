//! Removing a note for good (`note delete --hard`): its row, tags, media
//! links and search entry in one transaction, its file moved aside first
//! and put back if the transaction fails.

use super::super::search::unindex;
use super::super::tags::forget_unused_tags;
use super::super::{Store, StoreError, blocking};
use super::find_any;
use crate::domain::Note;

impl Store {
    /// Removes a note's row and file, whatever its state.
    pub async fn hard_delete(&self, slug: &str) -> Result<Note, StoreError> {
        let mut tx = self.write_lock().await?;
        let note = find_any(&mut tx, slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(slug.to_owned()))?;
        let files = self.files.clone();
        let path = note.file_path.clone();
        let aside = blocking(move || files.move_aside(&path)).await?;

        // Its tags and media links go with it (ON DELETE CASCADE), then any
        // tag left unused.
        let deleted = async {
            sqlx::query("DELETE FROM notes WHERE id = ?")
                .bind(note.id)
                .execute(&mut *tx)
                .await?;
            unindex(&mut tx, note.id).await?;
            forget_unused_tags(&mut tx).await?;
            tx.commit().await.map_err(StoreError::from)
        }
        .await;
        let Some(aside) = aside else {
            return deleted.map(|()| note);
        };
        let files = self.files.clone();
        let path = note.file_path.clone();
        match deleted {
            Ok(()) => {
                if let Err(e) = blocking(move || files.remove_temp(&aside)).await {
                    log::warn!("{}", crate::error::error_chain(&e));
                }
                Ok(note)
            }
            Err(e) => {
                if let Err(restore) = blocking(move || files.put_back(&aside, &path)).await {
                    log::error!(
                        "could not restore {} after a failed delete: {}",
                        note.file_path,
                        crate::error::error_chain(&restore)
                    );
                }
                Err(e)
            }
        }
    }
}
