//! The tags and uploaded images of StarPunk's later Python versions: its
//! `tags` and `note_tags` tables (migration 008) and its `media` and
//! `note_media` tables (migration 007), with the files under
//! `media/YYYY/MM/`. A folder from a version without them has none. Column
//! names are looked up rather than assumed where the versions differed
//! (a tag's `display_name`, an image's `caption` and display order).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use sqlx::{Connection, Row, SqliteConnection};

use super::StoreError;
use super::starpunk::{OldSite, stays_inside};

/// An image attached to an old note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldMedia {
    /// As the old `media.path` says: relative to its media folder.
    pub path: String,
    /// Its caption on that note: the alt text.
    pub alt: Option<String>,
    pub uploaded_at: Option<String>,
}

/// What the old site attached to its notes, by old note id.
#[derive(Debug, Clone, Default)]
pub struct OldExtras {
    pub tags: HashMap<i64, Vec<String>>,
    /// In the order the old site showed them.
    pub media: HashMap<i64, Vec<OldMedia>>,
    /// Images attached to no note.
    pub unattached: Vec<String>,
}

impl OldSite {
    /// The old tags and images, when its database has those tables.
    pub async fn extras(&self) -> Result<OldExtras, StoreError> {
        let mut conn = self.open().await?;
        let mut extras = OldExtras::default();
        let unreadable = |what: &str, source: sqlx::Error| StoreError::NotStarPunkData {
            what: format!("its {what}"),
            source,
        };
        if has_table(&mut conn, "tags").await? && has_table(&mut conn, "note_tags").await? {
            extras.tags = tags(&mut conn)
                .await
                .map_err(|e| unreadable("tags table", e))?;
        }
        if has_table(&mut conn, "media").await? {
            (extras.media, extras.unattached) = media(&mut conn)
                .await
                .map_err(|e| unreadable("media table", e))?;
        }
        conn.close().await?;
        Ok(extras)
    }

    /// An image's file: `media.path` relative to the old media folder, or
    /// (as for notes) relative to the data folder or absolute from the old
    /// server. Paths that would leave the folder are never followed.
    pub fn media_file(&self, path: &str) -> Option<PathBuf> {
        let given = Path::new(path);
        let media = self.root().join("media");
        if given.is_absolute() {
            let parts: Vec<Component> = given.components().collect();
            return parts
                .iter()
                .rposition(|c| c.as_os_str() == "media")
                .map(|i| parts[i + 1..].iter().collect::<PathBuf>())
                .filter(|rest| stays_inside(rest))
                .map(|rest| media.join(rest))
                .filter(|p| p.is_file());
        }
        if !stays_inside(given) {
            return None;
        }
        [media.join(given), self.root().join(given)]
            .into_iter()
            .find(|p| p.is_file())
    }
}

async fn columns(conn: &mut SqliteConnection, table: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
        .bind(table)
        .fetch_all(&mut *conn)
        .await
}

async fn tags(conn: &mut SqliteConnection) -> Result<HashMap<i64, Vec<String>>, sqlx::Error> {
    // `name` is the lowercased form; `display_name`, where there is one,
    // is the tag as the author wrote it.
    let name = if columns(conn, "tags")
        .await?
        .iter()
        .any(|c| c == "display_name")
    {
        "COALESCE(t.display_name, t.name)"
    } else {
        "t.name"
    };
    let rows = sqlx::query(&format!(
        "SELECT nt.note_id, CAST({name} AS TEXT)
           FROM note_tags nt JOIN tags t ON t.id = nt.tag_id
          ORDER BY nt.note_id, t.name"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for row in rows {
        if let Some(name) = row.try_get::<Option<String>, _>(1)? {
            tags.entry(row.try_get(0)?).or_default().push(name);
        }
    }
    Ok(tags)
}

type OldMediaRows = (HashMap<i64, Vec<OldMedia>>, Vec<String>);

async fn media(conn: &mut SqliteConnection) -> Result<OldMediaRows, sqlx::Error> {
    let media_columns = columns(conn, "media").await?;
    let uploaded = ["uploaded_at", "created_at"]
        .into_iter()
        .find(|c| media_columns.iter().any(|m| m == c))
        .map_or_else(|| "NULL".to_owned(), |c| format!("m.{c}"));
    let mut attached: HashMap<i64, Vec<OldMedia>> = HashMap::new();
    let linked = if has_table(conn, "note_media").await? {
        let link_columns = columns(conn, "note_media").await?;
        let has = |c: &str| link_columns.iter().any(|l| l == c);
        let alt = if has("caption") { "nm.caption" } else { "NULL" };
        let order = if has("display_order") {
            "nm.display_order, nm.rowid"
        } else {
            "nm.rowid"
        };
        let rows = sqlx::query(&format!(
            "SELECT nm.note_id, CAST(m.path AS TEXT), CAST({alt} AS TEXT), CAST({uploaded} AS TEXT)
               FROM note_media nm JOIN media m ON m.id = nm.media_id
              ORDER BY nm.note_id, {order}"
        ))
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            attached.entry(row.try_get(0)?).or_default().push(OldMedia {
                path: row.try_get::<Option<String>, _>(1)?.unwrap_or_default(),
                alt: row
                    .try_get::<Option<String>, _>(2)?
                    .filter(|alt| !alt.trim().is_empty()),
                uploaded_at: row.try_get(3)?,
            });
        }
        "WHERE id NOT IN (SELECT media_id FROM note_media)"
    } else {
        ""
    };
    let unattached = sqlx::query_scalar(&format!(
        "SELECT CAST(path AS TEXT) FROM media {linked} ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|path: Option<String>| path.unwrap_or_default())
    .collect();
    Ok((attached, unattached))
}

async fn has_table(conn: &mut SqliteConnection, name: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)",
    )
    .bind(name)
    .fetch_one(&mut *conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_paths_of_every_form_are_found_and_none_leaves_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("media/2025/01/a1b2.jpg");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "x").unwrap();
        let site = OldSite::new(dir.path());
        for form in [
            "2025/01/a1b2.jpg",
            "media/2025/01/a1b2.jpg",
            "/srv/starpunk/data/media/2025/01/a1b2.jpg",
        ] {
            assert_eq!(site.media_file(form), Some(file.clone()), "{form}");
        }
        assert_eq!(site.media_file("../media/2025/01/a1b2.jpg"), None);
        assert_eq!(site.media_file("/etc/passwd"), None);
        assert_eq!(site.media_file(""), None);
    }
}
