//! The editor's photo steps, without a server.

use super::*;

fn with(urls: &[&str]) -> EditorPhotos {
    EditorPhotos {
        entries: urls
            .iter()
            .map(|url| Entry {
                url: (*url).to_owned(),
                alt: String::new(),
            })
            .collect(),
        ..EditorPhotos::default()
    }
}

fn urls(photos: &EditorPhotos) -> Vec<&str> {
    photos.entries.iter().map(|e| e.url.as_str()).collect()
}

#[test]
fn buttons_are_read_from_the_action() {
    assert_eq!(Step::parse("add-photos"), Some(Step::Add));
    assert_eq!(Step::parse("photo-up-2"), Some(Step::Up(2)));
    assert_eq!(Step::parse("photo-down-0"), Some(Step::Down(0)));
    assert_eq!(Step::parse("photo-remove-19"), Some(Step::Remove(19)));
    for other in [
        "save",
        "preview",
        "photo-up-",
        "photo-up--1",
        "photo-jump-1",
        "",
    ] {
        assert_eq!(Step::parse(other), None, "{other}");
    }
}

#[test]
fn steps_move_and_remove_and_ignore_places_that_are_not_there() {
    let mut photos = with(&["a", "b", "c"]);
    photos.take_step(Step::Up(2));
    assert_eq!(urls(&photos), ["a", "c", "b"]);
    photos.take_step(Step::Down(0));
    assert_eq!(urls(&photos), ["c", "a", "b"]);
    for nothing in [Step::Up(0), Step::Down(2), Step::Remove(3), Step::Up(7)] {
        photos.take_step(nothing);
        assert_eq!(urls(&photos), ["c", "a", "b"], "{nothing:?}");
    }
    photos.take_step(Step::Remove(1));
    assert_eq!(urls(&photos), ["c", "b"]);
}

#[test]
fn photo_fields_pair_up_in_order_and_leave_the_rest() {
    let mut fields: Vec<(String, String)> = [
        ("content", "Hi"),
        ("photo_url", "https://a.example/1.jpg"),
        ("photo_alt", "One"),
        ("photo_url", "https://a.example/2.jpg"),
        ("photo_alt", ""),
        ("tags", "x"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let photos = EditorPhotos::take_fields(&mut fields).unwrap();
    assert_eq!(
        urls(&photos),
        ["https://a.example/1.jpg", "https://a.example/2.jpg"]
    );
    assert_eq!(photos.entries[0].alt, "One");
    assert_eq!(fields.len(), 2);
    let mut unpaired = vec![("photo_url".to_owned(), "https://a.example/1.jpg".to_owned())];
    assert!(EditorPhotos::take_fields(&mut unpaired).is_err());
}

#[test]
fn long_file_names_are_shortened_in_messages() {
    assert_eq!(shown_name("cat.jpg"), "cat.jpg");
    assert_eq!(shown_name(""), "A file");
    assert_eq!(shown_name(&"x".repeat(200)).chars().count(), 81);
}
