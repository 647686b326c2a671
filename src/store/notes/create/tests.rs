use super::*;
use crate::domain::NoteBody;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let pool = super::super::super::connect(&path, 2, super::super::super::PageCache::Small)
        .await
        .unwrap();
    super::super::super::migrate(&pool, &path).await.unwrap();
    let store = Store::new(
        pool,
        NotesDir::new(dir.path().join("notes")),
        crate::clock::SystemClock::shared(),
    );
    (dir, store)
}

fn batch(texts: &[&str]) -> Vec<NewNote> {
    texts
        .iter()
        .map(|text| NewNote::new(NoteBody::parse(*text).unwrap()))
        .collect()
}

#[tokio::test]
async fn an_import_in_batches_leaves_every_file_and_no_twin() {
    let (_dir, store) = store().await;
    let mut run = ImportRun::default();
    let first = store
        .import_batch(batch(&["Morning walk", "Lunch"]), &mut run)
        .await
        .unwrap();
    // The same text in a later batch is another note, not a copy.
    let second = store
        .import_batch(batch(&["Morning walk", "Evening"]), &mut run)
        .await
        .unwrap();
    run.finish().await;

    assert_eq!((first.imported, second.imported), (2, 2));
    assert!(!store.files.has_temp_files().unwrap());
    let notes = store.list(true, true).await.unwrap();
    let mut slugs: Vec<&str> = notes.iter().map(|n| n.slug.as_str()).collect();
    slugs.sort();
    assert_eq!(
        slugs,
        ["evening", "lunch", "morning-walk", "morning-walk-2"]
    );
    for note in &notes {
        assert!(store.files.resolve(&note.file_path).unwrap().is_file());
    }
}

#[tokio::test]
async fn an_import_run_again_skips_what_it_wrote() {
    let (_dir, store) = store().await;
    let mut run = ImportRun::default();
    store
        .import_batch(batch(&["Morning walk"]), &mut run)
        .await
        .unwrap();
    run.finish().await;

    let mut again = ImportRun::default();
    let outcome = store
        .import_batch(batch(&["Morning walk"]), &mut again)
        .await
        .unwrap();
    again.finish().await;
    assert_eq!(
        outcome,
        ImportOutcome {
            imported: 0,
            skipped: 1
        }
    );
    assert!(!store.files.has_temp_files().unwrap());
}
