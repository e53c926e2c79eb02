//! The REST API: tokens and scopes, webhooks, deliveries, objects, errors, the OpenAPI
//! document. Every request goes over HTTP to the running app.

use hookline::{execute_on, on_db};
use std::time::Duration;

use hookline::domain::api_token::{TokenDraft, TokenInput};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::receiver::{Answer, Receiver};

const ALL_SCOPES: [&str; 7] = [
    "webhooks.read",
    "webhooks.write",
    "deliveries.read",
    "deliveries.write",
    "objects.read",
    "objects.write",
    "metrics.read",
];

/// A token for `user_id`, made through the same service as the screen.
pub async fn token(app: &TestApp, user_id: i64, name: &str, scopes: &[&str]) -> String {
    let draft = TokenDraft::parse(
        &TokenInput {
            name: name.into(),
            user: user_id.to_string(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_on: String::new(),
        },
        chrono::Utc::now().date_naive(),
    )
    .unwrap();
    hookline::services::api_tokens::create(
        &app.state,
        &hookline::services::Actor::system("test"),
        &draft,
    )
    .await
    .unwrap()
    .token
}

pub async fn admin_token(app: &TestApp) -> String {
    token(app, 1, "Integration", &ALL_SCOPES).await
}

pub async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client().request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("API request");
    let status = res.status();
    // /metrics answers in the exposition format, not JSON.
    let exposition = res
        .headers()
        .get("content-type")
        .is_some_and(|t| t.as_bytes().starts_with(b"application/openmetrics-text"));
    let text = res.text().await.unwrap();
    let value = if exposition {
        Value::String(text)
    } else if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, value)
}

pub fn webhook_json(url: &str) -> Value {
    json!({
        "wording": "Notify CRM",
        "description": "Sends project changes to the CRM",
        "url": url,
        "verb": "POST",
        "body": "{payload}",
        "headers": [{"name": "X-Team", "value": "portfolio"}],
        "eventTypes": ["project.modified"],
    })
}

