//! Several instances on one PostgreSQL database, as real processes: they share the work
//! without losing or reordering anything through a `kill -9`, a webhook edited on one fires
//! with its new settings on the other, and a person signed in on one carries on on the
//! other. These run in the PostgreSQL run of the suite (SQLite has one instance).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use hookline::on_db;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::process::{Server, run, stdout_of};
use crate::receiver::{Answer, Receiver};

/// Projects changed at once (each one's changes go one after another).
const OBJECTS: usize = 100;
/// Changes per project: its creation, then modifications.
const CHANGES_PER_OBJECT: usize = 10;
const CONCURRENCY: usize = 16;

/// An instance over `db`, sharing the secret key `key` with the others.
fn instance(db: &Path, key: &str) -> Server {
    Server::start(
        db,
        &[
            ("HOOKLINE_SECRET_KEY", key),
            ("HOOKLINE_DELIVERY_TIMEOUT_SECONDS", "2"),
            ("HOOKLINE_SYNC_TIMEOUT_SECONDS", "2"),
            // Well past a call's 2 s timeout and a slow commit on a loaded machine: only the
            // killed instance's claims run out, so every duplicate is one it had in flight.
            ("HOOKLINE_DELIVERY_LEASE_SECONDS", "10"),
            ("HOOKLINE_DELIVERY_CONCURRENCY", &CONCURRENCY.to_string()),
        ],
        Stdio::null(),
    )
}

/// Two instances started at the same moment (migrations and the first administrator made
/// once between them), with a shared key.
fn two_instances(db: &Path) -> (Server, Server, String) {
    let key = run(db, &["secrets", "new-key"]).trim().to_owned();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| instance(db, &key));
        let b = s.spawn(|| instance(db, &key));
        (a.join().unwrap(), b.join().unwrap())
    });
    (a, b, key)
}

/// An API token of the first administrator, made from the shell.
fn token(db: &Path, key: &str) -> String {
    stdout_of(
        crate::process::hookline(db)
            .env("HOOKLINE_SECRET_KEY", key)
            .args(["token", "create", "--user", ADMIN_EMAIL, "--name", "load"])
            .args([
                "--scopes",
                "objects.read,objects.write,webhooks.read,webhooks.write",
            ]),
    )
    .trim()
    .to_owned()
}

