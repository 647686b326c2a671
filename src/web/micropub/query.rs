//! `GET /micropub?q=…`: what apps ask before and after posting (Micropub
//! § 3.7): the endpoint's configuration, syndication targets, a post's
//! source, a list of posts, and the tags in use.

use actix_web::HttpResponse;
use actix_web::http::header;
use serde_json::{Map, Value, json};

use super::write::any_note;
use crate::domain::NoteWithBody;
use crate::domain::source_properties;
use crate::store::{AccessToken, NoteFilter};
use crate::web::AppState;
use crate::web::WebError;

/// The queries this endpoint answers.
const QUERIES: [&str; 4] = ["config", "syndicate-to", "source", "category"];
/// Posts listed by `q=source` without a `url`, unless `limit` says fewer.
const DEFAULT_LIST: u32 = 20;
const MAX_LIST: u32 = 100;

pub async fn answer(
    state: &AppState,
    _token: &AccessToken,
    query_string: &str,
) -> Result<HttpResponse, WebError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string)
        .map_err(|e| WebError::bad_request(format!("the query cannot be read: {e}")))?;
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let body = match get("q") {
        None => {
            return Err(WebError::bad_request(
                "ask a question with `q` (config, syndicate-to, source or category), or POST a post",
            ));
        }
        Some("config") => {
            let mut config = Map::new();
            config.insert(
                "media-endpoint".into(),
                json!(format!("{}micropub/media", state.settings.site.url)),
            );
            config.insert("syndicate-to".into(), json!([]));
            config.insert(
                "post-types".into(),
                json!([{"type": "note", "name": "Note"}, {"type": "article", "name": "Article"}]),
            );
            config.insert("q".into(), json!(QUERIES));
            config.insert("post-status".into(), json!(["published", "draft"]));
            config.insert("visibility".into(), json!(["public", "unlisted"]));
            config.insert("categories".into(), json!(category_names(state).await?));
            Value::Object(config)
        }
        Some("syndicate-to") => json!({ "syndicate-to": [] }),
        Some("category") => {
            let mut names = category_names(state).await?;
            if let Some(prefix) = get("filter").map(str::to_lowercase) {
                names.retain(|n| n.to_lowercase().starts_with(&prefix));
            }
            json!({ "categories": names })
        }
        Some("source") => {
            let asked: Vec<&str> = pairs
                .iter()
                .filter(|(k, _)| k == "properties[]" || k == "properties")
                .map(|(_, v)| v.as_str())
                .collect();
            match get("url") {
                Some(url) => {
                    let note = any_note(state, url).await?;
                    if note.deleted_at.is_some() {
                        return Err(WebError::bad_request(format!("there is no post at {url}")));
                    }
                    let body = state.store.read_body(&note).await?;
                    source(state, &NoteWithBody { note, body }, &asked)
                }
                None => list(state, get("limit"), get("offset"), get("post-status")).await?,
            }
        }
        Some(other) => {
            return Err(WebError::bad_request(format!(
                "unknown query {other:?}: this endpoint answers q=config, syndicate-to, source and category"
            )));
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

/// One post in mf2 JSON: every property with its `type`, or only the
/// properties asked for, without `type` (Micropub § 3.7.3).
fn source(state: &AppState, note: &NoteWithBody, asked: &[&str]) -> Value {
    let mut properties = source_properties(&state.settings.site.url, note);
    if asked.is_empty() {
        json!({ "type": ["h-entry"], "properties": properties })
    } else {
        properties.retain(|name, _| asked.contains(&name.as_str()));
        json!({ "properties": properties })
    }
}

/// The newest posts, as Micro.blog's apps ask: `limit`, `offset` and
/// `post-status` (published or draft).
async fn list(
    state: &AppState,
    limit: Option<&str>,
    offset: Option<&str>,
    status: Option<&str>,
) -> Result<Value, WebError> {
    let number = |text: Option<&str>, name: &str, default: u64| -> Result<u64, WebError> {
        text.map_or(Ok(default), |t| {
            t.parse()
                .map_err(|_| WebError::bad_request(format!("`{name}` must be a whole number")))
        })
    };
    let limit = u32::try_from(number(limit, "limit", u64::from(DEFAULT_LIST))?)
        .unwrap_or(MAX_LIST)
        .clamp(1, MAX_LIST);
    let offset = number(offset, "offset", 0)?;
    let filter = match status {
        None => NoteFilter::Current,
        // Scheduled and unlisted notes are published too.
        Some("published") => NoteFilter::AnyPublished,
        Some("draft") => NoteFilter::Drafts,
        Some(other) => {
            return Err(WebError::bad_request(format!(
                "unknown post-status {other:?}: use published or draft"
            )));
        }
    };
    let (notes, _more) = state.store.owner_page(filter, offset, limit).await?;
    let mut items = Vec::with_capacity(notes.len());
    for note in notes {
        // A note whose file is damaged is left out, as from every list.
        if let Ok(body) = state.store.read_body(&note).await {
            items.push(source(state, &NoteWithBody { note, body }, &[]));
        }
    }
    Ok(json!({ "items": items }))
}

async fn category_names(state: &AppState) -> Result<Vec<String>, WebError> {
    Ok(state
        .store
        .tag_counts()
        .await?
        .into_iter()
        .map(|t| t.tag.name().to_owned())
        .collect())
}
