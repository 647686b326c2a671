//! Settings for running the site for years: where Prometheus reads its
//! metrics, and how log lines are written.

use std::net::SocketAddr;

use super::{ConfigError, Vars};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One line of text a person reads (the default).
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

impl LogFormat {
    /// LOG_FORMAT's value: `text` (or unset) or `json`.
    pub fn parse(value: Option<&str>) -> Result<LogFormat, ConfigError> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(ConfigError::new(
                "LOG_FORMAT",
                format!("{other:?} is not one of text, json"),
            )),
        }
    }
}

pub(super) fn parse_log_format<F>(vars: &Vars<F>) -> Result<LogFormat, ConfigError>
where
    F: Fn(&str) -> Result<Option<String>, ConfigError>,
{
    LogFormat::parse(vars.get("LOG_FORMAT")?.as_deref())
}

/// METRICS_ADDR: the address of `/metrics`' own listener, or none (off).
pub(super) fn parse_metrics_addr<F>(vars: &Vars<F>) -> Result<Option<SocketAddr>, ConfigError>
where
    F: Fn(&str) -> Result<Option<String>, ConfigError>,
{
    let Some(text) = vars.get("METRICS_ADDR")? else {
        return Ok(None);
    };
    let address: SocketAddr = text.parse().map_err(|_| {
        ConfigError::new(
            "METRICS_ADDR",
            format!("{text:?} is not an address and port such as 127.0.0.1:9464"),
        )
    })?;
    if address.port() == 0 {
        return Err(ConfigError::new(
            "METRICS_ADDR",
            "port 0 would listen where no Prometheus could find it; use a port such as 9464",
        ));
    }
    Ok(Some(address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_formats_are_text_or_json() {
        assert_eq!(LogFormat::parse(None).unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some(" json ")).unwrap(), LogFormat::Json);
        let refused = LogFormat::parse(Some("xml")).unwrap_err();
        assert_eq!(refused.variable, "LOG_FORMAT");
    }
}
