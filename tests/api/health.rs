use serde_json::Value;

use crate::helpers::{header, spawn_app};

async fn health(app: &crate::helpers::TestApp) -> (u16, Value, String) {
    let response = app.get("/health").await;
    let status = response.status().as_u16();
    let cache_control = header(&response, "cache-control");
    assert_eq!(header(&response, "content-type"), "application/json");
    (status, response.json().await.unwrap(), cache_control)
}

#[tokio::test]
async fn a_healthy_site_says_so() {
    let app = spawn_app().await;
    let (status, body, cache_control) = health(&app).await;
    assert_eq!(status, 200);
    assert_eq!(cache_control, "no-store");
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["environment"], "development");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["data_path"], "ok");
}

#[tokio::test]
async fn health_reports_the_free_space_of_the_data_folder() {
    const MIB: u64 = 1024 * 1024;
    let app = spawn_app().await;
    let (_, body, _) = health(&app).await;
    let disk = &body["disk"];
    let free = disk["free_bytes"].as_u64().expect("free_bytes is a number");
    let total = disk["total_bytes"]
        .as_u64()
        .expect("total_bytes is a number");
    assert!(total > 0 && free <= total, "{disk}");
    // The size is the folder's file system's (its free space changes as
    // others write), and the status follows the 64 MiB / 1 % rule.
    let stat = rustix::fs::statvfs(app.data_path()).unwrap();
    assert_eq!(total, stat.f_blocks * stat.f_frsize);
    let low = free < 64 * MIB || free * 100 < total;
    assert_eq!(disk["status"], if low { "low" } else { "ok" }, "{disk}");
    assert_eq!(body["status"], if low { "degraded" } else { "healthy" });
}

#[tokio::test]
async fn a_missing_data_folder_is_unhealthy() {
    let app = spawn_app().await;
    std::fs::remove_dir_all(app.data_path()).unwrap();
    let (status, body, cache_control) = health(&app).await;
    assert_eq!(status, 503);
    assert_eq!(cache_control, "no-store");
    assert_eq!(body["status"], "unhealthy");
    // A short reason for anonymous clients; the paths go to the log only.
    assert_eq!(body["checks"]["data_path"], "error: data folder missing");
    assert_eq!(body["disk"]["status"], "unknown");
}

#[tokio::test]
async fn a_data_path_that_is_a_file_is_unhealthy() {
    let app = spawn_app().await;
    std::fs::remove_dir_all(app.data_path()).unwrap();
    std::fs::write(app.data_path(), "not a folder").unwrap();
    let (status, body, _) = health(&app).await;
    assert_eq!(status, 503);
    assert!(
        body["checks"]["data_path"]
            .as_str()
            .unwrap()
            .contains("is not a folder")
    );
    std::fs::remove_file(app.data_path()).unwrap();
    std::fs::create_dir(app.data_path()).unwrap();
}

#[tokio::test]
async fn a_broken_database_is_unhealthy_and_the_site_keeps_running() {
    let app = spawn_app().await;
    // The table every page starts from disappears, as with a damaged file.
    sqlx::query("ALTER TABLE site_state RENAME TO site_state_gone")
        .execute(app.store().pool())
        .await
        .unwrap();
    let (status, body, _) = health(&app).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unhealthy");
    assert!(
        body["checks"]["database"]
            .as_str()
            .unwrap()
            .starts_with("error:")
    );
    assert_eq!(body["checks"]["data_path"], "ok");
    // Pages that need the database fail cleanly; the server still answers.
    let response = app.get("/").await;
    assert_eq!(response.status(), 500);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Something went wrong")
    );
    assert_eq!(app.get("/health").await.status(), 503);
}
