//! `/micropub`, walked through the micropub.rocks server tests in their
//! order (create, update, delete, query, media, authentication), with
//! tokens the site itself issued; then the rules the tests do not cover.

use chrono::Utc;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use crate::helpers::{TestApp, select, spawn_app};
use crate::indieauth_server::App;

/// A token with these scopes, the way an app gets one: the owner signs in
/// and approves them on the consent page, and the app redeems the code at
/// the token endpoint with its PKCE verifier.
async fn token(app: &TestApp, scopes: &str) -> String {
    let signed = app.sign_in().await;
    let client = App::local();
    let granted: Vec<&str> = scopes.split([' ', ',']).filter(|s| !s.is_empty()).collect();
    let code = app
        .approve(&signed, &client, &granted.join(" "), &granted)
        .await;
    let (status, answer) = app
        .post_json("/auth/token", &client.redemption(&code))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["scope"], granted.join(" "));
    answer["access_token"].as_str().unwrap().to_owned()
}

struct Client<'a> {
    app: &'a TestApp,
    token: String,
}

impl Client<'_> {
    async fn form(&self, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url("/micropub"))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .form(pairs)
            .send()
            .await
            .unwrap()
    }

    async fn json(&self, body: Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url("/micropub"))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn query(&self, query: &str) -> reqwest::Response {
        self.app
            .client
            .get(self.app.url(&format!("/micropub?{query}")))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .send()
            .await
            .unwrap()
    }

    /// Creates and returns the new post's URL (201 + Location).
    async fn created(&self, response: reqwest::Response) -> String {
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        assert_eq!(status, 201, "{body}");
        let location = location.expect("a Location header");
        assert!(location.starts_with(&self.app.url("/note/")), "{location}");
        location
    }

    async fn source(&self, url: &str) -> Value {
        let answer = self
            .query(&format!("q=source&url={}", urlencode(url)))
            .await;
        assert_eq!(answer.status(), 200);
        answer.json().await.unwrap()
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn client(app: &TestApp) -> Client<'_> {
    Client {
        app,
        token: token(app, "create update delete undelete media").await,
    }
}

async fn page(app: &TestApp, url: &str) -> scraper::Html {
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    scraper::Html::parse_document(&response.text().await.unwrap())
}

async fn error_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    response.json().await.unwrap()
}

#[tokio::test]
async fn creating_posts_from_forms_and_json() {
    let app = spawn_app().await;
    let mp = client(&app).await;

    // 100: a form with content.
    let url = mp
        .created(
            mp.form(&[("h", "entry"), ("content", "Hello from a form")])
                .await,
        )
        .await;
    let html = page(&app, &url).await;
    assert!(
        select(&html, ".h-entry .e-content")[0]
            .text()
            .collect::<String>()
            .contains("Hello from a form")
    );
    // It shows on the home page and in the feed at once.
    assert!(app.text("/").await.contains("Hello from a form"));
    assert!(app.text("/feed.xml").await.contains("Hello from a form"));

    // 101 and 107: categories as a list and as a single value.
    let url = mp
        .created(
            mp.form(&[
                ("h", "entry"),
                ("content", "Two tags"),
                ("category[]", "test1"),
                ("category[]", "test2"),
            ])
            .await,
        )
        .await;
    let categories: Vec<String> = select(&page(&app, &url).await, ".p-category")
        .iter()
        .map(|c| c.text().collect())
        .collect();
    assert_eq!(categories, vec!["test1", "test2"]);
    let url = mp
        .created(
            mp.form(&[
                ("h", "entry"),
                ("content", "One tag"),
                ("category", "test1"),
            ])
            .await,
        )
        .await;
    assert_eq!(select(&page(&app, &url).await, ".p-category").len(), 1);

    // 104: a photo by URL, hotlinked.
    let url = mp
        .created(
            mp.form(&[
                ("h", "entry"),
                ("content", "A photo"),
                ("photo", "https://photos.example/sunset.jpg"),
            ])
            .await,
        )
        .await;
    let html = page(&app, &url).await;
    let photos = select(&html, ".h-entry img.u-photo");
    assert_eq!(
        photos[0].value().attr("src"),
        Some("https://photos.example/sunset.jpg")
    );

    // 200 and 201: JSON, with two categories.
    let url = mp
        .created(
            mp.json(json!({
                "type": ["h-entry"],
                "properties": {"content": ["Hello JSON"], "category": ["a", "b"]}
            }))
            .await,
        )
        .await;
    let source = mp.source(&url).await;
    assert_eq!(source["type"], json!(["h-entry"]));
    assert_eq!(source["properties"]["content"], json!(["Hello JSON"]));
    assert_eq!(source["properties"]["category"], json!(["a", "b"]));

    // 202: HTML content renders as HTML, sanitised.
    let url = mp
        .created(
            mp.json(json!({
                "type": ["h-entry"],
                "properties": {"content": [{"html": "<p>This <b>post</b> has <i>HTML</i><script>alert(1)</script></p>"}]}
            }))
            .await,
        )
        .await;
    let html = page(&app, &url).await;
    let content = select(&html, ".h-entry .e-content")[0].inner_html();
    assert!(content.contains("<b>post</b>"), "{content}");
    assert!(!content.contains("script"), "{content}");
    assert_eq!(
        mp.source(&url).await["properties"]["content"][0]["html"]
            .as_str()
            .map(|h| h.contains("<b>post</b>")),
        Some(true)
    );

    // 203, 205, 206: photos by URL, with alt text, two of them.
    let url = mp
        .created(
            mp.json(json!({
                "type": ["h-entry"],
                "properties": {
                    "content": ["Two photos"],
                    "photo": [
                        {"value": "https://photos.example/a.jpg", "alt": "A lake at dawn"},
                        "https://photos.example/b.jpg"
                    ]
                }
            }))
            .await,
        )
        .await;
    let html = page(&app, &url).await;
    let photos = select(&html, ".h-entry img.u-photo");
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0].value().attr("alt"), Some("A lake at dawn"));
    assert!(
        app.text("/feed.xml")
            .await
            .contains("https://photos.example/a.jpg")
    );

    // 204: a nested mf2 object is kept, the rest is shown.
    let url = mp
        .created(
            mp.json(json!({
                "type": ["h-entry"],
                "properties": {
                    "content": ["Checked in"],
                    "checkin": [{"type": ["h-card"], "properties": {"name": ["Café"], "latitude": ["45.5"]}}]
                }
            }))
            .await,
        )
        .await;
    assert!(app.text(&path(&app, &url)).await.contains("Checked in"));
    assert_eq!(
        mp.source(&url).await["properties"]["checkin"][0]["properties"]["name"],
        json!(["Café"])
    );
}

