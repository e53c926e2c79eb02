//! Secrets at rest: header secret values, signing secrets and the session key are stored
//! sealed under a key kept outside the database. A copy of the database alone gives none of
//! them; the key can be rotated; a missing or wrong key stops the start with a clear error.

use hookline::{execute_on, on_db};
use std::path::Path;
use std::process::Stdio;

use reqwest::StatusCode;

use crate::helpers::*;
use crate::process::{Server, hookline, run};
use crate::webhooks::{create as create_webhook, form_with};

const SECRET_VALUE: &str = "Bearer do-not-leak-7f3a";

/// Every byte of the database and its log, as someone who copied the files would read them.
/// Everything the database holds, as a copy of it would: SQLite's files, or on PostgreSQL
/// every row of every table as text.
async fn raw_content(app: &TestApp, db: &Path) -> Vec<u8> {
    if !on_postgres() {
        return raw_files(db);
    }
    let tables: Vec<String> = on_db!(&app.state.store, ex => sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(ex)
    .await)
    .unwrap();
    let mut all = Vec::new();
    for table in tables {
        let rows: String = on_db!(&app.state.store, ex => sqlx::query_scalar(sqlx::AssertSqlSafe(
            format!("SELECT COALESCE(string_agg(t::text, ','), '') FROM \"{table}\" t")
        ))
        .fetch_one(ex)
        .await)
        .unwrap();
        all.extend(rows.into_bytes());
    }
    all
}

fn raw_files(db: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&path) {
            all.extend(bytes);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn webhook_with_secret(app: &TestApp) -> i64 {
    let admin = app.admin().await;
    create_webhook(
        app,
        &admin,
        &form_with(&[
            ("header_name", "Authorization"),
            ("header_value", SECRET_VALUE),
            ("header_kind", "secret"),
        ]),
    )
    .await
}

#[tokio::test]
async fn a_copy_of_the_database_alone_holds_no_usable_secret() {
    let app = spawn_app().await;
    let id = webhook_with_secret(&app).await;
    let signing = app.signing_secret(id).await;
    assert_eq!(app.header_values(id).await[0], SECRET_VALUE);
    let db = app.dir.path().join("hookline.db");
    let raw = raw_content(&app, &db).await;
    assert!(!raw.is_empty());
    assert!(!contains(&raw, SECRET_VALUE), "the header secret is sealed");
    assert!(!contains(&raw, &signing), "the signing secret is sealed");
    assert!(!contains(&raw, "whsec_"));
    let stored: String =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT signing_secret FROM webhooks")
        .fetch_one(ex)
        .await)
        .unwrap();
    assert!(stored.starts_with("hkl1:"), "{stored}");

    // The key is beside the database, readable by its owner only.
    let key_file = app.dir.path().join("hookline.db.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn without_its_key_a_database_does_not_start_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    run(
        &db,
        &[
            "user",
            "add",
            "--email",
            "a@example.com",
            "--name",
            "A",
            "--role",
            "Viewer",
        ],
    );
    let key_file = dir.path().join("h.db.key");
    assert!(key_file.exists(), "made on the first start");
    let moved = dir.path().join("elsewhere.key");
    std::fs::rename(&key_file, &moved).unwrap();
    let out = hookline(&db)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("which is missing") && err.contains("h.db.key"),
        "{err}"
    );
    assert!(!key_file.exists(), "no new key was made in its place");

    // The wrong key, given in the environment: refused too.
    let other = run(&db, &["secrets", "new-key"]);
    let out = hookline(&db)
        .env("HOOKLINE_SECRET_KEY", other.trim())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not fit this database"), "{err}");

    // The right key named by its file: it starts.
    let out = hookline(&db)
        .arg("--secret-key-file")
        .arg(&moved)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn rotating_the_key_seals_everything_again_and_drops_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let server = Server::start(&db, &[], Stdio::null());
    let (client, csrf) = server.signed_in().await;
    let mut form = form_with(&[
        ("header_name", "Authorization"),
        ("header_value", SECRET_VALUE),
        ("header_kind", "secret"),
    ]);
    form.push(("csrf_token", csrf));
    let res = client
        .post(server.url("/webhooks/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    drop(server);
    let key_file = dir.path().join("h.db.key");
    let before = std::fs::read_to_string(&key_file).unwrap();

    let said = run(&db, &["secrets", "rotate-key"]);
    assert!(said.contains("sealed under the new key"), "{said}");
    let after = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(before, after);
    let keys: Vec<&str> = after.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(keys.len(), 1, "only the new key is left");

    // Everything opens with the new key alone: the server starts and shows the webhook.
    let server = Server::start(&db, &[], Stdio::null());
    let (client, _) = server.signed_in().await;
    let page = client.get(server.url("/webhooks/1")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    drop(server);
    // And the old key alone no longer does.
    let old_key = before.lines().find(|l| !l.starts_with('#')).unwrap();
    let out = hookline(&db)
        .env("HOOKLINE_SECRET_KEY", old_key)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn keys_from_the_environment_are_rotated_with_reencrypt() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let old = run(&db, &["secrets", "new-key"]).trim().to_owned();
    let new = run(&db, &["secrets", "new-key"]).trim().to_owned();
    let with = |keys: &str, args: &[&str]| {
        let out = hookline(&db)
            .env("HOOKLINE_SECRET_KEY", keys)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert!(with(&old, &["seed", "--webhooks", "3"]).0);
    assert!(
        !dir.path().join("h.db.key").exists(),
        "no key file with given keys"
    );
    let (ok, said) = with(&format!("{new},{old}"), &["secrets", "reencrypt"]);
    assert!(ok && said.starts_with("3 stored secret(s)"), "{said}");
    assert!(
        with(&new, &["audit", "verify"]).0,
        "the new key alone opens it all"
    );
    assert!(!with(&old, &["audit", "verify"]).0);
    let (ok, _) = with(&new, &["secrets", "rotate-key"]);
    assert!(!ok, "rotate-key needs a key file");
}

#[tokio::test]
async fn secrets_stored_before_sealing_are_sealed_on_the_first_start() {
    let app = spawn_app().await;
    let id = webhook_with_secret(&app).await;
    let signing = app.signing_secret(id).await;
    let pool = app.state.store.clone();
    // As a version before sealing left them: plaintext, no key check, no key file.
    execute_on!(
        &pool,
        sqlx::query("UPDATE webhooks SET signing_secret = $1").bind(&signing)
    )
    .unwrap();
    execute_on!(
        &pool,
        sqlx::query("UPDATE webhook_headers SET value = $1 WHERE secret").bind(SECRET_VALUE)
    )
    .unwrap();
    execute_on!(
        &pool,
        sqlx::query("DELETE FROM settings WHERE key = 'secret_key_check'")
    )
    .unwrap();
    std::fs::remove_file(app.dir.path().join("hookline.db.key")).unwrap();

    let again = start(base_settings(&app.dir), tempfile::tempdir().unwrap()).await;
    assert_eq!(again.signing_secret(id).await, signing);
    assert_eq!(again.header_values(id).await[0], SECRET_VALUE);
    let sealed: String = on_db!(&again.state.store, ex => sqlx::query_scalar("SELECT value FROM webhook_headers WHERE secret")
        .fetch_one(ex)
        .await)
        .unwrap();
    assert!(sealed.starts_with("hkl1:"), "{sealed}");
}
