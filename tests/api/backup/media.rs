//! Uploaded images in backups: every image the snapshot's rows own is in
//! the archive with its SHA-256, `--verify` checks them, `restore` puts
//! them back, and images uploaded while a backup runs never make an
//! archive whose database names an image it does not hold.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use starpunk::startup::open_store;
use starpunk::store::{MediaDir, MediaRecord, Store};

use super::archive::{Member, edit_database, manifest, read_members, rewrite, write_members};
use super::{
    archive_of, assert_check_clean, backup, fails, list_notes, note_files, ok, tempdir, vars_for,
    write_a_site,
};
use crate::helpers::settings_from;

/// A small PNG, different for each `n`, cleaned as the media endpoint
/// cleans uploads.
fn image(n: u32) -> starpunk::media::PreparedImage {
    let pixels = RgbImage::from_fn(5, 4, |x, y| {
        Rgb([(n % 251) as u8, (x * 50) as u8, (y * 60 + n / 251) as u8])
    });
    let mut png = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut png, ImageFormat::Png)
        .unwrap();
    starpunk::media::prepare(&png.into_inner()).unwrap()
}

async fn store_of(vars: &HashMap<String, String>) -> (Store, MediaDir) {
    let settings = settings_from(vars);
    let store = open_store(&settings, starpunk::clock::SystemClock::shared())
        .await
        .unwrap();
    (store, MediaDir::in_data(&settings.data_path))
}