#[tokio::test]
async fn other_body_types_are_refused() {
    let app = spawn_app().await;
    let mp = client(&app).await;
    // Multipart bodies (300, 301) are in micropub_media.rs.
    let refused = mp
        .app
        .client
        .post(app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {}", mp.token))
        .header(CONTENT_TYPE, "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(refused, 415).await["error"], "invalid_request");
}

#[tokio::test]
async fn updating_posts() {
    let app = spawn_app().await;
    let mp = client(&app).await;
    let url = mp
        .created(
            mp.json(json!({
                "type": ["h-entry"],
                "properties": {"content": ["Original text"], "category": ["test1", "test2"]}
            }))
            .await,
        )
        .await;

    // 400: replace the content.
    let done = mp
        .json(json!({"action": "update", "url": url, "replace": {"content": ["Replaced text"]}}))
        .await;
    assert_eq!(done.status(), 204);
    assert!(app.text(&path(&app, &url)).await.contains("Replaced text"));

    // 401 and 402: add a value, add a property.
    let done = mp
        .json(json!({"action": "update", "url": url, "add": {"category": ["test3"], "syndication": ["https://elsewhere.example/1"]}}))
        .await;
    assert_eq!(done.status(), 204);
    let source = mp.source(&url).await;
    assert_eq!(
        source["properties"]["category"],
        json!(["test1", "test2", "test3"])
    );
    assert_eq!(
        source["properties"]["syndication"],
        json!(["https://elsewhere.example/1"])
    );

    // 403: remove one value; 404: remove a whole property.
    assert_eq!(
        mp.json(json!({"action": "update", "url": url, "delete": {"category": ["test2"]}}))
            .await
            .status(),
        204
    );
    assert_eq!(
        mp.source(&url).await["properties"]["category"],
        json!(["test1", "test3"])
    );
    assert_eq!(
        mp.json(json!({"action": "update", "url": url, "delete": ["category"]}))
            .await
            .status(),
        204
    );
    assert!(
        mp.source(&url).await["properties"]
            .get("category")
            .is_none()
    );
    assert!(select(&page(&app, &url).await, ".p-category").is_empty());

    // 405: `replace` that is not an object is refused, and nothing changes.
    let refused = mp
        .json(json!({"action": "update", "url": url, "replace": "content"}))
        .await;
    assert_eq!(error_of(refused, 400).await["error"], "invalid_request");
    assert_eq!(
        mp.source(&url).await["properties"]["content"],
        json!(["Replaced text"])
    );

    // A title, and the status: a draft disappears from the site.
    assert_eq!(
        mp.json(json!({"action": "update", "url": url, "replace": {"name": ["A title"], "post-status": ["draft"]}}))
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&path(&app, &url)).await.status(), 404);
    let source = mp.source(&url).await;
    assert_eq!(source["properties"]["post-status"], json!(["draft"]));
    assert_eq!(source["properties"]["name"], json!(["A title"]));
    assert_eq!(
        mp.json(json!({"action": "update", "url": url, "replace": {"post-status": ["published"]}}))
            .await
            .status(),
        204
    );
    let html = page(&app, &url).await;
    assert_eq!(
        select(&html, ".h-entry .p-name")[0]
            .text()
            .collect::<String>(),
        "A title"
    );

    // The URL never changes; an unknown one is named in the error.
    let refused = mp
        .json(json!({"action": "update", "url": app.url("/note/nothing-here"), "replace": {"content": ["x"]}}))
        .await;
    let error = error_of(refused, 400).await;
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("/note/nothing-here")
    );
}

