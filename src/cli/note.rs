//! `starpunk note …`: publish and manage notes from the command line. Works
//! while the server runs on the same data; the server notices within a
//! second.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use serde::Serialize;

use super::{Failure, read_input};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::domain::{NewNote, Note, NoteBody, NoteEdit, Slug, Tag, Visibility};
use crate::render::markdown;
use crate::startup::open_store_with;
use crate::store::{MediaDir, PageCache, Store, StoreError};

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
        /// Publication date, RFC 3339 (e.g. 2026-11-23T10:00:00Z). A date
        /// still to come schedules the note: it appears then.
        #[arg(long, value_name = "RFC3339")]
        published_at: Option<String>,
        /// Show it at its permalink only: not on the home page, in the
        /// feeds, tags, search or the sitemap.
        #[arg(long)]
        unlisted: bool,
        /// A tag; repeat for more (`--tag rust --tag "web dev"`).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
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
    /// Print a note's Markdown text (with --json: its text and metadata,
    /// including the content_hash that `note edit --expect-hash` takes).
    Show {
        slug: String,
        /// Print JSON instead of the text.
        #[arg(long)]
        json: bool,
    },
    /// Replace a note's text with FILE (or standard input for `-`).
    Edit {
        slug: String,
        file: PathBuf,
        /// Refuse the edit if the note changed since this version was read
        /// (its content_hash, as printed by `note show --json` or `note
        /// list --json`).
        #[arg(long, value_name = "SHA256")]
        expect_hash: Option<String>,
        /// Replace the note's tags with these; repeat for more. Without
        /// it the tags stay as they are.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
    /// Add a tag to a note, or remove one.
    Tag {
        slug: String,
        #[arg(value_enum)]
        change: TagChange,
        tag: String,
    },
    /// Publish a draft (at a later date with --at: scheduled till then).
    Publish {
        slug: String,
        /// Publication date, RFC 3339; a date still to come schedules it.
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
    },
    /// Show a note to everyone, or at its permalink only.
    Visibility {
        slug: String,
        #[arg(value_enum)]
        visibility: VisibilityArg,
    },
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
    /// published, created or date, draft, tags, and the other keys
    /// `starpunk export` writes).
    Import { dir: PathBuf },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum VisibilityArg {
    /// On the home page, in the feeds, tags, search and the sitemap.
    Public,
    /// At its permalink only.
    Unlisted,
}

impl From<VisibilityArg> for Visibility {
    fn from(arg: VisibilityArg) -> Visibility {
        match arg {
            VisibilityArg::Public => Visibility::Public,
            VisibilityArg::Unlisted => Visibility::Unlisted,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TagChange {
    Add,
    Remove,
}

pub async fn run(command: NoteCommand, settings: Settings) -> Result<(), Failure> {
    let cache = match command {
        NoteCommand::Import { .. } => PageCache::Bulk,
        _ => PageCache::Small,
    };
    let store = open_store_with(&settings, SystemClock::shared(), cache).await?;
    match command {
        NoteCommand::New {
            draft,
            slug,
            published_at,
            unlisted,
            tags,
            file,
        } => {
            let slug = slug.as_deref().map(Slug::parse).transpose()?;
            let published_at = published_at.as_deref().map(parse_time).transpose()?;
            let tags = Tag::parse_list(&tags)?;
            let body = NoteBody::parse(read_input(file.as_ref())?)?;
            let note = store
                .create(NewNote {
                    slug,
                    published: !draft,
                    published_at,
                    visibility: if unlisted {
                        Visibility::Unlisted
                    } else {
                        Visibility::Public
                    },
                    tags,
                    ..NewNote::new(body)
                })
                .await?;
            if note.is_scheduled_at(store.now()) {
                eprintln!("scheduled: it appears at {}", note.display_date());
            }
            println!("{}", permalink(&settings, &note));
        }
        NoteCommand::List {
            json,
            drafts,
            deleted,
        } => list(&store, &settings, json, drafts, deleted).await?,
        NoteCommand::Show { slug, json } => show(&store, &settings, &slug, json).await?,
        NoteCommand::Edit {
            slug,
            file,
            expect_hash,
            tags,
        } => {
            let tags = (!tags.is_empty())
                .then(|| Tag::parse_list(&tags))
                .transpose()?;
            let body = NoteBody::parse(read_input(Some(&file))?)?;
            // Without --expect-hash the text is replaced whatever it is now.
            let edit = NoteEdit {
                based_on: expect_hash,
                body: Some(body),
                tags,
                ..NoteEdit::default()
            };
            let note = store.change(&slug, edit).await?;
            println!("{}", permalink(&settings, &note));
        }
        NoteCommand::Tag { slug, change, tag } => {
            let tag = Tag::parse(&tag)?;
            let note = store
                .change_with(&slug, |note| {
                    let mut tags = note.tags.clone();
                    match change {
                        TagChange::Add if !tags.iter().any(|t| t.key() == tag.key()) => {
                            tags.push(tag)
                        }
                        TagChange::Add => {}
                        TagChange::Remove => tags.retain(|t| t.key() != tag.key()),
                    }
                    let names: Vec<&str> = tags.iter().map(Tag::name).collect();
                    Ok::<_, Failure>(NoteEdit::tags(Tag::parse_list(&names)?))
                })
                .await?;
            let names: Vec<&str> = note.tags.iter().map(Tag::name).collect();
            eprintln!(
                "{slug}: tags {}",
                if names.is_empty() {
                    "(none)".to_owned()
                } else {
                    names.join(", ")
                }
            );
        }
        NoteCommand::Publish { slug, at } => {
            let edit = NoteEdit {
                published_at: at.as_deref().map(parse_time).transpose()?,
                ..NoteEdit::publish(true)
            };
            let note = store.change(&slug, edit).await?;
            if note.is_scheduled_at(store.now()) {
                eprintln!("{slug} is scheduled: it appears at {}", note.display_date());
            }
            println!("{}", permalink(&settings, &note));
        }
        NoteCommand::Visibility { slug, visibility } => {
            let edit = NoteEdit {
                visibility: Some(visibility.into()),
                ..NoteEdit::default()
            };
            let note = store.change(&slug, edit).await?;
            eprintln!("{slug} is {}", note.visibility.as_str());
        }
        NoteCommand::Unpublish { slug } => {
            store.change(&slug, NoteEdit::publish(false)).await?;
            eprintln!("{slug} is now a draft");
        }
        NoteCommand::Delete { slug, hard } => {
            if hard {
                store.hard_delete(&slug).await?;
                eprintln!("{slug} deleted, with its file");
            } else {
                store.change(&slug, NoteEdit::delete()).await?;
                eprintln!("{slug} deleted (its file is kept; --hard removes it)");
            }
        }
        NoteCommand::Import { dir } => {
            let media = MediaDir::in_data(&settings.data_path);
            super::import::import(&store, &media, &dir).await?;
        }
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
                "{text:?} is not an RFC 3339 time such as 2026-11-23T10:00:00Z ({e})"
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
    content_hash: String,
    tags: Vec<String>,
}

#[derive(Serialize)]
struct ShownNote {
    #[serde(flatten)]
    note: ListedNote,
    text: String,
}

fn listed(settings: &Settings, note: Note, title: String, now: DateTime<Utc>) -> ListedNote {
    ListedNote {
        url: permalink(settings, &note),
        slug: note.slug.to_string(),
        title,
        status: note.state_at(now).as_str(),
        created_at: note.created_at,
        updated_at: note.updated_at,
        published_at: note.published_at,
        deleted_at: note.deleted_at,
        file_path: note.file_path,
        content_hash: note.content_hash,
        tags: note.tags.iter().map(|t| t.name().to_owned()).collect(),
    }
}

async fn show(store: &Store, settings: &Settings, slug: &str, json: bool) -> Result<(), Failure> {
    let note = store
        .find(slug)
        .await?
        .ok_or_else(|| StoreError::NotFound(slug.to_owned()))?;
    let body = store.read_body(&note).await?;
    if json {
        let title = markdown::title(body.as_str(), &markdown::to_html(body.as_str()));
        let shown = ShownNote {
            note: listed(settings, note, title, store.now()),
            text: body.as_str().to_owned(),
        };
        println!("{}", serde_json::to_string_pretty(&shown)?);
    } else {
        print!("{}", body.as_str());
    }
    Ok(())
}

async fn list(
    store: &Store,
    settings: &Settings,
    json: bool,
    drafts: bool,
    deleted: bool,
) -> Result<(), Failure> {
    let notes = store.list(drafts, deleted).await?;
    let mut rows = Vec::with_capacity(notes.len());
    for note in notes {
        let title = match store.read_body(&note).await {
            Ok(body) => markdown::title(body.as_str(), &markdown::to_html(body.as_str())),
            Err(e) => format!("(unreadable: {e})"),
        };
        rows.push(listed(settings, note, title, store.now()));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    for note in &rows {
        let date = note
            .published_at
            .unwrap_or(note.created_at)
            .format("%Y-%m-%d %H:%M");
        println!(
            "{date}  {:<9}  {:<40}  {}",
            note.status, note.slug, note.title
        );
    }
    if rows.is_empty() {
        eprintln!("no notes yet");
    }
    Ok(())
}
