//! `starpunk export DIR`: every note as Markdown with front matter (and,
//! with `--json`, as mf2 JSON), readable by `starpunk note import`.

use std::io::IsTerminal;
use std::path::PathBuf;

use serde_json::json;

use super::Failure;
use crate::config::Settings;
use crate::domain::{NoteWithBody, source_properties};
use crate::startup::open_store;
use crate::store::{ExportDir, Written, export_stem, export_text};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The folder to write into (created if missing). Exporting into an
    /// earlier export writes only what changed and removes nothing.
    dir: PathBuf,
    /// Also write each note as microformats2 JSON, `<slug>.json` beside
    /// its `<slug>.md`, as Micropub's `q=source` answers.
    #[arg(long)]
    json: bool,
}

/// What an export wrote.
#[derive(Debug, Default)]
struct Tally {
    written: usize,
    unchanged: usize,
}

impl Tally {
    fn count(&mut self, written: Written) {
        match written {
            Written::Created | Written::Replaced => self.written += 1,
            Written::Unchanged => self.unchanged += 1,
        }
    }
}

pub async fn export(args: ExportArgs, settings: Settings) -> Result<(), Failure> {
    let store = open_store(&settings).await?;
    let notes = store.list(true, true).await?;
    let out = ExportDir::open(&args.dir)?;
    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(notes.len() as u64).with_style(
            indicatif::ProgressStyle::with_template(
                "exporting [{bar:40}] {pos}/{len} ({eta} left)",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };

    let (mut tally, mut exported, mut deleted) = (Tally::default(), 0, 0);
    let mut damaged = Vec::new();
    for note in notes {
        progress.inc(1);
        // A damaged file is reported and the rest still exported: an export
        // is most wanted exactly when something has gone wrong.
        let body = match store.read_body(&note).await {
            Ok(body) => body,
            Err(e) => {
                damaged.push(e.to_string());
                continue;
            }
        };
        deleted += usize::from(note.deleted_at.is_some());
        let stem = export_stem(&note);
        let markdown = export_text(&note, &body);
        tally.count(out.write(&format!("{stem}.md"), markdown.as_bytes())?);
        if args.json {
            let entry = NoteWithBody { note, body };
            let mf2 = json!({
                "type": ["h-entry"],
                "properties": source_properties(&settings.site.url, &entry),
            });
            let text = serde_json::to_string_pretty(&mf2)? + "\n";
            tally.count(out.write(&format!("{stem}.json"), text.as_bytes())?);
        }
        exported += 1;
    }
    progress.finish_and_clear();
    eprintln!(
        "exported {exported} notes ({deleted} of them deleted) to {}: {} files written, {} unchanged",
        out.root().display(),
        tally.written,
        tally.unchanged
    );
    if damaged.is_empty() {
        return Ok(());
    }
    for problem in &damaged {
        eprintln!("{problem}");
    }
    eprintln!(
        "starpunk: {} note(s) not exported because their files are damaged; `starpunk check` says more",
        damaged.len()
    );
    Err(Failure::Problems)
}
