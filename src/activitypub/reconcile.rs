//! From note changes to deliveries. Woken by every change of the data
//! (from this process or another, such as the CLI), it reads the note
//! changes after its place in the log, compares each changed note as it
//! is now with what followers were last sent, queues what makes them
//! agree (Create, Update, Delete), and only then moves its place. So a
//! change is acted on even if the server stopped right after it, changes
//! in a burst are acted on once, and acting twice sends nothing twice.
//! Only notes shown at their permalink are sent: one published for later
//! is sent when the server releases it (its release is a change too).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::objects::{self, NoteSource};
use super::{CHANGES_CONSUMER, Federation};
use crate::domain::{MediaPath, Note, NoteWithBody};
use crate::error::error_chain;
use crate::render::{NoteView, own_uploads};
use crate::store::{ActivityKind, FederatedNote, NoteSend, NoteState, StoreError, next_version};
use crate::web::{AppState, WebError};

/// Changes read at once.
const BATCH: u32 = 200;

/// How often the log is read when nothing wakes the task (a missed wake).
const POLL: Duration = Duration::from_secs(30);

/// Follows the note changes for as long as the server runs.
pub async fn follow_changes(state: Arc<AppState>) {
    let Some(federation) = state.federation.clone() else {
        return;
    };
    let mut changes = state.watch_changes();
    let mut failing = false;
    loop {
        match catch_up(&state, &federation).await {
            Ok(()) => failing = false,
            Err(e) if !failing => {
                failing = true;
                log::warn!(
                    "activitypub: cannot turn note changes into deliveries: {}",
                    error_chain(&e)
                );
            }
            Err(_) => {}
        }
        tokio::select! {
            _ = changes.changed() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Acts on every change not acted on yet.
pub async fn catch_up(state: &AppState, federation: &Federation) -> Result<(), WebError> {
    let mut queued = false;
    loop {
        let changes = state.store.changes_for(CHANGES_CONSUMER, BATCH).await?;
        let Some(last) = changes.last().map(|c| c.id) else {
            break;
        };
        let mut seen = std::collections::HashSet::new();
        for change in &changes {
            if seen.insert(change.note_id) {
                queued |= reconcile(state, federation, change.note_id).await?;
            }
        }
        state.store.advance_cursor(CHANGES_CONSUMER, last).await?;
    }
    if queued {
        federation.wake_deliveries();
    }
    Ok(())
}

/// Brings what followers know of one note in line with the note; whether
/// anything was queued.
async fn reconcile(
    state: &AppState,
    federation: &Federation,
    note_id: i64,
) -> Result<bool, WebError> {
    let row = state.store.federated_note(note_id).await?;
    let note = state.store.find_by_id(note_id).await?;
    let send = match decide(state, federation, row.as_ref(), note).await {
        Ok(Some(send)) => send,
        Ok(None) => return Ok(false),
        Err(WebError::NoteDamaged) => {
            // Reported where it was found; it is sent once it is repaired
            // (the repair changes the note).
            return Ok(false);
        }
        Err(e) => return Err(e),
    };
    let queued = send.activity.is_some();
    let deliveries = state.store.record_note_send(note_id, send).await?;
    if queued {
        log::info!("activitypub: note {note_id}: queued for {deliveries} inboxes");
    }
    Ok(queued)
}

/// What to record and send for a note, or `None` when followers already
/// know it as it is.
async fn decide(
    state: &AppState,
    federation: &Federation,
    row: Option<&FederatedNote>,
    note: Option<Note>,
) -> Result<Option<NoteSend>, WebError> {
    let ids = &federation.ids;
    let created = row.filter(|r| r.state == NoteState::Created);
    let now = state.store.now();
    let Some(note) = note.filter(|note| note.is_shown_at(now)) else {
        // Gone for good, a draft, deleted, or published for later: what
        // followers were sent of it is deleted.
        return Ok(created.map(|created| NoteSend {
            row: Some(FederatedNote {
                state: NoteState::Deleted,
                ..created.clone()
            }),
            activity: Some(delete(federation, created)),
        }));
    };
    let version = next_version(row);
    let (note_id, slug) = (note.id, note.slug.to_string());
    let object = note_object(state, federation, note, version).await?;
    let hash = objects::object_hash(&object);
    let activity = match created {
        Some(created) if created.object_hash.as_deref() == Some(hash.as_str()) => return Ok(None),
        Some(_) => {
            let at = object["updated"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map_or(now, |t| t.with_timezone(&chrono::Utc));
            (ActivityKind::Update, objects::update(ids, &object, at))
        }
        None => (ActivityKind::Create, objects::create(ids, &object)),
    };
    Ok(Some(NoteSend {
        row: Some(FederatedNote {
            note_id,
            slug,
            state: NoteState::Created,
            version,
            object_hash: Some(hash),
        }),
        activity: Some((activity.0, activity.1.to_string())),
    }))
}

/// The Delete of what followers were sent of a note.
fn delete(federation: &Federation, row: &FederatedNote) -> (ActivityKind, String) {
    let ids = &federation.ids;
    let object_id = ids.note_object(&row.slug, row.version);
    (
        ActivityKind::Delete,
        objects::delete(ids, &object_id).to_string(),
    )
}

/// A shown note's object, with its text read and its photos looked up.
pub async fn note_object(
    state: &AppState,
    federation: &Federation,
    note: Note,
    version: i64,
) -> Result<Value, WebError> {
    let body = match state.store.read_body(&note).await {
        Ok(body) => body,
        Err(StoreError::Damaged(damage)) => {
            state.report_damage(&[*damage]);
            return Err(WebError::NoteDamaged);
        }
        Err(e) => return Err(e.into()),
    };
    let with_body = NoteWithBody { note, body };
    let site = &state.settings.site;
    // Collected before the query: the future stays `Send` for the task.
    let uploads: Vec<MediaPath> = own_uploads(site, &with_body.note.properties.photos).collect();
    let media = state.store.find_media_many(uploads).await?;
    let view = NoteView::new(site, &with_body, &media);
    Ok(objects::note(
        &federation.ids,
        &NoteSource {
            note: &with_body.note,
            view: &view,
            version,
        },
    ))
}
