//! The delivery engine against a real receiver on 127.0.0.1: exactly the expected signed
//! requests, retries, timeouts, refusals, 410, Retry-After, order, synchronous modes.

use hookline::on_db;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use sha2::Sha256;

use crate::events::create_project;
use crate::helpers::*;
use crate::receiver::{Answer, Receiver};
use crate::webhooks::{create as create_webhook, form_with};

const WAIT: Duration = Duration::from_secs(10);

/// Verifies a Standard Webhooks signature independently of Hookline's own code.
fn verify(secret: &str, id: &str, timestamp: &str, body: &str, header: &str) -> bool {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    header.split(' ').any(|s| s == expected)
}

async fn webhook_to(
    app: &TestApp,
    admin: &reqwest::Client,
    url: &str,
    extra: &[(&'static str, &str)],
) -> i64 {
    let mut changes: Vec<(&'static str, &str)> = vec![("url", url), ("event_action", "all")];
    changes.extend_from_slice(extra);
    create_webhook(app, admin, &form_with(&changes)).await
}

async fn run(app: &TestApp) -> usize {
    app.state
        .deliverer
        .run_once()
        .await
        .expect("the workers run")
}

async fn delivery(app: &TestApp) -> (String, i64, String) {
    on_db!(&app.state.store, ex => sqlx::query_as("SELECT status, attempts, message_id FROM deliveries ORDER BY id DESC LIMIT 1")
        .fetch_one(ex)
        .await)
        .unwrap()
}

async fn attempts(app: &TestApp) -> Vec<(Option<i64>, Option<String>, String, String)> {
    on_db!(&app.state.store, ex => sqlx::query_as("SELECT response_status, error_kind, COALESCE(error_message, ''), request_headers FROM delivery_attempts ORDER BY id").fetch_all(ex).await).unwrap()
}

/// The change version in each received payload, in order of arrival.
fn change_versions(got: &[crate::receiver::Received]) -> Vec<i64> {
    got.iter()
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["changeVersion"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn the_receiver_gets_exactly_the_expected_signed_request() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let url = format!(
        "{}/hooks/{{project.code}}?name={{project.name}}",
        receiver.url
    );
    let body = r#"{"code": "{project.code}", "event": "{event.type}", "changes": {changes}}"#;
    let id = webhook_to(
        &app,
        &admin,
        &url,
        &[
            ("verb", "PUT"),
            ("body", body),
            ("header_name", "Authorization"),
            ("header_value", "Bearer top-secret"),
            ("header_kind", "secret"),
        ],
    )
    .await;
    create_project(&app, &admin, "PRJ-9", &[("name", "Apollo & co")]).await;
    assert_eq!(run(&app).await, 1);

    let got = receiver.wait_for(1, WAIT).await;
    let r = &got[0];
    assert_eq!(r.method, "PUT");
    assert_eq!(r.target, "/hooks/PRJ-9?name=Apollo%20%26%20co");
    assert_eq!(r.header("authorization"), Some("Bearer top-secret"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let parsed: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(parsed["code"], "PRJ-9");
    assert_eq!(parsed["event"], "project.created");
    let (status, tries, message_id) = delivery(&app).await;
    assert_eq!((status.as_str(), tries), ("delivered", 1));
    assert_eq!(r.header("webhook-id"), Some(message_id.as_str()));
    let secret = app.signing_secret(id).await;
    assert!(
        verify(
            &secret,
            &message_id,
            r.header("webhook-timestamp").unwrap(),
            &r.body,
            r.header("webhook-signature").unwrap()
        ),
        "the signature verifies"
    );
    assert!(!verify(
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &message_id,
        r.header("webhook-timestamp").unwrap(),
        &r.body,
        r.header("webhook-signature").unwrap()
    ));

    let recorded = attempts(&app).await;
    assert_eq!(recorded[0].0, Some(200));
    assert!(
        !recorded[0].3.contains("top-secret") && recorded[0].3.contains("••••••••"),
        "the secret is masked in the attempt"
    );
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(list.contains("OK (200)"), "the list shows the last status");
}

#[tokio::test]
async fn the_default_payload_is_the_envelope() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    webhook_to(&app, &admin, &format!("{}/in", receiver.url), &[]).await;
    create_project(&app, &admin, "ENV", &[]).await;
    run(&app).await;
    let got = receiver.wait_for(1, WAIT).await;
    let p: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(p["eventType"], "project.created");
    assert_eq!(p["data"]["attributes"]["code"], "ENV");
    assert_eq!(p["messageId"], got[0].header("webhook-id").unwrap());
}

#[tokio::test]
async fn a_failure_is_retried_with_the_same_message_id() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::status(500).body("boom")]);
    webhook_to(&app, &admin, &format!("{}/in", receiver.url), &[]).await;
    create_project(&app, &admin, "RETRY", &[]).await;
    // The first retry is immediate, so one pass sends twice.
    assert_eq!(run(&app).await, 2);
    let got = receiver.wait_for(2, WAIT).await;
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    let (status, tries, _) = delivery(&app).await;
    assert_eq!((status.as_str(), tries), ("delivered", 2));
    let recorded = attempts(&app).await;
    assert_eq!(
        (recorded[0].0, recorded[0].1.as_deref()),
        (Some(500), Some("http"))
    );
    assert_eq!(recorded[1].0, Some(200));
}

#[tokio::test]
async fn the_second_failure_waits_for_its_retry() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::status(502), Answer::status(503)]);
    webhook_to(&app, &admin, &format!("{}/in", receiver.url), &[]).await;
    create_project(&app, &admin, "WAIT", &[]).await;
    assert_eq!(run(&app).await, 2);
    let (status, tries, _) = delivery(&app).await;
    assert_eq!((status.as_str(), tries), ("pending", 2));
    let wait: i64 =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT next_attempt_at FROM deliveries")
        .fetch_one(ex)
        .await)
        .unwrap();
    assert!(
        wait > hookline::db::now_ms() + 3_000,
        "about 5 s later (with jitter)"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::status(429).header("Retry-After", "120")]);
    webhook_to(&app, &admin, &format!("{}/in", receiver.url), &[]).await;
    create_project(&app, &admin, "BUSY", &[]).await;
    assert_eq!(run(&app).await, 1);
    let wait: i64 =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT next_attempt_at FROM deliveries")
        .fetch_one(ex)
        .await)
        .unwrap();
    let delay = wait - hookline::db::now_ms();
    assert!((110_000..=121_000).contains(&delay), "{delay} ms");
}