fn assert_error_shape(status: StatusCode, body: &Value) {
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(body["code"].is_string(), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

pub fn field_messages(body: &Value) -> Vec<(String, String)> {
    body["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("fields in {body}"))
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_token_made_on_screen_is_shown_once_stored_hashed_and_shows_its_last_use() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            &admin,
            "/api-tokens/new",
            &[
                ("name", "CRM sync"),
                ("user", "1"),
                ("scopes", "webhooks.read"),
                ("scopes", "webhooks.write"),
                ("expires_on", "2099-12-31"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let start = page.find("hkl_").expect("the token on the page");
    let token: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(token.len() > 40, "{token}");
    assert!(page.contains("shown only this once"));

    let (hash, prefix, scopes): (Vec<u8>, String, String) =
        on_db!(&app.state.store, ex => sqlx::query_as("SELECT token_hash, prefix, scopes FROM api_tokens")
            .fetch_one(ex)
            .await)
            .unwrap();
    assert_eq!(hash, hookline::auth::token_hash(&token));
    assert!(token.starts_with(&prefix) && prefix.len() < 12);
    assert_eq!(scopes, "webhooks.read webhooks.write");

    let list = app.get_html(&admin, "/api-tokens").await;
    assert!(list.contains("CRM sync") && list.contains("2099-12-31"));
    assert!(!list.contains(&token), "never shown again");
    assert!(list.contains(">Never<"), "not used yet: {list}");

    let (status, _) = call(&app, &token, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(status, StatusCode::OK);
    let list = app.get_html(&admin, "/api-tokens").await;
    assert!(!list.contains(">Never<"), "last use shown");
    assert!(list.contains("API tokens"), "in the navigation");
}

#[tokio::test]
async fn the_token_form_reports_every_error_and_saves_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let viewer = app.create_user(&admin, "viewer@example.com", VIEWER).await;
    let res = app
        .post(
            &admin,
            "/api-tokens/new",
            &[("name", ""), ("user", "1"), ("expires_on", "2001-01-01")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    for message in [
        "Name is required.",
        "Choose at least one scope.",
        "The expiry date cannot be in the past.",
    ] {
        assert!(page.contains(message), "{message}");
    }
    let viewer = viewer.to_string();
    let res = app
        .post(
            &admin,
            "/api-tokens/new",
            &[
                ("name", "Too much"),
                ("user", &viewer),
                ("scopes", "webhooks.write"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("has no right that the scope webhooks.write needs"),
        "{page}"
    );
    assert_eq!(app.count("api_tokens").await, 0);
}

#[tokio::test]
async fn missing_invalid_expired_revoked_and_orphaned_tokens_get_401() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = app.url("/api/v1/webhooks");

    let res = client().get(&path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));
    let body: Value = res.json().await.unwrap();
    assert_error_shape(StatusCode::UNAUTHORIZED, &body);

    let res = client()
        .get(&path)
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = call(
        &app,
        "hkl_not-a-token",
        Method::GET,
        "/api/v1/webhooks",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Expired by another hand (in the database) while in use: refused once the instance
    // hears of it (at once on SQLite, which remembers no caller).
    let expired = admin_token(&app).await;
    let (status, _) = call(&app, &expired, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(status, StatusCode::OK);
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE token_hash = $2")
            .bind(hookline::db::now_ms() - 1)
            .bind(hookline::auth::token_hash(&expired))
    )
    .unwrap();
    until_status(StatusCode::UNAUTHORIZED, async || {
        call(&app, &expired, Method::GET, "/api/v1/webhooks", None)
            .await
            .0
    })
    .await;
    let (status, body) = call(&app, &expired, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error_shape(status, &body);

    // Revoked on the screen: refused at once.
    let revoked = admin_token(&app).await;
    let (status, _) = call(&app, &revoked, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(status, StatusCode::OK);
    let id: i64 = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM api_tokens WHERE token_hash = $1")
        .bind(hookline::auth::token_hash(&revoked))
        .fetch_one(ex)
        .await)
        .unwrap();
    let res = app
        .post(&admin, &format!("/api-tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = call(&app, &revoked, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        app.get_html(&admin, "/api-tokens")
            .await
            .contains("Revoked")
    );

    // A deactivated user's tokens stop working.
    let manager = app
        .create_user(&admin, "manager@example.com", WEBHOOK_MANAGER)
        .await;
    let theirs = token(&app, manager, "Theirs", &["webhooks.read"]).await;
    let (status, _) = call(&app, &theirs, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(status, StatusCode::OK);
    let res = app
        .post(&admin, &format!("/users/{manager}/deactivate"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = call(&app, &theirs, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Every operation of the document, with the scope it names: refused without a token (401),
/// refused with every other scope (403 naming the missing one), let through with it.
#[tokio::test]
async fn every_operation_needs_a_token_and_its_scope() {
    let app = spawn_app().await;
    let doc = get_json(&app.url("/api/openapi.json")).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(scope) = op["security"][0]["bearer"][0].as_str() else {
                continue;
            };
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let concrete = path.replace("{id}", "999999");
            let res = client()
                .request(method.clone(), app.url(&concrete))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");

            let others: Vec<&str> = ALL_SCOPES.into_iter().filter(|s| *s != scope).collect();
            let without = token(&app, 1, "Without", &others).await;
            let (status, body) =
                call(&app, &without, method.clone(), &concrete, Some(json!({}))).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
            assert_eq!(body["missingScope"], scope, "{method} {path}");

            let with = token(&app, 1, "With", &[scope]).await;
            let (status, body) =
                call(&app, &with, method.clone(), &concrete, Some(json!({}))).await;
            assert!(
                status != StatusCode::FORBIDDEN
                    && status != StatusCode::UNAUTHORIZED
                    && !status.is_server_error(),
                "{method} {path}: {status} {body}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 29, "{checked} operations checked");
}

#[tokio::test]
async fn a_token_never_exceeds_its_users_current_rights() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let manager = app
        .create_user(&admin, "manager@example.com", WEBHOOK_MANAGER)
        .await;
    let t = token(
        &app,
        manager,
        "Manager's",
        &["webhooks.read", "webhooks.write"],
    )
    .await;
    let receiver = Receiver::start().await;
    let (status, _) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(webhook_json(&receiver.url)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Now only a Viewer: the token's write scope no longer helps.
    let res = app
        .post(
            &admin,
            &format!("/users/{manager}"),
            &[
                ("email", "manager@example.com"),
                ("display_name", "Test User"),
                ("roles", "3"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, body) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(webhook_json(&receiver.url)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Create a Webhook"),
        "{body}"
    );
    assert_eq!(crate::webhooks::count(&app).await, 1);
}

#[tokio::test]
async fn webhooks_by_api_create_read_list_modify_delete() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = admin_token(&app).await;
    let (status, created) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(json!({
            "wording": "Phase watcher",
            "url": "https://hooks.example.com/{phase.id}",
            "eventTypes": ["phase.*"],
            "headers": [{"name": "Authorization", "value": "Bearer s3cret", "secret": true}],
            "validUntil": "2099-01-31",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert!(
        created["signingSecret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_")
    );
    assert_eq!(created["validUntil"], "2099-01-31");
    assert_eq!(created["state"], "active");
    assert_eq!(created["verb"], "POST", "defaults as on the form");
    assert_eq!(created["body"], "{payload}");
    assert_eq!(
        created["eventTypes"],
        json!(["phase.created", "phase.modified", "phase.deleted"])
    );
    assert_eq!(
        created["headers"][0]["value"],
        Value::Null,
        "a secret never comes back"
    );

    let (status, got) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(got.get("signingSecret").is_none());
    assert!(!got.to_string().contains("s3cret"));

    for n in 0..3 {
        let mut w = webhook_json(&format!("https://crm{n}.example.com/hook"));
        w["wording"] = json!(format!("CRM {n}"));
        w["active"] = json!(n != 1);
        let (status, _) = call(&app, &t, Method::POST, "/api/v1/webhooks", Some(w)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, page) = call(
        &app,
        &t,
        Method::GET,
        "/api/v1/webhooks?contains=crm&active=true&perPage=1&page=2",
        None,
    )
    .await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["wording"], "CRM 2");
    let (_, page) = call(
        &app,
        &t,
        Method::GET,
        "/api/v1/webhooks?objectType=phase",
        None,
    )
    .await;
    assert_eq!(page["total"], 1);
    let (status, body) = call(&app, &t, Method::GET, "/api/v1/webhooks?perPage=0", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error_shape(status, &body);
    let (status, _) = call(
        &app,
        &t,
        Method::GET,
        "/api/v1/webhooks?objectType=task",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Modify: the secret header is kept when its value is left out; the version moves on.
    let mut w = json!({
        "wording": "Phase watcher (2)",
        "url": "https://hooks.example.com/{phase.id}",
        "eventTypes": ["phase.modified"],
        "headers": [{"name": "Authorization", "secret": true}],
        "version": 1,
    });
    let (status, saved) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/webhooks/{id}"),
        Some(w.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["eventTypes"], json!(["phase.modified"]));
    assert_eq!(saved["validUntil"], Value::Null);
    assert_eq!(app.header_values(id).await, ["Bearer s3cret"]);

    // A stale version: 409, nothing saved.
    w["wording"] = json!("Lost update");
    let (status, body) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/webhooks/{id}"),
        Some(w.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error_shape(status, &body);
    w.as_object_mut().unwrap().remove("version");
    let (status, body) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/webhooks/{id}"),
        Some(w),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(field_messages(&body)[0].0, "version");
    let (_, got) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(got["wording"], "Phase watcher (2)");

    // History names the token.
    let history = app
        .get_html(&admin, &format!("/webhooks/{id}/history"))
        .await;
    assert!(
        history.contains(&escaped("via API token “Integration”")),
        "{history}"
    );

    let (status, _) = call(
        &app,
        &t,
        Method::DELETE,
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error_shape(status, &body);
    let (status, _) = call(
        &app,
        &t,
        Method::DELETE,
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Delete all needs its confirmation.
    let (status, body) = call(&app, &t, Method::DELETE, "/api/v1/webhooks", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(crate::webhooks::count(&app).await, 3);
    let (status, body) = call(
        &app,
        &t,
        Method::DELETE,
        "/api/v1/webhooks?confirm=true",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["deleted"], 3);
    assert_eq!(crate::webhooks::count(&app).await, 0);
}

/// The same webhook through the form and through the API: the same row, and for the same
/// mistakes, the same messages.
#[tokio::test]
async fn the_api_and_the_form_make_the_same_webhook_with_the_same_rules() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = admin_token(&app).await;
    let form_id = crate::webhooks::create(&app, &admin, &crate::webhooks::valid_form()).await;
    let api_json = webhook_json("https://crm.example.com/hooks/{project.id}");
    let (status, created) = call(&app, &t, Method::POST, "/api/v1/webhooks", Some(api_json)).await;
    assert_eq!(status, StatusCode::CREATED);
    let api_id = created["id"].as_i64().unwrap();
    let row = |id: i64| {
        let pool = app.state.store.clone();
        async move {
            let r: (String, String, bool, String, String, String, bool, bool, String, String, String) =
                on_db!(&pool, ex => sqlx::query_as(
                    "SELECT wording, description, active, url, verb, body, synchronous, in_transaction,
                            event_action, event_object, excluded_fields FROM webhooks WHERE id = $1",
                )
                .bind(id)
                .fetch_one(ex)
                .await)
                .unwrap();
            let h: Vec<(String, String, bool)> = on_db!(&pool, ex => sqlx::query_as(
                "SELECT name, value, secret FROM webhook_headers WHERE webhook_id = $1 ORDER BY position",
            )
            .bind(id)
            .fetch_all(ex)
            .await)
            .unwrap();
            (r, h)
        }
    };
    assert_eq!(row(form_id).await, row(api_id).await);

    // The same mistakes, both ways.
    let form = crate::webhooks::form_with(&[
        ("wording", ""),
        ("url", "ftp://files.example.com/x"),
        ("verb", "FETCH"),
        ("synchronous", ""),
        ("in_transaction", "on"),
        ("excluded_fields", "budget, colour"),
        ("valid_until", "2001-01-01"),
    ]);
    let res = crate::webhooks::post_form(&app, &admin, "/webhooks/new", &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    let mut api = webhook_json("ftp://files.example.com/x");
    api["wording"] = json!("");
    api["verb"] = json!("FETCH");
    api["transaction"] = json!(true);
    api["excludedFields"] = json!(["budget", "colour"]);
    api["validUntil"] = json!("2001-01-01");
    let (status, body) = call(&app, &t, Method::POST, "/api/v1/webhooks", Some(api)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let messages = field_messages(&body);
    let fields: Vec<&str> = messages.iter().map(|(f, _)| f.as_str()).collect();
    for f in [
        "wording",
        "url",
        "verb",
        "transaction",
        "excludedFields",
        "validUntil",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    for (_, m) in &messages {
        assert!(page.contains(&escaped(m)), "the form says it too: {m}");
    }
    assert!(
        messages
            .iter()
            .any(|(_, m)| m.starts_with("Review of the formula for URL"))
    );

    // The API's own names: an unknown event type is named.
    let mut api = webhook_json("https://crm.example.com/x");
    api["eventTypes"] = json!(["task.created"]);
    api["wording"] = json!("");
    let (status, body) = call(&app, &t, Method::POST, "/api/v1/webhooks", Some(api)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let messages = field_messages(&body);
    assert!(
        messages.contains(&(
            "eventTypes".into(),
            "Unknown event type: task.created. The event types are listed at /api/v1/event-types."
                .into()
        ))
    );
    assert!(
        messages.iter().any(|(f, _)| f == "wording"),
        "every error at once"
    );
    assert_eq!(crate::webhooks::count(&app).await, 2, "nothing saved");
}

#[tokio::test]
async fn an_expired_webhook_does_not_fire_until_renewed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = admin_token(&app).await;
    let receiver = Receiver::start().await;
    let project = crate::events::create_project(&app, &admin, "P1", &[]).await;
    let mut w = webhook_json(&receiver.url);
    w["validUntil"] = json!(chrono::Utc::now().date_naive().to_string());
    let (_, created) = call(&app, &t, Method::POST, "/api/v1/webhooks", Some(w)).await;
    let id = created["id"].as_i64().unwrap();
    // Its last day passes.
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE webhooks SET valid_until = '2020-01-01' WHERE id = $1").bind(id)
    )
    .unwrap();
    let (_, got) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(got["state"], "expired");
    assert!(app.get_html(&admin, "/webhooks").await.contains("Expired"));
    let modify = |name: &'static str| {
        let app = &app;
        let t = t.clone();
        async move {
            let (status, body) = call(
                app,
                &t,
                Method::PUT,
                &format!("/api/v1/projects/{project}"),
                Some(json!({"code": "P1", "name": name, "status": "Active"})),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    modify("Expired meanwhile").await;
    assert_eq!(
        app.count("deliveries").await,
        0,
        "an expired webhook does not fire"
    );

    let (status, body) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{id}/renew"),
        Some(json!({"validUntil": "2001-01-01"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(field_messages(&body)[0].0, "validUntil");
    let (status, renewed) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{id}/renew"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let expected = chrono::Utc::now().date_naive() + chrono::Days::new(90);
    assert_eq!(renewed["validUntil"], expected.to_string());
    assert_eq!(renewed["state"], "active");
    modify("Renewed").await;
    assert_eq!(app.count("deliveries").await, 1);
    app.state.deliverer.run_once().await.unwrap();
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let history = app
        .get_html(&admin, &format!("/webhooks/{id}/history"))
        .await;
    assert!(
        history.contains(&expected.to_string()),
        "the new expiry in the history"
    );
}

#[tokio::test]
async fn the_test_operation_sends_a_real_signed_request_and_returns_the_attempt() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = admin_token(&app).await;
    let receiver = Receiver::start().await;
    let project = crate::events::create_project(&app, &admin, "P1", &[]).await;
    let (_, created) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(webhook_json(&format!("{}/test", receiver.url))),
    )
    .await;
    let id = created["id"].as_i64().unwrap();

    let (status, body) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{id}/test"),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a project is needed: {body}"
    );
    assert_eq!(
        field_messages(&body)[0],
        ("projectId".into(), "Choose a project to test with.".into())
    );

    receiver.script([Answer::status(202).body("accepted")]);
    let (status, attempt) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{id}/test"),
        Some(json!({"projectId": project})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{attempt}");
    assert_eq!(attempt["responseStatus"], 202);
    assert_eq!(attempt["responseBody"], "accepted");
    assert_eq!(attempt["delivered"], true);
    assert_eq!(attempt["trigger"], "test");
    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert!(
        got[0]
            .header("webhook-signature")
            .is_some_and(|s| s.starts_with("v1,"))
    );
    let sent: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(sent["test"], true);
    assert_eq!(sent["data"]["id"], project);
}

#[tokio::test]
async fn deliveries_are_listed_read_with_attempts_and_retried() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = admin_token(&app).await;
    let receiver = Receiver::start().await;
    let project = crate::events::create_project(&app, &admin, "P1", &[]).await;
    let (_, created) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(webhook_json(&receiver.url)),
    )
    .await;
    let webhook = created["id"].as_i64().unwrap();
    let (status, _) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/projects/{project}"),
        Some(json!({"code": "P1", "name": "Changed", "status": "Active"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (_, list) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/deliveries?webhookId={webhook}&state=queued"),
        None,
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    let delivery = list["data"][0]["id"].as_i64().unwrap();
    assert_eq!(list["data"][0]["eventType"], "project.modified");

    // The first retry is immediate; after the second failure it waits.
    receiver.script([
        Answer::status(500).body("down"),
        Answer::status(503).body("down"),
    ]);
    app.state.deliverer.run_once().await.unwrap();
    let (_, detail) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/deliveries/{delivery}"),
        None,
    )
    .await;
    assert_eq!(detail["state"], "waiting", "{detail}");
    assert_eq!(detail["attemptLog"][0]["responseStatus"], 503);
    assert_eq!(detail["attemptLog"][0]["delivered"], false);
    let (_, waiting) = call(
        &app,
        &t,
        Method::GET,
        "/api/v1/deliveries?state=waiting",
        None,
    )
    .await;
    assert_eq!(waiting["data"].as_array().unwrap().len(), 1);

    let (status, attempt) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/deliveries/{delivery}/retry"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{attempt}");
    assert_eq!(attempt["responseStatus"], 200);
    assert_eq!(attempt["trigger"], "manual");
    let (_, detail) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/deliveries/{delivery}"),
        None,
    )
    .await;
    assert_eq!(detail["state"], "delivered");
    assert_eq!(detail["attemptLog"].as_array().unwrap().len(), 3);
    let (status, body) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/deliveries/{delivery}/retry"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = call(&app, &t, Method::GET, "/api/v1/deliveries?state=lost", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&app, &t, Method::GET, "/api/v1/deliveries/424242", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn normalised(payload: &str) -> Value {
    let mut v: Value = serde_json::from_str(payload).unwrap();
    for key in ["messageId", "eventId", "timestamp"] {
        v[key] = Value::Null;
    }
    v["data"]["id"] = Value::Null;
    v
}

/// A change through the objects API fires the same webhooks, with the same payload, as the
/// same change on screen.
#[tokio::test]
async fn an_api_change_fires_the_same_webhooks_with_the_same_payload_as_the_ui() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = admin_token(&app).await;
    let receiver = Receiver::start().await;
    let mut w = webhook_json(&receiver.url);
    w["eventTypes"] = json!(["project.created"]);
    call(&app, &t, Method::POST, "/api/v1/webhooks", Some(w)).await;
    let mut other = webhook_json(&receiver.url);
    other["eventTypes"] = json!(["user.created"]);
    call(&app, &t, Method::POST, "/api/v1/webhooks", Some(other)).await;

    let ui = crate::events::create_project(
        &app,
        &admin,
        "SAME",
        &[("budget", "1200"), ("start_date", "2027-01-04")],
    )
    .await;
    let res = app
        .post(&admin, &format!("/projects/{ui}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, created) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/projects",
        Some(json!({"code": "SAME", "name": "Apollo", "status": "Active", "budget": 1200, "startDate": "2027-01-04"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        app.count("deliveries").await,
        2,
        "one per creation, none for other events"
    );
    while app.state.deliverer.run_once().await.unwrap() > 0 {}
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    assert_eq!(normalised(&got[0].body), normalised(&got[1].body));
    // The two projects' deliveries may arrive in either order.
    let api: Value = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .find(|p| p["data"]["id"] == created["id"])
        .expect("the API-made project's delivery");
    assert_eq!(
        api["data"]["initiator"]["email"], ADMIN_EMAIL,
        "the token's user made it"
    );
}

#[tokio::test]
async fn a_veto_in_the_transaction_comes_back_as_an_api_error_and_changes_nothing() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let receiver = Receiver::start().await;
    let (_, project) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/projects",
        Some(json!({"code": "VETO", "name": "Apollo", "status": "Active", "budget": 100})),
    )
    .await;
    let id = project["id"].as_i64().unwrap();
    let mut w = webhook_json(&format!("{}/approve", receiver.url));
    w["synchronous"] = json!(true);
    w["transaction"] = json!(true);
    let (status, _) = call(&app, &t, Method::POST, "/api/v1/webhooks", Some(w)).await;
    assert_eq!(status, StatusCode::CREATED);
    let events_before = app.count("events").await;

    receiver.script([Answer::status(422).body("Budget over the limit")]);
    let (status, body) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/projects/{id}"),
        Some(json!({"code": "VETO", "name": "Apollo", "status": "Active", "budget": 999999})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "vetoed");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Budget over the limit"),
        "{body}"
    );
    let (_, after) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/projects/{id}"),
        None,
    )
    .await;
    assert_eq!(after["budget"], 100, "nothing changed");
    assert_eq!(
        app.count("events").await,
        events_before,
        "no event for a refused change"
    );
}

#[tokio::test]
async fn projects_phases_and_users_by_api() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let (status, body) = call(&app, &t, Method::POST, "/api/v1/projects", Some(json!({"code": "", "name": "", "status": "Busy", "priority": 9, "startDate": "2027-02-01", "finishDate": "2027-01-01"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<String> = field_messages(&body).into_iter().map(|(f, _)| f).collect();
    for f in ["code", "name", "status", "priority", "finishDate"] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    assert_eq!(app.count("projects").await, 0);

    let (status, p) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/projects",
        Some(json!({"code": "P1", "name": "Apollo", "status": "Active"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let pid = p["id"].as_i64().unwrap();
    let (status, body) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/projects",
        Some(json!({"code": "P1", "name": "Again", "status": "Active"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        field_messages(&body)[0],
        (
            "code".into(),
            "A project with this code already exists.".into()
        )
    );

    let (status, phase) = call(
        &app,
        &t,
        Method::POST,
        &format!("/api/v1/projects/{pid}/phases"),
        Some(json!({"name": "Design", "status": "Not started"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{phase}");
    let phid = phase["id"].as_i64().unwrap();
    let (status, phase) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/phases/{phid}"),
        Some(json!({"name": "Design", "status": "In progress", "progress": 40})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(phase["progress"], 40);
    let (_, phases) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/projects/{pid}/phases"),
        None,
    )
    .await;
    assert_eq!(phases["data"].as_array().unwrap().len(), 1);
    let (status, _) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/projects/999/phases",
        Some(json!({"name": "X", "status": "Done"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &app,
        &t,
        Method::DELETE,
        &format!("/api/v1/phases/{phid}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &app,
        &t,
        Method::GET,
        &format!("/api/v1/phases/{phid}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &app,
        &t,
        Method::DELETE,
        &format!("/api/v1/projects/{pid}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, body) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/users",
        Some(json!({"email": "not an email", "displayName": "", "password": "short"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<String> = field_messages(&body).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["displayName", "email", "password"]);
    let (status, u) = call(&app, &t, Method::POST, "/api/v1/users", Some(json!({"email": "ann@example.com", "displayName": "Ann", "password": "a long enough password", "roleIds": [3]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    let uid = u["id"].as_i64().unwrap();
    assert_eq!(u["roleIds"], json!([3]));
    let (status, u) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/users/{uid}"),
        Some(json!({"email": "ann@example.com", "displayName": "Ann Lee", "roleIds": [2]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(u["displayName"], "Ann Lee");
    let (_, users) = call(&app, &t, Method::GET, "/api/v1/users", None).await;
    assert_eq!(users["data"].as_array().unwrap().len(), 2);
    let (status, body) = call(&app, &t, Method::DELETE, "/api/v1/users/1", None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the token's own user: {body}"
    );
    let (status, _) = call(
        &app,
        &t,
        Method::DELETE,
        &format!("/api/v1/users/{uid}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&app, &t, Method::GET, &format!("/api/v1/users/{uid}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // After the first administrator's own user.created.
    let kinds: Vec<String> =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT event_type FROM events WHERE id > 1 ORDER BY id")
            .fetch_all(ex)
            .await)
            .unwrap();
    assert_eq!(
        kinds,
        [
            "project.created",
            "phase.created",
            "phase.modified",
            "phase.deleted",
            "project.deleted",
            "user.created",
            "user.modified",
            "user.deleted"
        ]
    );
}

#[tokio::test]
async fn every_error_has_the_same_json_shape() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let post_raw = |path: &'static str, content_type: &'static str, body: Vec<u8>| {
        let app = &app;
        let t = t.clone();
        async move {
            let res = client()
                .post(app.url(path))
                .bearer_auth(t)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: Value = res.json().await.expect("a JSON error");
            assert_error_shape(status, &body);
            (status, body)
        }
    };
    let (status, _) = post_raw(
        "/api/v1/webhooks",
        "application/json",
        b"{\"wording\":".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = post_raw("/api/v1/webhooks", "text/plain", b"hello".to_vec()).await;
    assert!(status.is_client_error(), "{body}");
    let (status, body) = post_raw(
        "/api/v1/webhooks",
        "application/json",
        br#"{"wording":"x","url":"https://a.example","eventTypes":["project.*"],"colour":"red"}"#
            .to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("colour"),
        "{body}"
    );
    let mut big = b"{\"wording\":\"".to_vec();
    big.extend(std::iter::repeat_n(b'a', 400 * 1024));
    big.extend(b"\"}");
    let (status, _) = post_raw("/api/v1/webhooks", "application/json", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = post_raw(
        "/api/v1/webhooks/1/test",
        "application/json",
        b"[1,".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(crate::webhooks::count(&app).await, 0);

    for (method, path, expected) in [
        (Method::GET, "/api/v1/nothing", StatusCode::NOT_FOUND),
        (
            Method::GET,
            "/api/v1/webhooks/not-a-number",
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            "/api/v1/webhooks/99999999999999999999",
            StatusCode::NOT_FOUND,
        ),
        (
            Method::PATCH,
            "/api/v1/webhooks",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Method::GET,
            "/api/v1/webhooks?page=-1",
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/api/v1/webhooks?unknown=1",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, body) = call(&app, &t, method.clone(), path, None).await;
        assert_eq!(status, expected, "{method} {path}: {body}");
        assert_error_shape(status, &body);
    }
}

#[tokio::test]
async fn the_openapi_document_is_complete_and_the_api_page_describes_it() {
    let app = spawn_app().await;
    let res = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/webhooks",
        "/api/v1/webhooks/{id}",
        "/api/v1/webhooks/{id}/test",
        "/api/v1/webhooks/{id}/renew",
        "/api/v1/deliveries",
        "/api/v1/deliveries/{id}",
        "/api/v1/deliveries/{id}/retry",
        "/api/v1/event-types",
        "/api/v1/projects",
        "/api/v1/projects/{id}/phases",
        "/api/v1/phases/{id}",
        "/api/v1/users/{id}",
    ] {
        assert!(paths.contains_key(p), "{p}");
    }
    // Every reference resolves, every operation documents its answers.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(schemas.contains_key(name), "{name} is defined");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
            assert!(op["summary"].is_string(), "{method} {path}");
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let res = client().get(app.url("/api")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(
        !page.contains("<script src=\"http"),
        "served by Hookline itself"
    );
    for p in paths.keys() {
        assert!(page.contains(&escaped(p)), "{p} on the page");
    }
    assert!(page.contains("WebhookRequest") && page.contains("ErrorBody"));

    let t = admin_token(&app).await;
    let (status, catalogue) = call(&app, &t, Method::GET, "/api/v1/event-types", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(catalogue["data"].as_array().unwrap().len(), 11);
    assert_eq!(catalogue["data"][0]["name"], "phase.created");
    let res = client()
        .get(app.url("/api/v1/schemas/webhook-payload"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let schema: Value = res.json().await.unwrap();
    assert!(schema["$schema"].is_string());
}

#[tokio::test]
async fn the_command_line_makes_a_working_token() {
    let app = spawn_app().await;
    let token = crate::process::stdout_of(
        crate::process::hookline(&app.dir.path().join("hookline.db")).args([
            "token",
            "create",
            "--user",
            ADMIN_EMAIL,
            "--name",
            "From the shell",
            "--scopes",
            "webhooks.read,deliveries.read",
        ]),
    )
    .trim()
    .to_owned();
    let (status, _) = call(&app, &token, Method::GET, "/api/v1/deliveries", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call(&app, &token, Method::GET, "/api/v1/projects", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["missingScope"], "objects.read");

    let out = crate::process::hookline(&app.dir.path().join("hookline.db"))
        .args([
            "token",
            "create",
            "--user",
            "nobody@example.com",
            "--name",
            "x",
            "--scopes",
            "webhooks.read",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user has the email"));
}

#[tokio::test]
async fn ids_and_numbers_that_name_nothing_are_field_errors_and_nothing_is_saved() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    for (field, value, named) in [
        ("projectFilterId", json!(4242), "eventTypes"),
        ("initiatingUserId", json!(-1), "initiatingUserId"),
        ("projectId", json!(0), "projectId"),
        (
            "excludedFields",
            json!(["name", " ", "name budget"]),
            "excludedFields",
        ),
    ] {
        let mut api = webhook_json("https://crm.example.com/x");
        api[field] = value;
        let (status, body) = call(&app, &t, Method::POST, "/api/v1/webhooks", Some(api)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        let fields: Vec<String> = field_messages(&body).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [named], "{field}");
    }
    assert_eq!(app.count("webhooks").await, 0);

    let project =
        json!({"code": "P1", "name": "Apollo", "status": "Active", "managerId": 0, "budget": -5});
    let (status, body) = call(&app, &t, Method::POST, "/api/v1/projects", Some(project)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields: Vec<String> = field_messages(&body).into_iter().map(|(f, _)| f).collect();
    for f in ["managerId", "budget"] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    assert_eq!(app.count("projects").await, 0);
}

#[tokio::test]
async fn a_webhooks_history_by_api_newest_first_and_kept_after_deletion() {
    let app = spawn_app().await;
    let t = admin_token(&app).await;
    let (status, created) = call(
        &app,
        &t,
        Method::POST,
        "/api/v1/webhooks",
        Some(webhook_json("https://crm.example.com/h")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_i64().unwrap();
    let mut changed = webhook_json("https://crm.example.com/h");
    changed["wording"] = json!("Renamed by API");
    changed["version"] = created["version"].clone();
    let (status, body) = call(
        &app,
        &t,
        Method::PUT,
        &format!("/api/v1/webhooks/{id}"),
        Some(changed),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let path = format!("/api/v1/webhooks/{id}/history");
    let (status, history) = call(&app, &t, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let entries = history["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "modified");
    assert_eq!(entries[1]["action"], "created");
    assert!(
        entries[0]["id"].as_i64() > entries[1]["id"].as_i64(),
        "newest first"
    );
    assert_eq!(entries[0]["authorId"], 1);
    assert!(
        entries[0]["author"]
            .as_str()
            .unwrap()
            .contains("Integration"),
        "{history}"
    );
    let wording = entries[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "Wording")
        .unwrap();
    assert_eq!(wording["after"], "Renamed by API");

    let reader = token(&app, 1, "No webhooks", &["deliveries.read"]).await;
    let (status, _) = call(&app, &reader, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(&app, &t, Method::GET, "/api/v1/webhooks/999/history", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &app,
        &t,
        Method::DELETE,
        &format!("/api/v1/webhooks/{id}"),
        None,
    )
    .await;
    assert!(status.is_success());
    let (status, history) = call(&app, &t, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history["data"][0]["action"], "deleted");
}

/// A change that finds the webhooks changed since they were last read, while every other
/// pooled connection is held (as by a burst of changes finding the same): it reads them in
/// its own transaction rather than wait for another connection, which may never come.
#[tokio::test]
async fn a_change_reads_new_webhooks_without_waiting_for_another_connection() {
    // SQLite's write transactions run on its writer, outside the pool that reads.
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let mut hook = webhook_json("http://127.0.0.1:9/never-called");
    hook["eventTypes"] = json!(["project.created"]);
    let (status, _) = call(&app, &token, Method::POST, "/api/v1/webhooks", Some(hook)).await;
    assert_eq!(status, StatusCode::CREATED);
    let mut held = Vec::new();
    while let Ok(tx) =
        tokio::time::timeout(Duration::from_millis(500), app.state.store.begin_write()).await
    {
        held.push(tx.unwrap());
    }
    held.pop().expect("a connection").rollback().await.unwrap();
    let project = json!({"code": "LAST", "name": "Last connection", "status": "Active"});
    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        "/api/v1/projects",
        Some(project),
    )
    .await;
    for tx in held {
        tx.rollback().await.unwrap();
    }
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        app.count("deliveries").await,
        1,
        "routed to the new webhook"
    );
}
