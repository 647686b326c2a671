//! A Micropub POST, read from a form or JSON body into what it asks for
//! (Micropub § 3.1–3.4). Reading checks the shape; what the values mean
//! is checked when they are applied.

use serde_json::{Map, Value};

use crate::domain::mf2::{Properties, Update};
use crate::web::WebError;

/// What a request asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A new post: its type (`entry`), properties, and `mp-*` commands.
    Create {
        kind: String,
        properties: Properties,
        commands: Properties,
    },
    Update {
        url: String,
        update: Update,
    },
    Delete {
        url: String,
    },
    Undelete {
        url: String,
    },
}

/// A request body: the action and the token it may carry (forms only).
#[derive(Debug, Clone, PartialEq)]
pub struct MicropubRequest {
    pub action: Action,
    pub access_token: Option<String>,
}

/// Names that are not properties of the post (Micropub § 3.7.2).
fn is_reserved(name: &str) -> bool {
    matches!(name, "access_token" | "h" | "action" | "url") || name.starts_with("mp-")
}

impl MicropubRequest {
    /// A form body (`application/x-www-form-urlencoded`, or the text
    /// fields of a multipart one): `name=value` pairs, `name[]` for lists.
    pub fn from_form(pairs: Vec<(String, String)>) -> Result<MicropubRequest, WebError> {
        let mut fields = Properties::new();
        for (name, value) in pairs {
            let name = name.strip_suffix("[]").unwrap_or(&name).to_owned();
            fields.entry(name).or_default().push(Value::String(value));
        }
        let single = |fields: &mut Properties, name: &str| -> Result<Option<String>, WebError> {
            match fields.remove(name) {
                None => Ok(None),
                Some(mut values) if values.len() == 1 => match values.pop() {
                    Some(Value::String(text)) => Ok(Some(text)),
                    _ => Ok(None),
                },
                Some(_) => Err(WebError::bad_request(format!(
                    "`{name}` may be given only once"
                ))),
            }
        };
        let access_token = single(&mut fields, "access_token")?;
        let action = single(&mut fields, "action")?;
        let url = single(&mut fields, "url")?;
        let kind = single(&mut fields, "h")?;
        let action = match action.as_deref() {
            None | Some("create") => {
                let (commands, properties) = split_commands(fields);
                Action::Create {
                    kind: kind.unwrap_or_else(|| "entry".to_owned()),
                    properties,
                    commands,
                }
            }
            Some("delete") => Action::Delete {
                url: required_url(url)?,
            },
            Some("undelete") => Action::Undelete {
                url: required_url(url)?,
            },
            Some("update") => {
                return Err(WebError::bad_request(
                    "updates are sent as JSON (Micropub § 3.3)",
                ));
            }
            Some(other) => return Err(unknown_action(other)),
        };
        Ok(MicropubRequest {
            action,
            access_token,
        })
    }

    /// A JSON body: `{"type": ["h-entry"], "properties": {…}}` to create,
    /// or `{"action": …, "url": …}` for the other actions.
    pub fn from_json(body: &[u8]) -> Result<MicropubRequest, WebError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| WebError::bad_request(format!("the body is not valid JSON: {e}")))?;
        let Value::Object(object) = value else {
            return Err(WebError::bad_request("the body must be a JSON object"));
        };
        let text = |name: &str| -> Result<Option<String>, WebError> {
            match object.get(name) {
                None => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(_) => Err(WebError::bad_request(format!("`{name}` must be a string"))),
            }
        };
        let access_token = text("access_token")?;
        let url = text("url")?;
        let action = match text("action")?.as_deref() {
            None | Some("create") => json_create(&object)?,
            Some("update") => Action::Update {
                url: required_url(url)?,
                update: Update::from_json(&object)
                    .map_err(|e| WebError::bad_request(e.to_string()))?,
            },
            Some("delete") => Action::Delete {
                url: required_url(url)?,
            },
            Some("undelete") => Action::Undelete {
                url: required_url(url)?,
            },
            Some(other) => return Err(unknown_action(other)),
        };
        Ok(MicropubRequest {
            action,
            access_token,
        })
    }
}