#[tokio::test]
async fn a_hang_is_cut_at_the_timeout_and_a_closed_port_is_a_connect_error() {
    let app = spawn_app_with(|s| s.delivery_timeout = Duration::from_secs(1)).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::status(200).delay(Duration::from_secs(30))]);
    webhook_to(&app, &admin, &format!("{}/slow", receiver.url), &[]).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    webhook_to(
        &app,
        &admin,
        &format!("http://127.0.0.1:{closed}/nobody"),
        &[],
    )
    .await;
    create_project(&app, &admin, "SLOW", &[]).await;
    let started = std::time::Instant::now();
    let queued: i64 = app.count("deliveries").await;
    assert_eq!(queued, 2);
    let _ = app.state.deliverer.run_once().await;
    let kinds: Vec<Option<String>> =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT error_kind FROM delivery_attempts ORDER BY webhook_id, id")
            .fetch_all(ex)
            .await)
            .unwrap();
    assert_eq!(kinds[0].as_deref(), Some("timeout"));
    assert!(
        kinds.iter().any(|k| k.as_deref() == Some("connect")),
        "{kinds:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the hang was cut: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn local_and_private_targets_are_refused_unless_allowed() {
    let app = spawn_app_with(|s| s.allow_private_targets = false).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let port = receiver.url.rsplit(':').next().unwrap().to_owned();
    for host in [
        "127.0.0.1",
        "10.0.0.1",
        "169.254.169.254",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "localhost",
    ] {
        webhook_to(&app, &admin, &format!("http://{host}:{port}/in"), &[]).await;
    }
    create_project(&app, &admin, "SAFE", &[]).await;
    let _ = app.state.deliverer.run_once().await;
    let recorded = attempts(&app).await;
    assert_eq!(recorded.len(), 6);
    for (status, kind, message, _) in &recorded {
        assert_eq!(
            (status, kind.as_deref()),
            (&None, Some("refused")),
            "{message}"
        );
        assert!(
            message.contains("HOOKLINE_ALLOW_PRIVATE_TARGETS=true"),
            "{message}"
        );
    }
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
    let dead: i64 = app.count_where("deliveries", "status = 'dead'").await;
    assert_eq!(dead, 6, "a refusal is not retried");

    // Allowed, the loopback ones arrive (the private and link-local ones are not tried here:
    // tests send nothing beyond the loopback).
    let open = spawn_app_with(|s| s.allow_private_targets = true).await;
    let admin = open.admin().await;
    for host in ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"] {
        webhook_to(&open, &admin, &format!("http://{host}:{port}/in"), &[]).await;
    }
    create_project(&open, &admin, "OPEN", &[]).await;
    let _ = open.state.deliverer.run_once().await;
    receiver.wait_for(3, WAIT).await;
}

