//! The site every failure-injection case starts from, the triggers that
//! make one step fail, and a snapshot of everything a change could touch.

use std::collections::BTreeMap;
use std::path::Path;

use reqwest::header::AUTHORIZATION;
use reqwest::multipart::{Form, Part};
use sha2::{Digest, Sha256};
use sqlx::Row;
use starpunk::domain::{NewNote, NoteBody, NoteProperties, Photo, Slug, Tag};
use starpunk::store::{MediaDir, MediaRecord};

use crate::helpers::{TestApp, run_with_input};
use crate::media_support::{image_of, media_token};
use crate::owner::{Signed, texts};

pub const SEED_TEXT: &str = "Seed note about quokkas";

/// One step of a change: the table (or column) a trigger makes fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Notes,
    /// The `properties` column of `notes`.
    Properties,
    NoteTags,
    Tags,
    /// The full-text index (its content table).
    SearchIndex,
    NoteMedia,
    Media,
}

impl Step {
    /// The triggers that make any write of this step fail.
    fn triggers(self) -> Vec<String> {
        let on = |table: &str| {
            ["INSERT", "UPDATE", "DELETE"]
                .map(|event| format!("{event} ON {table}"))
                .to_vec()
        };
        let events = match self {
            Step::Notes => on("notes"),
            Step::Properties => vec!["UPDATE OF properties ON notes".to_owned()],
            Step::NoteTags => on("note_tags"),
            Step::Tags => on("tags"),
            Step::SearchIndex => on("notes_search_content"),
            Step::NoteMedia => on("note_media"),
            Step::Media => on("media"),
        };
        events
            .iter()
            .enumerate()
            .map(|(n, event)| {
                format!(
                    "CREATE TRIGGER injected_{n} BEFORE {event} \
                     BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                )
            })
            .collect()
    }
}

/// A site with a published note (tags, a photo of its own), a draft, and
/// an upload no note uses yet; a Micropub token and a signed-in owner.
pub struct Site {
    pub app: TestApp,
    pub token: String,
    owner: Signed,
    unused: MediaRecord,
}

impl Site {
    pub async fn seeded() -> Site {
        let app = TestApp::builder().spawn().await;
        let dir = MediaDir::in_data(app.data_path());
        let mut uploads = Vec::new();
        for width in [5, 7] {
            let image =
                starpunk::media::prepare(&image_of(image::ImageFormat::Png, width, 3)).unwrap();
            let now = app.store().now();
            uploads.push(app.store().save_media(&dir, image, now).await.unwrap());
        }
        let photo = app.url(&format!("/media/{}", uploads[0].path));
        app.store()
            .create(NewNote {
                slug: Some(Slug::parse("seed").unwrap()),
                tags: Tag::parse_list(&["Old", "Shared"]).unwrap(),
                properties: NoteProperties {
                    photos: vec![Photo {
                        url: photo,
                        alt: Some("A gradient".into()),
                    }],
                    ..NoteProperties::default()
                },
                ..NewNote::new(NoteBody::parse(SEED_TEXT).unwrap())
            })
            .await
            .unwrap();
        app.store()
            .create(NewNote {
                slug: Some(Slug::parse("waiting").unwrap()),
                published: false,
                tags: Tag::parse_list(&["Shared"]).unwrap(),
                ..NewNote::new(NoteBody::parse("A draft about wombats").unwrap())
            })
            .await
            .unwrap();
        app.changed().await;
        let token = media_token(&app, "create update delete media").await;
        let owner = app.sign_in().await;
        Site {
            app,
            token,
            owner,
            unused: uploads.pop().expect("two uploads"),
        }
    }

    pub fn unused_photo_url(&self) -> String {
        self.app.url(&format!("/media/{}", self.unused.path))
    }

    /// Markdown that shows the upload no note uses yet.
    pub fn text_with_photo(&self) -> String {
        format!(
            "New words about echidnas ![a photo](/media/{})",
            self.unused.path
        )
    }

    pub async fn inject(&self, step: Step) {
        for trigger in step.triggers() {
            sqlx::query(&trigger)
                .execute(self.app.store().pool())
                .await
                .unwrap();
        }
    }

    pub async fn lift(&self, step: Step) {
        for n in 0..step.triggers().len() {
            sqlx::query(&format!("DROP TRIGGER injected_{n}"))
                .execute(self.app.store().pool())
                .await
                .unwrap();
        }
    }

    /// Runs `starpunk ARGS` with `input`; whether it failed.
    pub fn cli_fails(&self, args: &[&str], input: &str) -> bool {
        let output = run_with_input(self.app.cli().args(args), input);
        !output.status.success()
    }

    /// Imports a folder of two notes (tags, a photo in the text).
    pub fn import_fails(&self) -> bool {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(
            folder.path().join("one.md"),
            format!("---\ntags: [Imported]\n---\n{}\n", self.text_with_photo()),
        )
        .unwrap();
        std::fs::write(folder.path().join("two.md"), "Second imported note\n").unwrap();
        let dir = folder.path().display().to_string();
        self.cli_fails(&["note", "import", &dir], "")
    }

    /// Saves the seed note from the editor: new text, new tags, a draft.
    pub async fn editor_fails(&self) -> bool {
        let note = self.app.store().find("seed").await.unwrap().unwrap();
        let response = self
            .app
            .owner_post(
                &self.owner,
                &format!("/admin/edit/{}", note.id),
                &[
                    ("content", &self.text_with_photo()),
                    ("tags", "Edited, Shared"),
                    ("based_on", &note.content_hash),
                    ("action", "save"),
                ],
            )
            .await;
        response.status() == 500
    }

