//! `spawn_app()` and the helpers tests use to act as a user would.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use chrono::{DateTime, Utc};
use starpunk::clock::{ManualClock, SharedClock, SystemClock};
use starpunk::config::Settings;
use starpunk::domain::NewNote;
use starpunk::domain::{Note, NoteBody, Slug};
use starpunk::startup::{Application, open_store};
use starpunk::store::{KeyPairPem, PrivateKeyPem, Store};
use starpunk::web::AppState;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: web::Data<AppState>,
    pub data_dir: tempfile::TempDir,
    /// The environment that made its settings, for the `starpunk` binary.
    pub vars: HashMap<String, String>,
    /// The app's clock, when the test set the time.
    manual_clock: Option<Arc<ManualClock>>,
    /// `http://…/metrics` on the metrics listener, when the app has one.
    pub metrics_url: Option<String>,
}

/// Starts the app with default settings.
pub async fn spawn_app() -> TestApp {
    TestApp::builder().spawn().await
}

/// How a test's app differs from the default one. Each setting has its own
/// method, so a misspelt one does not compile; each sets the variable the
/// `starpunk` binary reads too, so [`TestApp::cli`] runs with the same
/// settings.
#[must_use]
pub struct TestAppBuilder {
    vars: HashMap<String, String>,
    configure: Vec<SettingsChange>,
    clock: Option<Arc<ManualClock>>,
    /// The fediverse key pair the site starts with (none: it makes one).
    activitypub_key: Option<KeyPairPem>,
}

type SettingsChange = Box<dyn FnOnce(&mut Settings)>;

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            vars: HashMap::from([
                ("SITE_NAME".into(), "Test Site".into()),
                ("SITE_AUTHOR".into(), "Ada Author".into()),
                ("ADMIN_ME".into(), "https://ada.example/".into()),
                ("WORKERS".into(), "1".into()),
            ]),
            configure: Vec::new(),
            clock: None,
            activitypub_key: None,
        }
    }
}

impl TestAppBuilder {
    fn var(mut self, name: &str, value: impl ToString) -> TestAppBuilder {
        self.vars.insert(name.to_owned(), value.to_string());
        self
    }

    /// The site's public address (the default is the test server's own).
    pub fn site_url(self, url: &str) -> TestAppBuilder {
        self.var("SITE_URL", url)
    }

    pub fn site_name(self, name: &str) -> TestAppBuilder {
        self.var("SITE_NAME", name)
    }

    pub fn admin_me(self, me: &str) -> TestAppBuilder {
        self.var("ADMIN_ME", me)
    }

    pub fn indielogin_url(self, url: &str) -> TestAppBuilder {
        self.var("INDIELOGIN_URL", url)
    }

    /// Another app's data folder (the default is a fresh one).
    pub fn data_path(self, path: &str) -> TestAppBuilder {
        self.var("DATA_PATH", path)
    }

    pub fn feed_max_items(self, items: u32) -> TestAppBuilder {
        self.var("FEED_MAX_ITEMS", items)
    }

    pub fn feed_cache_seconds(self, seconds: u32) -> TestAppBuilder {
        self.var("FEED_CACHE_SECONDS", seconds)
    }

    pub fn media_max_bytes(self, bytes: u64) -> TestAppBuilder {
        self.var("MEDIA_MAX_BYTES", bytes)
    }

    pub fn websub_hub(self, url: &str) -> TestAppBuilder {
        self.var("WEBSUB_HUB", url)
    }

    /// Lets requests to other sites reach loopback addresses, where the
    /// tests' fake sites listen.
    pub fn allow_private_addresses(self) -> TestAppBuilder {
        self.var("ALLOW_PRIVATE_ADDRESSES", "true")
    }

    /// Whether received Webmentions wait for the owner (the default).
    pub fn moderation(self, on: bool) -> TestAppBuilder {
        self.var("WEBMENTION_MODERATION", on)
    }

    /// The site as the fediverse actor `username`, with the test key pair
    /// in `tests/keys/site.pem` (so no test waits for a key to be made).
    pub fn activitypub(mut self, username: &str) -> TestAppBuilder {
        self.activitypub_key = Some(KeyPairPem {
            private: PrivateKeyPem::new(include_str!("../keys/site.pem").into()),
            public: include_str!("../keys/site.pub.pem").into(),
        });
        self.var("ACTIVITYPUB_USERNAME", username)
    }

    /// With [`TestAppBuilder::activitypub`]: no key pair given, so the
    /// site makes its own on its first start.
    pub fn activitypub_makes_its_key(mut self) -> TestAppBuilder {
        self.activitypub_key = None;
        self
    }

    pub fn activitypub_also_known_as(self, actors: &str) -> TestAppBuilder {
        self.var("ACTIVITYPUB_ALSO_KNOWN_AS", actors)
    }

    /// For settings no variable sets (limits tests lower, loopback
    /// addresses fake sites listen on).
    pub fn configure(mut self, change: impl FnOnce(&mut Settings) + 'static) -> TestAppBuilder {
        self.configure.push(Box::new(change));
        self
    }

