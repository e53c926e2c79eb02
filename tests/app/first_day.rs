//! What a new administrator ran into on their first day: each fixed, each tested here.

use reqwest::StatusCode;

use crate::events::create_project;
use crate::helpers::*;
use crate::receiver::Receiver;
use crate::webhooks::{create as create_webhook, form_with};

async fn deliveries(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_change_to_excluded_fields_only_sends_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let id = create_project(&app, &admin, "EXCL", &[("description", "first")]).await;
    create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("url", &receiver.url),
            ("excluded_fields", "description, budget"),
        ]),
    )
    .await;
    let modify = async |fields: &[(&str, &str)]| {
        let mut all = vec![("code", "EXCL"), ("status", "Active")];
        all.extend_from_slice(fields);
        let res = app.post(&admin, &format!("/projects/{id}"), &all).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    };
    modify(&[
        ("name", "Apollo"),
        ("description", "second"),
        ("budget", "5"),
    ])
    .await;
    assert_eq!(deliveries(&app).await, 0, "only excluded fields changed");
    modify(&[
        ("name", "Renamed"),
        ("description", "third"),
        ("budget", "5"),
    ])
    .await;
    assert_eq!(deliveries(&app).await, 1, "the name is seen");
    app.state.deliverer.run_once().await.unwrap();
    let got = receiver.received();
    let payload: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    let changed: Vec<&str> = payload["data"]["changedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["name"]);
}

#[tokio::test]
async fn a_veto_leaves_its_call_and_a_log_entry() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let id = create_project(&app, &admin, "VETO", &[]).await;
    let url = format!("{}/approve", receiver.url);
    create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("wording", "Budget guard"),
            ("url", &url),
            ("synchronous", "on"),
            ("in_transaction", "on"),
        ]),
    )
    .await;
    receiver.script([crate::receiver::Answer::status(422).body("Budget over the limit")]);
    let res = app
        .post(
            &admin,
            &format!("/projects/{id}"),
            &[("code", "VETO"), ("name", "Vetoed"), ("status", "Active")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let log = app.get_html(&admin, "/application-log").await;
    assert!(
        log.contains(&escaped(
            "Webhook “Budget guard” refused project.modified of project #"
        )) && log.contains("Budget over the limit"),
        "{log}"
    );
    let marker = "href=\"/attempts/";
    let start = log.find(marker).expect("a link to the call") + marker.len();
    let attempt: String = log[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let call = app.get_html(&admin, &format!("/attempts/{attempt}")).await;
    assert!(
        call.contains("Budget over the limit") && call.contains("ERROR (422)"),
        "{call}"
    );
    assert!(call.contains("Vetoed"), "the proposed state was sent");
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(
        list.contains("ERROR (422)"),
        "the list's Last status shows it"
    );
    assert_eq!(deliveries(&app).await, 0, "the change itself left nothing");
}

#[tokio::test]
async fn an_expired_webhook_shows_it_can_be_renewed_and_its_other_fields_saved() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = create_webhook(&app, &admin, &form_with(&[])).await;
    sqlx::query("UPDATE webhooks SET valid_until = '2025-01-31'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let form = app.get_html(&admin, &format!("/webhooks/{id}")).await;
    assert!(
        form.contains("Expired: its last day was 2025-01-31"),
        "{form}"
    );
    assert!(form.contains(&format!("action=\"/webhooks/{id}/renew\"")));

    let version: String = sqlx::query_scalar("SELECT CAST(version AS TEXT) FROM webhooks")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let save = |description: &'static str, until: &'static str| {
        form_with(&[
            ("version", &version),
            ("description", description),
            ("valid_until", until),
        ])
    };
    let path = format!("/webhooks/{id}");
    let res = crate::webhooks::post_form(&app, &admin, &path, &save("Other", "2025-01-30")).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "another past day"
    );
    let res = crate::webhooks::post_form(&app, &admin, &path, &save("Kept", "2025-01-31")).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the stored day is kept as it is"
    );
    let description: String = sqlx::query_scalar("SELECT description FROM webhooks")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(description, "Kept");

    let res = app
        .post(&admin, &format!("/webhooks/{id}/renew"), &[])
        .await;
    assert_eq!(location(&res), format!("/webhooks/{id}"));
    let until: String = sqlx::query_scalar("SELECT valid_until FROM webhooks")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    let expected = chrono::Utc::now().date_naive() + chrono::Days::new(90);
    assert_eq!(until, expected.format("%Y-%m-%d").to_string());
    let form = app.get_html(&admin, &format!("/webhooks/{id}")).await;
    assert!(!form.contains("Expired:") && form.contains("Webhook renewed"));
    let (viewer, _) = app.signed_in_as(VIEWER).await;
    let res = app
        .post(&viewer, &format!("/webhooks/{id}/renew"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_test_request_says_it_is_a_test_and_user_webhooks_test_with_a_user() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let other = app
        .create_user(&admin, "tested@example.com", VIEWER)
        .await
        .to_string();
    let url = format!("{}/del/{{user.id}}", receiver.url);
    let test = async |extra: &[(&'static str, &str)]| {
        let mut changes = vec![
            ("url", url.as_str()),
            ("verb", "DELETE"),
            ("body", ""),
            ("event_object", "user"),
        ];
        changes.extend_from_slice(extra);
        crate::webhooks::post_form(&app, &admin, "/webhooks/test", &form_with(&changes)).await
    };
    let page = app.get_html(&admin, "/webhooks/new").await;
    assert!(page.contains("<label for=\"test_user\">User</label>"));

    let res = test(&[("test_user", &other)]).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let got = receiver
        .wait_for(1, std::time::Duration::from_secs(5))
        .await;
    assert_eq!(got[0].method, "DELETE");
    assert_eq!(got[0].header("hookline-test"), Some("true"));
    assert_eq!(got[0].target, format!("/del/{other}"), "the chosen user");

    let res = test(&[("test_user", "424242")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Choose a user to test with.")
    );
    assert_eq!(receiver.received().len(), 1);
}
