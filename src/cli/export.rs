//! `starpunk export DIR`: every note as Markdown with front matter (and,
//! with `--json`, as mf2 JSON), and every stored image under `media/`
//! with its `media.json` listing, readable by `starpunk note import`.

use std::io::IsTerminal;
use std::path::PathBuf;

use serde_json::json;

use super::Failure;
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::domain::{NoteWithBody, source_properties};
use crate::startup::open_store;
use crate::store::{
    EXPORT_MEDIA_FOLDER, ExportDir, MEDIA_LISTING, MediaDir, Store, Written, export_stem,
    export_text, media_listing,
};

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
    let store = open_store(&settings, SystemClock::shared()).await?;
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
    let media = export_media(&store, &MediaDir::in_data(&settings.data_path), &out).await?;
    tally.written += media.tally.written;
    tally.unchanged += media.tally.unchanged;
    damaged.extend(media.damaged);
    progress.finish_and_clear();
    eprintln!(
        "exported {exported} notes ({deleted} of them deleted) and {} media files to {}: {} files written, {} unchanged",
        media.exported,
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
        "starpunk: {} file(s) not exported because they are damaged; `starpunk check` says more",
        damaged.len()
    );
    Err(Failure::Problems)
}

/// What exporting the media did.
struct MediaExport {
    exported: usize,
    tally: Tally,
    damaged: Vec<String>,
}

/// Writes every stored image under `media/` at its own path, and
/// `media.json` listing the rows whose files were all written. A damaged
/// file is reported and left out, as a damaged note is.
async fn export_media(
    store: &Store,
    dir: &MediaDir,
    out: &ExportDir,
) -> Result<MediaExport, Failure> {
    let mut done = MediaExport {
        exported: 0,
        tally: Tally::default(),
        damaged: Vec::new(),
    };
    let mut listed = Vec::new();
    'rows: for record in store.all_media().await? {
        let mut files = Vec::new();
        for file in record.files() {
            let bytes = match dir.read_file(file.path.as_str()) {
                Ok(bytes) => bytes,
                Err(e) => {
                    done.damaged.push(format!("media/{}: {e}", file.path));
                    continue 'rows;
                }
            };
            if file.sha256 != crate::domain::content_hash(&bytes) {
                done.damaged.push(format!(
                    "media/{}: does not match its recorded SHA-256",
                    file.path
                ));
                continue 'rows;
            }
            files.push((file.path, bytes));
        }
        for (path, bytes) in files {
            let written = out.write(&format!("{EXPORT_MEDIA_FOLDER}/{path}"), &bytes)?;
            done.tally.count(written);
        }
        listed.push(record);
        done.exported += 1;
    }
    let written = out.write(MEDIA_LISTING, media_listing(&listed).as_bytes())?;
    done.tally.count(written);
    Ok(done)
}
