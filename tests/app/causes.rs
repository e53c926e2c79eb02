//! The cause of every call: a delivery tells the change behind it (object, action, changed
//! fields, who — on screen or by which token — and when), on screen and by API; an object's
//! page lists the webhooks its changes fired.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{admin_token, call};
use crate::helpers::*;
use crate::receiver::Receiver;

/// Every delivery by API, oldest first.
async fn deliveries(app: &TestApp, t: &str) -> Vec<Value> {
    let (status, body) = call(app, t, Method::GET, "/api/v1/deliveries", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut rows = body["data"].as_array().unwrap().clone();
    rows.reverse();
    rows
}

#[tokio::test]
async fn a_delivery_tells_the_change_behind_it_and_an_objects_page_the_calls_it_caused() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let receiver = Receiver::start().await;
    let (status, hook) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(json!({"wording": "CRM", "url": receiver.url, "eventTypes": ["project.*"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Created through the API token, renamed on screen by the administrator.
    let (_, project) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/projects",
        Some(json!({"code": "WHY", "name": "Apollo", "status": "Active"})),
    )
    .await;
    let id = project["id"].as_i64().unwrap();
    let admin = app.admin().await;
    let res = app
        .post(
            &admin,
            &format!("/projects/{id}"),
            &[("code", "WHY"), ("name", "Apollo II"), ("status", "Active")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.state.deliverer.run_once().await.unwrap();

    let rows = deliveries(&app, &t).await;
    assert_eq!(rows.len(), 2);
    let detail = |d: &Value| {
        let (app, t) = (&app, t.clone());
        let path = format!("/api/v1/deliveries/{}", d["id"]);
        async move {
            let (status, body) = call(app, &t, Method::GET, &path, None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["cause"].clone()
        }
    };
    let created = detail(&rows[0]).await;
    assert_eq!(created["eventType"], "project.created");
    assert_eq!(created["action"], "created");
    assert_eq!(created["objectType"], "project");
    assert_eq!(created["objectId"], id);
    assert_eq!(created["objectName"], "WHY — Apollo");
    assert_eq!(created["initiator"]["apiToken"], "Integration");
    assert_eq!(created["initiator"]["email"], ADMIN_EMAIL);
    assert!(created["occurredAt"].as_str().unwrap().ends_with('Z'));
    let modified = detail(&rows[1]).await;
    assert_eq!(modified["action"], "modified");
    assert_eq!(
        modified["initiator"]["apiToken"],
        Value::Null,
        "made on screen"
    );
    assert_eq!(
        modified["changedFields"],
        json!([{"name": "name", "label": "Name", "previous": "Apollo", "current": "Apollo II"}])
    );

    // On screen: the cause, linked to the project, and who made it through which token.
    let page = app
        .get_html(&admin, &format!("/pending-orders/{}", rows[0]["id"]))
        .await;
    assert!(page.contains("<h2>Cause</h2>"), "{page}");
    assert!(
        page.contains(&format!("<a href=\"/projects/{id}\">WHY — Apollo</a>")),
        "{page}"
    );
    assert!(
        page.contains(&escaped("via API token “Integration”")),
        "{page}"
    );
    let page = app
        .get_html(&admin, &format!("/pending-orders/{}", rows[1]["id"]))
        .await;
    assert!(
        page.contains("<td>Name</td><td>Apollo</td><td>Apollo II</td>"),
        "{page}"
    );

    // The project's page lists the calls its changes caused, linked to each and to the
    // webhook's page; those who cannot see the queue do not see them.
    let project_page = app.get_html(&admin, &format!("/projects/{id}")).await;
    assert!(project_page.contains("Webhooks its changes fired"));
    for d in &rows {
        assert!(project_page.contains(&format!("href=\"/pending-orders/{}\"", d["id"])));
    }
    let overview = format!("href=\"/webhooks/{}/overview\"", hook["id"]);
    assert!(project_page.contains(&overview), "{project_page}");
    let role = crate::escalation::role_with(&app, &admin, "Planners", &["projects.manage"]).await;
    app.create_user(&admin, "planner@example.com", role).await;
    let planner = client();
    app.sign_in(&planner, "planner@example.com", USER_PASSWORD)
        .await;
    let seen = app.get_html(&planner, &format!("/projects/{id}")).await;
    assert!(seen.contains("Apollo II"), "the planner sees the project");
    assert!(!seen.contains("Webhooks its changes fired"));
}
