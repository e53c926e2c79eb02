//! `hookline db copy`: a filled Hookline moves from SQLite to PostgreSQL and back with one
//! command — same rows, same deliveries waiting, the history's chain intact, secrets that
//! open with the same key — and never into a database already in use.

use std::path::Path;
use std::time::Duration;

use hookline::on_db;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::process::{hookline, hookline_sqlite, stdout_of};
use crate::receiver::Receiver;

/// What a copy must keep: rows in every table, each delivery's message id and state, and
/// the webhooks with their (sealed) secrets.
async fn contents(store: &hookline::db::Store) -> Vec<String> {
    let mut all = Vec::new();
    for table in hookline::db::copy::TABLES {
        let n: i64 = on_db!(store, ex => sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(ex)
            .await)
        .unwrap();
        all.push(format!("{table}: {n}"));
    }
    let deliveries: Vec<(i64, String, String, i64)> = on_db!(store, ex => sqlx::query_as(
        "SELECT id, message_id, status, attempts FROM deliveries ORDER BY id"
    )
    .fetch_all(ex)
    .await)
    .unwrap();
    all.extend(deliveries.iter().map(|d| format!("{d:?}")));
    let webhooks: Vec<(i64, String, String, bool)> = on_db!(store, ex => sqlx::query_as(
        "SELECT id, wording, signing_secret, active FROM webhooks ORDER BY id"
    )
    .fetch_all(ex)
    .await)
    .unwrap();
    all.extend(webhooks.iter().map(|w| format!("{w:?}")));
    all
}

fn copy(from: &str, to: &str, key: &Path) -> std::process::Output {
    hookline_sqlite(Path::new("unused.db"))
        .env("HOOKLINE_SECRET_KEY_FILE", key)
        .args(["db", "copy", "--from", from, "--to", to])
        .output()
        .unwrap()
}

fn audit(cmd: &mut std::process::Command) -> String {
    stdout_of(cmd.args(["audit", "verify"]))
}

#[tokio::test]
async fn a_filled_hookline_moves_to_postgresql_and_back_with_one_command() {
    if !on_postgres() {
        return;
    }
    // A SQLite Hookline with some of everything: users, a token, webhooks with a secret
    // header, changes, deliveries delivered and waiting, saved filters, history.
    let app = spawn_sqlite_app().await;
    let admin = app.admin().await;
    app.create_user(&admin, "viewer@example.com", VIEWER).await;
    let receiver = Receiver::start().await;
    let form = crate::webhooks::form_with(&[
        ("url", &format!("{}/copied", receiver.url)),
        ("event_action", "all"),
        ("header_name", "Authorization"),
        ("header_value", "Bearer moved-along"),
        ("header_kind", "secret"),
    ]);
    crate::webhooks::create(&app, &admin, &form).await;
    let project = crate::events::create_project(&app, &admin, "MOVE", &[]).await;
    app.add_phase(&admin, project, "Design").await;
    while app.state.deliverer.run_once().await.unwrap() > 0 {}
    receiver.wait_for(1, Duration::from_secs(10)).await;
    crate::events::create_project(&app, &admin, "WAITING", &[]).await;
    app.post(
        &admin,
        "/project-filters",
        &[
            ("name", "Mine"),
            ("visibility", "private"),
            ("field", "budget"),
            ("operator", "greater"),
            ("value", "1"),
        ],
    )
    .await;
    let api = app
        .post(
            &admin,
            "/api-tokens/new",
            &[
                ("name", "Moved"),
                ("user", "1"),
                ("scopes", "webhooks.read"),
            ],
        )
        .await;
    assert_eq!(api.status(), StatusCode::OK, "the token is shown once");
    let original = contents(&app.state.store).await;
    assert!(
        original.iter().any(|l| l.contains("\"pending\"")),
        "a delivery waits: {original:?}"
    );

    let sqlite = app.state.settings.database_url.clone();
    let key = key_file(&app.dir.path().join("hookline.db"));
    let pg_db = app.dir.path().join("copy.db");
    let postgres = database_url(&pg_db);
    prepare_database(&postgres);
    let out = copy(&sqlite, &postgres, &key);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("deliveries:"));
    let pg = hookline::db::Store::open(&postgres).await.unwrap();
    assert_eq!(
        contents(&pg).await,
        original,
        "the PostgreSQL copy holds the same"
    );
    // Analyzed by the copy itself, not left to autovacuum's next round.
    let analyzed: i64 = on_db!(&pg, ex => sqlx::query_scalar(
        "SELECT analyze_count FROM pg_stat_user_tables WHERE relid = 'deliveries'::regclass"
    )
    .fetch_one(ex)
    .await)
    .unwrap();
    assert_eq!(analyzed, 1, "the copy gathers the planner's statistics");
    // The chain verifies there, and the secrets open with the same key.
    let said = audit(hookline(&pg_db).env("HOOKLINE_SECRET_KEY_FILE", &key));
    assert!(said.contains("intact"), "{said}");
    let keys = hookline::sealing::KeySource::File(key.clone())
        .load()
        .unwrap()
        .unwrap();
    let webhook =
        hookline::db::webhooks::headers(&pg, &keys, hookline::domain::ids::WebhookId::new(1))
            .await
            .unwrap();
    assert_eq!(webhook[0].value, "Bearer moved-along");

    // Never into a database in use.
    let again = copy(&sqlite, &postgres, &key);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // And back: PostgreSQL to a new SQLite file, the same again.
    let back_file = app.dir.path().join("back.db");
    let back = format!("sqlite://{}", back_file.display());
    let out = copy(&postgres, &back, &key);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let round = hookline::db::Store::open(&back).await.unwrap();
    assert_eq!(
        contents(&round).await,
        original,
        "the round trip holds the same"
    );
    let said = audit(hookline_sqlite(&back_file).env("HOOKLINE_SECRET_KEY_FILE", &key));
    assert!(said.contains("intact"), "{said}");
    pg.close().await;
    round.close().await;
}
