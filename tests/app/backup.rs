//! Backups: `hookline backup FILE` copies a running Hookline on SQLite consistently, and
//! after a clean stop the database file alone holds everything. On PostgreSQL, whose own
//! tools back it up, the command says so.

use hookline::on_db;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::*;
use crate::process::{Server, hookline, hookline_sqlite, run_sqlite};
use crate::webhooks::form_with;

/// Creates a webhook through the running server's form.
async fn add_webhook(server: &Server, wording: &str) {
    let (client, csrf) = server.signed_in().await;
    let mut form = form_with(&[("wording", wording)]);
    form.push(("csrf_token", csrf));
    let res = client
        .post(server.url("/webhooks/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// The webhooks' wordings in the database `db`, which opens with the key file `key`.
async fn wordings(db: &Path, key: &Path) -> String {
    let out = hookline_sqlite(db)
        .arg("--secret-key-file")
        .arg(key)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pool = hookline::db::Store::open(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let wordings: Vec<String> =
        on_db!(&pool, ex => sqlx::query_scalar("SELECT wording FROM webhooks ORDER BY id")
        .fetch_all(ex)
        .await)
        .unwrap();
    wordings.join(",")
}

#[tokio::test]
async fn a_running_hookline_is_backed_up_consistently() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let server = Server::start_sqlite(&db, &[], Stdio::null());
    add_webhook(&server, "Backed up").await;
    let copy = dir.path().join("copy.db");
    let said = run_sqlite(&db, &["backup", copy.to_str().unwrap()]);
    assert!(
        said.contains("Backup written") && said.contains("key"),
        "{said}"
    );
    add_webhook(&server, "After the backup").await;
    assert_eq!(
        wordings(&copy, &dir.path().join("h.db.key")).await,
        "Backed up"
    );
    // An existing file is never overwritten.
    let out = hookline_sqlite(&db)
        .args(["backup", copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists already"));
}

#[tokio::test]
async fn after_a_clean_stop_the_database_file_alone_holds_everything() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let mut server = Server::start_sqlite(&db, &[], Stdio::null());
    add_webhook(&server, "Kept").await;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wal = std::fs::metadata(dir.path().join("h.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the log was copied into the database file");
    // The file alone, copied elsewhere, has the webhook.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    assert_eq!(wordings(&copy, &dir.path().join("h.db.key")).await, "Kept");
}

#[tokio::test]
async fn on_postgresql_the_backup_command_points_to_pg_dump() {
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let out = hookline(&db)
        .args(["backup", dir.path().join("copy").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}
