//! `/admin/apps`: the owner sees the tokens and revokes them.

use chrono::Utc;
use starpunk::domain::{Scope, Scopes};
use starpunk::store::{NewToken, TokenLookup};
use starpunk::web::session::token_hash;

use crate::helpers::{select, spawn_app};

#[tokio::test]
async fn the_owner_lists_tokens_and_revokes_one() {
    let app = spawn_app().await;
    let signed = app.sign_in().await;
    let issued = app
        .store()
        .issue_token(
            &token_hash("secret"),
            &NewToken {
                name: "Quill",
                client_id: "https://quill.p3k.io/",
                scopes: Scopes::NONE.with(Scope::Create),
                me: "https://ada.example/",
                expires_at: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let page = app.owner_get(&signed, "/admin/apps").await;
    assert_eq!(page.status(), 200);
    let html = scraper::Html::parse_document(&page.text().await.unwrap());
    let rows = select(&html, "table.tokens tbody tr");
    assert_eq!(rows.len(), 1);
    let text: String = rows[0].text().collect();
    assert!(text.contains("Quill") && text.contains("quill.p3k.io") && text.contains("create"));
    assert_eq!(select(&html, r#"nav a[href="/admin/apps"]"#).len(), 1);

    let path = format!("/admin/apps/revoke/{}", issued.id);
    let forged = app
        .client
        .post(app.url(&path))
        .header("cookie", &signed.cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(matches!(
        app.store()
            .find_token(&token_hash("secret"), Utc::now())
            .await
            .unwrap(),
        TokenLookup::Live(_)
    ));

    let response = app.owner_post(&signed, &path, &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.store()
            .find_token(&token_hash("secret"), Utc::now())
            .await
            .unwrap(),
        TokenLookup::Revoked
    );
    let page = app
        .owner_get(&signed, "/admin/apps")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Access revoked."));
    assert!(page.contains("No app or script"));
    assert_eq!(app.owner_post(&signed, &path, &[]).await.status(), 404);
}

#[tokio::test]
async fn the_apps_page_needs_the_owner() {
    let app = spawn_app().await;
    let response = app.get("/admin/apps").await;
    assert_eq!(response.status(), 303);
}
