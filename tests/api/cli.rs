//! The `starpunk` binary, as the site's owner uses it.

use std::collections::HashMap;

use crate::helpers::{
    cli_with, run_with_input, spawn_app, spawn_with_socket, stderr, stdout, wait_until_healthy,
};

fn vars_for(dir: &std::path::Path) -> HashMap<String, String> {
    HashMap::from([
        ("DATA_PATH".into(), dir.display().to_string()),
        ("SITE_URL".into(), "https://notes.example".into()),
    ])
}

fn starpunk(vars: &HashMap<String, String>, args: &[&str], input: &str) -> std::process::Output {
    run_with_input(cli_with(vars).args(args), input)
}

/// `starpunk note import FOLDER`, which must succeed.
fn import_folder(vars: &HashMap<String, String>, folder: &std::path::Path) -> std::process::Output {
    let output = starpunk(vars, &["note", "import", folder.to_str().unwrap()], "");
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

#[test]
fn note_new_prints_only_the_permalink() {
    let dir = tempfile::tempdir().unwrap();
    let vars = vars_for(dir.path());
    let output = starpunk(&vars, &["note", "new"], "My very first note from the CLI");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "https://notes.example/note/my-very-first-note-from\n"
    );

    let file = dir.path().join("input.md");
    std::fs::write(&file, "From a file").unwrap();
    let output = starpunk(
        &vars,
        &[
            "note",
            "new",
            "--slug",
            "custom-one",
            file.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(stdout(&output), "https://notes.example/note/custom-one\n");

    let output = starpunk(
        &vars,
        &[
            "note",
            "new",
            "--draft",
            "--published-at",
            "2020-01-02T03:04:05Z",
            "-",
        ],
        "Backdated draft",
    );
    assert!(output.status.success(), "{}", stderr(&output));

    let list = starpunk(&vars, &["note", "list", "--json", "--drafts"], "");
    let notes: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let notes = notes.as_array().unwrap();
    assert_eq!(notes.len(), 3);
    let draft = notes
        .iter()
        .find(|n| n["slug"] == "backdated-draft")
        .unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["published_at"], "2020-01-02T03:04:05Z");
    let published = starpunk(&vars, &["note", "list", "--json"], "");
    let published: serde_json::Value = serde_json::from_slice(&published.stdout).unwrap();
    assert_eq!(
        published.as_array().unwrap().len(),
        2,
        "drafts only with --drafts"
    );
}

#[test]
fn bad_input_is_one_clear_line_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let vars = vars_for(dir.path());
    for (args, input, expected) in [
        (vec!["note", "new"], "   \n", "the note is empty"),
        (vec!["note", "new", "--slug", "admin"], "x", "reserved"),
        (
            vec!["note", "new", "--slug", "Not Valid"],
            "x",
            "may only contain",
        ),
        (
            vec!["note", "new", "--published-at", "yesterday"],
            "x",
            "RFC 3339",
        ),
        (
            vec!["note", "new", "/no/such/file.md"],
            "",
            "cannot read /no/such/file.md",
        ),
        (
            vec!["note", "edit", "missing", "-"],
            "x",
            "no note has the slug \"missing\"",
        ),
        (
            vec!["note", "publish", "missing"],
            "",
            "no note has the slug",
        ),
        (
            vec!["note", "delete", "missing"],
            "",
            "no note has the slug",
        ),
    ] {
        let output = starpunk(&vars, &args, input);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = stderr(&output);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn bad_settings_exit_2_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in [
        ("PORT", "http"),
        ("SITE_URL", "example.com"),
        ("FEED_MAX_ITEMS", "0"),
        ("ENVIRONMENT", "prod"),
    ] {
        let mut vars = vars_for(dir.path());
        vars.insert(var.into(), value.into());
        let output = starpunk(&vars, &["note", "list"], "");
        assert_eq!(output.status.code(), Some(2), "{var}");
        let err = stderr(&output);
        assert!(
            err.starts_with(&format!("starpunk: configuration error: {var}:")),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1);
    }
}

#[test]
fn a_data_path_that_cannot_be_created_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let vars = vars_for(&blocker.join("data"));
    let output = starpunk(&vars, &["note", "list"], "");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("cannot create folder") && err.contains("a-file/data") && err.contains("uid"),
        "{err}"
    );
}

