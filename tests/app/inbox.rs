//! The built-in inbox: a webhook or a Test pointed at one's inbox address is kept there
//! in-process (the outgoing-address guard, which refuses this machine, is never asked),
//! with whether its signature verifies; requests arriving over the network are kept too;
//! the last 100 only; cleared on demand.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api::{admin_token, call};
use crate::helpers::*;

/// The inbox address shown to `client`.
async fn address(app: &TestApp, client: &reqwest::Client) -> String {
    let page = app.get_html(client, "/inbox").await;
    let start = page.find("value=\"http://").expect("the address") + "value=\"".len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn calls_to_the_inbox_are_kept_in_process_with_their_signature_checked() {
    // Receivers on this machine are refused: whatever reaches the inbox did not go out.
    let app = spawn_app_with(|s| s.allow_private_targets = false).await;
    let t = admin_token(&app).await;
    let admin = app.admin().await;
    let inbox = address(&app, &admin).await;
    let port = app.address.rsplit(':').next().unwrap();
    assert!(
        inbox.starts_with(&format!("http://localhost:{port}/inbox/")),
        "{inbox}"
    );
    assert_eq!(address(&app, &admin).await, inbox, "one address per person");

    let (status, hook) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(json!({
            "wording": "Into the inbox",
            "url": format!("{inbox}?project={{project.code}}"),
            "eventTypes": ["project.created"],
            "headers": [{"name": "Authorization", "value": "Bearer hidden", "secret": true}],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let id = hook["id"].as_i64().unwrap();
    let project = crate::events::create_project(&app, &admin, "INBOX", &[]).await;
    app.state.deliverer.run_once().await.unwrap();
    let (_, rows) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/deliveries?webhookId={id}"),
        None,
    )
    .await;
    assert_eq!(rows["data"][0]["state"], "delivered", "{rows}");
    let test = json!({"projectId": project});
    let (status, attempt) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{id}/test"),
        Some(test.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{attempt}");
    assert_eq!(attempt["responseStatus"], 202, "{attempt}");

    let page = app.get_html(&admin, "/inbox").await;
    assert_eq!(page.matches("class=\"inbox-request\"").count(), 2, "{page}");
    assert_eq!(page.matches("signature verified").count(), 2, "{page}");
    assert!(page.contains("?project=INBOX"));
    assert!(page.contains("Into the inbox"));
    assert!(!page.contains("Bearer hidden"), "secret values stay masked");

    // An address whose inbox does not exist answers 404, as a receiver would.
    let (status, _) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/webhooks/{id}"),
        Some(json!({
            "version": hook["version"], "wording": "Nowhere",
            "url": format!("http://localhost:{port}/inbox/{}", "ab".repeat(32)),
            "eventTypes": ["project.created"],
            "headers": [{"name": "Authorization", "secret": true}],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, attempt) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{id}/test"),
        Some(test),
    )
    .await;
    assert_eq!(attempt["responseStatus"], 404, "{attempt}");
}

#[tokio::test]
async fn the_address_keeps_what_arrives_the_last_hundred_and_clears_on_demand() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let inbox = address(&app, &admin).await;
    let local = inbox.replace("localhost", "127.0.0.1");
    let http = client();
    let res = http
        .post(&local)
        .header("content-type", "application/json")
        .body(r#"{"hello":"inbox"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    // A forged webhook-id of no delivery: no webhook to check it with.
    let res = http
        .post(&local)
        .header("webhook-id", "msg_forged")
        .header("webhook-signature", "v1,AAAA")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let unknown = format!("{}/inbox/{}", app.address, "cd".repeat(32));
    assert_eq!(
        http.post(&unknown).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let page = app.get_html(&admin, "/inbox").await;
    assert!(page.contains("hello") && page.contains("inbox"), "{page}");
    assert_eq!(
        page.matches("no webhook known to check its signature")
            .count(),
        2
    );

    for n in 0..105 {
        http.put(&local).body(format!("{n}")).send().await.unwrap();
    }
    let kept = app.count_where("inbox_requests", "TRUE").await;
    assert_eq!(kept, 100, "the last hundred only");
    let csrf = app.csrf(&admin).await;
    let res = app
        .post(&admin, "/inbox/clear", &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("inbox_requests").await, 0);

    // A viewer has no inbox; nobody signed out sees one.
    let (viewer, _) = app.signed_in_as(VIEWER).await;
    assert_eq!(
        app.get(&viewer, "/inbox").await.status(),
        StatusCode::FORBIDDEN
    );
    let res = app.get(&client(), "/inbox").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
