//! Field-change triggers: a webhook on modifications that names fields fires only when a
//! change touches one of them — by API, on the form, and in the browser.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{admin_token, call, field_messages};
use crate::helpers::*;
use crate::receiver::Receiver;

async fn modify(app: &TestApp, t: &str, id: i64, changes: Value) {
    let mut project = json!({"code": "TRG", "name": "Apollo", "status": "Active", "budget": 100});
    for (k, v) in changes.as_object().unwrap() {
        project[k] = v.clone();
    }
    let path = format!("/api/v1/projects/{id}");
    let (status, body) = call(app, t, Method::PUT, &path, Some(project)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_webhook_fires_only_when_one_of_its_trigger_fields_changes() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let receiver = Receiver::start().await;
    let create = |body: Value| {
        let (app, t) = (&app, t.clone());
        async move { call(app, &t, Method::POST, "/api/v1/webhooks", Some(body)).await }
    };
    let url = receiver.url.as_str();
    let refused = [
        (
            json!(["project.modified"]),
            json!(["colour"]),
            "Unknown field “colour” for Project events: choose among code, name, description, status, manager, start_date, finish_date, budget, priority.",
        ),
        (
            json!(["project.created"]),
            json!(["status"]),
            "Only when these fields change is for modifications: choose Modify or All actions.",
        ),
        (
            json!(["webhook.disabled"]),
            json!(["wording"]),
            "Only when these fields change is for modifications: choose Modify or All actions.",
        ),
    ];
    for (types, fields, message) in refused {
        let (status, body) = create(
            json!({"wording": "T", "url": url, "eventTypes": types, "triggerFields": fields}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            field_messages(&body),
            [("triggerFields".to_owned(), message.to_owned())]
        );
    }
    let (status, body) = create(json!({"wording": "T", "url": url, "eventTypes": ["project.modified"], "triggerFields": ["status"], "excludedFields": ["status"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(app.count("webhooks").await, 0, "nothing saved half-way");

    let (status, body) = create(json!({"wording": "Status watch", "url": url, "eventTypes": ["project.*"], "triggerFields": ["status", "budget"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["triggerFields"], json!(["status", "budget"]));

    // A creation always fires; a modification only when it changes status or budget.
    let (status, body) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/projects",
        Some(json!({"code": "TRG", "name": "Apollo", "status": "Active", "budget": 100})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    modify(
        &app,
        &t,
        id,
        json!({"name": "Apollo 2", "description": "renamed"}),
    )
    .await;
    modify(
        &app,
        &t,
        id,
        json!({"name": "Apollo 2", "description": "renamed", "status": "Completed"}),
    )
    .await;
    modify(
        &app,
        &t,
        id,
        json!({"name": "Apollo 3", "description": "renamed", "status": "Completed", "budget": 200}),
    )
    .await;
    app.state.deliverer.run_once().await.unwrap();
    let got: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    let kinds: Vec<(&str, Vec<&str>)> = got
        .iter()
        .map(|p| {
            let changed = p["data"]["changedFields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            (p["eventType"].as_str().unwrap(), changed)
        })
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert_eq!(kinds[0].0, "project.created");
    assert_eq!(kinds[1], ("project.modified", vec!["status"]));
    assert_eq!(kinds[2], ("project.modified", vec!["name", "budget"]));
    // Every change was recorded all the same.
    assert_eq!(
        app.count_where("events", "event_type = 'project.modified'")
            .await,
        3
    );
}
