//! Building and running the server: storage opened and migrated, the
//! listener bound (port 0 allowed), the change watcher started.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};

use crate::config::Settings;
use crate::maintenance;
use crate::store::{NotesDir, Store, StoreError, connect, ensure_dir, migrate};
use crate::web::{AppState, access_log, error_pages, routes, security_headers};

/// In-flight requests get this long to finish after SIGTERM or SIGINT.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Opens the data folders and the database and applies migrations: what
/// every command that touches notes needs first.
pub async fn open_store(settings: &Settings) -> Result<Store, StoreError> {
    ensure_dir(&settings.data_path)?;
    ensure_dir(&settings.notes_path)?;
    let max_connections = u32::try_from(settings.workers.clamp(2, 16)).expect("small number");
    let pool = connect(&settings.database_path, max_connections).await?;
    migrate(&pool, &settings.database_path).await?;
    Ok(Store::new(pool, NotesDir::new(&settings.notes_path)))
}

/// The running site.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = open_store(&settings).await?;
        let address = format!("{}:{}", settings.host, settings.port);
        let listener = TcpListener::bind(&address)
            .map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?;
        Application::with_listener(settings, store, listener).await
    }

    /// Builds on an already-bound listener (tests bind port 0).
    pub async fn with_listener(
        settings: Settings,
        store: Store,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let port = listener.local_addr()?.port();
        let version = store.site_state().await?.version;
        let workers = settings.workers;
        let state = web::Data::new(AppState::new(settings, store, version));

        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .wrap(error_pages())
                .wrap(security_headers())
                .wrap(access_log())
                .configure(routes)
        })
        .workers(workers)
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .listen(listener)?
        .run();

        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let background = maintenance::spawn(self.state.clone().into_inner());
        let result = self.server.await;
        background.iter().for_each(|task| task.abort());
        result
    }
}
