//! Photos in the editor, without a script: the form carries the photos of
//! the note being written (`photo_url` and `photo_alt`, one of each per
//! photo, in order) and a file field (`photos`). Whichever button is
//! pressed, chosen files are kept first, exactly as the media endpoint
//! keeps an upload ([`keep_image`]); Add photos, Move up, Move down and
//! Remove then show the editor again with everything typed so far. Saving
//! needs a description (alt text) for every photo.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};

use super::form::Refusal;
use super::submission::Chosen;
use crate::config::SiteSettings;
use crate::domain::{MAX_PHOTO_TEXT_CHARS, MAX_PHOTOS, NoteProperties, Photo};
use crate::render::{MediaLookup, PhotoField, PhotoItem, PhotoView, human_size, own_uploads};
use crate::web::media::{keep_image, media_url};
use crate::web::{AppState, EDITOR_CONTENT_SECURITY_POLICY, WebError};

/// The file field's name.
const FILE_FIELD: &str = "photos";

/// One photo as the form carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Entry {
    url: String,
    alt: String,
}

/// The photos of the note being written, and what the page says of them.
#[derive(Debug, Default)]
pub struct EditorPhotos {
    entries: Vec<Entry>,
    /// The rows of the site's uploads among them.
    media: MediaLookup,
    problems: Vec<String>,
    notice: Option<String>,
    /// Next to each photo, by place.
    errors: Vec<Option<String>>,
}

/// A photo button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Add,
    Up(usize),
    Down(usize),
    Remove(usize),
}

impl Step {
    fn parse(action: &str) -> Option<Step> {
        let place = |prefix: &str| action.strip_prefix(prefix)?.parse::<usize>().ok();
        if action == "add-photos" {
            Some(Step::Add)
        } else if let Some(at) = place("photo-up-") {
            Some(Step::Up(at))
        } else if let Some(at) = place("photo-down-") {
            Some(Step::Down(at))
        } else {
            place("photo-remove-").map(Step::Remove)
        }
    }
}

impl EditorPhotos {
    /// A note's photos, when the editor opens it.
    pub async fn of_note(state: &AppState, photos: &[Photo]) -> Result<EditorPhotos, WebError> {
        let mut editor = EditorPhotos {
            entries: photos
                .iter()
                .map(|photo| Entry {
                    url: photo.url.clone(),
                    alt: photo.alt.clone().unwrap_or_default(),
                })
                .collect(),
            ..EditorPhotos::default()
        };
        editor.look_up(state).await?;
        Ok(editor)
    }

    /// Takes the photo fields out of a form's fields.
    pub(super) fn take_fields(
        fields: &mut Vec<(String, String)>,
    ) -> Result<EditorPhotos, WebError> {
        let mut urls = Vec::new();
        let mut alts = Vec::new();
        fields.retain(|(name, value)| match name.as_str() {
            "photo_url" => {
                urls.push(value.clone());
                false
            }
            "photo_alt" => {
                alts.push(value.clone());
                false
            }
            _ => true,
        });
        if urls.len() != alts.len() {
            return Err(WebError::BadRequest(
                "The form's photos are incomplete (each needs its address and its description). \
                 Reload the editor and try again."
                    .into(),
            ));
        }
        Ok(EditorPhotos {
            entries: urls
                .into_iter()
                .zip(alts)
                .map(|(url, alt)| Entry { url, alt })
                .collect(),
            ..EditorPhotos::default()
        })
    }

    /// Keeps the chosen files after the photos so far, then does what a
    /// photo button asks. Returns the status to show the editor again
    /// with when the request was about the photos (a photo button, or
    /// files that were not added), or `None` to go on with the preview or
    /// the save.
    pub async fn update(
        &mut self,
        state: &AppState,
        chosen: Chosen,
        action: &str,
    ) -> Result<Option<StatusCode>, WebError> {
        let mut status = self.add(state, chosen).await?;
        if let Some(step) = Step::parse(action) {
            self.take_step(step);
            status.get_or_insert(StatusCode::OK);
        }
        self.look_up(state).await?;
        Ok(status)
    }