#[tokio::test]
async fn a_410_turns_the_webhook_off_and_says_so() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::status(410)]);
    let id = webhook_to(&app, &admin, &format!("{}/gone", receiver.url), &[]).await;
    create_project(&app, &admin, "GONE", &[]).await;
    run(&app).await;
    let (active, reason): (bool, Option<String>) =
        on_db!(&app.state.store, ex => sqlx::query_as("SELECT active, disabled_reason FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_one(ex)
            .await)
            .unwrap();
    assert!(!active);
    assert!(reason.unwrap().contains("410 Gone"));
    let logged: i64 = app
        .count_where("app_log", "kind = 'webhook_disabled'")
        .await;
    assert_eq!(logged, 1);
    assert_eq!(delivery(&app).await.0, "dead");
}

#[tokio::test]
async fn changes_to_one_object_arrive_in_order_even_across_retries() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::status(500)]);
    webhook_to(&app, &admin, &format!("{}/in", receiver.url), &[]).await;
    let id = create_project(&app, &admin, "ORDER", &[]).await;
    for name in ["Second", "Third"] {
        app.post(
            &admin,
            &format!("/projects/{id}"),
            &[("code", "ORDER"), ("name", name), ("status", "Active")],
        )
        .await;
    }
    run(&app).await;
    let got = receiver.wait_for(4, WAIT).await;
    let versions = change_versions(&got);
    assert_eq!(
        versions,
        vec![1, 1, 2, 3],
        "the failed first change is retried before the later ones go"
    );
}

#[tokio::test]
async fn background_workers_deliver_right_after_the_commit() {
    let app = spawn_app_with(|s| s.run_delivery_workers = true).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    webhook_to(&app, &admin, &format!("{}/in", receiver.url), &[]).await;
    create_project(&app, &admin, "AWAKE", &[]).await;
    receiver.wait_for(1, WAIT).await;
}

#[tokio::test]
async fn background_workers_deliver_one_event_to_every_matching_webhook() {
    let app = spawn_app_with(|s| s.run_delivery_workers = true).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    for n in 0..3 {
        webhook_to(&app, &admin, &format!("{}/in/{n}", receiver.url), &[]).await;
    }
    create_project(&app, &admin, "FANOUT", &[]).await;
    let got = receiver.wait_for(3, WAIT).await;
    let mut targets: Vec<&str> = got.iter().map(|r| r.target.as_str()).collect();
    targets.sort_unstable();
    assert_eq!(targets, ["/in/0", "/in/1", "/in/2"]);
    // Every attempt recorded, every delivery settled.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let delivered: i64 = app.count_where("deliveries", "status = 'delivered'").await;
        if delivered == 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{delivered} of 3 settled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let recorded: i64 = app.count("delivery_attempts").await;
    assert_eq!(recorded, 3);
}

