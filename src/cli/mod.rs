//! The `starpunk` command: serve the site, check its health, manage notes.

mod backup;
mod export;
mod import;
mod import_starpunk;
mod logging;
mod note;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::{self, ConfigError, Settings};
use crate::error::error_chain;
use crate::startup::{Application, open_store};
use crate::store::{MediaDir, UNKNOWN_MEDIA_MIN_AGE, UNUSED_MEDIA_GRACE};

#[derive(Debug, Parser)]
#[command(
    name = "starpunk",
    version,
    about = "A minimal, single-user IndieWeb site that publishes notes with a feed.",
    long_about = "A minimal, single-user IndieWeb site that publishes notes with a feed.\n\n\
        Settings come from environment variables, also read from a .env file in the \
        current folder (see .env.example). With no command, runs the site."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the site (the default). SIGTERM stops it after in-flight requests
    /// finish; SIGINT (Ctrl-C) stops it at once.
    Serve,
    /// Ask the running site whether it is healthy; exit 0 if so, 1 if not.
    Healthcheck {
        /// The health URL to ask [default: http://HOST:PORT/health]
        #[arg(long)]
        url: Option<String>,
    },
    /// Create or upgrade the database, then exit.
    Migrate,
    /// Print the version.
    Version,
    /// Verify every note's file and content hash, and look for unknown
    /// files and leftovers of interrupted writes. Exit 1 if a note is
    /// damaged or a file is unknown; leftovers alone are harmless.
    Check {
        /// Resolve leftovers of interrupted writes (never removes a file
        /// that belongs to no note; those are only reported).
        #[arg(long)]
        repair: bool,
    },
    /// Make an archive of the whole site (database and note files) while it
    /// runs, or check one with --verify.
    Backup(backup::BackupArgs),
    /// Replace the site's data with an archive made by `starpunk backup`.
    /// The server must be stopped first.
    Restore(backup::RestoreArgs),
    /// Write every note (drafts and deleted ones too) into DIR as Markdown
    /// with YAML front matter, `YYYY/MM/<slug>.md`, in the format `note
    /// import` reads.
    Export(export::ExportArgs),
    /// Move the notes of a StarPunk (Python) data folder in, keeping their
    /// slugs, dates and published state. Running it again adds nothing.
    ImportStarpunk(import_starpunk::ImportStarpunkArgs),
    /// Write, change and list notes.
    #[command(subcommand)]
    Note(note::NoteCommand),
    /// Make, list and revoke access tokens for scripts and apps.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Print a link that signs the owner in to the admin pages once, within
    /// 10 minutes: for when the IndieAuth service is down, and for local
    /// development.
    LoginLink,
}

/// Parses the command line and runs it. Errors are one line on stderr:
/// exit 2 for bad settings or usage, 1 for anything else.
pub fn run() -> ExitCode {
    // `--help`, `--version` and usage errors end here, before any setting
    // is read.
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);

    // Commands that use no settings run before `.env` is read, so that a
    // bad setting they do not use cannot stop them.
    match &command {
        Command::Version => {
            println!("starpunk {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Healthcheck { url: Some(url) } => {
            // Logs nothing worth a format: a bad LOG_FORMAT must not stop it.
            let _ = init_logging(&command);
            return healthcheck(url);
        }
        _ => {}
    }

    // `.env` first: logging reads RUST_LOG, which may be set there.
    if let Err(e) = config::load_dotenv() {
        return configuration_error(&e);
    }
    // A health check reads only HOST and PORT: nothing else may stop it.
    if let Err(e) = init_logging(&command)
        && !matches!(command, Command::Healthcheck { .. })
    {
        return configuration_error(&e);
    }

    // Checking an archive needs no site settings.
    if let Command::Backup(args) = &command
        && let Some((archive, json)) = args.verifying()
    {
        return finish(block_on(backup::verify(archive, json)));
    }

    if let Command::Healthcheck { url: None } = command {
        // Only HOST and PORT matter for asking the local server.
        return match config::local_health_url(config::read_var) {
            Ok(url) => healthcheck(&url),
            Err(e) => configuration_error(&e),
        };
    }

    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => return configuration_error(&e),
    };

    let outcome = match command {
        Command::Serve => serve(settings),
        Command::Healthcheck { .. } | Command::Version => {
            unreachable!("answered above, without settings")
        }
        Command::Migrate => block_on(async {
            let store = open_store(&settings, SystemClock::shared()).await?;
            let state = store.site_state().await?;
            println!(
                "database {} is up to date (revision {})",
                settings.database_path.display(),
                state.version.revision
            );
            Ok(())
        }),
        Command::Check { repair } => block_on(check(settings, repair)),
        Command::Backup(args) => block_on(backup::backup(args, settings)),
        Command::Restore(args) => block_on(backup::restore(args, settings)),
        Command::Export(args) => block_on(export::export(args, settings)),
        Command::ImportStarpunk(args) => block_on(import_starpunk::import_starpunk(args, settings)),
        Command::Note(command) => block_on(note::run(command, settings)),
        Command::Token(command) => block_on(token::run(command, settings)),
        Command::LoginLink => block_on(login_link(settings)),
    };
    finish(outcome)
}

