//! Settings as the operator meets them through the `starpunk` binary: `.env`,
//! `NAME_FILE` secrets, commands that need no settings, and the one-line
//! errors that bad ones produce.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::{
    RefusingPort, TestApp, cli_with, run_with_input, select, spawn_app, stderr, stdout,
};

/// A folder to run in, with its own data folder and perhaps a `.env`.
struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    fn new() -> Folder {
        Folder {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn with_env_file(text: &str) -> Folder {
        let folder = Folder::new();
        std::fs::write(folder.path().join(".env"), text).expect("write .env");
        folder
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `starpunk ARGS` here with exactly `vars` (plus `DATA_PATH`).
    fn run(&self, vars: &[(&str, &str)], args: &[&str]) -> Output {
        self.command(vars, args).output().expect("run starpunk")
    }

    /// `starpunk note new -` with `text` on stdin.
    fn new_note(&self, vars: &[(&str, &str)], text: &str) -> Output {
        run_with_input(&mut self.command(vars, &["note", "new", "-"]), text)
    }

    fn command(&self, vars: &[(&str, &str)], args: &[&str]) -> Command {
        let mut all: HashMap<String, String> = HashMap::from([(
            "DATA_PATH".into(),
            self.path().join("data").display().to_string(),
        )]);
        for (k, v) in vars {
            all.insert(k.to_string(), v.to_string());
        }
        let mut command = cli_with(&all);
        command.current_dir(self.path()).args(args);
        command
    }
}

/// Asserts a configuration error: exit 2 and one line naming `variable`.
fn assert_config_error(output: &Output, variable: &str) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!("starpunk: configuration error: {variable}: ")),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

#[test]
fn rust_log_in_env_file_sets_the_log_level() {
    let folder = Folder::with_env_file("RUST_LOG=debug\n");
    let output = folder.run(&[], &["note", "list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains(" DEBUG "), "{}", stderr(&output));

    // A real environment variable wins over the file.
    let output = folder.run(&[("RUST_LOG", "warn")], &["note", "list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains(" DEBUG "), "{}", stderr(&output));
}

#[test]
fn real_environment_wins_over_env_file() {
    let folder = Folder::with_env_file("SITE_URL=https://from-file.example/\n");
    let new_note = |vars: &[(&str, &str)]| {
        let output = folder.new_note(vars, "A note");
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    assert!(new_note(&[]).starts_with("https://from-file.example/note/"));
    let from_env = new_note(&[("SITE_URL", "https://from-env.example/")]);
    assert!(
        from_env.starts_with("https://from-env.example/note/"),
        "{from_env}"
    );
}

#[test]
fn a_bad_env_file_line_is_exit_2_quoting_the_line() {
    let folder = Folder::with_env_file("SITE_NAME=Fine\nSITE URL = nope\nPORT=1\n");
    let err = assert_config_error(&folder.run(&[], &["note", "list"]), ".env");
    assert!(err.contains("line 2 (\"SITE URL = nope\")"), "{err}");
}

/// The example is what owners copy to `.env`: every line of it must load.
#[test]
fn a_copy_of_env_example_is_accepted() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example");
    let text = std::fs::read_to_string(example).expect("read .env.example");
    let folder = Folder::with_env_file(&text);
    let output = folder.run(&[], &["note", "list"]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn a_setting_can_come_from_a_file() {
    let folder = Folder::new();
    let secret = folder.path().join("site_url");
    std::fs::write(&secret, "https://secret.example/\n").unwrap();
    let secret = secret.to_str().unwrap();
    let output = folder.new_note(&[("SITE_URL_FILE", secret)], "A note");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("https://secret.example/note/"),
        "{}",
        stdout(&output)
    );

    // NAME and NAME_FILE together: refused, naming both.
    let output = folder.run(
        &[
            ("SITE_URL_FILE", secret),
            ("SITE_URL", "https://plain.example/"),
        ],
        &["note", "list"],
    );
    let err = assert_config_error(&output, "SITE_URL");
    assert!(err.contains("SITE_URL_FILE"), "{err}");
}

#[test]
fn a_missing_secret_file_is_named_and_its_cause_said_once() {
    let folder = Folder::new();
    let missing = folder.path().join("no-such-secret");
    let output = folder.run(
        &[("ADMIN_ME_FILE", missing.to_str().unwrap())],
        &["note", "list"],
    );
    let err = assert_config_error(&output, "ADMIN_ME_FILE");
    assert!(err.contains("no-such-secret"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn commands_that_need_no_settings_ignore_bad_ones() {
    // A bad variable and an unreadable .env: neither is used by these.
    let folder = Folder::with_env_file("not a setting\n");
    let bad = [("PORT", "eighty")];

    let output = folder.run(&bad, &["version"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("starpunk {}\n", env!("CARGO_PKG_VERSION"))
    );

    for args in [
        vec!["--help"],
        vec!["--version"],
        vec!["serve", "--help"],
        vec!["healthcheck", "--help"],
        vec!["migrate", "--help"],
        vec!["version", "--help"],
        vec!["check", "--help"],
        vec!["note", "--help"],
        vec!["note", "new", "--help"],
        vec!["note", "list", "--help"],
        vec!["note", "edit", "--help"],
        vec!["note", "publish", "--help"],
        vec!["note", "unpublish", "--help"],
        vec!["note", "delete", "--help"],
        vec!["note", "import", "--help"],
    ] {
        let output = folder.run(&bad, &args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert!(!stdout(&output).is_empty(), "{args:?}");
    }

    // With --url the check asks that address: unreachable is exit 1, not a
    // configuration error.
    let down = RefusingPort::bind();
    let output = folder.run(&bad, &["healthcheck", "--url", &down.url("/health")]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.starts_with("unhealthy: cannot reach"), "{err}");
    assert_eq!(err.matches("Connection refused").count(), 1, "{err}");

    // Commands that do use settings still refuse them.
    assert_config_error(&folder.run(&bad, &["note", "list"]), ".env");
    let plain = Folder::new();
    assert_config_error(&plain.run(&bad, &["note", "list"]), "PORT");
}

#[tokio::test]
async fn healthcheck_without_url_reads_only_host_and_port() {
    let app = spawn_app().await;
    let mut vars = app.vars.clone();
    vars.insert("SITE_URL".into(), "not a url".into());
    vars.insert("FEED_MAX_ITEMS".into(), "lots".into());
    let output =
        tokio::task::spawn_blocking(move || cli_with(&vars).arg("healthcheck").output().unwrap())
            .await
            .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));

    let mut vars = app.vars.clone();
    vars.insert("PORT".into(), "eighty".into());
    let output = cli_with(&vars).arg("healthcheck").output().unwrap();
    assert_config_error(&output, "PORT");
}

#[test]
fn port_zero_is_refused() {
    let folder = Folder::new();
    // Not `serve`: were the check missing, it would run and never return.
    for args in [vec!["healthcheck"], vec!["migrate"], vec!["note", "list"]] {
        let output = folder.run(&[("PORT", "0")], &args);
        let err = assert_config_error(&output, "PORT");
        assert!(err.contains("random free port"), "{args:?}: {err}");
    }
}

#[test]
fn production_refuses_a_localhost_site_url() {
    let folder = Folder::new();
    for site_url in [
        None,
        Some("http://localhost:8000/"),
        Some("http://127.0.0.1/"),
    ] {
        let mut vars = vec![("ENVIRONMENT", "production")];
        vars.extend(site_url.map(|url| ("SITE_URL", url)));
        // Not `serve`: were the check missing, it would run and never return.
        for args in [vec!["migrate"], vec!["note", "list"]] {
            let err = assert_config_error(&folder.run(&vars, &args), "SITE_URL");
            assert!(
                err.contains("set SITE_URL=https://your.domain/"),
                "{site_url:?} {args:?}: {err}"
            );
        }
    }
    let output = folder.run(
        &[
            ("ENVIRONMENT", "production"),
            ("SITE_URL", "https://notes.example/"),
        ],
        &["note", "list"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn an_identity_url_that_indieauth_refuses_is_a_config_error() {
    let folder = Folder::new();
    for (me, reason) in [
        ("https://example.com/#me", "fragment"),
        ("https://example.com:8443/", "port"),
        ("https://203.0.113.9/", "IP address"),
    ] {
        let err = assert_config_error(
            &folder.run(&[("ADMIN_ME", me)], &["note", "list"]),
            "ADMIN_ME",
        );
        assert!(err.contains(reason), "{me}: {err}");
    }
}

#[tokio::test]
async fn the_h_card_links_the_identity_url_as_written() {
    let app = TestApp::builder()
        .admin_me("https://ada.example/about")
        .spawn()
        .await;
    app.publish("Hello").await;
    let html = scraper::Html::parse_document(&app.text("/").await);
    let author = select(&html, ".p-author.h-card");
    assert_eq!(
        author[0].value().attr("href"),
        Some("https://ada.example/about")
    );

    let app = TestApp::builder()
        .admin_me("https://ada.example/?me=1")
        .spawn()
        .await;
    app.publish("Hello").await;
    let html = scraper::Html::parse_document(&app.text("/").await);
    let author = select(&html, ".p-author.h-card");
    assert_eq!(
        author[0].value().attr("href"),
        Some("https://ada.example/?me=1")
    );
}

#[test]
fn a_serve_failure_says_each_cause_once() {
    let folder = Folder::new();
    let blocker = folder.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let data = blocker.join("data");
    let output = folder.run(
        &[
            ("DATA_PATH", data.to_str().unwrap()),
            ("SITE_URL", "https://notes.example/"),
        ],
        &["serve"],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("cannot create folder"), "{err}");
    assert_eq!(err.matches("Not a directory").count(), 1, "{err}");
}
