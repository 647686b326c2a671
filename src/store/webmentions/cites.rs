//! What the pages notes reply to (like, repost, bookmark) say about
//! themselves, read once when the Webmention to them is sent, for the
//! `h-cite` on the note's page.

use std::collections::HashMap;

use sqlx::FromRow;

use crate::store::notes::db_time;
use crate::store::{Store, StoreError};

/// A page's title and author, as its microformats (or `<title>`) say.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct Cite {
    pub url: String,
    pub title: Option<String>,
    pub author_name: Option<String>,
    pub author_url: Option<String>,
}

impl Store {
    /// Keeps what a page says about itself; a page that says the same as
    /// before changes nothing (so no page is rendered again for it).
    pub async fn keep_cite(&self, cite: &Cite) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO link_cites (url, title, author_name, author_url, fetched_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (url) DO UPDATE SET
                 title = excluded.title, author_name = excluded.author_name,
                 author_url = excluded.author_url, fetched_at = excluded.fetched_at
             WHERE title IS NOT excluded.title OR author_name IS NOT excluded.author_name
                OR author_url IS NOT excluded.author_url",
        )
        .bind(&cite.url)
        .bind(&cite.title)
        .bind(&cite.author_name)
        .bind(&cite.author_url)
        .bind(db_time(self.now()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// What is known of these pages, by URL.
    pub async fn cites_for(
        &self,
        urls: impl IntoIterator<Item = String>,
    ) -> Result<HashMap<String, Cite>, StoreError> {
        let urls: Vec<String> = urls.into_iter().collect();
        if urls.is_empty() {
            return Ok(HashMap::new());
        }
        let list = serde_json::to_string(&urls).expect("strings are JSON");
        let rows: Vec<Cite> = sqlx::query_as(
            "SELECT url, title, author_name, author_url FROM link_cites
              WHERE url IN (SELECT value FROM json_each(?))",
        )
        .bind(list)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|c| (c.url.clone(), c)).collect())
    }
}
