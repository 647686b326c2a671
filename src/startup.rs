//! Building and running the server: storage opened and migrated, the
//! listener bound (port 0 allowed) or inherited from systemd, the change
//! watcher started, limits against hostile clients set.

use std::net::TcpListener;
use std::time::Duration;

use actix_http::HttpService;
use actix_service::{ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::{AppConfig, Server};
use actix_web::middleware::from_fn;
use actix_web::rt::net::TcpStream;
use actix_web::{App, web};

use crate::activitypub::Federation;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::maintenance;
use crate::store::backup::DataLock;
use crate::store::{
    DatabaseProbe, NotesDir, PageCache, Store, StoreError, connect, ensure_dir, migrate,
};
use crate::web::{
    AppState, SignInServices, TimedStream, error_pages, observe, routes, security_headers,
    time_heads, webmention_link,
};
use crate::websub::Publisher;

// Stopping. A container runtime sends SIGTERM, waits its stop timeout (10 s
// by default for Podman and Docker; `stop_grace_period` in compose.yaml) and
// then sends SIGKILL. The budget: in-flight requests get SHUTDOWN_GRACE,
// then closing the database (which checkpoints the WAL into the main file)
// gets at most DATABASE_CLOSE_LIMIT, so 8 s + 1 s ends before the 10 s are
// up, with a second to spare for the process to exit.

/// In-flight requests get this long to finish after SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// Closing the pool waits for connections still in use; past this, exit
/// anyway (SQLite recovers from the WAL at the next start).
const DATABASE_CLOSE_LIMIT: Duration = Duration::from_secs(1);

// Hostile or broken clients. The server may face the internet without a
// proxy; none of these values slows down a client that behaves.

/// The whole head of each request must arrive within this: a trickling
/// client (slowloris) cannot hold a connection for long. A real client
/// sends its head in one packet, so 3 s leaves room for a very slow
/// network. actix-http times a connection's first head (then answers 408);
/// [`TimedStream`] times the later ones, from their first byte (then the
/// connection is closed).
const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// An idle keep-alive connection is closed after this. Long enough for a
/// browser to ask for the stylesheet after the page, or for a proxy to reuse
/// the connection; short enough that idle connections do not pile up.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Time for a client to take its last bytes when the server closes.
const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Open connections per worker before the worker stops accepting (others
/// wait in the listen backlog). A connection may buffer up to 128 KiB of
/// request head, so 256 of them cap that at 32 MiB per worker, far inside
/// the container's memory limit, and far above what one person's site sees
/// at once. (actix-web's `max_connection_rate` limits TLS handshakes only;
/// StarPunk does not terminate TLS, so it has nothing to limit.)
const MAX_CONNECTIONS_PER_WORKER: usize = 256;

/// Opens the data folders and the database and applies migrations: what
/// every command that touches notes needs first.
pub async fn open_store(settings: &Settings, clock: SharedClock) -> Result<Store, StoreError> {
    open_store_with(settings, clock, PageCache::Small).await
}

/// [`open_store`] with the page cache a command needs: [`PageCache::Bulk`]
/// for the imports.
pub async fn open_store_with(
    settings: &Settings,
    clock: SharedClock,
    cache: PageCache,
) -> Result<Store, StoreError> {
    ensure_dir(&settings.data_path)?;
    ensure_dir(&settings.notes_path)?;
    let max_connections = u32::try_from(settings.workers.clamp(2, 16)).expect("small number");
    let pool = connect(&settings.database_path, max_connections, cache).await?;
    migrate(&pool, &settings.database_path).await?;
    Ok(Store::new(pool, NotesDir::new(&settings.notes_path), clock))
}

/// The running site.
pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics`' own listener (METRICS_ADDR), when set.
    metrics_server: Option<Server>,
    metrics_address: Option<std::net::SocketAddr>,
    state: web::Data<AppState>,
    /// Pings the WebSub hub, when one is set.
    websub: Option<Publisher>,
    /// Keeps `starpunk restore` from replacing the data while serving.
    _data_lock: DataLock,
}

impl Application {
    /// Listens on the socket systemd passed in (socket activation), if
    /// any, else binds `HOST:PORT`.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        // First, while the process has a single thread: taking the socket
        // removes LISTEN_FDS and LISTEN_PID from the environment.
        let listener = match inherited_listener()? {
            Some(listener) => listener,
            None => {
                let address = format!("{}:{}", settings.host, settings.port);
                TcpListener::bind(&address)
                    .map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?
            }
        };
        // Before the database is opened: a restore in progress finishes first.
        let _waited = DataLock::serving(&settings.database_path).await?;
        let store = open_store(&settings, SystemClock::shared()).await?;
        Application::with_listener(settings, store, listener).await
    }

    /// Builds on an already-bound listener (tests bind port 0).
    pub async fn with_listener(
        settings: Settings,
        store: Store,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let port = listener.local_addr()?.port();
        let data_lock = DataLock::serving(&settings.database_path).await?;
        let version = store.site_state().await?.version;
        maintenance::start_change_consumers(&store).await?;
        let workers = settings.workers;
        let metrics_listener = settings
            .metrics_addr
            .map(|address| {
                TcpListener::bind(address)
                    .map_err(|e| anyhow::anyhow!("cannot listen on METRICS_ADDR {address}: {e}"))
            })
            .transpose()?;
        let database_probe = DatabaseProbe::open(&settings.database_path).await?;
        let sign_in = SignInServices::new(&settings);
        let federation = Federation::start(&settings, &store).await?;
        let state = web::Data::new(
            AppState::new(settings, store, version, database_probe, sign_in)
                .with_federation(federation),
        );
        let websub = Publisher::from_settings(&state.settings, state.queue_metrics("websub"));

        let server = serve(listener, workers, state.clone())?;
        let metrics_address = metrics_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        let metrics_server = metrics_listener
            .map(|listener| serve_metrics(listener, state.clone()))
            .transpose()?;

        Ok(Application {
            port,
            server,
            metrics_server,
            metrics_address,
            state,
            websub,
            _data_lock: data_lock,
        })
    }

    /// Where `/metrics` listens, when it does.
    pub fn metrics_address(&self) -> Option<std::net::SocketAddr> {
        self.metrics_address
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until a signal: on SIGTERM, in-flight requests get
    /// [`SHUTDOWN_GRACE`] to finish (SIGINT and SIGQUIT stop at once). Then
    /// the database is closed, which checkpoints its WAL.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let background = maintenance::spawn(self.state.clone().into_inner(), self.websub);
        let metrics = self.metrics_server.map(|server| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let result = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(false).await;
        }
        background.iter().for_each(|task| task.abort());
        self.state.health.database.close().await;
        let pool = self.state.store.pool();
        if tokio::time::timeout(DATABASE_CLOSE_LIMIT, pool.close())
            .await
            .is_err()
        {
            log::warn!(
                "the database did not close within {DATABASE_CLOSE_LIMIT:?}; \
                 it will recover from its write-ahead log at the next start"
            );
        }
        result
    }
}

/// The HTTP/1 server on `listener`, assembled as actix-web's `HttpServer`
/// assembles it, except that each connection's socket is a [`TimedStream`]
/// (`HttpServer` offers no way to wrap it).
fn serve(
    listener: TcpListener,
    workers: usize,
    state: web::Data<AppState>,
) -> std::io::Result<Server> {
    let local_addr = listener.local_addr()?;
    let server = Server::build()
        .workers(workers)
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .max_concurrent_connections(MAX_CONNECTIONS_PER_WORKER)
        .listen("starpunk", listener, move || {
            let app = App::new()
                .app_data(state.clone())
                .wrap(error_pages())
                .wrap(security_headers())
                .wrap(webmention_link(&state.settings.site))
                .wrap(from_fn(observe))
                .wrap(from_fn(time_heads))
                .configure(routes);
            // The app's host and address settings are used only to build
            // URLs from routes, and StarPunk builds every URL from SITE_URL.
            let app = map_config(app, |_| AppConfig::default())
                .map_err(|e: actix_web::Error| e.error_response());
            let http = HttpService::build()
                .keep_alive(KEEP_ALIVE)
                .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
                .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
                .local_addr(local_addr)
                .on_connect_ext(|io: &TimedStream, data| {
                    data.insert(io.clock());
                })
                .h1(app);
            fn_service(move |io: TcpStream| async move {
                let peer_addr = io.peer_addr().ok();
                Ok((TimedStream::new(io, CLIENT_REQUEST_TIMEOUT), peer_addr))
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
}

/// `/metrics` alone, on its own listener: one worker, stopped with the
/// site's server (it installs no signal handlers of its own).
fn serve_metrics(listener: TcpListener, state: web::Data<AppState>) -> std::io::Result<Server> {
    Ok(actix_web::HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(crate::web::metrics::scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}

/// The first socket passed by systemd socket activation (`LISTEN_FDS`, and
/// `LISTEN_PID` if set), if there is one.
fn inherited_listener() -> anyhow::Result<Option<TcpListener>> {
    listenfd::ListenFd::from_env()
        .take_tcp_listener(0)
        .map_err(|e| anyhow::anyhow!("cannot use the socket passed in LISTEN_FDS: {e}"))
}
