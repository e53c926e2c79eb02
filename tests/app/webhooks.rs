//! The webhook screens: create, validate, modify, secrets, history, delete, filters, list.

use hookline::{execute_on, on_db};
use reqwest::StatusCode;

use crate::helpers::*;

/// A valid form, as the browser sends it.
pub fn valid_form() -> Vec<(&'static str, String)> {
    [
        ("wording", "Notify CRM"),
        ("description", "Sends project changes to the CRM"),
        ("active", "on"),
        ("url", "https://crm.example.com/hooks/{project.id}"),
        ("verb", "POST"),
        ("body", "{payload}"),
        ("header_name", "X-Team"),
        ("header_value", "portfolio"),
        ("header_kind", "plain"),
        ("event_action", "modify"),
        ("event_object", "project"),
        ("project_filter", ""),
        ("action", "register"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

/// `valid_form` with some fields replaced (all values of a repeated field at once).
pub fn form_with(changes: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut form = valid_form();
    for (key, _) in changes {
        form.retain(|(k, _)| k != key);
    }
    form.extend(changes.iter().map(|(k, v)| (*k, (*v).to_owned())));
    form
}

pub async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&'static str, String)],
) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post(client, path, &fields).await
}

pub async fn create(
    app: &TestApp,
    client: &reqwest::Client,
    form: &[(&'static str, String)],
) -> i64 {
    let res = post_form(app, client, "/webhooks/new", form).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT MAX(id) FROM webhooks")
        .fetch_one(ex)
        .await)
    .unwrap()
}

pub async fn count(app: &TestApp) -> i64 {
    app.count("webhooks").await
}

async fn history_actions(app: &TestApp, id: i64) -> Vec<String> {
    on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT action FROM webhook_history WHERE webhook_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(ex)
        .await)
        .unwrap()
}

/// The webhook's version, as its form posts it back.
pub async fn version(app: &TestApp, id: i64) -> String {
    let v: i64 = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT version FROM webhooks WHERE id = $1")
        .bind(id)
        .fetch_one(ex)
        .await)
        .unwrap();
    v.to_string()
}

#[tokio::test]
async fn a_webhook_created_in_the_form_appears_in_the_list_and_its_history() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = post_form(&app, &admin, "/webhooks/new", &valid_form()).await;
    assert_eq!(location(&res), "/webhooks");
    let list = app.get_html(&admin, "/webhooks").await;
    for text in [
        "Webhook “Notify CRM” created.",
        "Notify CRM",
        "Modify · Project · All projects",
        "https://crm.example.com/hooks/{project.id}",
        "POST",
        "Asynchronous",
    ] {
        assert!(list.contains(text), "the list shows {text}");
    }
    let id: i64 = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM webhooks")
        .fetch_one(ex)
        .await)
    .unwrap();
    let secret = app.signing_secret(id).await;
    assert!(secret.starts_with("whsec_") && secret.len() > 30);
    let form = app.get_html(&admin, &format!("/webhooks/{id}")).await;
    assert!(form.contains("value=\"Notify CRM\""));
    assert!(form.contains("X-Team") && form.contains("portfolio"));
    let history = app
        .get_html(&admin, &format!("/webhooks/{id}/history"))
        .await;
    assert!(history.contains("Created"));
    assert!(history.contains(&escaped("Administrator <admin@example.com>")));
    assert_eq!(history_actions(&app, id).await, vec!["created"]);
}

#[tokio::test]
async fn apply_saves_and_stays_register_saves_and_returns() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = create(&app, &admin, &valid_form()).await;
    let v = version(&app, id).await;
    let res = post_form(
        &app,
        &admin,
        &format!("/webhooks/{id}"),
        &form_with(&[
            ("action", "apply"),
            ("version", &v),
            ("description", "Changed"),
        ]),
    )
    .await;
    assert_eq!(location(&res), format!("/webhooks/{id}"));
    let v = version(&app, id).await;
    let res = post_form(
        &app,
        &admin,
        &format!("/webhooks/{id}"),
        &form_with(&[
            ("action", "register"),
            ("version", &v),
            ("description", "Again"),
        ]),
    )
    .await;
    assert_eq!(location(&res), "/webhooks");
}