#[tokio::test]
async fn a_synchronous_call_outside_the_transaction_reports_its_error_and_the_change_stays() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script([Answer::status(404)]);
    webhook_to(
        &app,
        &admin,
        &format!("{}/sync", receiver.url),
        &[("synchronous", "on")],
    )
    .await;
    let res = app
        .post(
            &admin,
            "/projects/new",
            &[("code", "SYNC"), ("name", "Sync"), ("status", "Active")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&admin, "/projects").await;
    assert!(
        page.contains(&escaped(&format!(
            "Request sent to {}/sync (status code: 404)",
            receiver.url
        ))),
        "{page}"
    );
    let saved: i64 = app.count_where("projects", "code = 'SYNC'").await;
    assert_eq!(saved, 1, "the change stays");
    assert_eq!(
        receiver.received().len(),
        1,
        "called once, while the person waited"
    );
    assert_eq!(
        delivery(&app).await.0,
        "dead",
        "a failed synchronous call is not retried in the background"
    );
}

#[tokio::test]
async fn a_synchronous_call_in_the_transaction_can_veto_the_change() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let id = create_project(&app, &admin, "VETO", &[("budget", "100")]).await;
    webhook_to(
        &app,
        &admin,
        &format!("{}/approve", receiver.url),
        &[("synchronous", "on"), ("in_transaction", "on")],
    )
    .await;
    let events_before: i64 = app.count("events").await;

    receiver.script([Answer::status(422).body("Budget over the limit")]);
    let res = app
        .post(
            &admin,
            &format!("/projects/{id}"),
            &[
                ("code", "VETO"),
                ("name", "Apollo"),
                ("status", "Active"),
                ("budget", "999999"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("The change was cancelled by a webhook."),
        "{page}"
    );
    assert!(page.contains("(status code: 422): Budget over the limit"));
    let budget: Option<i64> = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT budget FROM projects WHERE id = $1")
        .bind(id)
        .fetch_one(ex)
        .await)
        .unwrap();
    assert_eq!(budget, Some(100), "nothing changed");
    let events_after: i64 = app.count("events").await;
    assert_eq!(events_after, events_before, "no event for a refused change");
    let proposed: serde_json::Value = serde_json::from_str(&receiver.received()[0].body).unwrap();
    assert_eq!(
        proposed["data"]["attributes"]["budget"], 999_999,
        "the hook saw the proposed state"
    );

    // Accepted: the change commits, with the message id the receiver saw.
    let res = app
        .post(
            &admin,
            &format!("/projects/{id}"),
            &[
                ("code", "VETO"),
                ("name", "Apollo"),
                ("status", "Active"),
                ("budget", "500"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let budget: Option<i64> = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT budget FROM projects WHERE id = $1")
        .bind(id)
        .fetch_one(ex)
        .await)
        .unwrap();
    assert_eq!(budget, Some(500));
    let got = receiver.received();
    let (status, _, message_id) = delivery(&app).await;
    assert_eq!(status, "delivered");
    assert_eq!(got[1].header("webhook-id"), Some(message_id.as_str()));
    let approved: serde_json::Value = serde_json::from_str(&got[1].body).unwrap();
    let stored: String = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT event_id FROM events ORDER BY id DESC LIMIT 1")
        .fetch_one(ex)
        .await)
        .unwrap();
    assert_eq!(
        approved["eventId"], stored,
        "the event keeps the id the receiver approved"
    );
    assert_eq!(
        got.len(),
        2,
        "called once per try, never again in the background"
    );
}

#[tokio::test]
async fn approving_webhooks_in_the_transaction_each_keep_the_message_id_their_receiver_saw() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let id = create_project(&app, &admin, "BOTH", &[]).await;
    for path in ["first", "second", "third"] {
        let url = format!("{}/{path}", receiver.url);
        let tx = [("synchronous", "on"), ("in_transaction", "on")];
        webhook_to(&app, &admin, &url, &tx).await;
    }

    let change = [
        ("code", "BOTH"),
        ("name", "Apollo II"),
        ("status", "Active"),
    ];
    let res = app.post(&admin, &format!("/projects/{id}"), &change).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let seen: std::collections::BTreeMap<String, String> = receiver
        .received()
        .iter()
        .map(|r| (r.target.clone(), r.header("webhook-id").unwrap().to_owned()))
        .collect();
    let kept: Vec<(String, String, String)> = on_db!(&app.state.store, ex => sqlx::query_as(
        "SELECT w.url, d.message_id, d.status FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
         ORDER BY w.url",
    )
    .fetch_all(ex)
    .await)
    .unwrap();
    assert_eq!(kept.len(), 3, "{kept:?}");
    for (url, message_id, status) in &kept {
        let target = url.trim_start_matches(&receiver.url);
        assert_eq!(seen.get(target), Some(message_id), "{target}: {seen:?}");
        assert_eq!(status, "delivered");
    }
    assert_eq!(receiver.received().len(), 3, "each receiver called once");
}