fn path(app: &TestApp, url: &str) -> String {
    url.strip_prefix(app.url("").trim_end_matches('/'))
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn deleting_and_restoring_posts() {
    let app = spawn_app().await;
    let mp = client(&app).await;
    let url = mp.created(mp.form(&[("content", "Soon gone")]).await).await;
    // 500: form delete; 502: form undelete.
    assert_eq!(
        mp.form(&[("action", "delete"), ("url", &url)])
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&path(&app, &url)).await.status(), 410);
    assert!(!app.text("/feed.xml").await.contains("Soon gone"));
    assert_eq!(
        mp.form(&[("action", "undelete"), ("url", &url)])
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&path(&app, &url)).await.status(), 200);
    // 501 and 503: the same in JSON.
    assert_eq!(
        mp.json(json!({"action": "delete", "url": url}))
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&path(&app, &url)).await.status(), 410);
    assert_eq!(
        mp.json(json!({"action": "undelete", "url": url}))
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&path(&app, &url)).await.status(), 200);
    // An unknown URL is named.
    let refused = mp
        .form(&[
            ("action", "delete"),
            ("url", "https://elsewhere.example/note/x"),
        ])
        .await;
    assert!(
        error_of(refused, 400).await["error_description"]
            .as_str()
            .unwrap()
            .contains("https://elsewhere.example/note/x")
    );
}

#[tokio::test]
async fn queries() {
    let app = spawn_app().await;
    let mp = client(&app).await;
    let url = mp
        .created(
            mp.form(&[
                ("content", "Source of truth"),
                ("category[]", "micropub"),
                ("category[]", "test"),
            ])
            .await,
        )
        .await;

    // 600 and 601.
    let config: Value = mp.query("q=config").await.json().await.unwrap();
    assert_eq!(config["syndicate-to"], json!([]));
    assert_eq!(config["categories"], json!(["micropub", "test"]));
    assert!(config["q"].as_array().unwrap().contains(&json!("source")));
    let syndicate: Value = mp.query("q=syndicate-to").await.json().await.unwrap();
    assert_eq!(syndicate, json!({"syndicate-to": []}));

    // 602: every property, with the type.
    let source = mp.source(&url).await;
    assert_eq!(source["properties"]["content"], json!(["Source of truth"]));
    assert_eq!(
        source["properties"]["category"],
        json!(["micropub", "test"])
    );
    assert_eq!(source["properties"]["url"], json!([url]));
    // 603: only what was asked, without the type.
    let some: Value = mp
        .query(&format!(
            "q=source&properties[]=content&properties[]=category&url={}",
            urlencode(&url)
        ))
        .await
        .json()
        .await
        .unwrap();
    assert!(some.get("type").is_none());
    assert_eq!(some["properties"].as_object().unwrap().len(), 2, "{some}");

    // A list of posts, newest first, as Micro.blog's apps ask.
    mp.created(
        mp.form(&[("content", "A draft"), ("post-status", "draft")])
            .await,
    )
    .await;
    let list: Value = mp.query("q=source&limit=1").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        list["items"][0]["properties"]["content"],
        json!(["A draft"])
    );
    let published: Value = mp
        .query("q=source&post-status=published")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["items"].as_array().unwrap().len(), 1);
    let tags: Value = mp
        .query("q=category&filter=mic")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tags, json!({"categories": ["micropub"]}));

    // Unknown or missing questions are 400.
    assert_eq!(
        error_of(mp.query("q=everything").await, 400).await["error"],
        "invalid_request"
    );
    assert_eq!(
        error_of(mp.query("").await, 400).await["error"],
        "invalid_request"
    );
}

