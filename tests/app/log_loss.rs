//! A log destination that fails (a full disk, a closed pipe) loses log lines, never a
//! request's answer or a delivery.

use std::fs::OpenOptions;
use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::process::{Server, run};
use crate::receiver::Receiver;

const CHANGES: usize = 200;

async fn every_change_answered_and_delivered(server: &Server, db: &std::path::Path) {
    let receiver = Receiver::start().await;
    let token = run(
        db,
        &[
            "token",
            "create",
            "--user",
            ADMIN_EMAIL,
            "--name",
            "t",
            "--scopes",
            "webhooks.write,objects.write",
        ],
    );
    let api = client();
    let post = async |path: &str, body: serde_json::Value| {
        api.post(server.url(path))
            .bearer_auth(token.trim())
            .json(&body)
            .send()
            .await
            .map(|r| r.status())
    };
    let created = post(
        "/api/v1/webhooks",
        json!({"wording": "All", "url": receiver.url, "verb": "POST", "body": "{payload}",
               "eventTypes": ["project.created"]}),
    )
    .await;
    assert_eq!(created.unwrap(), StatusCode::CREATED);
    let mut failed = 0;
    for n in 0..CHANGES {
        let answer = post(
            "/api/v1/projects",
            json!({"code": format!("L{n}"), "name": "Logged", "status": "Active"}),
        )
        .await;
        if !matches!(answer, Ok(StatusCode::CREATED)) {
            failed += 1;
        }
    }
    assert_eq!(failed, 0, "changes reported as failed");
    let health = api.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    receiver.wait_for(CHANGES, Duration::from_secs(30)).await;
}

#[tokio::test]
async fn a_full_disk_under_the_log_fails_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
    let server = Server::start(&db, &[("HOOKLINE_LOG", "debug")], Stdio::from(full));
    every_change_answered_and_delivered(&server, &db).await;
}

#[tokio::test]
async fn a_closed_log_pipe_fails_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let mut server = Server::start(&db, &[("HOOKLINE_LOG", "debug")], Stdio::piped());
    drop(server.child.stderr.take());
    every_change_answered_and_delivered(&server, &db).await;
}