async fn api(
    client: &Client,
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Value,
) -> Option<(StatusCode, Value)> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let res = client
        .request(method, format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .ok()?;
    let status = res.status();
    let text = res.text().await.ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// One project's changes, each sent to the instance whose turn it is (the other when that
/// one is down): its creation, then modifications. Gives how many were answered.
async fn change_one_object(client: Client, bases: [String; 2], token: String, n: usize) -> usize {
    let code = format!("P{n:03}");
    let mut id = None;
    let mut done = 0;
    for change in 0..CHANGES_PER_OBJECT {
        let body = json!({"code": code, "name": format!("Version {change}"), "status": "Active"});
        let mut turn = (n + change) % 2;
        let mut tries = 0;
        loop {
            let base = &bases[turn];
            let answer = match id {
                None => {
                    api(
                        &client,
                        base,
                        &token,
                        "POST",
                        "/api/v1/projects",
                        body.clone(),
                    )
                    .await
                }
                Some(id) => {
                    api(
                        &client,
                        base,
                        &token,
                        "PUT",
                        &format!("/api/v1/projects/{id}"),
                        body.clone(),
                    )
                    .await
                }
            };
            match answer {
                Some((StatusCode::CREATED | StatusCode::OK, project)) => {
                    id = Some(project["id"].as_i64().unwrap());
                    break;
                }
                // Made on the killed instance just before it died: find it.
                Some((StatusCode::BAD_REQUEST, _)) if id.is_none() => {
                    let (_, list) = api(
                        &client,
                        base,
                        &token,
                        "GET",
                        "/api/v1/projects",
                        Value::Null,
                    )
                    .await
                    .unwrap();
                    id = list["data"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|p| p["code"] == code)
                        .map(|p| p["id"].as_i64().unwrap());
                    break;
                }
                other => {
                    tries += 1;
                    assert!(
                        tries < 200,
                        "{code}: change {change} never answered: {other:?}"
                    );
                    turn = 1 - turn;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        done += 1;
    }
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_work_and_lose_nothing_through_a_kill_9() {
    if !on_postgres() {
        return;
    }
    let receiver = Receiver::start().await;
    // Slow enough answers that requests are in flight when an instance dies.
    receiver.script(
        (0..OBJECTS * CHANGES_PER_OBJECT * 2)
            .map(|_| Answer::status(200).delay(Duration::from_millis(3))),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let (mut a, b, key) = two_instances(&db);
    let token = token(&db, &key);
    let client = client();
    let (status, _) = api(
        &client,
        &a.base,
        &token,
        "POST",
        "/api/v1/webhooks",
        json!({
            "wording": "Both instances", "url": format!("{}/hook", receiver.url),
            "eventTypes": ["project.*"],
        }),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::CREATED);

    let bases = [a.base.clone(), b.base.clone()];
    let mut objects = tokio::task::JoinSet::new();
    for n in 0..OBJECTS {
        let (client, bases, token) = (client.clone(), bases.clone(), token.clone());
        objects.spawn(change_one_object(client, bases, token, n));
        if n % CONCURRENCY == CONCURRENCY - 1 {
            // A steady burst rather than every object at once.
            tokio::task::yield_now().await;
        }
    }
    receiver.wait_for(300, Duration::from_secs(60)).await;
    a.child.kill().unwrap(); // SIGKILL: no chance to finish or give anything back
    a.child.wait().unwrap();
    let killed_at = receiver.received().len();
    // What may arrive twice: the deliveries claimed and not yet settled when A died (sent,
    // or being sent, with no record of it); B's own claims at that moment count too.
    let store = hookline::db::Store::open(&database_url(&db)).await.unwrap();
    let in_flight: i64 = on_db!(&store, ex => sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries WHERE status = 'in_flight'"
    )
    .fetch_one(ex)
    .await)
    .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let a = instance(&db, &key);
    let mut answered = 0;
    while let Some(done) = objects.join_next().await {
        answered += done.unwrap();
    }
    assert_eq!(answered, OBJECTS * CHANGES_PER_OBJECT);
    assert!(
        killed_at < OBJECTS * CHANGES_PER_OBJECT,
        "the kill came in the middle of the burst"
    );

    let expected: HashSet<String> =
        on_db!(&store, ex => sqlx::query_scalar("SELECT message_id FROM deliveries")
        .fetch_all(ex)
        .await)
        .unwrap()
        .into_iter()
        .collect();
    assert!(
        expected.len() >= OBJECTS * CHANGES_PER_OBJECT,
        "one delivery per change"
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    let received = loop {
        let got = receiver.received();
        let distinct: HashSet<&str> = got.iter().filter_map(|r| r.header("webhook-id")).collect();
        if expected.iter().all(|id| distinct.contains(id.as_str())) {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} message ids arrived",
            expected
                .iter()
                .filter(|id| distinct.contains(id.as_str()))
                .count(),
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let ids: Vec<&str> = received
        .iter()
        .filter_map(|r| r.header("webhook-id"))
        .collect();
    let duplicates = ids.len() - ids.iter().collect::<HashSet<_>>().len();
    assert!(
        duplicates as i64 <= in_flight,
        "{duplicates} duplicates: only the {in_flight} deliveries in flight at the kill may arrive twice"
    );
    // Per project, the first arrival of each change comes in change-version order.
    let mut seen = HashSet::new();
    let mut last: HashMap<i64, i64> = HashMap::new();
    for r in &received {
        if !seen.insert(r.header("webhook-id").unwrap().to_owned()) {
            continue;
        }
        let payload: Value = serde_json::from_str(&r.body).unwrap();
        let (object, version) = (
            payload["data"]["id"].as_i64().unwrap(),
            payload["changeVersion"].as_i64().unwrap(),
        );
        let before = last.insert(object, version).unwrap_or(0);
        assert!(
            version > before,
            "project {object}: version {version} arrived after {before}"
        );
    }
    drop((a, b));
}

#[tokio::test]
async fn an_edit_on_one_instance_fires_on_the_other_and_a_session_carries_over() {
    if !on_postgres() {
        return;
    }
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let (a, b, _) = two_instances(&db);
    // Signed in on A, the same browser goes on on B: same session, same form token.
    let (client, csrf) = a.signed_in().await;
    let mut form: Vec<(&str, String)> = crate::webhooks::form_with(&[
        ("wording", "Edited on A"),
        ("url", &format!("{}/first", receiver.url)),
        ("event_action", "create"),
    ]);
    form.push(("csrf_token", csrf.clone()));
    let res = client
        .post(b.url("/webhooks/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "a form made on A is accepted on B"
    );
    let project = |code: &'static str, base: String| {
        let (client, csrf) = (client.clone(), csrf.clone());
        async move {
            let res = client
                .post(format!("{base}/projects/new"))
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("code", code),
                    ("name", code),
                    ("status", "Active"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
        }
    };
    project("ON-A", a.base.clone()).await;
    receiver.wait_for(1, Duration::from_secs(10)).await;

    // Edited on A; B's very next change goes to the new address.
    assert!(
        page(&client, a.url("/webhooks"))
            .await
            .contains("Edited on A")
    );
    let page_of_webhook = page(&client, a.url("/webhooks/1")).await;
    let version = page_of_webhook
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's version")
        .to_owned();
    let mut form: Vec<(&str, String)> = crate::webhooks::form_with(&[
        ("wording", "Moved on A"),
        ("url", &format!("{}/second", receiver.url)),
        ("event_action", "create"),
        ("version", &version),
    ]);
    form.push(("csrf_token", csrf.clone()));
    let res = client
        .post(a.url("/webhooks/1"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    project("ON-B", b.base.clone()).await;
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(
        got[1].target, "/second",
        "B fired with the settings saved on A"
    );
    // And B's list shows the new wording.
    let list = page(&client, b.url("/webhooks")).await;
    assert!(list.contains("Moved on A") && !list.contains("Edited on A"));
}

/// The status `server` answers `token` with, for a read of the webhooks.
async fn status_on(client: &Client, server: &Server, token: &str) -> StatusCode {
    let res = client
        .get(server.url("/api/v1/webhooks"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    res.status()
}

async fn answers_soon(client: &Client, server: &Server, token: &str, expected: StatusCode) {
    until_status(expected, || status_on(client, server, token)).await;
}

/// B remembers the API callers it has seen; what changes them, on A's screen or in the
/// database by another hand, reaches B without a request to B.
#[tokio::test]
async fn a_token_revoked_or_a_user_changed_elsewhere_is_refused_on_the_other_instance() {
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let (a, b, key) = two_instances(&db);
    let client = client();
    let database = sqlx::PgPool::connect(&database_url(&db)).await.unwrap();
    let by_hand = |sql: &'static str| {
        let database = database.clone();
        async move {
            let done = sqlx::query(sql)
                .bind(ADMIN_EMAIL)
                .execute(&database)
                .await
                .unwrap();
            assert_eq!(done.rows_affected(), 1, "{sql}");
        }
    };

    // Revoked on A's screen.
    let first = token(&db, &key);
    for _ in 0..2 {
        assert_eq!(status_on(&client, &b, &first).await, StatusCode::OK);
    }
    let (admin, csrf) = a.signed_in().await;
    let res = admin
        .post(a.url("/api-tokens/1/revoke"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    answers_soon(&client, &b, &first, StatusCode::UNAUTHORIZED).await;

    // Expired by hand.
    let second = token(&db, &key);
    assert_eq!(status_on(&client, &b, &second).await, StatusCode::OK);
    by_hand(
        "UPDATE api_tokens SET expires_at = 1
         WHERE id = (SELECT MAX(t.id) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1)",
    )
    .await;
    answers_soon(&client, &b, &second, StatusCode::UNAUTHORIZED).await;

    // The user's roles taken away, then the user deactivated, by hand. (Both instances
    // started on the empty database at once: which of them made the first administrator,
    // and so under which id, varies.)
    let third = token(&db, &key);
    assert_eq!(status_on(&client, &b, &third).await, StatusCode::OK);
    by_hand("DELETE FROM user_roles WHERE user_id = (SELECT id FROM users WHERE email = $1)").await;
    answers_soon(&client, &b, &third, StatusCode::FORBIDDEN).await;
    by_hand("UPDATE users SET active = FALSE WHERE email = $1").await;
    answers_soon(&client, &b, &third, StatusCode::UNAUTHORIZED).await;
    database.close().await;
}

/// An instance that leaves the queue to the others (screens and API only), and one whose
/// workers look at the queue unasked only once an hour: what the first commits reaches the
/// second's workers by PostgreSQL's NOTIFY alone, each change in turn.
#[tokio::test]
async fn a_change_on_an_instance_without_workers_wakes_the_others_at_once() {
    if !on_postgres() {
        return;
    }
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let key = run(&db, &["secrets", "new-key"]).trim().to_owned();
    let sender = Server::start(
        &db,
        &[("HOOKLINE_SECRET_KEY", &key), ("HOOKLINE_QUEUE_POLL", "1h")],
        Stdio::null(),
    );
    let front = Server::start(
        &db,
        &[
            ("HOOKLINE_SECRET_KEY", &key),
            ("HOOKLINE_DELIVERY_WORKERS", "false"),
        ],
        Stdio::null(),
    );
    let client = client();
    let ready = get_json(&front.url("/health/ready")).await;
    assert_eq!(ready["checks"]["workers"], "off", "{ready}");
    let token = token(&db, &key);
    let hook = json!({"wording": "Woken", "url": format!("{}/woken", receiver.url), "eventTypes": ["project.created"]});
    let (status, _) = api(
        &client,
        &front.base,
        &token,
        "POST",
        "/api/v1/webhooks",
        hook,
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::CREATED);
    for n in 1..=5 {
        let body = json!({"code": format!("W{n}"), "name": "Woken", "status": "Active"});
        let (status, _) = api(
            &client,
            &front.base,
            &token,
            "POST",
            "/api/v1/projects",
            body,
        )
        .await
        .unwrap();
        assert_eq!(status, StatusCode::CREATED);
        // Polling alone would take an hour.
        let got = receiver.wait_for(n, Duration::from_secs(30)).await;
        assert_eq!(got.len(), n);
    }
    drop(sender);
}

/// What `hookline serve` says when it refuses to start over a SQLite file in `dir` with the
/// settings `env`; fails the test if it starts.
fn refused_start(dir: &Path, env: &[(&str, &str)]) -> String {
    let out = crate::process::hookline_sqlite(&dir.join("alone.db"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(!out.status.success(), "started with {env:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_instance_without_workers_needs_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let said = refused_start(dir.path(), &[("HOOKLINE_DELIVERY_WORKERS", "false")]);
    assert!(said.contains("on SQLite nothing would send it"), "{said}");
}

#[test]
fn a_queue_poll_out_of_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for poll in ["10ms", "2h", "soon"] {
        let said = refused_start(dir.path(), &[("HOOKLINE_QUEUE_POLL", poll)]);
        assert!(
            said.contains("HOOKLINE_QUEUE_POLL") || said.contains("queue-poll"),
            "{poll}: {said}"
        );
    }
}

#[test]
fn a_connection_count_out_of_place_or_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let said = refused_start(dir.path(), &[("HOOKLINE_DATABASE_CONNECTIONS", "8")]);
    assert!(
        said.contains("Hookline sizes a SQLite database's own"),
        "{said}"
    );
    // Refused before any connection is tried: the server named is not there.
    for connections in ["3", "1001", "many"] {
        let said = refused_start(
            dir.path(),
            &[
                (
                    "HOOKLINE_DATABASE_URL",
                    "postgres://hookline@127.0.0.1:1/nowhere",
                ),
                ("HOOKLINE_DATABASE_CONNECTIONS", connections),
            ],
        );
        assert!(
            said.contains("HOOKLINE_DATABASE_CONNECTIONS must be from 4 to 1000")
                || said.contains("--database-connections"),
            "{connections}: {said}"
        );
    }
}

/// Several instances share one server's connections: each opens at most as many as it is
/// given, however many requests wait for one.
#[tokio::test]
async fn an_instance_opens_at_most_the_connections_it_is_given() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app_with(|s| s.database_connections = Some(4)).await;
    // One of them listens for the other instances, and the app's own tasks may hold others.
    let mut held = hold_every_connection(&app).await;
    assert!(
        (1..4).contains(&held.len()),
        "{} connections taken before the pool made one wait",
        held.len()
    );
    let opened: i64 = on_db!(&mut held[0], ex => sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'hookline'",
    )
    .fetch_one(ex)
    .await)
    .unwrap();
    assert!(opened <= 4, "{opened} connections to the server");
    held.pop();
    assert!(app.state.store.begin_read().await.is_ok());
}

async fn page(client: &Client, url: String) -> String {
    let res = client.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

#[tokio::test]
async fn a_task_such_as_housekeeping_runs_on_one_instance_at_a_time() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let other = hookline::db::Store::open(&app.state.settings.database_url)
        .await
        .unwrap();
    // While one instance prunes, another that tries is told to leave it.
    let inner = app
        .state
        .store
        .alone("pruning", async {
            other.alone("pruning", async {}).await.unwrap()
        })
        .await
        .unwrap();
    assert_eq!(inner, Some(None));
    // Once it is done, the other may.
    assert_eq!(other.alone("pruning", async { 1 }).await.unwrap(), Some(1));
    other.close().await;
}

#[tokio::test]
async fn a_rate_limit_holds_for_all_instances_together() {
    if !on_postgres() {
        return;
    }
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let (a, b, key) = two_instances(&db);
    let token = token(&db, &key);
    let client = client();
    let (status, body) = api(
        &client,
        &a.base,
        &token,
        "POST",
        "/api/v1/webhooks",
        json!({"wording": "Paced", "url": receiver.url, "eventTypes": ["project.created"], "rateLimit": 5}),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Twenty changes, half on each instance, at once: were the limit per instance, the
    // receiver would get ten a second.
    let made = futures_util::future::join_all((0..20).map(|n| {
        let (client, token) = (client.clone(), token.clone());
        let base = if n % 2 == 0 { &a.base } else { &b.base }.clone();
        async move {
            let project = json!({"code": format!("R{n:02}"), "name": "Paced", "status": "Active"});
            api(&client, &base, &token, "POST", "/api/v1/projects", project).await
        }
    }))
    .await;
    assert!(
        made.iter()
            .all(|r| r.as_ref().is_some_and(|(s, _)| *s == StatusCode::CREATED)),
        "{made:?}"
    );
    let got = receiver.wait_for(20, Duration::from_secs(30)).await;
    let first = got.iter().map(|r| r.at).min().unwrap();
    let last = got.iter().map(|r| r.at).max().unwrap();
    assert!(
        last - first >= Duration::from_millis(3_400),
        "20 calls at 5 a second over two instances took {:?}",
        last - first
    );
}