    /// Metrics on a listener of their own, on a free loopback port.
    pub fn metrics(self) -> TestAppBuilder {
        self.configure(|s| s.metrics_addr = Some(([127, 0, 0, 1], 0).into()))
    }

    /// A clock that stands at `at` until [`TestApp::set_time`] moves it
    /// (the system's clock by default).
    pub fn time(mut self, at: DateTime<Utc>) -> TestAppBuilder {
        self.clock = Some(ManualClock::starting_at(at));
        self
    }

    pub async fn spawn(self) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let port = listener.local_addr().unwrap().port();
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATA_PATH".into(), data_dir.path().display().to_string()),
            ("HOST".into(), "127.0.0.1".into()),
            ("PORT".into(), port.to_string()),
            ("SITE_URL".into(), format!("http://127.0.0.1:{port}/")),
        ]);
        vars.extend(self.vars);
        let mut settings = settings_from(&vars);
        // Fake apps listen on loopback; tests of the refusal configure less.
        settings.app_pages_private_allowed = vec![
            std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::Ipv6Addr::LOCALHOST.into(),
        ];
        for change in self.configure {
            change(&mut settings);
        }
        let clock: SharedClock = match &self.clock {
            Some(manual) => manual.clone(),
            None => SystemClock::shared(),
        };
        let store = open_store(&settings, clock).await.expect("open store");
        if let Some(key) = self.activitypub_key {
            store.keep_activitypub_key(key).await.expect("keep the key");
        }
        let app = Application::with_listener(settings, store, listener)
            .await
            .expect("build app");
        let state = app.state();
        let metrics_url = app
            .metrics_address()
            .map(|address| format!("http://{address}/metrics"));
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
            manual_clock: self.clock,
            metrics_url,
        }
    }
}

pub fn settings_from(vars: &HashMap<String, String>) -> Settings {
    Settings::from_lookup(|name| Ok(vars.get(name).cloned())).expect("valid test settings")
}

impl TestApp {
    /// Sets the app's clock (started with [`TestAppBuilder::time`]).
    pub fn set_time(&self, at: DateTime<Utc>) {
        self.manual_clock
            .as_ref()
            .expect("the app was built with a clock of its own: TestApp::builder().time(…)")
            .set(at);
    }

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
            .create(NewNote {
                slug: slug.map(|s| Slug::parse(s).unwrap()),
                published,
                ..NewNote::new(NoteBody::parse(text).unwrap())
            })
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

/// A loopback port where every connection is refused, kept from anyone else
/// while the value lives: its socket is bound but never listens. (A port
/// bound and released may be taken by another test before it is used, and
/// a listener that never accepts still completes handshakes.)
pub struct RefusingPort(tokio::net::TcpSocket);

impl RefusingPort {
    pub fn bind() -> RefusingPort {
        // Without SO_REUSEADDR: a server setting it could share the port
        // with a socket that sets it too.
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind port 0");
        RefusingPort(socket)
    }

    pub fn addr(&self) -> SocketAddr {
        self.0.local_addr().expect("bound address")
    }

    /// `http://127.0.0.1:port` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr())
    }
}

#[test]
fn a_refusing_port_refuses_connections_and_cannot_be_taken() {
    let port = RefusingPort::bind();
    let refused = std::net::TcpStream::connect(port.addr()).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    // std sets SO_REUSEADDR, as servers do; the port is still not theirs.
    let taken = TcpListener::bind(port.addr()).unwrap_err();
    assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);
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

/// A server process, killed if a test fails before it stops by itself.
pub struct Server(pub std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` (the server) with `listener` as its fd 3 and
/// `LISTEN_FDS=1`, as systemd socket activation does: the port was bound by
/// the test and is never released for someone else to take.
pub fn spawn_with_socket(
    command: &mut std::process::Command,
    listener: &std::net::TcpListener,
) -> Server {
    use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    let fd = listener.as_raw_fd();
    command.env("LISTEN_FDS", "1");
    // SAFETY: between fork and exec the hook only calls dup2 or fcntl, both
    // async-signal-safe, and allocates nothing. The OwnedFd for fd 3 is
    // never dropped, so nothing is closed behind anyone's back.
    unsafe {
        command.pre_exec(move || {
            let listener = BorrowedFd::borrow_raw(fd);
            if fd == 3 {
                // dup2 onto itself would keep close-on-exec set.
                rustix::io::fcntl_setfd(listener, rustix::io::FdFlags::empty())?;
            } else {
                let mut target = std::mem::ManuallyDrop::new(OwnedFd::from_raw_fd(3));
                rustix::io::dup2(listener, &mut target)?;
            }
            Ok(())
        });
    }
    Server(command.spawn().expect("spawn starpunk serve"))
}

pub fn wait_until_healthy(vars: &HashMap<String, String>, port: u16) {
    let url = format!("http://127.0.0.1:{port}/health");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while cli_with(vars)
        .args(["healthcheck", "--url", &url])
        .output()
        .unwrap()
        .status
        .code()
        != Some(0)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "server did not become healthy"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