#[test]
fn edit_publish_unpublish_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let vars = vars_for(dir.path());
    starpunk(
        &vars,
        &["note", "new", "--slug", "life", "--draft"],
        "Version one",
    );
    let path = |slug: &str| -> std::path::PathBuf {
        let list: serde_json::Value = serde_json::from_slice(
            &starpunk(
                &vars,
                &["note", "list", "--json", "--drafts", "--deleted"],
                "",
            )
            .stdout,
        )
        .unwrap();
        let note = list
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["slug"] == slug)
            .unwrap()
            .clone();
        dir.path()
            .join("notes")
            .join(note["file_path"].as_str().unwrap())
    };
    let output = starpunk(&vars, &["note", "edit", "life", "-"], "Version two");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(path("life")).unwrap(),
        "Version two"
    );

    let output = starpunk(&vars, &["note", "publish", "life"], "");
    assert_eq!(stdout(&output), "https://notes.example/note/life\n");
    let status = |vars: &HashMap<String, String>| -> String {
        let list: serde_json::Value = serde_json::from_slice(
            &starpunk(
                vars,
                &["note", "list", "--json", "--drafts", "--deleted"],
                "",
            )
            .stdout,
        )
        .unwrap();
        list[0]["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(status(&vars), "published");
    assert!(
        starpunk(&vars, &["note", "unpublish", "life"], "")
            .status
            .success()
    );
    assert_eq!(status(&vars), "draft");
    assert!(
        starpunk(&vars, &["note", "delete", "life"], "")
            .status
            .success()
    );
    assert_eq!(status(&vars), "deleted");
    let file = path("life");
    assert!(file.exists());
    assert!(
        starpunk(&vars, &["note", "delete", "life", "--hard"], "")
            .status
            .success()
    );
    assert!(!file.exists());
    let check = starpunk(&vars, &["check"], "");
    assert!(check.status.success(), "{}", stderr(&check));
}

#[test]
fn import_reads_a_folder_with_front_matter() {
    let dir = tempfile::tempdir().unwrap();
    let source = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(source.path().join("2024")).unwrap();
    std::fs::write(
        source.path().join("a.md"),
        "---\nslug: trip\ndate: 2024-05-01\n---\nOn a trip",
    )
    .unwrap();
    std::fs::write(
        source.path().join("2024/b.md"),
        "---\ndraft: true\n---\nA draft",
    )
    .unwrap();
    std::fs::write(source.path().join("c.md"), "Plain note").unwrap();
    std::fs::write(
        source.path().join("d.md"),
        "---\nslug: trip\n---\nSame slug",
    )
    .unwrap();
    std::fs::write(source.path().join("ignored.txt"), "not markdown").unwrap();
    let vars = vars_for(dir.path());
    let output = import_folder(&vars, source.path());
    assert!(stderr(&output).contains("imported 4 notes"));
    let list: serde_json::Value = serde_json::from_slice(
        &starpunk(&vars, &["note", "list", "--json", "--drafts"], "").stdout,
    )
    .unwrap();
    let mut slugs: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect();
    slugs.sort();
    assert_eq!(slugs, vec!["a-draft", "plain-note", "trip", "trip-2"]);
    let trip = list
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["slug"] == "trip")
        .unwrap();
    assert_eq!(trip["published_at"], "2024-05-01T00:00:00Z");
    assert_eq!(trip["file_path"], "2024/05/trip.md");
    assert!(starpunk(&vars, &["check"], "").status.success());
}

#[test]
fn import_never_writes_over_a_stray_file_and_names_its_note_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let source = tempfile::tempdir().unwrap();
    let stray = dir.path().join("notes/2024/05/trip.md");
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, "Written by hand").unwrap();
    for (file, text) in [
        ("a.md", "---\nslug: trip\ndate: 2024-05-01\n---\nOn a trip"),
        ("b.md", "---\nslug: walk\ndate: 2024-05-02\n---\nOn a walk"),
    ] {
        std::fs::write(source.path().join(file), text).unwrap();
    }
    let vars = vars_for(dir.path());
    let output = import_folder(&vars, source.path());
    assert!(stderr(&output).contains("imported 2 notes"));
    assert_eq!(std::fs::read_to_string(&stray).unwrap(), "Written by hand");
    let list: serde_json::Value =
        serde_json::from_slice(&starpunk(&vars, &["note", "list", "--json"], "").stdout).unwrap();
    let mut notes: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let (slug, file) = (n["slug"].as_str(), n["file_path"].as_str());
            (slug.unwrap().to_owned(), file.unwrap().to_owned())
        })
        .collect();
    notes.sort();
    assert_eq!(
        notes,
        [
            ("trip-2".to_owned(), "2024/05/trip-2.md".to_owned()),
            ("walk".to_owned(), "2024/05/walk.md".to_owned())
        ]
    );
    let trip = std::fs::read_to_string(dir.path().join("notes/2024/05/trip-2.md")).unwrap();
    assert_eq!(trip, "On a trip");
    let leftovers: Vec<_> = std::fs::read_dir(stray.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn import_refuses_everything_if_one_file_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let source = tempfile::tempdir().unwrap();
    std::fs::write(source.path().join("good.md"), "Good").unwrap();
    std::fs::write(source.path().join("bad.md"), "---\nslug: Bad Slug\n---\nx").unwrap();
    let vars = vars_for(dir.path());
    let output = starpunk(
        &vars,
        &["note", "import", source.path().to_str().unwrap()],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("bad.md"), "{}", stderr(&output));
    assert!(stderr(&output).contains("nothing imported"));
    let list = starpunk(&vars, &["note", "list", "--json", "--drafts"], "");
    assert_eq!(stdout(&list).trim(), "[]");
}

