//! What a sender cannot do: make the site wait, read a huge or slow page,
//! reach its own network, send without limit, fill the queue, get past a
//! block, or put anything on a page that was not checked.

use scraper::Html;
use starpunk::domain::NewNote;
use starpunk::store::{NewMention, Queued};

use crate::fake_site::{FakeSite, Page};
use crate::helpers::{TestApp, header, select};
use crate::webmention::{app, entry, outcome, permalink, send};

#[tokio::test]
async fn a_slow_source_times_out_and_a_huge_one_is_not_read_past_a_megabyte() {
    let app = app(true).await;
    let note = app.publish("Patience").await;
    let target = permalink(&app, &note);
    let site = FakeSite::start(10).await;
    site.page(
        "/slow",
        Page::html(entry("u-in-reply-to", &target, "late")).held(),
    );
    let huge = format!(
        "{}{}",
        entry("u-in-reply-to", &target, "big"),
        " ".repeat(2 << 20)
    );
    site.page("/huge", Page::html(huge));

    assert_eq!(send(&app, &site.url("/slow"), &target).await.status(), 202);
    assert_eq!(send(&app, &site.url("/huge"), &target).await.status(), 202);
    let slow = outcome(&app, &site.url("/slow")).await;
    assert!(slow.contains("did not answer within 5 s"), "{slow}");
    let huge = outcome(&app, &site.url("/huge")).await;
    assert!(huge.contains("larger than 1024 KiB"), "{huge}");
    assert_eq!(app.store().response_counts().await.unwrap().pending, 0);
}

#[tokio::test]
async fn private_addresses_are_refused_and_so_are_redirects_to_them() {
    // 127.0.0.11 is reachable (as a public site would be); every other
    // loopback address is this machine, as ALLOW_PRIVATE_ADDRESSES is off.
    let app = TestApp::builder()
        .configure(|s| s.social.also_reachable = vec!["127.0.0.11".parse().unwrap()])
        .spawn()
        .await;
    let note = app.publish("Guarded").await;
    let target = permalink(&app, &note);
    let public = FakeSite::start(11).await;
    let private = FakeSite::start(12).await;
    private.page(
        "/reply",
        Page::html(entry("u-in-reply-to", &target, "inside")),
    );
    public.page("/hop", Page::redirect(302, &private.url("/reply")));
    public.page(
        "/reply",
        Page::html(entry("u-in-reply-to", &target, "outside")),
    );

    for source in [private.url("/reply"), public.url("/hop")] {
        assert_eq!(send(&app, &source, &target).await.status(), 202);
        let found = outcome(&app, &source).await;
        assert!(found.contains("private network"), "{source}: {found}");
    }
    assert!(private.received().is_empty(), "nothing reached it");
    send(&app, &public.url("/reply"), &target).await;
    assert_eq!(
        outcome(&app, &public.url("/reply")).await,
        "kept as a reply (pending)"
    );
}

#[tokio::test]
async fn each_site_is_limited_per_hour_and_the_queue_is_bounded() {
    let app = TestApp::builder()
        .allow_private_addresses()
        .configure(|s| {
            s.webmention.per_host_per_hour = 2;
            s.webmention.queue = 2;
        })
        .spawn()
        .await;
    let note = app.publish("In demand").await;
    let target = permalink(&app, &note);
    let busy = FakeSite::start(13).await;
    for path in ["/1", "/2", "/3"] {
        busy.page(path, Page::html(entry("u-like-of", &target, "")).held());
    }
    assert_eq!(send(&app, &busy.url("/1"), &target).await.status(), 202);
    assert_eq!(send(&app, &busy.url("/2"), &target).await.status(), 202);
    let refused = send(&app, &busy.url("/3"), &target).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("more than 2 Webmentions in the last hour"),
        "{body}"
    );

    // Another site is not limited by the first, but the queue is full:
    // the first two wait for their held sources.
    let other = FakeSite::start(14).await;
    other.page("/a", Page::html(entry("u-like-of", &target, "")));
    let full = send(&app, &other.url("/a"), &target).await;
    assert_eq!(full.status(), 429);
    assert_eq!(header(&full, "retry-after"), "60");
    assert!(
        full.text()
            .await
            .unwrap()
            .contains("waiting to be verified")
    );

    busy.release();
    outcome(&app, &busy.url("/1")).await;
    outcome(&app, &busy.url("/2")).await;
    assert_eq!(send(&app, &other.url("/a"), &target).await.status(), 202);
}

