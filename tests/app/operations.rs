//! Operations: delivery search with keyset paging, Recover, bulk Retry now and Cancel, the
//! circuit breaker, `/metrics`, the health probes, JSON logs and the webhook's own page.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{admin_token, call, field_messages, token};
use crate::helpers::*;
use crate::receiver::{Answer, Receiver};

async fn webhook(app: &TestApp, t: &str, wording: &str, url: &str) -> i64 {
    let (status, body) = call(
        app,
        t,
        Method::POST,
        "/api/v1/webhooks",
        Some(json!({"wording": wording, "url": url, "eventTypes": ["project.*"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

/// A webhook whose receiver answers its first `calls` requests with `status`, then 200.
async fn failing_webhook(
    app: &TestApp,
    t: &str,
    wording: &str,
    status: u16,
    calls: usize,
) -> (Receiver, i64) {
    let receiver = Receiver::start().await;
    receiver.script(std::iter::repeat_n(Answer::status(status), calls));
    let hook = webhook(app, t, wording, &receiver.url).await;
    (receiver, hook)
}

/// Creates `n` projects by API, a few at a time; gives their ids in order.
async fn projects(app: &TestApp, t: &str, n: usize) -> Vec<i64> {
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(16) {
        let made = join_all(chunk.iter().map(|k| async move {
            let (status, body) = call(
                app,
                t,
                Method::POST,
                "/api/v1/projects",
                Some(json!({"code": format!("S{k:04}"), "name": "Search", "status": "Active"})),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body["id"].as_i64().unwrap()
        }))
        .await;
        ids.extend(made);
    }
    ids
}

/// Every page of a search, following nextCursor; the ids in the order given.
async fn all_pages(app: &TestApp, t: &str, query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let path = match &cursor {
            None => format!("/api/v1/deliveries?{query}"),
            Some(c) => format!("/api/v1/deliveries?{query}&cursor={c}"),
        };
        let (status, page) = call(app, t, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        rows.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return rows,
        }
    }
    panic!("more than 100 pages for {query}");
}

fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn deliveries_are_found_by_every_criterion_and_paged_without_gaps() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let fine = Receiver::start().await;
    let down = Receiver::start().await;
    // Down for good (its retries fall due in 5 s, which a slow run may reach).
    down.script(std::iter::repeat_n(Answer::status(500), 10_000));
    let a = webhook(&app, &t, "Fine", &fine.url).await;
    let b = webhook(&app, &t, "Down", &down.url).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let made = projects(&app, &t, 500).await;
    let after = chrono::Utc::now() + chrono::Duration::seconds(1);
    app.state.deliverer.run_once().await.unwrap();

    // Every one of the 1,000 deliveries, newest first, on pages of 37: none twice, none missed.
    let rows = all_pages(&app, &t, "limit=37").await;
    let got = ids(&rows);
    assert_eq!(got.len(), 1000);
    assert_eq!(
        got.iter().collect::<HashSet<_>>().len(),
        1000,
        "no row twice"
    );
    assert!(got.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(app.count("deliveries").await, 1000);

    let count = |rows: Vec<Value>| rows.len();
    assert_eq!(
        count(all_pages(&app, &t, &format!("webhookId={a}")).await),
        500
    );
    assert_eq!(
        count(all_pages(&app, &t, "state=delivered&limit=500").await),
        500
    );
    let failed = all_pages(&app, &t, &format!("webhookId={b}&status=500")).await;
    assert_eq!(failed.len(), 500);
    assert!(failed.iter().all(|r| r["state"] == "waiting"));
    assert_eq!(count(all_pages(&app, &t, "failureKind=http").await), 500);
    assert_eq!(count(all_pages(&app, &t, "failureKind=timeout").await), 0);
    assert_eq!(
        count(all_pages(&app, &t, &format!("webhookId={a}&status=500")).await),
        0
    );

    let from = before.to_rfc3339();
    let to = after.to_rfc3339();
    // A time range pages by creation time: the same thousand, none twice.
    let query = format!("from={}&to={}&limit=37", urlencode(&from), urlencode(&to));
    let in_range = all_pages(&app, &t, &query).await;
    assert_eq!(in_range.len(), 1000);
    assert_eq!(ids(&in_range).iter().collect::<HashSet<_>>().len(), 1000);
    let times: Vec<&str> = in_range
        .iter()
        .map(|r| r["createdAt"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let later = urlencode(&after.to_rfc3339());
    assert_eq!(
        count(all_pages(&app, &t, &format!("from={later}")).await),
        0
    );

    // One object: one delivery per webhook.
    let project = made[7];
    let of_object = all_pages(&app, &t, &format!("objectType=project&objectId={project}")).await;
    assert_eq!(of_object.len(), 2);
    assert!(of_object.iter().all(|r| r["objectId"] == project));
    let message = of_object[0]["messageId"].as_str().unwrap().to_owned();
    let one = all_pages(&app, &t, &format!("messageId={message}")).await;
    assert_eq!(ids(&one), [of_object[0]["id"].as_i64().unwrap()]);
    let (_, detail) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/deliveries/{}", of_object[0]["id"]),
        None,
    )
    .await;
    assert!(detail["attemptLog"].as_array().is_some());
    let event: String = hookline::on_db!(&app.state.store, ex => sqlx::query_scalar(
        "SELECT e.event_id FROM events e JOIN deliveries d ON d.event_id = e.id WHERE d.message_id = $1",
    )
    .bind(&message)
    .fetch_one(ex)
    .await)
    .unwrap();
    assert_eq!(
        count(all_pages(&app, &t, &format!("eventId={event}")).await),
        2
    );

    // Each criterion that cannot be read is named; an unknown one is refused.
    let (status, body) = call(
        &app,
        &t,
        Method::GET,
        "/api/v1/deliveries?state=lost&from=yesterday&status=99&failureKind=boom&objectId=3&cursor=abc&limit=0&webhookId=-2",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields: HashSet<String> = field_messages(&body).into_iter().map(|(f, _)| f).collect();
    for f in [
        "state",
        "from",
        "status",
        "failureKind",
        "objectType",
        "cursor",
        "limit",
        "webhookId",
    ] {
        assert!(fields.contains(f), "{f} in {body}");
    }
    let (status, body) = call(&app, &t, Method::GET, "/api/v1/deliveries?webhook=1", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/deliveries?from={later}&to={}", urlencode(&from)),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(field_messages(&body)[0].0, "to");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn recover_sends_failed_deliveries_again_in_order_with_their_message_ids() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let (receiver, hook) = failing_webhook(&app, &t, "Outage", 503, 4).await;
    let made = projects(&app, &t, 2).await;
    for (k, project) in made.iter().enumerate() {
        for name in ["Second", "Third"] {
            let (status, body) = call(
                &app,
                &t,
                Method::PUT,
                &format!("/api/v1/projects/{project}"),
                Some(json!({"code": format!("S{k:04}"), "name": name, "status": "Active"})),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
    // The first change of each project fails, and so does its first retry (made at once):
    // it waits for the next; those after it wait behind it. One waiting delivery is made
    // dead and one queued cancelled, by hand.
    app.state.deliverer.run_once().await.unwrap();
    assert_eq!(receiver.received().len(), 4);
    let all = all_pages(&app, &t, &format!("webhookId={hook}")).await;
    assert_eq!(all.len(), 6);
    let oldest = ids(&all).into_iter().min().unwrap();
    hookline::execute_on!(
        &app.state.store,
        sqlx::query("UPDATE deliveries SET status = 'dead' WHERE id = $1").bind(oldest)
    )
    .unwrap();
    let queued: Vec<i64> = all
        .iter()
        .filter(|r| r["state"] == "queued")
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    hookline::execute_on!(
        &app.state.store,
        sqlx::query("UPDATE deliveries SET status = 'cancelled' WHERE id = $1").bind(queued[0])
    )
    .unwrap();
    let sent_first: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect();

    // Bad requests first: nothing moves.
    let path = format!("/api/v1/webhooks/{hook}/recover");
    for (body, field) in [
        (json!({"since": "last week"}), "since"),
        (json!({"since": "2999-01-01T00:00:00Z"}), "since"),
    ] {
        let (status, answer) = call(&app, &t, Method::POST, &path, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(field_messages(&answer)[0].0, field);
    }
    let (status, _) = call(&app, &t, Method::POST, &path, Some(json!({"from": "x"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks/424242/recover",
        Some(json!({"since": "2020-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let reader = token(&app, 1, "Reader", &["deliveries.read"]).await;
    let (status, _) = call(
        &app,
        &reader,
        Method::POST,
        &path,
        Some(json!({"since": "2020-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Since a minute ago: the waiting, dead and cancelled ones; the queued ones stay queued.
    let since = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let (status, answer) = call(&app, &t, Method::POST, &path, Some(json!({"since": since}))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(
        answer["count"], 3,
        "two failed first changes (one dead) and one cancelled"
    );
    for _ in 0..4 {
        app.state.deliverer.run_once().await.unwrap();
    }
    let got = receiver.received();
    assert_eq!(got.len(), 4 + 6, "four failed calls, then all six went");
    let again: Vec<&crate::receiver::Received> = got[4..].iter().collect();
    let again_ids: Vec<&str> = again
        .iter()
        .map(|r| r.header("webhook-id").unwrap())
        .collect();
    for id in &sent_first {
        assert!(
            again_ids.contains(&id.as_str()),
            "{id} went again with its id"
        );
    }
    // Per project, the changes arrive in change-version order.
    for project in &made {
        let versions: Vec<i64> = again
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
            .filter(|p| p["data"]["id"] == *project)
            .map(|p| p["changeVersion"].as_i64().unwrap())
            .collect();
        assert_eq!(versions.len(), 3, "{versions:?}");
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    }
    let delivered = all_pages(&app, &t, &format!("webhookId={hook}&state=delivered")).await;
    assert_eq!(delivered.len(), 6);
    let log = app
        .count_where(
            "app_log",
            "kind = 'recovered' AND message LIKE '%sent 3 failed%'",
        )
        .await;
    assert_eq!(log, 1);

    // An inactive webhook is refused.
    let (_, w) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/webhooks/{hook}"),
        None,
    )
    .await;
    let mut update = json!({"version": w["version"], "wording": "Outage", "url": receiver.url, "eventTypes": ["project.*"], "active": false});
    let (status, body) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/webhooks/{hook}"),
        Some(update.take()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(&app, &t, Method::POST, &path, Some(json!({"since": since}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn a_webhook_that_keeps_failing_is_turned_off_and_turning_it_on_clears_that() {
    let app = spawn_app_with(|s| {
        s.auto_disable_after = Duration::from_secs(2);
        s.auto_disable_min_failures = 3;
    })
    .await;
    let t = admin_token(&app).await;
    let (receiver, hook) = failing_webhook(&app, &t, "Flaky", 500, 20).await;
    let pager = Receiver::start().await;
    listener(&app, &t, "Pager", &pager.url, "webhook.disabled").await;
    let made = projects(&app, &t, 2).await;
    app.state.deliverer.run_once().await.unwrap();
    let first_failure = std::time::Instant::now();
    let waiting = all_pages(&app, &t, &format!("webhookId={hook}&state=waiting")).await;
    assert_eq!(waiting.len(), 2);
    let retry = |id: i64| {
        let t = t.clone();
        let app = &app;
        async move {
            call(
                app,
                &t,
                Method::POST,
                &format!("/api/v1/deliveries/{id}/retry"),
                None,
            )
            .await
        }
    };
    let read = |hook: i64| {
        let t = t.clone();
        let app = &app;
        async move {
            call(
                app,
                &t,
                Method::GET,
                &format!("/api/v1/webhooks/{hook}"),
                None,
            )
            .await
        }
    };
    // Five failures in a row, but not yet for 2 s: still on.
    let (status, body) = retry(waiting[0]["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, w) = read(hook).await;
    assert_eq!(w["active"], true, "{w}");
    // The breaker needs the run of failures to last: time must pass.
    tokio::time::sleep_until((first_failure + Duration::from_millis(2100)).into()).await;
    let (status, body) = retry(waiting[1]["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (_, w) = read(hook).await;
    assert_eq!(w["active"], false, "{w}");
    let reason = w["disabledReason"].as_str().unwrap().to_owned();
    assert!(reason.contains("every call has failed since"), "{reason}");
    // Two deliveries failed twice each, then two retries by hand.
    assert!(reason.contains("(6 in a row)"), "{reason}");
    // Its deliveries still to go are cancelled; the log, the history and the list say why.
    let cancelled = all_pages(&app, &t, &format!("webhookId={hook}&state=cancelled")).await;
    assert_eq!(cancelled.len(), 2);
    assert_eq!(
        app.count_where(
            "app_log",
            "kind = 'webhook_disabled' AND message LIKE '%every call has failed%'"
        )
        .await,
        1
    );
    let admin = app.admin().await;
    let history = app
        .get_html(&admin, &format!("/webhooks/{hook}/history"))
        .await;
    assert!(history.contains("Hookline") && history.contains("every call has failed"));
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(list.contains("disabled-reason"), "the list says why");
    let page = app
        .get_html(&admin, &format!("/webhooks/{hook}/overview"))
        .await;
    assert!(page.contains(&escaped(&reason)));
    assert_eq!(
        audit_verifies(&app).await,
        "the chain holds",
        "Hookline's own history entry keeps the chain"
    );
    // The webhook listening to webhook.disabled is told, with the run of failures.
    app.state.deliverer.run_once().await.unwrap();
    let told = pager.received();
    assert_eq!(told.len(), 1);
    let told: Value = serde_json::from_str(&told[0].body).unwrap();
    assert_eq!(told["eventType"], "webhook.disabled");
    assert_eq!(told["data"]["id"], hook);
    assert_eq!(told["data"]["attributes"]["failures"], 6);
    assert_eq!(
        told["data"]["attributes"]["disabled_reason"],
        reason.as_str()
    );

    // Turned on again: no reason any more, and a new run of failures starts from nothing.
    let update = json!({"version": w["version"], "wording": "Flaky", "url": receiver.url, "eventTypes": ["project.*"], "active": true});
    let (status, body) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/webhooks/{hook}"),
        Some(update),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disabledReason"], Value::Null, "{body}");
    let failures: i64 = hookline::on_db!(&app.state.store, ex => sqlx::query_scalar(
        "SELECT failure_count FROM webhooks WHERE id = $1",
    )
    .bind(hook)
    .fetch_one(ex)
    .await)
    .unwrap();
    assert_eq!(failures, 0);
    let _ = made;
}

pub async fn audit_verifies(app: &TestApp) -> &'static str {
    use hookline::services::audit::{ChainCheck, verify};
    match verify(&app.state.store).await.unwrap() {
        ChainCheck::Intact { .. } => "the chain holds",
        ChainCheck::Broken { .. } => "the chain is broken",
    }
}

async fn postgres_admin() -> sqlx::PgPool {
    sqlx::PgPool::connect(&format!("{}/postgres", postgres_server()))
        .await
        .unwrap()
}

/// The samples of a scrape, parsed by a Prometheus text parser.
async fn scrape(app: &TestApp, t: &str) -> prometheus_parse::Scrape {
    let res = client()
        .get(app.url("/metrics"))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = res.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn metrics_parse_move_with_deliveries_and_need_their_scope() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let metrics = token(&app, 1, "Prometheus", &["metrics.read"]).await;
    let fine = Receiver::start().await;
    let down = Receiver::start().await;
    down.script(std::iter::repeat_n(Answer::status(500), 10));
    webhook(&app, &t, "Fine", &fine.url).await;
    webhook(&app, &t, "Down", &down.url).await;

    let before = scrape(&app, &metrics).await;
    assert!(
        before
            .samples
            .iter()
            .any(|s| s.metric == "hookline_deliveries")
    );
    // One change: one delivery that goes, one that fails twice (its first retry is at once).
    let made = projects(&app, &t, 1).await;
    app.state.deliverer.run_once().await.unwrap();
    let after = scrape(&app, &metrics).await;
    let success = [("outcome", "success"), ("mode", "asynchronous")];
    let failure = [("outcome", "failure"), ("mode", "asynchronous")];
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    assert_eq!(moved("hookline_delivery_attempts_total", &success), 1.0);
    assert_eq!(moved("hookline_delivery_attempts_total", &failure), 2.0);
    assert_eq!(moved("hookline_changes_recorded_total", &[]), 1.0);
    assert_eq!(
        value(&after, "hookline_deliveries", &[("state", "delivered")]),
        1.0
    );
    assert_eq!(
        value(&after, "hookline_deliveries", &[("state", "waiting")]),
        1.0
    );
    assert!(value(&after, "hookline_oldest_queued_delivery_age_seconds", &[]) >= 0.0);
    assert_eq!(
        moved("hookline_delivery_attempt_duration_seconds_count", &[]),
        3.0
    );
    assert!(
        value(
            &after,
            "hookline_database_commit_duration_seconds_count",
            &[]
        ) > 0.0
    );
    // Requests are counted by route pattern: no ids in labels.
    assert!(
        value(
            &after,
            "hookline_http_requests_total",
            &[
                ("route", "/api/v1/projects"),
                ("method", "POST"),
                ("status", "201")
            ]
        ) >= 1.0
    );
    assert!(
        after
            .samples
            .iter()
            .filter_map(|s| s.labels.get("route"))
            .all(|r| !r.chars().any(|c| c.is_ascii_digit()) || r.contains("v1")),
        "route labels are patterns"
    );
    let _ = made;

    // No token: 401; a token without the scope, or whose user lacks the right: 403.
    let res = client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let reader = token(&app, 1, "Reader", &["deliveries.read"]).await;
    let (status, body) = call(&app, &reader, Method::GET, "/metrics", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["missingScope"], "metrics.read");
    let admin = app.admin().await;
    let user = app
        .create_user(&admin, "projects@example.com", VIEWER)
        .await;
    let viewer_metrics = token(&app, user, "Viewer", &["metrics.read"]).await;
    let res = client()
        .get(app.url("/metrics"))
        .bearer_auth(&viewer_metrics)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "a viewer sees the queue");
    // The scope is not enough: its user must still see the queue.
    let rights = ["webhooks.view", "pending_orders.view"];
    let role = crate::escalation::role_with(&app, &admin, "Watchers", &rights).await;
    let user = app.create_user(&admin, "hooks@example.com", role).await;
    let watcher = token(&app, user, "Watcher", &["metrics.read"]).await;
    let (status, _) = call(&app, &watcher, Method::GET, "/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    let fields = [
        ("name", "Watchers"),
        ("description", ""),
        ("rights", "webhooks.view"),
    ];
    let res = app.post(&admin, &format!("/roles/{role}"), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, body) = call(&app, &watcher, Method::GET, "/metrics", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn the_health_probes_answer_without_sign_in_and_ready_fails_without_the_database() {
    let app = spawn_app().await;
    for path in ["/health/live", "/healthz"] {
        let res = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "live");
    }
    let ready = || async {
        let res = client().get(app.url("/health/ready")).send().await.unwrap();
        let status = res.status();
        (status, res.json::<Value>().await.unwrap())
    };
    let (status, body) = ready().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The test app drives its workers by hand.
    assert_eq!(body["checks"]["workers"], "off");
    assert_eq!(body["checks"]["database"], "ok");

    // The database goes away: 503, saying what is wrong and nothing more.
    let restore = cut_off_database(&app).await;
    let (status, body) = ready().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["checks"]["database"], "the database does not answer");
    let res = client().get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the process still answers");
    restore.await;
    // Connections the server dropped a moment ago may each fail one more check before the
    // pool lets them go: the instance is ready again once they are gone.
    until_status(StatusCode::OK, || async { ready().await.0 }).await;
}

#[tokio::test]
async fn a_database_with_no_connection_to_give_is_answered_503_then_serves_again() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let admin = app.admin().await;
    let held = hold_every_connection(&app).await;
    // Each request waits as long as the pool lets it, then is told to come back shortly,
    // not that something is broken.
    let (api, page) = tokio::join!(
        client()
            .get(app.url("/api/v1/projects"))
            .bearer_auth(&token)
            .send(),
        admin.get(app.url("/projects")).send()
    );
    let (api, page) = (api.unwrap(), page.unwrap());
    for res in [&api, &page] {
        assert_eq!(
            res.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            res.url()
        );
        assert_eq!(res.headers()["retry-after"], "5", "{}", res.url());
    }
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["status"], 503, "{body}");
    assert_eq!(body["code"], "unavailable", "{body}");
    assert!(
        body["reference"].as_str().is_some_and(|r| r.len() >= 6),
        "the log can be searched for it: {body}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Database unavailable"), "{html}");
    assert!(html.contains("Try again in a few seconds"), "{html}");

    drop(held);
    let (status, body) = call(&app, &token, Method::GET, "/api/v1/projects", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = app.get(&admin, "/projects").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_connection_the_server_ended_is_unavailable_and_a_statement_at_fault_is_not() {
    use hookline::db::availability::unavailable;
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let mut tx = app.state.store.begin_read().await.unwrap();
    let fault = hookline::on_db!(&mut tx, ex => sqlx::query("SELECT * FROM no_such_table")
        .execute(ex)
        .await
        .map(drop))
    .unwrap_err();
    assert!(!unavailable(&fault), "{fault:?}");
    drop(tx);

    let mut tx = app.state.store.begin_read().await.unwrap();
    let backend = backend_of(&mut tx).await;
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(backend)
        .fetch_one(&postgres_admin().await)
        .await
        .unwrap();
    assert!(ended);
    let lost = hookline::on_db!(&mut tx, ex => sqlx::query("SELECT 1").execute(ex).await.map(drop))
        .unwrap_err();
    assert!(unavailable(&lost), "{lost:?}");
}

#[tokio::test]
async fn connections_the_server_dropped_while_pooled_cost_no_transaction() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let store = hookline::db::Store::open_with(&app.state.settings.database_url, Some(4))
        .await
        .unwrap();
    // Every connection of the pool, used and given back a moment ago: none is checked again
    // before its next use.
    let mut backends = Vec::new();
    for _ in 0..4 {
        let mut tx = store.begin_read().await.unwrap();
        backends.push((backend_of(&mut tx).await, tx));
    }
    let (backends, held): (Vec<i32>, Vec<_>) = backends.into_iter().unzip();
    for tx in held {
        tx.commit().await.unwrap();
    }
    // The server ends them all, as a restart would.
    let admin = postgres_admin().await;
    sqlx::query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid")
        .bind(&backends)
        .execute(&admin)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)")
                .bind(&backends)
                .fetch_one(&admin)
                .await
                .unwrap();
        if left == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{left} backends left");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let mut tx = store
        .begin_write()
        .await
        .expect("a new connection takes the place of the lost ones");
    let one: i32 =
        hookline::on_db!(&mut tx, ex => sqlx::query_scalar("SELECT 1").fetch_one(ex).await)
            .unwrap();
    assert_eq!(one, 1);
    tx.commit().await.unwrap();
    store.begin_read().await.unwrap().commit().await.unwrap();
}

/// The PostgreSQL backend serving a transaction's connection.
async fn backend_of(tx: &mut hookline::db::ReadTx) -> i32 {
    hookline::on_db!(tx, ex => sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(ex)
        .await)
    .unwrap()
}

#[tokio::test]
async fn connections_opened_while_the_database_file_is_away_make_no_empty_database() {
    if on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let restore = cut_off_database(&app).await;
    // Those the pool has open, and no new one: there is no file to open.
    let open = hold_every_connection(&app).await.len();
    let file = app.dir.path().join("hookline.db");
    assert!(
        !file.exists(),
        "an empty database was made in the file's place"
    );
    restore.await;

    // Every connection in the pool, old and new, reads the one database.
    let mut held = hold_every_connection(&app).await;
    assert!(
        held.len() > open,
        "connections open again once the file is back"
    );
    for tx in &mut held {
        let users: i64 =
            hookline::on_db!(tx, ex => sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(ex)
            .await)
            .expect("a pooled connection reads the database");
        assert_eq!(users, 1);
    }
}

/// Makes the app's database unreachable; the future it gives makes it reachable again.
async fn cut_off_database(app: &TestApp) -> impl Future<Output = ()> + '_ {
    use std::pin::Pin;
    let back: Pin<Box<dyn Future<Output = ()> + '_>> = if on_postgres() {
        let name = app
            .state
            .settings
            .database_url
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let admin = postgres_admin().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
        )))
        .execute(&admin)
        .await
        .unwrap();
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(&name)
            .execute(&admin)
            .await
            .unwrap();
        Box::pin(async move {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"
            )))
            .execute(&admin)
            .await
            .unwrap();
        })
    } else {
        let file = app.dir.path().join("hookline.db");
        let aside = app.dir.path().join("moved-away.db");
        std::fs::rename(&file, &aside).unwrap();
        Box::pin(async move {
            std::fs::rename(&aside, &file).unwrap();
        })
    };
    back
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hookline.db");
    let out = crate::process::hookline(&db)
        .args([
            "user",
            "add",
            "--email",
            "j@example.com",
            "--name",
            "J",
            "--role",
            "Viewer",
        ])
        .env("HOOKLINE_LOG_FORMAT", "json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let created = lines
        .iter()
        .find(|l| l["message"] == "user created")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(created["level"], "INFO");
    assert!(created["timestamp"].is_string() && created["user_id"].is_string());

    let bad = crate::process::hookline(&db)
        .args(["serve"])
        .env("HOOKLINE_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("xml"));
}

#[tokio::test]
async fn seed_adds_a_week_of_delivery_history_for_benchmarks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hookline.db");
    let out = crate::process::run(&db, &["seed", "--webhooks", "0", "--attempts", "1000"]);
    assert!(out.contains("Added 1000 delivery attempts"), "{out}");
    let store = hookline::db::Store::open(&database_url(&db)).await.unwrap();
    let counts: (i64, i64, i64, i64) = hookline::on_db!(&store, ex => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM delivery_attempts), (SELECT COUNT(*) FROM deliveries),
                (SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'),
                (SELECT COUNT(*) FROM webhooks WHERE active)",
    )
    .fetch_one(ex)
    .await)
    .unwrap();
    assert_eq!(
        counts,
        (1000, 500, 400, 0),
        "nine in ten … delivered, and no webhook on"
    );
    let bad = crate::process::hookline(&db)
        .args(["seed", "--attempts", "-3"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[tokio::test]
async fn pending_orders_search_on_screen_and_act_on_a_selection() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    // Down: each delivery fails, and so does its first retry (made at once).
    let (_receiver, hook) = failing_webhook(&app, &t, "Screen", 502, 6).await;
    let made = projects(&app, &t, 3).await;
    app.state.deliverer.run_once().await.unwrap();
    let admin = app.admin().await;

    let page = app
        .get_html(
            &admin,
            &format!("/pending-orders?objectType=project&objectId={}", made[1]),
        )
        .await;
    assert_eq!(
        page.matches("name=\"ids\"").count(),
        1,
        "one delivery matches: {page}"
    );
    let page = app
        .get_html(&admin, "/pending-orders?status=abc&from=nope")
        .await;
    assert!(page.contains("An HTTP status is a number"));
    assert!(page.contains("Give a time such as"));
    let page = app.get_html(&admin, "/pending-orders?limit=2").await;
    assert!(page.contains("Older deliveries"), "a next page is offered");
    let next = page
        .split("href=\"")
        .find(|s| s.starts_with("/pending-orders?") && s.contains("cursor="))
        .unwrap();
    let next = next
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let second = app.get_html(&admin, &next).await;
    assert_eq!(second.matches("name=\"ids\"").count(), 1);

    let waiting = all_pages(&app, &t, &format!("webhookId={hook}")).await;
    let ids: Vec<String> = waiting.iter().map(|r| r["id"].to_string()).collect();
    let detail = app
        .get_html(&admin, &format!("/pending-orders/{}", ids[0]))
        .await;
    assert!(
        detail.contains("<pre class=\"pre\">{\n  "),
        "a JSON body is shown indented: {detail}"
    );
    let mut fields: Vec<(&str, &str)> = ids.iter().map(|i| ("ids", i.as_str())).collect();
    fields.push(("action", "retry"));
    let res = app.post(&admin, "/pending-orders/bulk", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&admin, "/pending-orders").await;
    assert!(page.contains("3 deliveries queued to go now."), "{page}");
    app.state.deliverer.run_once().await.unwrap();
    assert_eq!(
        all_pages(&app, &t, &format!("webhookId={hook}&state=delivered"))
            .await
            .len(),
        3
    );
    // Delivered ones cannot be cancelled: left as they were, and said so.
    fields.pop();
    fields.push(("action", "cancel"));
    app.post(&admin, "/pending-orders/bulk", &fields).await;
    let page = app.get_html(&admin, "/pending-orders").await;
    assert!(
        page.contains("0 deliveries cancelled. 3 left as they were"),
        "{page}"
    );
    let res = app
        .post(&admin, "/pending-orders/bulk", &[("action", "retry")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&admin, "/pending-orders").await;
    assert!(page.contains("Select at least one delivery."));
    let res = app
        .post(
            &admin,
            "/pending-orders/bulk",
            &[("ids", "x"), ("action", "retry")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .post(
            &admin,
            "/pending-orders/bulk",
            &[("ids", "1"), ("action", "explode")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A viewer sees the list but no boxes to tick.
    let (viewer, _) = app.signed_in_as(VIEWER).await;
    let page = app.get_html(&viewer, "/pending-orders").await;
    assert!(!page.contains("name=\"ids\""));
    assert!(
        page.contains("href=\"/pending-orders\""),
        "the menu names Pending orders"
    );
    assert!(page.contains("href=\"/application-log\""));
    assert!(page.contains("href=\"/event-types\""));
    assert!(
        !page.contains("href=\"/api\""),
        "the API page is for token makers"
    );
}

#[tokio::test]
async fn a_webhooks_page_shows_its_health_its_deliveries_and_recovers_them() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    // Down: each delivery fails, and so does its first retry (made at once).
    let (receiver, hook) = failing_webhook(&app, &t, "Health", 500, 8).await;
    projects(&app, &t, 4).await;
    app.state.deliverer.run_once().await.unwrap();
    let admin = app.admin().await;
    let page = app
        .get_html(&admin, &format!("/webhooks/{hook}/overview"))
        .await;
    assert!(
        page.contains(r#"data-figure="day-deliveries">4<"#),
        "{page}"
    );
    assert!(page.contains(r#"data-figure="day-calls">8<"#));
    assert!(page.contains(r#"data-figure="day-success">0.0 %<"#));
    assert!(page.contains(r#"data-figure="failures">8, since"#));
    assert!(
        page.contains("0 OK and 8 ERROR in all"),
        "the chart's description"
    );
    assert!(page.contains("<svg class=\"chart\""));
    assert_eq!(page.matches("name=\"ids\"").count(), 0);
    assert_eq!(page.matches("href=\"/pending-orders/").count(), 4);
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(list.contains(&format!("href=\"/webhooks/{hook}/overview\"")));

    let since = (chrono::Utc::now() - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = app
        .post(
            &admin,
            &format!("/webhooks/{hook}/recover"),
            &[("since", "soon")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Give a time such as"));
    let res = app
        .post(
            &admin,
            &format!("/webhooks/{hook}/recover"),
            &[("since", &since)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app
        .get_html(&admin, &format!("/webhooks/{hook}/overview"))
        .await;
    assert!(page.contains("4 deliveries are going again"), "{page}");
    app.state.deliverer.run_once().await.unwrap();
    assert_eq!(receiver.received().len(), 12);
    let page = app
        .get_html(
            &admin,
            &format!("/webhooks/{hook}/overview?state=delivered"),
        )
        .await;
    assert_eq!(page.matches("href=\"/pending-orders/").count(), 4);

    // A viewer sees the page, but not Recover.
    let (viewer, _) = app.signed_in_as(VIEWER).await;
    let page = app
        .get_html(&viewer, &format!("/webhooks/{hook}/overview"))
        .await;
    assert!(!page.contains("/recover\""));
    let res = app
        .post(
            &viewer,
            &format!("/webhooks/{hook}/recover"),
            &[("since", &since)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.get(&admin, "/webhooks/424242/overview").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// A webhook on one operational event type, by API.
async fn listener(app: &TestApp, t: &str, wording: &str, url: &str, event_type: &str) -> i64 {
    let (status, body) = call(
        app,
        t,
        Method::POST,
        "/api/v1/webhooks",
        Some(json!({"wording": wording, "url": url, "eventTypes": [event_type]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn operational_events_tell_other_webhooks_of_trouble_and_never_loop() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    // A receiver that has gone away: its delivery dies and its webhook is turned off.
    let (_gone, hook) = failing_webhook(&app, &t, "Old CRM", 410, 1).await;
    let pager = Receiver::start().await;
    let chat = Receiver::start().await;
    // The chat's receiver has gone too: its own delivery of delivery.dead dies, which tells
    // no one (no loop), while its being turned off reaches the pager.
    chat.script([Answer::status(410)]);
    let pager_hook = listener(&app, &t, "Pager", &pager.url, "webhook.disabled").await;
    let chat_hook = listener(&app, &t, "Chat", &chat.url, "delivery.*").await;
    let (_, body) = call(&app, &t, Method::GET, "/api/v1/webhooks", None).await;
    let listed = body["data"].as_array().unwrap();
    let chat_listed = listed.iter().find(|w| w["id"] == chat_hook).unwrap();
    assert_eq!(chat_listed["eventTypes"], json!(["delivery.dead"]));

    let made = projects(&app, &t, 1).await;
    app.state.deliverer.run_once().await.unwrap();

    let (_, crm) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/webhooks/{hook}"),
        None,
    )
    .await;
    assert_eq!(crm["active"], false);
    let dead = all_pages(&app, &t, &format!("webhookId={hook}&state=dead")).await;
    assert_eq!(dead.len(), 1);

    let told = chat.received();
    assert_eq!(told.len(), 1, "the chat hears of the dead delivery once");
    let told: Value = serde_json::from_str(&told[0].body).unwrap();
    assert_eq!(told["eventType"], "delivery.dead");
    assert_eq!(told["data"]["objectType"], "delivery");
    assert_eq!(told["data"]["id"], dead[0]["id"]);
    assert_eq!(told["data"]["initiator"]["name"], "Hookline");
    let attributes = &told["data"]["attributes"];
    assert_eq!(attributes["message_id"], dead[0]["messageId"]);
    assert_eq!(attributes["webhook"], hook);
    assert_eq!(attributes["webhook_wording"], "Old CRM");
    assert_eq!(attributes["event_type"], "project.created");
    assert!(attributes["last_error"].as_str().unwrap().contains("410"));

    let told: Vec<Value> = pager
        .received()
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    let about: HashSet<i64> = told
        .iter()
        .map(|t| {
            assert_eq!(t["eventType"], "webhook.disabled");
            assert_eq!(t["webhookId"], pager_hook);
            t["data"]["id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(
        about,
        HashSet::from([hook, chat_hook]),
        "the pager hears of both webhooks turned off, once each"
    );
    let crm_told = told.iter().find(|t| t["data"]["id"] == hook).unwrap();
    assert_eq!(crm_told["data"]["attributes"]["wording"], "Old CRM");
    assert!(
        !crm_told.to_string().contains(&_gone.url),
        "a receiver's URL, which may hold its secret, is not passed on"
    );
    // Two dead deliveries (the CRM's and the chat's), but only one delivery.dead event: the
    // chat's own delivery of it told no one.
    assert_eq!(
        app.count_where("events", "event_type = 'delivery.dead'")
            .await,
        1
    );
    assert_eq!(
        app.count_where("events", "event_type = 'webhook.disabled'")
            .await,
        2
    );
    assert_eq!(made.len(), 1);
}

#[tokio::test]
async fn operational_webhooks_are_asynchronous_and_made_by_hookline_and_test_with_an_example() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let receiver = Receiver::start().await;
    let create = |body: Value| {
        let (app, t) = (&app, t.clone());
        async move { call(app, &t, Method::POST, "/api/v1/webhooks", Some(body)).await }
    };
    let url = receiver.url.as_str();
    let (status, body) = create(json!({"wording": "Sync", "url": url, "eventTypes": ["webhook.disabled"], "synchronous": true})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        field_messages(&body),
        [(
            "synchronous".to_owned(),
            "Webhook events are sent asynchronously: there is no change for them to stop."
                .to_owned()
        )]
    );
    let (status, body) = create(json!({"wording": "By", "url": url, "eventTypes": ["delivery.dead"], "initiatingUserId": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        field_messages(&body)[0].1,
        "Delivery events are made by Hookline, not by a user."
    );
    for wrong in ["webhook.created", "delivery.modified", "project.dead"] {
        let (status, body) =
            create(json!({"wording": "W", "url": url, "eventTypes": [wrong]})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{wrong}: {body}");
        assert!(
            field_messages(&body)[0].1.starts_with("Unknown event type"),
            "{body}"
        );
    }
    assert_eq!(app.count("webhooks").await, 0, "nothing saved half-way");

    // On the form: one action only, and no project.
    let admin = app.admin().await;
    let mut form = crate::webhooks::form_with(&[
        ("url", url),
        ("event_action", "create"),
        ("event_object", "webhook"),
    ]);
    let res = crate::webhooks::post_form(&app, &admin, "/webhooks/new", &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Webhook events have one action, Disabled: choose All actions."),
        "{html}"
    );
    form.retain(|(k, _)| *k != "event_action");
    form.push(("event_action", "all".into()));
    let id = crate::webhooks::create(&app, &admin, &form).await;
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(
        list.contains("Disabled · Webhook"),
        "the list names the event"
    );

    // The Test button sends an example, about the webhook itself, marked as a test.
    let (status, body) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{id}/test"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let sent: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(sent["eventType"], "webhook.disabled");
    assert_eq!(sent["test"], true);
    assert_eq!(sent["data"]["objectType"], "webhook");
    assert!(sent["data"]["attributes"]["disabled_reason"].is_string());

    // The catalogue lists both, and the payload schema knows them.
    let (_, types) = call(&app, &t, Method::GET, "/api/v1/event-types", None).await;
    let names: Vec<&str> = types["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"webhook.disabled") && names.contains(&"delivery.dead"));
}

/// The time from the first request to the last.
fn span(got: &[crate::receiver::Received]) -> Duration {
    let first = got.iter().map(|r| r.at).min().unwrap();
    let last = got.iter().map(|r| r.at).max().unwrap();
    last - first
}

#[tokio::test]
async fn the_workers_keep_to_a_webhooks_rate_limit() {
    let app = spawn_app_with(|s| s.run_delivery_workers = true).await;
    let t = admin_token(&app).await;
    let paced = Receiver::start().await;
    let free = Receiver::start().await;
    let create = |body: Value| {
        let (app, t) = (&app, t.clone());
        async move { call(app, &t, Method::POST, "/api/v1/webhooks", Some(body)).await }
    };
    for (limit, message) in [
        (
            json!(0),
            "Rate limit must be a whole number of requests per second, from 1 to 1000.",
        ),
        (
            json!(1001),
            "Rate limit must be a whole number of requests per second, from 1 to 1000.",
        ),
    ] {
        let (status, body) = create(json!({"wording": "R", "url": paced.url, "eventTypes": ["project.created"], "rateLimit": limit})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            field_messages(&body),
            [("rateLimit".to_owned(), message.to_owned())]
        );
    }
    let (status, body) = create(json!({"wording": "R", "url": paced.url, "eventTypes": ["project.created"], "rateLimit": 5, "synchronous": true})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        field_messages(&body)[0].1,
        "A rate limit is for asynchronous webhooks: a synchronous call cannot wait its turn."
    );
    let (status, body) = create(json!({"wording": "Paced", "url": paced.url, "eventTypes": ["project.created"], "rateLimit": 5})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["rateLimit"], 5);
    let hook = body["id"].as_i64().unwrap();
    let (status, _) =
        create(json!({"wording": "Free", "url": free.url, "eventTypes": ["project.created"]}))
            .await;
    assert_eq!(status, StatusCode::CREATED);

    // Twenty changes at once: the free webhook gets them as fast as they come, the paced
    // one five a second — nineteen gaps of 200 ms (less what the first may start late).
    projects(&app, &t, 20).await;
    free.wait_for(20, Duration::from_secs(20)).await;
    let got = paced.wait_for(20, Duration::from_secs(30)).await;
    let took = span(&got);
    assert!(
        took >= Duration::from_millis(3_400),
        "20 calls at 5 a second took {took:?}"
    );
    let mut bodies: Vec<String> = got.iter().map(|r| r.body.clone()).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 20, "each delivered once");
    // The last answers may still be being recorded.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let delivered = loop {
        let rows = all_pages(&app, &t, &format!("webhookId={hook}&state=delivered")).await;
        if rows.len() == 20 {
            break rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} of 20 recorded as delivered",
            rows.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Each counts one attempt: waiting its turn is no attempt.
    assert!(
        delivered.iter().all(|d| d["attempts"] == 1),
        "{delivered:?}"
    );

    // On screen: the field, with what was saved, and the history says it changed.
    let admin = app.admin().await;
    let form = app.get_html(&admin, &format!("/webhooks/{hook}")).await;
    assert!(form.contains("id=\"rate_limit\"") && form.contains("value=\"5\""));
    let history = app
        .get_html(&admin, &format!("/webhooks/{hook}/history"))
        .await;
    assert!(history.contains("5 per second"), "{history}");
}
