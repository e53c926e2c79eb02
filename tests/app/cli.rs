//! The binary itself: help, the first start, user management from the shell, and logs that
//! never show a password.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_hookline");

fn hookline(db: impl AsRef<std::path::Path>) -> Command {
    crate::process::hookline(db.as_ref())
}

#[test]
fn help_lists_every_subcommand_and_setting() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for word in ["serve", "user", "--database-url", "HOOKLINE_DATABASE_URL"] {
        assert!(text.contains(word), "--help mentions {word}");
    }
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for word in [
        "HOOKLINE_BIND",
        "HOOKLINE_PUBLIC_URL",
        "HOOKLINE_ADMIN_EMAIL",
        "HOOKLINE_SESSION_IDLE_MINUTES",
        "HOOKLINE_SESSION_ABSOLUTE_HOURS",
        "HOOKLINE_DATABASE_CONNECTIONS",
    ] {
        assert!(text.contains(word), "serve --help mentions {word}");
    }
}

#[test]
fn a_bad_setting_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let out = hookline(db.to_str().unwrap())
        .args(["serve", "--session-idle-minutes", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("session-idle-minutes"));
    let out = hookline(db.to_str().unwrap())
        .env("HOOKLINE_DATABASE_URL", "mysql://x/y")
        .args(["serve"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
    // A PostgreSQL server that is not there: said at once, naming the database.
    let out = hookline(db.to_str().unwrap())
        .env(
            "HOOKLINE_DATABASE_URL",
            "postgres://hookline@127.0.0.1:1/nowhere",
        )
        .args(["serve"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot connect to the database") && err.contains("127.0.0.1:1"),
        "{err}"
    );
}

#[tokio::test]
async fn serve_creates_the_database_prints_where_to_sign_in_and_logs_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh.db");
    let mut child = hookline(db.to_str().unwrap())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = stdout.next().expect("a line").unwrap();
        printed.push(line.clone());
        if let Some(url) = line.strip_prefix("Hookline is running. Sign in at ") {
            break url.to_owned();
        }
    };
    let password = printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .and_then(|l| l.split_whitespace().next())
        .expect("the generated password is printed")
        .to_owned();
    assert!(printed.iter().any(|l| l.contains("admin@localhost")));
    assert!(on_postgres() || db.exists(), "the SQLite file is made");

    let base = url.trim_end_matches("/sign-in").to_owned();
    let client = client();
    let page = client.get(&url).send().await.unwrap().text().await.unwrap();
    let token = csrf_in(&page);
    let res = client
        .post(&url)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "admin@localhost"),
            ("password", &password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/account/password");
    let page = client
        .get(format!("{base}/account/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_in(&page);
    let new = "the new admin password";
    let res = client
        .post(format!("{base}/account/password"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("current_password", &password),
            ("new_password", new),
            ("new_password_confirm", new),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A failed sign-in with a guessable password, to see that it is not logged either.
    let res = client
        .post(&url)
        .form(&[
            ("csrf_token", "x"),
            ("email", "a@b.c"),
            ("password", "guess-password-xyz"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("path=/sign-in"), "one line per request");
    for secret in [password.as_str(), new, "guess-password-xyz"] {
        assert!(!log.contains(secret), "the log shows a password");
    }
    assert!(!log.contains(&token), "the log shows a CSRF token");
}

#[tokio::test]
async fn user_add_and_reset_password_from_the_shell() {
    let app = spawn_app().await;
    let db = app.dir.path().join("hookline.db");
    let db = db.to_str().unwrap();
    let out = hookline(db)
        .args([
            "user",
            "add",
            "--email",
            "Shell@Example.com",
            "--name",
            "Shell User",
            "--role",
            "Viewer",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let password = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let client = client();
    let res = app.sign_in(&client, "shell@example.com", &password).await;
    assert_eq!(
        location(&res),
        "/account/password",
        "a generated password must be changed"
    );

    let out = hookline(db)
        .args(["user", "reset-password", "--email", "shell@example.com"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let reset = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(reset, password);
    assert_eq!(
        app.get(&client, "/account/password").await.status(),
        StatusCode::SEE_OTHER,
        "sessions ended"
    );
    let res = app
        .sign_in(&crate::helpers::client(), "shell@example.com", &reset)
        .await;
    assert_eq!(location(&res), "/account/password");

    // Mistakes get clear errors and change nothing.
    let out = hookline(db)
        .args([
            "user",
            "add",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "Nope",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no role is named \"Nope\""));
    let out = hookline(db)
        .args(["user", "reset-password", "--email", "ghost@example.com"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no user has the email ghost@example.com")
    );
    let out = hookline(db)
        .args([
            "user", "add", "--email", "bad", "--name", "X", "--role", "Viewer",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("Enter a valid email address"));
}

#[test]
fn db_copy_refuses_bad_targets_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let url = format!("sqlite://{}", db.display());
    let copy = |from: &str, to: &str| {
        hookline(&db)
            .args(["db", "copy", "--from", from, "--to", to])
            .output()
            .unwrap()
    };
    let out = copy(&url, &url);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the same database"));
    let out = copy(&url, "mysql://x/y");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
    // Into a database in use: refused, nothing written.
    let other = dir.path().join("other.db");
    let other_url = format!("sqlite://{}", other.display());
    crate::process::stdout_of(
        hookline(&other)
            .env("HOOKLINE_DATABASE_URL", &other_url)
            .args(["user", "add", "--email", "a@example.com", "--name", "A"])
            .args(["--role", "Viewer"]),
    );
    let out = copy(&url, &other_url);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty (1 rows in users)"));
}