#[test]
fn check_reports_problems_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let vars = vars_for(dir.path());
    starpunk(&vars, &["note", "new", "--slug", "one"], "One");
    assert!(starpunk(&vars, &["check"], "").status.success());
    std::fs::write(dir.path().join("notes/stray.md"), "?").unwrap();
    let output = starpunk(&vars, &["check"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("unknown file: stray.md"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn two_processes_migrating_a_new_database_at_once_both_succeed() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let vars = vars_for(dir.path());
        let children: Vec<_> = (0..4)
            .map(|_| {
                cli_with(&vars)
                    .arg("migrate")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{}", stderr(&output));
        }
    }
}

#[test]
fn version_and_help() {
    let vars = HashMap::new();
    let output = starpunk(&vars, &["version"], "");
    assert_eq!(
        stdout(&output),
        format!("starpunk {}\n", env!("CARGO_PKG_VERSION"))
    );
    for args in [
        vec!["--help"],
        vec!["note", "--help"],
        vec!["note", "import", "--help"],
        vec!["healthcheck", "--help"],
    ] {
        let output = starpunk(&vars, &args, "");
        assert!(output.status.success(), "{args:?}");
        assert!(stdout(&output).contains("Usage:"));
    }
    let output = starpunk(&vars, &["no-such-command"], "");
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn healthcheck_asks_the_running_server() {
    let app = spawn_app().await;
    let output = tokio::task::spawn_blocking({
        let mut command = app.cli();
        move || command.arg("healthcheck").output().unwrap()
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));

    std::fs::remove_dir_all(app.data_path()).unwrap();
    // Folder checks are reused for up to a second: ask until it shows.
    let mut output;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        output = tokio::task::spawn_blocking({
            let mut command = app.cli();
            move || command.arg("healthcheck").output().unwrap()
        })
        .await
        .unwrap();
        if output.status.code() != Some(0) || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("503"), "{}", stderr(&output));

    // A port that hangs up at once: held for the whole test, so no other
    // program can be listening there instead.
    let hangs_up = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hangs_up.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for connection in hangs_up.incoming() {
            drop(connection);
        }
    });
    let output = cli_with(&HashMap::new())
        .args([
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{port}/health"),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot reach"));
}

