//! Retention covers everything that grows: past the retention period, finished deliveries
//! and their attempts, events no delivery needs, the log, ended sessions and old sign-in
//! failures are gone — and what still has to go out stays.

use hookline::{execute_on, on_db};
use std::time::Duration;

use reqwest::StatusCode;

use crate::events::create_project;
use crate::helpers::*;
use crate::receiver::{Answer, Receiver};
use crate::webhooks::{create as create_webhook, form_with};

/// Moves every stored time back by `by`, as if that much time had passed.
async fn age(app: &TestApp, by: Duration) {
    let ms = by.as_millis() as i64;
    for sql in [
        "UPDATE events SET occurred_at = occurred_at - $1",
        "UPDATE deliveries SET created_at = created_at - $1, next_attempt_at = next_attempt_at - $1,
             completed_at = completed_at - $1",
        "UPDATE delivery_attempts SET started_at = started_at - $1",
        "UPDATE app_log SET at = at - $1",
        "UPDATE auth_sessions SET created_at = created_at - $1, last_seen_at = last_seen_at - $1",
        "UPDATE sign_in_throttle SET last_failure_at = last_failure_at - $1, blocked_until = 0",
    ] {
        execute_on!(&app.state.store, sqlx::query(sql).bind(ms)).unwrap();
    }
}

#[tokio::test]
async fn past_the_retention_period_nothing_finished_is_left() {
    let app = spawn_app_with(|s| {
        s.retention = Duration::from_secs(86_400);
        s.dead_retention = Duration::from_secs(2 * 86_400);
        s.allow_private_targets = true;
    })
    .await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    create_webhook(
        &app,
        &admin,
        &form_with(&[("url", &receiver.url), ("event_action", "all")]),
    )
    .await;
    // Delivered, dead, cancelled, a test's attempt, a log entry, a sign-in failure.
    create_project(&app, &admin, "DONE", &[]).await;
    app.state.deliverer.run_once().await.unwrap();
    receiver.script((0..20).map(|_| Answer::status(500)));
    create_project(&app, &admin, "DEAD", &[]).await;
    execute_on!(&app.state.store, sqlx::query("UPDATE deliveries SET status = 'dead', completed_at = next_attempt_at WHERE status = 'pending'"))
        .unwrap();
    create_project(&app, &admin, "CANCELLED", &[]).await;
    let cancelled: i64 =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT MAX(id) FROM deliveries")
        .fetch_one(ex)
        .await)
        .unwrap();
    app.post(&admin, &format!("/pending-orders/{cancelled}/cancel"), &[])
        .await;
    app.sign_in(&client(), ADMIN_EMAIL, "wrong password").await;
    // And one that still waits to go: it stays, with its event, however old.
    create_project(&app, &admin, "WAITING", &[]).await;
    assert!(app.count("app_log").await == 0);
    execute_on!(
        &app.state.store,
        sqlx::query(
            "INSERT INTO app_log (at, level, kind, message) VALUES ($1, 'info', 'other', 'old')",
        )
        .bind(hookline::db::now_ms())
    )
    .unwrap();
    let stale_session = client();
    app.sign_in(&stale_session, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await;

    age(&app, Duration::from_secs(3 * 86_400)).await;
    let removed = hookline::delivery::housekeeping::prune(&app.state.store, &app.state.settings)
        .await
        .unwrap();
    assert!(removed > 0);
    assert_eq!(app.count("deliveries").await, 1, "only the waiting one");
    let waiting: String = on_db!(&app.state.store, ex => sqlx::query_scalar(
        "SELECT e.event_type FROM deliveries d JOIN events e ON e.id = d.event_id",
    )
    .fetch_one(ex)
    .await)
    .unwrap();
    assert_eq!(waiting, "project.created");
    assert_eq!(app.count("events").await, 1, "only the waiting one's event");
    assert_eq!(app.count("delivery_attempts").await, 0);
    assert_eq!(app.count("app_log").await, 0);
    assert_eq!(app.count("auth_sessions").await, 0);
    assert_eq!(app.count("sign_in_throttle").await, 0);
    // The history of webhooks is never pruned: it is the audit trail.
    assert!(app.count("webhook_history").await > 0);
    // Signed out by then, the old sessions ask to sign in again.
    assert_eq!(
        app.get(&stale_session, "/webhooks").await.status(),
        StatusCode::SEE_OTHER
    );
}
