//! Where outgoing requests may go: never through a proxy from the environment, through the
//! operator's proxy only after the destination passes the guard, and never to a literal
//! address the guard refuses, however it is spelt.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::process::{Server, run};
use crate::receiver::Receiver;

/// Creates a webhook calling `url` and tests it on a new project through the API; gives the
/// attempt the API answered with.
async fn test_call(base: &str, token: &str, url: &str) -> Value {
    let api = client();
    let post = async |path: &str, body: Value| -> Value {
        let res = api
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    };
    let project = post(
        "/api/v1/projects",
        json!({"code": hookline::random::reference(), "name": "Egress", "status": "Active"}),
    )
    .await;
    let webhook = post(
        "/api/v1/webhooks",
        json!({"wording": "Out", "url": url, "verb": "POST", "body": "{payload}",
               "eventTypes": ["project.created"]}),
    )
    .await;
    post(
        &format!("/api/v1/webhooks/{}/test", webhook["id"]),
        json!({"projectId": project["id"]}),
    )
    .await
}

const SCOPES: &str = "webhooks.read,webhooks.write,objects.read,objects.write";

#[tokio::test]
async fn a_proxy_from_the_environment_is_never_used() {
    let proxy = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let server = Server::start(
        &db,
        &[
            ("HOOKLINE_ALLOW_PRIVATE_TARGETS", "false"),
            ("HTTP_PROXY", &proxy.url),
            ("http_proxy", &proxy.url),
            ("HTTPS_PROXY", &proxy.url),
            ("ALL_PROXY", &proxy.url),
        ],
        Stdio::null(),
    );
    let token = run(
        &db,
        &[
            "token",
            "create",
            "--user",
            ADMIN_EMAIL,
            "--name",
            "t",
            "--scopes",
            SCOPES,
        ],
    );
    let attempt = test_call(
        &server.base,
        token.trim(),
        "http://localhost:9/secret-admin",
    )
    .await;
    assert_eq!(attempt["errorKind"], "refused", "{attempt}");
    assert!(
        proxy.received().is_empty(),
        "the proxy was asked for {:?}",
        proxy.received()
    );
}

#[tokio::test]
async fn the_operators_proxy_carries_only_requests_that_pass_the_guard() {
    let proxy = Receiver::start().await;
    let app = spawn_app_with(|s| {
        s.allow_private_targets = false;
        s.outgoing_proxy = Some(proxy.url.parse().unwrap());
    })
    .await;
    let token = crate::api::admin_token(&app).await;
    for refused in [
        "http://localhost:9/secret-admin",
        "http://127.0.0.1:9/secret-admin",
        "http://[::ffff:0:7f00:1]/secret-admin",
    ] {
        let attempt = test_call(&app.address, &token, refused).await;
        assert_eq!(attempt["errorKind"], "refused", "{refused}: {attempt}");
    }
    assert!(proxy.received().is_empty(), "{:?}", proxy.received());

    // A public destination is handed to the proxy, in absolute form.
    let attempt = test_call(&app.address, &token, "http://93.184.216.34/hello").await;
    assert_eq!(attempt["delivered"], true, "{attempt}");
    let got = proxy.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got[0].target, "http://93.184.216.34/hello");
}

#[tokio::test]
async fn literal_addresses_around_the_guard_are_refused_and_never_called() {
    let app = spawn_app_with(|s| s.allow_private_targets = false).await;
    let token = crate::api::admin_token(&app).await;
    for url in [
        "http://[::127.0.0.1]:9/x",
        "http://[::ffff:0:7f00:1]:9/x",
        "http://[2002:7f00:1::1]:9/x",
        "http://198.18.0.1:9/x",
        "http://[64:ff9b:1::7f00:1]:9/x",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:9/x",
    ] {
        let attempt = test_call(&app.address, &token, url).await;
        assert_eq!(attempt["errorKind"], "refused", "{url}: {attempt}");
        assert_eq!(attempt["responseStatus"], Value::Null);
    }
    let res = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