fn json_create(object: &Map<String, Value>) -> Result<Action, WebError> {
    let kind = match object.get("type") {
        Some(Value::Array(types)) => match types.first().and_then(Value::as_str) {
            Some(kind) => kind.strip_prefix("h-").unwrap_or(kind).to_owned(),
            None => return Err(WebError::bad_request("`type` must list the post's type")),
        },
        _ => {
            return Err(WebError::bad_request(
                "a JSON post needs `type` (e.g. [\"h-entry\"]) and `properties`",
            ));
        }
    };
    let Some(Value::Object(given)) = object.get("properties") else {
        return Err(WebError::bad_request("`properties` must be an object"));
    };
    let mut fields = Properties::new();
    for (name, values) in given {
        let Value::Array(values) = values else {
            return Err(WebError::bad_request(format!(
                "property `{name}` must be a list of values"
            )));
        };
        fields.insert(name.clone(), values.clone());
    }
    let (commands, properties) = split_commands(fields);
    Ok(Action::Create {
        kind,
        properties,
        commands,
    })
}

/// `mp-*` commands apart from the post's properties; other reserved names
/// (a token in a JSON body, say) are dropped, never stored.
fn split_commands(fields: Properties) -> (Properties, Properties) {
    let mut commands = Properties::new();
    let mut properties = Properties::new();
    for (name, values) in fields {
        if name.starts_with("mp-") {
            commands.insert(name, values);
        } else if !is_reserved(&name) {
            properties.insert(name, values);
        }
    }
    (commands, properties)
}

fn unknown_action(action: &str) -> WebError {
    WebError::bad_request(format!(
        "unknown action {action:?}: the actions are create, update, delete and undelete"
    ))
}

fn required_url(url: Option<String>) -> Result<String, WebError> {
    url.filter(|u| !u.trim().is_empty())
        .ok_or_else(|| WebError::bad_request("this action needs the post's `url`"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Result<MicropubRequest, WebError> {
        MicropubRequest::from_form(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn a_form_creates_an_entry_with_lists_and_single_values() {
        let request = form(&[
            ("h", "entry"),
            ("content", "Hello"),
            ("category[]", "a"),
            ("category[]", "b"),
            ("mp-slug", "hi"),
            ("access_token", "t"),
        ])
        .unwrap();
        assert_eq!(request.access_token.as_deref(), Some("t"));
        let Action::Create {
            kind,
            properties,
            commands,
        } = request.action
        else {
            panic!("not a create");
        };
        assert_eq!(kind, "entry");
        assert_eq!(properties["content"], vec![json!("Hello")]);
        assert_eq!(properties["category"], vec![json!("a"), json!("b")]);
        assert_eq!(commands["mp-slug"], vec![json!("hi")]);
        assert!(!properties.contains_key("access_token"));
    }

    #[test]
    fn form_delete_and_undelete_need_a_url() {
        assert_eq!(
            form(&[("action", "delete"), ("url", "https://x/note/a")])
                .unwrap()
                .action,
            Action::Delete {
                url: "https://x/note/a".into()
            }
        );
        assert!(form(&[("action", "undelete")]).is_err());
        assert!(form(&[("action", "explode"), ("url", "u")]).is_err());
        assert!(form(&[("access_token", "a"), ("access_token", "b")]).is_err());
    }

    #[test]
    fn json_creates_keep_nested_objects_and_drop_a_token() {
        let body = json!({
            "type": ["h-entry"],
            "properties": {
                "content": [{"html": "<b>Hi</b>"}],
                "checkin": [{"type": ["h-card"], "properties": {"name": ["Café"]}}],
                "access_token": ["secret"],
            }
        });
        let request = MicropubRequest::from_json(body.to_string().as_bytes()).unwrap();
        let Action::Create { properties, .. } = request.action else {
            panic!("not a create");
        };
        assert_eq!(properties["content"], vec![json!({"html": "<b>Hi</b>"})]);
        assert!(properties.contains_key("checkin"));
        assert!(!properties.contains_key("access_token"));
    }

    #[test]
    fn json_updates_are_read_and_bad_shapes_refused() {
        let update = json!({"action": "update", "url": "u", "replace": {"content": ["x"]}});
        assert!(matches!(
            MicropubRequest::from_json(update.to_string().as_bytes())
                .unwrap()
                .action,
            Action::Update { .. }
        ));
        for bad in [
            json!({"action": "update", "url": "u", "replace": "content"}),
            json!({"action": "update", "replace": {"content": ["x"]}}),
            json!({"type": "h-entry", "properties": {}}),
            json!({"type": ["h-entry"], "properties": {"content": "x"}}),
            json!([1, 2]),
        ] {
            assert!(
                MicropubRequest::from_json(bad.to_string().as_bytes()).is_err(),
                "{bad}"
            );
        }
        assert!(MicropubRequest::from_json(b"{not json").is_err());
    }
}
