//! CSRF: every state-changing form needs this session's token and a same-site origin.

use hookline::on_db;
use reqwest::StatusCode;

use crate::helpers::*;

/// Every state-changing route of the UI (ids exist in a fresh app plus one custom role).
pub const STATE_CHANGING: &[&str] = &[
    "/sign-in",
    "/sign-out",
    "/account/password",
    "/users/new",
    "/users/1",
    "/users/2/activate",
    "/users/2/deactivate",
    "/roles/new",
    "/roles/4",
    "/roles/4/delete",
    "/webhooks/filter",
    "/webhooks/filter/select",
    "/webhooks/filter/clear",
    "/webhooks/filters/1/delete",
    "/webhooks/new",
    "/webhooks/test",
    "/webhooks/1",
    "/webhooks/1/delete",
    "/projects/new",
    "/projects/1",
    "/projects/1/delete",
    "/projects/1/phases/new",
    "/phases/1",
    "/phases/1/delete",
    "/project-filters",
    "/project-filters/1/delete",
    "/users/2/delete",
    "/pending-orders/1/retry",
    "/pending-orders/1/cancel",
    "/webhooks/1/rotate-secret",
];

async fn prepared() -> (TestApp, reqwest::Client) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user(&admin, "second@example.com", VIEWER).await;
    let res = app.post(&admin, "/roles/new", &[("name", "Custom")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    crate::webhooks::create(&app, &admin, &crate::webhooks::valid_form()).await;
    app.post(
        &admin,
        "/webhooks/filter",
        &[("contains", "crm"), ("save_name", "Shared")],
    )
    .await;
    let project = crate::events::create_project(&app, &admin, "P1", &[]).await;
    // A modification queues delivery 1 for webhook 1 (no worker runs in these tests).
    app.post(
        &admin,
        &format!("/projects/{project}"),
        &[("code", "P1"), ("name", "Apollo"), ("status", "On hold")],
    )
    .await;
    app.post(
        &admin,
        &format!("/projects/{project}/phases/new"),
        &[("name", "Design"), ("status", "Not started")],
    )
    .await;
    app.post(
        &admin,
        "/project-filters",
        &[
            ("name", "Active"),
            ("field", "status"),
            ("operator", "equals"),
            ("value", "Active"),
        ],
    )
    .await;
    (app, admin)
}

#[tokio::test]
async fn a_post_without_the_token_is_refused_everywhere() {
    let (app, admin) = prepared().await;
    for path in STATE_CHANGING {
        let res = app.post_raw(&admin, path, &[("name", "x")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            res.text().await.unwrap().contains("This form has expired"),
            "{path}"
        );
    }
    assert_unchanged(&app).await;
}

#[tokio::test]
async fn another_sessions_token_is_refused_everywhere() {
    let (app, admin) = prepared().await;
    let other = app.admin().await;
    let foreign = app.csrf(&other).await;
    for path in STATE_CHANGING {
        let res = app
            .post_raw(&admin, path, &[("csrf_token", &foreign), ("name", "x")])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_unchanged(&app).await;
}

#[tokio::test]
async fn cross_site_requests_are_refused_even_with_a_token() {
    let (app, admin) = prepared().await;
    let token = app.csrf(&admin).await;
    let body = format!("csrf_token={token}&name=Renamed");
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "null"),
    ] {
        let res = admin
            .post(app.url("/roles/4"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header(header, value)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{header}: {value}");
    }
    // The same request from the same origin goes through.
    let res = admin
        .post(app.url("/roles/4"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", app.address.clone())
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn no_get_changes_state() {
    let (app, admin) = prepared().await;
    for path in STATE_CHANGING {
        let _ = app.get(&admin, path).await;
    }
    assert_unchanged(&app).await;
    assert_eq!(
        app.get(&admin, "/users").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

async fn assert_unchanged(app: &TestApp) {
    let pool = &app.state.store;
    let users: i64 = app.count_where("users", "active").await;
    assert_eq!(users, 2);
    let role: String = on_db!(pool, ex => sqlx::query_scalar("SELECT name FROM roles WHERE id = 4")
        .fetch_one(ex)
        .await)
    .unwrap();
    assert_eq!(role, "Custom");
    let project: (String, i64) =
        on_db!(pool, ex => sqlx::query_as("SELECT name, change_version FROM projects WHERE id = 1")
            .fetch_one(ex)
            .await)
        .unwrap();
    assert_eq!(project, ("Apollo".to_owned(), 2));
    let delivery: (String, i64) =
        on_db!(pool, ex => sqlx::query_as("SELECT status, attempts FROM deliveries WHERE id = 1")
            .fetch_one(ex)
            .await)
        .unwrap();
    assert_eq!(delivery, ("pending".to_owned(), 0));
    let counts: (i64, i64, i64) = on_db!(pool, ex => sqlx::query_as("SELECT (SELECT COUNT(*) FROM phases), (SELECT COUNT(*) FROM project_filters), (SELECT COUNT(*) FROM users)").fetch_one(ex).await).unwrap();
    assert_eq!(counts, (1, 1, 2));
}