    /// A new note from the editor with the unused upload as its photo.
    pub async fn editor_new_with_photo_fails(&self) -> bool {
        let fields = [
            ("content", "An editor note about echidnas"),
            ("tags", "Fresh, Shared"),
            ("published", "on"),
            ("photo_url", &self.unused_photo_url()),
            ("photo_alt", "An echidna"),
            ("action", "save"),
        ];
        let response = self
            .app
            .owner_multipart(&self.owner, "/admin/new", texts(&fields))
            .await;
        response.status() == 500
    }

    /// The seed note from the editor with its photos changed: the unused
    /// upload added before its own, described anew.
    pub async fn editor_photos_fail(&self) -> bool {
        let note = self.app.store().find("seed").await.unwrap().unwrap();
        let own = note.properties.photos[0].url.clone();
        let fields = [
            ("content", "Seed note, with a new first photo"),
            ("tags", "Edited"),
            ("published", "on"),
            ("based_on", &note.content_hash),
            ("photo_url", &self.unused_photo_url()),
            ("photo_alt", "An echidna"),
            ("photo_url", &own),
            ("photo_alt", "A gradient, second now"),
            ("action", "save"),
        ];
        let response = self
            .app
            .owner_multipart(
                &self.owner,
                &format!("/admin/edit/{}", note.id),
                texts(&fields),
            )
            .await;
        response.status() == 500
    }

    pub async fn micropub_fails(&self, body: serde_json::Value) -> bool {
        let response = self
            .app
            .client
            .post(self.app.url("/micropub"))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .json(&body)
            .send()
            .await
            .unwrap();
        response.status() == 500
    }

    /// A multipart post with a photo file.
    pub async fn multipart_fails(&self) -> bool {
        let form = Form::new()
            .text("h", "entry")
            .text("content", "With a photo sent along")
            .text("category", "Snapshots")
            .part(
                "photo",
                Part::bytes(image_of(image::ImageFormat::Png, 4, 4)).file_name("p.png"),
            );
        let response = self
            .app
            .client
            .post(self.app.url("/micropub"))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .multipart(form)
            .send()
            .await
            .unwrap();
        response.status() == 500
    }
}

/// Everything a change could touch: every row of the note tables and the
/// search index, every file of the notes and media folders, what a search
/// finds, and the feed as a server starting now renders it.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    rows: BTreeMap<&'static str, Vec<String>>,
    files: BTreeMap<String, String>,
    search: String,
    feed: String,
}

const TABLES: [(&str, &str); 7] = [
    ("notes", "SELECT * FROM notes ORDER BY id"),
    (
        "note_tags",
        "SELECT * FROM note_tags ORDER BY note_id, position",
    ),
    ("tags", "SELECT * FROM tags ORDER BY id"),
    (
        "note_media",
        "SELECT * FROM note_media ORDER BY note_id, media_id",
    ),
    ("media", "SELECT * FROM media ORDER BY id"),
    (
        "notes_search",
        "SELECT rowid, body, tags, indexed_hash FROM notes_search ORDER BY rowid",
    ),
    ("site_state", "SELECT * FROM site_state"),
];

impl Snapshot {
    pub async fn of(site: &Site) -> Snapshot {
        let pool = site.app.store().pool();
        let mut rows = BTreeMap::new();
        for (name, query) in TABLES {
            let found = sqlx::query(query).fetch_all(pool).await.unwrap();
            let shown = found
                .iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| format!("{:?}", row.try_get_raw(i).map(raw_text)))
                        .collect::<Vec<_>>()
                        .join(" | ")
                })
                .collect();
            rows.insert(name, shown);
        }
        let mut files = BTreeMap::new();
        hash_files(site.app.data_path(), site.app.data_path(), &mut files);
        // A server starting now renders from what is stored, not from a
        // cache of what was there before.
        let fresh = TestApp::builder()
            .data_path(&site.app.data_path().display().to_string())
            .site_url(&site.app.vars["SITE_URL"])
            .spawn()
            .await;
        Snapshot {
            rows,
            files,
            search: fresh.text("/search?q=quokkas").await,
            feed: fresh.text("/feed.xml").await,
        }
    }

    pub fn assert_same(&self, after: &Snapshot, case: &str) {
        for (table, rows) in &self.rows {
            assert_eq!(
                rows, &after.rows[table],
                "{case}: the {table} table changed"
            );
        }
        assert_eq!(self.files, after.files, "{case}: the files changed");
        assert_eq!(self.search, after.search, "{case}: search results changed");
        assert_eq!(self.feed, after.feed, "{case}: the feed changed");
    }
}

fn raw_text(value: sqlx::sqlite::SqliteValueRef<'_>) -> String {
    use sqlx::{Decode, Sqlite, ValueRef};
    if value.is_null() {
        return "NULL".into();
    }
    <String as Decode<Sqlite>>::decode(value).unwrap_or_else(|_| "(not text)".into())
}

/// Every file under `dir` but the database's own, by path, with its hash.
fn hash_files(root: &Path, dir: &Path, found: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.strip_prefix(root).unwrap().display().to_string();
        if name.starts_with("starpunk.db") {
            continue;
        }
        if path.is_dir() {
            hash_files(root, &path, found);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            found.insert(name, format!("{:x}", Sha256::digest(&bytes)));
        }
    }
}
