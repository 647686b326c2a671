//! `spawn_app()` and the helpers tests use to act as a user would.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use actix_web::web;
use chrono::Utc;
use starpunk::config::Settings;
use starpunk::domain::{Note, NoteBody, Slug};
use starpunk::startup::{Application, open_store};
use starpunk::store::{NewNote, Store};
use starpunk::web::AppState;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: web::Data<AppState>,
    pub data_dir: tempfile::TempDir,
    pub vars: HashMap<String, String>,
}

/// Starts the app with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with some settings changed.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_configured(extra, |_| {}).await
}

/// Starts the app with some settings changed, then `configure` applied to
/// what the environment gave (for values no variable sets).
pub async fn spawn_app_configured(
    extra: &[(&str, &str)],
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().unwrap().port();
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATA_PATH".into(), data_dir.path().display().to_string()),
        ("HOST".into(), "127.0.0.1".into()),
        ("PORT".into(), port.to_string()),
        ("SITE_URL".into(), format!("http://127.0.0.1:{port}/")),
        ("SITE_NAME".into(), "Test Site".into()),
        ("SITE_AUTHOR".into(), "Ada Author".into()),
        ("ADMIN_ME".into(), "https://ada.example/".into()),
        ("WORKERS".into(), "1".into()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let mut settings = settings_from(&vars);
    // Fake apps listen on loopback; tests of the refusal configure less.
    settings.app_pages_private_allowed = vec![
        std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::Ipv6Addr::LOCALHOST.into(),
    ];
    configure(&mut settings);
    let store = open_store(&settings).await.expect("open store");
    let app = Application::with_listener(settings, store, listener)
        .await
        .expect("build app");
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        data_dir,
        vars,
    }
}

pub fn settings_from(vars: &HashMap<String, String>) -> Settings {
    Settings::from_lookup(|name| Ok(vars.get(name).cloned())).expect("valid test settings")
}

impl TestApp {
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    pub fn data_path(&self) -> &Path {
        self.data_dir.path()
    }

    pub fn notes_path(&self) -> PathBuf {
        self.data_dir.path().join("notes")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Publishes a note as the server itself would (the change shows at once).
    pub async fn publish(&self, text: &str) -> Note {
        self.create(text, true, None).await
    }

    pub async fn draft(&self, text: &str) -> Note {
        self.create(text, false, None).await
    }

    pub async fn create(&self, text: &str, published: bool, slug: Option<&str>) -> Note {
        let note = self
            .store()
            .create(
                NewNote {
                    body: NoteBody::parse(text).unwrap(),
                    slug: slug.map(|s| Slug::parse(s).unwrap()),
                    published,
                    published_at: None,
                    created_at: None,
                    tags: Vec::new(),
                    properties: starpunk::domain::NoteProperties::default(),
                },
                Utc::now(),
            )
            .await
            .expect("create note");
        self.changed().await;
        note
    }

    /// Tells the server's cache that notes changed (as in-process writes do).
    pub async fn changed(&self) {
        self.state.refresh_revision().await.unwrap();
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request.send().await.expect("request")
    }

    pub async fn head(&self, path: &str) -> reqwest::Response {
        self.client
            .head(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn text(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }

    /// The `starpunk` binary with this app's settings.
    pub fn cli(&self) -> Command {
        cli_with(&self.vars)
    }
}

/// The `starpunk` binary, run in an empty folder with exactly these variables.
pub fn cli_with(vars: &HashMap<String, String>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_starpunk"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command.current_dir(std::env::temp_dir());
    for (k, v) in vars {
        command.env(k, v);
    }
    command
}

/// Runs a command with `input` on stdin.
pub fn run_with_input(command: &mut Command, input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn starpunk");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Polls until `check` passes or `limit` runs out; returns how long it took.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not met within {limit:?}");
}

pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn select<'a>(html: &'a scraper::Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&scraper::Selector::parse(selector).unwrap())
        .collect()
}
