//! The pages a note sends Webmentions to: every web page its text links
//! to, and the page it replies to, likes, reposts or bookmarks; never the
//! site itself. Pure.

use scraper::{Html, Selector};
use url::Url;

use crate::config::SiteSettings;
use crate::domain::{ContentFormat, NoteWithBody};
use crate::render::{markdown, sanitise::sanitise};
use crate::store::PlannedTarget;

/// The most pages one note sends Webmentions to.
pub const MAX_TARGETS: usize = 100;

/// The note's permalink, the `source` of every Webmention it sends.
pub fn permalink(site: &SiteSettings, slug: &str) -> String {
    site.url.join(&format!("note/{slug}"))
}

/// The pages `note` links to, the page it answers first, each once.
pub fn targets_of(site: &SiteSettings, note: &NoteWithBody) -> Vec<PlannedTarget> {
    let permalink = permalink(site, note.note.slug.as_str());
    let Ok(base) = Url::parse(&permalink) else {
        return Vec::new();
    };
    let mut targets: Vec<PlannedTarget> = Vec::new();
    let add = |url: &str, context: bool, targets: &mut Vec<PlannedTarget>| {
        let Ok(resolved) = base.join(url.trim()) else {
            return;
        };
        let elsewhere = matches!(resolved.scheme(), "http" | "https")
            && resolved.host().is_some()
            && !resolved.as_str().starts_with(site.url.as_str());
        if elsewhere
            && targets.len() < MAX_TARGETS
            && !targets.iter().any(|t| t.url == resolved.as_str())
        {
            targets.push(PlannedTarget {
                url: resolved.to_string(),
                context,
            });
        }
    };
    if let Some(context) = note.note.properties.context() {
        add(&context.url, true, &mut targets);
    }
    let html = match note.note.properties.format {
        ContentFormat::Markdown => markdown::to_html(note.body.as_str()),
        ContentFormat::Html => sanitise(note.body.as_str()),
    };
    let document = Html::parse_fragment(&html);
    let links = Selector::parse("a[href]").expect("a valid selector");
    for link in document.select(&links) {
        if let Some(href) = link.attr("href") {
            add(href, false, &mut targets);
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Note, NoteBody, NoteProperties, Slug, mf2::Properties};

    fn site() -> SiteSettings {
        crate::config::Settings::from_lookup(|name| {
            Ok((name == "SITE_URL").then(|| "https://me.example/".to_owned()))
        })
        .unwrap()
        .site
    }

    fn note(text: &str, extra: serde_json::Value) -> NoteWithBody {
        let extra: Properties = serde_json::from_value(extra).unwrap();
        let now = chrono::Utc::now();
        NoteWithBody {
            note: Note {
                id: 1,
                slug: Slug::parse("a-note").unwrap(),
                file_path: "x.md".into(),
                published: true,
                created_at: now,
                updated_at: now,
                published_at: Some(now),
                deleted_at: None,
                visibility: crate::domain::Visibility::Public,
                content_hash: String::new(),
                tags: Vec::new(),
                properties: NoteProperties {
                    extra,
                    ..NoteProperties::default()
                },
            },
            body: NoteBody::parse(text).unwrap(),
        }
    }

    #[test]
    fn links_and_the_answered_page_once_each_never_the_site() {
        let note = note(
            "See [one](https://a.example/1), <https://b.example/2>, https://c.example/3 and \
             [again](https://a.example/1), [me](/note/other), [mail](mailto:x@y.example), \
             [self](https://me.example/tags) and [rel](https://d.example/x?y=1#z).",
            serde_json::json!({"in-reply-to": ["https://r.example/post"]}),
        );
        let targets: Vec<(String, bool)> = targets_of(&site(), &note)
            .into_iter()
            .map(|t| (t.url, t.context))
            .collect();
        assert_eq!(
            targets,
            [
                ("https://r.example/post".to_owned(), true),
                ("https://a.example/1".to_owned(), false),
                ("https://b.example/2".to_owned(), false),
                ("https://c.example/3".to_owned(), false),
                ("https://d.example/x?y=1#z".to_owned(), false),
            ]
        );
        let many: String = (0..150)
            .map(|i| format!("[l](https://x.example/{i}) "))
            .collect();
        assert_eq!(
            targets_of(&site(), &super::tests::note(&many, serde_json::json!({}))).len(),
            MAX_TARGETS
        );
    }
}
