//! `/admin`: each note's title, excerpt, state, dates, tags and photos;
//! the counts per state; the owner's search, over drafts too.

use chrono::{DateTime, TimeDelta, Utc};
use starpunk::domain::{NewNote, NoteBody, NoteProperties, Photo, Slug, Tag, Visibility};

use crate::helpers::{TestApp, select};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

async fn create(app: &TestApp, slug: &str, text: &str, edit: impl FnOnce(&mut NewNote)) {
    let mut note = NewNote {
        slug: Some(Slug::parse(slug).unwrap()),
        published: true,
        ..NewNote::new(NoteBody::parse(text).unwrap())
    };
    edit(&mut note);
    app.store().create(note).await.unwrap();
}

/// The dashboard's rows: (title, status, the rest of the row's text).
async fn dashboard(app: &TestApp, path: &str) -> (u16, Vec<(String, String, String)>, String) {
    let owner = app.sign_in().await;
    let response = app.owner_get(&owner, path).await;
    let status = response.status().as_u16();
    let page = response.text().await.unwrap();
    let html = scraper::Html::parse_document(&page);
    let rows = select(&html, ".note-row")
        .iter()
        .map(|row| {
            let part = |selector: &str| {
                let selector = scraper::Selector::parse(selector).unwrap();
                row.select(&selector)
                    .map(|e| e.text().collect::<String>())
                    .collect::<Vec<_>>()
                    .join(" | ")
            };
            (
                part(".note-row-title > a, .note-row-title > code"),
                part(".status"),
                part(".note-row-excerpt, .note-row-dates"),
            )
        })
        .collect();
    (status, rows, page)
}

#[tokio::test]
async fn each_row_says_what_the_note_is_and_where_it_stands() {
    let start = at("2026-12-01T09:00:00Z");
    let app = TestApp::builder().time(start).spawn().await;
    create(
        &app,
        "trip",
        "# A trip to the sea\n\nWe swam before breakfast.",
        |n| {
            n.tags = Tag::parse_list(&["Travel", "Sea"]).unwrap();
            n.properties = NoteProperties {
                photos: vec![
                    Photo {
                        url: "https://img.example/a.jpg".into(),
                        alt: Some("the beach".into()),
                    },
                    Photo {
                        url: "https://img.example/b.jpg".into(),
                        alt: Some("the pier".into()),
                    },
                ],
                ..NoteProperties::default()
            };
        },
    )
    .await;
    create(&app, "plan", "Plans for next week", |n| n.published = false).await;
    create(&app, "later", "Out tomorrow", |n| {
        n.published_at = Some(start + TimeDelta::days(1))
    })
    .await;
    create(&app, "quiet", "For friends only", |n| {
        n.visibility = Visibility::Unlisted
    })
    .await;

    let (status, rows, page) = dashboard(&app, "/admin").await;
    assert_eq!(status, 200);
    let row = |title: &str| {
        rows.iter()
            .find(|(t, _, _)| t == title)
            .unwrap_or_else(|| panic!("no row titled {title:?} in {rows:?}"))
            .clone()
    };
    let (_, status, rest) = row("A trip to the sea");
    assert_eq!(status, "published");
    assert!(rest.contains("We swam before breakfast."), "{rest}");
    assert!(rest.contains("2 photos"), "{rest}");
    assert!(rest.contains("tags: Travel, Sea"), "{rest}");
    assert!(rest.contains("Published 1 Dec 2026, 09:00 UTC"), "{rest}");
    assert_eq!(row("Plans for next week").1, "draft");
    let (_, status, rest) = row("Out tomorrow");
    assert_eq!(status, "scheduled");
    assert!(rest.contains("Goes out 2 Dec 2026, 09:00 UTC"), "{rest}");
    assert_eq!(row("For friends only").1, "unlisted");
    for label in [
        "All (4)",
        "Published (1)",
        "Scheduled (1)",
        "Unlisted (1)",
        "Drafts (1)",
        "Deleted (0)",
    ] {
        assert!(page.contains(label), "{label}");
    }

    // A note whose file is damaged still has its row, named by its slug.
    let note = app.store().find("plan").await.unwrap().unwrap();
    std::fs::write(app.notes_path().join(&note.file_path), "changed by hand").unwrap();
    let (_, rows, _) = dashboard(&app, "/admin?show=drafts").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "plan");
}

#[tokio::test]
async fn the_owner_searches_drafts_too_within_a_state() {
    let app = TestApp::builder().spawn().await;
    create(&app, "public-heron", "A heron on the river", |_| {}).await;
    create(&app, "draft-heron", "Draft about a heron", |n| {
        n.published = false
    })
    .await;
    create(&app, "swan", "A swan", |_| {}).await;

    let (status, rows, page) = dashboard(&app, "/admin?q=heron").await;
    assert_eq!(status, 200);
    let mut titles: Vec<String> = rows.into_iter().map(|r| r.0).collect();
    titles.sort();
    assert_eq!(titles, ["A heron on the river", "Draft about a heron"]);
    assert!(
        page.contains(r#"value="heron""#),
        "the box keeps the search"
    );

    let (_, rows, _) = dashboard(&app, "/admin?show=drafts&q=heron").await;
    let titles: Vec<String> = rows.into_iter().map(|r| r.0).collect();
    assert_eq!(titles, ["Draft about a heron"]);

    let (_, rows, page) = dashboard(&app, "/admin?q=pelican").await;
    assert!(rows.is_empty());
    assert!(page.contains("No notes here match “pelican”."), "{page}");

    let (status, rows, page) = dashboard(&app, "/admin?q=%ED%A0%80").await;
    assert_eq!(status, 400);
    assert!(rows.is_empty());
    assert!(page.contains("field-error"), "{page}");

    let (status, _, _) = dashboard(&app, "/admin?show=everything").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn search_results_page_with_their_search() {
    let app = TestApp::builder().spawn().await;
    for n in 0..30 {
        create(
            &app,
            &format!("kite-{n}"),
            &format!("Kite number {n}"),
            |_| {},
        )
        .await;
    }
    let (_, rows, page) = dashboard(&app, "/admin?q=kite").await;
    assert_eq!(rows.len(), 25);
    let html = scraper::Html::parse_document(&page);
    let next: Vec<_> = select(&html, r#"a[rel="next"]"#)
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(next, ["/admin?show=current&q=kite&page=2"]);
    let (_, rows, _) = dashboard(&app, &next[0]).await;
    assert_eq!(rows.len(), 5);
}