/// 700, 701, 702: a JPEG, a PNG and a GIF uploaded to the media endpoint
/// that `q=config` names; each is then served at its `Location`.
#[tokio::test]
async fn uploading_to_the_media_endpoint() {
    use image::ImageFormat;
    use reqwest::multipart::{Form, Part};

    let app = spawn_app().await;
    let mp = client(&app).await;
    let config: Value = mp.query("q=config").await.json().await.unwrap();
    let endpoint = config["media-endpoint"].as_str().unwrap().to_owned();
    for (test, format, media_type) in [
        (700, ImageFormat::Jpeg, "image/jpeg"),
        (701, ImageFormat::Png, "image/png"),
        (702, ImageFormat::Gif, "image/gif"),
    ] {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image::DynamicImage::new_rgb8(12, 8)
            .write_to(&mut bytes, format)
            .unwrap();
        let part = Part::bytes(bytes.into_inner())
            .file_name(format!("rocks-{test}"))
            .mime_str(media_type)
            .unwrap();
        let response = app
            .client
            .post(&endpoint)
            .header(AUTHORIZATION, format!("Bearer {}", mp.token))
            .multipart(Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "test {test}");
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        let served = app.client.get(&location).send().await.unwrap();
        assert_eq!(served.status(), 200, "test {test}");
        assert_eq!(served.headers()[CONTENT_TYPE], media_type, "test {test}");
        let served = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
        assert_eq!((served.width(), served.height()), (12, 8), "test {test}");
    }
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let app = spawn_app().await;
    let mp = client(&app).await;

    // 800 is every test above; 801: the token in the form body.
    let created = app
        .client
        .post(app.url("/micropub"))
        .form(&[
            ("h", "entry"),
            ("content", "Body token"),
            ("access_token", &mp.token),
        ])
        .send()
        .await
        .unwrap();
    let url = mp.created(created).await;
    // 802: the token is never kept in the post.
    let source = mp.source(&url).await;
    assert!(!source.to_string().contains(&mp.token));

    // 803: no token.
    let refused = app
        .client
        .post(app.url("/micropub"))
        .form(&[("content", "x")])
        .send()
        .await
        .unwrap();
    assert!(refused.headers().contains_key(WWW_AUTHENTICATE));
    assert_eq!(error_of(refused, 401).await["error"], "unauthorized");
    let refused = app
        .client
        .get(app.url("/micropub?q=config"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(refused, 401).await["error"], "unauthorized");

    // 804: a token without the scope: 403 (RFC 6750; see docs/micropub.md).
    let reader = Client {
        app: &app,
        token: token(&app, "media").await,
    };
    let refused = reader.form(&[("content", "x")]).await;
    assert!(
        refused.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    let error = error_of(refused, 403).await;
    assert_eq!(error["error"], "insufficient_scope");
    assert_eq!(error["scope"], "create");

    // 805: a token in the header and the body.
    let refused = app
        .client
        .post(app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {}", mp.token))
        .form(&[("content", "x"), ("access_token", &mp.token)])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(refused, 400).await["error"], "invalid_request");

    // Unknown and revoked tokens.
    let stranger = Client {
        app: &app,
        token: "not-a-token".into(),
    };
    assert_eq!(
        error_of(stranger.query("q=config").await, 401).await["error"],
        "invalid_token"
    );
    for token in app.store().list_tokens().await.unwrap() {
        app.store()
            .revoke_token(token.id, Utc::now())
            .await
            .unwrap();
    }
    assert_eq!(
        error_of(mp.query("q=config").await, 401).await["error"],
        "invalid_token"
    );
}

#[tokio::test]
async fn unlisted_and_scheduled_posts() {
    let app = spawn_app().await;
    let mp = client(&app).await;
    let config: Value = mp.query("q=config").await.json().await.unwrap();
    assert_eq!(config["visibility"], json!(["public", "unlisted"]));

    let quiet = mp
        .created(
            mp.json(json!({"type": ["h-entry"], "properties": {
                "content": ["Only for those with the link"], "visibility": ["unlisted"]}}))
                .await,
        )
        .await;
    assert_eq!(app.get(&path(&app, &quiet)).await.status(), 200);
    assert!(!app.text("/").await.contains("Only for those"));
    let source = mp.source(&quiet).await;
    assert_eq!(source["properties"]["visibility"], json!(["unlisted"]));
    assert_eq!(source["properties"]["post-status"], json!(["published"]));

    // An update that does not name it keeps it; one that does changes it.
    let update =
        |replace: Value| json!({"action": "update", "url": quiet.clone(), "replace": replace});
    let done = mp.json(update(json!({"content": ["Still quiet"]}))).await;
    assert_eq!(done.status(), 204);
    assert_eq!(
        mp.source(&quiet).await["properties"]["visibility"],
        json!(["unlisted"])
    );
    let done = mp.json(update(json!({"visibility": ["public"]}))).await;
    assert_eq!(done.status(), 204);
    app.changed().await;
    assert!(app.text("/").await.contains("Still quiet"));

    // A date to come schedules the post; post-status=scheduled says so.
    let later = (Utc::now() + chrono::TimeDelta::days(2)).to_rfc3339();
    let scheduled = mp
        .created(
            mp.form(&[
                ("content", "Tomorrow's news"),
                ("post-status", "scheduled"),
                ("published", &later),
            ])
            .await,
        )
        .await;
    assert_eq!(app.get(&path(&app, &scheduled)).await.status(), 404);
    let listed: Value = mp
        .query("q=source&post-status=published")
        .await
        .json()
        .await
        .unwrap();
    let urls: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["properties"]["url"][0].as_str().unwrap())
        .collect();
    assert!(urls.contains(&scheduled.as_str()), "{listed}");
}

#[tokio::test]
async fn drafts_slugs_and_bad_values() {
    let app = spawn_app().await;
    let mp = client(&app).await;

    // mp-slug names the URL; a taken one gets a number.
    let url = mp
        .created(
            mp.form(&[("content", "Slugged"), ("mp-slug", "my-slug")])
                .await,
        )
        .await;
    assert_eq!(url, app.url("/note/my-slug"));
    let again = mp
        .created(
            mp.form(&[("content", "Slugged again"), ("mp-slug", "my-slug")])
                .await,
        )
        .await;
    assert_eq!(again, app.url("/note/my-slug-2"));
    let refused = mp
        .form(&[("content", "x"), ("mp-slug", "../../etc/passwd")])
        .await;
    assert!(
        error_of(refused, 400).await["error_description"]
            .as_str()
            .unwrap()
            .starts_with("mp-slug")
    );

    // A draft is nowhere on the site.
    let draft = mp
        .created(
            mp.form(&[("content", "Secret draft"), ("post-status", "draft")])
                .await,
        )
        .await;
    assert_eq!(app.get(&path(&app, &draft)).await.status(), 404);
    assert!(!app.text("/feed.xml").await.contains("Secret draft"));

    // A token with only `draft` can create drafts, never publish.
    let drafter = Client {
        app: &app,
        token: token(&app, "draft").await,
    };
    let url = drafter
        .created(drafter.form(&[("content", "Drafted by an app")]).await)
        .await;
    assert_eq!(app.get(&path(&app, &url)).await.status(), 404);
    assert_eq!(
        mp.source(&url).await["properties"]["post-status"],
        json!(["draft"])
    );

    // A published date is kept.
    let url = mp
        .created(
            mp.form(&[
                ("content", "Back-dated"),
                ("published", "2024-03-01T10:00:00Z"),
            ])
            .await,
        )
        .await;
    assert_eq!(
        mp.source(&url).await["properties"]["published"],
        json!(["2024-03-01T10:00:00Z"])
    );

    // Bad values are named, nothing is created.
    let before = app.store().list(true, true).await.unwrap().len();
    for (pairs, says) in [
        (vec![("content", "")], "content"),
        (
            vec![("content", "x"), ("post-status", "pending")],
            "post-status",
        ),
        (
            vec![("content", "x"), ("post-status", "scheduled")],
            "needs a `published` date",
        ),
        (vec![("content", "x"), ("visibility", "private")], "private"),
        (vec![("content", "x"), ("published", "soon")], "published"),
        (
            vec![("content", "x"), ("photo", "javascript:alert(1)")],
            "photo",
        ),
        (vec![("content", "x"), ("h", "event")], "h-event"),
        (vec![("content", "x"), ("action", "explode")], "explode"),
    ] {
        let error = error_of(mp.form(&pairs).await, 400).await;
        assert!(
            error["error_description"].as_str().unwrap().contains(says),
            "{pairs:?}: {error}"
        );
    }
    let refused = mp
        .app
        .client
        .post(app.url("/micropub"))
        .header(AUTHORIZATION, format!("Bearer {}", mp.token))
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(refused, 400).await["error"], "invalid_request");
    let huge = "x".repeat(5 * 1024 * 1024);
    assert_eq!(
        error_of(mp.form(&[("content", &huge)]).await, 413).await["error"],
        "invalid_request"
    );
    assert_eq!(app.store().list(true, true).await.unwrap().len(), before);
}
