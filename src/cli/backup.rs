//! `starpunk backup` and `starpunk restore`: an archive of the whole site,
//! made while it runs, checked before it is trusted.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use super::Failure;
use crate::config::Settings;
use crate::store::backup::{self, Destination, Manifest, Progress, Sources};
use crate::store::{MediaDir, NotesDir};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Check an archive instead of making one: its manifest, every
    /// member's SHA-256, that its database opens and that `starpunk check`
    /// passes on it. Restores nothing.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["output", "keep"])]
    verify: Option<PathBuf>,
    /// A folder for the archive (named starpunk-backup-<UTC time>.tar.gz),
    /// or the archive's file name [default: the current folder].
    #[arg(long, short, value_name = "FILE_OR_FOLDER")]
    output: Option<PathBuf>,
    /// Then remove StarPunk's older archives in the output folder, keeping
    /// the newest N (this one included).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    keep: Option<u32>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive, as made by `starpunk backup`.
    file: PathBuf,
    /// Replace the notes already in the data folder.
    #[arg(long)]
    force: bool,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    json: bool,
}

impl BackupArgs {
    /// The archive to verify, if this is `--verify` (needs no settings).
    pub fn verifying(&self) -> Option<(&Path, bool)> {
        self.verify.as_deref().map(|file| (file, self.json))
    }
}

pub async fn backup(args: BackupArgs, settings: Settings) -> Result<(), Failure> {
    let destination = Destination::from_output(args.output.as_deref());
    let (progress, bar) = progress_bar(args.json, "backing up");
    let summary = backup::create(
        &sources(&settings),
        &destination,
        chrono::Utc::now(),
        progress,
    )
    .await;
    bar.finish_and_clear();
    let summary = summary?;
    let pruned = match args.keep {
        Some(keep) => backup::prune(&destination.folder(), keep as usize)?,
        None => Vec::new(),
    };
    let manifest = &summary.manifest;
    if args.json {
        let summary = json!({
            "archive": summary.archive,
            "bytes": summary.bytes,
            "attempts": summary.attempts,
            "created_at": manifest.created_at,
            "starpunk_version": manifest.starpunk_version,
            "schema_version": manifest.schema_version,
            "counts": manifest.counts,
            "members": manifest.members.len() + 1,
            "pruned": pruned,
        });
        println!("{summary}");
        return Ok(());
    }
    println!(
        "backup written: {} ({}, {})",
        summary.archive.display(),
        describe(manifest),
        size(summary.bytes)
    );
    for path in pruned {
        println!("removed older backup: {}", path.display());
    }
    Ok(())
}

pub async fn verify(archive: &Path, json: bool) -> Result<(), Failure> {
    let (progress, bar) = progress_bar(json, "verifying");
    let verified = backup::verify(archive, progress).await;
    bar.finish_and_clear();
    let verified = verified?;
    let manifest = &verified.manifest;
    if json {
        let summary = json!({
            "archive": archive,
            "ok": true,
            "created_at": manifest.created_at,
            "starpunk_version": manifest.starpunk_version,
            "schema_version": manifest.schema_version,
            "counts": manifest.counts,
            "members": manifest.members.len() + 1,
        });
        println!("{summary}");
        return Ok(());
    }
    println!(
        "ok: {} is complete and intact ({}, made {} by StarPunk {})",
        archive.display(),
        describe(manifest),
        manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
        manifest.starpunk_version
    );
    Ok(())
}

pub async fn restore(args: RestoreArgs, settings: Settings) -> Result<(), Failure> {
    let (progress, bar) = progress_bar(args.json, "restoring");
    let restored = backup::restore(&args.file, &sources(&settings), args.force, progress).await;
    bar.finish_and_clear();
    let restored = restored?;
    let manifest = &restored.manifest;
    if args.json {
        let summary = json!({
            "archive": args.file,
            "notes": restored.notes,
            "created_at": manifest.created_at,
            "schema_version": manifest.schema_version,
            "migrated_from": restored.migrated_from,
            "counts": manifest.counts,
        });
        println!("{summary}");
        return Ok(());
    }
    if let Some(schema) = restored.migrated_from {
        println!("migrated the archive's database from schema {schema}");
    }
    println!(
        "restored {} into {} ({}, backed up {}); `starpunk check` passes",
        args.file.display(),
        settings.data_path.display(),
        describe(manifest),
        manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
    );
    Ok(())
}

/// Where the settings put the data.
fn sources(settings: &Settings) -> Sources {
    Sources {
        database: settings.database_path.clone(),
        notes: NotesDir::new(&settings.notes_path),
        media: MediaDir::in_data(&settings.data_path),
    }
}

fn describe(manifest: &Manifest) -> String {
    let counts = manifest.counts;
    format!(
        "{} notes: published {}, drafts {}, deleted {}; {} media files",
        counts.notes, counts.published, counts.drafts, counts.deleted, counts.media
    )
}

fn size(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// A progress bar on a terminal; nothing otherwise, or with `--json`.
fn progress_bar(json: bool, action: &'static str) -> (Option<Progress>, indicatif::ProgressBar) {
    if json || !std::io::stderr().is_terminal() {
        return (None, indicatif::ProgressBar::hidden());
    }
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg:10} [{bar:40}] {pos}/{len} files ({eta} left)",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_message(action);
    let shown = bar.clone();
    let progress: Progress = Arc::new(move |done, total| {
        shown.set_length(total);
        shown.set_position(done);
    });
    (Some(progress), bar)
}