/// The exit code for a command's outcome, its error printed on stderr.
fn finish(outcome: Result<(), Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Problems) => ExitCode::from(1),
        Err(Failure::Error(e)) => {
            eprintln!("starpunk: {}", error_chain(e.as_ref()));
            ExitCode::from(1)
        }
    }
}

async fn login_link(settings: Settings) -> Result<(), Failure> {
    let store = open_store(&settings, SystemClock::shared()).await?;
    let token = crate::random::random_token();
    let expires_at = store
        .create_login_link(&crate::web::session::token_hash(&token), store.now())
        .await?;
    println!("{}", settings.site.url.join(&format!("auth/link/{token}")));
    eprintln!(
        "This link signs you in once, until {} UTC. Open it in your browser.",
        expires_at.format("%H:%M")
    );
    Ok(())
}

fn configuration_error(e: &ConfigError) -> ExitCode {
    eprintln!("starpunk: configuration error: {e}");
    ExitCode::from(2)
}

/// Why a command failed.
pub enum Failure {
    /// Already explained on stderr.
    Problems,
    Error(Box<dyn std::error::Error + Send + Sync>),
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure::Error(Box::new(e))
    }
}

impl Failure {
    pub fn message(text: impl Into<String>) -> Failure {
        Failure::Error(text.into().into())
    }
}

fn init_logging(command: &Command) -> Result<(), ConfigError> {
    // The server logs requests; other commands stay quiet unless asked.
    let default = if matches!(command, Command::Serve) {
        "info"
    } else {
        "warn"
    };
    logging::init(default)
}

fn block_on<F: std::future::Future<Output = Result<(), Failure>>>(work: F) -> Result<(), Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(work)
}

fn serve(settings: Settings) -> Result<(), Failure> {
    actix_web::rt::System::new().block_on(async move {
        let site = settings.site.url.clone();
        // Through `error_chain` like every other failure: anyhow's `{:#}`
        // would print a cause twice when an error's message already has it.
        let app = Application::build(settings)
            .await
            .map_err(|e| Failure::Error(e.into()))?;
        log::info!(
            "StarPunk {} serving {site} on port {}",
            env!("CARGO_PKG_VERSION"),
            app.port()
        );
        app.run_until_stopped().await?;
        log::info!("stopped");
        Ok(())
    })
}

fn healthcheck(url: &str) -> ExitCode {
    let asked = async {
        // Straight to the server: a proxy from the environment (HTTP_PROXY)
        // is for the site's own requests to other sites.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .no_proxy()
            .build()?;
        let response = client.get(url).send().await?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        Ok::<_, reqwest::Error>((status, body))
    };
    let answer = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(asked),
        Err(e) => {
            eprintln!("unhealthy: cannot start the check: {e}");
            return ExitCode::from(1);
        }
    };
    match answer {
        Ok((200, _)) => {
            println!("healthy: {url}");
            ExitCode::SUCCESS
        }
        Ok((status, body)) => {
            eprintln!("unhealthy: {url} answered {status}: {}", body.trim());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("unhealthy: cannot reach {url}: {}", error_chain(&e));
            ExitCode::from(1)
        }
    }
}

async fn check(settings: Settings, repair: bool) -> Result<(), Failure> {
    let store = open_store(&settings, SystemClock::shared()).await?;
    let media = MediaDir::in_data(&settings.data_path);
    if repair {
        for done in store.repair().await? {
            println!("repaired: {done}");
        }
        if let Some(indexed) = store.ensure_search_index().await? {
            println!("repaired: search index rebuilt ({indexed} notes)");
        }
        let cutoff = store.now() - UNUSED_MEDIA_GRACE;
        for record in store.remove_unused_media(&media, cutoff).await? {
            println!(
                "repaired: removed the upload {}: no note used it",
                record.path
            );
        }
        for path in store
            .remove_unknown_media_files(&media, UNKNOWN_MEDIA_MIN_AGE)
            .await?
        {
            println!("repaired: removed {path} from the media folder: it belonged to no upload");
        }
    }
    let report = store.check().await?;
    let media_report = store.check_media(&media).await?;
    for leftover in &report.leftovers {
        println!("leftover: {leftover}");
    }
    for problem in &report.problems {
        println!("{problem}");
    }
    for problem in &media_report.problems {
        println!("{problem}");
    }
    let (notes, uploads) = (report.notes, media_report.uploads);
    if !report.leftovers.is_empty() {
        eprintln!(
            "starpunk: {} leftover(s) of interrupted writes: harmless; `starpunk check --repair` \
             (or the running server, within 30 seconds) resolves them",
            report.leftovers.len()
        );
    }
    let problems = report.problems.len() + media_report.problems.len();
    if problems == 0 {
        println!(
            "ok: {notes} notes and {uploads} uploads, every file present and unchanged, \
             no unknown files, search index in step"
        );
        return Ok(());
    }
    eprintln!("starpunk: {problems} problem(s) found in {notes} notes and {uploads} uploads");
    Err(Failure::Problems)
}

/// Reads a note's text from a file, or from stdin for `-` or no file.
fn read_input(file: Option<&PathBuf>) -> Result<String, Failure> {
    use std::io::Read;
    match file {
        Some(path) if path.as_os_str() != "-" => std::fs::read_to_string(path)
            .map_err(|e| Failure::message(format!("cannot read {}: {e}", path.display()))),
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::message(format!("cannot read standard input: {e}")))?;
            Ok(text)
        }
    }
}