#[tokio::test]
async fn a_blocked_domain_is_refused() {
    let app = app(true).await;
    let note = app.publish("Not for everyone").await;
    let target = permalink(&app, &note);
    app.store().block_domain("127.0.0.15").await.unwrap();
    let site = FakeSite::start(15).await;
    site.page("/reply", Page::html(entry("u-in-reply-to", &target, "hi")));
    let refused = send(&app, &site.url("/reply"), &target).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("not accepted here"));
    assert!(site.received().is_empty());
}

#[tokio::test]
async fn hostile_sources_put_nothing_unchecked_on_the_page() {
    let app = app(false).await;
    let note = app.publish("Target of hostility").await;
    let target = permalink(&app, &note);
    let site = FakeSite::start(16).await;
    let hostile = format!(
        r#"<div class="h-entry">
             <a class="u-in-reply-to" href="{target}">re</a>
             <span class="p-author h-card"><span class="p-name">&lt;script&gt;alert('n')&lt;/script&gt;{long}</span>
               <img class="u-photo" src="https://tracker.example/pixel.gif"></span>
             <div class="e-content"><p onmouseover="alert(1)">Hi<script>alert(2)</script>
               <img src="https://tracker.example/p.gif"><a href="javascript:alert(3)">x</a>
               <iframe src="https://frame.example/"></iframe><style>body{{display:none}}</style>
               <a href="/relative">rel</a></p></div>
           </div>"#,
        long = "x".repeat(5000)
    );
    site.page("/evil", Page::html(hostile));
    let deep = format!("{}<a href=\"{target}\">x</a>", "<div>".repeat(50_000));
    site.page("/deep", Page::html(deep));
    send(&app, &site.url("/evil"), &target).await;
    assert_eq!(
        outcome(&app, &site.url("/evil")).await,
        "kept as a reply (approved)"
    );
    send(&app, &site.url("/deep"), &target).await;
    assert!(
        outcome(&app, &site.url("/deep"))
            .await
            .contains("nests elements")
    );

    app.changed().await;
    let body = app.text(&format!("/note/{}", note.slug)).await;
    let responses = body.split("id=\"responses\"").nth(1).expect("shown");
    for bad in [
        "<script",
        "onmouseover",
        "javascript:",
        "<iframe",
        "<style",
        "tracker.example",
    ] {
        assert!(!responses.contains(bad), "{bad} in {responses}");
    }
    let html = Html::parse_document(&body);
    let name: String = select(&html, ".u-comment .p-author .p-name")[0]
        .text()
        .collect();
    assert!(
        name.starts_with("<script>") && name.chars().count() <= 101,
        "{name}"
    );
    let link = select(&html, ".u-comment .e-content a[href]")[0];
    assert_eq!(
        link.value().attr("href"),
        Some(site.url("/relative").as_str()),
        "made absolute against the source"
    );
    assert_eq!(link.value().attr("rel"), Some("nofollow ugc noopener"));
}

#[tokio::test]
async fn mentions_queued_before_a_restart_are_verified_after_it() {
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().display().to_string();
    let site = FakeSite::start(17).await;
    let target = "https://me.example/note/waiting";
    site.page(
        "/reply",
        Page::html(entry("u-in-reply-to", target, "Still here")),
    );
    {
        // The server that accepted it stopped before verifying it.
        let settings = crate::helpers::settings_from(
            &[("DATA_PATH".to_owned(), data.clone())]
                .into_iter()
                .collect(),
        );
        let store =
            starpunk::startup::open_store(&settings, starpunk::clock::SystemClock::shared())
                .await
                .unwrap();
        let note = store
            .create(NewNote {
                slug: Some(starpunk::domain::Slug::parse("waiting").unwrap()),
                ..NewNote::new(starpunk::domain::NoteBody::parse("Waiting").unwrap())
            })
            .await
            .unwrap();
        let mention = NewMention {
            source: site.url("/reply"),
            target: target.to_owned(),
            note_id: note.id,
            source_host: "127.0.0.17".into(),
        };
        assert_eq!(
            store.queue_mention(&mention, 10).await.unwrap(),
            Queued::Accepted
        );
        store.pool().close().await;
    }
    let app = TestApp::builder()
        .data_path(&data)
        .allow_private_addresses()
        .spawn()
        .await;
    assert_eq!(
        outcome(&app, &site.url("/reply")).await,
        "kept as a reply (pending)"
    );
}