/// Keeps `count` images in the site, as uploads do.
fn upload(vars: &HashMap<String, String>, count: u32) -> Vec<MediaRecord> {
    runtime().block_on(async {
        let (store, dir) = store_of(vars).await;
        let mut kept = Vec::new();
        for n in 0..count {
            kept.push(store.save_media(&dir, image(n), Utc::now()).await.unwrap());
        }
        store.pool().close().await;
        kept
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every file under the media folder, by relative path.
fn media_files(data: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, found: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                let relative = path.strip_prefix(root).unwrap().display().to_string();
                found.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(&data.join("media"), &data.join("media"), &mut found);
    found
}

#[test]
fn images_are_backed_up_verified_and_restored() {
    let (site, out, empty) = (tempdir(), tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    let kept = upload(&vars, 2);
    let summary = backup(&vars, out.path(), &[]);
    assert_eq!(summary["counts"]["media"], 2);
    let archive = archive_of(&summary);
    let listing = manifest(&read_members(&archive));
    for record in &kept {
        let member = listing["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["path"] == format!("media/{}", record.path))
            .unwrap_or_else(|| panic!("media/{} is not listed", record.path));
        assert_eq!(member["kind"], "media");
        assert_eq!(member["sha256"], record.sha256.as_str());
    }
    let said = ok(
        &vars,
        &["backup", "--verify", archive.to_str().unwrap()],
        "",
    );
    assert!(said.contains("2 media files"), "{said}");

    let target = empty.path().join("data");
    let restored = vars_for(&target);
    ok(&restored, &["restore", archive.to_str().unwrap()], "");
    assert_eq!(media_files(&target), media_files(site.path()));
    assert_eq!(media_files(&target).len(), 2);
    let found = runtime().block_on(async {
        let (store, _) = store_of(&restored).await;
        let all = store.all_media().await.unwrap();
        store.pool().close().await;
        all
    });
    assert_eq!(found, kept);
    assert_check_clean(&restored);

    // A site with images but no notes still has data to lose.
    let only_images = tempdir();
    let images = vars_for(only_images.path());
    upload(&images, 1);
    std::fs::remove_file(only_images.path().join("starpunk.db")).unwrap();
    let err = fails(&images, &["restore", archive.to_str().unwrap()]);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(media_files(only_images.path()).len(), 1);
}

#[test]
fn archives_with_missing_or_swapped_images_are_refused_and_the_data_is_untouched() {
    let (site, out) = (tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    upload(&vars, 2);
    let good = archive_of(&backup(&vars, out.path(), &[]));
    let data = (
        list_notes(&vars),
        note_files(site.path()),
        media_files(site.path()),
    );
    let is_image = |m: &Member| m.name.starts_with("media/");
    let broken = |name: &str| out.path().join(name);

    let mut members = read_members(&good);
    let at = members.iter().position(is_image).unwrap();
    let removed = members.remove(at).name;
    write_members(&broken("missing.tar.gz"), &members);

    // Hashes recomputed, so only the database can tell: the image it
    // records is not the one the archive holds.
    rewrite(&good, &broken("swapped.tar.gz"), |members, _| {
        let images: Vec<usize> = (0..members.len())
            .filter(|&i| is_image(&members[i]))
            .collect();
        let first = members[images[0]].bytes.clone();
        members[images[0]].bytes = members[images[1]].bytes.clone();
        members[images[1]].bytes = first;
    });
    // And one whose database records an image it does not hold at all.
    rewrite(&good, &broken("unlisted.tar.gz"), |members, listing| {
        let at = members.iter().position(is_image).unwrap();
        let name = members.remove(at).name;
        listing["members"]
            .as_array_mut()
            .unwrap()
            .retain(|m| m["path"] != name.as_str());
    });
    rewrite(&good, &broken("miscounted.tar.gz"), |members, _| {
        edit_database(
            members,
            "DELETE FROM media WHERE id = (SELECT MIN(id) FROM media);",
        );
    });

    for (name, expected) in [
        ("missing.tar.gz", format!("{removed} is missing")),
        (
            "swapped.tar.gz",
            "is not the file its database records".into(),
        ),
        ("unlisted.tar.gz", "which it does not hold".into()),
        (
            "miscounted.tar.gz",
            "its database holds 1 media files, its manifest says 2".into(),
        ),
    ] {
        let archive = broken(name);
        let archive = archive.to_str().unwrap();
        let err = fails(&vars, &["backup", "--verify", archive]);
        assert!(err.contains(&expected), "{name}: {err}");
        let err = fails(&vars, &["restore", "--force", archive]);
        assert!(err.contains(&expected), "{name}: {err}");
        assert_eq!(
            (
                list_notes(&vars),
                note_files(site.path()),
                media_files(site.path())
            ),
            data,
            "{name} changed the data"
        );
    }
}

#[test]
fn a_damaged_image_stops_the_backup_with_its_name() {
    let (site, out) = (tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    let kept = upload(&vars, 1);
    let file = site.path().join("media").join(kept[0].path.as_str());
    std::fs::write(&file, b"not the image any more").unwrap();
    let output = format!("{}/", out.path().display());
    let err = fails(&vars, &["backup", "--output", &output]);
    assert!(
        err.contains(&format!("media/{}", kept[0].path)) && err.contains("starpunk check"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| starpunk::store::backup::is_default_name(name))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Images are uploaded the whole time by another writer; every archive
/// taken meanwhile holds every image its database records, with the
/// recorded SHA-256, and restores to data that passes `check`.
#[test]
fn backups_taken_while_images_keep_arriving_hold_every_image_they_record() {
    let (site, out) = (tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    upload(&vars, 1);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (vars, stop) = (vars.clone(), stop.clone());
        std::thread::spawn(move || {
            runtime().block_on(async {
                let (store, dir) = store_of(&vars).await;
                let mut n = 1000;
                while !stop.load(Ordering::Relaxed) {
                    store.save_media(&dir, image(n), Utc::now()).await.unwrap();
                    n += 1;
                }
                store.pool().close().await;
                n - 1000
            })
        })
    };
    let archives: Vec<_> = (0..3)
        .map(|_| archive_of(&backup(&vars, out.path(), &[])))
        .collect();
    stop.store(true, Ordering::Relaxed);
    assert!(writer.join().expect("the writer ran") > 0);

    for archive in &archives {
        ok(
            &vars,
            &["backup", "--verify", archive.to_str().unwrap()],
            "",
        );
        let target = tempdir();
        let restored = vars_for(target.path());
        let summary: serde_json::Value = serde_json::from_str(&ok(
            &restored,
            &["restore", "--json", archive.to_str().unwrap()],
            "",
        ))
        .unwrap();
        assert_check_clean(&restored);
        let records = runtime().block_on(async {
            let (store, _) = store_of(&restored).await;
            let all = store.all_media().await.unwrap();
            store.pool().close().await;
            all
        });
        assert_eq!(summary["counts"]["media"], records.len());
        let files = media_files(target.path());
        assert_eq!(files.len(), records.len());
        for record in records {
            let bytes = &files[record.path.as_str()];
            assert_eq!(starpunk::domain::content_hash(bytes), record.sha256);
        }
    }
}

#[test]
fn a_wide_images_web_copy_is_backed_up_and_restored_with_it() {
    let (site, out, empty) = (tempdir(), tempdir(), tempdir());
    let vars = vars_for(site.path());
    write_a_site(&vars);
    let kept = runtime().block_on(async {
        let (store, dir) = store_of(&vars).await;
        let pixels = RgbImage::from_fn(1600, 8, |x, _| Rgb([(x % 256) as u8, 90, 30]));
        let mut png = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(pixels)
            .write_to(&mut png, ImageFormat::Png)
            .unwrap();
        let prepared = starpunk::media::prepare(&png.into_inner()).unwrap();
        let kept = store.save_media(&dir, prepared, Utc::now()).await.unwrap();
        store.pool().close().await;
        kept
    });
    let web = kept
        .web
        .clone()
        .expect("a 1600 px wide image gets a web copy");
    let archive = archive_of(&backup(&vars, out.path(), &[]));
    let listing = manifest(&read_members(&archive));
    let member = listing["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == format!("media/{}", web.path))
        .unwrap_or_else(|| panic!("the web copy media/{} is not listed", web.path))
        .clone();
    assert_eq!(member["sha256"], web.sha256.as_str());

    let target = empty.path().join("data");
    ok(
        &vars_for(&target),
        &["restore", archive.to_str().unwrap()],
        "",
    );
    let restored = media_files(&target);
    assert_eq!(restored.len(), 2);
    assert_eq!(restored, media_files(site.path()));
    assert_check_clean(&vars_for(&target));
}
