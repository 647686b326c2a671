//! `starpunk note …`: publish and manage notes from the command line. Works
//! while the server runs on the same data; the server notices within a
//! second.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::Subcommand;
use serde::Serialize;

use super::{Failure, read_input};
use crate::config::Settings;
use crate::domain::{Note, NoteBody, Slug};
use crate::render::markdown;
use crate::startup::open_store;
use crate::store::{ImportedNote, NewNote, Store, parse_import_file};

/// Notes written per transaction during an import.
const IMPORT_BATCH: usize = 1000;

#[derive(Debug, Subcommand)]
pub enum NoteCommand {
    /// Create a note from FILE (or standard input) and print its permalink.
    New {
        /// Save as a draft: not shown on the site or in the feed.
        #[arg(long)]
        draft: bool,
        /// Use this slug instead of one made from the text.
        #[arg(long)]
        slug: Option<String>,
        /// Publication date, RFC 3339 (e.g. 2026-11-23T10:00:00Z).
        #[arg(long, value_name = "RFC3339")]
        published_at: Option<String>,
        /// Markdown file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
    /// List notes, newest first.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Include drafts.
        #[arg(long)]
        drafts: bool,
        /// Include deleted notes.
        #[arg(long)]
        deleted: bool,
    },
    /// Replace a note's text with FILE (or standard input for `-`).
    Edit { slug: String, file: PathBuf },
    /// Publish a draft.
    Publish { slug: String },
    /// Turn a published note back into a draft.
    Unpublish { slug: String },
    /// Delete a note: hidden everywhere, file kept (or removed with --hard).
    Delete {
        slug: String,
        /// Remove the row and the file for good.
        #[arg(long)]
        hard: bool,
    },
    /// Import every .md file under DIR (YAML front matter optional: slug,
    /// published, created or date, draft).
    Import { dir: PathBuf },
}

pub async fn run(command: NoteCommand, settings: Settings) -> Result<(), Failure> {
    let store = open_store(&settings).await?;
    let now = Utc::now();
    match command {
        NoteCommand::New {
            draft,
            slug,
            published_at,
            file,
        } => {
            let slug = slug.as_deref().map(Slug::parse).transpose()?;
            let published_at = published_at.as_deref().map(parse_time).transpose()?;
            let body = NoteBody::parse(read_input(file.as_ref())?)?;
            let note = store
                .create(
                    NewNote {
                        body,
                        slug,
                        published: !draft,
                        published_at,
                        created_at: None,
                    },
                    now,
                )
                .await?;
            println!("{}", permalink(&settings, &note));
        }
        NoteCommand::List {
            json,
            drafts,
            deleted,
        } => list(&store, &settings, json, drafts, deleted).await?,
        NoteCommand::Edit { slug, file } => {
            let body = NoteBody::parse(read_input(Some(&file))?)?;
            let note = store.update_body(&slug, body, now).await?;
            println!("{}", permalink(&settings, &note));
        }
        NoteCommand::Publish { slug } => {
            let note = store.set_published(&slug, true, now).await?;
            println!("{}", permalink(&settings, &note));
        }
        NoteCommand::Unpublish { slug } => {
            store.set_published(&slug, false, now).await?;
            eprintln!("{slug} is now a draft");
        }
        NoteCommand::Delete { slug, hard } => {
            if hard {
                store.hard_delete(&slug).await?;
                eprintln!("{slug} deleted, with its file");
            } else {
                store.soft_delete(&slug, now).await?;
                eprintln!("{slug} deleted (its file is kept; --hard removes it)");
            }
        }
        NoteCommand::Import { dir } => import(&store, &dir, now).await?,
    }
    Ok(())
}

fn permalink(settings: &Settings, note: &Note) -> String {
    settings.site.url.join(&format!("note/{}", note.slug))
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, Failure> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            Failure::message(format!(
                "--published-at {text:?} is not an RFC 3339 time such as 2026-11-23T10:00:00Z ({e})"
            ))
        })
}

#[derive(Serialize)]
struct ListedNote {
    slug: String,
    url: String,
    title: String,
    status: &'static str,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    file_path: String,
}

async fn list(
    store: &Store,
    settings: &Settings,
    json: bool,
    drafts: bool,
    deleted: bool,
) -> Result<(), Failure> {
    let notes = store.list(drafts, deleted).await?;
    let mut listed = Vec::with_capacity(notes.len());
    for note in notes {
        let title = match store.read_body(&note).await {
            Ok(body) => markdown::title(body.as_str(), &markdown::to_html(body.as_str())),
            Err(e) => format!("(unreadable: {e})"),
        };
        listed.push(ListedNote {
            url: permalink(settings, &note),
            slug: note.slug.to_string(),
            title,
            status: if note.deleted_at.is_some() {
                "deleted"
            } else if note.published {
                "published"
            } else {
                "draft"
            },
            created_at: note.created_at,
            updated_at: note.updated_at,
            published_at: note.published_at,
            deleted_at: note.deleted_at,
            file_path: note.file_path,
        });
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(());
    }
    for note in &listed {
        let date = note
            .published_at
            .unwrap_or(note.created_at)
            .format("%Y-%m-%d %H:%M");
        println!(
            "{date}  {:<9}  {:<40}  {}",
            note.status, note.slug, note.title
        );
    }
    if listed.is_empty() {
        eprintln!("no notes yet");
    }
    Ok(())
}

/// Reads and checks every file first, so a bad file stops the import before
/// anything is written; then imports in batches.
async fn import(store: &Store, dir: &Path, now: DateTime<Utc>) -> Result<(), Failure> {
    let mut paths = Vec::new();
    collect_markdown(dir, &mut paths)
        .map_err(|e| Failure::message(format!("cannot read folder {}: {e}", dir.display())))?;
    paths.sort();
    if paths.is_empty() {
        return Err(Failure::message(format!(
            "no .md files in {}",
            dir.display()
        )));
    }

    let progress = indicatif::ProgressBar::new(paths.len() as u64 * 2).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg:9} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    progress.set_message("reading");
    let mut notes = Vec::with_capacity(paths.len());
    let mut problems = Vec::new();
    for path in &paths {
        match read_import(path) {
            Ok(note) => notes.push(note),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
        progress.inc(1);
    }
    if !problems.is_empty() {
        progress.abandon();
        for problem in &problems {
            eprintln!("{problem}");
        }
        eprintln!(
            "starpunk: nothing imported: {} file(s) cannot be read as notes",
            problems.len()
        );
        return Err(Failure::Problems);
    }

    progress.set_message("importing");
    let mut taken: HashSet<String> = store.all_slugs().await?;
    let total = notes.len();
    let mut imported = 0;
    let mut batch = Vec::with_capacity(IMPORT_BATCH);
    for note in notes {
        batch.push(note);
        if batch.len() == IMPORT_BATCH {
            imported += store
                .import_batch(std::mem::take(&mut batch), &mut taken, now)
                .await?;
            progress.set_position((total + imported) as u64);
        }
    }
    if !batch.is_empty() {
        imported += store.import_batch(batch, &mut taken, now).await?;
    }
    progress.finish_and_clear();
    eprintln!("imported {imported} notes from {}", dir.display());
    Ok(())
}

/// One file, with its modification time as the date when it has none.
fn read_import(path: &Path) -> Result<ImportedNote, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut note = parse_import_file(&text)?;
    if note.created_at.is_none() && note.published_at.is_none() {
        note.created_at = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .map(DateTime::<Utc>::from);
    }
    Ok(note)
}

fn collect_markdown(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_markdown(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
    Ok(())
}