    /// Keeps each chosen file, as the media endpoint does; a file that is
    /// not kept is named, with the reason, next to the photo field.
    async fn add(
        &mut self,
        state: &AppState,
        chosen: Chosen,
    ) -> Result<Option<StatusCode>, WebError> {
        let Chosen { files, refused } = chosen;
        let mut status = None;
        let mut refuse = |problems: &mut Vec<String>, code: StatusCode, message: String| {
            problems.push(message);
            // The gravest reason decides: too large, then not an image.
            let rank = |code: StatusCode| match code {
                StatusCode::PAYLOAD_TOO_LARGE => 2,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => 1,
                _ => 0,
            };
            if status.is_none_or(|current| rank(code) > rank(current)) {
                status = Some(code);
            }
        };
        let too_many = refused
            .iter()
            .filter(|r| matches!(r.why, Refusal::TooMany { .. }))
            .count();
        for file in refused
            .iter()
            .filter(|r| matches!(r.why, Refusal::TooLarge { .. }))
        {
            let Refusal::TooLarge { limit } = file.why else {
                continue;
            };
            refuse(
                &mut self.problems,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "{}: the file is larger than {}, the most this site takes. Make it smaller \
                     and add it again.",
                    shown_name(&file.file_name),
                    human_size(limit)
                ),
            );
        }
        let wanted = files.len() + too_many;
        if self.entries.len() + wanted > MAX_PHOTOS {
            refuse(
                &mut self.problems,
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "A note may have at most {MAX_PHOTOS} photos. It has {}, so the {wanted} \
                     chosen were not added.",
                    self.entries.len()
                ),
            );
            return Ok(status);
        }
        let mut added = 0;
        for file in files {
            if file.field != FILE_FIELD {
                return Err(WebError::BadRequest(format!(
                    "Files are sent in the field {FILE_FIELD:?}, not {:?}.",
                    file.field
                )));
            }
            match keep_image(state, file.bytes).await {
                Ok(record) => {
                    self.entries.push(Entry {
                        url: media_url(state, &record.path),
                        alt: String::new(),
                    });
                    added += 1;
                }
                Err(WebError::Image(e)) => {
                    let refused = WebError::Image(e);
                    let message = format!("{}: {refused}.", shown_name(&file.file_name));
                    refuse(&mut self.problems, refused.status(), message);
                }
                Err(e) => return Err(e),
            }
        }
        if added > 0 {
            self.notice = Some(match added {
                1 => "Added 1 photo. Describe it below.".to_owned(),
                n => format!("Added {n} photos. Describe each below."),
            });
        }
        Ok(status)
    }

    fn take_step(&mut self, step: Step) {
        let count = self.entries.len();
        // A place that is not there (a form from before a change) does
        // nothing rather than lose what was typed.
        match step {
            Step::Add => {}
            Step::Up(at) if at > 0 && at < count => self.entries.swap(at - 1, at),
            Step::Down(at) if at + 1 < count => self.entries.swap(at, at + 1),
            Step::Remove(at) if at < count => {
                self.entries.remove(at);
            }
            Step::Up(_) | Step::Down(_) | Step::Remove(_) => {}
        }
    }

    /// Reads the rows of the site's uploads among the photos.
    async fn look_up(&mut self, state: &AppState) -> Result<(), WebError> {
        let photos = self.photos();
        let paths = own_uploads(&state.settings.site, &photos);
        self.media = state.store.find_media_many(paths).await?;
        Ok(())
    }

    /// Whether the photos can be saved: each described, each upload still
    /// kept. What is missing is said next to each photo.
    pub fn ready_to_save(&mut self, site: &SiteSettings) -> bool {
        self.errors = self
            .entries
            .iter()
            .map(|entry| self.problem_with(site, entry))
            .collect();
        let missing = self.errors.iter().flatten().count();
        if missing > 0 {
            self.problems.push(match missing {
                1 => "One photo needs attention before the note can be saved.".to_owned(),
                n => format!("{n} photos need attention before the note can be saved."),
            });
        }
        missing == 0
    }

    fn problem_with(&self, site: &SiteSettings, entry: &Entry) -> Option<String> {
        let photo = Photo {
            url: entry.url.clone(),
            alt: Some(entry.alt.clone()),
        };
        let checked = NoteProperties {
            photos: vec![photo.clone()],
            ..NoteProperties::default()
        }
        .validated();
        if entry.alt.trim().is_empty() {
            Some("Describe this photo (its alt text) for people who cannot see it.".to_owned())
        } else if entry.alt.chars().count() > MAX_PHOTO_TEXT_CHARS {
            Some(format!(
                "Shorten this description to {MAX_PHOTO_TEXT_CHARS} characters."
            ))
        } else if let Err(e) = checked {
            Some(format!("This photo cannot be kept: {e}."))
        } else if own_uploads(site, [&photo]).any(|path| !self.media.contains_key(&path)) {
            Some(
                "This upload is no longer kept (uploads no note uses are removed after a day). \
                 Remove it and add the photo again."
                    .to_owned(),
            )
        } else {
            None
        }
    }

    /// The photos as the note keeps them.
    pub fn photos(&self) -> Vec<Photo> {
        self.entries
            .iter()
            .map(|entry| Photo {
                url: entry.url.clone(),
                alt: Some(entry.alt.clone()),
            })
            .collect()
    }

    /// `properties` with these photos in place of its own.
    pub fn applied_to(&self, properties: &NoteProperties) -> NoteProperties {
        NoteProperties {
            photos: self.photos(),
            ..properties.clone()
        }
    }

    /// The field as the editor shows it.
    pub fn field(&self, state: &AppState) -> PhotoField {
        let site = &state.settings.site;
        let views: Vec<PhotoView> = self
            .photos()
            .iter()
            .map(|photo| PhotoView::new(site, photo, &self.media))
            .collect();
        let count = self.entries.len();
        PhotoField {
            items: self
                .entries
                .iter()
                .zip(&views)
                .enumerate()
                .map(|(index, (entry, view))| PhotoItem {
                    index,
                    url: entry.url.clone(),
                    thumbnail: view.src.clone(),
                    width: view.width,
                    height: view.height,
                    alt: entry.alt.clone(),
                    error: self.errors.get(index).cloned().flatten(),
                    last: index + 1 == count,
                    blank: false,
                })
                .collect(),
            problems: self.problems.clone(),
            notice: self.notice.clone(),
            max_bytes: state.settings.media_max_bytes,
            max_size: human_size(state.settings.media_max_bytes),
            max_photos: MAX_PHOTOS,
            preview: views,
        }
    }
}

/// The editor's page may run the site's own editor script, which sends
/// photos to the site as they are chosen; every other page runs none.
pub fn allow_editor_script(response: &mut HttpResponse) {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(EDITOR_CONTENT_SECURITY_POLICY),
    );
}

/// A file's name as the browser gave it, short enough for a message.
fn shown_name(name: &str) -> String {
    const MOST: usize = 80;
    let name = if name.trim().is_empty() {
        "A file"
    } else {
        name
    };
    if name.chars().count() <= MOST {
        name.to_owned()
    } else {
        name.chars().take(MOST).chain(['…']).collect()
    }
}

#[cfg(test)]
mod tests;
