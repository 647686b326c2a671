//! Log lines: text a person reads, or with `LOG_FORMAT=json` one JSON
//! object per line for a log collector (time, level, target, message, and
//! the request's fields on access lines).

use std::io::Write;

use log::kv::{Error as KvError, Key, Value, VisitSource};
use serde_json::{Map, Value as Json};

use crate::config::{ConfigError, LogFormat};

/// Starts logging at `default` level (RUST_LOG wins) in the format
/// LOG_FORMAT asks for; a bad LOG_FORMAT is a configuration error.
pub fn init(default: &str) -> Result<(), ConfigError> {
    let format = LogFormat::parse(crate::config::read_var("LOG_FORMAT")?.as_deref())?;
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default));
    match format {
        LogFormat::Text => {
            builder.format_timestamp_millis();
        }
        LogFormat::Json => {
            builder.format(|buf, record| {
                let line = json_line(record, chrono::Utc::now());
                writeln!(buf, "{line}")
            });
        }
    }
    // Tests may start logging twice in one process; the first one stays.
    let _ = builder.try_init();
    Ok(())
}

/// One record as a JSON object: `time`, `level`, `target`, `message`, then
/// the record's key-value pairs (an access line's request fields).
fn json_line(record: &log::Record<'_>, now: chrono::DateTime<chrono::Utc>) -> String {
    let mut object = Map::new();
    object.insert(
        "time".into(),
        Json::String(now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    );
    object.insert("level".into(), Json::String(record.level().to_string()));
    object.insert("target".into(), Json::String(record.target().to_owned()));
    object.insert("message".into(), Json::String(record.args().to_string()));
    let mut fields = Fields(&mut object);
    // A field that cannot be read is left out; the line is still written.
    let _ = record.key_values().visit(&mut fields);
    Json::Object(object).to_string()
}

struct Fields<'a>(&'a mut Map<String, Json>);

impl<'kvs> VisitSource<'kvs> for Fields<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), KvError> {
        let json = if let Some(n) = value.to_u64() {
            Json::from(n)
        } else if let Some(n) = value.to_i64() {
            Json::from(n)
        } else if let Some(n) = value.to_f64() {
            Json::from(n)
        } else if let Some(b) = value.to_bool() {
            Json::Bool(b)
        } else {
            Json::String(value.to_string())
        };
        self.0.insert(key.as_str().to_owned(), json);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_json_object_with_its_fields() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T12:00:00.250Z")
            .unwrap()
            .to_utc();
        let fields: [(&str, Value<'_>); 3] = [
            ("status", Value::from(304u64)),
            ("route", Value::from("/note/{slug}")),
            ("duration_ms", Value::from(1.5f64)),
        ];
        let line = json_line(
            &log::Record::builder()
                .level(log::Level::Info)
                .target("starpunk::access")
                .args(format_args!("GET /note/a \"quoted\"\nnext"))
                .key_values(&fields)
                .build(),
            now,
        );
        assert!(!line.contains('\n'), "one line: {line}");
        let parsed: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["time"], "2026-12-07T12:00:00.250Z");
        assert_eq!(parsed["level"], "INFO");
        assert_eq!(parsed["target"], "starpunk::access");
        assert_eq!(parsed["message"], "GET /note/a \"quoted\"\nnext");
        assert_eq!(parsed["status"], 304);
        assert_eq!(parsed["route"], "/note/{slug}");
        assert_eq!(parsed["duration_ms"], 1.5);
    }
}
