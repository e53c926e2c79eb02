//! Nothing is lost: Hookline as a process, 1,000 changes that fire asynchronous webhooks,
//! `kill -9` in the middle of delivering, a restart — and the receiver gets every message
//! id, with duplicates only for the requests that were in flight.

use hookline::on_db;
use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};

use crate::helpers::*;
use crate::process::Server;
use crate::receiver::{Answer, Receiver};

const CHANGES: usize = 1000;
const CONCURRENCY: usize = 16;

fn start(db: &Path) -> Server {
    let lease = CONCURRENCY.to_string();
    let log = std::env::var("CRASH_LOG").unwrap_or_else(|_| "warn".into());
    Server::start(
        db,
        &[
            ("HOOKLINE_DELIVERY_TIMEOUT_SECONDS", "2"),
            ("HOOKLINE_SYNC_TIMEOUT_SECONDS", "2"),
            ("HOOKLINE_DELIVERY_LEASE_SECONDS", "3"),
            ("HOOKLINE_DELIVERY_CONCURRENCY", &lease),
            ("HOOKLINE_LOG", &log),
        ],
        if std::env::var("CRASH_LOG").is_ok() {
            Stdio::inherit()
        } else {
            Stdio::null()
        },
    )
}

/// Creates projects `from..CHANGES`; stops at the first failure (the server was killed) and
/// says how far it got.
async fn make_changes(client: Client, base: String, token: String, from: usize) -> usize {
    for n in from..CHANGES {
        let code = format!("P{n:04}");
        let sent = client
            .post(format!("{base}/projects/new"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("code", code.as_str()),
                ("name", "Crash"),
                ("status", "Active"),
            ])
            .send()
            .await;
        match sent {
            Ok(r) if r.status() == StatusCode::SEE_OTHER => {}
            // Committed before the kill, answered after: already there.
            Ok(r) if r.status() == StatusCode::UNPROCESSABLE_ENTITY => {}
            _ => return n,
        }
    }
    CHANGES
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_mid_delivery_loses_nothing() {
    let receiver = Receiver::start().await;
    // Slow enough answers that requests are in flight when the process dies.
    receiver.script((0..CHANGES * 2).map(|_| Answer::status(200).delay(Duration::from_millis(3))));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");

    let mut first = start(&db);
    let (client, token) = first.signed_in().await;
    let mut form: Vec<(&str, String)> = crate::webhooks::form_with(&[
        ("url", &format!("{}/crash", receiver.url)),
        ("event_action", "create"),
    ]);
    form.push(("csrf_token", token.clone()));
    let res = client
        .post(format!("{}/webhooks/new", first.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let changes = tokio::spawn(make_changes(client.clone(), first.base.clone(), token, 0));
    receiver.wait_for(150, Duration::from_secs(60)).await;
    first.child.kill().unwrap(); // SIGKILL: no chance to finish or give anything back
    first.child.wait().unwrap();
    let reached = changes.await.unwrap();
    assert!(
        reached < CHANGES,
        "the kill came in the middle of the changes"
    );

    let second = start(&db);
    let (client, token) = second.signed_in().await;
    assert_eq!(
        make_changes(client, second.base.clone(), token, reached).await,
        CHANGES
    );

    let pool = hookline::db::Store::open(&database_url(&db)).await.unwrap();
    let expected: HashSet<String> =
        on_db!(&pool, ex => sqlx::query_scalar("SELECT message_id FROM deliveries")
        .fetch_all(ex)
        .await)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(expected.len(), CHANGES, "one delivery per committed change");
    let deadline = Instant::now() + Duration::from_secs(90);
    let received = loop {
        let got: Vec<String> = receiver
            .received()
            .iter()
            .filter_map(|r| r.header("webhook-id").map(str::to_owned))
            .collect();
        let distinct: HashSet<String> = got.iter().cloned().collect();
        if expected.is_subset(&distinct) {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} message ids arrived",
            expected.intersection(&distinct).count(),
            CHANGES
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let duplicates = received.len() - received.iter().collect::<HashSet<_>>().len();
    assert!(
        duplicates <= CONCURRENCY,
        "{duplicates} duplicates: only requests in flight at the kill may arrive twice"
    );
    drop(second);
}

#[tokio::test]
async fn sigterm_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(&dir.path().join("term.db"));
    // Signals are handled once the server runs: wait until it answers.
    let health = client()
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let pid = server.child.id().to_string();
    let child = &mut server.child;
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "still running 30 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success(), "a clean exit: {exit:?}");
}
