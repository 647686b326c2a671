//! Where settings come from: the process environment, a `.env` file in the
//! current folder, and `NAME_FILE` secrets.

use std::ffi::OsString;
use std::path::Path;

use super::ConfigError;

/// Loads `.env` from the current folder into the process environment, if
/// there is one. Variables already set win over the file.
///
/// Call it once, first thing: logging reads `RUST_LOG` from the environment
/// when it starts, and setting variables is only sound while no other
/// thread runs.
pub fn load_dotenv() -> Result<(), ConfigError> {
    load_dotenv_from(Path::new(".env"))
}

fn load_dotenv_from(path: &Path) -> Result<(), ConfigError> {
    match dotenvy::from_path(path) {
        Ok(()) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(dotenvy::Error::LineParse(fragment, _)) => Err(ConfigError::new(
            ".env",
            format!(
                "cannot parse {}: lines are NAME=value, \
                 with quotes around a value that has spaces",
                bad_line(path, &fragment)
            ),
        )),
        Err(dotenvy::Error::Io(e)) => Err(ConfigError::new(".env", format!("cannot read it: {e}"))),
        Err(e) => Err(ConfigError::new(".env", e.to_string())),
    }
}

/// Where the line dotenvy could not parse is, for a person to find it:
/// dotenvy reports sometimes the line, sometimes only its value, and for an
/// open quote everything up to the end of the file.
fn bad_line(path: &Path, fragment: &str) -> String {
    let first = fragment.lines().next().unwrap_or_default().trim();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let found = text.lines().enumerate().find(|(_, line)| {
        !first.is_empty() && !line.trim_start().starts_with('#') && line.contains(first)
    });
    match found {
        Some((index, line)) => format!("line {} ({:?})", index + 1, line.trim()),
        None => format!("{first:?}"),
    }
}

/// Reads one variable from the process environment, or from the file named
/// by `NAME_FILE` (as container secrets provide).
pub fn read_var(name: &str) -> Result<Option<String>, ConfigError> {
    read_var_with(name, |n| std::env::var_os(n))
}

/// [`read_var`] over any environment, so tests need not change the real one.
///
/// A blank value counts as unset, because `.env.example` leaves optional
/// values empty (`ADMIN_ME=`) and a copy of it must not hide `ADMIN_ME_FILE`.
/// Setting both `NAME` and `NAME_FILE` is refused rather than one silently
/// winning: the owner meant one of them, and only they know which.
pub(super) fn read_var_with(
    name: &str,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<Option<String>, ConfigError> {
    let file_var = format!("{name}_FILE");
    let value = non_blank(name, env(name))?;
    let path = non_blank(&file_var, env(&file_var))?;
    match (value, path) {
        (Some(_), Some(_)) => Err(ConfigError::new(
            name,
            format!("both {name} and {file_var} are set; set only one of them"),
        )),
        (value, None) => Ok(value),
        (None, Some(path)) => read_secret(&file_var, &path).map(Some),
    }
}

fn non_blank(name: &str, value: Option<OsString>) -> Result<Option<String>, ConfigError> {
    match value.map(OsString::into_string) {
        None => Ok(None),
        Some(Err(_)) => Err(ConfigError::new(name, "is not valid UTF-8")),
        Some(Ok(text)) if text.trim().is_empty() => Ok(None),
        Some(Ok(text)) => Ok(Some(text)),
    }
}

fn read_secret(file_var: &str, path: &str) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(file_var, format!("cannot read {path}: {e}")))?;
    // `echo value > file` and editors end the file with a newline that is
    // not part of the value.
    let value = text.trim_end_matches(['\n', '\r']);
    if value.trim().is_empty() {
        // An empty secret is a mistake in the deployment, not a request for
        // the default.
        return Err(ConfigError::new(file_var, format!("{path} is empty")));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(name: &str, vars: &[(&str, &str)]) -> Result<Option<String>, ConfigError> {
        let env: HashMap<&str, OsString> = vars.iter().map(|(k, v)| (*k, v.into())).collect();
        read_var_with(name, |n| env.get(n).cloned())
    }

    #[test]
    fn a_file_gives_the_value_without_its_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("admin_me");
        std::fs::write(&secret, "https://ada.example/\r\n").unwrap();
        let path = secret.to_str().unwrap();
        let value = read("ADMIN_ME", &[("ADMIN_ME_FILE", path)]).unwrap();
        assert_eq!(value.as_deref(), Some("https://ada.example/"));
        // A blank NAME (as in a copy of .env.example) does not hide the file.
        let value = read("ADMIN_ME", &[("ADMIN_ME", ""), ("ADMIN_ME_FILE", path)]).unwrap();
        assert_eq!(value.as_deref(), Some("https://ada.example/"));
    }

    #[test]
    fn file_problems_name_the_file_variable() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let err = read("ADMIN_ME", &[("ADMIN_ME_FILE", missing.to_str().unwrap())]).unwrap_err();
        assert_eq!(err.variable, "ADMIN_ME_FILE");
        assert!(err.message.contains("cannot read"), "{err}");

        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let err = read("ADMIN_ME", &[("ADMIN_ME_FILE", empty.to_str().unwrap())]).unwrap_err();
        assert_eq!(err.variable, "ADMIN_ME_FILE");
        assert!(err.message.ends_with("is empty"), "{err}");
    }

    #[test]
    fn name_and_name_file_together_are_refused() {
        let err = read(
            "PORT",
            &[("PORT", "80"), ("PORT_FILE", "/run/secrets/port")],
        )
        .unwrap_err();
        assert_eq!(err.variable, "PORT");
        assert!(err.message.contains("PORT_FILE"), "{err}");
    }

    #[test]
    fn blank_and_unset_are_the_same() {
        assert_eq!(read("SITE_NAME", &[]).unwrap(), None);
        assert_eq!(read("SITE_NAME", &[("SITE_NAME", "  ")]).unwrap(), None);
        assert_eq!(
            read("SITE_NAME", &[("SITE_NAME", "Mine")])
                .unwrap()
                .as_deref(),
            Some("Mine")
        );
    }

    #[test]
    fn a_bad_env_file_line_is_quoted_on_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".env");
        std::fs::write(&file, "# comment\nSP_TEST_UNTERMINATED=\"open\nMORE=1\n").unwrap();
        let err = load_dotenv_from(&file).unwrap_err();
        assert_eq!(err.variable, ".env");
        assert!(
            err.message.contains(r#""SP_TEST_UNTERMINATED=\"open""#),
            "{err}"
        );
        assert_eq!(err.to_string().lines().count(), 1, "{err}");
        assert!(load_dotenv_from(&dir.path().join("absent")).is_ok());
    }
}
