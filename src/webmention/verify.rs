//! Verifying received Webmentions in the background: each queued source
//! is fetched under the site's outbound rules (public addresses only, 5 s,
//! 1 MB, 5 redirects each checked), read, and kept as a response to the
//! note, updated, or removed when the source is gone or no longer links.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{self, HeaderValue};
use url::Url;

use super::source::{self, Found, Reading};
use super::{Inner, Webmention};
use crate::domain::{
    Author, IncomingResponse, MAX_RESPONSE_CHARS, MediaPath, Protocol, ResponseKind,
};
use crate::error::error_chain;
use crate::outbound::{Request, shown_url};
use crate::render::sanitise::sanitise_foreign;
use crate::store::{Kept, QueuedMention, StoreError};

/// The most of a source that is read.
pub const MAX_SOURCE_BYTES: usize = 1024 * 1024;
/// The most of an author's picture that is read.
pub const MAX_PHOTO_BYTES: usize = 1024 * 1024;
/// The most sanitised HTML kept of a response; longer ones keep text only.
pub const MAX_HTML_BYTES: usize = 32 * 1024;
/// Sources fetched at once.
const AT_ONCE: usize = 4;
/// How often the queue is looked at when nothing wakes it.
const IDLE_POLL: Duration = Duration::from_secs(60);
/// How often old outcomes are forgotten (and the rows sent for notes
/// removed for good): rarely, so an idle server writes nothing.
pub const TIDY_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// How long what a verification found is kept for the owner to see.
const OUTCOMES_KEPT: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// Verifies queued mentions until the server stops.
pub async fn verify_queue(service: Webmention) {
    let inner = &service.inner;
    let mut tidied = tokio::time::Instant::now();
    loop {
        match inner.store.queued_mentions(32).await {
            Ok(batch) if !batch.is_empty() => {
                futures_util::stream::iter(batch)
                    .for_each_concurrent(AT_ONCE, |mention| async move {
                        finish(inner, &mention).await;
                    })
                    .await;
                continue;
            }
            Ok(_) => {}
            Err(e) => log::warn!(
                "Webmention: cannot read the queue of mentions: {}",
                error_chain(&e)
            ),
        }
        if tidied.elapsed() >= TIDY_INTERVAL {
            tidied = tokio::time::Instant::now();
            let cutoff = inner.store.now() - OUTCOMES_KEPT;
            if let Err(e) = inner.store.forget_mention_outcomes(cutoff).await {
                log::warn!(
                    "Webmention: cannot forget old outcomes: {}",
                    error_chain(&e)
                );
            }
        }
        tokio::select! {
            () = inner.verify_wake.notified() => {}
            () = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}

async fn finish(inner: &Inner, mention: &QueuedMention) {
    let (outcome, accepted) = match verify(inner, mention).await {
        Ok(done) => done,
        Err(e) => {
            log::warn!(
                "Webmention: cannot verify {}: {}",
                mention.source,
                error_chain(&e)
            );
            (
                "not verified: the site could not store it".to_owned(),
                false,
            )
        }
    };
    log::info!(
        "Webmention from {} to {}: {outcome}",
        mention.source,
        mention.target
    );
    if let Err(e) = inner
        .store
        .finish_mention(mention, &outcome, accepted)
        .await
    {
        log::warn!("Webmention: cannot record an outcome: {}", error_chain(&e));
    }
}

/// What verifying one mention found, in words for the owner, and whether
/// a response is shown (or waits) for it now.
async fn verify(inner: &Inner, mention: &QueuedMention) -> Result<(String, bool), StoreError> {
    let store = &inner.store;
    if store.is_blocked(&mention.source_host).await? {
        return Ok(("refused: the source's domain is blocked".into(), false));
    }
    match store.find_by_id(mention.note_id).await? {
        Some(note) if note.is_shown_at(store.now()) => {}
        _ => {
            return Ok((
                "not verified: the note is no longer published".into(),
                false,
            ));
        }
    }
    let Ok(source) = Url::parse(&mention.source) else {
        return Ok(("refused: the source is not a URL".into(), false));
    };
    let request = Request::get(source.clone(), MAX_SOURCE_BYTES).header(
        header::ACCEPT,
        HeaderValue::from_static(
            "text/html, application/xhtml+xml;q=0.9, application/json;q=0.5, text/plain;q=0.3",
        ),
    );
    let answer = match inner.outbound.fetch(request).await {
        Ok(answer) => answer,
        Err(e) => return Ok((format!("not verified: {e}"), false)),
    };
    let final_host = answer.final_url.host_str().unwrap_or_default().to_owned();
    if store.is_blocked(&final_host).await? {
        return Ok((
            "refused: the source redirects to a blocked domain".into(),
            false,
        ));
    }
    let status = answer.status;
    if status == reqwest::StatusCode::GONE || status == reqwest::StatusCode::NOT_FOUND {
        let removed = remove(inner, mention).await?;
        return Ok((
            format!(
                "the source answered {status}: {}",
                if removed {
                    "its response was removed"
                } else {
                    "nothing kept"
                }
            ),
            false,
        ));
    }
    if !status.is_success() {
        return Ok((format!("not verified: the source answered {status}"), false));
    }
    let content_type = answer
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let reading = source::read(
        &answer.body,
        content_type,
        &answer.final_url,
        &source,
        &mention.target,
    );
    match reading {
        Err(reason) => Ok((format!("not verified: {reason}"), false)),
        Ok(Reading::NoLink) => {
            let removed = remove(inner, mention).await?;
            Ok((
                format!(
                    "the source does not link to the target{}",
                    if removed {
                        ": its response was removed"
                    } else {
                        ""
                    }
                ),
                false,
            ))
        }
        Ok(Reading::Mention(found)) => keep(inner, mention, &answer.final_url, found).await,
    }
}

async fn remove(inner: &Inner, mention: &QueuedMention) -> Result<bool, StoreError> {
    inner
        .store
        .remove_response(mention.note_id, Protocol::Webmention, &mention.source)
        .await
}

async fn keep(
    inner: &Inner,
    mention: &QueuedMention,
    page: &Url,
    found: Found,
) -> Result<(String, bool), StoreError> {
    let (content_html, content_text) = content(&found, page);
    let incoming = IncomingResponse {
        note_id: mention.note_id,
        protocol: Protocol::Webmention,
        source: mention.source.clone(),
        kind: found.kind,
        url: found.url.clone(),
        host: mention.source_host.clone(),
        author: Author {
            name: found.author.name.clone(),
            url: found.author.url.clone(),
            photo: match &found.author.photo {
                Some(photo) => copy_photo(inner, photo).await,
                None => None,
            },
        },
        actor: None,
        content_html,
        content_text,
        published: found.published,
    };
    let kept = inner
        .store
        .keep_response(&incoming, inner.moderation)
        .await?;
    let kind = kind_name(found.kind);
    let status = kept.response().status.as_str();
    Ok((
        match kept {
            Kept::New(_) => format!("kept as a {kind} ({status})"),
            Kept::Updated(_) => format!("updated the {kind} ({status})"),
        },
        true,
    ))
}

fn kind_name(kind: ResponseKind) -> &'static str {
    kind.as_str()
}

/// The response's text: sanitised HTML when the whole text is short
/// enough to show, and the text (cut one character past what is shown, so
/// the page knows to link to the rest).
fn content(found: &Found, page: &Url) -> (Option<String>, Option<String>) {
    let text = found
        .content_text
        .as_deref()
        .map(|t| t.chars().take(MAX_RESPONSE_CHARS + 1).collect::<String>())
        .filter(|t| !t.trim().is_empty());
    let fits = text
        .as_ref()
        .is_none_or(|t| t.chars().count() <= MAX_RESPONSE_CHARS);
    let html = found
        .content_html
        .as_deref()
        .filter(|_| fits)
        .map(|html| sanitise_foreign(html, page))
        .filter(|html| !html.trim().is_empty() && html.len() <= MAX_HTML_BYTES);
    (html, text)
}

/// A copy of the author's picture among the uploads, or none: never the
/// other site's address.
async fn copy_photo(inner: &Inner, photo: &str) -> Option<MediaPath> {
    let url = Url::parse(photo).ok()?;
    let request = Request::get(url.clone(), MAX_PHOTO_BYTES)
        .header(header::ACCEPT, HeaderValue::from_static("image/*"));
    let answer = match inner.outbound.fetch(request).await {
        Ok(answer) if answer.status.is_success() => answer,
        Ok(answer) => {
            log::info!(
                "Webmention: the picture {} answered {}; left out",
                shown_url(&url),
                answer.status
            );
            return None;
        }
        Err(e) => {
            log::info!("Webmention: a picture left out: {e}");
            return None;
        }
    };
    let prepared = tokio::task::spawn_blocking(move || crate::media::avatar(&answer.body))
        .await
        .ok()?
        .map_err(|e| log::info!("Webmention: the picture {} left out: {e}", shown_url(&url)))
        .ok()?;
    match inner
        .store
        .save_media(&inner.media, prepared, inner.store.now())
        .await
    {
        Ok(record) => Some(record.path),
        Err(e) => {
            log::warn!("Webmention: cannot keep a picture: {}", error_chain(&e));
            None
        }
    }
}