#[tokio::test]
async fn the_list_follows_each_new_outcome_without_missing_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    webhook_to(&app, &admin, &format!("{}/a", receiver.url), &[]).await;
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(!list.contains("OK (") && !list.contains("ERROR ("));

    let project = create_project(&app, &admin, "OUTCOME", &[]).await;
    run(&app).await;
    assert!(app.get_html(&admin, "/webhooks").await.contains("OK (200)"));

    receiver.script([Answer::status(503), Answer::status(503)]);
    app.post(
        &admin,
        &format!("/projects/{project}"),
        &[
            ("code", "OUTCOME"),
            ("name", "Changed"),
            ("status", "Active"),
        ],
    )
    .await;
    run(&app).await;
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(
        list.contains("ERROR (503)") && !list.contains("OK (200)"),
        "{list}"
    );

    // A webhook never executed sorts after it, in both directions.
    let mut never = form_with(&[
        ("wording", "Never called"),
        ("url", "https://never.example.com/x"),
    ]);
    never.retain(|(k, _)| *k != "header_name" && *k != "header_value" && *k != "header_kind");
    create_webhook(&app, &admin, &never).await;
    for dir in ["asc", "desc"] {
        let list = app
            .get_html(&admin, &format!("/webhooks?sort=last_execution&dir={dir}"))
            .await;
        let (called, uncalled) = (
            list.find("ERROR (503)").unwrap(),
            list.find(">Never called</a>").unwrap(),
        );
        assert!(called < uncalled, "{dir}: {list}");
    }
}

