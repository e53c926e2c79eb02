//! The Test button for real, pending orders (retry now, cancel), the application log, and
//! signing-secret rotation.

use hookline::on_db;
use std::time::Duration;

use reqwest::StatusCode;

use crate::events::create_project;
use crate::helpers::*;
use crate::receiver::{Answer, Receiver};
use crate::webhooks::{create as create_webhook, form_with, post_form};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn the_test_button_sends_a_real_request_and_shows_both_sides() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::status(202)
        .body("accepted by the receiver")
        .header("X-Receiver", "yes")]);
    let project = create_project(&app, &admin, "TEST-1", &[("name", "Tested project")])
        .await
        .to_string();
    let url = format!("{}/t/{{project.code}}", receiver.url);
    let id = create_webhook(&app, &admin, &form_with(&[("url", &url)])).await;
    let events_before: i64 = app.count("events").await;
    let version: String = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT CAST(version AS TEXT) FROM webhooks")
        .fetch_one(ex)
        .await)
        .unwrap();

    let res = post_form(
        &app,
        &admin,
        "/webhooks/test",
        &form_with(&[
            ("url", &url),
            ("id", &id.to_string()),
            ("version", &version),
            ("test_project", &project),
        ]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&escaped(&format!(
            "Request sent to {}/t/TEST-1 (status code: 202)",
            receiver.url
        ))),
        "{html}"
    );
    assert!(
        html.contains("accepted by the receiver") && html.contains("x-receiver"),
        "the response is shown"
    );
    assert!(html.contains("webhook-signature"), "the request is shown");
    let got = receiver.wait_for(1, WAIT).await;
    let payload: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(payload["test"], true, "marked as a test");
    assert_eq!(payload["data"]["attributes"]["name"], "Tested project");

    let events_after: i64 = app.count("events").await;
    assert_eq!(events_after, events_before, "no data changed");
    let deliveries: i64 = app.count("deliveries").await;
    assert_eq!(deliveries, 0);
    let history = app
        .get_html(&admin, &format!("/webhooks/{id}/history"))
        .await;
    assert!(history.contains("Tested"));
}

#[tokio::test]
async fn pending_orders_show_each_delivery_with_its_attempts_and_can_retry_and_cancel() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::status(500), Answer::status(500)]);
    create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("url", &format!("{}/o", receiver.url)),
            ("event_action", "all"),
        ]),
    )
    .await;
    create_project(&app, &admin, "ORD", &[]).await;
    app.state.deliverer.run_once().await.unwrap();
    let id: i64 = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM deliveries")
        .fetch_one(ex)
        .await)
    .unwrap();

    let list = app.get_html(&admin, "/pending-orders?state=waiting").await;
    assert!(list.contains(&format!("#{id}")) && list.contains("Failed, waiting to retry"));
    assert!(
        !app.get_html(&admin, "/pending-orders?state=delivered")
            .await
            .contains(&format!("#{id}<"))
    );
    let detail = app.get_html(&admin, &format!("/pending-orders/{id}")).await;
    assert!(detail.contains("Attempt 2") && detail.contains("ERROR (500)"));

    // Retry now: the receiver answers 200 this time.
    let res = app
        .post(&admin, &format!("/pending-orders/{id}/retry"), &[])
        .await;
    assert_eq!(location(&res), format!("/pending-orders/{id}"));
    let detail = app.get_html(&admin, &format!("/pending-orders/{id}")).await;
    assert!(detail.contains("(status code: 200)") && detail.contains("Delivered"));
    assert_eq!(receiver.received().len(), 3);
    // A delivered one cannot be cancelled.
    app.post(&admin, &format!("/pending-orders/{id}/cancel"), &[])
        .await;
    assert!(
        app.get_html(&admin, &format!("/pending-orders/{id}"))
            .await
            .contains("Only a queued, waiting or dead delivery can be cancelled.")
    );

    // A queued one can.
    create_project(&app, &admin, "ORD-2", &[]).await;
    let queued: i64 =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT MAX(id) FROM deliveries")
        .fetch_one(ex)
        .await)
        .unwrap();
    app.post(&admin, &format!("/pending-orders/{queued}/cancel"), &[])
        .await;
    assert!(
        app.get_html(&admin, &format!("/pending-orders/{queued}"))
            .await
            .contains("Cancelled")
    );
    assert_eq!(
        app.state.deliverer.run_once().await.unwrap(),
        0,
        "a cancelled delivery is not sent"
    );

    // A viewer sees the queue but not the actions.
    let (viewer, _) = app.signed_in_as(VIEWER).await;
    let detail = app
        .get_html(&viewer, &format!("/pending-orders/{id}"))
        .await;
    assert!(!detail.contains("Retry now"));
    assert_eq!(
        app.post(&viewer, &format!("/pending-orders/{id}/retry"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_application_log_shows_dead_deliveries_and_capped_hooks() {
    let app = spawn_app_with(|s| s.allow_private_targets = false).await;
    let admin = app.admin().await;
    create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("url", "http://127.0.0.1:9/refused"),
            ("event_action", "all"),
        ]),
    )
    .await;
    create_project(&app, &admin, "LOG", &[]).await;
    app.state.deliverer.run_once().await.unwrap();
    let log = app.get_html(&admin, "/application-log").await;
    assert!(
        log.contains("delivery_dead") && log.contains("failed for good"),
        "{log}"
    );
}

#[tokio::test]
async fn a_rotated_secret_keeps_signing_for_a_day_beside_the_new_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let id = create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("url", &format!("{}/r", receiver.url)),
            ("event_action", "all"),
        ]),
    )
    .await;
    let form = app.get_html(&admin, &format!("/webhooks/{id}")).await;
    let old = app.signing_secret(id).await;
    assert!(
        form.contains(&old),
        "shown on demand to those who may modify it"
    );
    let (viewer, _) = app.signed_in_as(VIEWER).await;
    assert!(
        !app.get_html(&viewer, &format!("/webhooks/{id}"))
            .await
            .contains(&old),
        "never to a viewer"
    );

    let res = app
        .post(&admin, &format!("/webhooks/{id}/rotate-secret"), &[])
        .await;
    assert_eq!(location(&res), format!("/webhooks/{id}"));
    create_project(&app, &admin, "ROT", &[]).await;
    app.state.deliverer.run_once().await.unwrap();
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(
        got[0]
            .header("webhook-signature")
            .unwrap()
            .split(' ')
            .count(),
        2,
        "old and new both sign"
    );
    assert!(
        app.get_html(&admin, &format!("/webhooks/{id}/history"))
            .await
            .contains("rotated")
    );
}
