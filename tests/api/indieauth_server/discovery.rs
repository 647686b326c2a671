//! How apps find the endpoints: HTML links, the home page's `Link`
//! header, and the metadata document.

use starpunk::outbound::parse_link_header;

use crate::helpers::{header, select, spawn_app};

#[tokio::test]
async fn every_page_and_the_home_link_header_name_the_endpoints() {
    let app = spawn_app().await;
    let note = app.publish("Hello").await;
    let note_path = format!("/note/{}", note.slug);
    let expected = [
        ("micropub", app.url("/micropub")),
        (
            "indieauth-metadata",
            app.url("/.well-known/oauth-authorization-server"),
        ),
        ("authorization_endpoint", app.url("/auth/authorize")),
        ("token_endpoint", app.url("/auth/token")),
    ];
    for path in ["/", "/tags", note_path.as_str()] {
        let html = scraper::Html::parse_document(&app.text(path).await);
        for (rel, href) in &expected {
            let links = select(&html, &format!(r#"head link[rel="{rel}"]"#));
            assert_eq!(links.len(), 1, "{path} {rel}");
            assert_eq!(links[0].value().attr("href"), Some(href.as_str()), "{path}");
        }
    }
    let home = app.get("/").await;
    let links = parse_link_header(&header(&home, "link"));
    for (rel, href) in &expected {
        let link = links
            .iter()
            .find(|l| l.rels.iter().any(|r| r == rel))
            .unwrap_or_else(|| panic!("no {rel} in the Link header"));
        assert_eq!(&link.target, href);
    }
}

#[tokio::test]
async fn the_metadata_document_describes_the_server() {
    let app = spawn_app().await;
    let response = app.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").starts_with("application/json"));
    assert!(header(&response, "cache-control").contains("max-age"));
    let metadata: serde_json::Value = response.json().await.unwrap();
    assert_eq!(metadata["issuer"], app.url("/"));
    assert_eq!(
        metadata["authorization_endpoint"],
        app.url("/auth/authorize")
    );
    assert_eq!(metadata["token_endpoint"], app.url("/auth/token"));
    assert_eq!(
        metadata["introspection_endpoint"],
        app.url("/auth/introspect")
    );
    assert_eq!(metadata["revocation_endpoint"], app.url("/auth/revoke"));
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        metadata["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(
        metadata["introspection_endpoint_auth_methods_supported"],
        serde_json::json!(["Bearer"])
    );
    let scopes = metadata["scopes_supported"].as_array().unwrap();
    for scope in [
        "create", "update", "delete", "undelete", "media", "draft", "profile",
    ] {
        assert!(scopes.contains(&serde_json::json!(scope)), "{scope}");
    }
    // The issuer is a prefix of the metadata URL (IndieAuth § 4.1.1).
    assert!(
        app.url("/.well-known/oauth-authorization-server")
            .starts_with(metadata["issuer"].as_str().unwrap())
    );
}
