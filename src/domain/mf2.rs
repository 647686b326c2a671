//! Microformats2 properties as Micropub sends and reads them: every
//! property a list of values, each a string or an object (`{"html": …}`,
//! `{"value": …, "alt": …}`, or a nested mf2 item). And the three update
//! operations of Micropub § 3.3 (replace, add, delete) applied to them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Property name → values, in a stable order (so `q=source` answers are
/// the same every time).
pub type Properties = BTreeMap<String, Vec<Value>>;

/// Why an update cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error("`{0}` must be an object of property names to lists of values")]
    NotAnObject(&'static str),
    #[error("`{operation}` for property `{property}` must be a list of values")]
    NotAList {
        operation: &'static str,
        property: String,
    },
    #[error("`delete` must be a list of property names or an object of property names to values")]
    BadDelete,
    #[error("an update needs at least one of `replace`, `add` or `delete`")]
    Nothing,
}

/// The changes one update asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    pub replace: Properties,
    pub add: Properties,
    /// Whole properties to remove.
    pub delete_properties: Vec<String>,
    /// Single values to remove from a property.
    pub delete_values: Properties,
}

impl Update {
    /// Reads `replace`, `add` and `delete` from a JSON update request.
    pub fn from_json(request: &Map<String, Value>) -> Result<Update, UpdateError> {
        let mut update = Update::default();
        if let Some(replace) = request.get("replace") {
            update.replace = properties_of(replace, "replace")?;
        }
        if let Some(add) = request.get("add") {
            update.add = properties_of(add, "add")?;
        }
        match request.get("delete") {
            None => {}
            Some(Value::Array(names)) => {
                for name in names {
                    let Value::String(name) = name else {
                        return Err(UpdateError::BadDelete);
                    };
                    update.delete_properties.push(name.clone());
                }
            }
            Some(object @ Value::Object(_)) => {
                update.delete_values =
                    properties_of(object, "delete").map_err(|_| UpdateError::BadDelete)?;
            }
            Some(_) => return Err(UpdateError::BadDelete),
        }
        if update.replace.is_empty()
            && update.add.is_empty()
            && update.delete_properties.is_empty()
            && update.delete_values.is_empty()
        {
            return Err(UpdateError::Nothing);
        }
        Ok(update)
    }

    /// The property names this update touches.
    pub fn touched(&self) -> impl Iterator<Item = &str> {
        self.replace
            .keys()
            .chain(self.add.keys())
            .chain(self.delete_values.keys())
            .map(String::as_str)
            .chain(self.delete_properties.iter().map(String::as_str))
    }

    /// Applies the update in the order the spec gives: replace, add, then
    /// delete. A property left without values is removed.
    pub fn apply(&self, properties: &mut Properties) {
        for (name, values) in &self.replace {
            properties.insert(name.clone(), values.clone());
        }
        for (name, values) in &self.add {
            properties
                .entry(name.clone())
                .or_default()
                .extend(values.iter().cloned());
        }
        for name in &self.delete_properties {
            properties.remove(name);
        }
        for (name, values) in &self.delete_values {
            if let Some(current) = properties.get_mut(name) {
                current.retain(|v| !values.contains(v));
            }
        }
        properties.retain(|_, values| !values.is_empty());
    }
}

/// `{"name": [values…]}` as [`Properties`]; a single value not in a list
/// is refused, as the spec asks for lists.
fn properties_of(value: &Value, operation: &'static str) -> Result<Properties, UpdateError> {
    let Value::Object(object) = value else {
        return Err(UpdateError::NotAnObject(operation));
    };
    let mut properties = Properties::new();
    for (name, values) in object {
        let Value::Array(values) = values else {
            return Err(UpdateError::NotAList {
                operation,
                property: name.clone(),
            });
        };
        properties.insert(name.clone(), values.clone());
    }
    Ok(properties)
}

/// The text of a value: a string, or an object's `value` (or `html` when
/// it has no `value`).
pub fn text_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(text) => Some(text),
        Value::Object(object) => object
            .get("value")
            .or_else(|| object.get("html"))
            .and_then(Value::as_str),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn props(value: Value) -> Properties {
        properties_of(&value, "test").unwrap()
    }

    fn update(value: Value) -> Result<Update, UpdateError> {
        Update::from_json(value.as_object().unwrap())
    }

    #[test]
    fn replace_add_and_delete_follow_the_spec_examples() {
        let mut p = props(json!({
            "content": ["hello"],
            "category": ["indieweb", "micropub", "test2"],
        }));
        update(json!({"replace": {"content": ["hello moon"]}}))
            .unwrap()
            .apply(&mut p);
        assert_eq!(p["content"], vec![json!("hello moon")]);

        update(json!({"add": {"category": ["foo"], "syndication": ["https://x.example/1"]}}))
            .unwrap()
            .apply(&mut p);
        assert_eq!(p["category"].len(), 4);
        assert_eq!(p["syndication"], vec![json!("https://x.example/1")]);

        update(json!({"delete": {"category": ["test2"]}}))
            .unwrap()
            .apply(&mut p);
        assert_eq!(
            p["category"],
            vec![json!("indieweb"), json!("micropub"), json!("foo")]
        );

        update(json!({"delete": ["category"]}))
            .unwrap()
            .apply(&mut p);
        assert!(!p.contains_key("category"));
    }

    #[test]
    fn removing_every_value_removes_the_property() {
        let mut p = props(json!({"category": ["a"]}));
        update(json!({"delete": {"category": ["a"]}}))
            .unwrap()
            .apply(&mut p);
        assert!(p.is_empty());
    }

    #[test]
    fn malformed_updates_are_refused() {
        assert_eq!(
            update(json!({"replace": "content"})),
            Err(UpdateError::NotAnObject("replace"))
        );
        assert_eq!(
            update(json!({"add": {"category": "foo"}})),
            Err(UpdateError::NotAList {
                operation: "add",
                property: "category".into()
            })
        );
        assert_eq!(
            update(json!({"delete": "category"})),
            Err(UpdateError::BadDelete)
        );
        assert_eq!(update(json!({"delete": [1]})), Err(UpdateError::BadDelete));
        assert_eq!(update(json!({})), Err(UpdateError::Nothing));
    }

    #[test]
    fn text_comes_from_strings_and_objects() {
        assert_eq!(text_of(&json!("a")), Some("a"));
        assert_eq!(text_of(&json!({"value": "v", "alt": "x"})), Some("v"));
        assert_eq!(text_of(&json!({"html": "<b>h</b>"})), Some("<b>h</b>"));
        assert_eq!(text_of(&json!(3)), None);
    }
}
