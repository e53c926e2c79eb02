//! Nothing is lost: Hookline as a process, 1,000 changes that fire asynchronous webhooks,
//! `kill -9` in the middle of delivering, a restart — and the receiver gets every message
//! id, with duplicates only for the requests that were in flight.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};

use crate::helpers::*;
use crate::receiver::{Answer, Receiver};

const CHANGES: usize = 1000;
const CONCURRENCY: usize = 16;

struct Server {
    child: Child,
    base: String,
}

/// A failing test must not leave a server behind.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookline"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_clear()
        .env(
            "HOOKLINE_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        )
        .env("HOOKLINE_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("HOOKLINE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true")
        .env("HOOKLINE_DELIVERY_TIMEOUT_SECONDS", "2")
        .env("HOOKLINE_SYNC_TIMEOUT_SECONDS", "2")
        .env("HOOKLINE_DELIVERY_LEASE_SECONDS", "3")
        .env("HOOKLINE_DELIVERY_CONCURRENCY", CONCURRENCY.to_string())
        .env(
            "HOOKLINE_LOG",
            std::env::var("CRASH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(if std::env::var("CRASH_LOG").is_ok() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the server prints where to sign in")
            .unwrap();
        if let Some(url) = line.strip_prefix("Hookline is running. Sign in at ") {
            break url.trim_end_matches("/sign-in").to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, base }
}

async fn signed_in(base: &str) -> (Client, String) {
    let client = client();
    let page = client
        .get(format!("{base}/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = client
        .post(format!("{base}/sign-in"))
        .form(&[
            ("csrf_token", csrf_in(&page).as_str()),
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = client
        .get(format!("{base}/account/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (client, csrf_in(&page))
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
    let (client, token) = signed_in(&first.base).await;
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
    let (client, token) = signed_in(&second.base).await;
    assert_eq!(
        make_changes(client, second.base.clone(), token, reached).await,
        CHANGES
    );

    let pool = hookline::db::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let expected: HashSet<String> = sqlx::query_scalar("SELECT message_id FROM deliveries")
        .fetch_all(&pool)
        .await
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