/// Notes big enough that the feed (about 10 MB) cannot sit in the kernel's
/// socket buffers: while a slow client reads it, the server is still
/// writing.
fn import_big_notes(vars: &HashMap<String, String>) -> usize {
    let source = tempfile::tempdir().unwrap();
    let paragraph = "All work and no play makes a long feed. ".repeat(25);
    let count = 20;
    for i in 0..count {
        let text = format!(
            "# Big note {i}\n\n{}",
            format!("{paragraph}\n\n").repeat(500)
        );
        std::fs::write(source.path().join(format!("big-{i}.md")), text).unwrap();
    }
    let output = starpunk(
        vars,
        &["note", "import", source.path().to_str().unwrap()],
        "",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    count
}

/// Sends one request and reads the whole response, `Connection: close`.
async fn fetch(port: u16, path: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    answer
}

fn split_response(answer: &[u8]) -> (String, &[u8]) {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    (
        String::from_utf8_lossy(&answer[..end]).into_owned(),
        &answer[end + 4..],
    )
}

#[tokio::test]
async fn serve_finishes_a_slow_request_after_sigterm_and_checkpoints_the_database() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let mut vars = vars_for(dir.path());
    vars.insert("RUST_LOG".into(), "info".into());
    vars.insert("WORKERS".into(), "1".into());
    let notes = import_big_notes(&vars);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = spawn_with_socket(
        cli_with(&vars)
            .arg("serve")
            .stderr(std::process::Stdio::piped()),
        &listener,
    );
    drop(listener);
    let healthy_vars = vars.clone();
    tokio::task::spawn_blocking(move || wait_until_healthy(&healthy_vars, port))
        .await
        .unwrap();
    // Rendered once now, so that the slow read below measures nothing but
    // the transfer.
    let warm = fetch(port, "/feed.xml").await;
    let (head, body) = split_response(&warm);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let full_length = body.len();
    assert!(full_length > 8_000_000, "feed of {full_length} bytes");

    // A client with a tiny receive window that reads slowly.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut slow = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    slow.write_all(b"GET /feed.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = vec![0u8; 4096];
    slow.read_exact(&mut answer).await.unwrap();
    // Now at most a few MB of the feed can be in the kernel's buffers (the
    // sender's grows to 4 MB at most), so the server is still writing the
    // rest when the signal arrives.

    let kill = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let n = slow.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
        // Slow, but well inside the grace period (a few KB each time).
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let (slow_head, slow_body) = split_response(&answer);
    assert!(slow_head.starts_with("HTTP/1.1 200"), "{slow_head}");
    assert_eq!(slow_body.len(), full_length, "the whole feed arrived");
    let feed = feed_rs::parser::parse(slow_body).expect("the feed parses");
    assert_eq!(feed.entries.len(), notes);

    let status = tokio::task::spawn_blocking(move || {
        let status = server.0.wait().unwrap();
        let mut log = String::new();
        std::io::Read::read_to_string(server.0.stderr.as_mut().unwrap(), &mut log).unwrap();
        (status, log)
    })
    .await
    .unwrap();
    let (status, log) = status;
    assert!(status.success(), "exit status {status:?}\n{log}");
    assert!(log.contains("stopped"), "{log}");
    // Closing the last connection checkpointed the write-ahead log.
    let wal = dir.path().join("starpunk.db-wal");
    let wal_size = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert_eq!(
        wal_size,
        0,
        "{} still holds {wal_size} bytes",
        wal.display()
    );
}

#[test]
fn serve_on_a_port_in_use_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut vars = vars_for(dir.path());
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    vars.insert("PORT".into(), busy.local_addr().unwrap().port().to_string());
    let output = cli_with(&vars).arg("serve").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot listen on 127.0.0.1:"),
        "{}",
        stderr(&output)
    );
}

/// Root may write anywhere, so as root the server runs as `nobody` here
/// (through `setpriv`) to meet a folder it truly cannot write.
#[test]
fn an_unwritable_data_folder_makes_the_server_unhealthy() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let as_root = rustix::process::geteuid().is_root();
    if as_root {
        std::os::unix::fs::chown(&data, Some(65534), Some(65534)).unwrap();
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let vars = vars_for(&data);
    let mut command = if as_root {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_starpunk"),
        ]);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in &vars {
            c.env(k, v);
        }
        c.current_dir(dir.path());
        c
    } else {
        cli_with(&vars)
    };
    let server = spawn_with_socket(
        command.arg("serve").stderr(std::process::Stdio::null()),
        &listener,
    );
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/health");
    let health = || {
        cli_with(&vars)
            .args(["healthcheck", "--url", &url])
            .output()
            .unwrap()
    };
    wait_until_healthy(&vars, port);

    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Folder checks are reused for up to a second: ask until it shows.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut output = health();
    while output.status.code() == Some(0) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        output = health();
    }
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    drop(server);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("503") && err.contains("data folder is not writable"),
        "{err}"
    );
}

#[tokio::test]
async fn login_link_prints_a_link_that_signs_the_owner_in_once() {
    let app = spawn_app().await;
    let vars = app.vars.clone();
    let output = tokio::task::spawn_blocking(move || starpunk(&vars, &["login-link"], ""))
        .await
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let link = stdout(&output).trim().to_owned();
    assert!(
        link.starts_with(&format!("{}/auth/link/", app.address)),
        "{link}"
    );
    assert!(stderr(&output).contains("once"));
    let first = app.client.post(&link).send().await.unwrap();
    assert_eq!(first.status(), 303);
    assert!(crate::owner::session_cookie(&first).is_some());
    assert_eq!(app.client.post(&link).send().await.unwrap().status(), 400);
}
