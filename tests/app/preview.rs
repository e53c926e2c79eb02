//! Preview: a draft webhook against the last recorded events — which it would fire for and
//! the exact request each would make — with nothing sent and nothing saved.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{admin_token, call, field_messages, token};
use crate::helpers::*;
use crate::receiver::Receiver;

async fn project(app: &TestApp, t: &str, code: &str) {
    let body = json!({"code": code, "name": "Preview", "status": "Active"});
    let (status, body) = call(app, t, Method::POST, "/api/v1/projects", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_preview_lists_the_events_a_draft_would_fire_for_and_sends_nothing() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let receiver = Receiver::start().await;
    let admin = app.admin().await;
    app.create_user(&admin, "someone@example.com", VIEWER).await;
    for code in ["PV1", "PV2", "PV3"] {
        project(&app, &t, code).await;
    }
    let recorded = app.count("events").await;
    let deliveries_before = app.count("deliveries").await;

    let draft = json!({
        "wording": "Draft",
        "url": format!("{}/p/{{project.code}}", receiver.url),
        "eventTypes": ["project.created"],
        "headers": [{"name": "Authorization", "value": "Bearer s3cret", "secret": true}],
    });
    let preview = |body: Value| {
        let (app, t) = (&app, t.clone());
        async move {
            call(
                app,
                &t,
                Method::POST,
                "/api/v1/webhooks/preview",
                Some(body),
            )
            .await
        }
    };
    let (status, body) = preview(json!({"webhook": draft, "last": 50})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["examined"], recorded,
        "every event recorded, as fewer than 50"
    );
    let matches = body["data"].as_array().unwrap();
    let urls: Vec<&str> = matches
        .iter()
        .map(|m| m["request"]["url"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = ["PV3", "PV2", "PV1"]
        .iter()
        .map(|c| format!("{}/p/{c}", receiver.url))
        .collect();
    assert_eq!(urls, expected, "newest first, placeholders filled");
    let first = &matches[0];
    assert_eq!(first["eventType"], "project.created");
    assert_eq!(first["request"]["method"], "POST");
    let header = |name: &str| {
        first["request"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == name)
            .map(|h| h["value"].as_str().unwrap().to_owned())
    };
    assert_eq!(header("Authorization").as_deref(), Some("••••••••"));
    assert_eq!(
        header("webhook-signature").as_deref(),
        Some("(signed when sent)")
    );
    let payload: Value = serde_json::from_str(first["request"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(payload["data"]["attributes"]["code"], "PV3");
    assert!(
        !body.to_string().contains("s3cret"),
        "secrets stay on the server"
    );

    // Only the last two looked at.
    let (_, body) = preview(json!({"webhook": draft, "last": 2})).await;
    assert_eq!(body["examined"], 2);
    let urls: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["request"]["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls, &expected[..2]);

    // Nothing was sent or saved.
    assert!(receiver.received().is_empty());
    assert_eq!(app.count("webhooks").await, 0);
    assert_eq!(app.count("deliveries").await, deliveries_before);

    // Bad input: `last` out of range, an unknown field, an invalid webhook.
    for last in [0, 501] {
        let (status, body) = preview(json!({"webhook": draft, "last": last})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            field_messages(&body),
            [(
                "last".to_owned(),
                "Preview looks at 1 to 500 of the last recorded events.".to_owned()
            )]
        );
    }
    let (status, _) = preview(json!({"webhook": draft, "lastN": 5})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = preview(
        json!({"webhook": {"wording": "W", "url": "ftp://x", "eventTypes": ["project.created"]}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(field_messages(&body)[0].0, "url");
    // A token that cannot write webhooks cannot preview them.
    let reader = token(&app, 1, "Reader", &["webhooks.read"]).await;
    let (status, _) = call(
        &app,
        &reader,
        Method::POST,
        "/api/v1/webhooks/preview",
        Some(json!({"webhook": draft})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // On the form: the same, before Register.
    let mut form = crate::webhooks::form_with(&[
        ("url", &format!("{}/p/{{project.code}}", receiver.url)),
        ("event_action", "create"),
        ("preview_last", "50"),
    ]);
    form.retain(|(k, _)| *k != "action");
    let res = crate::webhooks::post_form(&app, &admin, "/webhooks/preview", &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "Of the last {recorded} events recorded, this webhook would fire for 3."
        )),
        "{html}"
    );
    assert!(html.contains(&format!("POST {}/p/PV1", receiver.url)));
    form.retain(|(k, _)| *k != "preview_last");
    form.push(("preview_last", "9999".into()));
    let res = crate::webhooks::post_form(&app, &admin, "/webhooks/preview", &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Preview looks at 1 to 500")
    );
    assert!(receiver.received().is_empty());
    assert_eq!(app.count("webhooks").await, 0);
}