#[tokio::test]
async fn every_validation_rule_gives_its_message_and_saves_nothing() {
    let app = spawn_app_with(|s| s.second_language = Some("fr".into())).await;
    let admin = app.admin().await;
    let long = "w".repeat(201);
    let big_body = "b".repeat(64 * 1024 + 1);
    let cases: Vec<(Vec<(&'static str, &str)>, &str)> = vec![
        (vec![("wording", "  ")], "Wording is required."),
        (
            vec![("wording", &long)],
            "Wording must be at most 200 characters.",
        ),
        (vec![("second_label", "")], "Wording (fr) is required."),
        (vec![("url", "")], "URL is required."),
        (
            vec![("url", "javascript:alert(1)")],
            "Review of the formula for URL: javascript:alert(1)",
        ),
        (
            vec![("url", "ftp://files.example.com/x")],
            "Review of the formula for URL: ftp://files.example.com/x",
        ),
        (
            vec![("url", "https:///no-host")],
            "Review of the formula for URL: https:///no-host",
        ),
        (
            vec![("url", "crm.example.com/hook")],
            "Review of the formula for URL: crm.example.com/hook",
        ),
        (
            vec![("url", "https://x.example.com/{projet.id}")],
            "Unknown placeholder {projet.id} for Project events",
        ),
        (
            vec![("url", "https://{project.code}.example.com/")],
            "placeholders cannot be used in the scheme, host or port",
        ),
        (
            vec![("verb", "TRACE")],
            "Choose a verb: GET, POST, PUT, PATCH or DELETE.",
        ),
        (vec![("body", "")], "Body is required for POST"),
        (
            vec![("verb", "GET")],
            "A GET request has no body: leave Body empty.",
        ),
        (vec![("body", &big_body)], "Body must be at most 64 KB."),
        (
            vec![("body", "{\"n\": \"{phase.name}\"}")],
            "Unknown placeholder {phase.name} for Project events.",
        ),
        (
            vec![("header_name", "X Team")],
            "is not a valid header name",
        ),
        (
            vec![("header_value", "a\r\nX-Injected: 1")],
            "line breaks and control characters are not allowed",
        ),
        (
            vec![("header_name", "Webhook-Signature")],
            "Hookline sets Webhook-Signature itself.",
        ),
        (vec![("header_name", "Host")], "Hookline sets Host itself."),
        (
            vec![("in_transaction", "on")],
            "Transaction execution can only be checked when Synchronous is checked.",
        ),
        (
            vec![("event_action", ""), ("event_object", "")],
            "Event is required: choose an action and an object type.",
        ),
        (
            vec![("event_object", "task")],
            "Choose an object type: Phase, Project, User, Webhook or Delivery.",
        ),
        (
            vec![("event_action", "archive")],
            "Choose an action: All actions, Create, Modify or Delete.",
        ),
        (
            vec![
                ("event_object", "user"),
                ("url", "https://x.example.com/"),
                ("project_filter", "1"),
            ],
            "No project filter can be chosen for User events.",
        ),
        (
            vec![("project_filter", "42")],
            "Choose a project filter from the list.",
        ),
        (
            vec![("excluded_fields", "name, salary")],
            "Unknown field “salary” for Project events",
        ),
        (
            vec![("valid_until", "2001-01-01")],
            "The expiry date cannot be in the past.",
        ),
        (
            vec![("valid_until", "next week")],
            "Enter the expiry date as YYYY-MM-DD.",
        ),
        (
            vec![("initiator_user", "999")],
            "Choose a user from the list.",
        ),
        (
            vec![("initiator_user", "abc")],
            "Choose a user from the list.",
        ),
    ];
    for (changes, message) in cases {
        let mut changes = changes;
        if !changes.iter().any(|(k, _)| *k == "second_label") {
            changes.push(("second_label", "Notifier le CRM"));
        }
        let res = post_form(&app, &admin, "/webhooks/new", &form_with(&changes)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        let html = res.text().await.unwrap();
        assert!(html.contains(&escaped(message)), "expected {message:?}");
    }
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn header_rows_are_checked_together() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut form = form_with(&[]);
    form.extend([
        ("header_name", "x-team".to_owned()),
        ("header_value", "2".to_owned()),
        ("header_kind", "plain".to_owned()),
    ]);
    let res = post_form(&app, &admin, "/webhooks/new", &form).await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Header 2: x-team appears twice.")
    );
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn all_errors_show_at_once_and_the_input_is_kept() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = post_form(
        &app,
        &admin,
        "/webhooks/new",
        &form_with(&[
            ("wording", ""),
            ("url", "ftp://kept.example.com"),
            ("verb", "TRACE"),
            ("description", "kept description"),
        ]),
    )
    .await;
    let html = res.text().await.unwrap();
    for message in [
        "Wording is required.",
        "Review of the formula for URL: ftp://kept.example.com",
        "Choose a verb",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(html.contains("value=\"ftp://kept.example.com\""));
    assert!(html.contains("kept description"));
}

#[tokio::test]
async fn an_oversized_form_is_refused_whole() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let huge = "x".repeat(300 * 1024);
    let res = post_form(
        &app,
        &admin,
        "/webhooks/new",
        &form_with(&[("description", &huge)]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().await.unwrap().contains("at most 256 KB"));
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn https_only_when_the_operator_requires_it() {
    let app = spawn_app_with(|s| s.require_https = true).await;
    let admin = app.admin().await;
    let res = post_form(
        &app,
        &admin,
        "/webhooks/new",
        &form_with(&[("url", "http://plain.example.com/")]),
    )
    .await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("only https addresses are allowed on this server")
    );
    create(&app, &admin, &valid_form()).await;
}

#[tokio::test]
async fn modifications_are_recorded_field_by_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = create(&app, &admin, &valid_form()).await;
    let path = format!("/webhooks/{id}");

    let v = version(&app, id).await;
    post_form(
        &app,
        &admin,
        &path,
        &form_with(&[
            ("version", &v),
            ("url", "https://crm.example.com/v2/{project.id}"),
            ("description", "New text"),
        ]),
    )
    .await;
    let v = version(&app, id).await;
    post_form(
        &app,
        &admin,
        &path,
        &form_with(&[
            ("version", &v),
            ("url", "https://crm.example.com/v2/{project.id}"),
            ("description", "New text"),
            ("active", ""),
        ]),
    )
    .await;
    // Saving without a change records nothing.
    let v = version(&app, id).await;
    post_form(
        &app,
        &admin,
        &path,
        &form_with(&[
            ("version", &v),
            ("url", "https://crm.example.com/v2/{project.id}"),
            ("description", "New text"),
            ("active", ""),
        ]),
    )
    .await;

    assert_eq!(
        history_actions(&app, id).await,
        vec!["created", "modified", "deactivated"]
    );
    let history = app.get_html(&admin, &format!("{path}/history")).await;
    let modified = history.find("Modified").unwrap();
    let deactivated = history.find("Deactivated").unwrap();
    assert!(deactivated < modified, "newest first");
    assert!(
        history.contains("https://crm.example.com/hooks/{project.id}")
            && history.contains("https://crm.example.com/v2/{project.id}")
    );
    assert!(history.contains("Sends project changes to the CRM") && history.contains("New text"));
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(
        list.contains(">No</span>"),
        "the list shows the webhook inactive"
    );
}

#[tokio::test]
async fn secret_header_values_never_leave_the_server() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let secret = "Bearer s3cr3t-t0ken-value";
    let form = form_with(&[
        ("header_name", "Authorization"),
        ("header_value", secret),
        ("header_kind", "secret"),
    ]);
    let id = create(&app, &admin, &form).await;
    let path = format!("/webhooks/{id}");
    for page in [
        path.clone(),
        format!("{path}/history"),
        "/webhooks".to_owned(),
    ] {
        let html = app.get_html(&admin, &page).await;
        assert!(!html.contains("s3cr3t"), "{page} shows the secret");
    }
    assert!(
        app.get_html(&admin, &format!("{path}/history"))
            .await
            .contains("Authorization: ••••••••")
    );

    // Saved again without retyping it: the stored value is kept.
    let v = version(&app, id).await;
    let keep = form_with(&[
        ("version", &v),
        ("header_name", "Authorization"),
        ("header_value", ""),
        ("header_kind", "secret"),
        ("description", "Changed"),
    ]);
    assert_eq!(
        post_form(&app, &admin, &path, &keep).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.header_values(id).await, [secret]);

    // A new host: the secret must be typed again, and nothing is saved until it is.
    let v = version(&app, id).await;
    let moved = form_with(&[
        ("version", &v),
        ("url", "https://elsewhere.example.net/x"),
        ("header_name", "Authorization"),
        ("header_value", ""),
        ("header_kind", "secret"),
        ("description", "Changed"),
    ]);
    let res = post_form(&app, &admin, &path, &moved).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("the host of the URL changed, so enter the secret value again.")
    );
    let url: String =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT url FROM webhooks WHERE id = $1")
        .bind(id)
        .fetch_one(ex)
        .await)
        .unwrap();
    assert_eq!(url, "https://crm.example.com/hooks/{project.id}");
    let retyped = form_with(&[
        ("version", &v),
        ("url", "https://elsewhere.example.net/x"),
        ("header_name", "Authorization"),
        ("header_value", "Bearer new-one"),
        ("header_kind", "secret"),
        ("description", "Changed"),
    ]);
    assert_eq!(
        post_form(&app, &admin, &path, &retyped).await.status(),
        StatusCode::SEE_OTHER
    );
    let history = app.get_html(&admin, &format!("{path}/history")).await;
    assert!(!history.contains("new-one") && !history.contains("s3cr3t"));
    let changes: Vec<String> =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT changes FROM webhook_history")
        .fetch_all(ex)
        .await)
        .unwrap();
    assert!(
        changes
            .iter()
            .all(|c| !c.contains("s3cr3t") && !c.contains("new-one")),
        "the stored history holds no secret"
    );
}