#[tokio::test]
async fn a_slow_receiver_still_gets_an_objects_changes_in_order_from_the_workers() {
    let app = spawn_app_with(|s| s.run_delivery_workers = true).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    webhook_to(&app, &admin, &format!("{}/in", receiver.url), &[]).await;
    // The first call is slow: the next changes of the same project must wait for it.
    receiver.script([Answer::status(200).delay(std::time::Duration::from_millis(300))]);
    let project = create_project(&app, &admin, "ORDER", &[]).await;
    for name in ["Second", "Third"] {
        let res = app
            .post(
                &admin,
                &format!("/projects/{project}"),
                &[("code", "ORDER"), ("name", name), ("status", "Active")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let got = receiver.wait_for(3, WAIT).await;
    let versions = change_versions(&got);
    assert_eq!(versions, [1, 2, 3], "in the order of the changes");
}

#[tokio::test]
async fn deliveries_the_workers_have_no_room_for_wait_in_the_queue_not_in_memory() {
    let app = spawn_app_with(|s| {
        s.run_delivery_workers = true;
        // One sender, so room for four handed-over deliveries.
        s.delivery_concurrency = 1;
    })
    .await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    webhook_to(&app, &admin, &format!("{}/in", receiver.url), &[]).await;
    // The first call holds the only sender while the other changes are made.
    receiver.script([Answer::status(200).delay(Duration::from_secs(8))]);
    for n in 0..12 {
        create_project(&app, &admin, &format!("ROOM{n}"), &[]).await;
    }
    // One sent, four handed over; the sixth found no room and went to the queue, and the
    // later ones followed it there rather than overtake it.
    let deadline = std::time::Instant::now() + WAIT;
    while app.count_where("deliveries", "status = 'pending'").await < 7 {
        assert!(std::time::Instant::now() < deadline, "nothing was queued");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(receiver.received().len(), 1, "the first call is still held");
    assert_eq!(app.count_where("deliveries", "status = 'pending'").await, 7);
    assert_eq!(
        app.count_where("deliveries", "status = 'in_flight'").await,
        5
    );
    // Once the receiver answers, every one of them goes, each once.
    let got = receiver.wait_for(12, WAIT + Duration::from_secs(8)).await;
    let mut ids: Vec<&str> = got.iter().filter_map(|r| r.header("webhook-id")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 12, "twelve distinct messages");
    let deadline = std::time::Instant::now() + WAIT;
    while app.count_where("deliveries", "status = 'delivered'").await < 12 {
        assert!(std::time::Instant::now() < deadline, "not all settled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// On PostgreSQL a webhook's delivery outcome, delivered or failed, is written in place (a
/// heap-only update): were any of the columns it changes indexed, each outcome would add an
/// entry to every index of the webhooks, thousands a second for a busy webhook.
#[tokio::test]
async fn a_webhooks_outcome_is_written_in_place_on_postgresql() {
    if !on_postgres() {
        return;
    }
    let (_app, id, mut tx) = a_webhook_and_a_transaction().await;
    for (at, status) in [(1_000, 200), (2_000, 500)] {
        let outcome = hookline::db::attempts::Outcome::tally([(id, at, status, status == 200)]);
        hookline::db::attempts::record_outcomes(&mut tx, &[], &[], &outcome, at)
            .await
            .unwrap();
    }
    let counted: (i64, i64) = on_db!(&mut tx, ex => sqlx::query_as(
        "SELECT pg_stat_get_xact_tuples_updated('webhooks'::regclass),
                pg_stat_get_xact_tuples_hot_updated('webhooks'::regclass)",
    )
    .fetch_one(ex)
    .await)
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        counted,
        (2, 2),
        "(updates of the webhook, of which in place)"
    );
}

/// An app with one webhook, and a write transaction: for what PostgreSQL counts of the
/// statements of one connection.
async fn a_webhook_and_a_transaction()
-> (TestApp, hookline::domain::ids::WebhookId, hookline::db::Tx) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let webhook = webhook_to(&app, &admin, "http://127.0.0.1:9/in", &[]).await;
    let tx = app.state.store.begin_write().await.unwrap();
    (app, hookline::domain::ids::WebhookId::new(webhook), tx)
}

/// The recorder's statement keeps one plan on a connection, whatever its batches' sizes:
/// when PostgreSQL could see how many attempts a batch held, it planned the statement anew
/// on nearly every call.
#[tokio::test]
async fn the_recorders_statement_keeps_its_plan_on_postgresql() {
    use hookline::db::attempts::{Outcome, record_outcomes};
    if !on_postgres() {
        return;
    }
    let (_app, id, mut tx) = a_webhook_and_a_transaction().await;
    // A queue with a history, as PostgreSQL knows it once autovacuum has analyzed it: for
    // an empty table every plan looks alike.
    for history in [
        "INSERT INTO events (event_id, event_type, object_type, object_id, changes,
             initiator_name, initiator_email, occurred_at, change_version)
         VALUES ('evt_history', 'project.created', 'project', 1, '[]', 'A', 'a@b.c', 1, 1)",
        "INSERT INTO deliveries (event_id, webhook_id, message_id, mode, status,
             next_attempt_at, created_at, object_key)
         SELECT (SELECT id FROM events WHERE event_id = 'evt_history'), w.id, 'msg_' || n,
             'async', CASE WHEN n > 4960 THEN 'in_flight' ELSE 'delivered' END, n, n,
             'project:' || n
         FROM generate_series(1, 5000) AS n, (SELECT min(id) AS id FROM webhooks) AS w",
        "ANALYZE deliveries",
    ] {
        on_db!(&mut tx, ex => sqlx::query(history).execute(ex).await.map(drop)).unwrap();
    }
    let settle: Vec<i64> = on_db!(&mut tx, ex => sqlx::query_scalar(
        "SELECT id FROM deliveries WHERE status = 'in_flight' ORDER BY id",
    )
    .fetch_all(ex)
    .await)
    .unwrap();
    let mut settle = settle
        .into_iter()
        .map(hookline::domain::ids::DeliveryId::new);
    for call in 0..12 {
        let at = 1_000 + call;
        let attempts: Vec<_> = (0..=call % 3).map(|_| test_call(id, at)).collect();
        let settled: Vec<_> = settle.by_ref().take(attempts.len()).collect();
        let outcome = Outcome::tally([(id, at, 200, true)]);
        record_outcomes(&mut tx, &attempts, &settled, &outcome, at)
            .await
            .unwrap();
    }
    let (custom, generic): (i64, i64) = on_db!(&mut tx, ex => sqlx::query_as(
        "SELECT custom_plans, generic_plans FROM pg_prepared_statements
         WHERE statement LIKE '%INSERT INTO delivery_attempts%'
           AND statement NOT LIKE '%pg_prepared_statements%'",
    )
    .fetch_one(ex)
    .await)
    .unwrap();
    tx.rollback().await.unwrap();
    // PostgreSQL plans for the values given five times before it settles on a plan.
    assert!(
        custom <= 5 && generic >= 7,
        "{custom} calls planned for their values, {generic} on the plan kept"
    );
}

/// A test call to `webhook` that its receiver answered, as the recorder takes it.
fn test_call(
    webhook: hookline::domain::ids::WebhookId,
    at: i64,
) -> hookline::db::attempts::NewAttempt<'static> {
    hookline::db::attempts::NewAttempt {
        delivery_id: None,
        webhook_id: webhook,
        attempt_no: 1,
        trigger: hookline::domain::delivery::Trigger::Test,
        started_at: at,
        duration_ms: 1,
        method: "POST",
        url: "http://127.0.0.1:9/in",
        request_headers: "[]".into(),
        request_body: "{}",
        status: Some(200),
        response_headers: Some("[]".into()),
        response_body: Some(""),
        error_kind: None,
        error_message: None,
        error_detail: None,
    }
}

#[tokio::test]
async fn more_attempts_than_one_statement_holds_are_all_recorded() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let webhook = webhook_to(&app, &admin, "http://127.0.0.1:9/in", &[]).await;
    let attempts: Vec<_> = (0..1500)
        .map(|n| test_call(hookline::domain::ids::WebhookId::new(webhook), 1_000 + n))
        .collect();
    let mut tx = app.state.store.begin_write().await.unwrap();
    hookline::db::attempts::record_outcomes(
        &mut tx,
        &attempts,
        &[],
        &hookline::db::attempts::Outcome::tally([(
            hookline::domain::ids::WebhookId::new(webhook),
            2_499,
            204,
            true,
        )]),
        2_500,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (count, last): (i64, i64) = on_db!(&app.state.store, ex => sqlx::query_as(
        "SELECT COUNT(*), MAX(started_at) FROM delivery_attempts WHERE webhook_id = $1",
    )
    .bind(webhook)
    .fetch_one(ex)
    .await)
    .unwrap();
    assert_eq!((count, last), (1500, 2_499));
    let (at, status): (Option<i64>, Option<i64>) =
        on_db!(&app.state.store, ex => sqlx::query_as("SELECT last_execution_at, last_status FROM webhooks WHERE id = $1")
            .bind(webhook)
            .fetch_one(ex)
            .await)
            .unwrap();
    assert_eq!((at, status), (Some(2_499), Some(204)));
}

/// The rows a plan's scans read (`EXPLAIN ANALYZE` in text): those each returned and those
/// its filter dropped, times the loops that ran it.
fn rows_read(plan: &[String]) -> u64 {
    let number_after = |line: &str, key: &str| -> Option<u64> {
        let at = line.find(key)? + key.len();
        line[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    let (mut read, mut loops) = (0, 0);
    for line in plan {
        if line.contains(" Scan ") {
            loops = number_after(line, " loops=").unwrap_or(0);
            read += number_after(line, "actual rows=").unwrap_or(0) * loops;
        } else if let Some(removed) = number_after(line, "Rows Removed by Filter: ") {
            read += removed * loops;
        }
    }
    read
}

/// A claim reads about as many deliveries as it takes, however long the queue behind them,
/// even while PostgreSQL's statistics still say what they said before a burst: hardly
/// anything queued. Planned from those, the in-turn check became a join that read every
/// queued delivery again for each one claimed.
#[tokio::test]
async fn a_claim_behind_a_long_queue_reads_what_it_takes_even_with_stale_statistics() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let store = &app.state.store;
    let setup = [
        "ALTER TABLE deliveries SET (autovacuum_enabled = false)",
        "INSERT INTO events (event_id, event_type, object_type, object_id, changes,
             initiator_name, initiator_email, occurred_at, change_version)
         VALUES ('evt_burst', 'project.updated', 'project', 1, '[]', 'Bench', 'b@example.com', 0, 1)",
        "INSERT INTO deliveries (event_id, webhook_id, message_id, mode, status, attempts,
             next_attempt_at, created_at, object_key)
         SELECT (SELECT id FROM events WHERE event_id = 'evt_burst'), 1, 'msg_old_' || n, 'async', 'delivered', 1, 0, 0,
             'project:' || n
         FROM generate_series(1, 20000) n",
        "ANALYZE deliveries",
        // The burst: 10,000 queued deliveries of 2,000 objects, after the statistics.
        "INSERT INTO deliveries (event_id, webhook_id, message_id, mode, status, attempts,
             next_attempt_at, created_at, object_key)
         SELECT (SELECT id FROM events WHERE event_id = 'evt_burst'), 1, 'msg_new_' || n, 'async', 'pending', 0, n, n,
             'project:' || (n % 2000)
         FROM generate_series(1, 10000) n",
    ];
    for statement in setup {
        hookline::db::execute!(store, sqlx::query(statement)).unwrap();
    }
    let explain = format!(
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {}",
        hookline::db::deliveries::claim_statement(store.backend())
    );
    let plan: Vec<String> = on_db!(store, ex => sqlx::query_scalar(sqlx::AssertSqlSafe(explain))
        .bind(1_000_000_i64)
        .bind(60_000_i64)
        .bind(64_i64)
        .fetch_all(ex)
        .await)
    .unwrap();
    assert!(
        plan[0].contains("rows=64 "),
        "64 claimed:\n{}",
        plan.join("\n")
    );
    let read = rows_read(&plan);
    assert!(
        read <= 1_000,
        "{read} rows read to claim 64:\n{}",
        plan.join("\n")
    );
    assert_eq!(
        app.count_where("deliveries", "status = 'in_flight'").await,
        64
    );
}
