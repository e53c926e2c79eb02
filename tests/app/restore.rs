//! Restoring a version from a webhook's history: by API and on screen; secret header values
//! kept unless the URL's host changes; bad history ids refused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{admin_token, call, field_messages};
use crate::helpers::*;
use crate::operations::audit_verifies;

fn webhook(wording: &str, url: &str, secret: Option<&str>) -> Value {
    json!({
        "wording": wording,
        "url": url,
        "eventTypes": ["project.modified"],
        "triggerFields": ["status"],
        "headers": [{"name": "Authorization", "value": secret, "secret": true}],
    })
}

async fn history(app: &TestApp, t: &str, id: i64) -> Vec<Value> {
    let (status, body) = call(
        app,
        t,
        Method::GET,
        &format!("/api/v1/webhooks/{id}/history"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_version_from_the_history_is_put_back_as_a_new_entry() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let (status, created) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(webhook(
            "First",
            "https://one.example.com/a",
            Some("Bearer first"),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let mut changed = webhook("Second", "https://one.example.com/b", None);
    changed["version"] = created["version"].clone();
    changed["triggerFields"] = json!([]);
    let (status, _) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/webhooks/{id}"),
        Some(changed),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let entries = history(&app, &t, id).await;
    assert_eq!(entries.len(), 2);
    let first = entries[1]["id"].as_i64().unwrap();
    assert_eq!(entries[1]["fields"]["wording"], "First");
    assert_eq!(entries[1]["fields"]["triggerFields"], json!(["status"]));
    assert_eq!(
        entries[1]["fields"]["headers"][0]["value"],
        Value::Null,
        "no secret kept"
    );

    let restore = |history_id: Value| {
        let (app, t) = (&app, t.clone());
        async move {
            call(
                app,
                &t,
                Method::POST,
                &format!("/api/v1/webhooks/{id}/restore"),
                Some(json!({"historyId": history_id})),
            )
            .await
        }
    };
    let (status, restored) = restore(json!(first)).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["wording"], "First");
    assert_eq!(restored["url"], "https://one.example.com/a");
    assert_eq!(restored["triggerFields"], json!(["status"]));
    assert_eq!(
        app.header_values(id).await,
        ["Bearer first"],
        "the secret as it was"
    );
    let entries = history(&app, &t, id).await;
    assert_eq!(entries.len(), 3);
    let note = entries[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "Restored")
        .cloned()
        .unwrap();
    assert!(
        note["after"].as_str().unwrap().starts_with("version of 20"),
        "{note}"
    );
    assert_eq!(audit_verifies(&app).await, "the chain holds");

    // Refused: another webhook's entry, an unknown one, one without a whole version.
    let (_, other) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(webhook("Other", "https://two.example.com/", Some("x"))),
    )
    .await;
    let other_entry = history(&app, &t, other["id"].as_i64().unwrap()).await[0]["id"].clone();
    for wrong in [other_entry, json!(999_999)] {
        let (status, body) = restore(wrong).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            field_messages(&body),
            [(
                "historyId".to_owned(),
                "This webhook has no such history entry.".to_owned()
            )]
        );
    }
    let (_, project) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/projects",
        Some(json!({"code": "RST", "name": "Restore", "status": "Active"})),
    )
    .await;
    let project = project["id"].clone();
    let (status, _) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{id}/test"),
        Some(json!({"projectId": project})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let tested = history(&app, &t, id).await[0].clone();
    assert_eq!(tested["action"], "tested");
    let (status, body) = restore(tested["id"].clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        field_messages(&body)[0].1.contains("cannot be restored"),
        "{body}"
    );
    let (status, _) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{id}/restore"),
        Some(json!({"history": first})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused"
    );
    // A token that only reads webhooks may list the history, not restore from it.
    let reader = crate::api::token(&app, 1, "Reader", &["webhooks.read"]).await;
    assert_eq!(history(&app, &reader, id).await.len(), 4);
    let restore_path = format!("/api/v1/webhooks/{id}/restore");
    let (status, body) = call(
        &app,
        &reader,
        Method::POST,
        &restore_path,
        Some(json!({"historyId": first})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["missingScope"], "webhooks.write");

    // To another host, the secret must be given again.
    let (_, now) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    let mut moved = webhook(
        "Moved",
        "https://elsewhere.example.com/",
        Some("Bearer new"),
    );
    moved["version"] = now["version"].clone();
    let (status, _) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/webhooks/{id}"),
        Some(moved),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = restore(json!(first)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(field_messages(&body)[0].0, "headers");
    assert!(
        field_messages(&body)[0]
            .1
            .contains("host of the URL changed"),
        "{body}"
    );
    let (_, still) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(still["wording"], "Moved", "nothing saved half-way");
}

#[tokio::test]
async fn on_screen_a_restore_to_another_host_opens_the_form_for_the_secrets() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let (_, created) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(webhook(
            "Here",
            "https://here.example.com/",
            Some("Bearer here"),
        )),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let mut moved = webhook("There", "https://there.example.com/", Some("Bearer there"));
    moved["version"] = created["version"].clone();
    let (status, _) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/webhooks/{id}"),
        Some(moved),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let first = history(&app, &t, id).await[1]["id"].as_i64().unwrap();

    let admin = app.admin().await;
    let page = app
        .get_html(&admin, &format!("/webhooks/{id}/history/{first}"))
        .await;
    assert!(page.contains("Restore this version"), "{page}");
    assert!(
        page.contains("class=\"differs\""),
        "the fields that differ stand out"
    );
    let csrf = app.csrf(&admin).await;
    let res = app
        .post(
            &admin,
            &format!("/webhooks/{id}/history/{first}/restore"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let form = res.text().await.unwrap();
    assert!(
        form.contains("value=\"https://here.example.com/\""),
        "the version, to complete"
    );
    assert!(form.contains("enter the secret value again"), "{form}");
    assert!(!form.contains("Bearer there") && !form.contains("Bearer here"));
    let (_, still) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(still["wording"], "There", "nothing saved yet");
    // Another webhook's entry is no page of this one.
    let res = app
        .get(&admin, &format!("/webhooks/{id}/history/999999"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