#[tokio::test]
async fn a_concurrent_modification_is_refused_not_overwritten() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = create(&app, &admin, &valid_form()).await;
    let v = version(&app, id).await;
    let path = format!("/webhooks/{id}");
    assert_eq!(
        post_form(
            &app,
            &admin,
            &path,
            &form_with(&[("version", &v), ("description", "First")])
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    let res = post_form(
        &app,
        &admin,
        &path,
        &form_with(&[("version", &v), ("description", "Second")]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("changed by someone else")
    );
    let d: String =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT description FROM webhooks")
        .fetch_one(ex)
        .await)
        .unwrap();
    assert_eq!(d, "First");
}

#[tokio::test]
async fn a_deleted_webhooks_history_stays_readable() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = create(&app, &admin, &valid_form()).await;
    let res = app
        .post(&admin, &format!("/webhooks/{id}/delete"), &[])
        .await;
    assert_eq!(location(&res), "/webhooks");
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(list.contains("Webhook “Notify CRM” deleted."));
    assert_eq!(count(&app).await, 0);
    let history = app
        .get_html(&admin, &format!("/webhooks/{id}/history"))
        .await;
    assert!(history.contains("Deleted") && history.contains("This webhook was deleted"));
    assert_eq!(
        app.get(&admin, &format!("/webhooks/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&admin, "/webhooks/999/history").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_history_is_append_only_and_its_chain_proves_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = create(&app, &admin, &valid_form()).await;
    let v = version(&app, id).await;
    post_form(
        &app,
        &admin,
        &format!("/webhooks/{id}"),
        &form_with(&[("version", &v), ("description", "x")]),
    )
    .await;
    let pool = &app.state.store;
    let update = execute_on!(
        pool,
        sqlx::query("UPDATE webhook_history SET actor_name = 'someone else'")
    )
    .unwrap_err();
    assert!(update.to_string().contains("append-only"));
    let delete = execute_on!(pool, sqlx::query("DELETE FROM webhook_history")).unwrap_err();
    assert!(delete.to_string().contains("append-only"));

    use hookline::services::audit::{ChainCheck, verify};
    assert_eq!(
        verify(pool).await.unwrap(),
        ChainCheck::Intact { entries: 2 }
    );
    // Someone with file access drops the trigger and edits an entry: the chain shows it.
    edit_history_behind_its_guard(
        pool,
        "UPDATE webhook_history SET actor_name = 'someone else' WHERE id = 1",
    )
    .await;
    assert!(matches!(
        verify(pool).await.unwrap(),
        ChainCheck::Broken { entry_id: 1, .. }
    ));
}

#[tokio::test]
async fn the_test_button_is_checked_on_the_server_and_never_fakes_a_success() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = post_form(
        &app,
        &admin,
        "/webhooks/test",
        &form_with(&[("wording", "")]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Fill in the four required fields")
    );
    // No project to build the payload from: nothing is sent, and it says why.
    let res = post_form(&app, &admin, "/webhooks/test", &valid_form()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Not sent: Choose a project to test with."));
    assert!(html.contains("value=\"Notify CRM\""), "the form is kept");
    assert_eq!(count(&app).await, 0, "testing saves nothing");
}

#[tokio::test]
async fn markup_in_a_wording_is_shown_as_text() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = create(
        &app,
        &admin,
        &form_with(&[("wording", "<script>alert(1)</script>")]),
    )
    .await;
    for page in [
        "/webhooks".to_owned(),
        format!("/webhooks/{id}"),
        format!("/webhooks/{id}/history"),
    ] {
        let html = app.get_html(&admin, &page).await;
        assert!(!html.contains("<script>alert(1)"), "{page}");
        assert!(
            html.contains(&escaped("<script>alert(1)</script>")),
            "{page}"
        );
    }
}

#[tokio::test]
async fn the_list_is_paged_and_sorted() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    hookline::services::seed::seed_webhooks(&app.state, 120)
        .await
        .unwrap();
    let first = app.get_html(&admin, "/webhooks").await;
    assert!(first.contains("120 webhooks") && first.contains("Page 1 of 3"));
    assert_eq!(first.matches("<td><a href=\"/webhooks/").count(), 50);
    let last = app.get_html(&admin, "/webhooks?page=3").await;
    assert_eq!(last.matches("<td><a href=\"/webhooks/").count(), 20);
    let asc = app.get_html(&admin, "/webhooks?sort=wording&dir=asc").await;
    let desc = app
        .get_html(&admin, "/webhooks?sort=wording&dir=desc")
        .await;
    assert!(asc.contains("Archive sync 00009"));
    assert!(desc.contains("Teams sync 00114") && !desc.contains("Archive sync 00009"));
    // Out-of-range pages and unknown sorts fall back to sensible ones.
    let res = app.get(&admin, "/webhooks?page=99&sort=evil;DROP").await;
    assert_eq!(location(&res), "/webhooks?page=3&sort=wording&dir=asc");
}

#[tokio::test]
async fn an_active_filter_narrows_the_list_and_survives_sign_out() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    create(&app, &admin, &valid_form()).await;
    create(
        &app,
        &admin,
        &form_with(&[
            ("wording", "Billing export"),
            ("url", "https://billing.example.com/in"),
        ]),
    )
    .await;
    let res = app
        .post(
            &admin,
            "/webhooks/filter",
            &[
                ("contains", "billing"),
                ("active", ""),
                ("object", ""),
                ("action", ""),
            ],
        )
        .await;
    assert_eq!(location(&res), "/webhooks");
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(list.contains("Billing export") && !list.contains("Notify CRM"));
    assert!(list.contains("Contains “billing”"));

    app.post(&admin, "/sign-out", &[]).await;
    app.sign_in(&admin, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(
        list.contains("Billing export") && !list.contains("Notify CRM"),
        "still active after sign-out"
    );

    app.post(&admin, "/webhooks/filter/clear", &[]).await;
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(list.contains("Billing export") && list.contains("Notify CRM"));

    let res = app
        .post(
            &admin,
            "/webhooks/filter",
            &[("contains", ""), ("active", "perhaps")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Choose Active: any, yes or no.")
    );
}

#[tokio::test]
async fn a_public_filter_serves_everyone_a_private_one_only_its_owner() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    create(&app, &admin, &valid_form()).await;
    create(
        &app,
        &admin,
        &form_with(&[
            ("wording", "User sync"),
            ("event_object", "user"),
            ("url", "https://users.example.com/"),
        ]),
    )
    .await;
    let res = app
        .post(
            &admin,
            "/webhooks/filter",
            &[
                ("object", "user"),
                ("save_name", "User hooks"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/webhooks");
    app.post(
        &admin,
        "/webhooks/filter",
        &[
            ("contains", "crm"),
            ("save_name", "Mine only"),
            ("visibility", "private"),
        ],
    )
    .await;
    let dup = app
        .post(
            &admin,
            "/webhooks/filter",
            &[
                ("contains", "x"),
                ("save_name", "Mine only"),
                ("visibility", "private"),
            ],
        )
        .await;
    assert!(
        dup.text()
            .await
            .unwrap()
            .contains("You already have a filter with this name.")
    );

    let (viewer, _) = app.signed_in_as(VIEWER).await;
    let page = app.get_html(&viewer, "/webhooks/filter").await;
    assert!(page.contains("User hooks") && !page.contains("Mine only"));
    let ids: Vec<i64> = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM webhook_list_filters ORDER BY id")
        .fetch_all(ex)
        .await)
        .unwrap();
    let (public, private) = (ids[0].to_string(), ids[1].to_string());
    app.post(
        &viewer,
        "/webhooks/filter/select",
        &[("filter_id", &public)],
    )
    .await;
    let list = app.get_html(&viewer, "/webhooks").await;
    assert!(
        list.contains("User sync") && !list.contains("Notify CRM") && list.contains("User hooks")
    );
    let res = app
        .post(
            &viewer,
            "/webhooks/filter/select",
            &[("filter_id", &private)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post(&viewer, &format!("/webhooks/filters/{public}/delete"), &[])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "only the owner deletes a filter"
    );
}

#[tokio::test]
async fn a_viewer_sees_the_form_read_only_without_buttons() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = create(&app, &admin, &valid_form()).await;
    let (viewer, _) = app.signed_in_as(VIEWER).await;
    let list = app.get_html(&viewer, "/webhooks").await;
    assert!(!list.contains("href=\"/webhooks/new\""));
    let form = app.get_html(&viewer, &format!("/webhooks/{id}")).await;
    assert!(form.contains("<fieldset class=\"plain\" disabled>"));
    for button in [
        "value=\"apply\"",
        "value=\"register\"",
        "id=\"test-button\"",
        "/delete\"",
    ] {
        assert!(!form.contains(button), "a viewer sees {button}");
    }
    assert!(form.contains("See history"));
}

#[tokio::test]
async fn the_audit_command_verifies_the_chain() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    create(&app, &admin, &valid_form()).await;
    let db = app.dir.path().join("hookline.db");
    let out = crate::process::hookline(&db)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Webhook history intact: 1 entries"));
    edit_history_behind_its_guard(
        &app.state.store,
        "UPDATE webhook_history SET changes = '[]'",
    )
    .await;
    let out = crate::process::hookline(&db)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("webhook history broken at entry 1"));
}

/// What someone with access to the database could do: drop the trigger that keeps the
/// history append-only, then run `sql` on it.
async fn edit_history_behind_its_guard(store: &hookline::db::Store, sql: &'static str) {
    on_db!(store, ex => sqlx::query(ex.pick(
        "DROP TRIGGER webhook_history_no_update",
        "DROP TRIGGER webhook_history_append_only ON webhook_history",
    ))
    .execute(ex)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    execute_on!(store, sqlx::query(sql)).unwrap();
}
